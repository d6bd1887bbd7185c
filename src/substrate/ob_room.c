/* ob_room.c -- rooms as a peer sees them: joining (with our <join/> view
 * parameters), creating with the owner form, leaving, listing, and the
 * view table each room keeps, updated from the queued events just before
 * the application's callbacks see them.
 *
 * A room is remembered from ob_room_join until we are out of it.  After
 * a new session (the old one could not be resumed) or a 332 "service
 * restarting" presence, the view is emptied (REMOVED events) and the room
 * joined again; a join refused with a transient condition (the component
 * is not back yet) is retried with a doubling delay.  So is a room that
 * lost us without telling (xmucd restarted without its state): a
 * periodic XEP-0410 self-ping, or the error to a groupcast, says so
 * (ob_recover.c), and a rejoin that re-creates a room we had configured
 * sends our configuration again.
 *
 * Each room's groupcast engine lives above, in ob_groupcast.c: the room
 * tells it what changed through the hooks it set (c->engine, struct
 * obi_room_engine), and holds it as an opaque r->gc. */
#include "config.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ob_abi_internal.h"
#include "ob_form_internal.h"
#include "ob_recover_internal.h"
#include "ob_room_internal.h"
#include "xs_jid.h"

#define REJOIN_TRIES 30
#define REJOIN_MAX_MS 4000

/* Rooms are kept under their canonical JIDs (xs_jid.h: the form servers
 * and xmucd use), so the application may name one in any case. */
struct obi_room *obi_room_find(ob_client *c, const char *jid)
{
    char canon[2 * XS_JID_PART_MAX + 2];

    for (struct obi_room *r = c->rooms; r; r = r->next)
        if (!strcmp(r->jid, jid))
            return r;
    if (xs_jid_bare(jid, canon, sizeof canon) < 0 || !strcmp(canon, jid))
        return NULL;
    return obi_room_find(c, canon);
}

bool obi_room_has_neighbour(ob_client *c, const char *jid)
{
    for (struct obi_room *r = c->rooms; r; r = r->next)
        for (size_t i = 0; i < r->nnb; i++)
            if (r->nb[i].jid && !strcmp(r->nb[i].jid, jid))
                return true;
    return false;
}

static void nb_clear(struct obi_room *r, struct obi_nb *n)
{
    r->c->engine->unpin(r, n);
    free(n->nick);
    free(n->jid);
    free(n->attrs);
    free(n->show);
    free(n->status);
}

static void room_free(struct obi_room *r)
{
    for (size_t i = 0; i < r->nnb; i++)
        nb_clear(r, &r->nb[i]);
    r->c->engine->free(r->gc);
    free(r->nb);
    if (r->retry)
        event_free(r->retry);
    if (r->ping)
        event_free(r->ping);
    free(r->jid);
    free(r->nick);
    free(r->password);
    free(r->manager);
    free(r->cfg_manager);
    free(r->cfg_name);
    free(r->cfg_password);
    free(r->cfg_groupcast);
    free(r->show);
    free(r->status);
    free(r);
}

static void room_unlink(ob_client *c, struct obi_room *r)
{
    for (struct obi_room **p = &c->rooms; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    room_free(r);
}

void obi_rooms_free(ob_client *c)
{
    while (c->rooms) {
        struct obi_room *r = c->rooms;
        c->rooms = r->next;
        room_free(r);
    }
}

/* ---- callbacks ------------------------------------------------------ */

static void room_gone(ob_client *c, struct obi_room *r);

static void emit_room(ob_client *c, struct obi_room *r, enum ob_room_change ch,
                      bool created)
{
    struct ob_room_event e = {ch, r->jid, r->nick, created};

    if (c->cb.room)
        c->cb.room(c, &e, c->user);
}

static void emit_view(ob_client *c, const char *room, const struct obi_nb *n,
                      enum ob_view_change ch, bool left)
{
    struct ob_view_event e = {
        ch,   room,    n->nick,  n->jid, n->attrs ? n->attrs : "",
        left, n->show, n->status};

    if (c->cb.view)
        c->cb.view(c, &e, c->user);
}

/* Empties r's view, one REMOVED event per neighbour (last first).  A
 * callback may free c: stop then (c->dying). */
static void view_clear(ob_client *c, struct obi_room *r)
{
    while (r->nnb && !c->dying) {
        struct obi_nb n = r->nb[--r->nnb];
        r->c->engine->view(r, &n, true);
        emit_view(c, r->jid, &n, OB_VIEW_REMOVED, false);
        nb_clear(r, &n);
    }
}

/* Out of r: empty its view, tell the application, forget it. */
static void room_gone(ob_client *c, struct obi_room *r)
{
    view_clear(c, r);
    if (!c->dying)
        emit_room(c, r, OB_ROOM_LEFT, false);
    if (!c->dying)
        room_unlink(c, r);
}

/* ---- stanzas we send ---------------------------------------------- */

static int set_uint_attr(xmpp_stanza_t *e, const char *name, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return xmpp_stanza_set_attribute(e, name, buf) ? OB_ENOMEM : OB_OK;
}

/* <join xmlns=NS token= manager= view-size= degree= key= segment=/>.  The
 * token lets our next session take our nick over from this one if the
 * room still holds it when we rejoin (docs/protocol.md). */
static int add_join_el(xmpp_ctx_t *ctx, xmpp_stanza_t *pres,
                       const struct obi_room *r)
{
    const struct ob_join_params *p = &r->p;
    xmpp_stanza_t *j;

    if (!(j = obi_el(ctx, pres, "join", OBI_NS)))
        return OB_ENOMEM;
    if (xmpp_stanza_set_attribute(j, "token", r->token) ||
        (p->manager && xmpp_stanza_set_attribute(j, "manager", p->manager)) ||
        (p->view_size &&
         set_uint_attr(j, "view-size", (uint64_t)p->view_size)) ||
        (p->degree && set_uint_attr(j, "degree", (uint64_t)p->degree)) ||
        (p->has_key && set_uint_attr(j, "key", p->key)) ||
        (p->has_segment && set_uint_attr(j, "segment", p->segment)))
        return OB_ENOMEM;
    return OB_OK;
}

static int send_presence(ob_client *c, struct obi_room *r, bool join)
{
    xmpp_ctx_t *ctx = obi_ctx(c);
    xmpp_stanza_t *pres = xmpp_presence_new(ctx), *x;
    char *to = malloc(strlen(r->jid) + strlen(r->nick) + 2);
    int rc = OB_ENOMEM;

    if (!pres || !to)
        goto out;
    sprintf(to, "%s/%s", r->jid, r->nick);
    if (xmpp_stanza_set_to(pres, to))
        goto out;
    if (!join) {
        rc = xmpp_stanza_set_type(pres, "unavailable") ? OB_ENOMEM
                                                       : obi_send(c, pres);
        goto out;
    }
    if (!(x = obi_el(ctx, pres, "x", OBI_NS_MUC)) ||
        (r->p.password && obi_text_el(ctx, x, "password", r->p.password)) ||
        add_join_el(ctx, pres, r) ||
        (r->show && obi_text_el(ctx, pres, "show", r->show)) ||
        (r->status && obi_text_el(ctx, pres, "status", r->status)))
        goto out;
    rc = obi_send(c, pres);
out:
    if (pres)
        xmpp_stanza_release(pres);
    free(to);
    return rc;
}

static void on_rejoin_timer(evutil_socket_t fd, short what, void *arg)
{
    struct obi_room *r = arg;
    ob_client *c = r->c;

    (void)fd;
    (void)what;
    if (r->st != OBI_R_REJOIN_WAIT)
        return;
    if (send_presence(c, r, true) == OB_OK)
        r->st = OBI_R_REJOINING;
    /* else not connected: the next session rejoins */
}

/* Rejoins r after delay_ms (0: now, when connected). */
static void rejoin_later(ob_client *c, struct obi_room *r, int delay_ms)
{
    struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};

    r->st = OBI_R_REJOIN_WAIT;
    if (!r->retry && !(r->retry = evtimer_new(c->base, on_rejoin_timer, r)))
        return; /* out of memory: the next session rejoins */
    evtimer_add(r->retry, &tv);
}

static uint32_t rnd32(void)
{
    uint32_t v = 0;

    if (getrandom(&v, sizeof v, 0) != sizeof v)
        v = (uint32_t)obi_now_ms(); /* jitter only: no secret here */
    return v;
}

/* xmucd no longer counts us in r (it said so to a self-ping or to
 * something we sent): empty the view and rejoin soon, later after losses
 * in a row (within 10 s of each other). */
static void room_lost(ob_client *c, struct obi_room *r, const char *why)
{
    uint64_t now = obi_now_ms();

    if (r->st != OBI_R_IN)
        return; /* already rejoining, or leaving */
    r->losses = r->lost_ms && now - r->lost_ms < 10000 ? r->losses + 1 : 0;
    r->lost_ms = now;
    obi_logf(c, "info", "%s no longer has us (%s): rejoining", r->jid, why);
    view_clear(c, r);
    if (!c->dying)
        rejoin_later(c, r,
                     obi_recover_rejoin_ms(r->losses, r->cfg_applied, rnd32()));
}

static int send_self_ping(ob_client *c, struct obi_room *r);

static void on_ping_timer(evutil_socket_t fd, short what, void *arg);

/* The next self-ping of r, one period (+-20 %) from now. */
static void ping_later(ob_client *c, struct obi_room *r)
{
    uint64_t ms = obi_recover_ping_ms(c->ping_ms, rnd32());
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

    if (c->ping_ms <= 0 ||
        (!r->ping && !(r->ping = evtimer_new(c->base, on_ping_timer, r))))
        return; /* off, or out of memory: errors to what we send remain */
    evtimer_add(r->ping, &tv);
}

/* Pings only a room that said nothing to us for half a period: whatever
 * xmucd sends us for a room shows it counts us in.  One ping at a time,
 * unless the last went unanswered for two periods. */
static void on_ping_timer(evutil_socket_t fd, short what, void *arg)
{
    struct obi_room *r = arg;
    ob_client *c = r->c;
    uint64_t now = obi_now_ms(), period = (uint64_t)c->ping_ms;

    (void)fd;
    (void)what;
    if (r->st == OBI_R_IN && (!r->ping_out || now - r->ping_ms >= 2 * period) &&
        now - r->heard_ms >= period / 2 && send_self_ping(c, r) == OB_OK) {
        r->ping_out = true;
        r->ping_ms = now;
    }
    ping_later(c, r);
}

static void apply_self_ping(ob_client *c, struct obi_room *r, struct obi_ev *ev)
{
    r->ping_out = false;
    if (ev->code == OB_ESTANZA && obi_recover_out(ev->cond, false))
        room_lost(c, r, ev->condition ? ev->condition : "self-ping");
    else if (!ev->code)
        r->heard_ms = obi_now_ms();
}

void obi_rooms_new_session(ob_client *c)
{
    struct obi_room *r = c->rooms, *next;

    for (; r && !c->dying; r = next) {
        next = r->next;
        if (r->st == OBI_R_LEAVING) { /* gone with the old session */
            room_gone(c, r);
            continue;
        }
        view_clear(c, r);
        r->retries = 0;
        if (r->st == OBI_R_JOINING || r->st == OBI_R_CONFIGURING)
            continue; /* not joined yet: joined again as if new below */
        rejoin_later(c, r, 0);
    }
    for (r = c->rooms; r && !c->dying; r = r->next)
        if (r->st == OBI_R_JOINING || r->st == OBI_R_CONFIGURING) {
            r->st = OBI_R_JOINING;
            send_presence(c, r, true);
        }
}

/* ---- owner form ----------------------------------------------------- */

static void pending_free(struct obi_pending *p)
{
    free(p->id);
    free(p->room);
    free(p);
}

/* Sends iq (type set/get, with id) and remembers what its answer means. */
static int iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud);

static int send_iq(ob_client *c, xmpp_stanza_t *iq, const char *id,
                   enum obi_kind kind, const char *room, ob_list_fn fn,
                   void *arg)
{
    struct obi_pending *p = calloc(1, sizeof *p);
    int rc;

    if (!p || !(p->id = strdup(id)) || (room && !(p->room = strdup(room)))) {
        if (p)
            pending_free(p);
        return OB_ENOMEM;
    }
    p->c = c;
    p->kind = kind;
    p->fn = fn;
    p->arg = arg;
    xmpp_id_handler_add(c->conn, iq_handler, id, p);
    if ((rc = obi_send(c, iq)) != OB_OK) {
        xmpp_id_handler_delete(c->conn, iq_handler, id);
        pending_free(p);
        return rc;
    }
    p->next = c->pending;
    c->pending = p;
    return OB_OK;
}

int obi_room_admin_iq(ob_client *c, xmpp_stanza_t *iq, const char *id,
                      const char *room, ob_done_fn done, void *arg)
{
    int rc = send_iq(c, iq, id, OBI_ADMIN_DONE, room, NULL, arg);

    if (rc == OB_OK)
        c->pending->done = done;
    return rc;
}

static int send_config(ob_client *c, struct obi_room *r)
{
    xmpp_ctx_t *ctx = obi_ctx(c);
    char id[32];
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", obi_next_id(c, id, sizeof id));
    xmpp_stanza_t *q, *x;
    int rc = OB_ENOMEM;

    if (iq && !xmpp_stanza_set_to(iq, r->jid) &&
        (q = obi_el(ctx, iq, "query", OBI_NS_MUC_OWNER)) &&
        (x = obi_el(ctx, q, "x", OBI_NS_DATA)) &&
        !obi_form_fill(ctx, x, &r->cfg))
        rc = send_iq(c, iq, id, OBI_CONFIG_DONE, r->jid, NULL, NULL);
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

/* XEP-0410: <iq type=get to=room/nick><ping xmlns=urn:xmpp:ping/></iq>. */
static int send_self_ping(ob_client *c, struct obi_room *r)
{
    xmpp_ctx_t *ctx = obi_ctx(c);
    char id[32], *to = malloc(strlen(r->jid) + strlen(r->nick) + 2);
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", obi_next_id(c, id, sizeof id));
    int rc = OB_ENOMEM;

    if (to && iq) {
        sprintf(to, "%s/%s", r->jid, r->nick);
        if (!xmpp_stanza_set_to(iq, to) &&
            obi_el(ctx, iq, "ping", "urn:xmpp:ping"))
            rc = send_iq(c, iq, id, OBI_SELF_PING, r->jid, NULL, NULL);
    }
    if (iq)
        xmpp_stanza_release(iq);
    free(to);
    return rc;
}

static void pending_unlink(ob_client *c, struct obi_pending *p)
{
    for (struct obi_pending **q = &c->pending; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            return;
        }
}

/* Parses a disco#items result into ev->items. */
static int parse_items(xmpp_stanza_t *st, struct obi_ev *ev)
{
    xmpp_stanza_t *q =
        xmpp_stanza_get_child_by_name_and_ns(st, "query", OBI_NS_DISCO_ITEMS);
    size_t n = 0;

    for (xmpp_stanza_t *i = q ? xmpp_stanza_get_children(q) : NULL; i;
         i = xmpp_stanza_get_next(i))
        n += xmpp_stanza_is_tag(i) &&
             !strcmp(xmpp_stanza_get_name(i), "item") &&
             xmpp_stanza_get_attribute(i, "jid");
    if (n && !(ev->items = calloc(n, sizeof *ev->items)))
        return OB_ENOMEM;
    for (xmpp_stanza_t *i = q ? xmpp_stanza_get_children(q) : NULL; i;
         i = xmpp_stanza_get_next(i)) {
        const char *jid, *name;
        if (!xmpp_stanza_is_tag(i) || strcmp(xmpp_stanza_get_name(i), "item") ||
            !(jid = xmpp_stanza_get_attribute(i, "jid")))
            continue;
        name = xmpp_stanza_get_attribute(i, "name");
        ev->items[ev->nitems].jid = strdup(jid);
        ev->items[ev->nitems].name = strdup(name ? name : "");
        ev->nitems++;
        if (!ev->items[ev->nitems - 1].jid || !ev->items[ev->nitems - 1].name)
            return OB_ENOMEM;
    }
    return OB_OK;
}

/* The answer to one of our requests (libstrophe's id handler). */
static int iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    struct obi_pending *p = ud;
    ob_client *c = p->c;
    struct obi_ev *ev = obi_ev_new(p->kind);
    const char *type = xmpp_stanza_get_type(st);
    int rc = OB_ENOMEM;

    (void)conn;
    pending_unlink(c, p);
    if (ev) {
        ev->list_fn = p->fn;
        ev->list_arg = p->arg;
        ev->done_fn = p->done;
        ev->room = p->room;
        p->room = NULL;
        if (type && !strcmp(type, "error"))
            rc = obi_parse_error(st, ev);
        else
            rc = p->kind == OBI_LIST ? parse_items(st, ev) : OB_OK;
    }
    if (rc == OB_OK)
        obi_enqueue(c, ev);
    else if (!ev)
        obi_lost(c, "the answer to a request");
    else {
        obi_ev_clear(ev);
        ev->kind = p->kind;
        ev->code = OB_ENOMEM;
        ev->cond = OB_COND_NONE;
        ev->list_fn = p->fn;
        ev->list_arg = p->arg;
        ev->done_fn = p->done;
        obi_enqueue(c, ev);
    }
    pending_free(p);
    return 0;
}

void obi_pending_fail_all(ob_client *c, int code)
{
    while (c->pending) {
        struct obi_pending *p = c->pending;
        struct obi_ev *ev = code ? obi_ev_new(p->kind) : NULL;
        c->pending = p->next;
        if (c->conn)
            xmpp_id_handler_delete(c->conn, iq_handler, p->id);
        if (ev) {
            ev->code = code;
            ev->room = p->room;
            p->room = NULL;
            ev->list_fn = p->fn;
            ev->list_arg = p->arg;
            ev->done_fn = p->done;
            obi_enqueue(c, ev);
        } else if (code)
            obi_lost(c, "the failure of a request");
        pending_free(p);
    }
}

/* ---- the public calls ---------------------------------------------- */

static int copy_params(struct obi_room *r, const struct ob_join_params *p)
{
    if (!p)
        return OB_OK;
    if (p->view_size < 0 || p->view_size > 255 || p->degree < 0 ||
        p->degree > 255)
        return OB_EINVAL;
    r->p = *p;
    r->p.password = r->p.manager = NULL;
    if ((p->password && !(r->password = strdup(p->password))) ||
        (p->manager && !(r->manager = strdup(p->manager))))
        return OB_ENOMEM;
    r->p.password = r->password;
    r->p.manager = r->manager;
    return OB_OK;
}

static int copy_config(struct obi_room *r, const struct ob_room_config *g)
{
    if (g->view_size < 0 || g->view_size > 255 || g->degree < 0 ||
        g->degree > 255 || g->max_users < 0 || g->injection_points < 0 ||
        g->injection_points > 255)
        return OB_EINVAL;
    r->has_cfg = true;
    r->cfg = *g;
    r->cfg.manager = r->cfg.name = r->cfg.password = r->cfg.groupcast = NULL;
    if ((g->manager && !(r->cfg_manager = strdup(g->manager))) ||
        (g->name && !(r->cfg_name = strdup(g->name))) ||
        (g->password && !(r->cfg_password = strdup(g->password))) ||
        (g->groupcast && !(r->cfg_groupcast = strdup(g->groupcast))))
        return OB_ENOMEM;
    r->cfg.manager = r->cfg_manager;
    r->cfg.name = r->cfg_name;
    r->cfg.password = r->cfg_password;
    r->cfg.groupcast = r->cfg_groupcast;
    /* the manager travels in the join too, so the first views use it */
    if (g->manager && !r->p.manager) {
        if (!(r->manager = strdup(g->manager)))
            return OB_ENOMEM;
        r->p.manager = r->manager;
    }
    if (g->view_size && !r->p.view_size)
        r->p.view_size = g->view_size;
    return OB_OK;
}

/* len-1 random lowercase hex characters from the kernel; 0 or -1. */
static int make_token(char *buf, size_t len)
{
    unsigned char raw[16];
    size_t n = (len - 1) / 2 < sizeof raw ? (len - 1) / 2 : sizeof raw;

    if (getrandom(raw, n, 0) != (ssize_t)n)
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

static int join(ob_client *c, const char *room, const char *nick,
                const struct ob_room_config *cfg,
                const struct ob_join_params *p)
{
    struct obi_room *r;
    char canon[2 * XS_JID_PART_MAX + 2];
    int rc;

    if (!c || !room || !nick || !*nick || strchr(nick, '/') ||
        xs_jid_bare(room, canon, sizeof canon) < 0)
        return OB_EINVAL;
    room = canon; /* the form the server and xmucd use */
    if (obi_room_find(c, room))
        return OB_EEXIST;
    if (!obi_in_session(c))
        return OB_ESTATE;
    if (!(r = calloc(1, sizeof *r)))
        return OB_ENOMEM;
    r->c = c;
    r->st = OBI_R_JOINING;
    if (make_token(r->token, sizeof r->token) < 0)
        rc = OB_ENOMEM; /* no randomness: refuse rather than guessable */
    else if (!(r->jid = strdup(room)) || !(r->nick = strdup(nick)))
        rc = OB_ENOMEM;
    else if (!(rc = copy_params(r, p)) && cfg)
        rc = copy_config(r, cfg);
    if (!rc)
        rc = send_presence(c, r, true);
    if (rc) {
        room_free(r);
        return rc;
    }
    r->next = c->rooms;
    c->rooms = r;
    return OB_OK;
}

int ob_room_join(ob_client *c, const char *room, const char *nick,
                 const struct ob_join_params *p)
{
    struct ob_join_params jp;

    if (p && obi_struct_in(&jp, sizeof jp, OBI_JOIN_PARAMS_SIZE_V1, p))
        return OB_EINVAL;
    return join(c, room, nick, NULL, p ? &jp : NULL);
}

int ob_room_create(ob_client *c, const char *room, const char *nick,
                   const struct ob_room_config *cfg,
                   const struct ob_join_params *p)
{
    struct ob_room_config g = OB_ROOM_CONFIG_INIT;
    struct ob_join_params jp;

    if ((cfg && obi_struct_in(&g, sizeof g, OBI_ROOM_CONFIG_SIZE_V1, cfg)) ||
        (p && obi_struct_in(&jp, sizeof jp, OBI_JOIN_PARAMS_SIZE_V1, p)))
        return OB_EINVAL;
    return join(c, room, nick, &g, p ? &jp : NULL);
}

int ob_room_leave(ob_client *c, const char *room)
{
    struct obi_room *r;
    struct obi_ev *ev = NULL;
    int rc = OB_ESTATE;

    if (!c || !room)
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)) || r->st == OBI_R_LEAVING)
        return OB_ENOTFOUND;
    if (r->st != OBI_R_REJOIN_WAIT)
        rc = send_presence(c, r, false);
    if (rc == OB_ENOMEM)
        return rc; /* nothing changed: the caller may try again */
    /* not connected (or not in it yet): out at once, told from the loop */
    if (rc != OB_OK &&
        (!(ev = obi_ev_new(OBI_SELF_OUT)) || !(ev->room = strdup(r->jid)))) {
        free(ev);
        return OB_ENOMEM;
    }
    if (r->retry)
        evtimer_del(r->retry);
    r->st = OBI_R_LEAVING;
    if (rc != OB_OK)
        obi_enqueue(c, ev);
    return OB_OK;
}

int ob_rooms_list(ob_client *c, const char *service, ob_list_fn fn, void *arg)
{
    xmpp_ctx_t *ctx;
    char id[32];
    xmpp_stanza_t *iq;
    int rc = OB_ENOMEM;

    if (!c || !service || !*service || !fn)
        return OB_EINVAL;
    ctx = obi_ctx(c);
    iq = xmpp_iq_new(ctx, "get", obi_next_id(c, id, sizeof id));
    if (iq && !xmpp_stanza_set_to(iq, service) &&
        obi_el(ctx, iq, "query", OBI_NS_DISCO_ITEMS))
        rc = send_iq(c, iq, id, OBI_LIST, NULL, fn, arg);
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

int ob_room_view(ob_client *c, const char *room, ob_view_fn fn, void *arg)
{
    struct obi_room *r;

    if (!c || !room)
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)))
        return OB_ENOTFOUND;
    for (size_t i = 0; fn && i < r->nnb; i++) {
        struct ob_view_event e = {OB_VIEW_ADDED,
                                  r->jid,
                                  r->nb[i].nick,
                                  r->nb[i].jid,
                                  r->nb[i].attrs ? r->nb[i].attrs : "",
                                  false,
                                  r->nb[i].show,
                                  r->nb[i].status};
        fn(&e, arg);
    }
    return (int)r->nnb;
}

/* ---- applying events ------------------------------------------------ */

static struct obi_nb *nb_find(struct obi_room *r, const char *nick)
{
    for (size_t i = 0; i < r->nnb; i++)
        if (!strcmp(r->nb[i].nick, nick))
            return &r->nb[i];
    return NULL;
}

static bool in_room(const struct obi_room *r)
{
    return r->st == OBI_R_JOINING || r->st == OBI_R_CONFIGURING ||
           r->st == OBI_R_IN || r->st == OBI_R_REJOINING;
}

static void apply_view_set(ob_client *c, struct obi_room *r, struct obi_ev *ev)
{
    struct obi_nb *n = nb_find(r, ev->nick);

    if (n) { /* new attributes (and maybe JID) replace the old ones */
        free(n->jid);
        free(n->attrs);
        free(n->show);
        free(n->status);
        n->jid = ev->jid;
        n->attrs = ev->attrs;
        n->show = ev->show;
        n->status = ev->status;
        ev->jid = ev->attrs = ev->show = ev->status = NULL;
        r->c->engine->view(r, n, false);
        emit_view(c, r->jid, n, OB_VIEW_UPDATED, false);
        return;
    }
    if (r->nnb == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct obi_nb *nb = realloc(r->nb, cap * sizeof *nb);
        if (!nb) {
            obi_emit_error(c, OB_ENOMEM, OB_OP_JOIN, ev,
                           "a view change was lost");
            return;
        }
        r->nb = nb;
        r->cap = cap;
    }
    n = &r->nb[r->nnb++];
    n->nick = ev->nick;
    n->jid = ev->jid;
    n->attrs = ev->attrs;
    n->show = ev->show;
    n->status = ev->status;
    n->id = r->next_id++;
    n->pinned = NULL;
    ev->nick = ev->jid = ev->attrs = ev->show = ev->status = NULL;
    r->c->engine->view(r, n, false);
    emit_view(c, r->jid, n, OB_VIEW_ADDED, false);
}

static void apply_view_gone(ob_client *c, struct obi_room *r, struct obi_ev *ev)
{
    struct obi_nb *n = nb_find(r, ev->nick), gone;

    if (!n)
        return;
    gone = *n;
    *n = r->nb[--r->nnb];
    r->c->engine->view(r, &gone, true);
    emit_view(c, r->jid, &gone, OB_VIEW_REMOVED, ev->flag);
    nb_clear(r, &gone);
}

/* A new epoch: xmucd numbers the room's groupcasts from 1 again, so the
 * engine's stream starts afresh (docs/groupcast.md, "Restarts"). */
static void take_epoch(struct obi_room *r, uint64_t epoch)
{
    if (epoch && r->epoch && epoch != r->epoch)
        r->c->engine->reset(r);
    if (epoch)
        r->epoch = epoch;
}

static void apply_self_in(ob_client *c, struct obi_room *r, struct obi_ev *ev)
{
    take_epoch(r, ev->epoch);
    r->gc_mode = ev->sub; /* ob_room_status */
    r->c->engine->prepare(r, ev->sub);
    r->c->engine->credentials(r, ev);
    if (r->st == OBI_R_JOINING) {
        if (r->has_cfg && ev->flag && send_config(c, r) == OB_OK) {
            r->st = OBI_R_CONFIGURING;
            return;
        }
        r->st = OBI_R_IN;
        if (r->has_cfg && !ev->flag) /* another's join made it first */
            obi_emit_error(c, OB_EEXIST, OB_OP_CONFIGURE, ev,
                           "the room existed: its configuration was not "
                           "applied (an owner may, with ob_room_configure)");
        if (c->dying)
            return;
        ping_later(c, r);
        emit_room(c, r, OB_ROOM_JOINED, ev->flag);
    } else if (r->st == OBI_R_REJOINING) {
        r->retries = 0;
        /* our rejoin made the room again (xmucd lost it): as its owner,
         * we give it back the configuration it had */
        if (r->cfg_applied && ev->flag && send_config(c, r) == OB_OK) {
            r->st = OBI_R_CONFIGURING;
            r->recreating = true;
            return;
        }
        r->st = OBI_R_IN;
        ping_later(c, r);
        emit_room(c, r, OB_ROOM_REJOINED, false);
    }
}

static void apply_config_done(ob_client *c, struct obi_room *r,
                              struct obi_ev *ev)
{
    bool again = r->recreating;

    if (r->st != OBI_R_CONFIGURING)
        return;
    r->st = OBI_R_IN;
    r->recreating = false;
    ping_later(c, r);
    if (!ev->code) {
        r->cfg_applied = true;
        r->c->engine->prepare(r, obi_gc_mode(r->cfg.groupcast));
    }
    if (ev->code)
        obi_emit_error(c, ev->code, OB_OP_CONFIGURE, ev,
                       ev->text ? ev->text
                                : "the room's configuration was refused");
    if (!c->dying)
        emit_room(c, r, again ? OB_ROOM_REJOINED : OB_ROOM_JOINED, !again);
}

static void apply_self_out(ob_client *c, struct obi_room *r, struct obi_ev *ev)
{
    static const char *const why[] = {
        [OBI_OUT_KICKED] = "kicked from the room",
        [OBI_OUT_BANNED] = "banned from the room",
        [OBI_OUT_DESTROYED] = "the room was destroyed",
        [OBI_OUT_OTHER] = "removed from the room",
    };

    if (r->st != OBI_R_LEAVING && ev->sub == OBI_OUT_RESTART) {
        view_clear(c, r);
        rejoin_later(c, r, 100); /* the service is back: it told us */
        return;
    }
    if (r->st != OBI_R_LEAVING && ev->sub != OBI_OUT_LEFT)
        obi_emit_error(c, OB_ESTANZA, OB_OP_ROOM, ev, why[ev->sub]);
    if (!c->dying)
        room_gone(c, r);
}

/* Conditions that mean "the room's service is not reachable yet". */
static bool transient(enum ob_condition cond)
{
    return cond == OB_COND_SERVICE_UNAVAILABLE ||
           cond == OB_COND_REMOTE_SERVER_NOT_FOUND ||
           cond == OB_COND_REMOTE_SERVER_TIMEOUT ||
           cond == OB_COND_RECIPIENT_UNAVAILABLE ||
           cond == OB_COND_ITEM_NOT_FOUND;
}

static void apply_join_error(ob_client *c, struct obi_room *r,
                             struct obi_ev *ev)
{
    if ((r->st == OBI_R_REJOINING || r->st == OBI_R_REJOIN_WAIT) &&
        transient(ev->cond) && r->retries < REJOIN_TRIES) {
        int delay = 250 << (r->retries < 4 ? r->retries : 4);
        r->retries++;
        rejoin_later(c, r, delay > REJOIN_MAX_MS ? REJOIN_MAX_MS : delay);
        return;
    }
    obi_emit_error(c, ev->code ? ev->code : OB_ESTANZA, OB_OP_JOIN, ev,
                   ev->text);
    if (c->dying || r->st == OBI_R_IN || r->st == OBI_R_CONFIGURING)
        return; /* an error to a later presence: we are still in */
    if (r->st == OBI_R_JOINING) { /* never joined: no LEFT event */
        view_clear(c, r);
        if (!c->dying)
            room_unlink(c, r);
        return;
    }
    room_gone(c, r);
}

/* An error to a message we sent to room r (or to room/res): out of the
 * room?  The error still reaches the application. */
static void msg_error_lost(ob_client *c, struct obi_room *r, const char *res,
                           const struct obi_ev *ev)
{
    bool other = res && strcmp(res, r->nick);

    if (obi_recover_out(ev->cond, other))
        room_lost(c, r, ev->condition ? ev->condition : "an error");
}

/* xmucd sent us something for r: it counts us in (no self-ping needed). */
static void heard(struct obi_room *r)
{
    r->heard_ms = obi_now_ms();
}

static void apply_message(ob_client *c, struct obi_ev *ev)
{
    struct ob_message m = {ev->from, ev->room,    ev->nick, ev->body,
                           ev->seq,  ev->has_seq, ev->data, ev->data_len};
    char *bare = NULL, *res = NULL;

    if (ev->kind == OBI_GROUPCAST || ev->kind == OBI_GC_RECORD) {
        struct obi_room *r = obi_room_find(c, ev->room);
        if (!r || !in_room(r))
            return;
        if (ev->kind == OBI_GC_RECORD) {
            if (!ev->epoch || !r->epoch || ev->epoch == r->epoch)
                c->engine->record(c, r, ev); /* else an older stream's */
        } else if (ev->sub) { /* a tree, pbcast or tapbcast injection */
            heard(r);
            c->engine->inject(c, r, ev);
        } else {
            if (!r->gc) /* relayed by xmucd, not an engine's delivery */
                heard(r);
            if (c->cb.groupcast)
                c->cb.groupcast(c, &m, c->user);
        }
        return;
    }
    if (obi_split_jid(ev->from, &bare, &res) == OB_OK && obi_room_find(c, bare))
        m.room = bare;
    if (ev->kind == OBI_UNICAST && c->cb.unicast)
        c->cb.unicast(c, &m, c->user);
    else if (ev->kind == OBI_MSG_ERROR) {
        struct obi_room *r;
        free(ev->room);
        ev->room = m.room ? strdup(m.room) : NULL;
        obi_emit_error(c, OB_ESTANZA, OB_OP_SEND, ev, ev->text);
        /* the application knows; now, did the room lose us? */
        if (m.room && !c->dying && (r = obi_room_find(c, bare)))
            msg_error_lost(c, r, res, ev);
    }
    free(bare);
    free(res);
}

static void apply_list(ob_client *c, struct obi_ev *ev)
{
    if (ev->code)
        obi_emit_error(c, ev->code, OB_OP_LIST, ev, ev->text);
    else if (ev->list_fn)
        ev->list_fn(c, ev->items, ev->nitems, ev->list_arg);
}

static void room_apply(ob_client *c, struct obi_ev *ev)
{
    struct obi_room *r;

    switch (ev->kind) {
    case OBI_UNICAST:
    case OBI_GROUPCAST:
    case OBI_GC_RECORD:
    case OBI_MSG_ERROR: apply_message(c, ev); return;
    case OBI_LIST: apply_list(c, ev); return;
    default: break;
    }
    if (!ev->room || !(r = obi_room_find(c, ev->room)))
        return;
    if (ev->kind == OBI_VIEW_SET || ev->kind == OBI_VIEW_GONE ||
        ev->kind == OBI_SELF_IN)
        heard(r);
    switch (ev->kind) {
    case OBI_SELF_PING: apply_self_ping(c, r, ev); break;
    case OBI_VIEW_SET:
        if (in_room(r))
            apply_view_set(c, r, ev);
        break;
    case OBI_VIEW_GONE: apply_view_gone(c, r, ev); break;
    case OBI_SELF_IN: apply_self_in(c, r, ev); break;
    case OBI_SELF_OUT: apply_self_out(c, r, ev); break;
    case OBI_JOIN_ERROR: apply_join_error(c, r, ev); break;
    case OBI_CONFIG_DONE: apply_config_done(c, r, ev); break;
    case OBI_GC_GAP:
        obi_emit_error(c, OB_ESTANZA, OB_OP_GROUPCAST, ev, ev->text);
        break;
    default: break;
    }
}

void obi_room_attach(ob_client *c)
{
    static const enum obi_kind kinds[] = {
        OBI_VIEW_SET,   OBI_VIEW_GONE,   OBI_SELF_IN,   OBI_SELF_OUT,
        OBI_JOIN_ERROR, OBI_UNICAST,     OBI_GROUPCAST, OBI_MSG_ERROR,
        OBI_LIST,       OBI_CONFIG_DONE, OBI_GC_RECORD, OBI_GC_GAP,
        OBI_SELF_PING,
    };

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        obi_event_on(c, kinds[i], room_apply);
}

void obi_room_set_engine(ob_client *c, const struct obi_room_engine *e)
{
    c->engine = e;
}
