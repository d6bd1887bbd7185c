/* sim_gcworld.h -- a groupcast world in the simulator (prefix gcw_).
 *
 * N peers each run a real gc engine; their neighbours come from a real
 * view manager (src/views "treegossip": rbt tree edges + random gossip
 * edges, or a ta-pbcast composition with segments) driven by join and
 * leave events; records travel as real wire bytes.  A source groupcasts
 * five times a second through the server (node N), which either relays
 * the message to every online member (GCW_RELAY) or injects it at the
 * k members of each segment with the longest continuous membership.
 * Server links are reliable (TCP); peer links lose a fraction of the
 * messages and take 5-50 ms.  Churn: 12.5% of the peers alternate 30 s
 * offline and 30 s online (a peer that comes back starts a new engine).
 *
 * Shared by tests/sim/sim_groupcast (the assertions) and `orbweb bench
 * groupcast` (the simulator's rows of Fig. 18). */
#ifndef SRC_SIM_SIM_GCWORLD_H
#define SRC_SIM_SIM_GCWORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "gc.h"

#define GCW_PERIOD_MS 200 /* the source's period: 5 groupcasts a second */

enum gcw_mode {
    GCW_ENGINE, /* the gc engine of gcw_config.engine (tree or pbcast) */
    GCW_RELAY,  /* the server sends every groupcast to every member */
};

struct gcw_config {
    enum gcw_mode mode;
    enum gc_engine engine;
    uint32_t round_ms, rounds; /* 0: the engine's defaults */
    uint32_t peers;
    uint32_t msgs;
    double loss;       /* on peer-to-peer links */
    bool churn;        /* every eighth peer churns */
    uint32_t segments; /* 0: treegossip views; else ta-pbcast's */
    uint32_t inject_k; /* injection points per segment; 0 means 2 */
};

struct gcw_result {
    double ratio;        /* deliveries / (stable members x groupcasts) */
    double per_peer;     /* network messages per groupcast per peer */
    double server;       /* server sends per groupcast */
    double server_bytes; /* bytes the server sends per groupcast */
    uint64_t lat_p50_ms, lat_p99_ms; /* source -> stable member */
    uint64_t dups, fifo, gaps, stable;
};

/* Runs one world with `seed`; 0, or -1 when an operation failed (the
 * reason and the seed are printed to stderr). */
int gcw_run(const struct gcw_config *c, uint64_t seed, struct gcw_result *res);

/* Short name: "relay", "tree", "pbcast", "ta-tree", "ta-pbcast". */
const char *gcw_name(const struct gcw_config *c);

#endif
