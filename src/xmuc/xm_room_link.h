/* xm_room_link.h -- what a room does about a loss of the component link
 * (xm_room_link.c), for the parts table (xm_room_parts.c); the calls the
 * service makes (xm_room_verify_occupants, xm_room_hold, xm_room_held)
 * are in xm_room.h.  Above the room's core.  Not installed. */
#ifndef SRC_XMUC_XM_ROOM_LINK_H
#define SRC_XMUC_XM_ROOM_LINK_H

#include <stdbool.h>
#include <strophe.h>

#include "xm_room.h"

/* A result or error addressed to the room: true when it answers one of
 * the room's verification pings (and was handled). */
bool xm_room_verify_answer(xm_room *r, xmpp_stanza_t *iq);
/* Forgets the pings still waiting (the room is being freed). */
void xm_room_verify_clear(xm_room *r);

#endif
