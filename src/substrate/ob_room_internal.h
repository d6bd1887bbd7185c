/* ob_room_internal.h -- rooms (ob_room.c): joining, leaving, views,
 * recovery, and the events that change them.  A room's groupcast engine
 * sits above, behind a table of hooks (struct obi_room_engine) that the
 * groupcast module sets: the room tells it, and never calls up. */
#ifndef SRC_SUBSTRATE_OB_ROOM_INTERNAL_H
#define SRC_SUBSTRATE_OB_ROOM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "ob_core_internal.h"

/* A neighbour in our view of a room. */
struct obi_nb {
    char *nick, *jid, *attrs;
    char *show, *status; /* its presence's (ob_room_presence), or NULL */
    uint32_t id;         /* the room's number for it (groupcast engines) */
    char *pinned;        /* the JID pinned for a direct session (a groupcast
                            neighbour), or NULL */
};

/* Where we stand in a room.  JOINING: presence sent; CONFIGURING: created,
 * owner form sent; IN: joined; LEAVING: unavailable sent; REJOIN_WAIT: a
 * timer will send the join again; REJOINING: join sent again after a new
 * session or a service restart. */
enum obi_rstate {
    OBI_R_JOINING,
    OBI_R_CONFIGURING,
    OBI_R_IN,
    OBI_R_LEAVING,
    OBI_R_REJOIN_WAIT,
    OBI_R_REJOINING,
};

struct obi_room {
    struct obi_room *next;
    ob_client *c;
    char *jid, *nick;
    struct ob_join_params p; /* its strings point into the owned copies */
    char *password, *manager;
    char token[33]; /* takeover token sent in every join of it */
    bool has_cfg;
    struct ob_room_config cfg;
    char *cfg_manager, *cfg_name, *cfg_password, *cfg_groupcast;
    char *show, *status; /* our presence's (ob_room_presence), or NULL */
    enum obi_rstate st;
    int retries;
    struct event *retry;
    struct obi_nb *nb;
    size_t nnb, cap;
    uint32_t next_id;  /* the next neighbour's id */
    struct obi_gc *gc; /* the groupcast engine, once one is needed */
    /* Recovery (ob_recover.c): */
    bool cfg_applied;   /* our owner form was accepted: re-sent if a rejoin
                           re-creates the room */
    bool recreating;    /* CONFIGURING after a rejoin re-created the room */
    struct event *ping; /* the next self-ping */
    bool ping_out;      /* a self-ping awaits its answer ... */
    uint64_t ping_ms;   /* ... sent then */
    uint64_t heard_ms;  /* xmucd last sent us something for this room */
    int losses;         /* losses noticed in a row (rejoin backoff) */
    uint64_t lost_ms;   /* when the last one was noticed */
    uint64_t epoch;     /* the room's groupcast epoch (self-presence), 0
                           until known */
    int gc_mode;        /* the mode our self-presence announced */
};

/* An iq in flight (room listing, owner form). */
struct obi_pending {
    struct obi_pending *next;
    ob_client *c;
    char *id;
    enum obi_kind kind; /* OBI_LIST or OBI_CONFIG_DONE */
    char *room;         /* OBI_CONFIG_DONE */
    ob_list_fn fn;
    ob_done_fn done; /* OBI_ADMIN_DONE */
    void *arg;
};

/* A room's groupcast engine (struct obi_gc, opaque here), as ob_room.c
 * sees it: what a room tells its engine.  Set once with
 * obi_room_set_engine before any room exists; every hook must be set.
 * view: a neighbour added, updated or gone; prepare: the room announced
 * its groupcast mode (mode 0, relay: nothing); reset: the room's
 * groupcast epoch changed; credentials: the room's key and our token
 * from our self-presence; unpin: a neighbour being freed; free: r's
 * engine (r->gc, may be NULL) going with r; inject: a groupcast from
 * xmucd with a mode; record: a <gc/> from a neighbour (r in the room,
 * same epoch). */
struct obi_gc;
struct obi_room_engine {
    void (*view)(struct obi_room *r, struct obi_nb *n, bool gone);
    void (*prepare)(struct obi_room *r, int mode);
    void (*reset)(struct obi_room *r);
    void (*credentials)(struct obi_room *r, const struct obi_ev *ev);
    void (*unpin)(struct obi_room *r, struct obi_nb *n);
    void (*free)(struct obi_gc *g);
    void (*inject)(ob_client *c, struct obi_room *r, const struct obi_ev *ev);
    void (*record)(ob_client *c, struct obi_room *r, const struct obi_ev *ev);
};
void obi_room_set_engine(ob_client *c, const struct obi_room_engine *e);

/* The room with this JID (any case), or NULL. */
struct obi_room *obi_room_find(ob_client *c, const char *jid);
/* Is jid a neighbour in one of c's rooms? */
bool obi_room_has_neighbour(ob_client *c, const char *jid);
/* Registers the handlers of the room events (views, self-presence,
 * errors, unicasts, groupcasts, listings, answers to our requests). */
void obi_room_attach(ob_client *c);
void obi_rooms_new_session(ob_client *c);
void obi_rooms_free(ob_client *c);
void obi_pending_fail_all(ob_client *c, int code);
/* Sends iq (with id, to room) for ob_room_admin.c; its answer becomes an
 * OBI_ADMIN_DONE event carrying done and arg (a failure of every request
 * in flight too).  0, OB_ENOMEM, OB_ESTATE. */
int obi_room_admin_iq(ob_client *c, xmpp_stanza_t *iq, const char *id,
                      const char *room, ob_done_fn done, void *arg);

#endif
