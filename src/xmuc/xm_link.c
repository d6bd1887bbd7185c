/* xm_link.c -- the XEP-0114 link, on our own XML stream layer.
 *
 * States: idle (waiting to retry) -> connecting (TCP) -> opening (stream
 * header sent, waiting for the server's) -> handshaking (digest sent) ->
 * up.  Any failure drops the stream and schedules a retry after the
 * current backoff, which doubles up to the cap and resets once up.
 * Every attempt resolves the host name first with libevent's evdns (the
 * loop never blocks; /etc/hosts and literal addresses are answered
 * locally) and tries the addresses in order.  Until the link was up
 * once, answers that prove the settings wrong (a client port, an
 * undeclared domain) stop it through on_fatal instead of retrying.
 * See docs/architecture.md for why libstrophe does not run this link.
 *
 * Output: stanzas are serialized into the stream's queue and written as
 * the socket takes them.  The queue is capped with backpressure: once a
 * send leaves it above max_queue, the link reads nothing more from the
 * server until it drains to resume_queue (the server holds what we do
 * not read).  The service refuses fan-out well before that
 * (docs/security.md), so the cap is only reached by output nobody can be
 * refused.  Stopping flushes for a bounded time, then drops the rest. */
#include "config.h"

#include "xm_link.h"
#include "xm_log.h"
#include "xs_stream.h"

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define STOP_MS_DEFAULT 1000
/* Bytes written per event loop turn (libevent's default is 16 KiB, which
 * drains a large queue slowly while reads keep coming). */
#define MAX_SINGLE_WRITE (256 * 1024)

enum state { IDLE, RESOLVING, CONNECTING, OPENING, HANDSHAKING, UP, STOPPED };

struct xm_link {
    struct event_base *base;
    struct xm_link_params p;
    char *host, *domain, *secret;
    xmpp_ctx_t *ctx;
    xs_stream *stream;
    struct event *retry;
    enum state state;
    int backoff_ms;
    bool was_up; /* once up, nothing is fatal any more */
    struct evdns_base *dns;
    struct evdns_getaddrinfo_request *resolving;
    struct evutil_addrinfo *addrs, *next_addr; /* of this attempt */
    char addr[INET6_ADDRSTRLEN + 8];           /* being tried, for logs */
};

static void connect_now(xm_link *l);

static void schedule_retry(xm_link *l)
{
    int delay = l->backoff_ms / 2 + rand() % (l->backoff_ms / 2 + 1);
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};

    l->state = IDLE;
    xm_info("reconnecting to %s:%d in %.1f s", l->host, l->p.port,
            delay / 1000.0);
    evtimer_add(l->retry, &tv);
    l->backoff_ms = l->backoff_ms > l->p.reconnect_max_ms / 2
                        ? l->p.reconnect_max_ms
                        : l->backoff_ms * 2;
}

/* Ends the current stream (if any) and, unless stopped, retries. */
static void drop(xm_link *l, const char *why)
{
    bool was_up = l->state == UP;

    xs_stream_free(l->stream);
    l->stream = NULL;
    if (l->state == STOPPED)
        return;
    xm_warn("%s", why);
    if (was_up)
        l->p.on_state(l->p.owner, false);
    schedule_retry(l);
}

/* The settings can never work: on the first connection, stop and tell
 * the owner; later (the server was reconfigured?) keep retrying. */
static bool fatal(xm_link *l, const char *why, const char *hint)
{
    if (l->was_up || !l->p.on_fatal)
        return false;
    l->state = STOPPED;
    evtimer_del(l->retry);
    l->p.on_fatal(l->p.owner, why, hint);
    return true;
}

/* The server's stream header is not a component stream's. */
static bool wrong_port(xm_link *l)
{
    const char *ns = xs_stream_root_ns(l->stream);
    char why[400];

    if (strcmp(ns, "jabber:client") && strcmp(ns, "jabber:server"))
        return false;
    snprintf(why, sizeof why,
             "%s:%d is the server's %s port (it answers with %s), not its "
             "component port",
             l->host, l->p.port,
             strcmp(ns, "jabber:client") ? "server-to-server" : "client", ns);
    return fatal(l, why,
                 "give --server the component port: Prosody's "
                 "component_ports (5347 by default), ejabberd's "
                 "ejabberd_service listener");
}

static void send_handshake(xm_link *l, const char *stream_id)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    char hex[2 * SHA_DIGEST_LENGTH + 1], msg[128];
    size_t idlen = strlen(stream_id), slen = strlen(l->secret);
    char *both = malloc(idlen + slen + 1);

    if (!both) {
        xs_stream_fail(l->stream, "resource-constraint", "out of memory");
        return;
    }
    memcpy(both, stream_id, idlen);
    memcpy(both + idlen, l->secret, slen);
    SHA1((const unsigned char *)both, idlen + slen, md); /* XEP-0114 digest */
    memset(both, 0, idlen + slen);
    free(both);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(msg, sizeof msg, "<handshake>%s</handshake>", hex);
    xs_stream_send_raw(l->stream, msg, strlen(msg));
    l->state = HANDSHAKING;
}

static void on_open(void *ud, const char **attrs)
{
    xm_link *l = ud;
    const char *id = NULL;

    for (int i = 0; attrs[i]; i += 2)
        if (!strcmp(attrs[i], "id"))
            id = attrs[i + 1];
    if (wrong_port(l)) {
        xs_stream_fail(l->stream, "invalid-namespace", "wrong port");
        return;
    }
    if (!id) {
        xs_stream_fail(l->stream, "invalid-xml", "no stream id");
        return;
    }
    send_handshake(l, id);
}

/* The condition of a stream error, or NULL if st is not one. */
static const char *stream_error(xmpp_stanza_t *st)
{
    const char *ns = xmpp_stanza_get_ns(st);
    xmpp_stanza_t *c;

    if (strcmp(xmpp_stanza_get_name(st), "error") || !ns ||
        strcmp(ns, NS_STREAMS))
        return NULL;
    for (c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "text"))
            return xmpp_stanza_get_name(c);
    return "undefined-condition";
}

/* The server refused our domain (host-unknown) or our handshake
 * (not-authorized: a wrong secret, or with ejabberd an undeclared
 * domain too).  Fatal on the first connection. */
static void refused(xm_link *l, const char *cond)
{
    char why[400], hint[700];
    bool unknown = !strcmp(cond, "host-unknown");

    snprintf(why, sizeof why,
             unknown ? "the server at %s:%d does not know the component "
                       "domain %s (%s)"
                     : "the server at %s:%d refused the handshake for %s (%s): "
                       "the secret is wrong or the server does not declare "
                       "this component",
             l->host, l->p.port, l->domain, cond);
    snprintf(hint, sizeof hint,
             "declare the component with the same secret on the server: for "
             "Prosody, Component \"%s\" with component_secret = \"...\"; "
             "for ejabberd, \"%s\" with its password under hosts: of the "
             "ejabberd_service listener; or give --domain the component "
             "domain the server declares%s",
             l->domain, l->domain,
             unknown ? "" : ", and the secret (--secret-file or XMUCD_SECRET)");
    if (!fatal(l, why, hint))
        xm_error("%s", why);
}

/* The first stanza after the handshake: success, or a stream error. */
static void on_handshake_reply(xm_link *l, xmpp_stanza_t *st)
{
    const char *cond = stream_error(st);

    if (!strcmp(xmpp_stanza_get_name(st), "handshake")) {
        l->state = UP;
        l->was_up = true;
        l->backoff_ms = l->p.reconnect_min_ms;
        xm_info("connected to %s:%d as %s", l->host, l->p.port, l->domain);
        l->p.on_state(l->p.owner, true);
        return;
    }
    if (cond) {
        if (!strcmp(cond, "not-authorized") || !strcmp(cond, "host-unknown"))
            refused(l, cond);
        else if (!strcmp(cond, "conflict"))
            xm_error("the server says another component is connected as %s",
                     l->domain);
        else
            xm_error("the server refused the handshake (%s)", cond);
    }
}

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    xm_link *l = ud;

    if (l->state == UP && stream_error(st))
        xm_error("the server ended the stream with the error <%s/>",
                 stream_error(st));
    else if (l->state == UP)
        l->p.on_stanza(l->p.owner, st, bytes);
    else if (l->state == HANDSHAKING)
        on_handshake_reply(l, st);
}

/* ---- the input path: per-stanza limits ---------------------------------- */

/* A stanza from the server broke a per-stanza limit and was skipped. */
static void on_reject(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes)
{
    xm_link *l = ud;

    xm_debug("skipped a stanza of %zu bytes from %s: %s (%s)", bytes,
             top && xmpp_stanza_get_from(top) ? xmpp_stanza_get_from(top)
                                              : "an unknown sender",
             why, xs_strerror(code));
    if (l->state == UP && l->p.on_reject)
        l->p.on_reject(l->p.owner, top, why);
}

/* What one stanza on the link may be (docs/security.md). */
static struct xs_limits link_limits(const xm_link *l)
{
    struct xs_limits lim = {.max_stanza_bytes = l->p.max_stanza_bytes
                                                    ? l->p.max_stanza_bytes
                                                    : 16u << 20,
                            .max_depth = XM_LINK_MAX_DEPTH,
                            .max_attrs = XM_LINK_MAX_ATTRS,
                            .max_elements = XM_LINK_MAX_ELEMENTS};
    return lim;
}

static void on_closed(void *ud, const char *reason)
{
    xm_link *l = ud;
    char why[300];

    snprintf(why, sizeof why, "the stream with %s:%d ended%s%s", l->host,
             l->p.port, reason ? ": " : "", reason ? reason : "");
    drop(l, why);
}

static void try_next_addr(xm_link *l);

static void free_addrs(xm_link *l)
{
    if (l->addrs)
        evutil_freeaddrinfo(l->addrs);
    l->addrs = l->next_addr = NULL;
}

/* "192.0.2.1" or "2001:db8::1": the address being tried, for the log. */
static void describe(const struct evutil_addrinfo *ai, char *buf, size_t n)
{
    const void *a =
        ai->ai_family == AF_INET6
            ? (const void *)&(
                  (const struct sockaddr_in6 *)(const void *)ai->ai_addr)
                  ->sin6_addr
            : (const void *)&(
                  (const struct sockaddr_in *)(const void *)ai->ai_addr)
                  ->sin_addr;

    if (!evutil_inet_ntop(ai->ai_family, a, buf, n))
        snprintf(buf, n, "?");
}

/* The connection to one address succeeded or failed. */
static void on_connected(struct bufferevent *bev, short what, void *ud)
{
    xm_link *l = ud;
    struct xs_stream_callbacks cb = {.on_open = on_open,
                                     .on_stanza = on_stanza,
                                     .on_closed = on_closed,
                                     .on_reject = on_reject};
    struct xs_limits lim = link_limits(l);
    char header[512];
    int n;

    if (!(what & BEV_EVENT_CONNECTED)) {
        bufferevent_free(bev);
        xm_error("cannot reach %s:%d (%s): %s", l->host, l->p.port, l->addr,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        try_next_addr(l);
        return;
    }
    free_addrs(l);
    evutil_make_socket_closeonexec(bufferevent_getfd(bev));
    bufferevent_set_max_single_write(bev, MAX_SINGLE_WRITE);
    if (xs_stream_new(l->ctx, bev, &lim, &cb, l, &l->stream) != XS_OK) {
        drop(l, "out of memory while connecting");
        return;
    }
    n = snprintf(
        header, sizeof header,
        "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept'"
        " xmlns:stream='" NS_STREAMS "' to='%s'>",
        l->domain);
    xs_stream_send_raw(l->stream, header, (size_t)n);
    l->state = OPENING;
}

/* Connects to the next resolved address; past the last, retries later. */
static void try_next_addr(xm_link *l)
{
    struct evutil_addrinfo *ai = l->next_addr;
    struct bufferevent *bev;

    if (!ai) {
        free_addrs(l);
        schedule_retry(l);
        return;
    }
    l->next_addr = ai->ai_next;
    describe(ai, l->addr, sizeof l->addr);
    bev = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        free_addrs(l);
        schedule_retry(l);
        return;
    }
    l->state = CONNECTING;
    bufferevent_setcb(bev, NULL, NULL, on_connected, l);
    if (bufferevent_socket_connect(bev, ai->ai_addr, (int)ai->ai_addrlen) < 0) {
        bufferevent_free(bev);
        xm_error("cannot connect to %s:%d (%s)", l->host, l->p.port, l->addr);
        try_next_addr(l);
    }
}

static void on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
    xm_link *l = arg;

    l->resolving = NULL;
    if (err == EVUTIL_EAI_CANCEL || l->state == STOPPED) {
        if (res)
            evutil_freeaddrinfo(res);
        return;
    }
    if (err) {
        xm_error("cannot resolve %s: %s", l->host, evutil_gai_strerror(err));
        schedule_retry(l);
        return;
    }
    l->addrs = l->next_addr = res;
    try_next_addr(l);
}

/* One attempt: resolve (without blocking), then try each address. */
static void connect_now(xm_link *l)
{
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_protocol = IPPROTO_TCP};
    char port[8];
    struct evdns_getaddrinfo_request *req;

    snprintf(port, sizeof port, "%d", l->p.port);
    l->state = RESOLVING;
    req = evdns_getaddrinfo(l->dns, l->host, port, &hints, on_resolved, l);
    if (l->state == RESOLVING) /* not answered at once */
        l->resolving = req;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    connect_now(arg);
}

/* A resolver from /etc/resolv.conf and /etc/hosts; without a usable
 * resolv.conf, one that still answers /etc/hosts and literals. */
static struct evdns_base *new_dns(struct event_base *base)
{
    struct evdns_base *dns =
        evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);

    if (!dns && (dns = evdns_base_new(base, 0)))
        evdns_base_load_hosts(dns, NULL);
    return dns;
}

int xm_link_new(struct event_base *base, const struct xm_link_params *p,
                xm_link **out)
{
    xm_link *l = calloc(1, sizeof *l);

    *out = NULL;
    if (!l)
        return XM_ENOMEM;
    l->base = base;
    l->p = *p;
    l->backoff_ms = p->reconnect_min_ms;
    l->host = strdup(p->host);
    l->domain = strdup(p->domain);
    l->secret = strdup(p->secret);
    l->ctx = xmpp_ctx_new(NULL, NULL);
    l->retry = evtimer_new(base, on_retry, l);
    l->dns = new_dns(base);
    if (!l->host || !l->domain || !l->secret || !l->ctx || !l->retry ||
        !l->dns) {
        xm_link_free(l);
        return XM_ENOMEM;
    }
    *out = l;
    return XM_OK;
}

int xm_link_start(xm_link *l)
{
    xm_info("connecting to %s:%d as component %s", l->host, l->p.port,
            l->domain);
    connect_now(l);
    return l->state == IDLE ? -1 : 0;
}

static void cancel_resolving(xm_link *l)
{
    if (l->resolving)
        evdns_getaddrinfo_cancel(l->resolving);
    l->resolving = NULL;
}

void xm_link_stop(xm_link *l)
{
    int ms = l->p.stop_ms > 0 ? l->p.stop_ms : STOP_MS_DEFAULT;

    if (l->stream && l->state == UP) {
        xs_stream_send_raw(l->stream, "</stream:stream>", 16);
        if (xs_stream_flush_for(l->stream, ms) < 0)
            xm_warn("stopping with %zu bytes still queued for the server; "
                    "they are dropped",
                    xs_stream_queued(l->stream));
    }
    l->state = STOPPED;
    evtimer_del(l->retry);
    cancel_resolving(l);
}

void xm_link_free(xm_link *l)
{
    if (!l)
        return;
    l->state = STOPPED;
    cancel_resolving(l);
    free_addrs(l);
    xs_stream_free(l->stream);
    if (l->dns)
        evdns_base_free(l->dns, 0);
    if (l->retry)
        event_free(l->retry);
    if (l->ctx)
        xmpp_ctx_free(l->ctx);
    if (l->secret)
        memset(l->secret, 0, strlen(l->secret));
    free(l->secret);
    free(l->host);
    free(l->domain);
    free(l);
}

/* Backpressure: above the cap, stop reading until the queue drains. */
static void check_queue(xm_link *l)
{
    size_t q = xs_stream_queued(l->stream);

    if (!l->p.max_queue || q < l->p.max_queue || xs_stream_held(l->stream))
        return;
    xm_warn("%zu bytes queued for the server (cap %zu): reading nothing more "
            "until it drains to %zu",
            q, l->p.max_queue, l->p.resume_queue);
    xs_stream_hold(l->stream, l->p.resume_queue);
}

size_t xm_link_send(xm_link *l, xmpp_stanza_t *stanza)
{
    long n;

    if (l->state != UP)
        return 0;
    n = xs_stream_send(l->stream, stanza);
    check_queue(l);
    return n < 0 ? 0 : (size_t)n;
}

size_t xm_link_queued(const xm_link *l)
{
    return l->stream && l->state == UP ? xs_stream_queued(l->stream) : 0;
}

xmpp_ctx_t *xm_link_ctx(xm_link *l)
{
    return l->ctx;
}
