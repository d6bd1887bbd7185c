/* bench_peers.c -- many anonymous XMPP clients on one event base (see
 * bench_peers.h).
 *
 * Each peer is a bufferevent whose bytes go into an xs_parser; the parser
 * calls back with whole stanzas, which drive a small login state machine
 * and then the room state.  A peer is only torn down outside its own
 * parser call: a failure inside a callback marks it, and the read loop
 * finishes the job when the parser returns.  The same code runs a
 * detached peer (no socket) for the unit tests.
 *
 * STARTTLS: on <proceed/> the read loop drains the plain bytes, then puts
 * an OpenSSL filter bufferevent over the socket's (the filter owns it);
 * the filter's "connected" event starts the new stream, as the socket's
 * did.  A refusal (fail_hard) is never retried. */
#include "config.h"

#include "bench_peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/resource.h>
#include <time.h>

#include "xs_parser.h"
#include "ut_ns.h"

#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"

struct bp_peer {
    bp_pool *pool;
    struct bufferevent *bev;
    xs_parser *parser;
    enum bp_state state;
    enum bp_room room;
    bool in_flight; /* counted in pool->in_flight */
    bool queued;    /* waiting in the login queue */
    bool in_feed;   /* inside xs_parser_feed: teardown is deferred */
    bool dead;      /* to tear down when the parser returns */
    bool restart;   /* reset the parser when it returns */
    bool session_required;
    bool rejoin;
    bool upgrade; /* <proceed/> came: start TLS once the parser returns */
    bool tls_on;  /* the stream runs over TLS */
    int attempts;
    char *room_jid, *nick, *extra, *self;
    char jid[160];
    char error[200];
    struct bp_counters c;
    void (*send)(void *ud, const char *data, size_t len); /* detached */
    void *send_ud;
    int index;  /* in pool->peers */
    void *data; /* bp_peer_set_data */
};

struct bp_pool {
    struct event_base *base;
    struct bp_config cfg;
    char host[64], domain[256];
    struct sockaddr_in addr;
    xmpp_ctx_t *ctx;
    bp_peer **peers;
    int n, cap;
    int *queue; /* ring of peer indices waiting to log in */
    int qhead, qlen;
    int in_flight, ready, failed, logins;
    SSL_CTX *ssl; /* when cfg.tls is not BP_TLS_OFF */
    int room_count[BP_ROOM_ERROR + 1];
    struct event *tick;
    struct bp_counters c;
    char last_error[200];
    void (*hook)(void *ud, bp_peer *p, xmpp_stanza_t *st);
    void *hook_ud;
};

static void pump(bp_pool *pool);

const char *bp_state_name(enum bp_state s)
{
    static const char *names[] = {"idle",  "connecting", "features", "starttls",
                                  "auth",  "features2",  "bind",     "session",
                                  "ready", "failed"};
    return (unsigned)s <= BP_FAILED ? names[s] : "?";
}

static const char *const tls_names[] = {"off", "trust", "verify", "require"};

const char *bp_tls_name(enum bp_tls tls)
{
    return (unsigned)tls <= BP_TLS_REQUIRE ? tls_names[tls] : "?";
}

int bp_tls_parse(const char *name, enum bp_tls *out)
{
    for (unsigned i = 0; i <= BP_TLS_REQUIRE; i++)
        if (name && !strcmp(name, tls_names[i])) {
            *out = (enum bp_tls)i;
            return 0;
        }
    return -1;
}

/* ---- output ------------------------------------------------------------ */

static void out(bp_peer *p, const char *data, size_t len)
{
    if (p->send)
        p->send(p->send_ud, data, len);
    else if (p->bev)
        bufferevent_write(p->bev, data, len);
}

static void outs(bp_peer *p, const char *text)
{
    out(p, text, strlen(text));
}

static void outf(bp_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void outf(bp_peer *p, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof buf)
        out(p, buf, (size_t)n);
}

static void send_header(bp_peer *p)
{
    outf(p,
         "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client'"
         " xmlns:stream='" UT_NS_STREAMS "' version='1.0'>",
         p->pool->domain);
}

/* ---- state ------------------------------------------------------------- */

static void set_room(bp_peer *p, enum bp_room r)
{
    p->pool->room_count[p->room]--;
    p->room = r;
    p->pool->room_count[r]++;
}

static void enqueue(bp_pool *pool, bp_peer *p, int index)
{
    if (p->queued)
        return;
    p->queued = true;
    pool->queue[(pool->qhead + pool->qlen++) % pool->cap] = index;
}

static int peer_index(const bp_peer *p)
{
    return p->index;
}

static void teardown(bp_peer *p)
{
    p->dead = false;
    p->restart = false;
    if (p->bev) {
        bufferevent_free(p->bev);
        p->bev = NULL;
    }
    if (p->parser)
        xs_parser_reset(p->parser);
}

static void give_up_queued(bp_pool *pool);

/* Marks p failed with the reason (already in p->error): retried later
 * unless hard (a refusal) or it had logged in. */
static void fail_now(bp_peer *p, bool hard)
{
    bp_pool *pool = p->pool;
    bool was_ready = p->state == BP_READY;

    snprintf(pool->last_error, sizeof pool->last_error, "%s", p->error);
    if (was_ready)
        pool->ready--;
    if (p->in_flight) {
        p->in_flight = false;
        pool->in_flight--;
    }
    set_room(p, BP_ROOM_NONE);
    if (!hard && !was_ready && !p->send &&
        p->attempts < pool->cfg.max_retries) {
        p->attempts++;
        p->state = BP_IDLE;
        enqueue(pool, p, peer_index(p));
    } else {
        p->state = BP_FAILED;
        pool->failed++;
    }
    if (p->in_feed)
        p->dead = true;
    else
        teardown(p);
    if (hard && !was_ready && !pool->logins)
        give_up_queued(pool);
}

/* Records why p failed and fails it: hard is a refusal (never retried). */
static void vfail(bp_peer *p, bool hard, const char *fmt, va_list ap)
{
    if (p->state == BP_FAILED || p->state == BP_IDLE)
        return;
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    fail_now(p, hard);
}

static void fail(bp_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A failure worth retrying (the connection, a closed stream). */
static void fail(bp_peer *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(p, false, fmt, ap);
    va_end(ap);
}

static void fail_hard(bp_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The server refused this login for good: never retried. */
static void fail_hard(bp_peer *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(p, true, fmt, ap);
    va_end(ap);
}

/* No peer has logged in and the server refused one for good: the peers
 * still waiting their turn would be refused too; they fail now. */
static void give_up_queued(bp_pool *pool)
{
    for (; pool->qlen; pool->qlen--) {
        bp_peer *p = pool->peers[pool->queue[pool->qhead]];
        pool->qhead = (pool->qhead + 1) % pool->cap;
        p->queued = false;
        if (p->state != BP_IDLE)
            continue;
        snprintf(p->error, sizeof p->error, "not tried: %.180s",
                 pool->last_error);
        p->state = BP_FAILED;
        pool->failed++;
    }
}

static void become_ready(bp_peer *p)
{
    p->state = BP_READY;
    p->pool->ready++;
    p->pool->logins++;
    if (p->in_flight) {
        p->in_flight = false;
        p->pool->in_flight--;
    }
}

static char *child_text(xmpp_stanza_t *st, const char *name)
{
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);
    return c ? xmpp_stanza_get_text(c) : NULL;
}

/* Whether the features offer SASL ANONYMOUS; the mechanisms offered,
 * comma-separated, in list ("" for none). */
static bool offers_anonymous(xmpp_ctx_t *ctx, xmpp_stanza_t *features,
                             char *list, size_t len)
{
    xmpp_stanza_t *mechs =
        xmpp_stanza_get_child_by_name_and_ns(features, "mechanisms", NS_SASL);
    bool found = false;
    size_t used = 0;

    list[0] = '\0';
    for (xmpp_stanza_t *m = mechs ? xmpp_stanza_get_children(mechs) : NULL; m;
         m = xmpp_stanza_get_next(m)) {
        const char *name = xmpp_stanza_get_name(m);
        char *text;
        int w;
        if (!name || strcmp(name, "mechanism"))
            continue;
        text = xmpp_stanza_get_text(m);
        found = found || (text && !strcmp(text, "ANONYMOUS"));
        w = snprintf(list + used, len - used, "%s%s", used ? ", " : "",
                     text ? text : "?");
        if (w > 0 && used + (size_t)w < len)
            used += (size_t)w;
        if (text)
            xmpp_free(ctx, text);
    }
    return found;
}

/* The first child element's name of st (a condition), or "unknown". */
static const char *condition(xmpp_stanza_t *st)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_get_name(c);
        if (xmpp_stanza_is_tag(c) && name && strcmp(name, "text"))
            return name;
    }
    return "unknown";
}

/* The <text/> of a failure or stream error, as " (text)", in buf. */
static const char *error_text(bp_peer *p, xmpp_stanza_t *st, char *buf,
                              size_t len)
{
    char *text = child_text(st, "text");

    buf[0] = '\0';
    if (text && *text)
        snprintf(buf, len, " (%s)", text);
    if (text)
        xmpp_free(p->pool->ctx, text);
    return buf;
}

/* The first <stream:features/>: STARTTLS when offered and wanted, else
 * SASL ANONYMOUS, else the reason the server cannot be used. */
static void on_features(bp_peer *p, xmpp_stanza_t *st)
{
    enum bp_tls want = p->pool->cfg.tls;
    xmpp_stanza_t *tls =
        xmpp_stanza_get_child_by_name_and_ns(st, "starttls", NS_TLS);
    bool required = tls && xmpp_stanza_get_child_by_name(tls, "required");
    char mechs[160];

    if (tls && !p->tls_on && want != BP_TLS_OFF) {
        outs(p, "<starttls xmlns='" NS_TLS "'/>");
        p->state = BP_STARTTLS;
        return;
    }
    if (!p->tls_on && want == BP_TLS_REQUIRE) {
        fail_hard(p, "the server does not offer STARTTLS, and TLS is required");
        return;
    }
    if (required && !p->tls_on) {
        fail_hard(p, "the server requires encryption (STARTTLS), and TLS is "
                     "off");
        return;
    }
    if (!offers_anonymous(p->pool->ctx, st, mechs, sizeof mechs)) {
        if (tls && !p->tls_on && !mechs[0])
            fail_hard(p, "the server offers no SASL mechanism before "
                         "STARTTLS (it requires encryption), and TLS is off");
        else
            fail_hard(p,
                      "the server does not offer SASL ANONYMOUS on %s "
                      "(offered: %s)",
                      p->pool->domain, mechs[0] ? mechs : "none");
        return;
    }
    outs(p, "<auth xmlns='" NS_SASL "' mechanism='ANONYMOUS'/>");
    p->state = BP_AUTH;
}

/* Stream errors that a later attempt may not meet. */
static bool transient_stream_error(const char *cond)
{
    return !strcmp(cond, "system-shutdown") ||
           !strcmp(cond, "connection-timeout") || !strcmp(cond, "reset") ||
           !strcmp(cond, "resource-constraint");
}

static void on_presence(bp_peer *p, xmpp_stanza_t *st)
{
    const char *from = xmpp_stanza_get_from(st);
    const char *type = xmpp_stanza_get_type(st);

    if (!p->self || !from || strcmp(from, p->self))
        return;
    if (type && !strcmp(type, "error")) {
        set_room(p, BP_ROOM_ERROR);
    } else if (type && !strcmp(type, "unavailable")) {
        set_room(p, BP_ROOM_NONE);
        if (p->rejoin)
            bp_join(p, p->room_jid, p->nick, p->extra);
    } else if (p->room == BP_ROOM_JOINING) {
        set_room(p, BP_ROOM_JOINED);
    }
}

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    bp_peer *p = ud;
    const char *name = xmpp_stanza_get_name(st);
    const char *ns = xmpp_stanza_get_ns(st);
    const char *type = xmpp_stanza_get_type(st);
    const char *id = xmpp_stanza_get_id(st);
    bool presence = name && !strcmp(name, "presence");

    p->c.stanzas++;
    p->c.bytes += bytes;
    p->c.presences += presence;
    p->pool->c.stanzas++;
    p->pool->c.bytes += bytes;
    p->pool->c.presences += presence;
    if (!name || p->dead)
        return;
    if (p->state == BP_READY && p->pool->hook)
        p->pool->hook(p->pool->hook_ud, p, st);
    if (p->dead)
        return;
    if (!strcmp(name, "error") && ns && !strcmp(ns, UT_NS_STREAMS)) {
        const char *cond = condition(st);
        char text[160];
        error_text(p, st, text, sizeof text);
        if (p->state == BP_READY || transient_stream_error(cond))
            fail(p, "stream error: %s%s", cond, text);
        else
            fail_hard(p, "stream error: %s%s", cond, text);
        return;
    }
    switch (p->state) {
    case BP_FEATURES:
        if (!strcmp(name, "features"))
            on_features(p, st);
        break;
    case BP_STARTTLS:
        if (!strcmp(name, "proceed")) {
            p->upgrade = true; /* once the plain bytes are consumed */
            p->restart = true;
        } else if (!strcmp(name, "failure")) {
            fail_hard(p, "the server refused STARTTLS");
        }
        break;
    case BP_AUTH:
        if (!strcmp(name, "success")) {
            p->restart = true; /* the parser is reset when it returns */
            send_header(p);
            p->state = BP_FEATURES2;
        } else if (!strcmp(name, "failure")) {
            char text[160];
            fail_hard(p, "SASL ANONYMOUS refused: %s%s", condition(st),
                      error_text(p, st, text, sizeof text));
        }
        break;
    case BP_FEATURES2: {
        xmpp_stanza_t *sess;
        if (strcmp(name, "features"))
            break;
        if (!xmpp_stanza_get_child_by_name_and_ns(st, "bind", NS_BIND)) {
            fail(p, "no resource binding offered");
            break;
        }
        sess = xmpp_stanza_get_child_by_name_and_ns(st, "session", NS_SESSION);
        p->session_required =
            sess && !xmpp_stanza_get_child_by_name(sess, "optional");
        outs(p, "<iq type='set' id='bp-bind'><bind xmlns='" NS_BIND "'/></iq>");
        p->state = BP_BIND;
        break;
    }
    case BP_BIND:
    case BP_SESSION:
        if (strcmp(name, "iq") || !id ||
            strcmp(id, p->state == BP_BIND ? "bp-bind" : "bp-session"))
            break;
        if (!type || strcmp(type, "result")) {
            fail(p, "%s refused", p->state == BP_BIND ? "bind" : "session");
            break;
        }
        if (p->state == BP_BIND) {
            xmpp_stanza_t *b =
                xmpp_stanza_get_child_by_name_and_ns(st, "bind", NS_BIND);
            char *jid = b ? child_text(b, "jid") : NULL;
            snprintf(p->jid, sizeof p->jid, "%s", jid ? jid : "");
            if (jid)
                xmpp_free(p->pool->ctx, jid);
            if (p->session_required) {
                outs(
                    p,
                    "<iq type='set' id='bp-session'><session xmlns='" NS_SESSION
                    "'/></iq>");
                p->state = BP_SESSION;
                break;
            }
        }
        become_ready(p);
        break;
    case BP_READY:
        if (presence)
            on_presence(p, st);
        break;
    default: break;
    }
}

static void on_open(void *ud, const char **attrs)
{
    (void)ud;
    (void)attrs;
}

static void on_close(void *ud)
{
    bp_peer *p = ud;
    fail(p, "the server closed the stream");
}

static void feed(bp_peer *p, const char *data, size_t len)
{
    int r;

    p->in_feed = true;
    r = xs_parser_feed(p->parser, data, len);
    p->in_feed = false;
    if (r != XS_OK && !p->dead)
        fail(p, "bad XML from the server: %s", xs_parser_error_text(p->parser));
    if (p->dead) {
        teardown(p);
        return;
    }
    if (p->restart) {
        p->restart = false;
        xs_parser_reset(p->parser);
    }
}

/* ---- sockets ----------------------------------------------------------- */

static void on_read(struct bufferevent *bev, void *ud);
static void on_event(struct bufferevent *bev, short what, void *ud);

/* After <proceed/>: an OpenSSL filter over the socket's bufferevent (it
 * takes the socket's over); its "connected" event restarts the stream.
 * A detached peer (tests) just carries on as if encrypted. */
static void start_tls(bp_peer *p)
{
    bp_pool *pool = p->pool;
    struct bufferevent *tls;
    SSL *ssl;

    p->upgrade = false;
    p->tls_on = true;
    if (!p->bev) {
        p->state = BP_FEATURES;
        send_header(p);
        return;
    }
    if (!(ssl = SSL_new(pool->ssl))) {
        fail(p, "out of memory (TLS)");
        return;
    }
    SSL_set_tlsext_host_name(ssl, pool->domain);
    if (pool->cfg.tls >= BP_TLS_VERIFY)
        SSL_set1_host(ssl, pool->domain);
    tls = bufferevent_openssl_filter_new(pool->base, p->bev, ssl,
                                         BUFFEREVENT_SSL_CONNECTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (!tls) {
        fail(p, "out of memory (TLS)");
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    p->bev = tls;
    bufferevent_setcb(tls, on_read, NULL, on_event, p);
    bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void on_read(struct bufferevent *bev, void *ud)
{
    bp_peer *p = ud;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (p->bev == bev && evbuffer_get_length(in)) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        feed(p, v.iov_base, v.iov_len);
        if (p->bev != bev) /* torn down: bev is freed */
            return;
        evbuffer_drain(in, v.iov_len);
        if (p->upgrade) {
            start_tls(p);
            return;
        }
    }
}

/* Why the TLS handshake on bev failed: the certificate's verification
 * (a refusal: another attempt meets the same certificate) or OpenSSL's
 * error. */
static void tls_failed(bp_peer *p, struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = bufferevent_get_openssl_error(bev);
    const char *why = e ? ERR_reason_error_string(e) : NULL;

    if (p->pool->cfg.tls >= BP_TLS_VERIFY && vr != X509_V_OK)
        fail_hard(p, "TLS: the server's certificate for %s is not trusted: %s",
                  p->pool->domain, X509_verify_cert_error_string(vr));
    else
        fail_hard(p, "TLS handshake failed: %s",
                  why ? why : "the server closed the connection");
}

static void on_event(struct bufferevent *bev, short what, void *ud)
{
    bp_peer *p = ud;

    if (what & BEV_EVENT_CONNECTED) {
        p->state = BP_FEATURES;
        send_header(p);
    } else if (p->state == BP_STARTTLS &&
               (what & BEV_EVENT_ERROR || what & BEV_EVENT_EOF)) {
        tls_failed(p, bev);
    } else if (what & BEV_EVENT_EOF) {
        fail(p, "the server closed the connection (%s)",
             bp_state_name(p->state));
    } else if (what & BEV_EVENT_ERROR) {
        int e = EVUTIL_SOCKET_ERROR();
        fail(p, "connection error: %s", evutil_socket_error_to_string(e));
    }
}

static void start(bp_pool *pool, bp_peer *p)
{
    p->in_flight = true;
    pool->in_flight++;
    p->state = BP_CONNECTING;
    p->bev = bufferevent_socket_new(pool->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!p->bev) {
        fail(p, "out of memory");
        return;
    }
    bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
    errno = 0;
    if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&pool->addr,
                                   sizeof pool->addr) < 0) {
        int e = errno;
        fail(p, "cannot connect: %s%s", e ? strerror(e) : "error",
             e == EMFILE ? " (raise the open-file limit or use fewer peers)"
                         : "");
    }
}

static void pump(bp_pool *pool)
{
    int budget = pool->qlen; /* each queued peer is tried at most once */

    while (budget-- > 0 && pool->qlen &&
           pool->in_flight < pool->cfg.max_in_flight) {
        int i = pool->queue[pool->qhead];
        bp_peer *p = pool->peers[i];
        pool->qhead = (pool->qhead + 1) % pool->cap;
        pool->qlen--;
        p->queued = false;
        if (p->state == BP_IDLE)
            start(pool, p);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *ud)
{
    (void)fd;
    (void)what;
    pump(ud);
}

/* ---- pool -------------------------------------------------------------- */

/* The pool's TLS context: one for all peers; buffers released when idle
 * (thousands of connections). */
static int pool_tls(bp_pool *pool)
{
    bool verify = pool->cfg.tls >= BP_TLS_VERIFY;

    if (!(pool->ssl = SSL_CTX_new(TLS_client_method())))
        return -1;
    SSL_CTX_set_mode(pool->ssl, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(pool->ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       NULL);
    if (verify && SSL_CTX_set_default_verify_paths(pool->ssl) != 1)
        return -1;
    return 0;
}

int bp_pool_new(struct event_base *base, const struct bp_config *cfg,
                bp_pool **out)
{
    bp_pool *pool = calloc(1, sizeof *pool);
    struct timeval tv = {0, 20000};

    *out = NULL;
    if (!pool)
        return BP_ENOMEM;
    pool->base = base;
    pool->cfg = *cfg;
    if (pool->cfg.max_in_flight <= 0)
        pool->cfg.max_in_flight = 200;
    if (pool->cfg.max_retries <= 0)
        pool->cfg.max_retries = 3;
    snprintf(pool->host, sizeof pool->host, "%s",
             cfg->host ? cfg->host : "127.0.0.1");
    snprintf(pool->domain, sizeof pool->domain, "%s",
             cfg->domain ? cfg->domain : "anon.localhost");
    pool->addr.sin_family = AF_INET;
    pool->addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, pool->host, &pool->addr.sin_addr) != 1) {
        free(pool);
        return BP_EINVAL;
    }
    if (!(pool->ctx = xmpp_ctx_new(NULL, NULL))) {
        free(pool);
        return BP_ENOMEM;
    }
    if (pool->cfg.tls != BP_TLS_OFF && pool_tls(pool) < 0) {
        bp_pool_free(pool);
        return BP_ENOMEM;
    }
    if (base) {
        pool->tick = event_new(base, -1, EV_PERSIST, on_tick, pool);
        if (!pool->tick || event_add(pool->tick, &tv) < 0) {
            bp_pool_free(pool);
            return BP_ENOMEM;
        }
    }
    *out = pool;
    return BP_OK;
}

void bp_pool_free(bp_pool *pool)
{
    struct event_base *base;

    if (!pool)
        return;
    base = pool->base;
    for (int i = 0; i < pool->n; i++) {
        bp_peer *p = pool->peers[i];
        if (p->bev)
            bufferevent_free(p->bev);
        xs_parser_free(p->parser);
        free(p->room_jid);
        free(p->nick);
        free(p->extra);
        free(p->self);
        free(p);
    }
    if (pool->tick)
        event_free(pool->tick);
    free(pool->peers);
    free(pool->queue);
    if (pool->ctx)
        xmpp_ctx_free(pool->ctx);
    SSL_CTX_free(pool->ssl);
    free(pool);
    /* libevent finalizes freed bufferevents (closing their sockets) from
     * the loop: run it once, so the descriptors are really closed when
     * this returns (a libstrophe client opened next needs low numbers) */
    if (base)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static bp_peer *new_peer(bp_pool *pool)
{
    static const struct xs_callbacks cb = {
        .on_open = on_open, .on_stanza = on_stanza, .on_close = on_close};
    bp_peer *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    p->pool = pool;
    if (xs_parser_new(pool->ctx, NULL, &cb, p, &p->parser) != XS_OK) {
        free(p);
        return NULL;
    }
    return p;
}

int bp_pool_add(bp_pool *pool, int n)
{
    if (pool->n + n > pool->cap) {
        int cap = pool->cap ? pool->cap : 64;
        bp_peer **peers;
        int *queue;
        while (cap < pool->n + n)
            cap *= 2;
        peers = realloc(pool->peers, (size_t)cap * sizeof *peers);
        if (!peers)
            return -1;
        pool->peers = peers;
        queue = malloc((size_t)cap * sizeof *queue);
        if (!queue)
            return -1;
        for (int i = 0; i < pool->qlen; i++)
            queue[i] = pool->queue[(pool->qhead + i) % pool->cap];
        free(pool->queue);
        pool->queue = queue;
        pool->qhead = 0;
        pool->cap = cap;
    }
    for (int i = 0; i < n; i++) {
        bp_peer *p = new_peer(pool);
        if (!p)
            return -1;
        p->index = pool->n;
        pool->peers[pool->n] = p;
        pool->room_count[BP_ROOM_NONE]++;
        enqueue(pool, p, pool->n++);
    }
    pump(pool);
    return 0;
}

int bp_pool_size(const bp_pool *pool)
{
    return pool->n;
}
int bp_pool_ready(const bp_pool *pool)
{
    return pool->ready;
}
int bp_pool_failed(const bp_pool *pool)
{
    return pool->failed;
}
int bp_pool_logins(const bp_pool *pool)
{
    return pool->logins;
}
const char *bp_pool_last_error(const bp_pool *pool)
{
    return pool->last_error;
}
struct bp_counters bp_pool_counters(const bp_pool *pool)
{
    return pool->c;
}

bp_peer *bp_pool_peer(bp_pool *pool, int i)
{
    return i >= 0 && i < pool->n ? pool->peers[i] : NULL;
}

int bp_pool_count_room(const bp_pool *pool, enum bp_room state)
{
    return pool->room_count[state];
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int bp_join(bp_peer *p, const char *room, const char *nick, const char *extra)
{
    if (p->state != BP_READY ||
        (p->room != BP_ROOM_NONE && p->room != BP_ROOM_ERROR) || !room || !nick)
        return -1;
    if (room != p->room_jid) { /* a rejoin passes the stored strings */
        char *r = strdup(room), *n = strdup(nick), *e = dup_or_null(extra);
        char *self = malloc(strlen(room) + strlen(nick) + 2);
        if (!r || !n || (extra && !e) || !self) {
            free(r), free(n), free(e), free(self);
            return -1;
        }
        sprintf(self, "%s/%s", room, nick);
        free(p->room_jid), free(p->nick), free(p->extra), free(p->self);
        p->room_jid = r, p->nick = n, p->extra = e, p->self = self;
    }
    outf(p,
         "<presence to='%s'><x xmlns='http://jabber.org/protocol/muc'/>"
         "%s</presence>",
         p->self, p->extra ? p->extra : "");
    set_room(p, BP_ROOM_JOINING);
    return 0;
}

int bp_leave(bp_peer *p)
{
    if (p->state != BP_READY || !p->self ||
        (p->room != BP_ROOM_JOINED && p->room != BP_ROOM_JOINING))
        return -1;
    outf(p, "<presence type='unavailable' to='%s'/>", p->self);
    set_room(p, BP_ROOM_LEAVING);
    return 0;
}

void bp_set_rejoin(bp_peer *p, bool rejoin)
{
    p->rejoin = rejoin;
}
enum bp_state bp_peer_state(const bp_peer *p)
{
    return p->state;
}
enum bp_room bp_peer_room(const bp_peer *p)
{
    return p->room;
}
const char *bp_peer_jid(const bp_peer *p)
{
    return p->jid;
}
const char *bp_peer_error(const bp_peer *p)
{
    return p->error;
}
struct bp_counters bp_peer_counters(const bp_peer *p)
{
    return p->c;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bp_pool_run_until(bp_pool *pool, bool (*cond)(void *ud), void *ud,
                      int timeout_ms)
{
    long long end = now_ms() + timeout_ms;

    while (!cond(ud)) {
        if (timeout_ms > 0 && now_ms() >= end)
            return -1;
        pump(pool);
        /* the pool's 20 ms tick bounds how long this blocks */
        event_base_loop(pool->base, EVLOOP_ONCE);
    }
    return 0;
}

long bp_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -1;
    }
    return (long)rl.rlim_cur;
}

/* ---- detached peers (tests) -------------------------------------------- */

int bp_peer_new_detached(const struct bp_config *cfg,
                         void (*send)(void *ud, const char *data, size_t len),
                         void *ud, bp_peer **out)
{
    bp_pool *pool;
    bp_peer *p;
    int rc;

    *out = NULL;
    if ((rc = bp_pool_new(NULL, cfg, &pool)) != BP_OK)
        return rc;
    pool->cap = 1;
    pool->peers = malloc(sizeof *pool->peers);
    pool->queue = malloc(sizeof *pool->queue);
    if (!pool->peers || !pool->queue || !(p = new_peer(pool))) {
        bp_pool_free(pool);
        return BP_ENOMEM;
    }
    pool->peers[pool->n++] = p;
    pool->room_count[BP_ROOM_NONE]++;
    p->send = send;
    p->send_ud = ud;
    p->in_flight = true;
    pool->in_flight++;
    p->state = BP_FEATURES;
    send_header(p);
    *out = p;
    return BP_OK;
}

void bp_peer_feed(bp_peer *p, const char *data, size_t len)
{
    if (p->state != BP_FAILED && p->state != BP_IDLE)
        feed(p, data, len);
    if (p->upgrade)
        start_tls(p);
}

void bp_peer_free_detached(bp_peer *p)
{
    if (p)
        bp_pool_free(p->pool);
}

/* ---- hooks (orbweb swarm) ---------------------------------------------- */

void bp_pool_set_stanza_hook(bp_pool *pool,
                             void (*hook)(void *ud, bp_peer *p,
                                          struct _xmpp_stanza_t *st),
                             void *ud)
{
    pool->hook = hook;
    pool->hook_ud = ud;
}

int bp_send(bp_peer *p, const char *xml)
{
    if (p->state != BP_READY || p->dead || !xml)
        return -1;
    outs(p, xml);
    return 0;
}

int bp_peer_index(const bp_peer *p)
{
    return p->index;
}
void bp_peer_set_data(bp_peer *p, void *data)
{
    p->data = data;
}
void *bp_peer_data(const bp_peer *p)
{
    return p->data;
}
