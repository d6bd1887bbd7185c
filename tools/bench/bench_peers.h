/* bench_peers.h -- a load-generating XMPP client engine: thousands of
 * anonymous client connections in one process, on one libevent base.
 *
 * libstrophe cannot hold them (its select() loop aborts the process for a
 * descriptor at or above FD_SETSIZE), so each peer here is a bufferevent
 * feeding our own stream parser (src/xs/xs_parser.h).  Per peer: TCP
 * connect, stream header, STARTTLS when offered and wanted (OpenSSL as a
 * bufferevent filter), SASL ANONYMOUS, stream restart, resource bind,
 * then ready; it may then join and leave one room by presence.  The pool
 * counts the stanzas and bytes (sizes on the wire, as the parser gives
 * them) every peer receives.
 *
 * Logins run at a bounded rate: at most max_in_flight peers are between
 * connect and ready at once, so the server is not flooded; a failed login
 * is retried a few times, unless the server refused it for good (TLS
 * required or refused, a certificate not accepted, no SASL ANONYMOUS,
 * authentication refused, a stream error).  When such a refusal comes
 * before any peer has logged in, the peers still waiting their turn fail
 * with the same reason at once: the server would refuse them too.
 * Nothing blocks: the caller runs the event base (bp_pool_run_until is a
 * convenience for that). */
#ifndef TOOLS_BENCH_BENCH_PEERS_H
#define TOOLS_BENCH_BENCH_PEERS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bp_pool bp_pool;
typedef struct bp_peer bp_peer;

/* STARTTLS, as liborbweb's enum ob_tls offers it. */
enum bp_tls {
    BP_TLS_OFF = 0, /* never (the benchmarks' default) */
    BP_TLS_TRUST,   /* when offered, any certificate accepted */
    BP_TLS_VERIFY,  /* when offered, certificate verified against the
                       system's CAs and the domain */
    BP_TLS_REQUIRE, /* required and verified */
};

struct bp_config {
    const char *host;   /* literal IPv4 address of the server */
    int port;           /* its client port */
    const char *domain; /* a domain with SASL ANONYMOUS, e.g. anon.localhost */
    int max_in_flight;  /* logins at once; 0 means 200 */
    int max_retries;    /* attempts after a failed login; 0 means 3 */
    enum bp_tls tls;
};

/* Where a peer's login stands. */
enum bp_state {
    BP_IDLE,       /* waiting for its turn to connect */
    BP_CONNECTING, /* TCP connect */
    BP_FEATURES,   /* stream header sent, waiting for features */
    BP_STARTTLS,   /* <starttls/> sent, then the TLS handshake */
    BP_AUTH,       /* <auth/> sent */
    BP_FEATURES2,  /* restarted after <success/> */
    BP_BIND,       /* bind request sent */
    BP_SESSION,    /* session request sent (servers that require it) */
    BP_READY,      /* bound: may join rooms */
    BP_FAILED,     /* gave up (reason in bp_peer_error) */
};

/* Where a peer stands in its room. */
enum bp_room {
    BP_ROOM_NONE,    /* not in a room */
    BP_ROOM_JOINING, /* join presence sent */
    BP_ROOM_JOINED,  /* own presence (self) received */
    BP_ROOM_LEAVING, /* unavailable presence sent */
    BP_ROOM_ERROR,   /* the room answered with an error */
};

struct bp_counters {
    uint64_t stanzas; /* stanzas received by all peers */
    uint64_t bytes;   /* their size on the wire */
    uint64_t presences;
};

enum bp_result { BP_OK = 0, BP_ENOMEM = -1, BP_EINVAL = -2 };

/* A pool of peers on base.  Returns BP_OK and sets *out, or with *out
 * NULL: BP_EINVAL when the host is not an IPv4 address, BP_ENOMEM when
 * out of memory. */
int bp_pool_new(struct event_base *base, const struct bp_config *cfg,
                bp_pool **out);
/* Closes every connection and frees the peers. */
void bp_pool_free(bp_pool *pool);

/* Adds n peers; they log in as their turn comes.  0 or -1 (memory). */
int bp_pool_add(bp_pool *pool, int n);

int bp_pool_size(const bp_pool *pool);
int bp_pool_ready(const bp_pool *pool);  /* peers in BP_READY */
int bp_pool_failed(const bp_pool *pool); /* peers in BP_FAILED */
/* The last failure's reason ("" if none). */
const char *bp_pool_last_error(const bp_pool *pool);
/* Logins that succeeded so far (a peer that logs in again counts again). */
int bp_pool_logins(const bp_pool *pool);
bp_peer *bp_pool_peer(bp_pool *pool, int i);
struct bp_counters bp_pool_counters(const bp_pool *pool);

/* Peers in the given room state (over the whole pool). */
int bp_pool_count_room(const bp_pool *pool, enum bp_room state);

/* Joins room (bare JID) as nick; extra is XML appended inside the
 * presence after the MUC <x/> (e.g. an xmucd <join/>), or NULL.  The peer
 * must be ready and out of any room.  0 or -1. */
int bp_join(bp_peer *p, const char *room, const char *nick, const char *extra);
/* Leaves the room the peer is in (or joining).  0 or -1. */
int bp_leave(bp_peer *p);
/* When set, a peer that has left its room joins it again at once, with
 * the same nick and extra (periodic churn). */
void bp_set_rejoin(bp_peer *p, bool rejoin);

enum bp_state bp_peer_state(const bp_peer *p);
enum bp_room bp_peer_room(const bp_peer *p);
const char *bp_peer_jid(const bp_peer *p); /* bound full JID, or "" */
const char *bp_peer_error(const bp_peer *p);
struct bp_counters bp_peer_counters(const bp_peer *p);

/* Runs the event base until cond(ud) is true (checked every 20 ms and
 * after every event batch) or timeout_ms passes (0: no limit).  Returns
 * 0 when cond held, -1 on timeout. */
int bp_pool_run_until(bp_pool *pool, bool (*cond)(void *ud), void *ud,
                      int timeout_ms);

/* Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the new
 * soft limit (or -1). */
long bp_raise_nofile(void);

/* For tests: a peer with no socket.  Its output goes to send(ud, ...);
 * feed it the server's bytes with bp_peer_feed.  It starts as if the
 * TCP connection had just opened (the stream header is sent at once).
 * Returns BP_OK and sets *out, or a negative BP_E* code (as bp_pool_new)
 * with *out NULL.  Free it with bp_peer_free_detached. */
int bp_peer_new_detached(const struct bp_config *cfg,
                         void (*send)(void *ud, const char *data, size_t len),
                         void *ud, bp_peer **out);
void bp_peer_feed(bp_peer *p, const char *data, size_t len);
void bp_peer_free_detached(bp_peer *p);

const char *bp_state_name(enum bp_state s);
/* "off", "trust", "verify", "require"; bp_tls_parse: 0 or -1. */
const char *bp_tls_name(enum bp_tls tls);
int bp_tls_parse(const char *name, enum bp_tls *out);

/* ---- hooks for other tools (orbweb swarm) ------------------------------ */

/* Forward declaration of libstrophe's stanza (from strophe.h). */
struct _xmpp_stanza_t;

/* Called for every stanza a ready peer receives, before the engine looks
 * at it (so a peer's own unavailable presence is seen before a rejoin is
 * sent).  hook must not free the pool; it may call bp_send and bp_join/
 * bp_leave on any peer.  NULL removes it. */
void bp_pool_set_stanza_hook(bp_pool *pool,
                             void (*hook)(void *ud, bp_peer *p,
                                          struct _xmpp_stanza_t *st),
                             void *ud);
/* Sends raw XML (a whole stanza) on a ready peer's stream.  0 or -1. */
int bp_send(bp_peer *p, const char *xml);
/* The peer's position in its pool (0-based), O(1). */
int bp_peer_index(const bp_peer *p);
/* Application data attached to a peer (NULL at first). */
void bp_peer_set_data(bp_peer *p, void *data);
void *bp_peer_data(const bp_peer *p);

#endif
