/* xm_room_gc.h -- a room's groupcast engines other than relay
 * (xm_room_gc.c): above the room's core, which reaches them through its
 * hooks (xm_room_parts.c); below the live state (xm_room_live.c), which
 * saves and restores the signing key.  Not installed. */
#ifndef SRC_XMUC_XM_ROOM_GC_H
#define SRC_XMUC_XM_ROOM_GC_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "xm_room.h"

struct xm_occupant;

/* How many occupants xm_room_gc_inject sends a groupcast to. */
size_t xm_room_gc_fanout(const xm_room *r);
/* Starts, restarts (the manager was replaced) or stops segment
 * detection to match the configuration. */
void xm_room_gc_sync(xm_room *r);
/* Runs due detection rounds (probes leave through the room). */
void xm_room_gc_tick(xm_room *r);
/* The room's signing key as its 32-byte Ed25519 seed (kept in the live
 * state so a restarted xmucd signs the same stream with the same key),
 * and taking it back.  0 or -1 (no key; a seed that makes none). */
int xm_room_gc_key_seed(const xm_room *r, uint8_t seed[32]);
int xm_room_gc_set_key(xm_room *r, const uint8_t seed[32]);
/* Sends groupcast m (its <groupcast/> element g already numbered) from
 * occupant o to the injection points of the room's engine. */
void xm_room_gc_inject(xm_room *r, const struct xm_occupant *o,
                       xmpp_stanza_t *m, xmpp_stanza_t *g);
/* A result or error addressed to the room itself: a probe's answer. */
void xm_room_gc_answer(xm_room *r, xmpp_stanza_t *iq);
/* Adds the room's public key and o's membership token (key=, token=) to
 * o's self-presence <view/> in a room whose groupcasts use an engine. */
void xm_room_gc_credentials(xm_room *r, struct xm_occupant *o,
                            xmpp_stanza_t *view);
/* Frees what xm_room_gc.c keeps in the room (its key). */
void xm_room_gc_fini(xm_room *r);

/* The public half of the room's signing key (the key= its members get);
 * 0, or -1 when it has none. */
int xm_room_public_key(const xm_room *r, uint8_t pub[32]);

#endif
