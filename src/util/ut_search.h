/* ut_search.h -- the tree's one lower-bound (binary) search.
 *
 * The callers keep sorted arrays of structs keyed by different fields
 * (ids, sequence numbers, strings behind an index), so the search asks
 * a predicate instead of comparing keys itself: below(ctx, i) says
 * whether element i sorts before the key sought.  The function is
 * inline so that, with a static predicate, the compiler folds the call
 * away and the loop costs what a hand-written one did.  For the common
 * case, an array of structs sorted by an integer field, the _u32 and
 * _u64 forms take the field's offset and need no predicate. */
#ifndef SRC_UTIL_UT_SEARCH_H
#define SRC_UTIL_UT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* An array of structs of size stride whose integer field at offset is
 * sorted, and the key sought (see ut_lower_bound_u32/_u64). */
struct ut_field_probe {
    const unsigned char *base;
    size_t stride, offset;
    uint64_t key;
};

static inline bool ut_u32_below(const void *ctx, size_t i)
{
    const struct ut_field_probe *p = ctx;
    uint32_t v;

    memcpy(&v, p->base + i * p->stride + p->offset, sizeof v);
    return v < p->key;
}

static inline bool ut_u64_below(const void *ctx, size_t i)
{
    const struct ut_field_probe *p = ctx;
    uint64_t v;

    memcpy(&v, p->base + i * p->stride + p->offset, sizeof v);
    return v < p->key;
}

/* The first of n structs at base (stride bytes apart) whose uint32_t
 * field at offset is >= key, or n. */
static inline size_t ut_lower_bound_u32(const void *base, size_t n,
                                        size_t stride, size_t offset,
                                        uint32_t key)
{
    struct ut_field_probe p = {base, stride, offset, key};
    return ut_lower_bound(n, ut_u32_below, &p);
}

/* The same for a uint64_t field. */
static inline size_t ut_lower_bound_u64(const void *base, size_t n,
                                        size_t stride, size_t offset,
                                        uint64_t key)
{
    struct ut_field_probe p = {base, stride, offset, key};
    return ut_lower_bound(n, ut_u64_below, &p);
}

#endif
