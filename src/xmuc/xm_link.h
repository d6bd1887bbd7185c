/* xm_link.h -- the component's XEP-0114 link to the XMPP server.
 *
 * A link owns one TCP connection to the server's component port, run by
 * our own XML stream layer (xs_stream) on a libevent base: it connects,
 * completes the handshake, hands every incoming stanza to the owner, sends
 * stanzas, and when the server goes away reconnects with capped
 * exponential backoff (with jitter) until stopped.  Stanzas are
 * libstrophe's xmpp_stanza_t, built in the link's own context. */
#ifndef SRC_XMUC_XM_LINK_H
#define SRC_XMUC_XM_LINK_H

#include <stdbool.h>
#include <event2/event.h>
#include <strophe.h>

#include "xm_error.h"

typedef struct xm_link xm_link;

struct xm_link_params {
    const char *host; /* host name (resolved without blocking, again on
                         every attempt) or literal IPv4 or IPv6 address */
    int port;
    const char *domain; /* component domain */
    const char *secret;
    int reconnect_min_ms;
    int reconnect_max_ms;
    /* The output queue's cap: when a send leaves more than max_queue bytes
     * queued, the link stops reading from the server until the queue
     * drains to resume_queue (backpressure; 0: no cap).  Stopping flushes
     * for at most stop_ms (0: 1000). */
    size_t max_queue, resume_queue;
    int stop_ms;
    /* Called for every stanza from the server, with its size on the wire.
     * The stanza is lent: clone it to keep it.  May call xm_link_send. */
    void (*on_stanza)(void *owner, xmpp_stanza_t *stanza, size_t bytes);
    /* Called when the handshake succeeds (up) and when the link is lost. */
    void (*on_state)(void *owner, bool up);
    void *owner;
    /* Per-stanza limits on what the server sends (0: 16 MiB), and who
     * hears of a stanza that broke one of them: it was skipped, the link
     * carries on; top is its childless top-level element with from, to,
     * id and type (lent; NULL when memory ran out), why a sentence.
     * Without on_reject, such a stanza fails the stream. */
    size_t max_stanza_bytes;
    void (*on_reject)(void *owner, xmpp_stanza_t *top, const char *why);
    /* Called instead of retrying when the first connection shows that the
     * settings can never work: the port is a client or server port, not a
     * component port, or the server refuses the component's domain
     * (host-unknown) or its handshake (not-authorized: a wrong secret, or
     * a domain ejabberd does not declare).
     * why says what is wrong and hint which setting to change.  The link
     * is stopped then.  A link that was up once keeps reconnecting. */
    void (*on_fatal)(void *owner, const char *why, const char *hint);
};

/* The per-stanza limits of the link's parser (docs/security.md): depth,
 * attributes per element, elements per stanza; size from the params. */
#define XM_LINK_MAX_DEPTH 64
#define XM_LINK_MAX_ATTRS 64
#define XM_LINK_MAX_ELEMENTS 4096

/* Creates a link on base; nothing happens until xm_link_start.
 * Returns XM_OK and sets *out, or XM_ENOMEM with *out NULL. */
int xm_link_new(struct event_base *base, const struct xm_link_params *p,
                xm_link **out);

/* Starts connecting.  0, or -1 when the first attempt cannot even start
 * (it is retried all the same). */
int xm_link_start(xm_link *l);

/* Closes the stream politely and stops reconnecting, writing what is
 * queued for at most stop_ms (what is left then is dropped).  The link
 * may then be freed. */
void xm_link_stop(xm_link *l);

void xm_link_free(xm_link *l);

/* Sends a stanza if the link is up; returns its size in bytes, or 0 when
 * the link is down or memory ran out (the stanza is dropped). */
size_t xm_link_send(xm_link *l, xmpp_stanza_t *stanza);

/* Bytes waiting in the output queue (0 when the link is down). */
size_t xm_link_queued(const xm_link *l);

/* The libstrophe context, for building stanzas (never connected). */
xmpp_ctx_t *xm_link_ctx(xm_link *l);

#endif
