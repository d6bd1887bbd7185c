/* ob_view.c -- what a service asks of a room it is in: one neighbour of
 * the view by nick or JID (ob_room_neighbour), our own standing in the
 * room (ob_room_status), and room/nick to real JID (for ob_distance). Read-only
 * over the room tables that ob_room.c keeps. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "ob_abi_internal.h"
#include "ob_core_internal.h"
#include "ob_parse_internal.h"
#include "ob_room_internal.h"
#include "ob_view_internal.h"

/* Is who n's nick, its full JID, or its bare JID? */
static bool nb_is(const struct obi_nb *n, const char *who)
{
    size_t len = strlen(who);

    if (!strcmp(n->nick, who))
        return true;
    if (!n->jid)
        return false;
    return !strcmp(n->jid, who) ||
           (!strchr(who, '/') && !strncmp(n->jid, who, len) &&
            n->jid[len] == '/');
}

int ob_room_neighbour(ob_client *c, const char *room, const char *who,
                      ob_view_fn fn, void *arg)
{
    struct obi_room *r;

    if (!c || !room || !who || !*who)
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)))
        return OB_ENOTFOUND;
    for (size_t i = 0; i < r->nnb; i++) {
        const struct obi_nb *n = &r->nb[i];
        struct ob_view_event e = {
            OB_VIEW_ADDED, r->jid,  n->nick,  n->jid, n->attrs ? n->attrs : "",
            false,         n->show, n->status};
        if (!nb_is(n, who))
            continue;
        if (fn)
            fn(&e, arg);
        return OB_OK;
    }
    return OB_ENOTFOUND;
}

static enum ob_room_phase phase_of(enum obi_rstate st)
{
    switch (st) {
    case OBI_R_IN: return OB_ROOM_PHASE_IN;
    case OBI_R_LEAVING: return OB_ROOM_PHASE_LEAVING;
    case OBI_R_REJOIN_WAIT:
    case OBI_R_REJOINING: return OB_ROOM_PHASE_REJOINING;
    default: return OB_ROOM_PHASE_JOINING;
    }
}

int ob_room_status(ob_client *c, const char *room, struct ob_room_status *out)
{
    struct ob_room_status s = OB_ROOM_STATUS_INIT;
    struct obi_room *r;

    if (!c || !room || !out)
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)))
        return OB_ENOTFOUND;
    s.room = r->jid;
    s.nick = r->nick;
    s.phase = phase_of(r->st);
    s.neighbours = r->nnb;
    s.manager = r->p.manager ? r->p.manager : "";
    s.groupcast = obi_gc_mode_name(r->gc_mode   ? r->gc_mode
                                   : r->has_cfg ? obi_gc_mode(r->cfg.groupcast)
                                                : 0);
    s.owner = r->cfg_applied;
    s.has_key = r->p.has_key;
    s.key = r->p.key;
    s.has_segment = r->p.has_segment;
    s.segment = r->p.segment;
    s.epoch = r->epoch;
    return obi_struct_out(out, OBI_ROOM_STATUS_SIZE_V1, &s, sizeof s);
}

const char *obi_view_resolve(ob_client *c, const char *jid)
{
    const char *slash = strchr(jid, '/'), *nick;
    size_t len;

    if (!slash)
        return jid;
    len = (size_t)(slash - jid);
    nick = slash + 1;
    for (struct obi_room *r = c->rooms; r; r = r->next) {
        if (strlen(r->jid) != len || strncasecmp(r->jid, jid, len))
            continue;
        if (!strcmp(nick, r->nick))
            return c->session_jid ? c->session_jid : jid;
        for (size_t i = 0; i < r->nnb; i++)
            if (!strcmp(r->nb[i].nick, nick))
                return r->nb[i].jid ? r->nb[i].jid : jid;
    }
    return jid;
}
