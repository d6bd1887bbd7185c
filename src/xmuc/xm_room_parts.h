/* xm_room_parts.h -- the parts of a room above its core, as the table
 * the core calls up through (struct xm_room_hooks, xm_room_internal.h):
 * the service puts &xm_room_parts in the rooms' env.  Not installed.
 *
 * Layers: xm_service -> xm_room_parts -> xm_room_live -> xm_room_gc,
 * and xm_room_parts -> xm_room_link; all of them -> xm_room (the core:
 * occupants, presence, messages, admin, limits). */
#ifndef SRC_XMUC_XM_ROOM_PARTS_H
#define SRC_XMUC_XM_ROOM_PARTS_H

struct xm_room_hooks;

extern const struct xm_room_hooks xm_room_parts;

#endif
