/* orbweb.h -- liborbweb, the client library for grid peers.
 *
 * A peer is an XMPP client (ob_client) of a stock server beside which
 * xmucd hosts extensible rooms.  The client connects (SASL SCRAM with a
 * password, or SASL ANONYMOUS), joins rooms with view parameters, and is
 * told, through callbacks, which members its view holds (neighbours, with
 * their attributes and real JIDs), what unicasts and groupcasts arrive,
 * and what went wrong (typed errors carrying the XMPP condition).  It
 * sends unicasts to any member by JID and groupcasts to a room.  The path
 * is relayed by the server and xmucd, or a direct stream between the two
 * peers once one is up (docs/api.md); groupcasts follow the room's
 * engine (relay, tree, pbcast, tapbcast).  For services: timers on the
 * client's loop, request/response (ob_rpc_*), the room's view and our
 * standing in it, and the distance service.
 *
 * Everything runs on a libevent base: the application's (it runs the
 * loop) or one the client owns (ob_run / ob_stop).  Nothing blocks except
 * libstrophe's TLS handshake; the server is given as an IP literal, so no
 * DNS lookup happens.
 *
 * Results: 0 (OB_OK) or a negative enum ob_result; ob_strerror() names
 * them.  Out of memory is returned, never aborted on.
 *
 * Growing structs: every struct the application fills in (ob_options,
 * ob_callbacks, ob_join_params, ob_room_config) or hands over to be
 * filled (ob_stats, ob_room_status) starts with `size_t size`, which the
 * application sets to sizeof the struct as its header declares it, most
 * simply with the OB_*_INIT macro or `.size = sizeof(struct ...)`.  New
 * fields are only ever added at the end, and zero always means "the
 * default" or "none".  The library reads min(size, its own size) bytes
 * and zero-fills the rest, so a program built against an older header
 * keeps working; bytes beyond the library's own size must be zero (a
 * newer program asking for something this library does not know gets
 * OB_EINVAL, as Linux's copy_struct_from_user does).  size 0, or smaller
 * than the first layout that had a size (this one), is OB_EINVAL.  Outputs
 * are written for min(size, ours) bytes, and size is set to that.
 *
 * Callbacks: see "Callback contract" below.  In short, they are never
 * called from inside libstrophe or from inside another liborbweb call,
 * and they may call any liborbweb function, including ob_client_free on
 * the client that called them.  See docs/api.md for complete programs. */
#ifndef SRC_SUBSTRATE_ORBWEB_H
#define SRC_SUBSTRATE_ORBWEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OB_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

enum ob_result {
    OB_OK = 0,
    OB_ENOMEM = -1,     /* an allocation failed; the client is still usable */
    OB_EINVAL = -2,     /* bad argument */
    OB_ESTATE = -3,     /* not possible now (not connected, not in the room) */
    OB_EEXIST = -4,     /* already joined or joining that room */
    OB_ENOTFOUND = -5,  /* no such room among ours */
    OB_EFDLIMIT = -6,   /* the socket was numbered >= FD_SETSIZE: refused */
    OB_ECONNECT = -7,   /* could not connect, or the connection was lost */
    OB_EAUTH = -8,      /* authentication failed */
    OB_ESTANZA = -9,    /* the server or the room answered a stanza error */
    OB_EEVENT = -10,    /* libevent failed */
    OB_EXMPP = -11,     /* libstrophe failed */
    OB_ETOOBIG = -12,   /* larger than the server takes (relay_max_bytes)
                           and no direct stream carries it */
    OB_ETIMEDOUT = -13, /* RPC: no reply within the call's timeout */
    OB_ENOMETHOD = -14, /* RPC: the peer has no handler for the method */
    OB_EREMOTE = -15,   /* RPC: the peer's handler failed the call
                           (ob_rpc_result.remote_code says how) */
    OB_EGONE = -16,     /* RPC: the call bounced (the peer is gone or
                           unreachable), or the peer left the room that
                           was the last of ours to show it */
    OB_EBUSY = -17,     /* a limit is reached (RPC calls in flight here,
                           or requests pending at the peer) */
    /* Connection errors (docs/api.md, "Connection errors and TLS"): */
    OB_EREFUSED = -18, /* the server's port refused the TCP connection */
    OB_EUNREACH = -19, /* the server could not be reached (no route, or
                          the TCP connection timed out) */
    OB_ETLS = -20,     /* TLS failed: the certificate was not trusted (the
                          error's text says why) or did not match the pin */
    /* Flow control (docs/api.md, "Flow control"): */
    OB_EAGAIN = -21, /* send_high_water messages are in flight: not
                        queued; retry after the drained callback */
};

/* Words for a result code; never NULL. */
OB_API const char *ob_strerror(int code);

/* RFC 6120 section 8.3.3 stanza error conditions. */
enum ob_condition {
    OB_COND_NONE = 0, /* not a stanza error */
    OB_COND_BAD_REQUEST,
    OB_COND_CONFLICT,
    OB_COND_FEATURE_NOT_IMPLEMENTED,
    OB_COND_FORBIDDEN,
    OB_COND_GONE,
    OB_COND_INTERNAL_SERVER_ERROR,
    OB_COND_ITEM_NOT_FOUND,
    OB_COND_JID_MALFORMED,
    OB_COND_NOT_ACCEPTABLE,
    OB_COND_NOT_ALLOWED,
    OB_COND_NOT_AUTHORIZED,
    OB_COND_POLICY_VIOLATION,
    OB_COND_RECIPIENT_UNAVAILABLE,
    OB_COND_REDIRECT,
    OB_COND_REGISTRATION_REQUIRED,
    OB_COND_REMOTE_SERVER_NOT_FOUND,
    OB_COND_REMOTE_SERVER_TIMEOUT,
    OB_COND_RESOURCE_CONSTRAINT,
    OB_COND_SERVICE_UNAVAILABLE,
    OB_COND_SUBSCRIPTION_REQUIRED,
    OB_COND_UNDEFINED_CONDITION,
    OB_COND_UNEXPECTED_REQUEST,
    OB_COND_OTHER, /* a condition this list does not name */
};

/* The condition's element name ("not-authorized"); "" for NONE. */
OB_API const char *ob_condition_name(enum ob_condition cond);
/* The condition named name; OB_COND_OTHER when unknown, NONE for NULL. */
OB_API enum ob_condition ob_condition_parse(const char *name);

typedef struct ob_client ob_client;

enum ob_tls {
    OB_TLS_VERIFY = 0, /* STARTTLS when offered, certificate verified */
    OB_TLS_TRUST,      /* STARTTLS when offered, any certificate accepted */
    OB_TLS_REQUIRE,    /* STARTTLS required and verified */
    OB_TLS_OFF,        /* never */
};

enum ob_state {
    OB_STATE_IDLE = 0,    /* not started (ob_connect not called) */
    OB_STATE_CONNECTING,  /* first connection under way */
    OB_STATE_CONNECTED,   /* first session up */
    OB_STATE_LOST,        /* connection lost; reconnecting (backoff) */
    OB_STATE_RESUMED,     /* XEP-0198 resumed the session: nothing missed */
    OB_STATE_RECONNECTED, /* new session: rooms are being rejoined, and
                             what was sent meanwhile may be missed */
    OB_STATE_CLOSED,      /* ob_disconnect finished, or reconnection is
                             off and the connection was lost or refused */
};

OB_API const char *ob_state_name(enum ob_state st);

/* A neighbour entering, changing in, or leaving the client's view of a
 * room.  Every string is lent for the duration of the callback. */
enum ob_view_change { OB_VIEW_ADDED, OB_VIEW_UPDATED, OB_VIEW_REMOVED };

struct ob_view_event {
    enum ob_view_change change;
    const char *room;   /* bare room JID */
    const char *nick;   /* the neighbour's nick in the room */
    const char *jid;    /* its real JID; NULL when the room hides it */
    const char *attrs;  /* why we see it: "tree,gossip", "member", "" */
    bool left_room;     /* REMOVED: it left the room (false: only our view,
                           or our own session was renewed) */
    const char *show;   /* its presence <show/> ("away", "chat", "dnd",
                           "xa"), NULL when available (ob_room_presence) */
    const char *status; /* its presence <status/> text, or NULL */
};

/* A unicast or a groupcast received. */
struct ob_message {
    const char *from; /* unicast: sender's full JID; groupcast: room/nick */
    const char *room; /* groupcast: the room; unicast: the room when sent
                         through room/nick, else NULL */
    const char *nick; /* groupcast: the sender's nick; NULL otherwise */
    const char *body; /* NUL-terminated UTF-8 */
    uint64_t seq;     /* groupcast: the room's sequence number */
    bool has_seq;     /* false when the relay gave none */
    const void *data; /* unicast sent by ob_unicast_data: its bytes (body
                         is then ""); NULL otherwise */
    size_t data_len;
};

enum ob_op {
    OB_OP_CONNECT,   /* connecting or staying connected */
    OB_OP_JOIN,      /* joining (or rejoining) a room */
    OB_OP_CONFIGURE, /* configuring a room created by ob_room_create */
    OB_OP_LIST,      /* listing rooms */
    OB_OP_SEND,      /* a unicast or groupcast bounced */
    OB_OP_ROOM,      /* removed from a room (kicked, banned, destroyed) */
    OB_OP_GROUPCAST, /* groupcasts of a room lost for good (tree, pbcast
                        and tapbcast modes: docs/api.md) */
    OB_OP_ADMIN,     /* a room administration call (ob_room_configure,
                        kick, ban, unban, destroy): its ob_done_fn */
};

struct ob_error {
    int code; /* enum ob_result */
    enum ob_op op;
    enum ob_condition cond; /* OB_COND_NONE when not a stanza error */
    const char *condition;  /* the element name, "" when none */
    const char *type;       /* "cancel", "auth", "modify", "wait", or "" */
    const char *room;       /* the room concerned, or NULL */
    const char *peer;       /* OB_OP_SEND: whom the bounced stanza was for */
    const char *text;       /* words for people; never NULL */
};

enum ob_room_change {
    OB_ROOM_JOINED,   /* in the room (created: we made it) */
    OB_ROOM_REJOINED, /* back after a new session or a service restart;
                         view events of the gap were missed */
    OB_ROOM_LEFT,     /* out of the room (by ob_room_leave, or removed:
                         an OB_OP_ROOM error came first) */
};

struct ob_room_event {
    enum ob_room_change change;
    const char *room;
    const char *nick; /* ours */
    bool created;     /* JOINED: the room did not exist before */
};

/* A direct stream (docs/api.md, "Direct streams"): up, it carries our
 * unicasts to peer; down, they go through the server again.  reason:
 * "opened" (up); down: "success" (closed by the session policy, idle or
 * displaced), "connectivity-error" (the link was lost: the peer left or
 * its host went away), "security-error", "general-error" (our session
 * was renewed), or "failed" (ob_direct_open could not open one: refused,
 * over the limit, or not up within its timeout; it was never up). */
struct ob_direct_event {
    const char *peer; /* the peer's full JID */
    bool up;
    const char *reason;
};

struct ob_callbacks {
    size_t size; /* sizeof(struct ob_callbacks): OB_CALLBACKS_INIT */
    void (*state)(ob_client *c, enum ob_state st, void *user);
    void (*room)(ob_client *c, const struct ob_room_event *ev, void *user);
    void (*view)(ob_client *c, const struct ob_view_event *ev, void *user);
    void (*unicast)(ob_client *c, const struct ob_message *m, void *user);
    void (*groupcast)(ob_client *c, const struct ob_message *m, void *user);
    void (*error)(ob_client *c, const struct ob_error *e, void *user);
    /* A direct stream to a peer came up or went down (ob_direct_open). */
    void (*direct)(ob_client *c, const struct ob_direct_event *ev, void *user);
};

#define OB_CALLBACKS_INIT                                                      \
    {                                                                          \
        .size = sizeof(struct ob_callbacks)                                    \
    }

/* Connection options; zero means the default everywhere. */
struct ob_options {
    size_t size;          /* sizeof(struct ob_options): OB_OPTIONS_INIT */
    const char *host;     /* server address, an IP literal ("127.0.0.1") */
    int port;             /* default 5222 */
    const char *jid;      /* "user@domain" with a password, or "domain"
                             for an anonymous login */
    const char *password; /* NULL: SASL ANONYMOUS */
    enum ob_tls tls;
    int reconnect_min_ms;          /* first delay after a loss; default 250 */
    int reconnect_max_ms;          /* cap of the doubling delay; default 30000;
                                      negative: never reconnect */
    int tick_ms;                   /* libstrophe timers; default 100 */
    struct event_base *base;       /* NULL: the client owns one (ob_run) */
    const struct ob_callbacks *cb; /* may be NULL: no callbacks */
    void *user;                    /* passed to every callback */
    /* Diagnostics (libstrophe's log and ours); NULL: silent. */
    void (*log)(void *user, const char *level, const char *area,
                const char *msg);
    /* Direct streams (docs/api.md): unicasts to peers we talk to a lot
     * go over direct TLS streams negotiated with Jingle. */
    bool direct_off;         /* true: everything relayed through the server */
    const char *direct_host; /* IP literal to listen on and offer; NULL:
                                the local address of the socket to the
                                server */
    int direct_sessions;     /* direct sessions held at most; default 8 */
    int direct_round_ms;     /* session policy period; default 1000 */
    int direct_hello_ms;     /* our direct listener closes a connection
                                whose first octet (the TLS ClientHello)
                                has not come within this; default 2000 */
    int relay_max_bytes;     /* largest stanza sent through the server;
                                default 65536 (ejabberd's shipped client
                                limit; Prosody's is 256 KiB): above its
                                limit a server closes the client's stream,
                                so larger unicasts fail with OB_ETOOBIG
                                unless a direct stream carries them */
    int self_ping_ms;        /* XEP-0410 self-ping of each room we are in,
                                sent when the room said nothing to us for
                                half of it, so a room that lost us (xmucd
                                restarted without its state) is rejoined;
                                period +-20 %; default 30000; negative:
                                never (docs/api.md) */
    /* TLS trust (docs/api.md, "Connection errors and TLS"): */
    const char *tls_ca_file;    /* PEM file of CAs trusted besides the
                                   system's (a grid's own CA) */
    const char *tls_pin_sha256; /* SHA-256 of the server's certificate (DER),
                                   hex, colons optional: that certificate is
                                   accepted whoever signed it, any other is
                                   refused (OB_ETLS) */
    /* Flow control (docs/api.md, "Flow control"): */
    int send_high_water; /* ob_unicast, ob_unicast_data and ob_groupcast
                            return OB_EAGAIN while this many messages are
                            in flight (ob_in_flight); 0: no limit */
    int send_low_water;  /* drained is called once in flight falls to this
                            after an OB_EAGAIN; default high / 4 */
    void (*drained)(ob_client *c, void *user);
};
#define OB_OPTIONS_INIT                                                        \
    {                                                                          \
        .size = sizeof(struct ob_options)                                      \
    }

/* Creates a client (not connected).  The options and their strings are
 * copied.  Returns 0 and *out, or OB_EINVAL (missing host or jid,
 * a host that is not an IP literal), OB_ENOMEM, OB_EEVENT, OB_EXMPP. */
OB_API int ob_client_new(const struct ob_options *opt, ob_client **out);

/* Disconnects at once (no goodbye) and frees.  NULL is a no-op.  From a
 * callback of c, the free happens when that callback returns. */
OB_API void ob_client_free(ob_client *c);

/* Starts connecting; progress arrives through the state callback.
 * OB_EFDLIMIT when the socket's number is >= FD_SETSIZE (libstrophe's
 * select() cannot hold it: the attempt is refused instead of crashing);
 * OB_ECONNECT when no socket could be opened; OB_ESTATE when already
 * started. */
OB_API int ob_connect(ob_client *c);

/* Leaves every room and closes the stream politely; the state callback
 * then gets OB_STATE_CLOSED (and ob_run returns). */
OB_API int ob_disconnect(ob_client *c);

/* Runs the client's own base until ob_stop or OB_STATE_CLOSED.
 * OB_ESTATE when the application gave the base. */
OB_API int ob_run(ob_client *c);
OB_API void ob_stop(ob_client *c);

OB_API struct event_base *ob_client_base(ob_client *c);
OB_API enum ob_state ob_client_state(const ob_client *c);
/* The full JID of the current session, or NULL when not connected. */
OB_API const char *ob_client_jid(const ob_client *c);

/* View parameters sent when joining (docs/protocol.md, <join/>).  Zero
 * means "the room's default" (or "none"). */
struct ob_join_params {
    size_t size;          /* sizeof(struct ob_join_params) */
    const char *password; /* the room's password, or NULL */
    const char *manager;  /* view manager if this join creates the room */
    int view_size;        /* rbt: 1..255 */
    int degree;           /* random: out-degree 1..255 */
    bool has_key;
    uint64_t key; /* ring order / first tree key */
    bool has_segment;
    uint32_t segment; /* network segment hint */
};
#define OB_JOIN_PARAMS_INIT                                                    \
    {                                                                          \
        .size = sizeof(struct ob_join_params)                                  \
    }

/* Joins room (bare JID "name@rooms.example.org") as nick.  The outcome
 * arrives as OB_ROOM_JOINED, or an OB_OP_JOIN error (conflict,
 * not-authorized, ...), after which the room is forgotten.  p may be NULL.
 * OB_EEXIST when already in (or joining) it; OB_ESTATE when not connected. */
OB_API int ob_room_join(ob_client *c, const char *room, const char *nick,
                        const struct ob_join_params *p);

/* Configuration of a room made by ob_room_create: zero or NULL leaves the
 * service's default. */
struct ob_room_config {
    size_t size;          /* sizeof(struct ob_room_config) */
    const char *manager;  /* complete, rbt, ring, random, blind, treegossip */
    int view_size;        /* 0..255 */
    int degree;           /* 0..255 */
    const char *name;     /* human-readable title */
    const char *password; /* NULL: none */
    bool members_only;
    bool persistent;
    bool hidden;           /* not listed in disco#items */
    int max_users;         /* 0: the service's default */
    const char *groupcast; /* NULL or "relay" (the default), "tree",
                              "pbcast" or "tapbcast" (docs/api.md) */
    int injection_points;  /* tree, pbcast: 0..255, 0 for xmucd's (2) */
};
#define OB_ROOM_CONFIG_INIT                                                    \
    {                                                                          \
        .size = sizeof(struct ob_room_config)                                  \
    }

/* Creates room with cfg and joins it as its owner: the join carries the
 * manager (so the first views are built by it), then the owner form sets
 * the rest.  OB_ROOM_JOINED (created = true) arrives once the form is
 * accepted; an OB_OP_CONFIGURE error if it is refused (we stay in the
 * room).  If the room already existed, we join it (created = false),
 * cfg is not applied, and an OB_OP_CONFIGURE error with OB_EEXIST says so
 * before OB_ROOM_JOINED (its owner may apply cfg: ob_room_configure). */
OB_API int ob_room_create(ob_client *c, const char *room, const char *nick,
                          const struct ob_room_config *cfg,
                          const struct ob_join_params *p);

/* Leaves room; OB_ROOM_LEFT follows.  OB_ENOTFOUND when not in it. */
OB_API int ob_room_leave(ob_client *c, const char *room);

/* One room of a listing; strings lent for the callback. */
struct ob_room_info {
    const char *jid;
    const char *name; /* may be "" */
};

/* Lists the public rooms of service ("rooms.example.org") with
 * disco#items; fn gets them once (n may be 0), or an OB_OP_LIST error
 * goes to the error callback and fn is not called. */
typedef void (*ob_list_fn)(ob_client *c, const struct ob_room_info *rooms,
                           size_t n, void *arg);
OB_API int ob_rooms_list(ob_client *c, const char *service, ob_list_fn fn,
                         void *arg);

/* The current view of room: fn is called once per neighbour (with
 * change = OB_VIEW_ADDED); fn may be NULL, to count them.  Returns the
 * number of neighbours, or OB_ENOTFOUND. */
typedef void (*ob_view_fn)(const struct ob_view_event *n, void *arg);
OB_API int ob_room_view(ob_client *c, const char *room, ob_view_fn fn,
                        void *arg);

/* One neighbour of our view of room, found by its nick or by its real
 * JID (full, or bare: the first of its resources in the view): fn is called
 * once with it (change = OB_VIEW_ADDED).  Returns 0, or OB_ENOTFOUND
 * (no such room among ours, or no such neighbour in its view), or
 * OB_EINVAL. */
OB_API int ob_room_neighbour(ob_client *c, const char *room, const char *who,
                             ob_view_fn fn, void *arg);

/* Where we stand in one of our rooms. */
enum ob_room_phase {
    OB_ROOM_PHASE_JOINING = 0, /* join sent (or room being configured) */
    OB_ROOM_PHASE_IN,          /* in the room */
    OB_ROOM_PHASE_LEAVING,     /* ob_room_leave sent */
    OB_ROOM_PHASE_REJOINING,   /* lost, joining again (new session,
                                  service restart, self-ping) */
};

/* Our own standing in a room (an output: set size first with
 * OB_ROOM_STATUS_INIT).  Strings are lent until control returns to the
 * event loop or the room is left, whichever comes first. */
struct ob_room_status {
    size_t size;
    const char *room; /* bare room JID */
    const char *nick; /* our nick in it */
    enum ob_room_phase phase;
    size_t neighbours;     /* members of our view (ob_room_view) */
    const char *manager;   /* the view manager we asked for (join or
                              ob_room_config), "" when we left it to
                              the room */
    const char *groupcast; /* the groupcast mode the room announced:
                              "relay", "tree", "pbcast", "tapbcast" */
    bool owner;            /* we created it and our ob_room_config
                              was accepted */
    bool has_key;          /* our join key (ob_join_params), if given */
    uint64_t key;
    bool has_segment; /* our segment hint, if given */
    uint32_t segment;
    uint64_t epoch; /* the room's groupcast epoch, 0 until known */
};
#define OB_ROOM_STATUS_INIT                                                    \
    {                                                                          \
        .size = sizeof(struct ob_room_status)                                  \
    }

/* Fills *out for room.  0, OB_ENOTFOUND (not one of ours), OB_EINVAL. */
OB_API int ob_room_status(ob_client *c, const char *room,
                          struct ob_room_status *out);

/* Sends body (NUL-terminated UTF-8) to the member whose real JID is jid
 * (or to room/nick).  Returns once queued; a bounce comes back as an
 * OB_OP_SEND error.  OB_ESTATE when not connected. */
OB_API int ob_unicast(ob_client *c, const char *jid, const char *body);

/* Sends len bytes of binary data (len <= 16 MiB) to jid, as
 * ob_unicast does; they arrive as ob_message.data.  On the wire: base64
 * text in <data xmlns='https://orbweb.dev/ns/e2e/0'/> through the server,
 * raw octets on a direct stream with Fast Infoset framing (no base64
 * inflation).  OB_EINVAL when len is 0 or too large. */
OB_API int ob_unicast_data(ob_client *c, const char *jid, const void *data,
                           size_t len);

/* The distance service (the Orbweb paper's d_XMPP, section 6.2): how far
 * jid (a real JID, or room/nick in one of our rooms, resolved through
 * our view) is, as a small integer a service can sort by, lower is
 * nearer:
 *   OB_DIST_SELF (0)    ourselves (the session's full JID),
 *   OB_DIST_DIRECT (1)  a direct stream is up with it now (one hop, no
 *                       server on the path),
 *   OB_DIST_SERVER (2)  on our XMPP server's domain (two hops, one
 *                       server),
 *   OB_DIST_REMOTE (3)  on another server (federated, s2s).
 * It changes as direct streams come and go (a unicast or ob_rpc_call
 * to it is what brings one up).  OB_EINVAL for a missing JID. */
enum ob_dist {
    OB_DIST_SELF = 0,
    OB_DIST_DIRECT = 1,
    OB_DIST_SERVER = 2,
    OB_DIST_REMOTE = 3,
};
OB_API int ob_distance(ob_client *c, const char *jid);

/* What the client sent to single peers, by path, since ob_client_new:
 * every ob_unicast and ob_unicast_data that returned OB_OK, and the
 * records the groupcast engines of tree, pbcast and tapbcast rooms send
 * to their neighbours.  Each counts once in direct or relayed, as it
 * left; resent counts those that left on a direct stream which died
 * before acknowledging them and were then sent through the server. */
struct ob_stats {
    size_t size;               /* sizeof(struct ob_stats): OB_STATS_INIT */
    uint64_t unicasts_direct;  /* on a direct stream */
    uint64_t unicasts_relayed; /* through the server */
    uint64_t unicasts_resent;  /* direct first, then again relayed */
    /* Authenticated groupcast (docs/security.md): */
    uint64_t gc_verified;   /* groupcasts whose room signature held */
    uint64_t gc_unverified; /* groupcast records dropped: no or a bad
                               signature, or no key for the room yet */
    uint64_t gc_no_token;   /* digests and solicits ignored: the sender
                               showed no valid membership token */
    /* RPC (ob_rpc_call): hostile or late input dropped */
    uint64_t rpc_dropped; /* replies to no call of ours (unknown id,
                             a duplicate, a late one, the wrong
                             sender) and malformed frames */
    uint64_t rpc_refused; /* requests answered OB_EBUSY (too many
                             pending) or OB_ENOMETHOD */
};
#define OB_STATS_INIT                                                          \
    {                                                                          \
        .size = sizeof(struct ob_stats)                                        \
    }

/* Copies c's counters into *out (out->size set first: OB_STATS_INIT).
 * OB_EINVAL when c or out is NULL or out->size is too small. */
OB_API int ob_client_stats(const ob_client *c, struct ob_stats *out);

/* Sends body to every member of room (including us: we receive our own
 * groupcasts with their sequence numbers).  OB_ENOTFOUND when we are not
 * in room; OB_ESTATE when not connected. */
OB_API int ob_groupcast(ob_client *c, const char *room, const char *body);

/* ---- Timers on the client's event loop --------------------------------
 *
 * A timer runs fn(t, arg) once, ms after ob_timer_start (restart it from
 * fn for a period).  fn runs under the callback contract below: it may
 * call every function of this header, ob_timer_free(t) and
 * ob_client_free(c) included.  ob_client_free frees the client's timers
 * (their handles are then invalid). */
typedef struct ob_timer ob_timer;
typedef void (*ob_timer_fn)(ob_timer *t, void *arg);

/* Creates a stopped timer of c.  0 and *out, OB_EINVAL, OB_ENOMEM. */
OB_API int ob_timer_new(ob_client *c, ob_timer_fn fn, void *arg,
                        ob_timer **out);
/* (Re)arms t to fire once in ms milliseconds (0: at the next turn of the
 * loop).  0, OB_EINVAL (ms < 0), OB_EEVENT. */
OB_API int ob_timer_start(ob_timer *t, int64_t ms);
/* Disarms t (nothing when it is not armed). */
OB_API void ob_timer_stop(ob_timer *t);
OB_API bool ob_timer_pending(const ob_timer *t);
/* Stops and frees t; NULL is a no-op. */
OB_API void ob_timer_free(ob_timer *t);

/* ---- Request/response between peers (RPC over unicast) ----------------
 *
 * A client registers methods; a peer calls one with a binary payload and
 * a timeout; exactly one result comes back to the caller's done
 * callback: the reply, or a typed error.  Frames travel as
 * ob_unicast_data (docs/api.md, "Request/response between peers"): on a direct
 * stream when one is up, through the server otherwise; binary unicasts that are
 * RPC frames are taken before the unicast callback.  A call's peer is the
 * JID the reply must come from: the real full JID from the view (or
 * room/nick, or a bare JID matching any of its resources). */
#define OB_RPC_METHOD_MAX 64    /* bytes of a method name */
#define OB_RPC_TIMEOUT_MS 10000 /* timeout_ms 0 */
#define OB_RPC_MAX_CALLS 1024   /* calls in flight per client */
#define OB_RPC_MAX_PENDING 256  /* requests being handled per client */

/* A request being handled; valid until answered (ob_rpc_reply or
 * ob_rpc_fail, exactly once, then or later) or the client is freed. */
typedef struct ob_rpc_req ob_rpc_req;

/* A method handler: answer req now or later.  data is lent for the call
 * (NULL when len is 0). */
typedef void (*ob_rpc_method_fn)(ob_client *c, ob_rpc_req *req,
                                 const void *data, size_t len, void *arg);

/* Registers fn for method (1..OB_RPC_METHOD_MAX bytes).  0, OB_EEXIST,
 * OB_EINVAL, OB_ENOMEM. */
OB_API int ob_rpc_register(ob_client *c, const char *method,
                           ob_rpc_method_fn fn, void *arg);
/* Removes it; requests already handed to it stay valid.  0 or
 * OB_ENOTFOUND. */
OB_API int ob_rpc_unregister(ob_client *c, const char *method);

/* Who called, and what; lent while req is valid. */
OB_API const char *ob_rpc_req_peer(const ob_rpc_req *req);
OB_API const char *ob_rpc_req_method(const ob_rpc_req *req);

/* Answers req with len bytes (binary-safe; 0 allowed) and frees it,
 * whatever the result.  OB_ETOOBIG when the reply cannot reach the
 * caller (the caller then gets OB_ETOOBIG); OB_ESTATE when not
 * connected (the caller times out). */
OB_API int ob_rpc_reply(ob_rpc_req *req, const void *data, size_t len);
/* Fails req: the caller gets OB_EREMOTE with remote_code = code and
 * text (NULL: ""; at most 255 bytes are sent).  Frees req. */
OB_API int ob_rpc_fail(ob_rpc_req *req, int code, const char *text);

/* The outcome of a call; lent for the done callback. */
struct ob_rpc_result {
    int code;         /* OB_OK, OB_ETIMEDOUT, OB_ENOMETHOD, OB_EREMOTE,
                         OB_EGONE, OB_EBUSY (the peer's queue is full),
                         OB_ETOOBIG (the reply could not travel) */
    int remote_code;  /* OB_EREMOTE: the responder's code */
    const char *text; /* words; never NULL */
    const char *peer;
    const char *method;
    uint64_t id;      /* as ob_rpc_call returned it */
    const void *data; /* OB_OK: the reply (NULL when len is 0) */
    size_t len;
};
typedef void (*ob_rpc_done_fn)(ob_client *c, const struct ob_rpc_result *res,
                               void *arg);

/* Calls method on peer with len bytes; done runs exactly once, from the
 * event loop (never inside this call), unless this returns an error
 * (then never) or the call is cancelled or the client freed first.
 * timeout_ms 0: OB_RPC_TIMEOUT_MS.  *id (may be NULL) names the call.
 * OB_EINVAL, OB_EBUSY (OB_RPC_MAX_CALLS in flight), OB_ETOOBIG,
 * OB_ESTATE (not connected), OB_ENOMEM. */
OB_API int ob_rpc_call(ob_client *c, const char *peer, const char *method,
                       const void *data, size_t len, int timeout_ms,
                       ob_rpc_done_fn done, void *arg, uint64_t *id);
/* Forgets call id: done will not run.  0 or OB_ENOTFOUND. */
OB_API int ob_rpc_cancel(ob_client *c, uint64_t id);

/* ---- Waiting, and poll loops (docs/api.md, "Simple programs") ---------
 *
 * For programs that do not run an event loop themselves.  The wait
 * helpers turn the client's base (its own, or the one the application
 * gave) until their condition holds or timeout_ms passes (negative: no
 * limit); callbacks run meanwhile as usual.  They must not be called
 * from a callback or a timer (OB_ESTATE: libevent cannot re-enter its
 * loop), and a callback must not free the client while one runs. */

/* Until a session is up (CONNECTED, RESUMED or RECONNECTED).  0,
 * OB_ETIMEDOUT, OB_ECONNECT (the client closed: the error callback said
 * why), OB_ESTATE (not started, from a callback, or ob_stop). */
OB_API int ob_wait_connected(ob_client *c, int timeout_ms);
/* Until we are in room (joined, and configured when ob_room_create made
 * it).  0, OB_ETIMEDOUT, OB_ENOTFOUND (not joining it, or the join was
 * refused: the error callback said why), OB_ECONNECT, OB_ESTATE. */
OB_API int ob_wait_joined(ob_client *c, const char *room, int timeout_ms);
/* Runs the client for ms milliseconds (less when ob_stop is called or
 * the client closes).  0, OB_EINVAL, OB_ESTATE (from a callback). */
OB_API int ob_run_for(ob_client *c, int ms);

/* A poll loop instead of libevent (Linux; the client must own its base,
 * ob_options.base NULL).  ob_poll_fd gives a descriptor (an epoll set the
 * library keeps, owned by the client: do not close it) that becomes
 * readable when the client has work; ob_poll_timeout, called just before
 * each poll, brings that set up to date and returns the longest the
 * application may wait (ms, >= 0; at most 60000); ob_poll_work then does
 * what is due without blocking, callbacks included:
 *
 *     struct pollfd p = {ob_poll_fd(c), POLLIN, 0};
 *     for (;;) {
 *         poll(&p, 1, ob_poll_timeout(c));
 *         ob_poll_work(c);
 *     }
 *
 * ob_poll_fd: the descriptor, or OB_ESTATE (the application gave the
 * base), OB_ENOMEM, OB_EEVENT (no epoll here).  ob_poll_work: 0,
 * OB_ESTATE (from a callback), OB_EEVENT. */
OB_API int ob_poll_fd(ob_client *c);
OB_API int ob_poll_timeout(ob_client *c);
OB_API int ob_poll_work(ob_client *c);

/* ---- Direct streams on demand (docs/api.md, "Direct streams") ---------
 *
 * ob_direct_open asks for a direct stream to jid (a full JID, or
 * room/nick resolved through our view) now, instead of waiting for the
 * session policy to rank the peer by traffic, and pins it: the policy
 * keeps it up while pinned, and opens it again if it drops.  The outcome
 * comes to the direct callback: up (reason "opened"), or up = false with
 * reason "failed" (the peer refused, e.g. it does not see us in a room,
 * a limit was reached, or timeout_ms passed; 0: 10000).  Later losses
 * come as down events too.  Each call that returned 0 or OB_EEXIST is
 * undone by one ob_direct_release, which lets the policy close the
 * stream when idle.  ob_direct_open: 0, OB_EEXIST (up already: no
 * event), OB_EINVAL (not a full JID), OB_ESTATE (not connected, or
 * direct_off), OB_ENOMEM. */
OB_API int ob_direct_open(ob_client *c, const char *jid, int timeout_ms);
OB_API int ob_direct_release(ob_client *c, const char *jid);

/* ---- Room administration and presence (XEP-0045 owner and admin) -----
 *
 * The outcome of each call comes once to done (may be NULL): e->code 0
 * when the room accepted it, else OB_ESTANZA with the room's condition
 * (forbidden: we are not an owner, or an admin for kick and ban;
 * not-allowed: the target outranks us; item-not-found: no such nick), or
 * OB_ECONNECT when the session ended first.  e->op is OB_OP_ADMIN and
 * e->room the room.  Each returns 0 once sent, OB_EINVAL, OB_ENOTFOUND
 * (not in room), OB_ESTATE (not connected), OB_ENOMEM. */
typedef void (*ob_done_fn)(ob_client *c, const struct ob_error *e, void *arg);

/* Submits the owner form with cfg (zero or NULL fields leave the room's
 * current values, as ob_room_create's do).  An owner may reconfigure at
 * any time; ob_room_create's OB_OP_CONFIGURE error with OB_EEXIST says a
 * room it meant to create existed already, so its cfg was not applied. */
OB_API int ob_room_configure(ob_client *c, const char *room,
                             const struct ob_room_config *cfg, ob_done_fn done,
                             void *arg);
/* Removes the occupant nick (status 307; admins and owners).  reason
 * may be NULL. */
OB_API int ob_room_kick(ob_client *c, const char *room, const char *nick,
                        const char *reason, ob_done_fn done, void *arg);
/* Bans the bare JID of jid (affiliation outcast: removed with status 301,
 * and its joins refused with forbidden); unban makes it "none" again. */
OB_API int ob_room_ban(ob_client *c, const char *room, const char *jid,
                       const char *reason, ob_done_fn done, void *arg);
OB_API int ob_room_unban(ob_client *c, const char *room, const char *jid,
                         ob_done_fn done, void *arg);
/* Destroys the room (owners): every occupant is removed (their
 * OB_OP_ROOM error says "destroyed"), us included. */
OB_API int ob_room_destroy(ob_client *c, const char *room, const char *reason,
                           ob_done_fn done, void *arg);
/* Our presence in room: show is NULL (available), "away", "chat", "dnd"
 * or "xa"; status a text or NULL.  The members whose view holds us get a
 * view event OB_VIEW_UPDATED with them (ob_view_event.show, .status).
 * Kept: a rejoin sends it again.  0, OB_EINVAL, OB_ENOTFOUND, OB_ESTATE,
 * OB_ENOMEM. */
OB_API int ob_room_presence(ob_client *c, const char *room, const char *show,
                            const char *status);

/* Messages of c still in flight: sent through the server and not yet
 * acknowledged by it (XEP-0198; without it: not yet written to the
 * socket), plus those sent on direct streams and not yet acknowledged
 * by their receiver (docs/api.md, "Flow control").  0 for NULL. */
OB_API size_t ob_in_flight(const ob_client *c);

/* Callback contract.
 *
 * - Callbacks run from the event loop, after libstrophe has returned,
 *   never from inside an ob_* call: ob_unicast from inside a callback
 *   does not call the unicast callback back, and so on.
 * - A callback may call every function of this header, on any client,
 *   including ob_client_free(c) (the client is freed when the callback
 *   returns; no further callback is made) and ob_stop().
 * - Events of one client arrive in the order the server sent the
 *   stanzas.  The library's own view of a room (ob_room_view) is updated
 *   just before the matching view callback runs.
 * - Strings in events are lent until the callback returns. */

#ifdef __cplusplus
}
#endif

#endif
