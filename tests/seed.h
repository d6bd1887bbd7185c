/* seed.h -- the seed of a test's randomness, picked the same way by
 * every test that draws one: the test's own variable when it is set
 * (VM_SEED, SIM_SEED, E2E_SEED, ...), else OB_SEED, else a fixed seed
 * under CI (the environment variable CI set, as CI services do, to
 * anything but "false" or "0"), else one from the clock (or always the
 * test's fixed seed, for the tests that ask for ob_fixed_seed).  The seed is
 * always printed, with the variable that replays it, so that a failure
 * seen once can be run again.
 *
 * Header only (one small function), included by relative path, so that
 * the unit tests and the simulator share it without a library. */
#ifndef TESTS_SEED_H
#define TESTS_SEED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The seed CI runs use when neither the test's variable nor OB_SEED is
 * set. */
#define OB_SEED_CI 20260613u

static inline int ob_seed_in_ci(void)
{
    const char *ci = getenv("CI");

    return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

/* The seed: the test's variable `var` (decimal or 0x hex), else OB_SEED,
 * else `fixed` under CI or when `clock_ok` is false, else the clock.
 * Prints "var=<seed> (<where it came from>)" on stderr. */
static inline uint64_t ob_seed_pick(const char *var, uint64_t fixed,
                                    int clock_ok)
{
    const char *e = getenv(var), *from = var;
    uint64_t seed;

    if (!e) {
        e = getenv("OB_SEED");
        from = "OB_SEED";
    }
    if (e)
        seed = strtoull(e, NULL, 0);
    else if (!clock_ok || ob_seed_in_ci()) {
        seed = fixed;
        from = clock_ok ? "fixed under CI" : "fixed";
    } else {
        seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
        from = "clock";
    }
    fprintf(stderr, "%s=%llu (%s)\n", var, (unsigned long long)seed, from);
    return seed;
}

/* A new seed each run outside CI (OB_SEED_CI under CI). */
static inline uint64_t ob_test_seed(const char *var)
{
    return ob_seed_pick(var, OB_SEED_CI, 1);
}

/* Always `fixed` unless var or OB_SEED says otherwise: for tests whose
 * bounds were measured on one schedule. */
static inline uint64_t ob_fixed_seed(const char *var, uint64_t fixed)
{
    return ob_seed_pick(var, fixed, 0);
}

#endif
