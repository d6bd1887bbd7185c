/* xm_room_internal.h -- the room's insides, shared by xm_room.c (occupants,
 * presence, messages) and xm_room_admin.c (owner and admin requests). */
#ifndef SRC_XMUC_XM_ROOM_INTERNAL_H
#define SRC_XMUC_XM_ROOM_INTERNAL_H

#include "vm.h"
#include "xm_flow.h"
#include "ut_map.h"
#include "xm_room.h"

/* An observer of an occupant, and why it sees it (complete rooms keep
 * none: everyone sees everyone). */
struct xm_seen {
    vm_id observer;
    uint32_t attrs;
};

struct xm_occupant {
    vm_id id;
    char *nick, *jid, *bare;
    char *token; /* the join's takeover token, or NULL */
    enum xm_affil affil;
    vm_params params;       /* as joined, for rebuilding views */
    xmpp_stanza_t *payload; /* <presence> holding the occupant's own children */
    struct xm_seen *seen_by;
    uint32_t n_seen, cap_seen;
    double tokens; /* rate limit bucket */
    uint64_t last_ms;
    struct xm_bucket out;  /* bytes of output it caused (x recipients) */
    uint64_t since;        /* join order: smaller has been here longer */
    uint64_t gc_token_exp; /* its membership token's expiry (s), 0: none */
};

struct xm_forgotten {
    char *jid, *nick;
};

/* A ping sent to an occupant after a link loss (xm_room_link.c). */
struct xm_verify {
    char id[24]; /* the ping's id */
    char *jid;   /* the occupant's real JID */
    uint64_t expires;
};

/* An IQ relayed to an occupant, waiting for its answer (XEP-0045 7.7). */
#define XM_RELAYS 256
struct xm_relay {
    char id[24];   /* the id we gave the forwarded IQ; "" when free */
    char *asker;   /* real JID of the occupant that asked */
    char *orig_id; /* the id it used */
    vm_id target;
    uint64_t expires;
};

struct xm_room {
    char *name, *jid;
    const struct xm_room_env *env;
    struct xm_roomcfg cfg;
    ut_map *affils; /* bare JID -> (void *)(intptr_t)enum xm_affil */
    vm *view;
    bool complete;
    ut_map *by_nick, *by_jid;
    struct xm_occupant **occ; /* by id */
    uint32_t cap;
    vm_id *free_ids;
    uint32_t n_free, next_id;
    size_t n;
    uint64_t version; /* bumped by every join, leave and nick change:
                         pages of one topology share it */
    vm_delta *deltas;
    size_t n_deltas, cap_deltas;
    uint64_t seq;
    char *subject, *subject_from;
    xm_stats *stats;
    bool destroyed;
    struct xm_forgotten *forgotten;
    size_t n_forgotten;
    struct xm_relay relays[XM_RELAYS];
    uint64_t relay_counter;
    uint64_t joins;          /* occupants admitted so far */
    struct xm_segments *seg; /* tapbcast rooms: segment detection ... */
    vm *seg_view;            /* ... over this manager */
    /* xm_room_live.c: surviving a restart of xmucd */
    uint64_t epoch;              /* groupcast stream epoch */
    uint64_t live_version;       /* version when last saved (~0: never) */
    bool live_dirty;             /* configuration changed since */
    volatile uint64_t *seq_slot; /* seq kept here too (mmap), or NULL */
    uint32_t seq_index;          /* its 1-based index; 0: none */
    uint64_t restored_ms;        /* restored at; 0: not (or grace over) */
    struct xm_verify *verify;    /* after a link loss: pings awaiting answers */
    size_t n_verify;
    uint64_t verify_counter;
    uint64_t hold_until;       /* kept, even empty and temporary, until then */
    size_t in_bytes;           /* wire size of the stanza being handled */
    struct gc_sig_key *gc_key; /* signs groupcasts and tokens (xm_room_gc.c) */
    uint64_t gc_renew_at;      /* next token renewal pass (wall clock, s) */
};

/* The parts of a room above this core (xm_room_gc.c, xm_room_link.c,
 * xm_room_live.c) call down into it; where the core must reach up, it
 * goes through this table, which it owns and the service fills
 * (env->hooks = &xm_room_parts, xm_room_parts.c). */
struct xm_room_hooks {
    /* A new room, before xm_room_new returns it. */
    void (*made)(xm_room *r);
    /* The room is being freed: release what the parts keep in it. */
    void (*fini)(xm_room *r);
    /* The configuration or the view manager changed. */
    void (*sync)(xm_room *r);
    /* The service's periodic tick (xm_room_tick). */
    void (*tick)(xm_room *r);
    /* How many occupants a groupcast goes to (engine rooms). */
    size_t (*fanout)(const xm_room *r);
    /* Sends groupcast m (its <groupcast/> element g already numbered)
     * from occupant o (engine rooms). */
    void (*inject)(xm_room *r, const struct xm_occupant *o, xmpp_stanza_t *m,
                   xmpp_stanza_t *g);
    /* Adds key= and token= to o's self-presence <view/> (engine rooms). */
    void (*credentials)(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *view);
    /* A result or error addressed to the room itself. */
    void (*answer)(xm_room *r, xmpp_stanza_t *iq);
};

/* In xm_room.c */
void xm_room_send(xm_room *r, xmpp_stanza_t *st);
void xm_room_error(xm_room *r, xmpp_stanza_t *st, const char *etype,
                   const char *cond, const char *text);
struct xm_occupant *xm_room_occupant_by_jid(const xm_room *r, const char *jid);
struct xm_occupant *xm_room_occupant_by_nick(const xm_room *r,
                                             const char *nick);
/* Removes an occupant, telling it and its observers; codes: XEP-0045
 * status codes, 0-terminated; extra: a child for the unavailable's
 * <x xmlns=muc#user> (e.g. <destroy/>), lent, may be NULL. */
void xm_room_remove(xm_room *r, struct xm_occupant *o, const int *codes,
                    xmpp_stanza_t *extra);
/* Re-sends an occupant's presence to its observers (role changed). */
void xm_room_broadcast_presence(xm_room *r, struct xm_occupant *o);
bool xm_room_is_moderator(const xm_room *r, const struct xm_occupant *o);
/* Replaces the view manager with a new one of cfg->manager and sends
 * every occupant the difference between its old and new views. */
int xm_room_rebuild_views(xm_room *r);

/* Sends the recorded deltas (r->deltas) to the occupants they concern
 * and records who observes whom; for changes no occupant asked for
 * (segment merges and splits). */
void xm_room_apply_deltas(xm_room *r);

/* In xm_room_limits.c: fan-out accounting. */
/* Whether occupant o may cause the output of the stanza being handled
 * (r->in_bytes) to `recipients` occupants: the service's queue takes it
 * and o's byte bucket covers it (then charged).  When not, answers st
 * with resource-constraint and returns false.  o NULL (a join): only
 * the queue is asked. */
bool xm_room_charge(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st,
                    size_t recipients);

/* In xm_room_admin.c */
void xm_room_handle_owner(xm_room *r, xmpp_stanza_t *iq, const char *type,
                          xmpp_stanza_t *query);
void xm_room_handle_admin(xm_room *r, xmpp_stanza_t *iq, const char *type,
                          xmpp_stanza_t *query);
/* The affiliation of the sender of st (service admins count as owners). */
enum xm_affil xm_room_sender_affil(const xm_room *r, xmpp_stanza_t *st);
const char *xm_affil_name(enum xm_affil a);
int xm_affil_parse(const char *name, enum xm_affil *a);

#endif
