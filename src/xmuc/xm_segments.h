/* xm_segments.h -- segment detection for ta-pbcast rooms (sans-I/O).
 *
 * A tapbcast room groups its occupants in network segments: sets of
 * peers that can open direct sessions to each other.  xmucd cannot see
 * the network, so it asks: now and then it picks a representative (a
 * ring member) and asks it to try a direct session to a target peer
 * ("probe"); the answer is true or false.  This module decides whom to
 * ask about whom and what the answers mean; it moves members of the
 * room's tapbcast view manager (vm_tapbcast_merge / vm_tapbcast_move).
 *
 * Rules (docs/segments.md says why):
 *  - a new member starts in a segment of its own (a fresh id); a join's
 *    segment hint is not trusted, only probed first (xm_seg_hint);
 *  - discovery: representative A probes representative B of another
 *    segment; success merges the two segments (the older representative
 *    keeps the ring); failure or timeout backs the pair off;
 *  - verification: a representative probes a member of its own segment;
 *    an explicit failure splits the member off into a fresh segment (a
 *    timeout proves nothing and changes nothing);
 *  - at most max_inflight probes are outstanding; a member that leaves
 *    cancels its probes (xm_seg_forget), so a late answer about a reused
 *    id is ignored.
 *
 * Time is given (ms), randomness comes from a seeded PRNG, probes leave
 * through a callback.  Results: 0 or a negative enum xm_seg_result. */
#ifndef SRC_XMUC_XM_SEGMENTS_H
#define SRC_XMUC_XM_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

enum xm_seg_result {
    XM_SEG_OK = 0,
    XM_SEG_ENOMEM = -1,
    XM_SEG_EINVAL = -2,
    XM_SEG_ENOENT = -3, /* unknown probe (late, cancelled or forged) */
};

const char *xm_seg_strerror(int code);

/* Sends probe `probe`: asks member `asker` to try a direct session to
 * member `target`.  Returns 0 when sent; anything else counts as a
 * failed probe (nothing will answer it). */
typedef int (*xm_seg_send_fn)(void *ctx, uint32_t probe, vm_id asker,
                              vm_id target);

struct xm_seg_config {
    uint64_t period_ms;    /* between rounds; default 2000 */
    uint64_t timeout_ms;   /* an unanswered probe fails; default 10000 */
    uint64_t backoff_ms;   /* a failed pair waits this long; default 60000 */
    uint32_t max_inflight; /* probes outstanding; default 16, max 4096 */
    uint32_t per_round;    /* probes started per round; default max_inflight */
    uint32_t verify_every; /* 1 probe in N verifies; default 4, 0 never */
    uint64_t seed;
    xm_seg_send_fn send;
    void *ctx;
};

typedef struct xm_segments xm_segments;

/* Detection over `v`, a tapbcast manager the caller owns (it must outlive
 * the detector; members join and leave it through the caller).  Returns
 * XM_SEG_OK and sets *out, or with *out NULL: XM_SEG_EINVAL when cfg or
 * its send callback is missing or v is not a tapbcast manager,
 * XM_SEG_ENOMEM when out of memory. */
int xm_seg_new(const struct xm_seg_config *cfg, vm *v, xm_segments **out);
void xm_seg_free(xm_segments *s);

/* The segment a new member must join with (vm_params.segment): a fresh
 * id, not used by any segment of the manager. */
uint32_t xm_seg_fresh(xm_segments *s);
/* Member `id` joined (it is in the manager) with segment hint `hint`
 * (0: none).  A hint orders probes, it never merges anything: the
 * member's first probe asks the representative of an earlier member
 * with the same hint to reach it.  Bounded: the hints table and the
 * queue of such probes have fixed sizes; what does not fit is dropped
 * (ordinary discovery finds the member anyway). */
void xm_seg_hint(xm_segments *s, vm_id id, uint32_t hint);
/* The member left (or is about to): its probes are cancelled. */
void xm_seg_forget(xm_segments *s, vm_id id);

/* Runs due rounds and expires probes; returns when to call again (ms). */
uint64_t xm_seg_tick(xm_segments *s, uint64_t now);
/* An answer from `from` (the asker, as the room resolved it) to probe
 * `probe`.  XM_SEG_ENOENT when no such probe is outstanding for `from`.
 * May merge or split segments (the manager emits the deltas). */
int xm_seg_answer(xm_segments *s, uint32_t probe, vm_id from, bool ok,
                  uint64_t now);

/* Counters, for statistics and tests. */
struct xm_seg_stats {
    uint64_t sent, ok, failed, timeouts, merges, splits, cancelled;
    uint32_t inflight;
};
void xm_seg_stats(const xm_segments *s, struct xm_seg_stats *out);

#endif
