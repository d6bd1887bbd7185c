/* hs_client.c -- a small synchronous XMPP client (see hs_client.h). */
#include "config.h"

#include "hs_client.h"
#include "hs_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HS_QUEUE_MAX 4096

struct hs_client {
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    int state; /* 0 connecting, 1 up, -1 failed or closed */
    int error;
    xmpp_stanza_t *queue[HS_QUEUE_MAX];
    size_t queued;
    unsigned next_id;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    hs_client *c = ud;

    (void)conn;
    if (c->queued < HS_QUEUE_MAX)
        c->queue[c->queued++] = xmpp_stanza_clone(st);
    return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                    xmpp_stream_error_t *se, void *ud)
{
    hs_client *c = ud;

    (void)se;
    if (ev == XMPP_CONN_CONNECT) {
        c->state = 1;
        xmpp_handler_add(conn, on_stanza, NULL, NULL, NULL, c);
        return;
    }
    c->state = -1;
    c->error = error;
}

/* Pumps the connection until done(c, arg) or the timeout; true if done. */
static bool pump_until(hs_client *c, bool (*done)(hs_client *, void *),
                       void *arg, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;

    while (!done(c, arg)) {
        if (now_ms() >= deadline || c->state < 0)
            return false;
        xmpp_run_once(c->ctx, 10);
    }
    return true;
}

static bool is_up(hs_client *c, void *arg)
{
    (void)arg;
    return c->state != 0;
}

hs_client *hs_client_connect(const char *host, int port, const char *jid,
                             const char *pass, int timeout_ms, char *err,
                             size_t errlen)
{
    hs_client *c = calloc(1, sizeof *c);

    /* A closed socket must be an error to the caller, not a signal that
     * kills the test or tool holding many connections. */
    signal(SIGPIPE, SIG_IGN);
    xmpp_initialize();
    if (!c || !(c->ctx = xmpp_ctx_new(NULL, NULL)) ||
        !(c->conn = xmpp_conn_new(c->ctx))) {
        snprintf(err, errlen, "out of memory");
        hs_client_close(c);
        return NULL;
    }
    xmpp_conn_set_jid(c->conn, jid);
    if (pass)
        xmpp_conn_set_pass(c->conn, pass);
    xmpp_conn_set_flags(c->conn, XMPP_CONN_FLAG_TRUST_TLS);
    if (xmpp_connect_client(c->conn, host, (unsigned short)port, on_conn, c) !=
            XMPP_EOK ||
        !pump_until(c, is_up, NULL, timeout_ms) || c->state != 1) {
        snprintf(err, errlen, "login as %s on %s:%d %s (error %d)", jid, host,
                 port, c->state == 0 ? "timed out" : "failed", c->error);
        hs_client_close(c);
        return NULL;
    }
    return c;
}

void hs_client_close(hs_client *c)
{
    if (!c)
        return;
    if (c->conn && c->state == 1) {
        xmpp_disconnect(c->conn);
        for (int i = 0; i < 100 && !xmpp_conn_is_disconnected(c->conn); i++)
            xmpp_run_once(c->ctx, 10);
    }
    for (size_t i = 0; i < c->queued; i++)
        xmpp_stanza_release(c->queue[i]);
    if (c->conn)
        xmpp_conn_release(c->conn);
    if (c->ctx)
        xmpp_ctx_free(c->ctx);
    free(c);
    xmpp_shutdown();
}

xmpp_ctx_t *hs_client_ctx(hs_client *c)
{
    return c->ctx;
}

const char *hs_client_jid(hs_client *c)
{
    return xmpp_conn_get_bound_jid(c->conn);
}

void hs_client_send(hs_client *c, xmpp_stanza_t *stanza)
{
    xmpp_send(c->conn, stanza);
    xmpp_run_once(c->ctx, 0);
}

int hs_client_send_xmlv(hs_client *c, const char *fmt, va_list ap)
{
    char *xml = NULL;
    xmpp_stanza_t *st;

    if (vasprintf(&xml, fmt, ap) < 0)
        return -1;
    st = xmpp_stanza_new_from_string(c->ctx, xml);
    free(xml);
    if (!st)
        return -1;
    hs_client_send(c, st);
    xmpp_stanza_release(st);
    return 0;
}

struct match {
    const char *name, *id, *from;
    xmpp_stanza_t *found;
};

static bool take_match(hs_client *c, void *arg)
{
    struct match *m = arg;

    for (size_t i = 0; i < c->queued; i++) {
        xmpp_stanza_t *st = c->queue[i];
        const char *id = xmpp_stanza_get_id(st);
        if (m->name && strcmp(xmpp_stanza_get_name(st), m->name))
            continue;
        if (m->id && (!id || strcmp(id, m->id)))
            continue;
        if (m->from && (!xmpp_stanza_get_from(st) ||
                        strcmp(xmpp_stanza_get_from(st), m->from)))
            continue;
        m->found = st;
        memmove(&c->queue[i], &c->queue[i + 1],
                (c->queued - i - 1) * sizeof c->queue[0]);
        c->queued--;
        return true;
    }
    return false;
}

xmpp_stanza_t *hs_client_iq(hs_client *c, xmpp_stanza_t *iq, int timeout_ms)
{
    char id[32];
    struct match m = {"iq", id, NULL, NULL};

    if (!xmpp_stanza_get_id(iq)) {
        snprintf(id, sizeof id, "hs%u", ++c->next_id);
        xmpp_stanza_set_id(iq, id);
    } else
        snprintf(id, sizeof id, "%s", xmpp_stanza_get_id(iq));
    hs_client_send(c, iq);
    pump_until(c, take_match, &m, timeout_ms);
    return m.found;
}

xmpp_stanza_t *hs_client_wait(hs_client *c, const char *name, int timeout_ms)
{
    return hs_client_wait_from(c, name, NULL, timeout_ms);
}

xmpp_stanza_t *hs_client_wait_from(hs_client *c, const char *name,
                                   const char *from, int timeout_ms)
{
    struct match m = {name, NULL, from, NULL};

    pump_until(c, take_match, &m, timeout_ms);
    return m.found;
}

size_t hs_client_drain(hs_client *c, int quiet_ms, int max_ms)
{
    long start = now_ms(), last = start;
    size_t seen = c->queued;

    while (c->state == 1 && now_ms() - last < quiet_ms &&
           now_ms() - start < max_ms) {
        xmpp_run_once(c->ctx, 5);
        if (c->queued != seen) {
            seen = c->queued;
            last = now_ms();
        }
    }
    return c->queued;
}

xmpp_stanza_t *hs_client_take(hs_client *c, const char *name)
{
    struct match m = {name, NULL, NULL, NULL};

    take_match(c, &m);
    return m.found;
}

xmpp_stanza_t *hs_iq_query(xmpp_ctx_t *ctx, const char *type, const char *to,
                           const char *elem, const char *ns)
{
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, type, NULL);
    xmpp_stanza_t *q = xmpp_stanza_new(ctx);

    if (!iq || !q) {
        if (q)
            xmpp_stanza_release(q);
        if (iq)
            xmpp_stanza_release(iq);
        return NULL;
    }
    xmpp_stanza_set_to(iq, to);
    xmpp_stanza_set_name(q, elem);
    xmpp_stanza_set_ns(q, ns);
    xmpp_stanza_add_child(iq, q);
    xmpp_stanza_release(q);
    return iq;
}

int hs_probe_login(const char *host, int port, const char *jid,
                   const char *pass, int timeout_ms, char *err, size_t errlen)
{
    hs_client *c =
        hs_client_connect(host, port, jid, pass, timeout_ms, err, errlen);

    hs_client_close(c);
    return c ? 0 : -1;
}
