/* test_sim.c -- the simulator itself: events run in time order (ties in
 * insertion order), the same seed gives the same run, loss and delay
 * follow their configuration, a destination that is down drops what
 * arrives, and churn flips nodes on schedule. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "sim.h"

struct log {
    uint64_t what[64]; /* timer args, in firing order */
    size_t n;
    uint64_t probed; /* when the probe timer ran */
    uint64_t got;    /* messages received */
    size_t flips, ups;
};

static struct log L;

static void recv_cb(void *ctx, sim_node from, sim_node to, const uint8_t *data,
                    size_t len)
{
    struct log *l = ctx;
    sim_node sent_from;

    cr_assert_eq(len, sizeof sent_from);
    memcpy(&sent_from, data, len);
    cr_assert_eq(sent_from, from);
    cr_assert_neq(to, from);
    l->got++;
}

static void timer_cb(void *ctx, uint64_t arg)
{
    struct log *l = ctx;

    cr_assert_lt(l->n, 64);
    l->what[l->n++] = arg;
}

static void churn_cb(void *ctx, sim_node n, bool up)
{
    struct log *l = ctx;

    cr_assert_eq(n, 3);
    l->flips++;
    l->ups += up;
}

static sim *make(double loss, uint64_t seed)
{
    sim_config c = {.nodes = 8,
                    .seed = seed,
                    .loss = loss,
                    .delay_min_ms = 10,
                    .delay_max_ms = 30,
                    .recv = recv_cb,
                    .churn = churn_cb,
                    .ctx = &L};
    sim *s = NULL;

    memset(&L, 0, sizeof L);
    cr_assert_eq(sim_new(&c, &s), 0);
    return s;
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(sim, .timeout = 300);

Test(sim, timers_in_time_then_insertion_order)
{
    sim *s = make(0, 1);

    sim_at(s, 50, timer_cb, &L, 3);
    sim_at(s, 10, timer_cb, &L, 1);
    sim_at(s, 50, timer_cb, &L, 4);
    sim_at(s, 20, timer_cb, &L, 2);
    sim_at(s, 99, timer_cb, &L, 5);
    sim_run(s, 60);
    cr_assert_eq(L.n, 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(L.what[i], i + 1);
    cr_assert_eq(sim_now(s), 60);
    sim_run(s, 1000);
    cr_assert_eq(L.n, 5);
    sim_free(s);
}

static sim_stats traffic(double loss, uint64_t seed)
{
    sim *s = make(loss, seed);
    sim_stats st;

    for (int i = 0; i < 10000; i++) {
        sim_node from = (sim_node)sim_below(s, 8);
        sim_node to = (from + 1 + (sim_node)sim_below(s, 7)) % 8;

        cr_assert_eq(sim_send(s, from, to, &from, sizeof from), 0);
    }
    sim_run(s, 100000);
    sim_get_stats(s, &st);
    sim_free(s);
    return st;
}

Test(sim, loss_and_determinism)
{
    sim_stats a = traffic(0.25, 42), b = traffic(0.25, 42),
              c = traffic(0.25, 43);

    cr_assert_eq(a.lost, b.lost);
    cr_assert_eq(a.delivered, b.delivered);
    cr_assert_eq(c.delivered, L.got, "every delivery reached recv");
    cr_assert_neq(a.lost, c.lost, "another seed, another run");
    /* 2,500 expected; far outside [2,200, 2,800] is a broken draw. */
    cr_assert(a.lost > 2200 && a.lost < 2800, "lost %llu",
              (unsigned long long)a.lost);
    cr_assert_eq(a.lost + a.delivered, 10000);
    cr_assert_eq(a.bytes, 10000 * sizeof(sim_node));
}

static void probe(void *ctx, uint64_t arg)
{
    sim *s = ctx;

    (void)arg;
    L.probed = sim_now(s);
}

Test(sim, delay_within_bounds_and_dead_destinations)
{
    sim *s = make(0, 7);
    sim_node from = 1;
    sim_stats st;

    sim_send(s, 1, 2, &from, sizeof from);
    sim_run(s, 9);
    cr_assert_eq(L.got, 0, "nothing arrives before the minimum delay");
    sim_run(s, 30);
    cr_assert_eq(L.got, 1, "everything by the maximum");
    sim_send(s, 1, 2, &from, sizeof from);
    sim_set_up(s, 2, false);
    sim_at(s, 100, probe, s, 0);
    sim_run(s, 200);
    cr_assert_eq(L.probed, 100);
    cr_assert_eq(L.got, 1);
    sim_set_up(s, 1, false);
    sim_send(s, 1, 3, &from, sizeof from);
    sim_get_stats(s, &st);
    cr_assert_eq(st.dead, 2, "down at arrival, down at sending");
    cr_assert_not(sim_is_up(s, 1));
    cr_assert_not(sim_is_up(s, 99));
    sim_free(s);
}

Test(sim, churn_alternates)
{
    sim *s = make(0, 1);

    cr_assert_eq(sim_churn(s, 3, 1000, 300, 700), 0);
    sim_run(s, 999);
    cr_assert_eq(L.flips, 0);
    cr_assert(sim_is_up(s, 3));
    sim_run(s, 1000);
    cr_assert_eq(L.flips, 1);
    cr_assert_not(sim_is_up(s, 3));
    sim_run(s, 1299);
    cr_assert_eq(L.flips, 1);
    sim_run(s, 1300);
    cr_assert(sim_is_up(s, 3));
    sim_run(s, 1000 + 10 * 1000 - 1);
    cr_assert_eq(L.flips, 20);
    cr_assert_eq(L.ups, 10);
    sim_free(s);
}
