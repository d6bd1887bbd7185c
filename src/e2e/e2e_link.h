/* e2e_link.h -- direct end-to-end XML streams (XEP-0246 style) between
 * two peers: TCP + TLS 1.3 with pinned self-signed certificates, XML or
 * Fast Infoset framing, stanza acknowledgements.
 *
 * Built on libevent (bufferevent_openssl) and OpenSSL.  The wire format,
 * limits and failure behaviour are described in docs/e2e.md.  A process
 * using links must ignore SIGPIPE (a peer that vanishes mid-write would
 * otherwise kill it), as xmucd and the harness do. */
#ifndef SRC_E2E_E2E_LINK_H
#define SRC_E2E_E2E_LINK_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

enum e2e_link_error {
    E2E_LINK_OK = 0,
    E2E_LINK_ENOMEM = -1,  /* out of memory */
    E2E_LINK_EINVAL = -2,  /* invalid argument */
    E2E_LINK_ETLS = -3,    /* OpenSSL failed (key, certificate, context) */
    E2E_LINK_ESOCKET = -4, /* socket, bind or listen failed */
    E2E_LINK_ESTATE = -5,  /* the link is not up (not yet, or down) */
    E2E_LINK_EENCODE = -6, /* the stanza cannot be serialized */
};
const char *e2e_link_strerror(int code);

/* ---- identity */

typedef struct e2e_ident e2e_ident; /* our key pair + self-signed cert */
/* An EC P-256 key and a self-signed X.509 certificate (random serial,
 * valid one year) with the given common name. */
int e2e_ident_new(const char *common_name, e2e_ident **out);
/* Links and listeners keep what they need: the identity may be freed
 * while they live. */
void e2e_ident_free(e2e_ident *id);
/* "AB:CD:...": SHA-256 of the DER certificate, uppercase hex, colons
 * (the XEP-0320 <fingerprint hash='sha-256'> text form). */
const char *e2e_ident_fingerprint(const e2e_ident *id);

/* ---- candidates */

struct e2e_candidate {
    char host[64]; /* an IPv4 or IPv6 literal */
    int port;
};
/* The host's own IPv4 addresses worth offering (non-loopback first,
 * loopback last); returns how many were written (<= max). */
int e2e_local_candidates(int port, struct e2e_candidate *out, int max);

/* ---- links */

typedef struct e2e_link e2e_link;

struct e2e_link_cb {
    /* TLS and both stream headers done: stanzas may be sent. */
    void (*on_up)(void *ud, e2e_link *l);
    /* A stanza from the peer, lent for the call (clone to keep it).
     * Acknowledgements and stream errors are not passed here. */
    void (*on_stanza)(void *ud, e2e_link *l, xmpp_stanza_t *st);
    /* The peer has received h stanzas of ours (cumulative). */
    void (*on_acked)(void *ud, e2e_link *l, uint64_t h);
    /* Any end, including failed connects, called once.  reason is NULL
     * after a clean </stream:stream> in both directions, otherwise a
     * sentence.  The owner may free l here (and must free it some time:
     * a link that is down stays allocated until e2e_link_free). */
    void (*on_down)(void *ud, e2e_link *l, const char *reason);
};

struct e2e_link_params {
    const char *sid; /* Jingle session id, carried in the stream header */
    const char *local_jid, *peer_jid;
    const char *peer_fingerprint; /* expected; NULL: check later with
                                     e2e_link_peer_fingerprint() */
    bool offer_fi;                /* offer Fast Infoset framing */
    int connect_timeout_ms;       /* per candidate, until on_up; 0: 1500 */
    size_t max_stanza_bytes;      /* 0: 262144; above: policy-violation */
    bool plain; /* no TLS (no fingerprints): for benchmarks on a trusted
                   network only, never negotiated */
};

/* Outgoing: tries the candidates in order, each with the timeout (a
 * candidate that refuses, is unreachable, or presents a certificate with
 * another fingerprint is given up at once); on_up or on_down follows,
 * never from inside this call. */
int e2e_link_connect(struct event_base *base, xmpp_ctx_t *ctx, e2e_ident *id,
                     const struct e2e_candidate *c, size_t n,
                     const struct e2e_link_params *p,
                     const struct e2e_link_cb *cb, void *ud, e2e_link **out);
/* Queues a stanza (not consumed; the caller keeps its reference).  0:
 * queued and numbered for acknowledgements (the first is 1). */
int e2e_link_send(e2e_link *l, xmpp_stanza_t *st);
const char *e2e_link_sid(const e2e_link *l);
const char *e2e_link_peer_jid(const e2e_link *l);
/* Of the TLS peer's certificate, in the e2e_ident_fingerprint form. */
const char *e2e_link_peer_fingerprint(const e2e_link *l);
const char *e2e_link_framing(const e2e_link *l); /* "xml" or "fi" */
int e2e_link_candidate_index(const e2e_link *l); /* -1 on the accepting side */
void e2e_link_set_callbacks(e2e_link *l, const struct e2e_link_cb *cb,
                            void *ud);
/* Stanzas sent (numbered) and received (acknowledged to the peer). */
uint64_t e2e_link_sent(const e2e_link *l);
uint64_t e2e_link_received(const e2e_link *l);
/* Stream bytes (headers included, TLS excluded) written and read. */
uint64_t e2e_link_bytes_out(const e2e_link *l);
uint64_t e2e_link_bytes_in(const e2e_link *l);
/* Bytes queued and not yet taken by TLS: a sender may wait for this to
 * drop before queueing more. */
size_t e2e_link_pending_bytes(const e2e_link *l);
/* Graceful: </stream:stream> (or the FI end frame); on_down follows when
 * the peer answers, or after a grace period. */
void e2e_link_close(e2e_link *l);
/* At once, no callback; safe from inside any callback of this link. */
void e2e_link_free(e2e_link *l);

/* ---- listener */

typedef struct e2e_listener e2e_listener;
/* An incoming link whose TLS handshake and stream header arrived (sid,
 * peer JID and peer certificate fingerprint known, our header answered);
 * the owner adopts it with e2e_link_set_callbacks (on_up is not called:
 * the link is up), or frees it (wrong sid/fingerprint). */
typedef void (*e2e_listener_fn)(void *ud, e2e_link *l);
struct e2e_listener_params {
    const char *bind_host;    /* IP literal; NULL: 0.0.0.0 */
    int port;                 /* 0: any */
    int max_pending;          /* handshakes in progress; 0: 32; beyond:
                                 closed at once, or a slot is taken back from
                                 the source holding the most (see below) */
    int max_pending_source;   /* handshakes in progress from one source (an
                                 IPv4 address, an IPv6 /64); 0: 8; beyond:
                                 closed at once */
    int hello_timeout_ms;     /* from accept() to the first octet (the TLS
                                 ClientHello, or the plain header); 0: 2000 */
    int handshake_timeout_ms; /* from that octet: TLS + stream header; 0: 3000
                               */
    bool gated;               /* take connections only while the owner expects
                                 links (e2e_listener_expect); else always */
    size_t max_stanza_bytes;  /* 0: 262144 */
    bool offer_fi;
    bool plain; /* no TLS: accepts only plain links (see e2e_link_params) */
};
int e2e_listener_new(struct event_base *base, xmpp_ctx_t *ctx, e2e_ident *id,
                     const struct e2e_listener_params *p, e2e_listener_fn fn,
                     void *ud, e2e_listener **out);
int e2e_listener_port(const e2e_listener *ls);
/* Handshakes in progress now (waiting for their first octet included). */
int e2e_listener_pending(const e2e_listener *ls);
/* A gated listener: how many incoming links the owner waits for now
 * (sessions it initiated whose link has not come).  While it is 0, every
 * new connection is closed at once; handshakes already pending run to
 * their end (the owner frees a link it does not expect). */
void e2e_listener_expect(e2e_listener *ls, int n);
/* Connections closed at once so far (gate shut, source or global bound,
 * taken back for another source, no first octet in time). */
unsigned long e2e_listener_refused(const e2e_listener *ls);
/* Frees the pending handshakes too; links already handed over live on. */
void e2e_listener_free(e2e_listener *ls);

#endif
