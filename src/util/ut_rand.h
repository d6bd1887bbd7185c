/* ut_rand.h -- splitmix64, the tree's one seedable PRNG step.
 *
 * Every seeded sequence in the tree (view managers' seeding, groupcast
 * engines, Jingle sids, the simulator, fuzz mutations, benchmarks) is
 * drawn from this function, so a seed reproduces a run everywhere.  It
 * is Vigna's splitmix64; tests/unit/test_ut.c pins its first outputs. */
#ifndef SRC_UTIL_UT_RAND_H
#define SRC_UTIL_UT_RAND_H

#include <stdint.h>

/* Advances *state and returns the next 64 random bits.  Any state,
 * zero included, is a valid seed. */
static inline uint64_t ut_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A double uniform in [0, 1): the top 53 bits of the next draw. */
static inline double ut_splitmix64_unit(uint64_t *state)
{
    return (double)(ut_splitmix64(state) >> 11) / 9007199254740992.0;
}

#endif
