/* xm_room.c -- a room's occupants, their views, and what the room sends.
 *
 * The view manager decides who sees whom.  Each join or leave runs the
 * manager, collects its deltas (the sink only records them: it must not
 * re-enter the manager), then turns them into presences:
 *   join of N:   presences of the occupants N now sees, to N (XEP-0045:
 *                others first), N's own presence with status 110, then
 *                N's presence to everyone who now sees it and the view
 *                changes among the others (rotations), then the subject;
 *   leave of N:  N's unavailable presence to everyone who saw it, the
 *                view changes among the others, N's own unavailable (110).
 * An available presence carries <view xmlns=orbweb attrs='...'/> naming
 * why the edge exists; an unavailable presence sent because the subject
 * left the observer's view (not the room) carries <view reason='view'/>.
 * Besides the manager, the room keeps for each occupant who observes it
 * (except in complete rooms, where everyone does), for status updates and
 * nick changes. */
#include "config.h"

#include "xm_log.h"
#include "xm_refusal.h"
#include "xm_room_internal.h"
#include "xm_segments.h"
#include "ut_ns.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NICK_MAX 255

/* ---- small helpers ------------------------------------------------------- */

void xm_room_send(xm_room *r, xmpp_stanza_t *st)
{
    size_t bytes = xm_send(r->env->out, st);

    if (!bytes)
        return;
    xm_stats_count(r->stats, XM_OUT, st, bytes);
    if (r->env->service_stats)
        xm_stats_count(r->env->service_stats, XM_OUT, st, bytes);
}

void xm_room_error(xm_room *r, xmpp_stanza_t *st, const char *etype,
                   const char *cond, const char *text)
{
    xmpp_stanza_t *e = xm_error_new(st, etype, cond, text);

    if (e) {
        xm_room_send(r, e);
        xm_refusals_note(r->env->refusals, e);
        xmpp_stanza_release(e);
    }
}

static struct xm_occupant *occ_by_id(const xm_room *r, vm_id id)
{
    return id < r->cap ? r->occ[id] : NULL;
}

struct xm_occupant *xm_room_occupant_by_jid(const xm_room *r, const char *jid)
{
    return ut_map_get(r->by_jid, jid);
}

struct xm_occupant *xm_room_occupant_by_nick(const xm_room *r, const char *nick)
{
    return ut_map_get(r->by_nick, nick);
}

bool xm_room_is_moderator(const xm_room *r, const struct xm_occupant *o)
{
    return o->affil >= XM_AFFIL_ADMIN ||
           (r->env->is_admin && r->env->is_admin(r->env->ctx, o->bare));
}

static const char *role_name(const xm_room *r, const struct xm_occupant *o)
{
    return xm_room_is_moderator(r, o) ? "moderator" : "participant";
}

static void relay_free(struct xm_relay *rl);

/* ---- life cycle ---------------------------------------------------------- */

static void on_delta(void *ctx, const vm_delta *d)
{
    xm_room *r = ctx;

    if (r->n_deltas == r->cap_deltas) {
        size_t cap = r->cap_deltas ? r->cap_deltas * 2 : 64;
        vm_delta *nd = realloc(r->deltas, cap * sizeof *nd);
        if (!nd) {
            xm_error("room %s: out of memory recording a view change; an "
                     "occupant's view may now miss an edge",
                     r->name);
            return;
        }
        r->deltas = nd;
        r->cap_deltas = cap;
    }
    r->deltas[r->n_deltas++] = *d;
}

/* vm_new's result: VM_OK with *out set, VM_EINVAL for an unknown type. */
static int new_manager(xm_room *r, const char *type, vm **out)
{
    vm_config vc = {.emit = on_delta, .emit_ctx = r, .seed = r->env->seed};

    *out = NULL;
    return vm_new(type, &vc, out);
}

int xm_room_new(const char *name, const struct xm_room_env *env,
                const struct xm_roomcfg *cfg, xm_room **out)
{
    xm_room *r = calloc(1, sizeof *r);
    int rc;

    *out = NULL;
    if (!r)
        return XM_ENOMEM;
    r->env = env;
    r->name = strdup(name);
    if (r->name && asprintf(&r->jid, "%s@%s", name, env->domain) < 0)
        r->jid = NULL;
    if (!r->name || !r->jid || xm_roomcfg_copy(&r->cfg, cfg) < 0 ||
        ut_map_new(&r->affils) || ut_map_new(&r->by_nick) ||
        ut_map_new(&r->by_jid) || xm_stats_new(&r->stats) != XM_STATS_OK)
        rc = XM_ENOMEM;
    else if ((rc = new_manager(r, cfg->manager, &r->view)) != VM_OK)
        rc = rc == VM_ENOMEM ? XM_ENOMEM : XM_EINVAL;
    if (rc != XM_OK) {
        xm_room_free(r);
        return rc;
    }
    r->complete = !strcmp(cfg->manager, "complete");
    env->hooks->made(r);
    *out = r;
    return XM_OK;
}

static void occupant_free(struct xm_occupant *o)
{
    if (!o)
        return;
    if (o->payload)
        xmpp_stanza_release(o->payload);
    free(o->nick);
    free(o->jid);
    free(o->bare);
    free(o->token);
    free(o->seen_by);
    free(o);
}

static void drop_forgotten(xm_room *r)
{
    for (size_t i = 0; i < r->n_forgotten; i++) {
        free(r->forgotten[i].jid);
        free(r->forgotten[i].nick);
    }
    free(r->forgotten);
    r->forgotten = NULL;
    r->n_forgotten = 0;
}

/* Frees every occupant and empties the indexes; sends nothing. */
static void drop_occupants(xm_room *r)
{
    for (uint32_t i = 0; i < r->cap; i++) {
        if (r->occ[i]) {
            ut_map_del(r->by_nick, r->occ[i]->nick);
            ut_map_del(r->by_jid, r->occ[i]->jid);
            if (r->seg)
                xm_seg_forget(r->seg, i);
            vm_leave(r->view, i);
        }
        occupant_free(r->occ[i]);
        r->occ[i] = NULL;
    }
    r->n = 0;
    r->n_free = 0;
    r->next_id = 0;
    r->n_deltas = 0;
}

void xm_room_free(xm_room *r)
{
    if (!r)
        return;
    for (int i = 0; i < XM_RELAYS; i++)
        relay_free(&r->relays[i]);
    if (r->occ && r->view)
        drop_occupants(r);
    drop_forgotten(r);
    r->env->hooks->fini(r);
    xm_seg_free(r->seg);
    vm_free(r->view);
    ut_map_free(r->affils);
    ut_map_free(r->by_nick);
    ut_map_free(r->by_jid);
    xm_stats_free(r->stats);
    xm_roomcfg_clear(&r->cfg);
    free(r->occ);
    free(r->free_ids);
    free(r->deltas);
    free(r->subject);
    free(r->subject_from);
    free(r->name);
    free(r->jid);
    free(r);
}

const char *xm_room_name(const xm_room *r)
{
    return r->name;
}
const char *xm_room_jid(const xm_room *r)
{
    return r->jid;
}
size_t xm_room_size(const xm_room *r)
{
    return r->n;
}
const struct xm_roomcfg *xm_room_config(const xm_room *r)
{
    return &r->cfg;
}
xm_stats *xm_room_stats(xm_room *r)
{
    return r->stats;
}
bool xm_room_destroyed(const xm_room *r)
{
    return r->destroyed;
}

/* ---- affiliations ---------------------------------------------------------
 */

int xm_room_set_affiliation(xm_room *r, const char *bare, enum xm_affil a)
{
    struct xm_occupant *o;

    if (a == XM_AFFIL_NONE)
        ut_map_del(r->affils, bare);
    else if (ut_map_put(r->affils, bare, (void *)(intptr_t)a) < 0)
        return -1;
    for (uint32_t i = 0; i < r->cap; i++)
        if ((o = r->occ[i]) && !strcmp(o->bare, bare))
            o->affil = a;
    return 0;
}

enum xm_affil xm_room_affiliation(const xm_room *r, const char *bare)
{
    return (enum xm_affil)(intptr_t)ut_map_get(r->affils, bare);
}

/* ---- occupant ids ----------------------------------------------------------
 */

static int alloc_id(xm_room *r, vm_id *id)
{
    if (r->n_free) {
        *id = r->free_ids[--r->n_free];
        return 0;
    }
    if (r->next_id == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        struct xm_occupant **occ = realloc(r->occ, cap * sizeof *occ);
        vm_id *ids;
        if (!occ)
            return -1;
        memset(occ + r->cap, 0, (cap - r->cap) * sizeof *occ);
        r->occ = occ;
        if (!(ids = realloc(r->free_ids, cap * sizeof *ids)))
            return -1;
        r->free_ids = ids;
        r->cap = cap;
    }
    *id = r->next_id++;
    return 0;
}

static void release_id(xm_room *r, vm_id id)
{
    r->occ[id] = NULL;
    r->free_ids[r->n_free++] = id;
}

/* ---- who observes whom ------------------------------------------------------
 */

static struct xm_seen *seen_find(struct xm_occupant *o, vm_id observer)
{
    for (uint32_t i = 0; i < o->n_seen; i++)
        if (o->seen_by[i].observer == observer)
            return &o->seen_by[i];
    return NULL;
}

/* Records a delta in the subject's observer list. */
static void seen_apply(xm_room *r, const vm_delta *d)
{
    struct xm_occupant *s = occ_by_id(r, d->subject);
    struct xm_seen *e;

    if (r->complete || !s)
        return;
    e = seen_find(s, d->observer);
    if (d->kind == VM_UNSEE) {
        if (e)
            *e = s->seen_by[--s->n_seen];
        return;
    }
    if (e) {
        e->attrs = d->attrs;
        return;
    }
    if (s->n_seen == s->cap_seen) {
        uint32_t cap = s->cap_seen ? s->cap_seen * 2 : 4;
        struct xm_seen *n = realloc(s->seen_by, cap * sizeof *n);
        if (!n)
            return; /* status updates will miss this observer */
        s->seen_by = n;
        s->cap_seen = cap;
    }
    s->seen_by[s->n_seen++] = (struct xm_seen){d->observer, d->attrs};
}

/* Calls fn for every observer of o (with the edge's attributes). */
static void each_observer(xm_room *r, struct xm_occupant *o,
                          void (*fn)(xm_room *, struct xm_occupant *obs,
                                     uint32_t attrs, void *ctx),
                          void *ctx)
{
    if (r->complete) {
        for (uint32_t i = 0; i < r->cap; i++)
            if (r->occ[i] && r->occ[i] != o)
                fn(r, r->occ[i], VM_ATTR_MEMBER, ctx);
        return;
    }
    for (uint32_t i = 0; i < o->n_seen; i++) {
        struct xm_occupant *obs = occ_by_id(r, o->seen_by[i].observer);
        if (obs)
            fn(r, obs, o->seen_by[i].attrs, ctx);
    }
}

/* ---- presence stanzas -------------------------------------------------------
 */

struct pres {
    const int *codes;      /* status codes, 0-terminated, or NULL */
    const char *new_nick;  /* 303: the new nick */
    xmpp_stanza_t *extra;  /* lent child of muc#user x, or NULL */
    const char *reason;    /* our <view reason=...>, unavailable only */
    const char *groupcast; /* our <view groupcast=...>: self-presence of a
                              room whose groupcasts use an engine */
    uint64_t epoch;        /* our <view epoch=...>: self-presence */
};

static void add_muc_user(xm_room *r, xmpp_stanza_t *p, struct xm_occupant *o,
                         bool with_jid, bool gone, const struct pres *opt)
{
    xmpp_stanza_t *x = xm_child(p, "x", UT_NS_MUC_USER), *item, *c;

    if (!x || !(item = xm_child(x, "item", NULL)))
        return;
    xmpp_stanza_set_attribute(item, "affiliation", xm_affil_name(o->affil));
    xmpp_stanza_set_attribute(item, "role", gone ? "none" : role_name(r, o));
    if (with_jid)
        xmpp_stanza_set_attribute(item, "jid", o->jid);
    if (opt && opt->new_nick)
        xmpp_stanza_set_attribute(item, "nick", opt->new_nick);
    for (const int *code = opt ? opt->codes : NULL; code && *code; code++)
        if ((c = xm_child(x, "status", NULL)))
            xm_set_uint(c, "code", (unsigned)*code);
    if (opt && opt->extra && (c = xmpp_stanza_copy(opt->extra))) {
        xmpp_stanza_add_child(x, c);
        xmpp_stanza_release(c);
    }
}

/* The presence of o as observers see it (to is set per recipient).
 * unavailable: type unavailable, no payload. */
static xmpp_stanza_t *presence_of(xm_room *r, struct xm_occupant *o,
                                  bool unavailable, bool with_jid,
                                  uint32_t attrs, const struct pres *opt)
{
    xmpp_stanza_t *p = xm_elem_new(r->env->out->xctx, "presence", NULL), *v;
    char from[1024];

    if (!p)
        return NULL;
    snprintf(from, sizeof from, "%s/%s", r->jid, o->nick);
    xmpp_stanza_set_from(p, from);
    if (unavailable)
        xmpp_stanza_set_type(p, "unavailable");
    for (xmpp_stanza_t *c = !unavailable && o->payload
                                ? xmpp_stanza_get_children(o->payload)
                                : NULL;
         c; c = xmpp_stanza_get_next(c)) {
        xmpp_stanza_t *copy = xmpp_stanza_copy(c);
        if (copy) {
            xmpp_stanza_add_child(p, copy);
            xmpp_stanza_release(copy);
        }
    }
    add_muc_user(r, p, o, with_jid, unavailable, opt);
    if ((v = xm_child(p, "view", UT_NS_XMUC))) {
        char names[256];
        if (!unavailable) {
            vm_attrs_format(attrs, names, sizeof names);
            xmpp_stanza_set_attribute(v, "attrs", names);
            if (opt && opt->groupcast && strcmp(opt->groupcast, "relay")) {
                xmpp_stanza_set_attribute(v, "groupcast", opt->groupcast);
                r->env->hooks->credentials(r, o, v);
            }
            if (opt && opt->epoch) {
                char e[24];
                snprintf(e, sizeof e, "%" PRIu64, opt->epoch);
                xmpp_stanza_set_attribute(v, "epoch", e);
            }
        } else if (opt && opt->reason)
            xmpp_stanza_set_attribute(v, "reason", opt->reason);
    }
    return p;
}

/* Whether observer obs may see o's real JID. */
static bool shows_jid(const xm_room *r, const struct xm_occupant *obs)
{
    return !r->cfg.semi_anonymous || xm_room_is_moderator(r, obs);
}

static void send_presence_to(xm_room *r, struct xm_occupant *o,
                             struct xm_occupant *to, bool unavailable,
                             uint32_t attrs, const struct pres *opt)
{
    xmpp_stanza_t *p =
        presence_of(r, o, unavailable, shows_jid(r, to) || o == to, attrs, opt);

    if (!p)
        return;
    xmpp_stanza_set_to(p, to->jid);
    xm_room_send(r, p);
    xmpp_stanza_release(p);
}

/* Applies one delta between others: SEE sends the subject's presence
 * with its attributes, UNSEE an unavailable with reason 'view'. */
static void send_delta(xm_room *r, const vm_delta *d, const struct pres *gone)
{
    struct xm_occupant *obs = occ_by_id(r, d->observer);
    struct xm_occupant *sub = occ_by_id(r, d->subject);
    struct pres view_change = {.reason = "view"};

    if (!obs || !sub)
        return;
    if (d->kind == VM_SEE)
        send_presence_to(r, sub, obs, false, d->attrs, NULL);
    else
        send_presence_to(r, sub, obs, true, 0, gone ? gone : &view_change);
}

void xm_room_apply_deltas(xm_room *r)
{
    for (size_t i = 0; i < r->n_deltas; i++) {
        seen_apply(r, &r->deltas[i]);
        send_delta(r, &r->deltas[i], NULL);
    }
    r->n_deltas = 0;
}

/* ---- joining
 * ----------------------------------------------------------------- */

static bool nick_ok(const char *nick)
{
    size_t n = strlen(nick);

    if (n == 0 || n > NICK_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)nick; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Our join parameters: <join xmlns=orbweb view-size= degree= key= segment=>.
 * false when present but malformed. */
static bool join_params(xmpp_stanza_t *st, vm_params *p)
{
    xmpp_stanza_t *j =
        xmpp_stanza_get_child_by_name_and_ns(st, "join", UT_NS_XMUC);
    unsigned long v;

    memset(p, 0, sizeof *p);
    if (!j)
        return true;
    if (xmpp_stanza_get_attribute(j, "view-size") &&
        !xm_attr_uint(j, "view-size", VM_VIEW_SIZE_MAX, &v))
        return false;
    p->view_size = xmpp_stanza_get_attribute(j, "view-size") ? (uint32_t)v : 0;
    if (xmpp_stanza_get_attribute(j, "degree") &&
        !xm_attr_uint(j, "degree", 65535, &v))
        return false;
    p->degree = xmpp_stanza_get_attribute(j, "degree") ? (uint32_t)v : 0;
    if (xmpp_stanza_get_attribute(j, "segment") &&
        !xm_attr_uint(j, "segment", UINT32_MAX, &v))
        return false;
    p->segment = xmpp_stanza_get_attribute(j, "segment") ? (uint32_t)v : 0;
    if (xmpp_stanza_get_attribute(j, "key")) {
        if (!xm_attr_uint(j, "key", ULONG_MAX, &v))
            return false;
        p->key = v;
        p->has_key = true;
    }
    return true;
}

/* Keeps the occupant's own presence children (show, status, priority,
 * caps...), without the MUC join element and ours. */
static xmpp_stanza_t *payload_of(xm_room *r, xmpp_stanza_t *st)
{
    xmpp_stanza_t *p = xm_elem_new(r->env->out->xctx, "presence", NULL);

    for (xmpp_stanza_t *c = p ? xmpp_stanza_get_children(st) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c);
        xmpp_stanza_t *copy;
        if (!xmpp_stanza_is_tag(c) ||
            (ns && (!strcmp(ns, UT_NS_MUC) || !strcmp(ns, UT_NS_MUC_USER) ||
                    !strcmp(ns, UT_NS_XMUC))))
            continue;
        if ((copy = xmpp_stanza_copy(c))) {
            xmpp_stanza_add_child(p, copy);
            xmpp_stanza_release(copy);
        }
    }
    return p;
}

/* Why the sender may not join, as an error condition, or NULL. */
static const char *join_refusal(xm_room *r, xmpp_stanza_t *st, enum xm_affil a,
                                const char **etype)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(st, "x", UT_NS_MUC);
    const char *pw = x ? xm_child_text_ptr(x, "password") : NULL;

    *etype = "auth";
    if (a == XM_AFFIL_OUTCAST)
        return "forbidden";
    if (r->cfg.members_only && a < XM_AFFIL_MEMBER)
        return "registration-required";
    if (r->cfg.password && a < XM_AFFIL_OWNER &&
        (!pw || strcmp(pw, r->cfg.password)))
        return "not-authorized";
    *etype = "wait";
    if ((r->n >= r->cfg.max_occupants || r->n >= r->env->max_occupants) &&
        a < XM_AFFIL_ADMIN)
        return "service-unavailable";
    return NULL;
}

/* The takeover token of a join (<join token=.../>), or NULL. */
static const char *join_token(xmpp_stanza_t *st)
{
    xmpp_stanza_t *j =
        xmpp_stanza_get_child_by_name_and_ns(st, "join", UT_NS_XMUC);

    return j ? xmpp_stanza_get_attribute(j, "token") : NULL;
}

/* A token is 16 to 64 printable ASCII characters without spaces. */
static bool token_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;

    if (!t)
        return true;
    if (n < 16 || n > 64)
        return false;
    for (; *t; t++)
        if (*t <= 0x20 || *t >= 0x7f)
            return false;
    return true;
}

/* Same length and bytes, compared in time independent of where they
 * differ. */
static bool token_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    unsigned char d = 0;

    if (n != strlen(b))
        return false;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* A join whose nick is taken by an occupant that joined with the same
 * token is the same client on a new session (its old one is gone, or
 * dying): the old occupant leaves, so the new one can take the nick. */
static bool takes_over(xm_room *r, struct xm_occupant *old, xmpp_stanza_t *st)
{
    const char *t = join_token(st);

    if (!t || !old->token || !token_equal(t, old->token))
        return false;
    xm_room_remove(r, old, NULL, NULL);
    return true;
}

static struct xm_occupant *occupant_new(xm_room *r, xmpp_stanza_t *st,
                                        const char *nick, enum xm_affil a)
{
    struct xm_occupant *o = calloc(1, sizeof *o);
    const char *token = join_token(st);
    char bare[1024];

    if (!o)
        return NULL;
    if (token && !(o->token = strdup(token))) {
        free(o);
        return NULL;
    }
    xm_bare(xmpp_stanza_get_from(st), bare, sizeof bare);
    o->nick = strdup(nick);
    o->jid = strdup(xmpp_stanza_get_from(st));
    o->bare = strdup(bare);
    o->affil = a;
    o->payload = payload_of(r, st);
    o->tokens = r->env->rate_burst;
    o->last_ms = r->env->now_ms(r->env->ctx);
    xm_bucket_init(&o->out, r->env->out_bytes_burst, o->last_ms);
    if (!o->nick || !o->jid || !o->bare || !o->payload ||
        alloc_id(r, &o->id) < 0) {
        occupant_free(o);
        return NULL;
    }
    return o;
}

/* Puts o into the indexes and the view manager; 0 or -1 (undone). */
static int admit(xm_room *r, struct xm_occupant *o, const vm_params *p)
{
    vm_params defaults = *p;

    if (!defaults.view_size)
        defaults.view_size = r->cfg.view_size;
    if (!defaults.degree)
        defaults.degree = r->cfg.degree;
    if (r->seg) /* a segment hint is only probed first: docs/segments.md */
        defaults.segment = xm_seg_fresh(r->seg);
    o->params = defaults;
    o->since = r->joins;
    r->occ[o->id] = o;
    r->n_deltas = 0;
    if (ut_map_put(r->by_nick, o->nick, o) < 0 ||
        ut_map_put(r->by_jid, o->jid, o) < 0 ||
        vm_join(r->view, o->id, &defaults) != VM_OK) {
        ut_map_del(r->by_nick, o->nick);
        ut_map_del(r->by_jid, o->jid);
        release_id(r, o->id);
        return -1;
    }
    r->n++;
    r->version++;
    r->joins++;
    if (r->seg)
        xm_seg_hint(r->seg, o->id, p->segment);
    return 0;
}

static void send_subject(xm_room *r, struct xm_occupant *to)
{
    xmpp_stanza_t *m = xm_elem_new(r->env->out->xctx, "message", NULL);

    if (!m)
        return;
    xmpp_stanza_set_type(m, "groupchat");
    xmpp_stanza_set_from(m, r->subject_from ? r->subject_from : r->jid);
    xmpp_stanza_set_to(m, to->jid);
    if (r->subject)
        xm_child_text(m, "subject", r->subject);
    else
        xm_child(m, "subject", NULL);
    xm_room_send(r, m);
    xmpp_stanza_release(m);
}

static void announce_join(xm_room *r, struct xm_occupant *o, bool created)
{
    int codes[4] = {110, 0, 0, 0}, n = 1;
    struct pres self = {
        .codes = codes, .groupcast = r->cfg.groupcast, .epoch = r->epoch};

    for (size_t i = 0; i < r->n_deltas; i++)
        if (r->deltas[i].observer == o->id && r->deltas[i].kind == VM_SEE)
            send_presence_to(r, occ_by_id(r, r->deltas[i].subject), o, false,
                             r->deltas[i].attrs, NULL);
    if (!r->cfg.semi_anonymous)
        codes[n++] = 100;
    if (created)
        codes[n++] = 201;
    send_presence_to(r, o, o, false, 0, &self);
    for (size_t i = 0; i < r->n_deltas; i++) {
        seen_apply(r, &r->deltas[i]);
        if (r->deltas[i].observer != o->id)
            send_delta(r, &r->deltas[i], NULL);
    }
    send_subject(r, o);
}

static void join(xm_room *r, xmpp_stanza_t *st, const char *nick, bool created)
{
    enum xm_affil a = xm_room_sender_affil(r, st);
    const char *etype, *why;
    struct xm_occupant *o;
    vm_params params;

    if (!nick || !nick_ok(nick)) {
        xm_room_error(r, st, "modify", "jid-malformed",
                      "a nickname is required");
        return;
    }
    if ((why = join_refusal(r, st, a, &etype))) {
        xm_room_error(r, st, etype, why, NULL);
        return;
    }
    if (!join_params(st, &params) || !token_ok(join_token(st))) {
        xm_room_error(r, st, "modify", "bad-request", "bad view parameters");
        return;
    }
    if (!xm_room_charge(r, NULL, st, r->n + 1))
        return;
    if ((o = xm_room_occupant_by_nick(r, nick)) && !takes_over(r, o, st)) {
        xm_room_error(r, st, "cancel", "conflict", "that nickname is in use");
        return;
    }
    if (!(o = occupant_new(r, st, nick, a)) || admit(r, o, &params) < 0) {
        occupant_free(o);
        xm_room_error(r, st, "wait", "resource-constraint", NULL);
        return;
    }
    announce_join(r, o, created);
    xm_info("room %s: %s joined as %s (%u occupants)", r->name, o->jid, o->nick,
            (unsigned)r->n);
}

/* ---- leaving
 * -------------------------------------------------------------------- */

/* Why an occupant leaves, for the log, from the status codes it gets. */
static const char *leave_reason(const int *codes, xmpp_stanza_t *extra)
{
    static const struct {
        int code;
        const char *why;
    } reasons[] = {{301, "banned"},
                   {307, "kicked"},
                   {321, "no longer affiliated"},
                   {322, "not a member"},
                   {332, "removed by the service"},
                   {333, "its client is gone"}};

    for (int i = 0; codes && codes[i]; i++)
        for (size_t j = 0; j < sizeof reasons / sizeof reasons[0]; j++)
            if (reasons[j].code == codes[i])
                return reasons[j].why;
    return extra ? "the room was destroyed" : "left";
}

void xm_room_remove(xm_room *r, struct xm_occupant *o, const int *codes,
                    xmpp_stanza_t *extra)
{
    int self_codes[8] = {110};
    struct pres gone = {.codes = codes, .extra = extra};
    struct pres self = {.codes = self_codes, .extra = extra};

    for (int i = 0; codes && codes[i] && i < 6; i++)
        self_codes[i + 1] = codes[i];
    r->n_deltas = 0;
    if (r->seg)
        xm_seg_forget(r->seg, o->id);
    vm_leave(r->view, o->id);
    for (size_t i = 0; i < r->n_deltas; i++) {
        const vm_delta *d = &r->deltas[i];
        seen_apply(r, d);
        if (d->observer == o->id)
            continue;
        send_delta(r, d, d->subject == o->id ? &gone : NULL);
    }
    send_presence_to(r, o, o, true, 0, &self);
    xm_info("room %s: %s (%s) is out: %s (%u occupants)", r->name, o->nick,
            o->jid, leave_reason(codes, extra), (unsigned)(r->n - 1));
    ut_map_del(r->by_nick, o->nick);
    ut_map_del(r->by_jid, o->jid);
    release_id(r, o->id);
    r->n--;
    r->version++;
    occupant_free(o);
}

/* ---- changes of an occupant
 * --------------------------------------------------- */

struct to_each {
    struct xm_occupant *o;
    bool unavailable;
    const struct pres *opt;
};

static void send_to_observer(xm_room *r, struct xm_occupant *obs,
                             uint32_t attrs, void *ctx)
{
    struct to_each *t = ctx;
    send_presence_to(r, t->o, obs, t->unavailable, attrs, t->opt);
}

void xm_room_broadcast_presence(xm_room *r, struct xm_occupant *o)
{
    static const int self_codes[] = {110, 0};
    struct pres self = {.codes = self_codes};
    struct to_each t = {o, false, NULL};

    each_observer(r, o, send_to_observer, &t);
    send_presence_to(r, o, o, false, 0, &self);
}

static void status_update(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st)
{
    xmpp_stanza_t *payload;

    if (!xm_room_charge(r, o, st, r->complete ? r->n : o->n_seen + 1) ||
        !(payload = payload_of(r, st)))
        return;
    xmpp_stanza_release(o->payload);
    o->payload = payload;
    xm_room_broadcast_presence(r, o);
}

static void change_nick(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st,
                        const char *nick)
{
    static const int codes[] = {303, 0}, self_codes[] = {303, 110, 0};
    struct pres opt = {.codes = codes, .new_nick = nick};
    struct pres self = {.codes = self_codes, .new_nick = nick};
    struct to_each t = {o, true, &opt};
    char *copy;

    if (!nick_ok(nick)) {
        xm_room_error(r, st, "modify", "jid-malformed", NULL);
        return;
    }
    if (xm_room_occupant_by_nick(r, nick)) {
        xm_room_error(r, st, "cancel", "conflict", "that nickname is in use");
        return;
    }
    if (!(copy = strdup(nick)) || ut_map_put(r->by_nick, nick, o) < 0) {
        free(copy);
        xm_room_error(r, st, "wait", "resource-constraint", NULL);
        return;
    }
    each_observer(r, o, send_to_observer, &t);
    send_presence_to(r, o, o, true, 0, &self);
    ut_map_del(r->by_nick, o->nick);
    free(o->nick);
    o->nick = copy;
    r->version++;
    status_update(r, o, st);
}

/* ---- presence routing
 * ----------------------------------------------------------- */

static void handle_presence(xm_room *r, xmpp_stanza_t *st, const char *nick)
{
    static const int tech[] = {333, 0};
    const char *type = xmpp_stanza_get_type(st);
    struct xm_occupant *o =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(st));

    if (type && !strcmp(type, "error")) {
        if (o)
            xm_room_remove(r, o, tech, NULL); /* its client is gone */
    } else if (type && !strcmp(type, "unavailable")) {
        if (o)
            xm_room_remove(r, o, NULL, NULL);
    } else if (type) {
        ; /* subscription and probe presences mean nothing to a room */
    } else if (!o) {
        join(r, st, nick, false);
    } else if (!nick) {
        xm_room_error(r, st, "modify", "jid-malformed", NULL);
    } else if (strcmp(nick, o->nick)) {
        change_nick(r, o, st, nick);
    } else {
        status_update(r, o, st);
    }
}

/* ---- messages
 * ------------------------------------------------------------------- */

/* A copy of st's children for relaying, without anything in our namespace
 * (so nobody can forge a sequence number) or MUC user data. */
static xmpp_stanza_t *relay_copy(xm_room *r, xmpp_stanza_t *st,
                                 const char *from, const char *type)
{
    xmpp_stanza_t *m = xm_elem_new(r->env->out->xctx, "message", NULL);

    if (!m)
        return NULL;
    xmpp_stanza_set_from(m, from);
    xmpp_stanza_set_type(m, type);
    if (xmpp_stanza_get_id(st))
        xmpp_stanza_set_id(m, xmpp_stanza_get_id(st));
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c);
        xmpp_stanza_t *copy;
        if (!xmpp_stanza_is_tag(c) ||
            (ns && (!strcmp(ns, UT_NS_XMUC) || !strcmp(ns, UT_NS_MUC_USER))))
            continue;
        if ((copy = xmpp_stanza_copy(c))) {
            xmpp_stanza_add_child(m, copy);
            xmpp_stanza_release(copy);
        }
    }
    return m;
}

static void send_to_all(xm_room *r, xmpp_stanza_t *m)
{
    for (uint32_t i = 0; i < r->cap; i++) {
        if (!r->occ[i])
            continue;
        xmpp_stanza_set_to(m, r->occ[i]->jid);
        xm_room_send(r, m);
    }
}

static void set_subject(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st)
{
    const char *subject = xm_child_text_ptr(st, "subject");
    char from[1024];
    xmpp_stanza_t *m;

    if (!xm_room_is_moderator(r, o) && !r->cfg.occupants_change_subject) {
        xm_room_error(r, st, "auth", "forbidden",
                      "only moderators change the subject");
        return;
    }
    if (!xm_room_charge(r, o, st, r->n))
        return;
    snprintf(from, sizeof from, "%s/%s", r->jid, o->nick);
    free(r->subject);
    free(r->subject_from);
    r->subject = subject ? strdup(subject) : NULL;
    r->subject_from = strdup(from);
    if ((m = relay_copy(r, st, from, "groupchat"))) {
        send_to_all(r, m);
        xmpp_stanza_release(m);
    }
    if (r->env->changed)
        r->env->changed(r->env->ctx, r);
}

static void groupchat(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st)
{
    char from[1024];
    xmpp_stanza_t *m, *g;

    if (xmpp_stanza_get_child_by_name(st, "subject") &&
        !xmpp_stanza_get_child_by_name(st, "body")) {
        set_subject(r, o, st);
        return;
    }
    if (!xm_room_charge(r, o, st,
                        strcmp(r->cfg.groupcast, "relay")
                            ? r->env->hooks->fanout(r)
                            : r->n))
        return;
    snprintf(from, sizeof from, "%s/%s", r->jid, o->nick);
    if (!(m = relay_copy(r, st, from, "groupchat"))) {
        xm_room_error(r, st, "wait", "resource-constraint", NULL);
        return;
    }
    if ((g = xm_child(m, "groupcast", UT_NS_XMUC)))
        xm_set_uint(g, "seq", ++r->seq);
    if (g && r->seq_slot) /* kept across a crash (xm_room_live.c) */
        r->seq_slot[1] = r->seq;
    if (g && strcmp(r->cfg.groupcast, "relay"))
        r->env->hooks->inject(r, o, m, g);
    else
        send_to_all(r, m);
    xmpp_stanza_release(m);
}

static void private_message(xm_room *r, struct xm_occupant *o,
                            xmpp_stanza_t *st, const char *nick,
                            const char *type)
{
    struct xm_occupant *to = xm_room_occupant_by_nick(r, nick);
    char from[1024];
    xmpp_stanza_t *m;

    if (!to) {
        xm_room_error(r, st, "cancel", "item-not-found",
                      "no occupant has that nickname");
        return;
    }
    snprintf(from, sizeof from, "%s/%s", r->jid, o->nick);
    if (!(m = relay_copy(r, st, from, type))) {
        xm_room_error(r, st, "wait", "resource-constraint", NULL);
        return;
    }
    xm_child(m, "x", UT_NS_MUC_USER);
    xmpp_stanza_set_to(m, to->jid);
    xm_room_send(r, m);
    xmpp_stanza_release(m);
}

static void handle_message(xm_room *r, xmpp_stanza_t *st, const char *nick)
{
    static const int tech[] = {333, 0};
    const char *type = xmpp_stanza_get_type(st);
    struct xm_occupant *o =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(st));
    bool gc = type && !strcmp(type, "groupchat");

    if (type && !strcmp(type, "error")) {
        if (o)
            xm_room_remove(r, o, tech, NULL); /* delivery to it failed */
        return;
    }
    if (!o) {
        xm_room_error(r, st, "modify", "not-acceptable", "join the room first");
        return;
    }
    if (gc && !nick)
        groupchat(r, o, st);
    else if (!gc && nick)
        private_message(r, o, st, nick, type ? type : "normal");
    else
        xm_room_error(r, st, "modify", "bad-request",
                      gc ? "groupchat goes to the room"
                         : "private messages go to room/nick");
}

/* ---- IQs
 * ------------------------------------------------------------------------ */

static void disco_info(xm_room *r, xmpp_stanza_t *iq)
{
    xmpp_stanza_t *reply = xm_reply_new(iq, "result"), *q, *e;
    char var[128];
    const char *features[] = {
        UT_NS_MUC,
        UT_NS_XMUC,
        UT_NS_DISCO_INFO,
        r->cfg.persistent ? "muc_persistent" : "muc_temporary",
        r->cfg.public_room ? "muc_public" : "muc_hidden",
        r->cfg.members_only ? "muc_membersonly" : "muc_open",
        r->cfg.password ? "muc_passwordprotected" : "muc_unsecured",
        r->cfg.semi_anonymous ? "muc_semianonymous" : "muc_nonanonymous",
        "muc_unmoderated",
        var,
        NULL};

    if (!reply || !(q = xm_child(reply, "query", UT_NS_DISCO_INFO)))
        goto done;
    snprintf(var, sizeof var, UT_NS_XMUC "#view-%s", r->cfg.manager);
    if ((e = xm_child(q, "identity", NULL))) {
        xmpp_stanza_set_attribute(e, "category", "conference");
        xmpp_stanza_set_attribute(e, "type", "text");
        xmpp_stanza_set_attribute(e, "name",
                                  r->cfg.title ? r->cfg.title : r->name);
    }
    for (int i = 0; features[i]; i++)
        if ((e = xm_child(q, "feature", NULL)))
            xmpp_stanza_set_attribute(e, "var", features[i]);
    xm_room_send(r, reply);
done:
    if (reply)
        xmpp_stanza_release(reply);
}

static void empty_result(xm_room *r, xmpp_stanza_t *iq, const char *name,
                         const char *ns)
{
    xmpp_stanza_t *reply = xm_reply_new(iq, "result");

    if (!reply)
        return;
    if (name)
        xm_child(reply, name, ns);
    xm_room_send(r, reply);
    xmpp_stanza_release(reply);
}

/* The end of the page that starts at off: at most XM_TOPO_PAGE bytes
 * once escaped as XML text (&amp; &lt; &gt;), cut before a UTF-8
 * continuation byte so every page is valid text. */
static size_t page_end(const char *json, size_t len, size_t off)
{
    size_t end = off, cost = 0;

    while (end < len) {
        char ch = json[end];
        size_t w = ch == '&' ? 5 : ch == '<' || ch == '>' ? 4 : 1;
        if (cost + w > XM_TOPO_PAGE)
            break;
        cost += w;
        end++;
    }
    while (end < len && end > off + 1 &&
           ((unsigned char)json[end] & 0xc0) == 0x80)
        end--;
    return end;
}

/* <topology format='json'>, whole (when it fits and no page was asked
 * for) or page `page` of it with page=, pages= and version= (the room's
 * change counter: pages with different versions do not fit together).
 * NULL after answering an error. */
static xmpp_stanza_t *topology_reply(xm_room *r, xmpp_stanza_t *iq,
                                     xmpp_stanza_t *q, const char *json)
{
    size_t len = strlen(json), off = 0, end, pages = 0, want = 0, want_end = 0;
    bool paged = xmpp_stanza_get_attribute(q, "page") != NULL;
    unsigned long page = 0;
    xmpp_stanza_t *c, *t;
    char num[24];

    if (paged && !xm_attr_uint(q, "page", 1000000, &page)) {
        xm_room_error(r, iq, "modify", "bad-request", "page is a number");
        return NULL;
    }
    if (!paged && len > XM_MAX_REPLY_BYTES) {
        /* servers cut off a component that sends an oversized stanza:
         * that would drop every occupant of every room */
        xm_room_error(r, iq, "wait", "resource-constraint",
                      "the topology is larger than one stanza may be: "
                      "ask for it by pages (page='0')");
        return NULL;
    }
    for (end = paged ? page_end(json, len, 0) : len;;
         end = page_end(json, len, off)) {
        if (pages++ == page) {
            want = off;
            want_end = end;
        }
        if (end >= len)
            break;
        off = end;
    }
    if (page >= pages) {
        xm_room_error(r, iq, "cancel", "item-not-found", "no such page");
        return NULL;
    }
    if (!(c = xm_elem_new(r->env->out->xctx, "topology", UT_NS_XMUC)) ||
        !(t = xmpp_stanza_new(r->env->out->xctx))) {
        if (c)
            xmpp_stanza_release(c);
        xm_room_error(r, iq, "wait", "resource-constraint", NULL);
        return NULL;
    }
    xmpp_stanza_set_attribute(c, "format", "json");
    if (paged) {
        snprintf(num, sizeof num, "%lu", page);
        xmpp_stanza_set_attribute(c, "page", num);
        snprintf(num, sizeof num, "%zu", pages);
        xmpp_stanza_set_attribute(c, "pages", num);
        snprintf(num, sizeof num, "%" PRIu64, r->version);
        xmpp_stanza_set_attribute(c, "version", num);
    }
    xmpp_stanza_set_text_with_size(t, json + want, want_end - want);
    xmpp_stanza_add_child(c, t);
    xmpp_stanza_release(t);
    return c;
}

/* Room statistics and topology, for the room's owners and admins and the
 * service's admins. */
static void handle_ours(xm_room *r, xmpp_stanza_t *iq, xmpp_stanza_t *q)
{
    const char *name = xmpp_stanza_get_name(q);
    xmpp_stanza_t *reply, *c = NULL;
    char *json;

    if (xm_room_sender_affil(r, iq) < XM_AFFIL_ADMIN) {
        xm_room_error(r, iq, "auth", "forbidden", "room admins only");
        return;
    }
    if (!strcmp(name, "stats"))
        c = xm_stats_to_stanza(r->stats, r->env->out->xctx);
    else if (!strcmp(name, "topology") && (json = xm_room_topology_json(r))) {
        c = topology_reply(r, iq, q, json);
        free(json);
        if (!c)
            return; /* refused, with its error */
    } else {
        xm_room_error(r, iq, "cancel", "service-unavailable", NULL);
        return;
    }
    if (c && (reply = xm_reply_new(iq, "result"))) {
        xmpp_stanza_add_child(reply, c);
        xm_room_send(r, reply);
        xmpp_stanza_release(reply);
    } else
        xm_room_error(r, iq, "wait", "resource-constraint", NULL);
    if (c)
        xmpp_stanza_release(c);
}

/* ---- IQs between occupants (XEP-0045 7.7)
 * ------------------------------------- */

static void relay_free(struct xm_relay *rl)
{
    free(rl->asker);
    free(rl->orig_id);
    memset(rl, 0, sizeof *rl);
}

/* A free slot (expired ones are reclaimed), or NULL when all are busy. */
static struct xm_relay *relay_slot(xm_room *r, uint64_t now)
{
    for (int i = 0; i < XM_RELAYS; i++) {
        if (r->relays[i].id[0] && r->relays[i].expires < now)
            relay_free(&r->relays[i]);
        if (!r->relays[i].id[0])
            return &r->relays[i];
    }
    return NULL;
}

/* Sends a copy of iq with new addressing and id. */
static void forward_iq(xm_room *r, xmpp_stanza_t *iq, const char *from,
                       const char *to, const char *id)
{
    xmpp_stanza_t *copy = xmpp_stanza_copy(iq);

    if (!copy)
        return;
    xmpp_stanza_set_from(copy, from);
    xmpp_stanza_set_to(copy, to);
    xmpp_stanza_set_id(copy, id);
    xm_room_send(r, copy);
    xmpp_stanza_release(copy);
}

/* An IQ get/set from occupant o to room/nick: relayed to that occupant's
 * real JID from room/o's nick; its answer comes back through relay_answer. */
static void relay_ask(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *iq,
                      const char *nick)
{
    struct xm_occupant *t = xm_room_occupant_by_nick(r, nick);
    uint64_t now = r->env->now_ms(r->env->ctx);
    struct xm_relay *rl;
    char from[1024];

    if (!t) {
        xm_room_error(r, iq, "cancel", "item-not-found",
                      "no occupant has that nickname");
        return;
    }
    if (!xmpp_stanza_get_id(iq) || !(rl = relay_slot(r, now))) {
        xm_room_error(r, iq, "wait", "resource-constraint", NULL);
        return;
    }
    rl->asker = strdup(o->jid);
    rl->orig_id = strdup(xmpp_stanza_get_id(iq));
    if (!rl->asker || !rl->orig_id) {
        relay_free(rl);
        xm_room_error(r, iq, "wait", "resource-constraint", NULL);
        return;
    }
    snprintf(rl->id, sizeof rl->id, "xmr%llu",
             (unsigned long long)++r->relay_counter);
    rl->target = t->id;
    rl->expires = now + 60000;
    snprintf(from, sizeof from, "%s/%s", r->jid, o->nick);
    forward_iq(r, iq, from, t->jid, rl->id);
}

/* A result or error from occupant t for an IQ we relayed to it. */
static void relay_answer(xm_room *r, xmpp_stanza_t *iq)
{
    struct xm_occupant *t =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(iq));
    const char *id = xmpp_stanza_get_id(iq);
    char from[1024];

    for (int i = 0; t && id && i < XM_RELAYS; i++) {
        struct xm_relay *rl = &r->relays[i];
        if (!rl->id[0] || strcmp(rl->id, id) || rl->target != t->id)
            continue;
        snprintf(from, sizeof from, "%s/%s", r->jid, t->nick);
        forward_iq(r, iq, from, rl->asker, rl->orig_id);
        relay_free(rl);
        return;
    }
}

static void handle_iq_to_occupant(xm_room *r, xmpp_stanza_t *iq,
                                  const char *nick, const char *ns)
{
    struct xm_occupant *o =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(iq));

    if (!o)
        xm_room_error(r, iq, "cancel", "not-acceptable", "not an occupant");
    else if (!strcmp(o->nick, nick) && ns && !strcmp(ns, UT_NS_PING))
        empty_result(r, iq, NULL, NULL); /* XEP-0410 self-ping */
    else
        relay_ask(r, o, iq, nick);
}

static void handle_iq(xm_room *r, xmpp_stanza_t *iq, const char *nick)
{
    const char *type = xmpp_stanza_get_type(iq);
    xmpp_stanza_t *q = xm_first_elem(iq);
    const char *ns = q ? xmpp_stanza_get_ns(q) : NULL;

    if (type && nick && (!strcmp(type, "result") || !strcmp(type, "error"))) {
        relay_answer(r, iq);
        return;
    }
    if (type && (!strcmp(type, "result") || !strcmp(type, "error"))) {
        r->env->hooks->answer(r, iq);
        return;
    }
    if (!type || (strcmp(type, "get") && strcmp(type, "set")))
        return;
    if (nick) {
        handle_iq_to_occupant(r, iq, nick, ns);
        return;
    }
    if (!ns)
        xm_room_error(r, iq, "modify", "bad-request", NULL);
    else if (!strcmp(ns, UT_NS_DISCO_INFO) && !strcmp(type, "get"))
        disco_info(r, iq);
    else if (!strcmp(ns, UT_NS_DISCO_ITEMS) && !strcmp(type, "get"))
        empty_result(r, iq, "query", UT_NS_DISCO_ITEMS);
    else if (!strcmp(ns, UT_NS_PING) && !strcmp(type, "get"))
        empty_result(r, iq, NULL, NULL);
    else if (!strcmp(ns, UT_NS_MUC_OWNER))
        xm_room_handle_owner(r, iq, type, q);
    else if (!strcmp(ns, UT_NS_MUC_ADMIN))
        xm_room_handle_admin(r, iq, type, q);
    else if (!strcmp(ns, UT_NS_XMUC) && !strcmp(type, "get"))
        handle_ours(r, iq, q);
    else
        xm_room_error(r, iq, "cancel", "service-unavailable", NULL);
}

/* ---- entry point and rate limit
 * ------------------------------------------------ */

/* Takes a token from o's bucket; false when the occupant is over its rate. */
static bool within_rate(xm_room *r, struct xm_occupant *o)
{
    uint64_t now = r->env->now_ms(r->env->ctx);

    if (!r->env->rate_per_s)
        return true;
    o->tokens += (double)(now - o->last_ms) * r->env->rate_per_s / 1000.0;
    if (o->tokens > r->env->rate_burst)
        o->tokens = r->env->rate_burst;
    o->last_ms = now;
    if (o->tokens < 1.0)
        return false;
    o->tokens -= 1.0;
    return true;
}

void xm_room_handle(xm_room *r, xmpp_stanza_t *st, const char *nick,
                    size_t bytes)
{
    const char *name = xmpp_stanza_get_name(st);
    const char *type = xmpp_stanza_get_type(st);
    struct xm_occupant *o =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(st));

    xm_stats_count(r->stats, XM_IN, st, bytes);
    r->in_bytes = bytes;
    xm_room_tick(r);
    if (o && !(type && !strcmp(type, "unavailable")) && !within_rate(r, o)) {
        xm_room_error(r, st, "wait", "resource-constraint",
                      "too many stanzas; slow down");
        return;
    }
    if (!strcmp(name, "presence"))
        handle_presence(r, st, nick);
    else if (!strcmp(name, "message"))
        handle_message(r, st, nick);
    else if (!strcmp(name, "iq"))
        handle_iq(r, st, nick);
}

void xm_room_tick(xm_room *r)
{
    r->env->hooks->tick(r);
}

/* Called by the service for the presence that creates the room. */
void xm_room_join_creator(xm_room *r, xmpp_stanza_t *st, const char *nick,
                          size_t bytes)
{
    xm_stats_count(r->stats, XM_IN, st, bytes);
    r->in_bytes = bytes;
    join(r, st, nick, true);
}

/* ---- the whole room at once
 * ------------------------------------------------------ */

void xm_room_evict_all(xm_room *r, int status)
{
    int codes[] = {status, 0};
    struct pres gone = {.codes = codes};

    for (uint32_t i = 0; i < r->cap; i++)
        if (r->occ[i])
            send_presence_to(r, r->occ[i], r->occ[i], true, 0, &gone);
    drop_occupants(r);
}

void xm_room_forget_all(xm_room *r)
{
    size_t n = 0;

    drop_forgotten(r);
    r->forgotten = calloc(r->n ? r->n : 1, sizeof *r->forgotten);
    for (uint32_t i = 0; r->forgotten && i < r->cap; i++) {
        struct xm_occupant *o = r->occ[i];
        if (!o)
            continue;
        r->forgotten[n].jid = strdup(o->jid);
        r->forgotten[n].nick = strdup(o->nick);
        if (r->forgotten[n].jid && r->forgotten[n].nick)
            n++;
        else {
            free(r->forgotten[n].jid);
            free(r->forgotten[n].nick);
        }
    }
    r->n_forgotten = n;
    drop_occupants(r);
}

void xm_room_notify_forgotten(xm_room *r)
{
    static const int codes[] = {110, 332, 0};

    for (size_t i = 0; i < r->n_forgotten; i++) {
        xmpp_stanza_t *p = xm_elem_new(r->env->out->xctx, "presence", NULL), *x,
                      *c;
        char from[1024];
        if (!p)
            break;
        snprintf(from, sizeof from, "%s/%s", r->jid, r->forgotten[i].nick);
        xmpp_stanza_set_from(p, from);
        xmpp_stanza_set_to(p, r->forgotten[i].jid);
        xmpp_stanza_set_type(p, "unavailable");
        if ((x = xm_child(p, "x", UT_NS_MUC_USER))) {
            if ((c = xm_child(x, "item", NULL))) {
                xmpp_stanza_set_attribute(c, "affiliation", "none");
                xmpp_stanza_set_attribute(c, "role", "none");
            }
            for (int j = 0; codes[j]; j++)
                if ((c = xm_child(x, "status", NULL)))
                    xm_set_uint(c, "code", (unsigned)codes[j]);
        }
        xm_room_send(r, p);
        xmpp_stanza_release(p);
    }
    drop_forgotten(r);
}

/* ---- saving
 * ------------------------------------------------------------------------ */

static int save_affil(void *ctx, const char *bare, void *value)
{
    char *enc = xm_pct_encode(bare);

    if (!enc)
        return -1;
    fprintf(ctx, "affiliation %s %s\n", enc,
            xm_affil_name((enum xm_affil)(intptr_t)value));
    free(enc);
    return 0;
}

int xm_room_save(const xm_room *r, FILE *f)
{
    char *enc;

    if (xm_roomcfg_save(&r->cfg, f) < 0 ||
        ut_map_each(r->affils, save_affil, f))
        return -1;
    if (r->subject && (enc = xm_pct_encode(r->subject))) {
        fprintf(f, "subject %s\n", enc);
        free(enc);
    }
    return ferror(f) ? -1 : 0;
}

static int load_line(xm_room *r, const char *name, const char *value)
{
    char bare[1024], aname[32];
    enum xm_affil a;
    char *v;

    if (!strcmp(name, "subject")) {
        if (!(v = xm_pct_decode(value)))
            return -1;
        free(r->subject);
        r->subject = v;
        return 0;
    }
    if (strcmp(name, "affiliation"))
        return xm_roomcfg_load_line(&r->cfg, name, value);
    if (sscanf(value, "%1023s %31s", bare, aname) != 2 ||
        xm_affil_parse(aname, &a) < 0 || !(v = xm_pct_decode(bare)))
        return -1;
    xm_room_set_affiliation(r, v, a);
    free(v);
    return 0;
}

int xm_room_load(xm_room *r, FILE *f, int *line)
{
    char buf[4096], name[64];
    int off;

    *line = 0;
    while (fgets(buf, sizeof buf, f)) {
        (*line)++;
        buf[strcspn(buf, "\n")] = '\0';
        if (sscanf(buf, "%63s %n", name, &off) != 1 ||
            load_line(r, name, buf + off) < 0)
            return -1;
    }
    *line = 0;
    return xm_room_rebuild_views(r);
}

/* ---- topology
 * ------------------------------------------------------------------------ */

struct buf {
    char *data;
    size_t len, cap;
    bool failed;
};

static int buf_write(void *ctx, const char *s, size_t n)
{
    struct buf *b = ctx;

    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Writes s as a JSON string. */
static void buf_json_string(struct buf *b, const char *s)
{
    buf_write(b, "\"", 1);
    for (; *s; s++) {
        char esc[8];
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\' || ch < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            buf_write(b, esc, strlen(esc));
        } else
            buf_write(b, s, 1);
    }
    buf_write(b, "\"", 1);
}

char *xm_room_topology_json(const xm_room *r)
{
    struct buf b = {0};
    bool first = true;

    if (vm_export(r->view, VM_FORMAT_JSON, buf_write, &b) != VM_OK || !b.len) {
        free(b.data);
        return NULL;
    }
    while (b.len && b.data[b.len - 1] != '}') /* drop the closing brace */
        b.len--;
    b.len--;
    buf_write(&b, ",\"nicks\":{", 10);
    for (uint32_t i = 0; i < r->cap; i++) {
        char id[16];
        if (!r->occ[i])
            continue;
        snprintf(id, sizeof id, "%s\"%u\":", first ? "" : ",", i);
        buf_write(&b, id, strlen(id));
        buf_json_string(&b, r->occ[i]->nick);
        first = false;
    }
    buf_write(&b, "}}", 2);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

struct view_walk {
    const xm_room *r;
    int (*fn)(void *ctx, const char *nick, uint32_t attrs);
    void *ctx;
};

static int view_step(void *ctx, vm_id observer, const vm_edge *e)
{
    struct view_walk *w = ctx;
    struct xm_occupant *s = occ_by_id(w->r, e->subject);

    (void)observer;
    return s ? w->fn(w->ctx, s->nick, e->attrs) : 0;
}

int xm_room_view_each(const xm_room *r, const char *nick,
                      int (*fn)(void *ctx, const char *nick, uint32_t attrs),
                      void *ctx)
{
    struct xm_occupant *o = xm_room_occupant_by_nick(r, nick);
    struct view_walk w = {r, fn, ctx};

    return o ? vm_view_each(r->view, o->id, view_step, &w) : -1;
}

/* ---- changing the view manager
 * ---------------------------------------------------------- */

/* The view of id under v, sorted by subject (malloc'd), and its size. */
static vm_edge *view_of(vm *v, vm_id id, size_t *n)
{
    vm_edge *e = NULL;
    size_t cap = 0;

    for (;;) {
        if (vm_view(v, id, e, cap, n) != VM_OK) {
            free(e);
            return NULL;
        }
        if (*n <= cap)
            return e ? e : malloc(1);
        free(e);
        cap = *n;
        if (!(e = malloc(cap * sizeof *e)))
            return NULL;
    }
}

/* Sends id the difference between its view under old and under cur. */
static void diff_views(xm_room *r, vm *old, vm_id id)
{
    size_t na, nb, i = 0, j = 0;
    vm_edge *a = view_of(old, id, &na), *b = view_of(r->view, id, &nb);

    while (a && b && (i < na || j < nb)) {
        vm_delta d = {.observer = id};
        if (j >= nb || (i < na && a[i].subject < b[j].subject)) {
            d.subject = a[i++].subject;
            d.kind = VM_UNSEE;
        } else if (i >= na || b[j].subject < a[i].subject) {
            d.subject = b[j].subject;
            d.kind = VM_SEE;
            d.attrs = b[j++].attrs;
        } else {
            d.subject = b[j].subject;
            d.kind = VM_SEE;
            d.attrs = b[j].attrs;
            if (a[i++].attrs == b[j++].attrs)
                continue;
        }
        send_delta(r, &d, NULL);
    }
    free(a);
    free(b);
}

static int seen_step(void *ctx, vm_id observer, const vm_edge *e)
{
    vm_delta d = {observer, e->subject, VM_SEE, e->attrs};

    seen_apply(ctx, &d);
    return 0;
}

/* Rebuilds every observer list from the manager's whole topology. */
static void rebuild_seen(xm_room *r)
{
    for (uint32_t i = 0; i < r->cap; i++)
        if (r->occ[i])
            r->occ[i]->n_seen = 0;
    if (!r->complete)
        vm_topology_each(r->view, seen_step, r);
}

/* An occupant's parameters for a new manager.  In a tapbcast room
 * everyone starts again in a segment of its own (its id), which the
 * detection then merges. */
static const vm_params *rejoin_params(const xm_room *r, struct xm_occupant *o)
{
    if (!strcmp(r->cfg.groupcast, "tapbcast"))
        o->params.segment = o->id;
    return &o->params;
}

int xm_room_rebuild_views(xm_room *r)
{
    vm *old = r->view, *cur;

    if (new_manager(r, r->cfg.manager, &cur) != VM_OK)
        return -1;
    r->view = cur;
    for (uint32_t i = 0; i < r->cap; i++)
        if (r->occ[i] &&
            vm_join(cur, i, rejoin_params(r, r->occ[i])) != VM_OK) {
            vm_free(cur);
            r->view = old;
            return -1;
        }
    r->n_deltas = 0;
    r->complete = !strcmp(r->cfg.manager, "complete");
    for (uint32_t i = 0; i < r->cap; i++)
        if (r->occ[i])
            diff_views(r, old, i);
    rebuild_seen(r);
    r->env->hooks->sync(r);
    vm_free(old);
    return 0;
}
