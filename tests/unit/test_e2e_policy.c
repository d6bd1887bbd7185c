/* test_e2e_policy.c -- the direct-session policy, rule by rule, with exact
 * numbers: aging, the nominal list (order, ties, minimum, limit,
 * hysteresis), greylist durations from the sigmoid, penalty, accept and
 * displacement, pins, pending timeouts, the peer-table cap, and allocation
 * failures (every allocation of a script failed in turn); then seeded
 * random operation sequences checked against a shadow model of states
 * and greylists (E2E_POLICY_SEED=<n> reproduces one). */
#include "../seed.h"
#include "e2e_policy.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a recording act callback ---- */

#define MAX_ACTS 64

struct rec {
    int n;
    enum e2e_policy_action a[MAX_ACTS];
    char peer[MAX_ACTS][64];
    e2e_policy *self; /* when set, the callback tries to re-enter */
    int reentry_rc;
};

static void record(void *ud, enum e2e_policy_action a, const char *peer)
{
    struct rec *r = ud;
    if (r->self)
        r->reentry_rc = e2e_policy_round(r->self, 0);
    cr_assert_lt(r->n, MAX_ACTS);
    r->a[r->n] = a;
    snprintf(r->peer[r->n], sizeof r->peer[0], "%s", peer);
    r->n++;
}

static struct e2e_policy_params params(int limit)
{
    struct e2e_policy_params q;
    e2e_policy_defaults(&q);
    q.limit = limit;
    q.min_priority = 100;
    return q;
}

static e2e_policy *make(const struct e2e_policy_params *q, struct rec *r)
{
    e2e_policy *p = NULL;
    memset(r, 0, sizeof *r);
    cr_assert_eq(e2e_policy_new(q, record, r, &p), E2E_POLICY_OK);
    return p;
}

/* A policy with the defaults, min_priority 100 and the given limit. */
static e2e_policy *make_limit(int limit, struct rec *r)
{
    struct e2e_policy_params q = params(limit);
    return make(&q, r);
}

static void expect(const struct rec *r, int i, enum e2e_policy_action a,
                   const char *peer)
{
    cr_assert_gt(r->n, i, "action %d missing", i);
    cr_assert_eq(r->a[i], a, "action %d: %d", i, r->a[i]);
    cr_assert_str_eq(r->peer[i], peer, "action %d", i);
}

/* Samples, runs a round at now and opens every OPEN it asked for. */
static int round_open_all(e2e_policy *p, struct rec *r, uint64_t now)
{
    r->n = 0;
    int n = e2e_policy_round(p, now);
    for (int i = 0; i < r->n; i++)
        if (r->a[i] == E2E_POLICY_OPEN)
            cr_assert_eq(e2e_policy_opened(p, r->peer[i], false, now), 0);
    return n;
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(e2e_policy, .timeout = 300);

/* ---- parameters ---- */

Test(e2e_policy, defaults_and_bad_params)
{
    struct e2e_policy_params q;
    e2e_policy_defaults(&q);
    cr_assert_eq(q.limit, 8);
    cr_assert_float_eq(q.aging, 0.5, 0);
    cr_assert_eq(q.round_ms, 1000);
    cr_assert_float_eq(q.penalty, 0.1, 0);
    cr_assert_float_eq(q.min_priority, 8192, 0);
    cr_assert_eq(q.grey_max_ms, 60000);
    cr_assert_float_eq(q.hysteresis, 1.5, 0);
    cr_assert_eq(q.max_peers, 4096);

    e2e_policy *p = NULL;
    struct rec r;
    cr_assert_eq(e2e_policy_new(NULL, record, &r, &p), 0);
    cr_assert_eq(e2e_policy_params(p)->limit, 8);
    e2e_policy_free(p);
    cr_assert_eq(e2e_policy_new(NULL, NULL, &r, &p), E2E_POLICY_EINVAL);

    struct e2e_policy_params bad[9];
    for (int i = 0; i < 9; i++)
        bad[i] = q;
    bad[0].limit = 0;
    bad[1].aging = 1;
    bad[2].aging = 0;
    bad[3].penalty = 1.5;
    bad[4].hysteresis = 0.9;
    bad[5].max_peers = 7;
    bad[6].grey_steep = 0;
    bad[7].round_ms = 0;
    bad[8].grey_max_ms = (1ull << 52) + 1;
    for (int i = 0; i < 9; i++)
        cr_assert_eq(e2e_policy_new(&bad[i], record, &r, &p), E2E_POLICY_EINVAL,
                     "case %d", i);
    cr_assert_str_eq(e2e_policy_strerror(E2E_POLICY_ELIMIT),
                     "session limit reached");
    cr_assert_str_eq(e2e_policy_strerror(42), "unknown error");
}

Test(e2e_policy, bad_jids)
{
    struct rec r;
    e2e_policy *p = make(NULL, &r);
    char *longjid = malloc(E2E_POLICY_MAX_JID + 2);
    memset(longjid, 'a', E2E_POLICY_MAX_JID + 1);
    longjid[E2E_POLICY_MAX_JID + 1] = 0;
    cr_assert_eq(e2e_policy_sample(p, NULL, 1), E2E_POLICY_EINVAL);
    cr_assert_eq(e2e_policy_sample(p, "", 1), E2E_POLICY_EINVAL);
    cr_assert_eq(e2e_policy_sample(p, longjid, 1), E2E_POLICY_EINVAL);
    longjid[E2E_POLICY_MAX_JID] = 0; /* exactly the maximum */
    cr_assert_eq(e2e_policy_sample(p, longjid, 1), 0);
    cr_assert_not(e2e_policy_accept(p, "", 0));
    cr_assert_eq(e2e_policy_closed(p, NULL, 0), E2E_POLICY_EINVAL);
    cr_assert_eq(e2e_policy_peers(p), 1);
    free(longjid);
    e2e_policy_free(p);
}

/* ---- priorities ---- */

Test(e2e_policy, aging_is_exact)
{
    struct e2e_policy_params q = params(8);
    q.min_priority = 1e12; /* no actions */
    struct rec r;
    e2e_policy *p = make(&q, &r);
    cr_assert_eq(e2e_policy_sample(p, "a@x/r", 600), 0);
    cr_assert_eq(e2e_policy_sample(p, "a@x/r", 400), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 0, 0,
                       "sampled bytes count from the next round");
    cr_assert_eq(e2e_policy_round(p, 1000), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 1000, 0);
    cr_assert_eq(e2e_policy_round(p, 2000), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 500, 0);
    cr_assert_eq(e2e_policy_sample(p, "a@x/r", 200), 0);
    cr_assert_eq(e2e_policy_round(p, 3000), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 450, 0);
    /* steady 1000 bytes a round converges to 1000 / (1 - 0.5) */
    for (int i = 0; i < 60; i++) {
        e2e_policy_sample(p, "a@x/r", 1000);
        e2e_policy_round(p, 4000 + 1000 * (uint64_t)i);
    }
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 2000, 1e-9);
    e2e_policy_free(p);
}

Test(e2e_policy, forget_faded_peers)
{
    struct e2e_policy_params q = params(8);
    q.min_priority = 1e12;
    struct rec r;
    e2e_policy *p = make(&q, &r);
    e2e_policy_sample(p, "a@x/r", 1024);
    e2e_policy_sample(p, "b@x/r", 1024);
    e2e_policy_round(p, 0);
    for (int i = 0; i < 3; i++) /* three failures: grey until 30000 */
        cr_assert_eq(e2e_policy_failed(p, "b@x/r", 0), 0);
    /* 1024 * 0.5^k falls below forget_below (64) at k = 5 */
    for (uint64_t t = 1; t <= 4; t++)
        e2e_policy_round(p, t * 1000);
    cr_assert_eq(e2e_policy_peers(p), 2);
    e2e_policy_round(p, 5000);
    cr_assert_eq(e2e_policy_peers(p), 1, "a forgotten, grey b kept");
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 0, 0);
    e2e_policy_round(p, 29999);
    cr_assert_eq(e2e_policy_peers(p), 1);
    e2e_policy_round(p, 30000);
    cr_assert_eq(e2e_policy_peers(p), 0);
    e2e_policy_free(p);
}

/* ---- the nominal list ---- */

Test(e2e_policy, nominal_order_ties_minimum)
{
    struct rec r;
    e2e_policy *p = make_limit(3, &r);
    e2e_policy_sample(p, "d@x/r", 200);
    e2e_policy_sample(p, "c@x/r", 300);
    e2e_policy_sample(p, "b@x/r", 300);
    e2e_policy_sample(p, "a@x/r", 400);
    e2e_policy_sample(p, "e@x/r", 99); /* below min_priority 100 */
    cr_assert_eq(e2e_policy_round(p, 0), 3);
    expect(&r, 0, E2E_POLICY_OPEN, "a@x/r");
    expect(&r, 1, E2E_POLICY_OPEN, "b@x/r"); /* tie: JID order */
    expect(&r, 2, E2E_POLICY_OPEN, "c@x/r");
    cr_assert_eq(e2e_policy_pending(p), 3);
    cr_assert_eq(e2e_policy_sessions(p), 0);
    r.n = 0;
    cr_assert_eq(e2e_policy_round(p, 1000), 0, "pending opens hold slots");
    e2e_policy_free(p);
}

Test(e2e_policy, limit_and_minimum_with_room)
{
    struct rec r;
    e2e_policy *p = make_limit(8, &r);
    e2e_policy_sample(p, "a@x/r", 100); /* exactly the minimum: wanted */
    e2e_policy_sample(p, "b@x/r", 99);
    cr_assert_eq(round_open_all(p, &r, 0), 1);
    expect(&r, 0, E2E_POLICY_OPEN, "a@x/r");
    cr_assert_eq(e2e_policy_sessions(p), 1);
    cr_assert_eq(e2e_policy_pending(p), 0);
    /* a held session stays while p * hysteresis >= min: 50 * 1.5 < 100 */
    cr_assert_eq(round_open_all(p, &r, 1000), 1);
    expect(&r, 0, E2E_POLICY_CLOSE, "a@x/r");
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 5, 1e-12,
                       "50 after aging, then the penalty 0.1");
    cr_assert_eq(e2e_policy_sessions(p), 0);
    e2e_policy_free(p);
}

Test(e2e_policy, pinned_peers_qualify_without_traffic)
{
    struct rec r;
    e2e_policy *p = make_limit(3, &r);
    cr_assert_eq(e2e_policy_pin(p, "t@x/r"), 0);
    cr_assert_eq(e2e_policy_pin(p, "u@x/r"), 0);
    cr_assert_eq(e2e_policy_pin(p, "u@x/r"), 0); /* two rooms */
    e2e_policy_sample(p, "big@x/r", 150);        /* 150 > 100 + 30 */
    e2e_policy_sample(p, "u@x/r", 30);
    cr_assert_eq(round_open_all(p, &r, 0), 3);
    expect(&r, 0, E2E_POLICY_OPEN, "big@x/r"); /* 150: traffic */
    expect(&r, 1, E2E_POLICY_OPEN, "u@x/r");   /* 130: pin + traffic */
    expect(&r, 2, E2E_POLICY_OPEN, "t@x/r");   /* 100: the pin alone */
    /* idle for rounds on end: big's session closes and big is forgotten;
     * a pin never fades */
    r.n = 0;
    for (uint64_t t = 1; t <= 20; t++)
        round_open_all(p, &r, t * 1000);
    cr_assert_eq(e2e_policy_sessions(p), 2);
    cr_assert_eq(e2e_policy_peers(p), 2, "big faded and was forgotten");
    /* one unpin of u leaves it pinned once; t unpinned closes */
    cr_assert_eq(e2e_policy_unpin(p, "u@x/r"), 0);
    cr_assert_eq(e2e_policy_unpin(p, "t@x/r"), 0);
    cr_assert_eq(e2e_policy_unpin(p, "t@x/r"), 0, "not pinned: a no-op");
    cr_assert_eq(e2e_policy_unpin(p, "nobody@x/r"), 0);
    cr_assert_eq(round_open_all(p, &r, 21000), 1);
    expect(&r, 0, E2E_POLICY_CLOSE, "t@x/r");
    cr_assert_eq(e2e_policy_sessions(p), 1);
    cr_assert_eq(e2e_policy_pin(p, ""), E2E_POLICY_EINVAL);
    e2e_policy_free(p);
}

Test(e2e_policy, pinned_peers_are_greylisted_like_others)
{
    struct rec r;
    e2e_policy *p = make_limit(4, &r);
    cr_assert_eq(e2e_policy_pin(p, "far@x/r"), 0);
    r.n = 0;
    cr_assert_eq(e2e_policy_round(p, 0), 1);
    expect(&r, 0, E2E_POLICY_OPEN, "far@x/r");
    cr_assert_eq(e2e_policy_failed(p, "far@x/r", 0), 0);
    cr_assert(e2e_policy_greylisted(p, "far@x/r", 1));
    r.n = 0;
    cr_assert_eq(e2e_policy_round(p, 1000), 0, "greylisted: not retried");
    r.n = 0;
    cr_assert_eq(e2e_policy_round(p, e2e_policy_grey_ms(p, 1)), 1,
                 "retried once its greylist expires");
    e2e_policy_free(p);
}

Test(e2e_policy, hysteresis_and_penalty)
{
    struct rec r;
    e2e_policy *p = make_limit(1, &r); /* aging 0.5 */
    e2e_policy_sample(p, "a@x/r", 1000);
    cr_assert_eq(round_open_all(p, &r, 0), 1);
    /* a: 500 + 500 = 1000, score 1500; b: 1499 does not displace it */
    e2e_policy_sample(p, "a@x/r", 500);
    e2e_policy_sample(p, "b@x/r", 1499);
    cr_assert_eq(round_open_all(p, &r, 1000), 0);
    cr_assert_eq(e2e_policy_sessions(p), 1);
    /* a: 500 + 500 = 1000 (1500); b: 749.5 + 751 = 1500.5 displaces it */
    e2e_policy_sample(p, "a@x/r", 500);
    e2e_policy_sample(p, "b@x/r", 751);
    cr_assert_eq(round_open_all(p, &r, 2000), 2);
    expect(&r, 0, E2E_POLICY_CLOSE, "a@x/r");
    expect(&r, 1, E2E_POLICY_OPEN, "b@x/r");
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 100, 1e-9,
                       "1000 times the penalty 0.1");
    cr_assert_eq(e2e_policy_sessions(p), 1);
    /* a closed session reported again is a no-op; b closed: penalty */
    cr_assert_eq(e2e_policy_closed(p, "a@x/r", 2000), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 100, 1e-9);
    cr_assert_eq(e2e_policy_closed(p, "b@x/r", 2000), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "b@x/r"), 150.05, 1e-9);
    cr_assert_eq(e2e_policy_sessions(p), 0);
    e2e_policy_free(p);
}

Test(e2e_policy, incoming_sessions_are_not_closed_by_rounds)
{
    struct rec r;
    e2e_policy *p = make_limit(2, &r);
    cr_assert(e2e_policy_accept(p, "in@x/r", 0));
    cr_assert_eq(e2e_policy_opened(p, "in@x/r", true, 0), 0);
    e2e_policy_sample(p, "a@x/r", 5000);
    e2e_policy_sample(p, "b@x/r", 4000);
    cr_assert_eq(round_open_all(p, &r, 0), 1, "one slot left");
    expect(&r, 0, E2E_POLICY_OPEN, "a@x/r");
    cr_assert_eq(e2e_policy_sessions(p), 2);
    cr_assert_eq(e2e_policy_opened(p, "c@x/r", true, 0), E2E_POLICY_ELIMIT);
    cr_assert_eq(e2e_policy_sessions(p), 2);
    e2e_policy_free(p);
}

Test(e2e_policy, outcomes_without_a_request)
{
    struct rec r;
    e2e_policy *p = make_limit(2, &r);
    /* an opened() nobody asked for takes a free slot */
    cr_assert_eq(e2e_policy_opened(p, "a@x/r", false, 0), 0);
    cr_assert_eq(e2e_policy_opened(p, "a@x/r", false, 0), 0, "idempotent");
    cr_assert_eq(e2e_policy_sessions(p), 1);
    /* failed() on a held session closes it (penalty) and greylists */
    e2e_policy_sample(p, "a@x/r", 1000);
    cr_assert_eq(e2e_policy_round(p, 0), 0);
    cr_assert_eq(e2e_policy_failed(p, "a@x/r", 0), 0);
    cr_assert_eq(e2e_policy_sessions(p), 0);
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 100, 1e-9);
    cr_assert(e2e_policy_greylisted(p, "a@x/r", 2845));
    /* samples saturate instead of wrapping */
    cr_assert_eq(e2e_policy_sample(p, "b@x/r", SIZE_MAX), 0);
    cr_assert_eq(e2e_policy_sample(p, "b@x/r", SIZE_MAX), 0);
    cr_assert_eq(e2e_policy_round(p, 1000), 1);
    cr_assert_float_eq(e2e_policy_priority(p, "b@x/r"), (double)UINT64_MAX,
                       1e-6 * (double)UINT64_MAX);
    e2e_policy_free(p);
}

/* ---- greylisting ---- */

Test(e2e_policy, greylist_sigmoid_durations)
{
    static const uint64_t want[] = {0,     2846,  10946, 30000,
                                    49054, 57154, 59341, 59852};
    struct rec r;
    e2e_policy *p = make(NULL, &r);
    for (unsigned f = 0; f < sizeof want / sizeof *want; f++)
        cr_assert_eq(e2e_policy_grey_ms(p, f), want[f], "f=%u", f);
    uint64_t t = 1000;
    for (unsigned f = 1; f < sizeof want / sizeof *want; f++) {
        cr_assert_eq(e2e_policy_failed(p, "a@x/r", t), 0);
        cr_assert(e2e_policy_greylisted(p, "a@x/r", t + want[f] - 1));
        cr_assert_not(e2e_policy_greylisted(p, "a@x/r", t + want[f]),
                      "f=%u: grey until exactly %llu ms later", f,
                      (unsigned long long)want[f]);
        t += want[f];
    }
    /* a success resets the count */
    cr_assert_eq(e2e_policy_opened(p, "a@x/r", false, t), 0);
    cr_assert_eq(e2e_policy_closed(p, "a@x/r", t), 0);
    cr_assert_eq(e2e_policy_failed(p, "a@x/r", t), 0);
    cr_assert_not(e2e_policy_greylisted(p, "a@x/r", t + 2846));
    cr_assert(e2e_policy_greylisted(p, "a@x/r", t + 2845));
    e2e_policy_free(p);
}

Test(e2e_policy, greylisted_peer_is_not_opened_until_expiry)
{
    struct rec r;
    e2e_policy *p = make_limit(4, &r);
    e2e_policy_sample(p, "a@x/r", 10000);
    cr_assert_eq(e2e_policy_round(p, 0), 1);
    cr_assert_eq(e2e_policy_failed(p, "a@x/r", 500), 0); /* until 3346 */
    cr_assert_eq(e2e_policy_pending(p), 0);
    for (uint64_t t = 1000; t <= 3000; t += 1000) {
        r.n = 0;
        e2e_policy_sample(p, "a@x/r", 10000);
        cr_assert_eq(e2e_policy_round(p, t), 0, "t=%llu",
                     (unsigned long long)t);
    }
    r.n = 0;
    cr_assert_eq(e2e_policy_round(p, 3345), 0);
    cr_assert_eq(e2e_policy_round(p, 3346), 1);
    expect(&r, 0, E2E_POLICY_OPEN, "a@x/r");
    e2e_policy_free(p);
}

Test(e2e_policy, pending_open_times_out)
{
    struct rec r;
    e2e_policy *p = make_limit(4, &r);
    e2e_policy_sample(p, "a@x/r", 10000);
    cr_assert_eq(e2e_policy_round(p, 0), 1);
    cr_assert_eq(e2e_policy_round(p, 29999), 0);
    cr_assert_eq(e2e_policy_pending(p), 1);
    cr_assert_eq(e2e_policy_round(p, 30000), 0, "timed out, greylisted");
    cr_assert_eq(e2e_policy_pending(p), 0);
    cr_assert(e2e_policy_greylisted(p, "a@x/r", 30000 + 2845));
    cr_assert_not(e2e_policy_greylisted(p, "a@x/r", 30000 + 2846));
    e2e_policy_free(p);
}

/* ---- accept and displacement ---- */

Test(e2e_policy, accept_below_limit_and_simultaneous_open)
{
    struct rec r;
    e2e_policy *p = make_limit(2, &r);
    e2e_policy_sample(p, "a@x/r", 1000);
    cr_assert_eq(e2e_policy_round(p, 0), 1);     /* a pending out */
    cr_assert(e2e_policy_accept(p, "a@x/r", 0)); /* glare: same slot */
    cr_assert_eq(e2e_policy_pending(p), 1);
    cr_assert(e2e_policy_accept(p, "b@x/r", 0)); /* the second slot */
    cr_assert_eq(e2e_policy_pending(p), 2);
    cr_assert_not(e2e_policy_accept(p, "c@x/r", 0), "full, nothing held");
    cr_assert_eq(e2e_policy_opened(p, "a@x/r", true, 0), 0);
    cr_assert_eq(e2e_policy_failed(p, "b@x/r", 0), 0);
    cr_assert_eq(e2e_policy_sessions(p), 1);
    cr_assert_eq(e2e_policy_pending(p), 0);
    cr_assert(e2e_policy_accept(p, "a@x/r", 0), "already held");
    cr_assert_eq(e2e_policy_sessions(p), 1);
    cr_assert_eq(r.n, 1);
    e2e_policy_free(p);
}

Test(e2e_policy, accept_displaces_only_when_not_lower)
{
    struct rec r;
    e2e_policy *p = make_limit(2, &r);
    e2e_policy_sample(p, "a@x/r", 1000);
    e2e_policy_sample(p, "b@x/r", 2000);
    cr_assert_eq(round_open_all(p, &r, 0), 2);
    expect(&r, 0, E2E_POLICY_OPEN, "b@x/r");
    expect(&r, 1, E2E_POLICY_OPEN, "a@x/r");
    /* a: 1000 (score 1500), b: 2000 (3000); m ties a (JID order keeps
     * a), n is just below */
    e2e_policy_sample(p, "a@x/r", 500);
    e2e_policy_sample(p, "b@x/r", 1000);
    e2e_policy_sample(p, "n@x/r", 1499);
    e2e_policy_sample(p, "m@x/r", 1500);
    cr_assert_eq(round_open_all(p, &r, 1000), 0);
    cr_assert_eq(e2e_policy_sessions(p), 2);
    /* the victim is a (1000, score 1500): n (1499) is lower */
    cr_assert_not(e2e_policy_accept(p, "n@x/r", 1000));
    cr_assert_eq(r.n, 0);
    /* m (1500) is not lower: a is closed first, m takes its slot */
    cr_assert(e2e_policy_accept(p, "m@x/r", 1000));
    cr_assert_eq(r.n, 1);
    expect(&r, 0, E2E_POLICY_CLOSE, "a@x/r");
    cr_assert_float_eq(e2e_policy_priority(p, "a@x/r"), 100, 1e-9);
    cr_assert_eq(e2e_policy_sessions(p), 1);
    cr_assert_eq(e2e_policy_pending(p), 1);
    cr_assert_eq(e2e_policy_opened(p, "m@x/r", true, 1000), 0);
    /* now b (out) and m (in): only b could go, and 2000 * 1.5 > 1499 */
    cr_assert_not(e2e_policy_accept(p, "n@x/r", 1000));
    cr_assert_eq(e2e_policy_sessions(p), 2);
    e2e_policy_free(p);
}

Test(e2e_policy, a_peer_that_failed_never_displaces)
{
    struct rec r;
    e2e_policy *p = make_limit(1, &r);
    e2e_policy_sample(p, "a@x/r", 1000);
    cr_assert_eq(round_open_all(p, &r, 0), 1);
    cr_assert_eq(e2e_policy_failed(p, "z@x/r", 0), 0); /* grey to 2846 */
    e2e_policy_sample(p, "z@x/r", 5000);
    cr_assert_eq(round_open_all(p, &r, 1000), 0);
    /* z: 5000 against a: 500 (score 750), but z has a failure */
    cr_assert_not(e2e_policy_accept(p, "z@x/r", 1000));
    e2e_policy_sample(p, "a@x/r", 500);
    cr_assert_eq(round_open_all(p, &r, 3000), 0,
                 "off the greylist, z "
                 "still only takes a free slot");
    cr_assert_eq(e2e_policy_closed(p, "a@x/r", 3000), 0);
    cr_assert_eq(round_open_all(p, &r, 4000), 1);
    expect(&r, 0, E2E_POLICY_OPEN, "z@x/r");
    e2e_policy_free(p);
}

Test(e2e_policy, callbacks_may_not_reenter)
{
    struct rec r;
    e2e_policy *p = make(NULL, &r);
    r.self = p;
    e2e_policy_sample(p, "a@x/r", 100000);
    cr_assert_eq(e2e_policy_round(p, 0), 1);
    cr_assert_eq(r.reentry_rc, E2E_POLICY_EBUSY);
    e2e_policy_free(p);
}

/* ---- the peer-table cap ---- */

Test(e2e_policy, table_cap_evicts_lowest_idle)
{
    struct rec r;
    struct e2e_policy_params q = params(1);
    q.max_peers = 3;
    e2e_policy *p = make(&q, &r);
    e2e_policy_sample(p, "held@x/r", 9000);
    cr_assert_eq(round_open_all(p, &r, 0), 1);
    e2e_policy_sample(p, "grey@x/r", 1);
    cr_assert_eq(e2e_policy_failed(p, "grey@x/r", 0), 0);
    e2e_policy_sample(p, "low@x/r", 5);
    cr_assert_eq(e2e_policy_peers(p), 3);
    e2e_policy_sample(p, "new@x/r", 7);
    cr_assert_eq(e2e_policy_peers(p), 3);
    cr_assert_float_eq(e2e_policy_priority(p, "low@x/r"), 0, 0);
    cr_assert(e2e_policy_greylisted(p, "grey@x/r", 0), "grey kept");
    cr_assert_eq(e2e_policy_sessions(p), 1, "session kept");
    /* "new" (7 fresh bytes) is the lowest evictable now */
    e2e_policy_sample(p, "newer@x/r", 1);
    cr_assert_eq(e2e_policy_peers(p), 3);
    cr_assert_eq(e2e_policy_sample(p, "new@x/r", 1), 0, "re-added");
    /* make the last idle one unevictable: the table is full */
    cr_assert_eq(e2e_policy_failed(p, "new@x/r", 0), 0);
    cr_assert_eq(e2e_policy_sample(p, "one-more@x/r", 1), E2E_POLICY_EFULL);
    cr_assert_eq(e2e_policy_peers(p), 3);
    cr_assert_not(e2e_policy_accept(p, "one-more@x/r", 0));
    e2e_policy_free(p);
}

Test(e2e_policy, many_peers_hash_table)
{
    struct rec r;
    struct e2e_policy_params q = params(8);
    q.min_priority = 1e12;
    e2e_policy *p = make(&q, &r);
    char jid[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(jid, sizeof jid, "peer%d@x/r", i);
        cr_assert_eq(e2e_policy_sample(p, jid, (size_t)i + 1), 0);
    }
    cr_assert_eq(e2e_policy_peers(p), 4096);
    e2e_policy_round(p, 0);
    /* the 904 evicted were the lowest at each step: peers 0..903 */
    for (int i = 0; i < 5000; i++) {
        snprintf(jid, sizeof jid, "peer%d@x/r", i);
        double want = i < 904 ? 0 : i + 1;
        cr_assert_float_eq(e2e_policy_priority(p, jid), want, 0, "%s", jid);
    }
    e2e_policy_free(p);
}

/* ---- allocation failures ---- */

struct failing {
    long left; /* allocations that succeed; then all fail */
    long live;
};

static void *fail_realloc(void *ctx, void *ptr, size_t size)
{
    struct failing *f = ctx;
    if (f->left == 0)
        return NULL;
    f->left--;
    void *q = realloc(ptr, size);
    if (q && !ptr)
        f->live++;
    return q;
}

static void fail_free(void *ctx, void *ptr)
{
    struct failing *f = ctx;
    if (ptr)
        f->live--;
    free(ptr);
}

/* A script; every step either succeeds or returns ENOMEM (accept: false)
 * without changing what the queries show.  Returns how many failed. */
static int alloc_script(e2e_policy *p, struct rec *r)
{
    char jid[32];
    int failures = 0;
    if (!e2e_policy_accept(p, "stranger@x/r", 0)) { /* below the limit */
        failures++;
        cr_assert_eq(e2e_policy_peers(p), 0);
        cr_assert_eq(e2e_policy_pending(p), 0);
    }
    for (int i = 0; i < 40; i++) {
        snprintf(jid, sizeof jid, "p%d@x/r", i);
        size_t peers = e2e_policy_peers(p);
        int rc = e2e_policy_sample(p, jid, 1000 * (size_t)(i + 1));
        cr_assert(rc == 0 || rc == E2E_POLICY_ENOMEM, "rc %d", rc);
        if (rc) {
            failures++;
            cr_assert_eq(e2e_policy_peers(p), peers);
            cr_assert_float_eq(e2e_policy_priority(p, jid), 0, 0);
        }
    }
    size_t sessions = e2e_policy_sessions(p), pending = e2e_policy_pending(p);
    r->n = 0;
    cr_assert_geq(e2e_policy_round(p, 0), 0, "rounds do not allocate");
    cr_assert_eq(e2e_policy_sessions(p), sessions);
    cr_assert_eq(e2e_policy_pending(p), pending + (size_t)r->n);
    size_t peers = e2e_policy_peers(p);
    cr_assert_not(e2e_policy_accept(p, "late@x/r", 0), "full");
    cr_assert_eq(e2e_policy_peers(p), peers, "a decline adds no peer");
    if (e2e_policy_failed(p, "other@x/r", 0) == E2E_POLICY_ENOMEM) {
        failures++;
        cr_assert_not(e2e_policy_greylisted(p, "other@x/r", 0));
    }
    return failures;
}

Test(e2e_policy, allocation_failures)
{
    int clean = 0;
    for (long n = 0; n < 400 && !clean; n++) {
        struct failing f = {.left = n};
        e2e_policy_allocator a = {fail_realloc, fail_free, &f};
        struct e2e_policy_params q = params(8);
        q.alloc = &a;
        struct rec r;
        e2e_policy *p = NULL;
        memset(&r, 0, sizeof r);
        int rc = e2e_policy_new(&q, record, &r, &p);
        if (rc) {
            cr_assert_eq(rc, E2E_POLICY_ENOMEM);
            cr_assert_eq(f.live, 0);
            continue;
        }
        clean = alloc_script(p, &r) == 0;
        e2e_policy_free(p);
        cr_assert_eq(f.live, 0, "n=%ld: leak", n);
    }
    cr_assert(clean, "the script needs under 400 allocations");
}

/* ---- random operation sequences against a shadow model ---- */

/* The model knows states and greylists, not priorities: it checks what
 * must hold whatever the priorities are.  E2E_POLICY_SEED=<n> reproduces
 * a run (the seed is printed). */

#define NP 12

enum mstate { M_IDLE, M_OUT_PEND, M_IN_PEND, M_OUT, M_IN };

struct model {
    enum mstate st[NP];
    unsigned fails[NP];
    uint64_t grey_until[NP];
    uint64_t now, seed, rng;
    int limit;
    e2e_policy *p;
    struct rec r;
};

static const char *mjid(int k)
{
    static char names[NP][16];
    snprintf(names[k], sizeof names[k], "m%d@x/r", k);
    return names[k];
}

static int mpeer(const char *jid)
{
    return atoi(jid + 1);
}

static unsigned mrand(struct model *m, unsigned n)
{
    m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((m->rng >> 33) % n);
}

static int mused(const struct model *m)
{
    int n = 0;
    for (int k = 0; k < NP; k++)
        n += m->st[k] != M_IDLE;
    return n;
}

static void mcheck(struct model *m)
{
    size_t used = e2e_policy_sessions(m->p) + e2e_policy_pending(m->p);
    cr_assert_eq(used, (size_t)mused(m), "E2E_POLICY_SEED=%llu",
                 (unsigned long long)m->seed);
    cr_assert_leq(used, (size_t)m->limit);
}

static void mfail(struct model *m, int k)
{
    m->st[k] = M_IDLE;
    m->fails[k]++;
    m->grey_until[k] = m->now + e2e_policy_grey_ms(m->p, m->fails[k]);
}

static void mround(struct model *m)
{
    m->now += mrand(m, 1500);
    m->r.n = 0;
    int n = e2e_policy_round(m->p, m->now);
    cr_assert_eq(n, m->r.n);
    for (int i = 0; i < m->r.n; i++) {
        int k = mpeer(m->r.peer[i]);
        if (m->r.a[i] == E2E_POLICY_CLOSE) {
            cr_assert_eq(m->st[k], M_OUT, "CLOSE of a peer not held out");
            m->st[k] = M_IDLE;
        } else {
            cr_assert_eq(m->st[k], M_IDLE, "OPEN of a busy peer");
            cr_assert_geq(m->now, m->grey_until[k], "OPEN while grey");
            m->st[k] = M_OUT_PEND;
        }
    }
}

static void maccept(struct model *m, int k)
{
    bool full = mused(m) == m->limit;
    bool busy = m->st[k] != M_IDLE;
    m->r.n = 0;
    bool ok = e2e_policy_accept(m->p, mjid(k), m->now);
    cr_assert(ok || (full && !busy), "declined with room or when busy");
    cr_assert_eq(m->r.n, ok && full && !busy ? 1 : 0);
    if (m->r.n) {
        int v = mpeer(m->r.peer[0]);
        cr_assert_eq(m->st[v], M_OUT, "displaced a peer not held out");
        m->st[v] = M_IDLE;
    }
    if (ok && !busy)
        m->st[k] = M_IN_PEND;
}

static void mopened(struct model *m, int k)
{
    bool incoming = mrand(m, 2);
    int rc = e2e_policy_opened(m->p, mjid(k), incoming, m->now);
    if (m->st[k] == M_OUT || m->st[k] == M_IN) {
        cr_assert_eq(rc, 0);
        return;
    }
    if (m->st[k] == M_IDLE && mused(m) == m->limit) {
        cr_assert_eq(rc, E2E_POLICY_ELIMIT);
        return;
    }
    cr_assert_eq(rc, 0);
    m->st[k] = incoming ? M_IN : M_OUT;
    m->fails[k] = 0;
    m->grey_until[k] = 0;
}

static void mstep(struct model *m)
{
    int k = (int)mrand(m, NP);
    switch (mrand(m, 6)) {
    case 0:
        cr_assert_eq(e2e_policy_sample(m->p, mjid(k), mrand(m, 20000)), 0);
        break;
    case 1: mround(m); break;
    case 2: maccept(m, k); break;
    case 3: mopened(m, k); break;
    case 4:
        cr_assert_eq(e2e_policy_failed(m->p, mjid(k), m->now), 0);
        mfail(m, k);
        break;
    default:
        cr_assert_eq(e2e_policy_closed(m->p, mjid(k), m->now), 0);
        if (m->st[k] == M_OUT || m->st[k] == M_IN)
            m->st[k] = M_IDLE;
    }
    mcheck(m);
    for (int j = 0; j < NP; j++)
        cr_assert_eq(e2e_policy_greylisted(m->p, mjid(j), m->now),
                     m->now < m->grey_until[j], "E2E_POLICY_SEED=%llu",
                     (unsigned long long)m->seed);
}

Test(e2e_policy, random_sequences_keep_the_rules)
{
    uint64_t seed = ob_fixed_seed("E2E_POLICY_SEED", 7);
    for (int run = 0; run < 200; run++) {
        struct model m = {
            .seed = seed, .rng = seed + (uint64_t)run, .limit = 1 + run % 4};
        struct e2e_policy_params q = params(m.limit);
        q.forget_below = 0;             /* the model keeps every peer */
        q.open_timeout_ms = UINT64_MAX; /* and has no timeouts */
        m.p = make(&q, &m.r);
        for (int i = 0; i < 500; i++)
            mstep(&m);
        e2e_policy_free(m.p);
    }
}
