/* ut_search.h -- the tree's one lower-bound (binary) search.
 *
 * The callers keep sorted arrays of structs keyed by different fields
 * (ids, sequence numbers, strings behind an index), so the search asks
 * a predicate instead of comparing keys itself: below(ctx, i) says
 * whether element i sorts before the key sought.  The function is
 * inline so that, with a static predicate, the compiler folds the call
 * away and the loop costs what a hand-written one did. */
#ifndef SRC_UTIL_UT_SEARCH_H
#define SRC_UTIL_UT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* The first index i in [0, n) for which below(ctx, i) is false, or n.
 * below must be true for a prefix of [0, n) and false after it. */
static inline size_t ut_lower_bound(size_t n,
                                    bool (*below)(const void *ctx, size_t i),
                                    const void *ctx)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (below(ctx, mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif
