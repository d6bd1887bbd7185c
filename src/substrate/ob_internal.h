/* ob_internal.h -- liborbweb's internals (prefix obi_): the client
 * structure, the queued events, the stanza parser and the transport table.
 *
 * Flow: libstrophe handlers (inside xmpp_run_once) only parse stanzas into
 * queued events (struct obi_ev, owning copies of their strings).  When
 * xmpp_run_once has returned, the dispatcher applies each event to the
 * room tables and calls the application's callback; so callbacks never
 * run inside libstrophe, and may call back into the library. */
#ifndef SRC_SUBSTRATE_OB_INTERNAL_H
#define SRC_SUBSTRATE_OB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "orbweb.h"
#include "ut_ns.h"

/* The namespaces are src/util's (ut_ns.h); these short names stay for
 * the substrate's many uses. */
#define OBI_NS UT_NS_XMUC
#define OBI_NS_MUC UT_NS_MUC
#define OBI_NS_MUC_USER UT_NS_MUC_USER
#define OBI_NS_MUC_OWNER UT_NS_MUC_OWNER
#define OBI_NS_DISCO_ITEMS UT_NS_DISCO_ITEMS
#define OBI_NS_STANZAS UT_NS_STANZAS
#define OBI_NS_DATA UT_NS_DATA
#define OBI_NS_E2E UT_NS_E2E

/* What one stanza means to us (the parser's output). */
enum obi_kind {
    OBI_NONE = 0,     /* nothing for us */
    OBI_VIEW_SET,     /* a neighbour's presence (added or updated) */
    OBI_VIEW_GONE,    /* a neighbour left our view (flag: left the room) */
    OBI_SELF_IN,      /* our own presence in a room (flag: created) */
    OBI_SELF_OUT,     /* our own unavailable presence (status below) */
    OBI_JOIN_ERROR,   /* an error presence from a room */
    OBI_UNICAST,
    OBI_GROUPCAST,
    OBI_MSG_ERROR,    /* a message bounced */
    /* made by the client, not the parser */
    OBI_STATE,
    OBI_ROOM,
    OBI_LIST,
    OBI_CONN_ERROR,
    OBI_CONFIG_DONE,  /* owner form answered (cond set when refused) */
    OBI_JINGLE,       /* a Jingle IQ for the direct transport (st) */
    OBI_GC_RECORD,    /* a <gc/> record (parser: room, from, body = base64,
                         sub = mode) */
    OBI_GC_GAP,       /* an engine's gap (room, seq = first, text) */
    OBI_PROBE,        /* a segment probe IQ from a room (st) */
    OBI_SELF_PING,    /* our XEP-0410 self-ping answered (cond set when
                         an error) */
};

/* A room's groupcast mode, from xmucd's <groupcast mode=/> (0: relay). */
enum obi_gc_mode {
    OBI_GC_NONE = 0,
    OBI_GC_TREE,
    OBI_GC_PBCAST,
    OBI_GC_TAPBCAST,
};

/* Why we were removed from a room (OBI_SELF_OUT). */
enum obi_out {
    OBI_OUT_LEFT = 0,   /* we left, or no reason given */
    OBI_OUT_RESTART,    /* status 332: service restarting, rejoin */
    OBI_OUT_KICKED,     /* 307 */
    OBI_OUT_BANNED,     /* 301 */
    OBI_OUT_DESTROYED,  /* <destroy/> */
    OBI_OUT_OTHER,      /* 321, 322, ... */
};

struct obi_ev {
    struct obi_ev *next;
    enum obi_kind kind;
    int sub;       /* OBI_STATE: ob_state; OBI_ROOM: ob_room_change;
                      OBI_SELF_OUT: obi_out; errors: ob_op;
                      OBI_GROUPCAST, OBI_GC_RECORD: obi_gc_mode */
    int code;      /* errors: ob_result */
    bool flag;     /* VIEW_GONE: left the room; SELF_IN / ROOM: created */
    bool has_seq;
    uint64_t seq;
    uint64_t epoch; /* SELF_IN, GC_RECORD: the room's groupcast epoch, 0
                       when none was given */
    enum ob_condition cond;
    char *room, *nick, *jid, *attrs, *body, *from;
    char *condition, *etype, *text;
    /* authenticated groupcast (base64, as received): auth is the room's
     * signature (OBI_GROUPCAST), the sender's membership token
     * (OBI_GC_RECORD) or ours (OBI_SELF_IN, a renewal); key the room's
     * public key (OBI_SELF_IN, a renewal) */
    char *auth, *key;
    unsigned char *data; /* OBI_UNICAST of binary data */
    size_t data_len;
    /* OBI_LIST */
    struct ob_room_info *items;
    size_t nitems;
    ob_list_fn list_fn;
    void *list_arg;
    xmpp_stanza_t *st; /* OBI_JINGLE, OBI_PROBE: a copy */
};

/* Parses one presence or message into *ev (zeroed first).  Returns 0
 * (ev->kind may be OBI_NONE: not ours), or OB_ENOMEM with ev emptied.
 * Pure: no client, no I/O; tested in tests/unit/test_ob_parse.c. */
int obi_parse(xmpp_stanza_t *st, struct obi_ev *ev);

/* Fills the error fields of ev from st's <error/> child: cond,
 * condition, etype, text.  OB_ENOMEM or 0. */
int obi_parse_error(xmpp_stanza_t *st, struct obi_ev *ev);

/* Frees what ev owns (not ev itself) and zeroes it. */
void obi_ev_clear(struct obi_ev *ev);

/* Splits "room@domain/nick" into its bare part and resource; both
 * malloc'd (*nick NULL when there is none).  OB_ENOMEM, OB_EINVAL or 0. */
int obi_split_jid(const char *full, char **bare, char **nick);

/* The send path: one table per transport.  Only the relayed transport
 * exists (ob_relay.c); direct streams and groupcast engines add tables
 * here without changing the public API. */
struct obi_transport;
struct obi_transport_ops {
    const char *name;
    /* a unicast: body (text), or data/len (binary) when body is NULL */
    int (*send_unicast)(struct obi_transport *t, const char *to,
                        const char *body, const void *data, size_t len);
    int (*send_groupcast)(struct obi_transport *t, const char *room,
                          const char *body);
    /* A message built by the caller (type, to, content set; lent) whose
     * text is about `size` bytes; OB_ETOOBIG as send_unicast. */
    int (*send_stanza)(struct obi_transport *t, xmpp_stanza_t *m, size_t size);
    void (*destroy)(struct obi_transport *t);
};
struct obi_transport {
    const struct obi_transport_ops *ops;
    ob_client *client;
};

/* The relayed transport: messages through the XMPP server (and xmucd
 * for groupcasts).  NULL when out of memory. */
struct obi_transport *obi_relay_new(ob_client *c);

/* The direct transport (ob_direct.c): unicasts over direct streams when
 * one is up, else through relay (which it owns from now on, and frees
 * even when this fails: NULL when out of memory). */
struct obi_direct;
struct obi_direct *obi_direct_new(ob_client *c, struct obi_transport *relay);
/* A new XMPP session (not resumed): every direct session is dropped. */
void obi_direct_new_session(struct obi_direct *d);
/* Is st a Jingle IQ (or an answer to one of ours), or a message carrying
 * a room's probe grant?  Then it is queued as an OBI_JINGLE event and
 * handed to obi_direct_iq by the dispatcher. */
bool obi_direct_wants(const struct obi_direct *d, xmpp_stanza_t *st);
int obi_direct_iq(struct obi_direct *d, xmpp_stanza_t *iq);
/* A relayed unicast carrying <o/>: ordered with the direct ones, then
 * handed to obi_take. */
int obi_direct_recv(struct obi_direct *d, xmpp_stanza_t *msg);
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

/* Parses st (a presence or message, lent) and queues what it means. */
void obi_take(ob_client *c, xmpp_stanza_t *st);

#define OBI_MAX_DATA (16u << 20) /* largest ob_unicast_data */

/* A unicast message to `to` of the given type, with a fresh id: its body,
 * or (body NULL) <data xmlns=OBI_NS_E2E> holding data in base64.  NULL
 * when out of memory. */
xmpp_stanza_t *obi_unicast_new(ob_client *c, const char *type, const char *to,
                               const char *body, const void *data, size_t len);
/* The size of a unicast's text: its body, or its data once in base64 (what
 * obi_fits_relay and the session policy weigh). */
size_t obi_unicast_text_size(const char *body, size_t len);

/* Whether st may go through the server: its serialized size is at most
 * relay_max_bytes.  text_bytes, the size of its text, spares measuring
 * small stanzas; OBI_SIZE_UNKNOWN always measures. */
#define OBI_SIZE_UNKNOWN ((size_t)-1)
bool obi_fits_relay(ob_client *c, xmpp_stanza_t *st, size_t text_bytes);

/* For transports: send a stanza on c's connection now (queued in
 * libstrophe, then flushed from the event loop).  OB_ESTATE when not
 * connected. */
int obi_send(ob_client *c, xmpp_stanza_t *st);
/* A session is up: stanzas may go (libstrophe's "connected" is true from
 * the TCP connection on, through TLS and SASL, where a stanza breaks the
 * negotiation). */
bool obi_in_session(const ob_client *c);
xmpp_ctx_t *obi_ctx(ob_client *c);

/* Small stanza builders; NULL when out of memory. */
xmpp_stanza_t *obi_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent,
                      const char *name, const char *ns);
int obi_text_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                const char *text);

/* A neighbour in our view of a room. */
struct obi_nb {
    char *nick, *jid, *attrs;
    uint32_t id;  /* the room's number for it (groupcast engines) */
    char *pinned; /* the JID pinned for a direct session (a groupcast
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
    char token[33];          /* takeover token sent in every join of it */
    bool has_cfg;
    struct ob_room_config cfg;
    char *cfg_manager, *cfg_name, *cfg_password, *cfg_groupcast;
    enum obi_rstate st;
    int retries;
    struct event *retry;
    struct obi_nb *nb;
    size_t nnb, cap;
    uint32_t next_id;  /* the next neighbour's id */
    struct obi_gc *gc; /* the groupcast engine, once one is needed */
    /* Recovery (ob_recover.c): */
    bool cfg_applied;  /* our owner form was accepted: re-sent if a rejoin
                          re-creates the room */
    bool recreating;   /* CONFIGURING after a rejoin re-created the room */
    struct event *ping; /* the next self-ping */
    bool ping_out;     /* a self-ping awaits its answer ... */
    uint64_t ping_ms;  /* ... sent then */
    uint64_t heard_ms; /* xmucd last sent us something for this room */
    int losses;        /* losses noticed in a row (rejoin backoff) */
    uint64_t lost_ms;  /* when the last one was noticed */
    uint64_t epoch;    /* the room's groupcast epoch (self-presence), 0
                          until known */
};

/* An iq in flight (room listing, owner form). */
struct obi_pending {
    struct obi_pending *next;
    ob_client *c;
    char *id;
    enum obi_kind kind; /* OBI_LIST or OBI_CONFIG_DONE */
    char *room;         /* OBI_CONFIG_DONE */
    ob_list_fn fn;
    void *arg;
};

struct ob_client {
    char *host, *jid, *password;
    int port, rmin, rmax, tick_ms;
    int ping_ms;        /* self-ping period; 0: off */
    enum ob_tls tls;
    struct ob_callbacks cb;
    void *user;
    void (*log)(void *user, const char *level, const char *area,
                const char *msg);

    struct event_base *base;
    bool own_base;
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    xmpp_log_t xlog;
    struct obi_transport *tp;
    struct obi_direct *direct; /* tp itself, when direct streams are on */
    char *direct_host;         /* listen address option, or NULL */
    int direct_sessions, direct_round_ms, direct_hello_ms;
    size_t relay_max;   /* largest stanza sent through the server */
    struct ob_stats stats; /* per path (ob_client_stats); the transports
                              count what they sent */

    int fd;             /* libstrophe's socket, -1 when none */
    bool fd_refused;    /* the sockopt callback refused a socket */
    bool in_pump;       /* inside xmpp_run_once */
    int write_spins;    /* write pumps that did not shrink the queue */
    struct event *ev_rd, *ev_wr, *ev_tick, *ev_kick, *ev_retry;
    struct event *ev_gc; /* groupcast engines' rounds (ob_groupcast.c) */
    struct obi_gc_mark *gc_marks; /* rooms left: where their streams stood */
    size_t n_gc_marks;

    enum ob_state state;
    bool started, closing, had_session;
    bool in_session; /* bound, between XMPP_CONN_CONNECT and its end */
    int backoff_ms;
    char *session_jid;  /* bound JID of the current (or last) session */
    unsigned long idseq;

    struct obi_room *rooms;
    struct obi_pending *pending;
    struct obi_ev *q_head, *q_tail;
    bool in_dispatch, dying;
    /* Events that could not be queued for want of memory (obi_lost): the
     * dispatcher reports them as one OB_ENOMEM error, and applies the
     * last state change that was dropped. */
    unsigned lost;
    bool lost_state_set;
    enum ob_state lost_state;
};

/* Queues ev (taking ownership of the allocation) for the dispatcher. */
void obi_enqueue(ob_client *c, struct obi_ev *ev);
/* Allocates a zeroed event of kind; NULL when out of memory. */
struct obi_ev *obi_ev_new(enum obi_kind kind);
/* An event (what: "a presence", ...) could not be queued for want of
 * memory: logged, and reported to the application by the dispatcher as
 * an OB_ENOMEM error (op OB_OP_CONNECT) without allocating. */
void obi_lost(ob_client *c, const char *what);
/* Makes the event loop run libstrophe and the dispatcher soon. */
void obi_kick(ob_client *c);
void obi_logf(ob_client *c, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *obi_next_id(ob_client *c, char *buf, size_t len);
/* The monotonic clock in ms (for the sans-I/O cores' `now`). */
uint64_t obi_now_ms(void);

/* ob_room.c: applying events to rooms, and the room requests. */
struct obi_room *obi_room_find(ob_client *c, const char *jid);
void obi_room_apply(ob_client *c, struct obi_ev *ev);
void obi_rooms_new_session(ob_client *c);
void obi_rooms_free(ob_client *c);
void obi_pending_fail_all(ob_client *c, int code);
int obi_iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud);
/* Dispatch helpers: call the application's callbacks. */
void obi_emit_error(ob_client *c, int code, enum ob_op op, const struct obi_ev *ev,
                    const char *text);

/* ob_recover.c: noticing that a room lost us (pure).  obi_recover_out:
 * whether an error with cond from one of our rooms means we are out of it
 * (other_nick: it came from another occupant's JID, not the room's or
 * ours).  obi_recover_ping_ms: the delay before the next self-ping, the
 * period +-20 % from rnd.  obi_recover_rejoin_ms: the delay before
 * rejoining after the losses-th loss in a row (100 ms doubling, at most
 * OBI_RECOVER_MAX_MS, plus up to 99 ms from rnd), OBI_RECOVER_DEFER_MS
 * more unless we configured the room (our configuration was accepted). */
#define OBI_RECOVER_MAX_MS 3200
#define OBI_RECOVER_DEFER_MS 1000
#define OBI_SELF_PING_MS 30000 /* default period */
bool obi_recover_out(enum ob_condition cond, bool other_nick);
uint64_t obi_recover_ping_ms(int period_ms, uint32_t rnd);
int obi_recover_rejoin_ms(int losses, bool configured, uint32_t rnd);

/* ob_parse.c: a mode's name to enum obi_gc_mode (0 when unknown), and
 * back ("relay" for 0 and unknown values). */
int obi_gc_mode(const char *name);
const char *obi_gc_mode_name(int mode);

/* ob_groupcast.c: groupcast engines (docs/groupcast.md, "Through
 * liborbweb").  obi_gc_inject: a groupcast from xmucd with a mode;
 * obi_gc_record: a <gc/> from a neighbour (dropped unless ev->from is
 * one of r's view); obi_gc_view: a neighbour added, updated or gone. */
void obi_gc_inject(ob_client *c, struct obi_room *r, const struct obi_ev *ev);
void obi_gc_record(ob_client *c, struct obi_room *r, const struct obi_ev *ev);
void obi_gc_view(struct obi_room *r, struct obi_nb *n, bool gone);
/* The room announced its groupcast mode (self-presence): make the engine
 * now, so that direct sessions to its neighbours come up before the
 * first groupcast.  Mode 0 (relay) does nothing. */
void obi_gc_prepare(struct obi_room *r, int mode);
/* The room's groupcast epoch changed (xmucd lost its stream numbering):
 * frees r's engine without remembering where it stood, and forgets any
 * mark kept for r (the new stream starts again at 1). */
void obi_gc_reset(struct obi_room *r);
/* The room's public key and our membership token from our self-presence
 * (ev->key, ev->auth): kept by r's engine, if it has one. */
void obi_gc_credentials(struct obi_room *r, const struct obi_ev *ev);
/* Undoes n's pin, if any (a neighbour being freed). */
void obi_gc_unpin(struct obi_room *r, struct obi_nb *n);
/* Frees r's engine; when groupcasts were delivered, remembers where the
 * room's stream stood, so that an engine made for the same room later
 * (the peer back in it) does not deliver them again (gc_resume). */
void obi_gc_free(struct obi_gc *g);
/* Segment probes (docs/segments.md): is st an <iq type=get><probe/>
 * from one of our rooms (others get the usual service-unavailable)?
 * obi_gc_probe answers it (ok='true|false') through obi_direct_probe;
 * ok='false' at once without direct streams. */
bool obi_gc_wants(ob_client *c, xmpp_stanza_t *st);
void obi_gc_probe(ob_client *c, xmpp_stanza_t *iq);
void obi_gc_client_free(ob_client *c);
/* View attributes ("tree,gossip") to GC_ATTR_* bits; unknown names are
 * ignored. */
uint32_t obi_gc_attrs(const char *list);
/* The payload: nick NUL body (the body's NUL does not travel).  encode:
 * *out malloc'd, OB_EINVAL over GC_PAYLOAD_MAX or a nick empty or over
 * 1023 bytes; decode: both malloc'd, OB_EINVAL when malformed (no NUL,
 * empty nick, a NUL in the body). */
int obi_gc_payload_encode(const char *nick, const char *body, uint8_t **out,
                          size_t *len);
int obi_gc_payload_decode(const uint8_t *p, size_t len, char **nick,
                          char **body);

/* ob_expat.c: around xmpp_run_once, so that libstrophe's parser never
 * holds back a stanza whose last byte has arrived (expat's reparse
 * deferral); routed is false while no call of libstrophe's on this thread has come
 * through liborbweb's XML_Parse (then libexpat was found first: link
 * order); parsed counts, on this thread, the calls of libstrophe's that
 * came through (0 forever where expat needs no interposition). */
void obi_expat_enter(void);
void obi_expat_leave(void);
bool obi_expat_routed(void);
unsigned long obi_expat_parsed(void);

/* ob_sock.c: bytes written to the socket fd so far (acknowledged by the
 * peer, or still in the kernel's send queue); 0 when it cannot tell. */
uint64_t obi_sock_written(int fd);

#endif
