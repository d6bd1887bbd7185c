/* sim_segments.c -- segment detection in rounds, with thousands of
 * members in k true segments.  The network is an oracle: a probe
 * succeeds when asker and target are in the same true segment.  One
 * round is one detection period: xm_seg_tick, then the answers to the
 * probes it sent (lost with probability `loss`: the probe times out;
 * reported false with probability `lie` although connected).  Churn
 * takes 12.5% of the members offline and back in alternating phases
 * (30 s each at a 2 s period, as in the paper); a returning member joins
 * a fresh segment of its own.
 *
 * Checked: detected segments are always pure (a merge needs a real
 * success, so no segment mixes true segments), and detection converges
 * (one detected segment per true segment) within a number of rounds
 * asserted per scenario; the measured rounds are printed.  SIM_SEED=<n>
 * reproduces a run (the seed is printed). */
#include "config.h"
#include "../seed.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vm.h"
#include "xm_segments.h"
#include "ut_rand.h"

#define PERIOD 2000

struct probe {
    uint32_t id;
    vm_id asker, target;
};

struct sim {
    uint32_t n, k;
    double loss, lie;
    uint64_t rng;
    vm *v;
    xm_segments *d;
    bool *present;
    struct probe *q; /* probes sent this round */
    size_t nq, capq;
};

static uint64_t seed;

static void pick_seed(void)
{
    seed = ob_test_seed("SIM_SEED");
}

TestSuite(sim_segments, .init = pick_seed, .timeout = 480);

static double uniform(struct sim *s)
{
    return ut_splitmix64_unit(&s->rng);
}

static int on_probe(void *ctx, uint32_t id, vm_id asker, vm_id target)
{
    struct sim *s = ctx;

    if (s->nq == s->capq) {
        s->capq = s->capq ? 2 * s->capq : 256;
        cr_assert_not_null(s->q = realloc(s->q, s->capq * sizeof *s->q));
    }
    s->q[s->nq++] = (struct probe){id, asker, target};
    return 0;
}

static void join(struct sim *s, vm_id id)
{
    vm_params p = {.segment = xm_seg_fresh(s->d)};

    cr_assert_eq(vm_join(s->v, id, &p), VM_OK);
    s->present[id] = true;
}

static void leave(struct sim *s, vm_id id)
{
    xm_seg_forget(s->d, id);
    cr_assert_eq(vm_leave(s->v, id), VM_OK);
    s->present[id] = false;
}

static void sim_init(struct sim *s, uint32_t n, uint32_t k,
                     const struct xm_seg_config *over)
{
    struct xm_seg_config c = *over;

    s->n = n;
    s->k = k;
    s->rng = seed;
    c.period_ms = PERIOD;
    c.timeout_ms = 2 * PERIOD;
    c.seed = seed ^ 0x5e95;
    c.send = on_probe;
    c.ctx = s;
    cr_assert_eq(vm_tapbcast_new(NULL, &s->v), VM_OK);
    cr_assert_eq(xm_seg_new(&c, s->v, &s->d), XM_SEG_OK);
    cr_assert_not_null(s->d);
    cr_assert_not_null(s->present = calloc(n, sizeof *s->present));
    for (vm_id i = 0; i < n; i++)
        join(s, i);
}

static void sim_fini(struct sim *s)
{
    xm_seg_free(s->d);
    vm_free(s->v);
    free(s->present);
    free(s->q);
}

static uint32_t truth(const struct sim *s, vm_id id)
{
    return id % s->k;
}

/* One round: tick, then the network answers. */
static void round_run(struct sim *s, uint64_t r)
{
    s->nq = 0;
    xm_seg_tick(s->d, r * PERIOD);
    for (size_t i = 0; i < s->nq; i++) {
        const struct probe *p = &s->q[i];
        bool ok = truth(s, p->asker) == truth(s, p->target);
        if (uniform(s) < s->loss)
            continue;
        if (ok && uniform(s) < s->lie)
            ok = false;
        xm_seg_answer(s->d, p->id, p->asker, ok, r * PERIOD + PERIOD / 2);
    }
}

struct purity {
    const struct sim *s;
    uint32_t first; /* true segment of the first member, or UINT32_MAX */
    bool pure;
};

static int check_member(void *ctx, vm_id id)
{
    struct purity *p = ctx;

    if (p->first == UINT32_MAX)
        p->first = truth(p->s, id);
    else if (truth(p->s, id) != p->first)
        p->pure = false;
    return 0;
}

static int check_rep(void *ctx, vm_id rep)
{
    struct purity *p = ctx;
    struct purity q = {p->s, UINT32_MAX, true};
    uint32_t seg;

    cr_assert_eq(vm_tapbcast_segment(p->s->v, rep, &seg), VM_OK);
    vm_tapbcast_segment_each(p->s->v, seg, check_member, &q);
    p->pure &= q.pure;
    return 0;
}

/* Asserts purity; returns whether detection equals the truth. */
static bool converged(const struct sim *s)
{
    struct purity p = {s, 0, true};
    bool seen[64] = {false};
    uint32_t live = 0;

    vm_tapbcast_ring_each(s->v, check_rep, &p);
    cr_assert(p.pure, "a segment mixes true segments (seed %llu)",
              (unsigned long long)seed);
    for (vm_id i = 0; i < s->n; i++)
        if (s->present[i] && !seen[truth(s, i)])
            seen[truth(s, i)] = true, live++;
    return vm_tapbcast_segments(s->v) == live;
}

/* Rounds until detection equals the truth (asserted <= limit). */
static uint64_t converge(struct sim *s, uint64_t from, uint64_t limit,
                         const char *what)
{
    uint64_t r = from;

    while (!converged(s)) {
        cr_assert_lt(r - from, limit,
                     "%s: not converged in %llu rounds "
                     "(%zu segments; seed %llu)",
                     what, (unsigned long long)limit,
                     vm_tapbcast_segments(s->v), (unsigned long long)seed);
        round_run(s, r++);
    }
    fprintf(stderr, "sim_segments: %s: n=%u k=%u converged in %llu rounds\n",
            what, s->n, s->k, (unsigned long long)(r - from));
    return r;
}

/* The bound we assert: c * k * log2(n) rounds. */
static uint64_t bound(uint32_t n, uint32_t k, double c)
{
    return (uint64_t)(c * k * log2((double)n)) + 1;
}

Test(sim_segments, static_1000_in_8)
{
    struct sim s = {0};
    struct xm_seg_config c = {.max_inflight = 4096, .verify_every = 0};

    sim_init(&s, 1000, 8, &c);
    converge(&s, 0, bound(1000, 8, 1.0), "static");
    sim_fini(&s);
}

Test(sim_segments, static_10000_in_16)
{
    struct sim s = {0};
    struct xm_seg_config c = {.max_inflight = 4096, .verify_every = 0};

    sim_init(&s, 10000, 16, &c);
    converge(&s, 0, bound(10000, 16, 1.0), "static");
    sim_fini(&s);
}

/* 1%, 5% and 20% of the probes lost, 5% of the connected ones reported
 * as failures (so verification splits members off, and they merge back). */
Test(sim_segments, lost_and_false_answers)
{
    static const double loss[] = {0.01, 0.05, 0.20};

    for (size_t i = 0; i < sizeof loss / sizeof *loss; i++) {
        struct sim s = {0};
        struct xm_seg_config c = {
            .max_inflight = 4096, .verify_every = 4, .backoff_ms = 10 * PERIOD};
        char what[64];

        sim_init(&s, 1000, 8, &c);
        s.loss = loss[i];
        s.lie = 0.05;
        snprintf(what, sizeof what, "%.0f%% lost, 5%% false", 100 * loss[i]);
        converge(&s, 0, bound(1000, 8, 2.0), what);
        sim_fini(&s);
    }
}

/* A few probes at a time: the server's cost per period is bounded, so
 * convergence takes about n * k / max_inflight rounds. */
Test(sim_segments, bounded_probes)
{
    struct sim s = {0};
    struct xm_seg_config c = {.max_inflight = 32, .verify_every = 0};

    sim_init(&s, 1000, 4, &c);
    converge(&s, 0, 1000 * 4 / 32 * 2, "32 probes in flight");
    sim_fini(&s);
}

/* Every member gives its true segment as a hint: the hinted probes go
 * first, so with 32 probes a round detection takes about n / 32 rounds
 * instead of n k / 32. */
Test(sim_segments, hints)
{
    struct sim s = {0};
    struct xm_seg_config c = {.max_inflight = 32, .verify_every = 0};

    sim_init(&s, 1000, 8, &c);
    for (vm_id i = 0; i < s.n; i++)
        xm_seg_hint(s.d, i, truth(&s, i) + 1);
    converge(&s, 0, 2 * 1000 / 32, "32 probes in flight, true hints");
    sim_fini(&s);
}

/* 12.5% of the members alternate 15 rounds offline and 15 online while
 * 5% of the probes are lost; detection stays pure throughout, and once
 * the churn stops it converges within the static bound. */
Test(sim_segments, churn)
{
    struct sim s = {0};
    struct xm_seg_config c = {
        .max_inflight = 4096, .verify_every = 4, .backoff_ms = 10 * PERIOD};
    uint32_t volatile_n = 1000 / 8;
    uint64_t r;

    sim_init(&s, 1000, 8, &c);
    s.loss = 0.05;
    for (r = 0; r < 120; r++) {
        if (r % 15 == 0)
            for (vm_id i = 0; i < volatile_n; i++)
                (r / 15) % 2 == 0 ? leave(&s, i) : join(&s, i);
        round_run(&s, r);
        converged(&s); /* purity */
    }
    converge(&s, r, bound(1000, 8, 1.0), "after churn");
    sim_fini(&s);
}
