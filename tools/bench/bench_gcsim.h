/* bench_gcsim.h -- the simulator's rows of `orbweb bench groupcast`
 * (Fig. 18 up to 10,000 members, for the network cost). */
#ifndef TOOLS_BENCH_BENCH_GCSIM_H
#define TOOLS_BENCH_BENCH_GCSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Runs the simulated groupcasts (src/sim/sim_gcworld.h: server relay,
 * tree cast, pbcast and ta-pbcast; static and volatile groups of 16 to
 * 10,000 members, or up to 256 when quick; 5% loss on peer links) and
 * prints a table, or one JSON object per point, then the goal line.
 * 0, or -1 when a run failed. */
int bench_gcsim(FILE *out, bool json, bool quick, uint64_t seed);

#endif
