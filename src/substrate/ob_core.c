/* ob_core.c -- liborbweb's core: the event queue and its dispatcher, the
 * stanza and event registries, ids, the clock, the log, the send path onto
 * the connection and the small stanza builders (ob_core_internal.h).
 *
 * The idea: everything above registers with the core and the core calls
 * only what was registered.  libstrophe calls obi_route, which gives each
 * stanza to the first registered handler that matches (like libstrophe's
 * own handler list, but one registration, so the order is ours); the
 * handler queues events; obi_dispatch, run once xmpp_run_once has
 * returned, hands each event to the handler of its kind. */
#include "config.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ob_core_internal.h"

const char *ob_strerror(int code)
{
    switch (code) {
    case OB_OK: return "success";
    case OB_ENOMEM: return "out of memory";
    case OB_EINVAL: return "invalid argument";
    case OB_ESTATE: return "not possible in this state";
    case OB_EEXIST: return "already in that room";
    case OB_ENOTFOUND: return "no such room";
    case OB_EFDLIMIT: return "socket descriptor >= FD_SETSIZE refused";
    case OB_ECONNECT: return "connection failed or lost";
    case OB_EAUTH: return "authentication failed";
    case OB_ESTANZA: return "stanza error";
    case OB_EEVENT: return "libevent failed";
    case OB_EXMPP: return "libstrophe failed";
    case OB_ETOOBIG: return "too large for the server, and no direct stream";
    case OB_ETIMEDOUT: return "timed out";
    case OB_ENOMETHOD: return "no such method";
    case OB_EREMOTE: return "the peer failed the call";
    case OB_EGONE: return "the peer is gone or unreachable";
    case OB_EBUSY: return "too many in flight";
    case OB_EREFUSED: return "connection refused";
    case OB_EUNREACH: return "server unreachable";
    case OB_ETLS: return "TLS failed (certificate not trusted)";
    case OB_EAGAIN: return "too many messages in flight, try again";
    default: return "unknown error";
    }
}

const char *ob_state_name(enum ob_state st)
{
    static const char *const names[] = {"idle",  "connecting", "connected",
                                        "lost",  "resumed",    "reconnected",
                                        "closed"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

void obi_logf(ob_client *c, const char *level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!c->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->log(c->user, level, "orbweb", msg);
}

char *obi_next_id(ob_client *c, char *buf, size_t len)
{
    snprintf(buf, len, "ob%lu", ++c->idseq);
    return buf;
}

uint64_t obi_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the stanza registry --------------------------------------------- */

int obi_handler_add(ob_client *c, const struct obi_handler *h)
{
    if (!h->fn || c->nhandlers == OBI_MAX_HANDLERS)
        return OB_EINVAL;
    c->handlers[c->nhandlers++] = *h;
    return OB_OK;
}

static bool same(const char *want, const char *have)
{
    return !want || (have && !strcmp(want, have));
}

/* libstrophe's rule: the stanza's namespace, or one of its children's. */
static bool has_ns(xmpp_stanza_t *st, const char *ns)
{
    return !ns || same(ns, xmpp_stanza_get_ns(st)) ||
           xmpp_stanza_get_child_by_ns(st, ns);
}

static bool matches(ob_client *c, const struct obi_handler *h,
                    xmpp_stanza_t *st)
{
    return same(h->name, xmpp_stanza_get_name(st)) &&
           same(h->type, xmpp_stanza_get_type(st)) && has_ns(st, h->ns) &&
           (!h->match || h->match(c, st, h->arg));
}

void obi_route(ob_client *c, xmpp_stanza_t *st)
{
    if (!xmpp_stanza_get_name(st))
        return;
    for (size_t i = 0; i < c->nhandlers; i++)
        if (matches(c, &c->handlers[i], st)) {
            c->handlers[i].fn(c, st, c->handlers[i].arg);
            return;
        }
}

/* The one libstrophe handler: every stanza, kept (returns 1). */
static int route(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn;
    obi_route(ud, st);
    return 1;
}

void obi_handlers_install(ob_client *c)
{
    xmpp_handler_delete(c->conn, route);
    xmpp_handler_add(c->conn, route, NULL, NULL, NULL, c);
}

/* ---- the queue ------------------------------------------------------- */

void obi_event_on(ob_client *c, enum obi_kind kind, obi_event_fn fn)
{
    if ((unsigned)kind < OBI_KIND_COUNT)
        c->on_event[kind] = fn;
}

void obi_event_chain(ob_client *c, enum obi_kind kind, obi_event_fn fn)
{
    if ((unsigned)kind < OBI_KIND_COUNT) {
        c->next_event[kind] = c->on_event[kind];
        c->on_event[kind] = fn;
    }
}

void obi_event_next(ob_client *c, struct obi_ev *ev)
{
    if ((unsigned)ev->kind < OBI_KIND_COUNT && c->next_event[ev->kind])
        c->next_event[ev->kind](c, ev);
}

void obi_enqueue(ob_client *c, struct obi_ev *ev)
{
    ev->next = NULL;
    if (c->q_tail)
        c->q_tail->next = ev;
    else
        c->q_head = ev;
    c->q_tail = ev;
    obi_kick(c);
}

void obi_kick(ob_client *c)
{
    if (c->ev_kick)
        event_active(c->ev_kick, EV_TIMEOUT, 0);
}

void obi_lost(ob_client *c, const char *what)
{
    obi_logf(c, "error", "out of memory: %s was dropped", what);
    c->lost++;
    obi_kick(c);
}

void obi_take(ob_client *c, xmpp_stanza_t *st)
{
    struct obi_ev *ev;

    if (!(ev = obi_ev_new(OBI_NONE)) || obi_parse(st, ev)) {
        obi_lost(c, !strcmp(xmpp_stanza_get_name(st), "presence")
                        ? "a presence"
                        : "a message");
        free(ev);
        return;
    }
    if (ev->kind == OBI_NONE)
        free(ev);
    else
        obi_enqueue(c, ev);
}

void obi_enqueue_stanza(ob_client *c, xmpp_stanza_t *st, enum obi_kind kind,
                        const char *what)
{
    struct obi_ev *ev = obi_ev_new(kind);

    if (!ev) {
        obi_lost(c, what);
        return;
    }
    ev->st = xmpp_stanza_clone(st);
    obi_enqueue(c, ev);
}

void obi_queue_free(ob_client *c)
{
    struct obi_ev *ev;

    while ((ev = c->q_head)) {
        c->q_head = ev->next;
        obi_ev_clear(ev);
        free(ev);
    }
    c->q_tail = NULL;
}

/* ---- the dispatcher ------------------------------------------------- */

void obi_emit_error(ob_client *c, int code, enum ob_op op,
                    const struct obi_ev *ev, const char *text)
{
    struct ob_error e = {
        .code = code,
        .op = op,
        .cond = ev ? ev->cond : OB_COND_NONE,
        .condition = ev && ev->condition ? ev->condition : "",
        .type = ev && ev->etype ? ev->etype : "",
        .room = ev ? ev->room : NULL,
        .peer = ev ? ev->from : NULL,
        .text = text ? text : ob_strerror(code),
    };

    if (c->cb.error)
        c->cb.error(c, &e, c->user);
}

static void handle(ob_client *c, struct obi_ev *ev)
{
    if ((unsigned)ev->kind < OBI_KIND_COUNT && c->on_event[ev->kind])
        c->on_event[ev->kind](c, ev);
}

/* What obi_lost counted: the state change dropped last is applied (an
 * OBI_STATE event on the stack), and the application told (nothing here
 * allocates). */
static void report_lost(ob_client *c)
{
    if (!c->dying && c->lost_state_set) {
        struct obi_ev ev = {.kind = OBI_STATE, .sub = (int)c->lost_state};
        c->lost_state_set = false;
        handle(c, &ev);
    }
    if (!c->dying && c->lost) {
        c->lost = 0;
        obi_emit_error(c, OB_ENOMEM, OB_OP_CONNECT, NULL,
                       "out of memory: events were dropped (a state "
                       "change, view change, unicast, groupcast or error "
                       "may be missing; the log names them)");
    }
}

bool obi_dispatch(ob_client *c)
{
    struct obi_ev *ev;

    if (c->in_dispatch)
        return true;
    c->in_dispatch = true;
    while (!c->dying && (ev = c->q_head)) {
        c->q_head = ev->next;
        if (!c->q_head)
            c->q_tail = NULL;
        obi_logf(c, "debug", "event %d/%d room %s from %s", ev->kind, ev->sub,
                 ev->room ? ev->room : "-", ev->from ? ev->from : "-");
        handle(c, ev);
        obi_ev_clear(ev);
        free(ev);
    }
    report_lost(c);
    c->in_dispatch = false;
    return !c->dying;
}

/* ---- the send path ---------------------------------------------------- */

bool obi_in_session(const ob_client *c)
{
    return c->in_session && c->conn && xmpp_conn_is_connected(c->conn);
}

int obi_send(ob_client *c, xmpp_stanza_t *st)
{
    if (!obi_in_session(c) || c->closing)
        return OB_ESTATE;
    xmpp_send(c->conn, st);
    c->sm_sent++; /* flow control: ob_in_flight */
    obi_kick(c);
    return OB_OK;
}

const char *obi_bound_jid(const ob_client *c)
{
    return obi_in_session(c) ? xmpp_conn_get_bound_jid(c->conn) : NULL;
}

xmpp_ctx_t *obi_ctx(ob_client *c)
{
    return c->ctx;
}

xmpp_stanza_t *obi_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                      const char *ns)
{
    xmpp_stanza_t *e = xmpp_stanza_new(ctx);

    if (!e)
        return NULL;
    if (xmpp_stanza_set_name(e, name) || (ns && xmpp_stanza_set_ns(e, ns)) ||
        (parent && xmpp_stanza_add_child_ex(parent, e, 0))) {
        xmpp_stanza_release(e);
        return NULL;
    }
    return e; /* when parent is set, the parent holds the only reference */
}

int obi_text_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                const char *text)
{
    xmpp_stanza_t *e = obi_el(ctx, parent, name, NULL), *t;

    if (!e || !(t = xmpp_stanza_new(ctx)))
        return OB_ENOMEM;
    if (xmpp_stanza_set_text(t, text) || xmpp_stanza_add_child_ex(e, t, 0)) {
        xmpp_stanza_release(t);
        return OB_ENOMEM;
    }
    return OB_OK;
}
