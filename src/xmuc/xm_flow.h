/* xm_flow.h -- xmucd's resource accounting, sans I/O: token buckets,
 * high/low water marks, and how one memory bound is split between the
 * output queue and the rooms.
 *
 * Time and queue lengths are inputs: nothing here reads a clock or a
 * socket, so the unit tests drive it with made-up numbers
 * (tests/unit/test_xm_flow.c).  The limits, their defaults and why:
 * docs/security.md, "Limits and their defaults". */
#ifndef SRC_XMUC_XM_FLOW_H
#define SRC_XMUC_XM_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A token bucket: fills at rate per second up to burst.  A take may
 * leave it in debt (a single cost larger than what is left is allowed
 * when the bucket is full, so one large stanza is not refused forever);
 * the debt is paid back at the rate before the next take succeeds. */
struct xm_bucket {
    double tokens;
    uint64_t last_ms;
};

/* A full bucket at now_ms. */
void xm_bucket_init(struct xm_bucket *b, double burst, uint64_t now_ms);

/* Refills for the time since the last call, then takes cost if the
 * bucket holds it (or is full).  true when taken; false leaves the
 * bucket as refilled.  rate 0 means unlimited (always true). */
bool xm_bucket_take(struct xm_bucket *b, double cost, double rate_per_s,
                    double burst, uint64_t now_ms);

/* True when a bucket left alone since its last take would be full again
 * at now_ms (its state carries nothing and may be forgotten). */
bool xm_bucket_idle(const struct xm_bucket *b, double rate_per_s, double burst,
                    uint64_t now_ms);

/* Hysteresis on a level (bytes queued): set at or above `on`, cleared at
 * or below `off` (off < on), unchanged in between. */
struct xm_mark {
    size_t on, off;
    bool set;
};

/* Updates the mark with the current level; returns whether it is set. */
bool xm_mark_update(struct xm_mark *m, size_t level);

/* One memory bound split into the limits derived from it. */
struct xm_budget {
    size_t queue_cap;  /* output queue: reading pauses at this size ... */
    size_t queue_high; /* ... fan-out is refused from this size ... */
    size_t queue_low;  /* ... until the queue drains to this size */
    size_t state;      /* rooms and occupants, by the estimates below */
};

/* What one room and one occupant cost, as estimated for the state
 * budget: struct xm_room alone is 14.6 KB (its 256 IQ relay slots), a
 * whole room about 17 KB (issue 14 measured 9,999 rooms); an occupant
 * is its struct, strings, presence payload and view state. */
#define XM_ROOM_BYTES (20u * 1024u)
#define XM_OCCUPANT_BYTES (2u * 1024u)

/* Splits max_bytes: a quarter for the output queue (high water at an
 * eighth, low at a thirty-second), half for rooms and occupants, the
 * rest for the program, parsers and stanzas being built. */
void xm_budget_split(size_t max_bytes, struct xm_budget *b);

/* Whether rooms and occupants (plus `rooms_more` new rooms and
 * `occupants_more` new occupants) fit in the state budget. */
bool xm_budget_fits(const struct xm_budget *b, size_t rooms, size_t occupants,
                    size_t rooms_more, size_t occupants_more);

#endif
