/* ob_room_admin.c -- what an owner or admin asks of a room (XEP-0045
 * sections 9 and 10: the owner form, kick, ban and unban, destroy) and
 * our presence status in it.  Each request is an IQ sent through the
 * rooms' table of requests in flight (obi_room_admin_iq); its answer
 * comes back as an OBI_ADMIN_DONE event, handed here to the caller's
 * ob_done_fn. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ob_abi_internal.h"
#include "ob_core_internal.h"
#include "ob_form_internal.h"
#include "ob_room_internal.h"

#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"

static void on_done(ob_client *c, struct obi_ev *ev)
{
    struct ob_error e = {
        .code = ev->code ? ev->code : (ev->condition ? OB_ESTANZA : OB_OK),
        .op = OB_OP_ADMIN,
        .cond = ev->cond,
        .condition = ev->condition ? ev->condition : "",
        .type = ev->etype ? ev->etype : "",
        .room = ev->room,
        .text = ev->text ? ev->text : ""};

    if (!e.text[0])
        e.text = e.code ? ob_strerror(e.code) : "done";
    if (ev->done_fn)
        ev->done_fn(c, &e, ev->list_arg);
}

/* Checks the common arguments: 0 when room is one of ours and a session
 * is up. */
static int usable(ob_client *c, const char *room)
{
    if (!c || !room || c->dying)
        return OB_EINVAL;
    if (!obi_room_find(c, room))
        return OB_ENOTFOUND;
    if (!obi_in_session(c))
        return OB_ESTATE;
    obi_event_on(c, OBI_ADMIN_DONE, on_done);
    return OB_OK;
}

/* An <iq type=set to=room><query xmlns=ns/></iq>: *q is the query. */
static xmpp_stanza_t *iq_new(ob_client *c, const char *room, const char *ns,
                             char *id, size_t idlen, xmpp_stanza_t **q)
{
    xmpp_ctx_t *ctx = obi_ctx(c);
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", obi_next_id(c, id, idlen));

    if (iq && !xmpp_stanza_set_to(iq, room) &&
        (*q = obi_el(ctx, iq, "query", ns)))
        return iq;
    if (iq)
        xmpp_stanza_release(iq);
    return NULL;
}

static int send(ob_client *c, xmpp_stanza_t *iq, const char *id,
                const char *room, ob_done_fn done, void *arg)
{
    int rc = obi_room_admin_iq(c, iq, id, room, done, arg);

    xmpp_stanza_release(iq);
    return rc;
}

int ob_room_configure(ob_client *c, const char *room,
                      const struct ob_room_config *cfg, ob_done_fn done,
                      void *arg)
{
    struct ob_room_config g = OB_ROOM_CONFIG_INIT;
    xmpp_stanza_t *iq, *q, *x;
    char id[32];
    int rc;

    if (cfg && obi_struct_in(&g, sizeof g, sizeof g, cfg) != OB_OK)
        return OB_EINVAL;
    if ((rc = usable(c, room)) != OB_OK)
        return rc;
    if (!(iq = iq_new(c, room, OBI_NS_MUC_OWNER, id, sizeof id, &q)))
        return OB_ENOMEM;
    if (!(x = obi_el(obi_ctx(c), q, "x", OBI_NS_DATA)) ||
        obi_form_fill(obi_ctx(c), x, &g)) {
        xmpp_stanza_release(iq);
        return OB_ENOMEM;
    }
    return send(c, iq, id, room, done, arg);
}

/* One <item attr=value [role/affiliation]><reason/></item> request. */
static int item_request(ob_client *c, const char *room, const char *attr,
                        const char *value, const char *key, const char *kval,
                        const char *reason, ob_done_fn done, void *arg)
{
    xmpp_stanza_t *iq, *q, *item;
    char id[32];
    int rc;

    if (!value || !*value)
        return OB_EINVAL;
    if ((rc = usable(c, room)) != OB_OK)
        return rc;
    if (!(iq = iq_new(c, room, NS_MUC_ADMIN, id, sizeof id, &q)))
        return OB_ENOMEM;
    if (!(item = obi_el(obi_ctx(c), q, "item", NULL)) ||
        xmpp_stanza_set_attribute(item, attr, value) ||
        xmpp_stanza_set_attribute(item, key, kval) ||
        (reason && obi_text_el(obi_ctx(c), item, "reason", reason))) {
        xmpp_stanza_release(iq);
        return OB_ENOMEM;
    }
    return send(c, iq, id, room, done, arg);
}

int ob_room_kick(ob_client *c, const char *room, const char *nick,
                 const char *reason, ob_done_fn done, void *arg)
{
    return item_request(c, room, "nick", nick, "role", "none", reason, done,
                        arg);
}

int ob_room_ban(ob_client *c, const char *room, const char *jid,
                const char *reason, ob_done_fn done, void *arg)
{
    return item_request(c, room, "jid", jid, "affiliation", "outcast", reason,
                        done, arg);
}

int ob_room_unban(ob_client *c, const char *room, const char *jid,
                  ob_done_fn done, void *arg)
{
    return item_request(c, room, "jid", jid, "affiliation", "none", NULL, done,
                        arg);
}

int ob_room_destroy(ob_client *c, const char *room, const char *reason,
                    ob_done_fn done, void *arg)
{
    xmpp_stanza_t *iq, *q, *d;
    char id[32];
    int rc;

    if ((rc = usable(c, room)) != OB_OK)
        return rc;
    if (!(iq = iq_new(c, room, OBI_NS_MUC_OWNER, id, sizeof id, &q)))
        return OB_ENOMEM;
    if (!(d = obi_el(obi_ctx(c), q, "destroy", NULL)) ||
        (reason && obi_text_el(obi_ctx(c), d, "reason", reason))) {
        xmpp_stanza_release(iq);
        return OB_ENOMEM;
    }
    return send(c, iq, id, room, done, arg);
}

static bool show_ok(const char *show)
{
    static const char *const shows[] = {"away", "chat", "dnd", "xa"};

    for (size_t i = 0; show && i < sizeof shows / sizeof shows[0]; i++)
        if (!strcmp(show, shows[i]))
            return true;
    return !show;
}

/* Keeps show and status in r, for the joins that follow (a rejoin). */
static int keep(struct obi_room *r, const char *show, const char *status)
{
    char *s = show ? strdup(show) : NULL, *t = status ? strdup(status) : NULL;

    if ((show && !s) || (status && !t)) {
        free(s);
        free(t);
        return OB_ENOMEM;
    }
    free(r->show);
    free(r->status);
    r->show = s;
    r->status = t;
    return OB_OK;
}

/* <presence to=room/nick><show/><status/></presence>: a status update of
 * an occupant (XEP-0045 7.7). */
int ob_room_presence(ob_client *c, const char *room, const char *show,
                     const char *status)
{
    xmpp_ctx_t *ctx;
    struct obi_room *r;
    xmpp_stanza_t *p;
    char *to;
    int rc = OB_ENOMEM;

    if (!c || !room || !show_ok(show))
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)))
        return OB_ENOTFOUND;
    if (!obi_in_session(c))
        return OB_ESTATE;
    if ((rc = keep(r, show, status)) != OB_OK)
        return rc;
    rc = OB_ENOMEM;
    ctx = obi_ctx(c);
    if (!(to = malloc(strlen(r->jid) + strlen(r->nick) + 2)))
        return OB_ENOMEM;
    strcpy(to, r->jid);
    strcat(to, "/");
    strcat(to, r->nick);
    if ((p = xmpp_presence_new(ctx)) && !xmpp_stanza_set_to(p, to) &&
        (!show || !obi_text_el(ctx, p, "show", show)) &&
        (!status || !obi_text_el(ctx, p, "status", status)))
        rc = obi_send(c, p);
    if (p)
        xmpp_stanza_release(p);
    free(to);
    return rc;
}
