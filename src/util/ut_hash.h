/* ut_hash.h -- FNV-1a, the tree's one string hash, in the two widths it
 * uses (32 bits for in-memory tables, 64 bits for the e2e peer table).
 * The values are the published FNV-1a ones: tests/unit/test_ut.c checks
 * them against the reference vectors, since hashes are compared across
 * modules and must not drift. */
#ifndef SRC_UTIL_UT_HASH_H
#define SRC_UTIL_UT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define UT_FNV32_BASIS 2166136261u
#define UT_FNV32_PRIME 16777619u
#define UT_FNV64_BASIS 14695981039346656037ull
#define UT_FNV64_PRIME 1099511628211ull

/* FNV-1a over n bytes at p. */
static inline uint32_t ut_fnv1a32(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint32_t h = UT_FNV32_BASIS;

    while (n--)
        h = (h ^ *s++) * UT_FNV32_PRIME;
    return h;
}

/* FNV-1a over a NUL-terminated string (the NUL excluded). */
static inline uint32_t ut_fnv1a32_str(const char *s)
{
    uint32_t h = UT_FNV32_BASIS;

    while (*s)
        h = (h ^ (unsigned char)*s++) * UT_FNV32_PRIME;
    return h;
}

/* 64-bit FNV-1a over n bytes at p. */
static inline uint64_t ut_fnv1a64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = UT_FNV64_BASIS;

    while (n--)
        h = (h ^ *s++) * UT_FNV64_PRIME;
    return h;
}

#endif
