/* ob_direct_internal.h -- the direct transport (ob_direct.c): direct
 * streams (src/e2e) beside the relayed transport it wraps. */
#ifndef SRC_SUBSTRATE_OB_DIRECT_INTERNAL_H
#define SRC_SUBSTRATE_OB_DIRECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <strophe.h>

#include "ob_core_internal.h"
#include "ob_relay_internal.h"

/* The direct transport (ob_direct.c): unicasts over direct streams when
 * one is up, else through relay (which it owns from now on, and frees
 * even when this fails).  0 with *out set, or OB_ENOMEM.  It registers
 * its stanza handlers (Jingle IQs and probe grants; relayed unicasts
 * carrying <o/>, ordered with the direct ones, then handed to obi_take)
 * and the OBI_JINGLE event's. */
struct obi_direct;
int obi_direct_new(ob_client *c, struct obi_transport *relay,
                   struct obi_direct **out);
/* What the direct transport asks about rooms, answered from above (the
 * client wires it to ob_room.c): is jid one of our rooms (a probe grant
 * comes from one), and is jid a neighbour in one of them (a stranger's
 * session is refused)?  Until set, neither is. */
struct obi_direct_rooms {
    bool (*is_room)(ob_client *c, const char *jid);
    bool (*is_neighbour)(ob_client *c, const char *jid);
};
void obi_direct_set_rooms(struct obi_direct *d,
                          const struct obi_direct_rooms *rooms);
/* A new XMPP session (not resumed): every direct session is dropped. */
void obi_direct_new_session(struct obi_direct *d);
/* Tries a direct session with peer now (for a segment probe): the
 * session policy's limit and greylist hold, its priorities do not.
 * done(arg, ok) runs once: ok when a session is up (at once if one
 * already is), false on failure or after timeout_ms (checked every
 * direct round).  arg must be one malloc'd block: done frees it, or the
 * transport does when it is destroyed before answering.  done must not
 * call into the direct transport. */
typedef void (*obi_probe_fn)(void *arg, bool ok);
int obi_direct_probe(struct obi_direct *d, const char *peer,
                     uint64_t timeout_ms, obi_probe_fn done, void *arg);
/* Is a direct session up (sending) with jid? */
bool obi_direct_up(const struct obi_direct *d, const char *jid);
/* Wants (pin) or no longer wants (unpin) a session with jid whatever the
 * traffic: e2e_policy_pin. */
void obi_direct_pin(struct obi_direct *d, const char *jid, bool pin);
/* Queues an OBI_DIRECT event: a stream to peer up or down (reason), for
 * the application's direct callback, run by the dispatcher. */
void obi_direct_event(ob_client *c, const char *peer, bool up,
                      const char *reason);
/* Unicasts sent on direct streams and not yet acknowledged by their
 * receivers (flow control: ob_in_flight).  An acknowledgement kicks the
 * client while c->flow_blocked, so that it sees the drain. */
size_t obi_direct_in_flight(const struct obi_direct *d);

#endif
