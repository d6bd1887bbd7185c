/* xm_room_parts.c -- the table through which a room's core reaches the
 * parts above it: groupcast engines (xm_room_gc.c), link loss
 * (xm_room_link.c) and the live state (xm_room_live.c). */
#include "config.h"

#include "xm_room_parts.h"
#include "xm_room_internal.h"
#include "xm_room_gc.h"
#include "xm_room_link.h"
#include "xm_room_live.h"

static void made(xm_room *r)
{
    xm_room_live_init(r);
    xm_room_gc_sync(r);
}

static void fini(xm_room *r)
{
    xm_room_verify_clear(r);
    xm_room_gc_fini(r);
}

static void answer(xm_room *r, xmpp_stanza_t *iq)
{
    if (!xm_room_verify_answer(r, iq))
        xm_room_gc_answer(r, iq); /* else the room asks only probes */
}

const struct xm_room_hooks xm_room_parts = {
    .made = made,
    .fini = fini,
    .sync = xm_room_gc_sync,
    .tick = xm_room_gc_tick,
    .fanout = xm_room_gc_fanout,
    .inject = xm_room_gc_inject,
    .credentials = xm_room_gc_credentials,
    .answer = answer,
};
