/* bench_gcsim.c -- the simulator's rows of `orbweb bench groupcast`.
 *
 * The real-peer part of the benchmark stops at 1,000 members (one
 * Prosody, two cores); the network cost beyond, and delivery under loss,
 * come from the deterministic simulator with the real engines and view
 * managers (src/sim/sim_gcworld.h).  What it can say: messages and
 * bytes the server sends per groupcast, messages per groupcast per
 * peer, delivery ratio to stable members, duplicates, and latency in
 * virtual time (5-50 ms per hop, FIFO holds included).  What it cannot:
 * CPU (server_cpu_ms_per_msg is null in its JSON). */
#include "config.h"

#include <stdio.h>

#include "bench_gcsim.h"
#include "sim_gcworld.h"

#define LOSS 0.05  /* on peer-to-peer links; server links are TCP */
#define SEGMENTS 8 /* ta-pbcast: sites, members spread evenly */
#define MSGS 300   /* 60 s of groupcasts at 5 a second */
#define MSGS_QUICK 50

struct system {
    const char *name;
    enum gcw_mode mode;
    enum gc_engine engine;
    uint32_t segments, inject_k;
};

/* ta-pbcast injects at one ring member per segment, as xmucd does. */
static const struct system systems[] = {
    {"sim-relay", GCW_RELAY, GC_TREECAST, 0, 0},
    {"sim-tree", GCW_ENGINE, GC_TREECAST, 0, 2},
    {"sim-pbcast", GCW_ENGINE, GC_PBCAST, 0, 2},
    {"sim-tapbcast", GCW_ENGINE, GC_PBCAST, SEGMENTS, 1},
};

static const uint32_t sizes[] = {16, 64, 256, 640, 1000, 2000, 5000, 10000};

static void print_row(FILE *out, bool json, const struct system *s,
                      const struct gcw_config *c, const struct gcw_result *r)
{
    if (json) {
        fprintf(out,
                "{\"system\":\"%s\",\"n\":%u,\"volatile\":%s,\"loss\":%.2f,"
                "\"server_cpu_ms_per_msg\":null,\"server_kb_per_msg\":%.3f,"
                "\"server_stanzas_per_msg\":%.2f,"
                "\"peer_msgs_per_msg\":%.3f,\"latency_ms_p50\":%llu,"
                "\"latency_ms_p99\":%llu,\"delivery_ratio\":%.6f,"
                "\"duplicates\":%llu,\"groupcasts\":%u}\n",
                s->name, c->peers, c->churn ? "true" : "false", c->loss,
                r->server_bytes / 1024, r->server, r->per_peer,
                (unsigned long long)r->lat_p50_ms,
                (unsigned long long)r->lat_p99_ms, r->ratio,
                (unsigned long long)r->dups, c->msgs);
        return;
    }
    fprintf(
        out, "%-13s %6u %-5s %10.2f %9.3f %9.3f %6llu %6llu %10.5f%% %5llu\n",
        s->name, c->peers, c->churn ? "yes" : "no", r->server,
        r->server_bytes / 1024, r->per_peer, (unsigned long long)r->lat_p50_ms,
        (unsigned long long)r->lat_p99_ms, r->ratio * 100,
        (unsigned long long)r->dups);
}

static int run_point(FILE *out, bool json, const struct system *s, uint32_t n,
                     bool churn, uint32_t msgs, uint64_t seed,
                     struct gcw_result *r)
{
    struct gcw_config c = {.mode = s->mode,
                           .engine = s->engine,
                           .peers = n,
                           .msgs = msgs,
                           .loss = LOSS,
                           .churn = churn,
                           .segments = s->segments,
                           .inject_k = s->inject_k};

    if (gcw_run(&c, seed, r))
        return -1;
    print_row(out, json, s, &c, r);
    fflush(out);
    return 0;
}

static void print_header(FILE *out, uint64_t seed, uint32_t msgs)
{
    fprintf(
        out,
        "\nsimulator: %u groupcasts of 256 B at 5/s per point, %.0f%% loss "
        "on peer links, volatile = 12.5%% of members 30 s off / 30 s on, "
        "ta-pbcast over %d segments; latency in virtual ms (5-50 ms per "
        "hop); seed %llu\n"
        "system             n  vol.  srv msgs    srv KB  msgs/peer    p50    "
        "p99   delivered  dups\n",
        msgs, LOSS * 100, SEGMENTS, (unsigned long long)seed);
}

int bench_gcsim(FILE *out, bool json, bool quick, uint64_t seed)
{
    uint32_t msgs = quick ? MSGS_QUICK : MSGS, max_n = quick ? 256 : 10000;
    struct gcw_result r, goal = {0};
    int rc = 0;

    if (!json)
        print_header(out, seed, msgs);
    for (size_t i = 0; i < sizeof systems / sizeof *systems; i++)
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            for (int churn = 0; churn < 2 && sizes[k] <= max_n; churn++) {
                if (run_point(out, json, &systems[i], sizes[k], churn, msgs,
                              seed, &r)) {
                    rc = -1;
                    continue;
                }
                if (systems[i].segments && churn)
                    goal = r; /* the largest volatile ta-pbcast point */
            }
    if (!json)
        fprintf(out,
                "goal: sim-tapbcast delivery >= 99.99%% to stable members at "
                "%.0f%% loss with 12.5%% churn (n = %u): %.5f%%, %s\n",
                LOSS * 100, max_n, goal.ratio * 100,
                goal.ratio >= 0.9999 ? "met" : "NOT met");
    return rc;
}
