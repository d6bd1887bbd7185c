/* fail_alloc.h -- fail the Nth allocation of liborbweb's own code (test
 * support, prefix fa_).
 *
 * A test program linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *     --wrap=strndup,--wrap=free
 * sends every allocation made by the objects linked statically into it
 * (the convenience libraries: libob, libgc, libe2e*, libfi, and the test
 * itself) through the wrappers in fail_alloc.c; shared libraries
 * (libstrophe, libevent, OpenSSL, libc) keep the real functions.  While a
 * run is recorded the wrappers number the allocations from 0, fail the
 * chosen one (or it and every later one), and keep the set of blocks
 * still alive, so a run can end by checking that nothing leaked.
 *
 * fa_exhaust() drives a whole scenario: one run counting, then one run per
 * allocation index with that allocation failing.  FA_INDEX=n in the
 * environment runs index n only (to debug one failure). */
#ifndef TESTS_UNIT_FAIL_ALLOC_H
#define TESTS_UNIT_FAIL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

enum fa_mode {
    FA_ONCE, /* allocation n fails, the others succeed */
    FA_FROM, /* allocation n and every later one fail */
};

/* Starts recording: counters and the live set are cleared; fail_at < 0
 * fails nothing. */
void fa_begin(long fail_at, enum fa_mode mode);
/* From now on nothing fails (the run goes on counting): for a retry. */
void fa_stop_failing(void);
/* While paused, allocations are neither counted nor failed (they are
 * still tracked): for what the test itself builds. */
void fa_pause(bool on);
/* Stops recording; blocks still in the live set are forgotten (the
 * caller checked fa_live() first). */
void fa_end(void);

long fa_count(void);   /* allocations asked for since fa_begin */
long fa_failed(void);  /* of which failed */
size_t fa_live(void);  /* blocks made while recording, not yet freed */
long fa_at(void);      /* the index this run fails (-1: none) */
bool fa_failing(void); /* will allocations still fail in this run? */

/* An allocator with libstrophe's xmpp_mem_t signatures, going through the
 * same counters (for an xmpp_ctx_t whose stanzas a scenario builds). */
void *fa_mem_alloc(size_t size, void *ud);
void fa_mem_free(void *p, void *ud);
void *fa_mem_realloc(void *p, size_t size, void *ud);

/* A scenario: builds what it needs, runs, frees everything.  Each call
 * starts from nothing.  It asserts (Criterion) that every failing call
 * returned its documented error; fa_at() says which index fails. */
typedef void (*fa_scenario)(void *ud);

/* Which indices to try: all below `all`, then every `stride`-th (0: all
 * of them).  may_miss: the scenario is not deterministic (a network):
 * a run may allocate less and not reach its index; the index is then
 * tried again, FA_TRIES runs in all, and one that no run reached fails
 * the test (fa_exhaust names them). */
#define FA_TRIES 3
struct fa_plan {
    long all;
    long stride;
    bool may_miss;
};

/* Runs s once counting (asserting it allocates at all), then once per
 * index of the plan failing it in `mode`, asserting each time that the
 * index was reached (a failure happened; see may_miss for retries) and
 * that no block is left alive.  Logs which indices were tried and which
 * no run reached, and returns how many were reached. */
long fa_exhaust(const char *name, fa_scenario s, void *ud, enum fa_mode mode,
                const struct fa_plan *plan);

#endif
