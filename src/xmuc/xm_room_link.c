/* xm_room_link.c -- what a room does about a loss of the component link.
 *
 * Clients stay connected to their server while xmucd's link to it is
 * down, so a short loss should cost them nothing: the service keeps the
 * rooms and their occupants for a grace period (docs/xmucd.md).  Once the
 * link is back, the room asks each occupant whether its session is still
 * there with a XEP-0199 ping from the room's JID: an error (the server
 * answers for a session that ended; RFC 6121 8.5.3.2.1) removes it with
 * status 333, a result or silence keeps it (later delivery errors remove
 * it as ever).  And an empty temporary room is held, not reaped, for the
 * grace period after the link comes back, so that whoever joins first
 * meanwhile joins the kept room, with its affiliations, as a participant:
 * ownership never passes to a stranger by re-creation. */
#include "config.h"

#include "xm_log.h"
#include "xm_room_internal.h"
#include "xm_room_link.h"
#include "ut_ns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t now_of(const xm_room *r)
{
    return r->env->now_ms(r->env->ctx);
}

void xm_room_verify_clear(xm_room *r)
{
    for (size_t i = 0; i < r->n_verify; i++)
        free(r->verify[i].jid);
    free(r->verify);
    r->verify = NULL;
    r->n_verify = 0;
}

/* Sends a ping to o and records it in slot v. */
static int ping(xm_room *r, struct xm_occupant *o, struct xm_verify *v,
                uint64_t expires)
{
    xmpp_stanza_t *iq = xm_elem_new(r->env->out->xctx, "iq", NULL);

    if (!iq || !(v->jid = strdup(o->jid)) ||
        !xm_child(iq, "ping", UT_NS_PING)) {
        if (iq)
            xmpp_stanza_release(iq);
        free(v->jid);
        v->jid = NULL;
        return -1;
    }
    snprintf(v->id, sizeof v->id, "xmv%llu",
             (unsigned long long)++r->verify_counter);
    v->expires = expires;
    xmpp_stanza_set_type(iq, "get");
    xmpp_stanza_set_id(iq, v->id);
    xmpp_stanza_set_from(iq, r->jid);
    xmpp_stanza_set_to(iq, o->jid);
    xm_room_send(r, iq);
    xmpp_stanza_release(iq);
    return 0;
}

void xm_room_verify_occupants(xm_room *r, uint64_t timeout_ms)
{
    uint64_t expires = now_of(r) + timeout_ms;
    size_t n = 0;

    xm_room_verify_clear(r);
    if (!r->n || !(r->verify = calloc(r->n, sizeof *r->verify)))
        return;
    for (uint32_t i = 0; i < r->cap && n < r->n; i++)
        if (r->occ[i] && ping(r, r->occ[i], &r->verify[n], expires) == 0)
            n++;
    r->n_verify = n;
}

/* The waiting ping that iq answers (same id, from the JID pinged), or
 * NULL; expired ones are forgotten on the way. */
static struct xm_verify *verify_find(xm_room *r, xmpp_stanza_t *iq)
{
    const char *id = xmpp_stanza_get_id(iq), *from = xmpp_stanza_get_from(iq);
    uint64_t now = now_of(r);

    for (size_t i = 0; i < r->n_verify; i++) {
        struct xm_verify *v = &r->verify[i];
        if (v->expires < now) {
            free(v->jid);
            r->verify[i--] = r->verify[--r->n_verify];
            continue;
        }
        if (id && from && !strcmp(v->id, id) && !strcmp(v->jid, from))
            return v;
    }
    return NULL;
}

bool xm_room_verify_answer(xm_room *r, xmpp_stanza_t *iq)
{
    static const int gone[] = {333, 0};
    struct xm_verify *v = r->n_verify ? verify_find(r, iq) : NULL;
    struct xm_occupant *o;

    if (!v)
        return false;
    if (!strcmp(xmpp_stanza_get_type(iq), "error") &&
        (o = xm_room_occupant_by_jid(r, v->jid))) {
        xm_info("room %s: %s is gone since the link loss", r->name, o->nick);
        xm_room_remove(r, o, gone, NULL);
    }
    free(v->jid);
    *v = r->verify[--r->n_verify];
    return true;
}

void xm_room_hold(xm_room *r, uint64_t until_ms)
{
    r->hold_until = until_ms;
}

bool xm_room_held(const xm_room *r)
{
    return r->hold_until > now_of(r);
}
