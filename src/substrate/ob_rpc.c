/* ob_rpc.c -- request/response between peers on a client (ob_rpc_*):
 * the sans-I/O core (ob_rpc_core.c) given the client's clock, its
 * unicast path (its transport, as ob_unicast_data: direct when a stream
 * is up, relayed otherwise) and one ob_timer for the deadlines.
 *
 * obi_rpc_attach puts obi_rpc_take in front of the rooms' handler of
 * unicasts, bounces and departures (obi_event_chain), so it sees them
 * before the room tables and the application do: RPC frames stop here; a bounce
 * fails the calls to that peer, and a neighbour leaving a room the calls to it,
 * and both go on as before.
 * Results run from the dispatcher or from the timer, both under the
 * callback contract; after each one the client may be dying, and then
 * nothing more is delivered. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ob_core_internal.h"
#include "ob_relay_internal.h"
#include "ob_room_internal.h"
#include "ob_rpc_internal.h"
#include "ob_timer_internal.h"

struct obi_rpcs {
    struct obi_rpc *core;
    ob_timer *deadline; /* armed for the earliest call's deadline */
};

/* As ob_unicast_data: the client's transport. */
static int send_frame(void *ctx, const char *peer, const void *frame,
                      size_t len)
{
    return obi_send_data(ctx, peer, frame, len);
}

static void rearm(ob_client *c)
{
    uint64_t d = obi_rpc_next_deadline(c->rpc->core), now = obi_now_ms();

    if (d == UINT64_MAX)
        ob_timer_stop(c->rpc->deadline);
    else
        ob_timer_start(c->rpc->deadline, d > now ? (int64_t)(d - now) : 0);
}

static void on_deadline(ob_timer *t, void *arg)
{
    ob_client *c = arg;

    (void)t;
    while (!c->dying && obi_rpc_expire_one(c->rpc->core, obi_now_ms()))
        ;
    if (!c->dying)
        rearm(c);
}

/* c's RPC state, made on first use; NULL when out of memory. */
static struct obi_rpcs *rpcs(ob_client *c)
{
    struct obi_rpcs *s;

    if (c->rpc)
        return c->rpc;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    if (obi_rpc_new(c, send_frame, c, &s->core) ||
        ob_timer_new(c, on_deadline, c, &s->deadline)) {
        obi_rpc_free(s->core);
        free(s);
        return NULL;
    }
    return c->rpc = s;
}

void obi_rpc_client_free(ob_client *c)
{
    if (!c->rpc)
        return;
    obi_rpc_free(c->rpc->core);
    ob_timer_free(c->rpc->deadline);
    free(c->rpc);
    c->rpc = NULL;
}

int ob_rpc_register(ob_client *c, const char *method, ob_rpc_method_fn fn,
                    void *arg)
{
    if (!c)
        return OB_EINVAL;
    if (!rpcs(c))
        return OB_ENOMEM;
    return obi_rpc_register(c->rpc->core, method, fn, arg);
}

int ob_rpc_unregister(ob_client *c, const char *method)
{
    if (!c)
        return OB_EINVAL;
    return c->rpc ? obi_rpc_unregister(c->rpc->core, method) : OB_ENOTFOUND;
}

int ob_rpc_call(ob_client *c, const char *peer, const char *method,
                const void *data, size_t len, int timeout_ms,
                ob_rpc_done_fn done, void *arg, uint64_t *id)
{
    int rc;

    if (!c)
        return OB_EINVAL;
    if (!rpcs(c))
        return OB_ENOMEM;
    rc = obi_rpc_call(c->rpc->core, obi_now_ms(), peer, method, data, len,
                      timeout_ms, done, arg, id);
    if (rc == OB_OK)
        rearm(c);
    return rc;
}

int ob_rpc_cancel(ob_client *c, uint64_t id)
{
    if (!c)
        return OB_EINVAL;
    return c->rpc ? obi_rpc_cancel(c->rpc->core, id) : OB_ENOTFOUND;
}

static void bounced(ob_client *c, const struct obi_ev *ev)
{
    const char *why =
        ev->condition && *ev->condition ? ev->condition : "bounced";

    while (!c->dying && obi_rpc_peer_gone_one(c->rpc->core, ev->from, why))
        ;
}

/* Is jid in the view of one of c's rooms other than `room`? */
static bool seen_elsewhere(ob_client *c, const char *room, const char *jid)
{
    for (struct obi_room *r = c->rooms; r; r = r->next)
        for (size_t i = 0; strcmp(r->jid, room) && i < r->nnb; i++)
            if (r->nb[i].jid && !strcmp(r->nb[i].jid, jid))
                return true;
    return false;
}

/* A neighbour left a room (not just our view): the calls to its room/nick
 * fail, and those to its real JID too unless another room of ours still
 * shows it (a peer in none of our views has left us). */
static void left_room(ob_client *c, const struct obi_ev *ev)
{
    char peer[1024];
    const char *jid = ev->jid;
    struct obi_room *r = obi_room_find(c, ev->room);

    for (size_t i = 0; !jid && r && i < r->nnb; i++)
        if (!strcmp(r->nb[i].nick, ev->nick))
            jid = r->nb[i].jid;
    if ((size_t)snprintf(peer, sizeof peer, "%s/%s", ev->room, ev->nick) <
        sizeof peer)
        while (!c->dying &&
               obi_rpc_peer_gone_one(c->rpc->core, peer, "left the room"))
            ;
    if (jid && !seen_elsewhere(c, ev->room, jid))
        while (!c->dying &&
               obi_rpc_peer_gone_one(c->rpc->core, jid, "left the room"))
            ;
}

bool obi_rpc_take(ob_client *c, struct obi_ev *ev)
{
    if (ev->kind == OBI_VIEW_GONE && ev->flag && c->rpc && ev->room &&
        ev->nick) {
        left_room(c, ev);
        if (!c->dying)
            rearm(c);
        return false; /* the room's tables and the application next */
    }
    if (ev->kind == OBI_MSG_ERROR && c->rpc && ev->from) {
        bounced(c, ev);
        if (!c->dying)
            rearm(c);
        return false; /* the application hears of the bounce too */
    }
    if (ev->kind != OBI_UNICAST || !obi_rpc_is_frame(ev->data, ev->data_len) ||
        !ev->from)
        return false;
    if (!rpcs(c)) {
        obi_lost(c, "an RPC frame");
        return true;
    }
    obi_rpc_recv(c->rpc->core, obi_now_ms(), ev->from, ev->data, ev->data_len);
    c->stats.rpc_dropped = obi_rpc_dropped(c->rpc->core);
    c->stats.rpc_refused = obi_rpc_refused(c->rpc->core);
    if (!c->dying)
        rearm(c);
    return true;
}

static void on_event(ob_client *c, struct obi_ev *ev)
{
    if (!obi_rpc_take(c, ev) && !c->dying)
        obi_event_next(c, ev);
}

void obi_rpc_attach(ob_client *c)
{
    obi_event_chain(c, OBI_UNICAST, on_event);
    obi_event_chain(c, OBI_MSG_ERROR, on_event);
    obi_event_chain(c, OBI_VIEW_GONE, on_event);
}
