/* test_bench_gcnet.c -- the groupcast benchmark's peer-to-peer legs:
 * records cross a socket pair intact, in order, from the right peer; a
 * pair is opened once per two peers; the per-peer limit closes the least
 * recently used idle pair; bad arguments and oversized records fail. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <string.h>

#include "bench_gcnet.h"
#include "gc.h"

#define MAXREC 64

struct got {
    int n, to[MAXREC], from[MAXREC];
    size_t len[MAXREC];
    uint8_t first[MAXREC];
};

static void on_rec(void *ud, int to, int from, const uint8_t *rec, size_t len)
{
    struct got *g = ud;

    cr_assert_lt(g->n, MAXREC);
    g->to[g->n] = to;
    g->from[g->n] = from;
    g->len[g->n] = len;
    g->first[g->n] = len ? rec[0] : 0;
    g->n++;
}

/* Runs the loop until want records arrived (bounded by iterations, not
 * time). */
static void pump(struct event_base *base, struct got *g, int want)
{
    for (int i = 0; i < 1000 && g->n < want; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    cr_assert_eq(g->n, want, "%d records arrived, wanted %d", g->n, want);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(bench_gcnet, .timeout = 300);

Test(bench_gcnet, records_cross_in_order_both_ways)
{
    struct event_base *base = event_base_new();
    struct got g = {0};
    bgn_net *n;
    uint8_t big[1000];

    cr_assert_eq(bgn_new(base, 3, 8, on_rec, &g, &n), BGN_OK);
    memset(big, 7, sizeof big);
    cr_assert_eq(bgn_send(n, 0, 1,
                          (const uint8_t *)"\x01"
                                           "a",
                          2),
                 0);
    cr_assert_eq(bgn_send(n, 0, 1, big, sizeof big), 0);
    cr_assert_eq(bgn_send(n, 1, 0, (const uint8_t *)"\x02", 1), 0);
    cr_assert_eq(bgn_send(n, 0, 1, (const uint8_t *)"", 0), 0);
    pump(base, &g, 4);
    /* 0 -> 1 in order; 1 -> 0 on its own side of the same pair */
    int order[3], k = 0;
    for (int i = 0; i < 4; i++)
        if (g.to[i] == 1) {
            cr_assert_eq(g.from[i], 0);
            order[k++] = i;
        } else {
            cr_assert_eq(g.to[i], 0);
            cr_assert_eq(g.from[i], 1);
            cr_assert_eq(g.len[i], 1);
            cr_assert_eq(g.first[i], 2);
        }
    cr_assert_eq(k, 3);
    cr_assert_eq(g.len[order[0]], 2);
    cr_assert_eq(g.len[order[1]], sizeof big);
    cr_assert_eq(g.first[order[1]], 7);
    cr_assert_eq(g.len[order[2]], 0);
    struct bgn_stats s = bgn_get_stats(n);
    cr_assert_eq(s.opened, 1, "one pair for both directions");
    cr_assert_eq(s.open, 1);
    cr_assert_eq(s.records, 4);
    cr_assert_eq(s.bytes, 4 * 4 + 2 + sizeof big + 1 + 0);
    bgn_free(n);
    event_base_free(base);
}

Test(bench_gcnet, limit_closes_the_least_recently_used_idle_pair)
{
    struct event_base *base = event_base_new();
    struct got g = {0};
    bgn_net *n;

    cr_assert_eq(bgn_new(base, 4, 2, on_rec, &g, &n), BGN_OK);
    cr_assert_eq(bgn_send(n, 0, 1, (const uint8_t *)"\x01", 1), 0);
    cr_assert_eq(bgn_send(n, 0, 2, (const uint8_t *)"\x01", 1), 0);
    pump(base, &g, 2);
    cr_assert_eq(bgn_reach(n, 0, 1), 0); /* 0-1 used last: 0-2 goes */
    cr_assert_eq(bgn_send(n, 0, 3, (const uint8_t *)"\x01", 1), 0);
    pump(base, &g, 3);
    struct bgn_stats s = bgn_get_stats(n);
    cr_assert_eq(s.opened, 3);
    cr_assert_eq(s.evicted, 1);
    cr_assert_eq(s.open, 2);
    cr_assert_eq(g.to[2], 3);
    /* 0-1 survived: reaching it opens nothing */
    cr_assert_eq(bgn_reach(n, 1, 0), 0);
    cr_assert_eq(bgn_get_stats(n).opened, 3);
    bgn_free(n);
    event_base_free(base);
}

Test(bench_gcnet, a_busy_pair_is_kept_past_the_limit)
{
    struct event_base *base = event_base_new();
    struct got g = {0};
    bgn_net *n;

    cr_assert_eq(bgn_new(base, 3, 1, on_rec, &g, &n), BGN_OK);
    /* 0-1 has a record in flight: opening 0-2 may not close it */
    cr_assert_eq(bgn_send(n, 0, 1, (const uint8_t *)"\x01", 1), 0);
    cr_assert_eq(bgn_send(n, 0, 2, (const uint8_t *)"\x01", 1), 0);
    pump(base, &g, 2);
    struct bgn_stats s = bgn_get_stats(n);
    cr_assert_eq(s.evicted, 0);
    cr_assert_eq(s.over, 1);
    cr_assert_eq(s.open, 2);
    bgn_free(n);
    event_base_free(base);
}

Test(bench_gcnet, bad_arguments_fail)
{
    struct event_base *base = event_base_new();
    struct got g = {0};
    bgn_net *n, *none;
    static uint8_t huge[GC_WIRE_MAX + 1];

    cr_assert_eq(bgn_new(base, 2, 4, on_rec, &g, &n), BGN_OK);
    cr_assert_eq(bgn_reach(n, 0, 0), -1, "a peer does not pair with itself");
    cr_assert_eq(bgn_reach(n, 0, 2), -1);
    cr_assert_eq(bgn_reach(n, -1, 1), -1);
    cr_assert_eq(bgn_send(n, 0, 1, huge, sizeof huge), -1);
    cr_assert_eq(bgn_get_stats(n).failed, 1);
    cr_assert_eq(bgn_get_stats(n).opened, 0);
    cr_assert_eq(bgn_new(base, 0, 4, on_rec, &g, &none), BGN_EINVAL);
    cr_assert_null(none);
    bgn_free(n);
    bgn_free(NULL);
    event_base_free(base);
}
