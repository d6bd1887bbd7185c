/* sim_groupcast.c -- the groupcast engines at scale in the simulator.
 *
 * The world (src/sim/sim_gcworld.h): real gc engines over real view
 * managers, a source groupcasting five times a second through the
 * server, which injects each message at the k = 2 members with the
 * longest continuous membership; peer links lose a fraction of the
 * messages; 12.5% of the peers alternate 30 s offline and 30 s online.
 * Measured on the stable members: delivery ratio, duplicates and FIFO
 * violations delivered (both must be zero), gaps, and messages per
 * groupcast per peer.
 *
 * A plain program in TESTS: it prints a table and exits 1 when an
 * assertion fails.  SIM_SEED=<n> replays a run.  One pbcast run with
 * 10,000 peers (5% loss, churn) follows the table; SIM_BIG=1 runs the
 * whole table with 10,000 peers instead.  SIM_PEERS, SIM_MSGS,
 * SIM_ROUND_MS and SIM_ROUNDS change the table's scenario. */
#include <stdio.h>
#include <stdlib.h>

#include "../seed.h"
#include "sim.h"
#include "sim_gcworld.h"

static int check(bool ok, const char *what, const struct gcw_config *rc,
                 uint64_t seed)
{
    if (!ok)
        fprintf(stderr,
                "FAIL: %s (%s, %u peers, loss %.0f%%, churn %s), "
                "SIM_SEED=%llu\n",
                what, gcw_name(rc), rc->peers, rc->loss * 100,
                rc->churn ? "yes" : "no", (unsigned long long)seed);
    return !ok;
}

static int run_row(const struct gcw_config *rc, uint64_t seed,
                   struct gcw_result *res)
{
    int bad = 0;

    if (gcw_run(rc, seed, res))
        return check(false, "the run", rc, seed);
    printf("| %-9s | %6u | %4.0f%% | %-5s | %10.5f%% | %11.2f | %6.2f "
           "| %4llu | %4llu | %6llu | %4llu / %5llu |\n",
           gcw_name(rc), rc->peers, rc->loss * 100, rc->churn ? "12.5%" : "no",
           res->ratio * 100, res->per_peer, res->server,
           (unsigned long long)res->dups, (unsigned long long)res->fifo,
           (unsigned long long)res->gaps, (unsigned long long)res->lat_p50_ms,
           (unsigned long long)res->lat_p99_ms);
    fflush(stdout);
    bad += check(res->dups == 0, "duplicates delivered", rc, seed);
    bad += check(res->fifo == 0, "FIFO order broken", rc, seed);
    return bad;
}

static uint32_t env_u32(const char *name, uint32_t dflt)
{
    const char *e = getenv(name);

    return e ? (uint32_t)strtoul(e, NULL, 0) : dflt;
}

/* The table's configuration for one engine. */
static struct gcw_config cfg(enum gc_engine engine, uint32_t peers,
                             uint32_t msgs, double loss, bool churn)
{
    return (struct gcw_config){.mode = GCW_ENGINE,
                               .engine = engine,
                               .round_ms = env_u32("SIM_ROUND_MS", 0),
                               .rounds = env_u32("SIM_ROUNDS", 0),
                               .peers = peers,
                               .msgs = msgs,
                               .loss = loss,
                               .churn = churn};
}

static int scenario(uint32_t peers, uint32_t msgs, uint64_t seed)
{
    static const double losses[] = {0.01, 0.05, 0.20};
    int bad = 0;

    for (size_t l = 0; l < 3; l++)
        for (int churn = 0; churn < 2; churn++) {
            struct gcw_config rc =
                cfg(GC_TREECAST, peers, msgs, losses[l], churn);
            struct gcw_result tree, pb;

            bad += run_row(&rc, seed, &tree);
            rc.engine = GC_PBCAST;
            bad += run_row(&rc, seed, &pb);
            bad += check(pb.ratio > tree.ratio || pb.ratio == 1.0,
                         "pbcast no better than tree cast", &rc, seed);
            if (losses[l] == 0.05 && churn)
                bad += check(pb.ratio >= 0.9999, "delivery below 99.99%", &rc,
                             seed);
        }
    return bad;
}

/* The goal's row at 10,000 peers, cheap enough for every check run. */
static int big_row(uint64_t seed)
{
    struct gcw_config rc = cfg(GC_PBCAST, 10000, 100, 0.05, true);
    struct gcw_result res;
    int bad = run_row(&rc, seed, &res);

    return bad + check(res.ratio >= 0.9999, "delivery below 99.99%", &rc, seed);
}

/* The server relaying to every member: every stable member gets every
 * groupcast, once, whatever the peer links lose. */
static int relay_row(uint64_t seed)
{
    struct gcw_config rc = cfg(GC_TREECAST, 1000, 300, 0.05, true);
    struct gcw_result res;
    int bad;

    rc.mode = GCW_RELAY;
    bad = run_row(&rc, seed, &res);
    return bad + check(res.ratio == 1.0, "relay lost a groupcast", &rc, seed);
}

/* ta-pbcast: 8 segments; tree and gossip edges stay inside segments
 * (on_delta checks), the server injects at k members per segment. */
static int ta_rows(uint64_t seed)
{
    struct gcw_config rc = cfg(GC_TREECAST, 1000, 300, 0.05, true);
    struct gcw_result tree, ta;
    int bad;

    rc.segments = 8;
    bad = run_row(&rc, seed, &tree);

    rc.engine = GC_PBCAST;
    bad += run_row(&rc, seed, &ta);
    bad += check(ta.ratio >= 0.9999, "delivery below 99.99%", &rc, seed);
    bad += check(ta.ratio > tree.ratio, "ta-pbcast no better than tree", &rc,
                 seed);
    return bad + check(ta.server == 2 * 8.0,
                       "server sends per groupcast != k * segments", &rc, seed);
}

int main(void)
{
    uint64_t seed = ob_test_seed("SIM_SEED");
    uint32_t peers = env_u32("SIM_PEERS", 1000);
    uint32_t msgs = env_u32("SIM_MSGS", 300);
    int bad;

    printf("| engine    |  peers | loss | churn |   delivered | msg/gc/peer "
           "| srv/gc | dups | fifo |   gaps | ms p50 / p99 |\n"
           "|-----------|--------|------|-------|-------------|-------------"
           "|--------|------|------|--------|--------------|\n");
    bad = scenario(peers, msgs, seed);
    if (getenv("SIM_BIG"))
        bad += scenario(10000, 100, seed);
    else
        bad += big_row(seed);
    bad += ta_rows(seed);
    bad += relay_row(seed);
    return bad ? 1 : 0;
}
