/* xm_room.h -- one extensible multi-user room: occupants, their views,
 * and what the room sends when they join, leave, talk or change.
 *
 * Sans-I/O: a room gets stanzas already routed to it and sends through the
 * xm_out of its environment; time comes from the environment's clock.
 * Every join and leave goes through the room's view manager (src/views);
 * its deltas become presence stanzas to exactly the affected occupants.
 * With the complete manager the room behaves as a XEP-0045 room. */
#ifndef SRC_XMUC_XM_ROOM_H
#define SRC_XMUC_XM_ROOM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <strophe.h>

#include "xm_error.h"
#include "xm_roomcfg.h"
#include "xm_stanza.h"
#include "xm_stats.h"

typedef struct xm_room xm_room;

enum xm_affil {
    XM_AFFIL_NONE,
    XM_AFFIL_OUTCAST,
    XM_AFFIL_MEMBER,
    XM_AFFIL_ADMIN,
    XM_AFFIL_OWNER
};

/* What a room needs from the service that holds it. */
struct xm_room_env {
    const struct xm_out *out;
    const char *domain;     /* the component domain */
    uint32_t max_occupants; /* the service's cap for any room */
    uint32_t rate_per_s;    /* per-occupant stanza rate ... */
    uint32_t rate_burst;    /* ... and burst; 0: unlimited */
    uint64_t (*now_ms)(void *ctx);
    /* Called after the configuration, affiliations or subject changed
     * (the service saves persistent rooms).  It must not free the room:
     * the service reaps empty temporary and destroyed rooms after each
     * stanza. */
    void (*changed)(void *ctx, xm_room *r);
    bool (*is_admin)(void *ctx, const char *bare_jid); /* service admins */
    xm_stats *service_stats;      /* what rooms send is counted here too */
    struct xm_refusals *refusals; /* error replies are noted here (NULL:
                                     not counted), xm_refusal.h */
    void *ctx;
    uint64_t seed; /* for the view manager's PRNG */
    /* Output an occupant may cause (stanza bytes x recipients), per
     * second and at once; 0: unlimited. */
    uint32_t out_bytes_per_s, out_bytes_burst;
    /* Whether cost more bytes of fan-out may be queued now (the
     * service's output queue is not high); NULL: always. */
    bool (*may_queue)(void *ctx, size_t cost);
    /* The parts of a room above its core: &xm_room_parts
     * (xm_room_parts.h). */
    const struct xm_room_hooks *hooks;
};

/* A room named name (the node of its JID) with configuration cfg (copied).
 * env must outlive the room.  Returns XM_OK and sets *out, or with *out
 * NULL: XM_EINVAL when cfg's manager is unknown, XM_ENOMEM when out of
 * memory. */
int xm_room_new(const char *name, const struct xm_room_env *env,
                const struct xm_roomcfg *cfg, xm_room **out);
/* Frees the room without sending anything. */
void xm_room_free(xm_room *r);

const char *xm_room_name(const xm_room *r);
const char *xm_room_jid(const xm_room *r);
size_t xm_room_size(const xm_room *r);
const struct xm_roomcfg *xm_room_config(const xm_room *r);
xm_stats *xm_room_stats(xm_room *r);
/* True once destroyed by its owner: the service must free it. */
bool xm_room_destroyed(const xm_room *r);

/* Handles a stanza addressed to the room (nick NULL) or to an occupant
 * (room@domain/nick).  bytes is its size on the wire (for statistics). */
void xm_room_handle(xm_room *r, xmpp_stanza_t *st, const char *nick,
                    size_t bytes);

/* Runs what a room does on its own (segment detection rounds in tapbcast
 * rooms; nothing in others).  The room also does it on every stanza it
 * handles; an event loop calls this every second or so for idle rooms. */
void xm_room_tick(xm_room *r);

/* Handles the presence that created the room (its creator joins; the
 * self-presence carries status 201).  The service makes the creator an
 * owner first. */
void xm_room_join_creator(xm_room *r, xmpp_stanza_t *st, const char *nick,
                          size_t bytes);

/* Whether the full JID jid is an occupant. */
bool xm_room_has_occupant(const xm_room *r, const char *jid);

/* Sets or clears (XM_AFFIL_NONE) a bare JID's affiliation. */
int xm_room_set_affiliation(xm_room *r, const char *bare_jid, enum xm_affil a);
enum xm_affil xm_room_affiliation(const xm_room *r, const char *bare_jid);

/* Sends every occupant an unavailable presence with the given XEP-0045
 * status code (332: the service is shutting down) and forgets them. */
void xm_room_evict_all(xm_room *r, int status);
/* Forgets every occupant without sending anything (the link is down),
 * remembering their JIDs and nicks for xm_room_notify_forgotten. */
void xm_room_forget_all(xm_room *r);
/* Tells the occupants forgotten by xm_room_forget_all that they were
 * removed (unavailable, status 332) so their clients can rejoin. */
void xm_room_notify_forgotten(xm_room *r);

/* After a link loss shorter than the grace (the occupants were kept):
 * pings every occupant (XEP-0199) from the room's JID.  One whose answer
 * is an error (its session is gone, or its client cannot answer pings)
 * is removed with status 333; one that answers, or does not answer
 * within timeout_ms, stays. */
void xm_room_verify_occupants(xm_room *r, uint64_t timeout_ms);
/* Keeps the room, even when it is empty and temporary, until until_ms
 * (the environment's clock): after a link loss, so that nobody else can
 * re-create it, and take its ownership, while its occupants rejoin. */
void xm_room_hold(xm_room *r, uint64_t until_ms);
bool xm_room_held(const xm_room *r);

/* Saves configuration, affiliations and subject as "name value" lines;
 * xm_room_load reads them back into a room without occupants.  0, or -1
 * (load: with the offending line number in *line). */
int xm_room_save(const xm_room *r, FILE *f);
int xm_room_load(xm_room *r, FILE *f, int *line);

/* The room's topology as JSON: vm_export's document plus
 * "nicks":{"<id>":"nick"}.  Returns a malloc'd string or NULL. */
char *xm_room_topology_json(const xm_room *r);

/* The occupant's view as nicks (for tests and tools): calls fn for every
 * occupant the one named nick sees, with the edge's attributes. */
int xm_room_view_each(const xm_room *r, const char *nick,
                      int (*fn)(void *ctx, const char *nick, uint32_t attrs),
                      void *ctx);

#endif
