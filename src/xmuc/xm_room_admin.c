/* xm_room_admin.c -- what owners and admins may ask of a room: the owner
 * form (configure, with our view-manager fields), destruction, kicks,
 * bans and affiliations (XEP-0045 sections 8 to 10). */
#include "config.h"

#include "xm_room_internal.h"
#include "xm_log.h"
#include "ut_ns.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const affil_names[] = {
    [XM_AFFIL_NONE] = "none",     [XM_AFFIL_OUTCAST] = "outcast",
    [XM_AFFIL_MEMBER] = "member", [XM_AFFIL_ADMIN] = "admin",
    [XM_AFFIL_OWNER] = "owner",
};

const char *xm_affil_name(enum xm_affil a)
{
    return affil_names[a];
}

int xm_affil_parse(const char *name, enum xm_affil *a)
{
    for (int i = XM_AFFIL_NONE; i <= XM_AFFIL_OWNER; i++)
        if (!strcmp(name, affil_names[i])) {
            *a = (enum xm_affil)i;
            return 0;
        }
    return -1;
}

enum xm_affil xm_room_sender_affil(const xm_room *r, xmpp_stanza_t *st)
{
    char bare[1024];

    xm_bare(xmpp_stanza_get_from(st), bare, sizeof bare);
    if (r->env->is_admin && r->env->is_admin(r->env->ctx, bare))
        return XM_AFFIL_OWNER;
    return xm_room_affiliation(r, bare);
}

static void send_result(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *child)
{
    xmpp_stanza_t *reply = xm_reply_new(iq, "result");

    if (!reply)
        return;
    if (child)
        xmpp_stanza_add_child(reply, child);
    xm_room_send(r, reply);
    xmpp_stanza_release(reply);
}

static void changed(xm_room *r)
{
    if (r->env->changed)
        r->env->changed(r->env->ctx, r);
}

/* ---- owner -------------------------------------------------------------- */

static void destroy(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *d)
{
    xmpp_stanza_t *extra = xmpp_stanza_copy(d);
    struct xm_occupant *o;

    send_result(r, iq, NULL);
    xm_info("room %s destroyed by %s (%u occupants)", r->name,
            xmpp_stanza_get_from(iq) ? xmpp_stanza_get_from(iq) : "its owner",
            (unsigned)r->n);
    for (uint32_t i = 0; i < r->cap; i++)
        if ((o = r->occ[i]))
            xm_room_remove(r, o, NULL, extra);
    if (extra)
        xmpp_stanza_release(extra);
    r->destroyed = true;
    changed(r);
}

static void configure(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *x)
{
    char old_manager[sizeof r->cfg.manager], err[256];
    const char *type = xmpp_stanza_get_type(x);

    if (type && !strcmp(type, "cancel")) {
        send_result(r, iq, NULL);
        return;
    }
    memcpy(old_manager, r->cfg.manager, sizeof old_manager);
    if (!type || strcmp(type, "submit") ||
        xm_roomcfg_apply(&r->cfg, x, r->env->max_occupants, err, sizeof err) <
            0) {
        xm_room_error(r, iq, "modify", "not-acceptable",
                      type && !strcmp(type, "submit")
                          ? err
                          : "expected a submitted form");
        return;
    }
    if (strcmp(old_manager, r->cfg.manager) && xm_room_rebuild_views(r) < 0) {
        memcpy(r->cfg.manager, old_manager, sizeof old_manager);
        xm_room_error(r, iq, "wait", "resource-constraint",
                      "cannot change the view manager");
        return;
    }
    r->env->hooks->sync(r);
    send_result(r, iq, NULL);
    changed(r);
}

void xm_room_handle_owner(xm_room *r, xmpp_stanza_t *iq, const char *type,
                          xmpp_stanza_t *q)
{
    xmpp_stanza_t *x, *d, *reply_q;

    if (xm_room_sender_affil(r, iq) < XM_AFFIL_OWNER) {
        xm_room_error(r, iq, "auth", "forbidden", "owners only");
        return;
    }
    if (!strcmp(type, "get")) {
        reply_q = xm_elem_new(r->env->out->xctx, "query", UT_NS_MUC_OWNER);
        x = xm_roomcfg_form(&r->cfg, r->env->out->xctx, r->env->max_occupants);
        if (!reply_q || !x) {
            xm_room_error(r, iq, "wait", "resource-constraint", NULL);
        } else {
            xmpp_stanza_add_child(reply_q, x);
            send_result(r, iq, reply_q);
        }
        if (x)
            xmpp_stanza_release(x);
        if (reply_q)
            xmpp_stanza_release(reply_q);
    } else if ((d = xmpp_stanza_get_child_by_name(q, "destroy")))
        destroy(r, iq, d);
    else if ((x = xmpp_stanza_get_child_by_name_and_ns(q, "x", UT_NS_DATA)))
        configure(r, iq, x);
    else
        xm_room_error(r, iq, "modify", "bad-request", NULL);
}

/* ---- admin --------------------------------------------------------------- */

struct list {
    xmpp_stanza_t *q;
    enum xm_affil want;
};

static int list_affil(void *ctx, const char *bare, void *value)
{
    struct list *l = ctx;
    xmpp_stanza_t *item;

    if ((enum xm_affil)(intptr_t)value != l->want)
        return 0;
    if ((item = xm_child(l->q, "item", NULL))) {
        xmpp_stanza_set_attribute(item, "affiliation", xm_affil_name(l->want));
        xmpp_stanza_set_attribute(item, "jid", bare);
    }
    return 0;
}

static void admin_get(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *q)
{
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    const char *an =
        item ? xmpp_stanza_get_attribute(item, "affiliation") : NULL;
    struct list l = {NULL, XM_AFFIL_NONE};

    if (!an || xm_affil_parse(an, &l.want) < 0 || l.want == XM_AFFIL_NONE) {
        xm_room_error(r, iq, "modify", "bad-request",
                      "ask for one affiliation");
        return;
    }
    if (!(l.q = xm_elem_new(r->env->out->xctx, "query", UT_NS_MUC_ADMIN))) {
        xm_room_error(r, iq, "wait", "resource-constraint", NULL);
        return;
    }
    ut_map_each(r->affils, list_affil, &l);
    send_result(r, iq, l.q);
    xmpp_stanza_release(l.q);
}

static const char *kick(xm_room *r, enum xm_affil by, xmpp_stanza_t *item)
{
    static const int codes[] = {307, 0};
    const char *nick = xmpp_stanza_get_attribute(item, "nick");
    struct xm_occupant *o = nick ? xm_room_occupant_by_nick(r, nick) : NULL;

    if (!o)
        return "item-not-found";
    if (o->affil >= XM_AFFIL_ADMIN || by < XM_AFFIL_ADMIN)
        return "not-allowed";
    xm_room_remove(r, o, codes, NULL);
    return NULL;
}

/* Applies one affiliation change; NULL or the error condition. */
static const char *set_affil(xm_room *r, enum xm_affil by, xmpp_stanza_t *item,
                             enum xm_affil a)
{
    static const int banned[] = {301, 0}, not_member[] = {321, 0};
    const char *jid = xmpp_stanza_get_attribute(item, "jid");
    char bare[1024];
    enum xm_affil before;
    struct xm_occupant *o;

    if (!jid)
        return "bad-request";
    xm_bare(jid, bare, sizeof bare);
    before = xm_room_affiliation(r, bare);
    if ((a >= XM_AFFIL_ADMIN || before >= XM_AFFIL_ADMIN) &&
        by < XM_AFFIL_OWNER)
        return "not-allowed";
    if (xm_room_set_affiliation(r, bare, a) < 0)
        return "resource-constraint";
    for (uint32_t i = 0; i < r->cap; i++) {
        if (!(o = r->occ[i]) || strcmp(o->bare, bare))
            continue;
        if (a == XM_AFFIL_OUTCAST)
            xm_room_remove(r, o, banned, NULL);
        else if (r->cfg.members_only && a == XM_AFFIL_NONE)
            xm_room_remove(r, o, not_member, NULL);
        else
            xm_room_broadcast_presence(r, o);
    }
    return NULL;
}

static void admin_set(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *q)
{
    enum xm_affil by = xm_room_sender_affil(r, iq), a;
    const char *why = NULL;

    if (by < XM_AFFIL_ADMIN) {
        xm_room_error(r, iq, "auth", "forbidden", "admins only");
        return;
    }
    for (xmpp_stanza_t *item = xm_first_elem(q); item && !why;
         item = xmpp_stanza_get_next(item)) {
        const char *role, *an;
        if (!xmpp_stanza_is_tag(item) ||
            strcmp(xmpp_stanza_get_name(item), "item"))
            continue;
        role = xmpp_stanza_get_attribute(item, "role");
        an = xmpp_stanza_get_attribute(item, "affiliation");
        if (role && !strcmp(role, "none"))
            why = kick(r, by, item);
        else if (an && xm_affil_parse(an, &a) == 0)
            why = set_affil(r, by, item, a);
        else
            why = "feature-not-implemented";
    }
    if (why)
        xm_room_error(r, iq, !strcmp(why, "not-allowed") ? "cancel" : "modify",
                      why, NULL);
    else {
        send_result(r, iq, NULL);
        changed(r);
    }
}

void xm_room_handle_admin(xm_room *r, xmpp_stanza_t *iq, const char *type,
                          xmpp_stanza_t *q)
{
    if (!strcmp(type, "get")) {
        if (xm_room_sender_affil(r, iq) < XM_AFFIL_ADMIN)
            xm_room_error(r, iq, "auth", "forbidden", "admins only");
        else
            admin_get(r, iq, q);
    } else
        admin_set(r, iq, q);
}
