/* xs_stream.c -- XML streams over bufferevents (see xs_stream.h).
 *
 * Reads feed the parser; a parser error answers with the fitting stream
 * error (RFC 6120 4.9.3) and closes.  on_closed is called exactly once.
 * A callback may free the stream: while the read loop runs, freeing only
 * marks it, and the loop finishes the job when the callback returns. */
#include "config.h"

#include "xs_stream.h"
#include "ut_ns.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xs_stream {
    xmpp_ctx_t *ctx;
    struct bufferevent *bev;
    xs_parser *parser;
    struct xs_stream_callbacks cb;
    void *ud;
    bool closing, closed;
    bool reading;      /* inside on_read: freeing is deferred */
    bool free_pending; /* xs_stream_free was called while reading */
    bool held;         /* xs_stream_hold: input waits until output drains */
    size_t hold_low;   /* ... to this many bytes */
    char reason[200];
};

static void finish(xs_stream *s, const char *reason)
{
    if (s->closed)
        return;
    s->closed = true;
    bufferevent_disable(s->bev, EV_READ | EV_WRITE);
    if (s->cb.on_closed)
        s->cb.on_closed(s->ud, reason);
}

static void on_open(void *ud, const char **attrs)
{
    xs_stream *s = ud;
    if (s->cb.on_open)
        s->cb.on_open(s->ud, attrs);
}

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    xs_stream *s = ud;
    if (s->cb.on_stanza && !s->closed)
        s->cb.on_stanza(s->ud, st, bytes);
}

static void on_reject(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes)
{
    xs_stream *s = ud;
    if (!s->closed)
        s->cb.on_reject(s->ud, top, code, why, bytes);
}

static void on_end(void *ud)
{
    xs_stream *s = ud;

    xs_stream_send_raw(s, "</stream:stream>", 16);
    s->closing = true;
    s->reason[0] = '\0';
}

static const char *condition_for(int code)
{
    switch (code) {
    case XS_ETOOBIG: return "policy-violation";
    case XS_ETOODEEP: return "policy-violation";
    case XS_ETOOMANY: return "policy-violation";
    case XS_ENOMEM: return "resource-constraint";
    case XS_ENOTSTREAM: return "invalid-namespace";
    default: return "not-well-formed";
    }
}

static void destroy(xs_stream *s)
{
    bufferevent_free(s->bev);
    xs_parser_free(s->parser);
    free(s);
}

static void on_read(struct bufferevent *bev, void *ud)
{
    xs_stream *s = ud;
    struct evbuffer *in = bufferevent_get_input(bev);

    s->reading = true;
    while (!s->free_pending && !s->closed && !s->closing && !s->held &&
           evbuffer_get_length(in)) {
        struct evbuffer_iovec v;
        int r;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        r = xs_parser_feed(s->parser, v.iov_base, v.iov_len);
        if (s->free_pending)
            break;
        evbuffer_drain(in, v.iov_len);
        if (r != XS_OK)
            xs_stream_fail(s, condition_for(r),
                           xs_parser_error_text(s->parser));
    }
    s->reading = false;
    if (s->free_pending)
        destroy(s);
}

/* The output drained to the hold's low mark: input flows again, starting
 * with what arrived meanwhile. */
static void release(xs_stream *s)
{
    s->held = false;
    bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
    bufferevent_enable(s->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_input(s->bev)))
        bufferevent_trigger(s->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static void on_write(struct bufferevent *bev, void *ud)
{
    xs_stream *s = ud;
    size_t left = evbuffer_get_length(bufferevent_get_output(bev));

    if (s->held && left <= s->hold_low && !s->closed)
        release(s);
    if (s->closing && !s->closed && left == 0)
        finish(s, s->reason[0] ? s->reason : NULL);
}

static void on_event(struct bufferevent *bev, short what, void *ud)
{
    xs_stream *s = ud;
    char why[200];

    (void)bev;
    if (what & BEV_EVENT_EOF)
        finish(s, s->closing && !s->reason[0]
                      ? NULL
                      : "the peer closed the connection");
    else if (what & BEV_EVENT_ERROR) {
        snprintf(why, sizeof why, "connection error: %s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        finish(s, why);
    }
}

int xs_stream_new(xmpp_ctx_t *ctx, struct bufferevent *bev,
                  const struct xs_limits *limits,
                  const struct xs_stream_callbacks *cb, void *ud,
                  xs_stream **out)
{
    xs_stream *s = calloc(1, sizeof *s);
    struct xs_callbacks pcb = {on_open, on_stanza, on_end,
                               cb->on_reject ? on_reject : NULL};

    *out = NULL;
    if (!s || xs_parser_new(ctx, limits, &pcb, s, &s->parser) != XS_OK) {
        free(s);
        bufferevent_free(bev);
        return XS_ENOMEM;
    }
    s->ctx = ctx;
    s->bev = bev;
    s->cb = *cb;
    s->ud = ud;
    bufferevent_setcb(bev, on_read, on_write, on_event, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    *out = s;
    return XS_OK;
}

void xs_stream_free(xs_stream *s)
{
    if (!s)
        return;
    if (s->reading) {
        s->free_pending = true;
        s->closed = true; /* no more callbacks */
        bufferevent_disable(s->bev, EV_READ | EV_WRITE);
        return;
    }
    destroy(s);
}

int xs_stream_send_raw(xs_stream *s, const char *data, size_t len)
{
    if (s->closed || s->closing)
        return -1;
    return bufferevent_write(s->bev, data, len);
}

long xs_stream_send(xs_stream *s, xmpp_stanza_t *stanza)
{
    if (s->closed || s->closing)
        return -1;
    return xs_write_stanza(bufferevent_get_output(s->bev), stanza);
}

void xs_stream_fail(xs_stream *s, const char *condition, const char *text)
{
    char buf[512];
    int n;

    if (s->closed || s->closing)
        return;
    n = snprintf(
        buf, sizeof buf,
        "<stream:error><%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        "</stream:error></stream:stream>",
        condition);
    xs_stream_send_raw(s, buf, (size_t)n);
    snprintf(s->reason, sizeof s->reason, "%s: %s", condition, text);
    s->closing = true;
    if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        finish(s, s->reason);
}

const char *xs_stream_root_ns(const xs_stream *s)
{
    return xs_parser_root_ns(s->parser);
}

size_t xs_stream_queued(const xs_stream *s)
{
    return evbuffer_get_length(bufferevent_get_output(s->bev));
}

void xs_stream_hold(xs_stream *s, size_t low)
{
    if (s->held || s->closed)
        return;
    s->held = true;
    s->hold_low = low;
    bufferevent_disable(s->bev, EV_READ);
    bufferevent_setwatermark(s->bev, EV_WRITE, low, 0);
}

bool xs_stream_held(const xs_stream *s)
{
    return s->held;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One write outside the event loop.  A socket bufferevent keeps the
 * start of its output buffer frozen except inside its own write
 * callback, so a plain evbuffer_write drains nothing: thaw it for the
 * call, as that callback does. */
static int write_some(struct evbuffer *out, evutil_socket_t fd)
{
    int n;

    evbuffer_unfreeze(out, 1);
    n = evbuffer_write(out, fd);
    evbuffer_freeze(out, 1);
    return n;
}

int xs_stream_flush_for(xs_stream *s, int ms)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    struct pollfd p = {.fd = bufferevent_getfd(s->bev), .events = POLLOUT};
    struct timespec t0;
    long left = ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (p.fd >= 0 && evbuffer_get_length(out) && left > 0) {
        if (write_some(out, p.fd) <= 0 &&
            (poll(&p, 1, (int)left) <= 0 || (p.revents & (POLLERR | POLLHUP))))
            break;
        left = ms - ms_since(&t0);
    }
    return evbuffer_get_length(out) ? -1 : 0;
}

void xs_stream_flush_now(xs_stream *s)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    evutil_socket_t fd = bufferevent_getfd(s->bev);

    while (fd >= 0 && evbuffer_get_length(out) && write_some(out, fd) > 0)
        ;
}
