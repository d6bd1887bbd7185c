/* xm_quota.h -- who may create rooms: a per-JID creation rate and a
 * quota of rooms a JID holds (rooms it created that still exist).
 *
 * Sans I/O: time is an argument.  Keyed by the bare JID of the real
 * user; each room remembers its creator, so freeing a room gives the
 * creator its slot back.  Rooms without a recorded creator (loaded from
 * disk) count for nobody.  Entries of JIDs that hold nothing and whose
 * rate bucket is full again are forgotten, so the table stays as small
 * as the set of recent creators. */
#ifndef SRC_XMUC_XM_QUOTA_H
#define SRC_XMUC_XM_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "xm_error.h"

typedef struct xm_quota xm_quota;

/* Results of xm_quota_create. */
enum {
    XM_QUOTA_OK = 0,
    XM_QUOTA_ERATE = -1, /* creating rooms faster than per_min */
    XM_QUOTA_EHELD = -2, /* already holds per_jid rooms */
    XM_QUOTA_ENOMEM = -3,
};

/* per_jid: rooms a JID may hold (0: no quota); per_min: creations per
 * minute, which is also the burst (0: no rate).  Returns XM_OK and sets
 * *out, or XM_ENOMEM with *out NULL. */
int xm_quota_new(uint32_t per_jid, uint32_t per_min, xm_quota **out);
void xm_quota_free(xm_quota *q);

/* New limits (a reload); what JIDs hold and their buckets are kept. */
void xm_quota_set_limits(xm_quota *q, uint32_t per_jid, uint32_t per_min);

/* Records that bare creates room `room` at now_ms, if it may: XM_QUOTA_OK,
 * or one of the negative codes above (nothing recorded). */
int xm_quota_create(xm_quota *q, const char *bare, const char *room,
                    uint64_t now_ms);

/* Room `room` is gone: its creator holds one room less.  Unknown rooms
 * are ignored. */
void xm_quota_gone(xm_quota *q, const char *room);

/* Rooms bare holds now. */
uint32_t xm_quota_held(const xm_quota *q, const char *bare);

/* JIDs with an entry (for tests: the table stays small). */
size_t xm_quota_size(const xm_quota *q);

#endif
