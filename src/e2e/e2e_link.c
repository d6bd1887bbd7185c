/* e2e_link.c -- one direct link, either role: TLS over a bufferevent,
 * the XEP-0246 stream headers, XML or Fast Infoset framing, and stanza
 * acknowledgements (see docs/e2e.md).
 *
 * Every libevent callback runs between enter() and leave(): a link freed
 * from inside one of its callbacks (or from on_down / on_stanza / the
 * listener's hand-over) is only marked, and leave() destroys it when the
 * outermost callback returns.  Candidate changes happen on the timer,
 * never inside a read, so the reader is never freed under its own feet. */
#include "config.h"

#include "e2e_link_internal.h"
#include "xs_stream.h"
#include "ut_ns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACK_EVERY 16
#define ACK_DELAY_MS 100
#define CLOSE_GRACE_MS 2000
#define DEFAULT_CONNECT_MS 1500
#define MAX_SID 128
#define MAX_JID 1023
/* Deferred callbacks: a bufferevent never calls us back from inside one
 * of our own writes. */
#define BEV_OPTIONS (BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
#define ENCODE_MAX (16u << 20) /* the largest text we encode as FI */

struct framing;

enum state {
    NEXT,       /* connector: the timer tries the next candidate */
    CONNECTING, /* TCP + TLS */
    HEADER,     /* waiting for the peer's stream header */
    UP,
    CLOSING,  /* our end is sent, we wait for the peer's */
    FLUSHING, /* finish() once our last bytes are written */
    DOWN,
};

struct e2e_link {
    struct event_base *base;
    xmpp_ctx_t *ctx;
    SSL_CTX *tls;
    struct bufferevent *bev;
    e2e_reader *rd;
    fi_ctx *fctx;
    fi_encoder *enc; /* with FI framing */
    const struct framing *framing;
    struct event *timer, *ack_timer;
    struct e2e_link_cb cb;
    void *ud;
    e2e_listener *listener; /* accepting side, until handed over */
    enum state state;
    bool server, plain, offer_fi, sent_header, sent_end, clean;
    int busy;
    bool dead;
    char *sid, *local_jid, *peer_jid;
    char want_fp[E2E_FP_LEN], peer_fp[E2E_FP_LEN];
    struct e2e_candidate *cands;
    size_t ncands;
    int cur, timeout_ms;
    size_t max_stanza;
    uint64_t sent, received, acked_out, acked_in, bytes_in, bytes_out;
    char reason[300];
};

static void finish(e2e_link *l, const char *reason);

/* ---- lifetime */

static void drop_attempt(e2e_link *l)
{
    if (l->bev)
        bufferevent_free(l->bev);
    l->bev = NULL;
    e2e_reader_free(l->rd);
    l->rd = NULL;
}

static void destroy(e2e_link *l)
{
    drop_attempt(l);
    if (l->timer)
        event_free(l->timer);
    if (l->ack_timer)
        event_free(l->ack_timer);
    fi_encoder_free(l->enc);
    fi_ctx_free(l->fctx);
    SSL_CTX_free(l->tls);
    free(l->sid);
    free(l->local_jid);
    free(l->peer_jid);
    free(l->cands);
    free(l);
}

static void quiet(e2e_link *l)
{
    if (l->bev)
        bufferevent_disable(l->bev, EV_READ | EV_WRITE);
    if (l->rd)
        e2e_reader_stop(l->rd);
    event_del(l->timer);
    event_del(l->ack_timer);
}

void e2e_link_free(e2e_link *l)
{
    if (!l)
        return;
    if (l->listener)
        e2e_listener_forget(l->listener, l);
    l->listener = NULL;
    if (l->busy) {
        l->dead = true;
        quiet(l);
        return;
    }
    destroy(l);
}

static void enter(e2e_link *l)
{
    l->busy++;
}

static void leave(e2e_link *l)
{
    if (!--l->busy && l->dead)
        destroy(l);
}

static void arm(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

/* ---- writing */

static int put(e2e_link *l, const void *data, size_t len)
{
    if (!l->bev || bufferevent_write(l->bev, data, len) != 0)
        return E2E_LINK_ENOMEM;
    l->bytes_out += len;
    return 0;
}

static int put_fi(e2e_link *l, xmpp_stanza_t *st)
{
    const uint8_t *out;
    uint8_t hdr[5];
    size_t len;
    int r = e2e_fi_encode(l->enc, l->ctx, st);

    if (r)
        return r == FI_ENOMEM ? E2E_LINK_ENOMEM : E2E_LINK_EENCODE;
    fi_encoder_output(l->enc, &out, &len);
    if (len > FI_FRAME_MAX)
        return E2E_LINK_EENCODE;
    r = put(l, hdr, fi_frame_put(hdr, len));
    return r ? r : put(l, out, len);
}

static int put_xml(e2e_link *l, xmpp_stanza_t *st)
{
    long len =
        l->bev ? xs_write_stanza(bufferevent_get_output(l->bev), st) : -1;

    if (len < 0)
        return E2E_LINK_EENCODE;
    l->bytes_out += (uint64_t)len;
    return 0;
}

/* How stanzas and the end of our stream are written in each framing. */
struct framing {
    const char *name;
    int (*put_stanza)(e2e_link *l, xmpp_stanza_t *st);
    const char *end;
    size_t end_len;
};

static const struct framing xml_framing = {"xml", put_xml, "</stream:stream>",
                                           16};
static const struct framing fi_framing = {"fi", put_fi, "", 1}; /* a 0 length */

static int put_stanza(e2e_link *l, xmpp_stanza_t *st)
{
    return l->framing->put_stanza(l, st);
}

static void put_end(e2e_link *l)
{
    if (l->sent_end)
        return;
    l->sent_end = true;
    put(l, l->framing->end, l->framing->end_len);
}

/* Finishes once everything queued is written (on_write), with reason
 * (NULL: a clean end). */
static void flush_then_finish(e2e_link *l, const char *reason)
{
    if (l->state >= FLUSHING)
        return;
    l->state = FLUSHING;
    l->clean = !reason;
    snprintf(l->reason, sizeof l->reason, "%s", reason ? reason : "");
    if (l->rd)
        e2e_reader_stop(l->rd);
    arm(l->timer, e2e_link_pending_bytes(l) ? CLOSE_GRACE_MS : 0);
}

/* <error xmlns='http://etherx.jabber.org/streams'>: the same element
 * as <stream:error> in the stream's namespace context. */
static void put_stream_error(e2e_link *l, const char *condition)
{
    xmpp_stanza_t *e = xmpp_stanza_new(l->ctx), *c = xmpp_stanza_new(l->ctx);

    if (e && c && !xmpp_stanza_set_name(e, "error") &&
        !xmpp_stanza_set_ns(e, E2E_NS_STREAMS) &&
        !xmpp_stanza_set_name(c, condition) &&
        !xmpp_stanza_set_ns(c, "urn:ietf:params:xml:ns:xmpp-streams") &&
        !xmpp_stanza_add_child(e, c))
        put_stanza(l, e);
    if (e)
        xmpp_stanza_release(e);
    if (c)
        xmpp_stanza_release(c);
}

static void send_header(e2e_link *l, const char *framing);

/* A stream error (RFC 6120 4.9), our end, then the connection closes. */
static void stream_fail(e2e_link *l, const char *condition, const char *text)
{
    char why[300];

    if (l->state >= FLUSHING)
        return;
    if (!l->sent_header)
        send_header(l, "xml"); /* the error must follow a header */
    put_stream_error(l, condition);
    put_end(l);
    snprintf(why, sizeof why, "%s: %s", condition, text);
    flush_then_finish(l, why);
}

static char *escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;

    for (; *s && n + 7 <= cap; s++) { /* room for an entity and the NUL */
        const char *e = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '\'' ? "&apos;"
                        : *s == '"'  ? "&quot;"
                                     : NULL;
        if (e) {
            memcpy(out + n, e, strlen(e));
            n += strlen(e);
        } else
            out[n++] = *s;
    }
    out[n] = '\0';
    return out;
}

static void send_header(e2e_link *l, const char *framing)
{
    char from[6 * MAX_JID + 1], to[6 * MAX_JID + 1], sid[6 * MAX_SID + 1];
    char *buf;
    int n;

    n = asprintf(&buf,
                 "<stream:stream xmlns='jabber:client' "
                 "xmlns:stream='" E2E_NS_STREAMS "' xmlns:e2e='" UT_NS_E2E
                 "' from='%s' to='%s' version='1.0' e2e:sid='%s' "
                 "e2e:framing='%s'>",
                 escape(l->local_jid ? l->local_jid : "", from, sizeof from),
                 escape(l->peer_jid ? l->peer_jid : "", to, sizeof to),
                 escape(l->sid ? l->sid : "", sid, sizeof sid), framing);
    if (n < 0)
        return;
    l->sent_header = true;
    put(l, buf, (size_t)n);
    free(buf);
}

/* ---- acknowledgements */

static void send_ack(e2e_link *l)
{
    xmpp_stanza_t *a = xmpp_stanza_new(l->ctx);
    char h[24];

    event_del(l->ack_timer);
    snprintf(h, sizeof h, "%llu", (unsigned long long)l->received);
    if (a && !xmpp_stanza_set_name(a, "a") &&
        !xmpp_stanza_set_ns(a, E2E_NS_SM) &&
        !xmpp_stanza_set_attribute(a, "h", h) && !put_stanza(l, a))
        l->acked_out = l->received;
    if (a)
        xmpp_stanza_release(a);
}

static void count_received(e2e_link *l)
{
    l->received++;
    if (l->received - l->acked_out >= ACK_EVERY)
        send_ack(l);
    else if (!evtimer_pending(l->ack_timer, NULL))
        arm(l->ack_timer, ACK_DELAY_MS);
}

/* A clean end: the last acknowledgement, then our end. */
static void ack_and_end(e2e_link *l)
{
    if (l->received > l->acked_out)
        send_ack(l);
    put_end(l);
}

static void on_ack_timer(evutil_socket_t fd, short what, void *ud)
{
    e2e_link *l = ud;

    (void)fd, (void)what;
    enter(l);
    if (l->state == UP && l->received > l->acked_out)
        send_ack(l);
    leave(l);
}

static void take_ack(e2e_link *l, xmpp_stanza_t *a)
{
    const char *h = xmpp_stanza_get_attribute(a, "h");
    char *end;
    unsigned long long v = h ? strtoull(h, &end, 10) : 0;

    if (!h || !*h || *end || v > l->sent || v < l->acked_in) {
        stream_fail(l, "undefined-condition", "a bad acknowledgement");
        return;
    }
    l->acked_in = v;
    if (l->cb.on_acked)
        l->cb.on_acked(l->ud, l, v);
}

/* ---- reading */

static bool is(xmpp_stanza_t *st, const char *name, const char *ns)
{
    const char *n = xmpp_stanza_get_name(st), *s = xmpp_stanza_get_ns(st);

    return n && s && !strcmp(n, name) && !strcmp(s, ns);
}

static void rd_stanza(void *ud, xmpp_stanza_t *st)
{
    e2e_link *l = ud;
    char why[200];

    if (l->state != UP && l->state != CLOSING)
        return;
    if (is(st, "a", E2E_NS_SM)) {
        take_ack(l, st);
    } else if (is(st, "error", E2E_NS_STREAMS)) {
        xmpp_stanza_t *c = xmpp_stanza_get_children(st);
        snprintf(why, sizeof why, "stream error from the peer: %s",
                 c && xmpp_stanza_get_name(c) ? xmpp_stanza_get_name(c) : "?");
        put_end(l);
        flush_then_finish(l, why);
    } else if (l->state == UP) {
        count_received(l);
        if (l->cb.on_stanza)
            l->cb.on_stanza(l->ud, l, st);
    } /* after our end: dropped, unacknowledged, so the peer resends it */
}

static void rd_close(void *ud)
{
    e2e_link *l = ud;

    if (l->state == CLOSING) {
        finish(l, NULL);
        return;
    }
    ack_and_end(l);
    flush_then_finish(l, NULL);
}

/* The value of attribute local (in namespace ns, or none) of a header
 * given in xs_parser's form ("ns local prefix" for qualified names). */
static const char *header_attr(const char **attrs, const char *ns,
                               const char *local)
{
    size_t nl = ns ? strlen(ns) : 0, ll = strlen(local);

    for (int i = 0; attrs[i]; i += 2) {
        const char *a = attrs[i];
        if (ns && (strncmp(a, ns, nl) || a[nl] != ' '))
            continue;
        a += ns ? nl + 1 : 0;
        if (!strncmp(a, local, ll) && (a[ll] == '\0' || (ns && a[ll] == ' ')))
            return attrs[i + 1];
    }
    return NULL;
}

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);

    for (const char *p = list; p && (p = strstr(p, tok)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static int use_fi(e2e_link *l)
{
    /* our own stanzas: limits only against runaway sizes */
    struct fi_limits lim = {.max_string = ENCODE_MAX,
                            .max_memory = 4 * ENCODE_MAX};
    struct fi_encoder_options o = {.vocab = fi_vocab_xmpp()};

    if (fi_ctx_new(NULL, &lim, &l->fctx) != FI_OK ||
        fi_encoder_new(l->fctx, &o, &l->enc) != FI_OK)
        return E2E_LINK_ENOMEM;
    l->framing = &fi_framing;
    e2e_reader_use_fi(l->rd);
    return 0;
}

static bool peer_fp(e2e_link *l)
{
    X509 *x;
    int r;

    if (l->peer_fp[0])
        return true;
    if (!(x = SSL_get1_peer_certificate(bufferevent_openssl_get_ssl(l->bev))))
        return false;
    r = e2e_fingerprint(x, l->peer_fp);
    X509_free(x);
    return r == 0;
}

static void listener_header(e2e_link *l, const char **attrs)
{
    const char *sid = header_attr(attrs, UT_NS_E2E, "sid");
    const char *framing = header_attr(attrs, UT_NS_E2E, "framing");
    const char *from = header_attr(attrs, NULL, "from");
    const char *to = header_attr(attrs, NULL, "to");
    bool fi = l->offer_fi && has_token(framing, "fi");

    if (!l->plain && !peer_fp(l)) {
        stream_fail(l, "not-authorized", "no client certificate");
        return;
    }
    if (!sid || !*sid || strlen(sid) > MAX_SID || !from ||
        strlen(from) > MAX_JID || (to && strlen(to) > MAX_JID)) {
        stream_fail(l, "invalid-xml",
                    "the header has no usable e2e:sid or from");
        return;
    }
    if (!(l->sid = strdup(sid)) || !(l->peer_jid = strdup(from)) ||
        !(l->local_jid = strdup(to ? to : ""))) {
        stream_fail(l, "resource-constraint", "out of memory");
        return;
    }
    send_header(l, fi ? "fi" : "xml");
    if (fi && use_fi(l)) {
        stream_fail(l, "resource-constraint", "out of memory");
        return;
    }
    l->state = UP;
    event_del(l->timer);
    e2e_listener_ready(l->listener, l); /* may free l (deferred) */
}

static void connector_header(e2e_link *l, const char **attrs)
{
    const char *sid = header_attr(attrs, UT_NS_E2E, "sid");
    const char *framing = header_attr(attrs, UT_NS_E2E, "framing");
    bool fi = framing && !strcmp(framing, "fi");

    if (!sid || strcmp(sid, l->sid) || !framing ||
        (!fi && strcmp(framing, "xml")) || (fi && !l->offer_fi)) {
        stream_fail(l, "invalid-xml",
                    "the answer has another e2e:sid or framing");
        return;
    }
    if (fi && use_fi(l)) {
        stream_fail(l, "resource-constraint", "out of memory");
        return;
    }
    l->state = UP;
    event_del(l->timer);
    if (l->cb.on_up)
        l->cb.on_up(l->ud, l);
}

static void rd_header(void *ud, const char **attrs)
{
    e2e_link *l = ud;

    if (l->server)
        listener_header(l, attrs);
    else if (l->state == HEADER)
        connector_header(l, attrs);
}

static const struct e2e_reader_cb reader_cb = {rd_header, rd_stanza, rd_close};

static void on_read(struct bufferevent *bev, void *ud)
{
    e2e_link *l = ud;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_iovec v;

    enter(l);
    while (!l->dead && l->rd && l->state >= CONNECTING && l->state <= CLOSING &&
           evbuffer_get_length(in) && evbuffer_peek(in, -1, NULL, &v, 1) >= 1) {
        int r = e2e_reader_feed(l->rd, v.iov_base, v.iov_len);
        l->bytes_in += v.iov_len;
        if (l->dead)
            break;
        evbuffer_drain(in, v.iov_len);
        if (r)
            stream_fail(l, e2e_reader_condition(r),
                        e2e_reader_error_text(l->rd));
    }
    leave(l);
}

/* ---- connecting */

/* The current candidate failed: the timer moves on to the next. */
static void fail_attempt(e2e_link *l, const char *why)
{
    const struct e2e_candidate *c = &l->cands[l->cur];

    snprintf(l->reason, sizeof l->reason, "%.64s port %d: %.200s", c->host,
             c->port, why);
    quiet(l);
    l->state = NEXT;
    arm(l->timer, 0);
}

static const char *socket_error(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();

    if (e) {
        ERR_error_string_n(e, buf, cap);
        ERR_clear_error();
    } else
        snprintf(buf, cap, "%s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    return buf;
}

/* Stanzas go out as soon as they are written: without this, Nagle's
 * algorithm holds the tail of a large stanza until the peer's delayed
 * acknowledgement (40 ms on Linux). */
static void no_delay(evutil_socket_t fd)
{
    int one = 1;

    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* TCP (plain) or TLS is up: the connector checks and sends its header. */
static void transport_up(e2e_link *l)
{
    no_delay(bufferevent_getfd(l->bev));
    if (l->server) {
        l->state = HEADER;
        return;
    }
    if (l->plain) {
        l->state = HEADER;
        send_header(l, l->offer_fi ? "fi xml" : "xml");
        return;
    }
    if (!peer_fp(l)) {
        fail_attempt(l, "no server certificate");
        return;
    }
    if (l->want_fp[0] && strcasecmp(l->want_fp, l->peer_fp)) {
        fail_attempt(l, "certificate fingerprint mismatch");
        return;
    }
    l->state = HEADER;
    send_header(l, l->offer_fi ? "fi xml" : "xml");
}

static void on_event(struct bufferevent *bev, short what, void *ud)
{
    e2e_link *l = ud;
    char err[200], why[260];

    (void)bev;
    enter(l);
    if (what & BEV_EVENT_CONNECTED) {
        if (l->state == CONNECTING)
            transport_up(l);
    } else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (what & BEV_EVENT_EOF)
            snprintf(why, sizeof why, "the peer closed the connection");
        else
            snprintf(why, sizeof why, "connection error: %s",
                     socket_error(err, sizeof err));
        if (!l->server && l->state < UP)
            fail_attempt(l, why);
        else
            finish(l, l->state == FLUSHING && l->clean ? NULL : why);
    }
    leave(l);
}

static void on_write(struct bufferevent *bev, void *ud)
{
    e2e_link *l = ud;

    (void)bev;
    enter(l);
    if (l->state == FLUSHING)
        finish(l, l->clean ? NULL : l->reason);
    leave(l);
}

/* The bufferevent on fd (-1: to be connected), TLS unless plain, and
 * the reader.  0 or -1 (out of memory; fd is then closed). */
static int open_bev(e2e_link *l, evutil_socket_t fd)
{
    SSL *ssl = l->plain ? NULL : SSL_new(l->tls);

    no_delay(fd);
    if (l->plain)
        l->bev = bufferevent_socket_new(l->base, fd, BEV_OPTIONS);
    else if (ssl)
        l->bev = bufferevent_openssl_socket_new(
            l->base, fd, ssl,
            l->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
            BEV_OPTIONS);
    if (!l->bev) {
        SSL_free(ssl);
        if (fd >= 0)
            evutil_closesocket(fd);
        return -1;
    }
    if (!l->plain)
        bufferevent_openssl_set_allow_dirty_shutdown(l->bev, 1);
    if (e2e_reader_new(l->ctx, l->max_stanza, &reader_cb, l, &l->rd) != 0)
        return -1;
    bufferevent_setcb(l->bev, on_read, on_write, on_event, l);
    bufferevent_enable(l->bev, EV_READ | EV_WRITE);
    return 0;
}

/* Starts connecting to c: NULL, or why it cannot start. */
static const char *start_attempt(e2e_link *l, const struct e2e_candidate *c)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *v4 = (void *)&ss;
    struct sockaddr_in6 *v6 = (void *)&ss;
    socklen_t len;

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, c->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)c->port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, c->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)c->port);
        len = sizeof *v6;
    } else
        return "not an IP address";
    if (c->port <= 0 || c->port > 65535)
        return "not a port";
    if (open_bev(l, -1))
        return "out of memory";
    if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&ss, (int)len) !=
        0)
        return strerror(errno);
    return NULL;
}

static void try_next(e2e_link *l)
{
    char why[sizeof l->reason + 64];
    const char *err;

    while (++l->cur < (int)l->ncands) {
        const struct e2e_candidate *c = &l->cands[l->cur];
        l->peer_fp[0] = '\0'; /* a fresh attempt */
        l->sent_header = l->sent_end = false;
        l->bytes_in = l->bytes_out = 0;
        if (!(err = start_attempt(l, c))) {
            l->state = CONNECTING;
            arm(l->timer, l->timeout_ms);
            return;
        }
        drop_attempt(l);
        snprintf(l->reason, sizeof l->reason, "%.64s port %d: %s", c->host,
                 c->port, err);
    }
    snprintf(why, sizeof why, "no candidate worked (%zu tried); last: %s",
             l->ncands, l->ncands ? l->reason : "none given");
    finish(l, why);
}

static void on_timer(evutil_socket_t fd, short what, void *ud)
{
    e2e_link *l = ud;

    (void)fd, (void)what;
    enter(l);
    if (l->state == NEXT) {
        drop_attempt(l);
        try_next(l);
    } else if (l->state == CLOSING) {
        finish(l, "the peer did not close its stream");
    } else if (l->state == FLUSHING) {
        finish(l, l->clean ? NULL : l->reason);
    } else if (l->server) {
        finish(l, "handshake timed out");
    } else if (l->state < UP) {
        fail_attempt(l, "timed out");
    }
    leave(l);
}

static void finish(e2e_link *l, const char *reason)
{
    if (l->state == DOWN)
        return;
    l->state = DOWN;
    quiet(l);
    if (l->listener)
        e2e_listener_drop(l->listener, l); /* frees l (deferred) */
    else if (l->cb.on_down)
        l->cb.on_down(l->ud, l, reason);
}

static e2e_link *link_new(struct event_base *base, xmpp_ctx_t *ctx,
                          SSL_CTX *tls, size_t max_stanza)
{
    e2e_link *l = calloc(1, sizeof *l);

    if (!l)
        return NULL;
    l->base = base;
    l->ctx = ctx;
    l->framing = &xml_framing;
    l->cur = -1;
    l->max_stanza = max_stanza ? max_stanza : E2E_DEFAULT_MAX_STANZA;
    l->timer = evtimer_new(base, on_timer, l);
    l->ack_timer = evtimer_new(base, on_ack_timer, l);
    if (!l->timer || !l->ack_timer || !SSL_CTX_up_ref(tls)) {
        destroy(l);
        return NULL;
    }
    l->tls = tls;
    return l;
}

static bool copy_params(e2e_link *l, const struct e2e_link_params *p)
{
    l->plain = p->plain;
    l->offer_fi = p->offer_fi;
    l->timeout_ms =
        p->connect_timeout_ms > 0 ? p->connect_timeout_ms : DEFAULT_CONNECT_MS;
    if (p->peer_fingerprint)
        snprintf(l->want_fp, sizeof l->want_fp, "%s", p->peer_fingerprint);
    return (l->sid = strdup(p->sid)) && (l->local_jid = strdup(p->local_jid)) &&
           (l->peer_jid = strdup(p->peer_jid));
}

int e2e_link_connect(struct event_base *base, xmpp_ctx_t *ctx, e2e_ident *id,
                     const struct e2e_candidate *c, size_t n,
                     const struct e2e_link_params *p,
                     const struct e2e_link_cb *cb, void *ud, e2e_link **out)
{
    e2e_link *l;

    if (!base || !ctx || !id || (n && !c) || !p || !p->sid || !*p->sid ||
        strlen(p->sid) > MAX_SID || !p->local_jid || !p->peer_jid ||
        strlen(p->local_jid) > MAX_JID || strlen(p->peer_jid) > MAX_JID ||
        (p->plain && p->peer_fingerprint) || !cb || !out)
        return E2E_LINK_EINVAL;
    if (!(l = link_new(base, ctx, e2e_ident_tls(id, false),
                       p->max_stanza_bytes)))
        return E2E_LINK_ENOMEM;
    if (!copy_params(l, p) || (n && !(l->cands = calloc(n, sizeof *c)))) {
        destroy(l);
        return E2E_LINK_ENOMEM;
    }
    if (n)
        memcpy(l->cands, c, n * sizeof *c);
    l->ncands = n;
    l->cb = *cb;
    l->ud = ud;
    l->state = NEXT;
    arm(l->timer, 0);
    *out = l;
    return 0;
}

/* ---- accepting (for the listener) */

int e2e_link_accept(e2e_listener *ls, struct event_base *base, xmpp_ctx_t *ctx,
                    SSL_CTX *tls, evutil_socket_t fd,
                    const struct e2e_listener_params *p, e2e_link **out)
{
    e2e_link *l = link_new(base, ctx, tls, p->max_stanza_bytes);

    if (!l) {
        evutil_closesocket(fd);
        return E2E_LINK_ENOMEM;
    }
    l->server = true;
    l->plain = p->plain;
    l->offer_fi = p->offer_fi;
    l->listener = ls;
    if (open_bev(l, fd)) {
        destroy(l);
        return E2E_LINK_ENOMEM;
    }
    l->state = l->plain ? HEADER : CONNECTING;
    arm(l->timer, p->handshake_timeout_ms);
    *out = l;
    return 0;
}

void e2e_link_detach(e2e_link *l)
{
    l->listener = NULL;
}

/* ---- the rest of the public API */

int e2e_link_send(e2e_link *l, xmpp_stanza_t *st)
{
    int r;

    if (l->state != UP || l->dead)
        return E2E_LINK_ESTATE;
    if ((r = put_stanza(l, st)))
        return r;
    l->sent++;
    return 0;
}

void e2e_link_close(e2e_link *l)
{
    if (l->state >= CLOSING || l->dead)
        return;
    if (l->state != UP) {
        quiet(l);
        l->state = FLUSHING;
        l->clean = false;
        snprintf(l->reason, sizeof l->reason, "closed before it was up");
        arm(l->timer, 0);
        return;
    }
    ack_and_end(l);
    l->state = CLOSING;
    arm(l->timer, CLOSE_GRACE_MS);
}

void e2e_link_set_callbacks(e2e_link *l, const struct e2e_link_cb *cb, void *ud)
{
    l->cb = *cb;
    l->ud = ud;
}

const char *e2e_link_sid(const e2e_link *l)
{
    return l->sid;
}

const char *e2e_link_peer_jid(const e2e_link *l)
{
    return l->peer_jid;
}

const char *e2e_link_peer_fingerprint(const e2e_link *l)
{
    return l->peer_fp;
}

const char *e2e_link_framing(const e2e_link *l)
{
    return l->framing->name;
}

int e2e_link_candidate_index(const e2e_link *l)
{
    return l->server ? -1 : l->cur;
}

uint64_t e2e_link_sent(const e2e_link *l)
{
    return l->sent;
}

uint64_t e2e_link_received(const e2e_link *l)
{
    return l->received;
}

uint64_t e2e_link_bytes_out(const e2e_link *l)
{
    return l->bytes_out;
}

uint64_t e2e_link_bytes_in(const e2e_link *l)
{
    return l->bytes_in;
}

size_t e2e_link_pending_bytes(const e2e_link *l)
{
    return l->bev ? evbuffer_get_length(bufferevent_get_output(l->bev)) : 0;
}
