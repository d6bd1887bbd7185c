/* ut_index.h -- an open-addressing index over a dense array the caller
 * owns: the one hash-table scheme of xm_stats and e2e_policy.
 *
 * The buckets (cap of them, a power of two, allocated by the caller so
 * that its allocator is used) hold a dense index + 1, 0 when empty.  A
 * key's probe starts at its hash's low bits and walks linearly; removal
 * shifts the rest of the probe run back, so there are no tombstones.
 * The caller keeps each entry's hash and answers two questions:
 * hash_of(ctx, i), the hash of entry i, and same(ctx, i, key), whether
 * entry i has the key sought.  It also keeps the load at most one half
 * (or any bound below one), so that a probe always meets an empty
 * bucket.  Inline: the callbacks fold away with static functions. */
#ifndef SRC_UTIL_UT_INDEX_H
#define SRC_UTIL_UT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t (*ut_index_hash_fn)(const void *ctx, uint32_t i);
typedef bool (*ut_index_same_fn)(const void *ctx, uint32_t i, const void *key);

/* The bucket holding key (whose hash is h), or the empty bucket where it
 * would go. */
static inline size_t ut_index_find(const uint32_t *b, size_t cap, uint64_t h,
                                   ut_index_same_fn same, const void *ctx,
                                   const void *key)
{
    size_t mask = cap - 1;

    for (size_t i = h & mask;; i = (i + 1) & mask)
        if (!b[i] || same(ctx, b[i] - 1, key))
            return i;
}

/* Files entry i (hash h, not in the index yet) in its first empty bucket. */
static inline void ut_index_put(uint32_t *b, size_t cap, uint64_t h, uint32_t i)
{
    size_t mask = cap - 1, at = h & mask;

    while (b[at])
        at = (at + 1) & mask;
    b[at] = i + 1;
}

/* Empties b and files entries 0 .. n - 1 in it. */
static inline void ut_index_fill(uint32_t *b, size_t cap, uint32_t n,
                                 ut_index_hash_fn hash_of, const void *ctx)
{
    memset(b, 0, cap * sizeof *b);
    for (uint32_t i = 0; i < n; i++)
        ut_index_put(b, cap, hash_of(ctx, i), i);
}

/* Empties bucket at, shifting back the later entries of its probe run
 * (an entry moves when its home is not cyclically in (at, j]). */
static inline void ut_index_remove(uint32_t *b, size_t cap, size_t at,
                                   ut_index_hash_fn hash_of, const void *ctx)
{
    size_t mask = cap - 1;

    b[at] = 0;
    for (size_t j = (at + 1) & mask; b[j]; j = (j + 1) & mask) {
        size_t home = hash_of(ctx, b[j] - 1) & mask;
        if (((j - home) & mask) >= ((j - at) & mask)) {
            b[at] = b[j];
            b[j] = 0;
            at = j;
        }
    }
}

#endif
