/* xm_service.h -- the component as a whole: routes every stanza to the
 * service itself or to a room, creates and reaps rooms, enforces the
 * service's limits, persists configured rooms, and answers disco, ping
 * and statistics for the service domain.
 *
 * Sans-I/O like the rooms: stanzas come in through xm_service_handle and
 * leave through the xm_out given at creation; the clock is injected. */
#ifndef SRC_XMUC_XM_SERVICE_H
#define SRC_XMUC_XM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xm_error.h"
#include "xm_room.h"
#include "xm_stanza.h"
#include "xm_stats.h"

struct xm_service_config {
    const char *domain;
    uint32_t max_rooms;              /* rooms at once */
    uint32_t max_occupants;          /* per room (rooms may set lower) */
    size_t max_stanza_bytes;         /* larger stanzas get policy-violation */
    uint32_t rate_per_s, rate_burst; /* per occupant; 0: unlimited */
    const char *const *admins;   /* bare JIDs, NULL-terminated; may be NULL */
    const char *data_dir;        /* persistent rooms live here; NULL: none */
    const char *default_manager; /* for new rooms; NULL: "complete" */
    uint64_t (*now_ms)(void *ctx);
    uint64_t seed;
    /* Rooms and occupants outlive a link loss this long (0: occupants
     * are forgotten at once, as before), and empty temporary rooms are
     * held this long after the link is back (docs/xmucd.md). */
    uint64_t link_grace_ms;
    /* Bounded resources (docs/security.md); zero: unbounded. */
    size_t max_memory; /* bytes; the queue marks and the room and
                          occupant budget derive from it */
    uint32_t out_bytes_per_s, out_bytes_burst; /* output an occupant may
                                  cause: stanza bytes x recipients */
    uint32_t rooms_per_jid; /* rooms one bare JID created that exist */
    uint32_t rooms_per_min; /* creations per bare JID and minute */
    /* Bytes waiting in the output queue now (NULL: always 0). */
    size_t (*queued)(void *ctx);
    void *queue_ctx;
};

typedef struct xm_service xm_service;

/* Creates the service and loads persistent rooms from data_dir.  Returns
 * XM_OK and sets *svc, or with *svc NULL and a reason in err: XM_ENOMEM
 * when out of memory, XM_EIO when data_dir is unusable. */
int xm_service_new(const struct xm_service_config *cfg,
                   const struct xm_out *out, char *err, size_t errlen,
                   xm_service **svc);
void xm_service_free(xm_service *s);

/* Handles one stanza from the server (bytes: its size on the wire). */
void xm_service_handle(xm_service *s, xmpp_stanza_t *st, size_t bytes);

/* A stanza that broke one of the link's per-stanza limits was skipped:
 * its sender gets policy-violation (modify) when top (its childless
 * top-level element, may be NULL) still says who sent it to us. */
void xm_service_reject(xm_service *s, xmpp_stanza_t *top, const char *why);

/* The link to the server went down: rooms and occupants are kept for
 * the grace period.  If it is back within it, xm_service_link_up pings
 * every occupant (those whose session ended are removed, status 333).
 * Past it (xm_service_tick notices), occupants are forgotten, and once
 * the link is up each of them is told it was removed (unavailable,
 * status 332) so clients rejoin.  Either way, rooms left empty are held
 * for the grace period after the link is up, then reaped. */
void xm_service_link_down(xm_service *s);
void xm_service_link_up(xm_service *s);

/* Runs what is due on the clock, every second or so: the end of a link
 * grace period; with a data folder, saving the rooms' live state (at most
 * once a second, paced to a tenth of the time) and removing restored
 * rooms left empty past their grace (docs/xmucd.md, "Restarts"). */
void xm_service_tick(xm_service *s);

/* Before exiting: every occupant gets unavailable with status 332 (after
 * the live state was saved, with them). */
void xm_service_shutdown(xm_service *s);

/* A reload (SIGHUP): applies cfg's limits (max_rooms, max_occupants,
 * rate_per_s and rate_burst, out_bytes_per_s and out_bytes_burst,
 * rooms_per_jid and rooms_per_min), admins, default_manager and
 * link_grace_ms; its other fields need a restart and are ignored.  cfg's
 * strings must outlive the service as at creation.  Rooms and occupants
 * stay; a lowered limit applies from the next stanza on. */
void xm_service_reload(xm_service *s, const struct xm_service_config *cfg);

xm_stats *xm_service_stats(xm_service *s);
size_t xm_service_rooms(const xm_service *s);
/* Calls fn for every room; non-zero stops and is returned. */
int xm_service_each_room(xm_service *s, int (*fn)(void *ctx, xm_room *r),
                         void *ctx);
xm_room *xm_service_room(xm_service *s, const char *name);
/* Occupants across all rooms. */
size_t xm_service_occupants(const xm_service *s);
/* The error replies sent so far, by condition (xm_refusal.h). */
const struct xm_refusals *xm_service_refusals(const xm_service *s);

#endif
