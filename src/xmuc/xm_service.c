/* xm_service.c -- the component: routing, rooms, limits, persistence,
 * and the service's own answers (XEP-0030 disco, XEP-0199 ping, our
 * statistics).  Anything it does not offer gets the fitting RFC 6120
 * error; an error is never answered with an error. */
#include "config.h"

#include "xm_service.h"
#include "xm_flow.h"
#include "xm_live.h"
#include "xm_log.h"
#include "vm.h"
#include "ut_map.h"
#include "xm_quota.h"
#include "xm_refusal.h"
#include "xm_room_live.h"
#include "xm_room_parts.h"
#include "xm_store.h"
#include "xs_jid.h"
#include "ut_ns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xm_service {
    struct xm_service_config cfg;
    const struct xm_out *out;
    struct xm_room_env env;
    ut_map *rooms; /* name -> xm_room */
    xm_stats *stats;
    bool link_was_down;
    xm_live *live;       /* with a data folder: rooms' live state (restarts) */
    bool graced;         /* some restored room may still be in its grace */
    bool forgot;         /* the link stayed down past the grace */
    uint64_t down_since; /* when the link went down */
    struct xm_budget budget; /* from max_memory; unused when 0 */
    struct xm_mark busy;     /* set while the output queue is high */
    xm_quota *quota;         /* who may create rooms */
    size_t occupants;        /* across rooms */
    xm_refusals *refusals;   /* error replies, counted and logged */
};

static uint64_t now_of(xm_service *s)
{
    return s->cfg.now_ms(s);
}

static bool is_admin(void *ctx, const char *bare)
{
    xm_service *s = ctx;

    for (const char *const *a = s->cfg.admins; a && *a; a++)
        if (!strcmp(*a, bare))
            return true;
    return false;
}

static void room_changed(void *ctx, xm_room *r)
{
    xm_service *s = ctx;

    xm_room_live_touch(r);
    if (!s->cfg.data_dir)
        return;
    if (xm_room_config(r)->persistent && !xm_room_destroyed(r)) {
        if (xm_store_save(s->cfg.data_dir, r) < 0)
            xm_error("cannot save room %s in %s", xm_room_name(r),
                     s->cfg.data_dir);
    } else
        xm_store_remove(s->cfg.data_dir, xm_room_name(r));
}

/* Frees r when it is destroyed, or empty, temporary and not held (nor
 * restored moments ago: its occupants are on their way back). */
static void reap(xm_service *s, xm_room *r)
{
    if (!xm_room_destroyed(r) &&
        (xm_room_size(r) > 0 || xm_room_config(r)->persistent ||
         xm_room_held(r) ||
         xm_room_live_graced(r, now_of(s), XM_LIVE_GRACE_MS)))
        return;
    if (!xm_room_destroyed(r)) /* a destroyed room said so already */
        xm_info("room %s is gone (empty)", xm_room_name(r));
    xm_quota_gone(s->quota, xm_room_name(r));
    s->occupants -= xm_room_size(r);
    if (s->live)
        xm_live_drop(s->live, r);
    ut_map_del(s->rooms, xm_room_name(r));
    xm_room_free(r);
}

/* Whether cost more bytes of fan-out may be queued now: not while the
 * queue is high (from queue_high until it drains to queue_low), and
 * never beyond the cap. */
static bool may_queue(void *ctx, size_t cost)
{
    xm_service *s = ctx;
    size_t q = s->cfg.queued ? s->cfg.queued(s->cfg.queue_ctx) : 0;
    bool was = s->busy.set;

    if (!s->cfg.max_memory)
        return true;
    if (xm_mark_update(&s->busy, q) != was)
        xm_log(
            was ? XM_LOG_INFO : XM_LOG_WARN,
            was ? "output queue down to %zu bytes: fan-out accepted again"
                : "output queue at %zu bytes: fan-out refused until it drains",
            q);
    return !s->busy.set && q + cost <= s->budget.queue_cap;
}

/* Whether the state budget has room for rooms_more rooms and
 * occupants_more occupants. */
static bool fits(const xm_service *s, size_t rooms_more, size_t occupants_more)
{
    return !s->cfg.max_memory ||
           xm_budget_fits(&s->budget, ut_map_size(s->rooms), s->occupants,
                          rooms_more, occupants_more);
}

static xm_room *create_room(xm_service *s, const char *name,
                            xmpp_stanza_t *join)
{
    struct xm_roomcfg cfg;
    xmpp_stanza_t *j =
        join ? xmpp_stanza_get_child_by_name_and_ns(join, "join", UT_NS_XMUC)
             : NULL;
    const char *m = j ? xmpp_stanza_get_attribute(j, "manager") : NULL;
    xm_room *r;

    xm_roomcfg_init(&cfg, s->cfg.max_occupants);
    snprintf(cfg.manager, sizeof cfg.manager, "%s",
             m && vm_manager_known(m) ? m
             : s->cfg.default_manager ? s->cfg.default_manager
                                      : "complete");
    xm_room_new(name, &s->env, &cfg, &r);
    xm_roomcfg_clear(&cfg);
    if (r && ut_map_put(s->rooms, name, r) < 0) {
        xm_room_free(r);
        r = NULL;
    }
    return r;
}

static int load_room(void *ctx, const char *name, const char *path)
{
    xm_service *s = ctx;
    FILE *f = fopen(path, "r");
    xm_room *r = f ? create_room(s, name, NULL) : NULL;
    int line = 0;

    if (r && xm_room_load(r, f, &line) == 0) {
        fclose(f);
        return 0;
    }
    xm_error("cannot load room %s from %s%s%d; it is left on disk untouched",
             name, path, line ? " at line " : "", line);
    if (f)
        fclose(f);
    if (r) {
        ut_map_del(s->rooms, name);
        xm_room_free(r);
    }
    return -1;
}

static bool room_name_ok(const char *node);

/* One room of the live state (xm_live.h): a persistent room already
 * loaded gets its occupants and numbering back; a temporary one is made
 * again from its text first. */
static int restore_room(void *ctx, const char *name, char *text)
{
    xm_service *s = ctx;
    struct xm_room_live_head h;
    char *config, *occupants;
    xm_room *r = ut_map_get(s->rooms, name);
    volatile uint64_t *slot;
    FILE *f = NULL;
    int line = 0;

    if (xm_room_live_parse(text, &h, &config, &occupants) < 0 ||
        (!r && (!room_name_ok(name) || !*config ||
                ut_map_size(s->rooms) >= s->cfg.max_rooms ||
                !(f = fmemopen(config, strlen(config), "r")) ||
                !(r = create_room(s, name, NULL)) ||
                xm_room_load(r, f, &line) < 0))) {
        if (line)
            xm_error("cannot restore room %s (line %d); it is forgotten", name,
                     line);
        else
            xm_error("cannot restore room %s; it is forgotten", name);
        if (f)
            fclose(f);
        if (r && !xm_room_config(r)->persistent) {
            ut_map_del(s->rooms, name);
            xm_room_free(r);
        }
        return -1;
    }
    if (f)
        fclose(f);
    if (xm_room_live_occupants(r, occupants) < 0)
        xm_warn("room %s: some occupants could not be restored", name);
    slot = xm_live_slot(s->live, h.slot);
    if (xm_room_live_restore(r, &h, slot, now_of(s))) {
        xm_live_claim(s->live, h.slot);
        xm_room_live_bind(r, slot, h.slot);
    }
    s->link_was_down = true; /* the first link up tells them to rejoin */
    s->forgot = true;
    s->graced = true;
    return 0;
}

static int open_live(xm_service *s, char *err, size_t errlen)
{
    int rc =
        xm_live_open(s->cfg.data_dir, s->cfg.max_rooms, err, errlen, &s->live);

    if (rc != XM_OK)
        return rc;
    xm_info("restored %d rooms from %s/live",
            xm_live_each(s->live, restore_room, s), s->cfg.data_dir);
    return 0;
}

int xm_service_new(const struct xm_service_config *cfg,
                   const struct xm_out *out, char *err, size_t errlen,
                   xm_service **svc)
{
    xm_service *s = calloc(1, sizeof *s);
    int rc;

    *svc = NULL;
    if (!s || ut_map_new(&s->rooms) || xm_stats_new(&s->stats) != XM_STATS_OK ||
        xm_quota_new(cfg->rooms_per_jid, cfg->rooms_per_min, &s->quota)) {
        snprintf(err, errlen, "out of memory");
        xm_service_free(s);
        return XM_ENOMEM;
    }
    s->cfg = *cfg;
    s->out = out;
    if (xm_refusals_new(cfg->now_ms, s, &s->refusals)) {
        snprintf(err, errlen, "out of memory");
        xm_service_free(s);
        return XM_ENOMEM;
    }
    s->env = (struct xm_room_env){.out = out,
                                  .domain = cfg->domain,
                                  .max_occupants = cfg->max_occupants,
                                  .rate_per_s = cfg->rate_per_s,
                                  .rate_burst = cfg->rate_burst,
                                  .now_ms = cfg->now_ms,
                                  .changed = room_changed,
                                  .is_admin = is_admin,
                                  .ctx = s,
                                  .seed = cfg->seed,
                                  .service_stats = s->stats,
                                  .refusals = s->refusals,
                                  .out_bytes_per_s = cfg->out_bytes_per_s,
                                  .out_bytes_burst = cfg->out_bytes_burst,
                                  .may_queue = may_queue,
                                  .hooks = &xm_room_parts};
    xm_budget_split(cfg->max_memory, &s->budget);
    s->busy =
        (struct xm_mark){s->budget.queue_high, s->budget.queue_low, false};
    if (cfg->data_dir) {
        if (xm_store_open(cfg->data_dir, err, errlen) < 0) {
            xm_service_free(s);
            return XM_EIO;
        }
        xm_info("loaded %d persistent rooms from %s",
                xm_store_each(cfg->data_dir, load_room, s), cfg->data_dir);
        if ((rc = open_live(s, err, errlen)) != XM_OK) {
            xm_service_free(s);
            return rc;
        }
    }
    *svc = s;
    return XM_OK;
}

static int free_room(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    xm_room_free(value);
    return 0;
}

void xm_service_free(xm_service *s)
{
    if (!s)
        return;
    if (s->rooms) {
        ut_map_each(s->rooms, free_room, NULL);
        ut_map_free(s->rooms);
    }
    xm_stats_free(s->stats);
    xm_live_free(s->live);
    xm_quota_free(s->quota);
    xm_refusals_free(s->refusals);
    free(s);
}

/* ---- the service's own answers ----------------------------------------------
 */

static void send_counted(xm_service *s, xmpp_stanza_t *st)
{
    size_t bytes = xm_send(s->out, st);

    if (bytes)
        xm_stats_count(s->stats, XM_OUT, st, bytes);
}

static void error_reply(xm_service *s, xmpp_stanza_t *st, const char *etype,
                        const char *cond, const char *text)
{
    xmpp_stanza_t *e = xm_error_new(st, etype, cond, text);

    if (e) {
        send_counted(s, e);
        xm_refusals_note(s->refusals, e);
        xmpp_stanza_release(e);
    }
}

static void answer_disco_info(xm_service *s, xmpp_stanza_t *iq)
{
    static const char *const base[] = {UT_NS_DISCO_INFO, UT_NS_DISCO_ITEMS,
                                       UT_NS_PING,       UT_NS_MUC,
                                       UT_NS_XMUC,       NULL};
    xmpp_stanza_t *reply = xm_reply_new(iq, "result"), *q, *e;
    char var[128];

    if (!reply || !(q = xm_child(reply, "query", UT_NS_DISCO_INFO)))
        goto done;
    if ((e = xm_child(q, "identity", NULL))) {
        xmpp_stanza_set_attribute(e, "category", "conference");
        xmpp_stanza_set_attribute(e, "type", "text");
        xmpp_stanza_set_attribute(e, "name", "orbweb extensible rooms");
    }
    for (int i = 0; base[i]; i++)
        if ((e = xm_child(q, "feature", NULL)))
            xmpp_stanza_set_attribute(e, "var", base[i]);
    for (size_t i = 0; vm_manager_name(i); i++) {
        snprintf(var, sizeof var, UT_NS_XMUC "#view-%s", vm_manager_name(i));
        if ((e = xm_child(q, "feature", NULL)))
            xmpp_stanza_set_attribute(e, "var", var);
    }
    send_counted(s, reply);
done:
    if (reply)
        xmpp_stanza_release(reply);
}

struct items {
    xmpp_stanza_t *q;
};

static int add_item(void *ctx, const char *name, void *value)
{
    struct items *it = ctx;
    xm_room *r = value;
    xmpp_stanza_t *e;

    if (!xm_room_config(r)->public_room || !(e = xm_child(it->q, "item", NULL)))
        return 0;
    xmpp_stanza_set_attribute(e, "jid", xm_room_jid(r));
    xmpp_stanza_set_attribute(
        e, "name", xm_room_config(r)->title ? xm_room_config(r)->title : name);
    return 0;
}

static void answer_disco_items(xm_service *s, xmpp_stanza_t *iq)
{
    xmpp_stanza_t *reply = xm_reply_new(iq, "result");
    struct items it = {reply ? xm_child(reply, "query", UT_NS_DISCO_ITEMS)
                             : NULL};

    if (it.q)
        ut_map_each(s->rooms, add_item, &it);
    if (reply) {
        send_counted(s, reply);
        xmpp_stanza_release(reply);
    }
}

static void answer_stats(xm_service *s, xmpp_stanza_t *iq)
{
    char bare[1024];
    xmpp_stanza_t *reply, *st;

    xm_bare(xmpp_stanza_get_from(iq), bare, sizeof bare);
    if (!is_admin(s, bare)) {
        error_reply(s, iq, "auth", "forbidden", "service admins only");
        return;
    }
    reply = xm_reply_new(iq, "result");
    st = xm_stats_to_stanza(s->stats, s->out->xctx);
    if (reply && st) {
        xmpp_stanza_add_child(reply, st);
        send_counted(s, reply);
    } else
        error_reply(s, iq, "wait", "resource-constraint", NULL);
    if (st)
        xmpp_stanza_release(st);
    if (reply)
        xmpp_stanza_release(reply);
}

static void handle_service_iq(xm_service *s, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    xmpp_stanza_t *q = xm_first_elem(iq);
    const char *ns = q ? xmpp_stanza_get_ns(q) : NULL;
    bool get = !strcmp(type, "get");
    xmpp_stanza_t *reply;

    if (!ns)
        error_reply(s, iq, "modify", "bad-request", NULL);
    else if (get && !strcmp(ns, UT_NS_DISCO_INFO))
        answer_disco_info(s, iq);
    else if (get && !strcmp(ns, UT_NS_DISCO_ITEMS))
        answer_disco_items(s, iq);
    else if (get && !strcmp(ns, UT_NS_PING) &&
             (reply = xm_reply_new(iq, "result"))) {
        send_counted(s, reply);
        xmpp_stanza_release(reply);
    } else if (get && !strcmp(ns, UT_NS_XMUC) &&
               !strcmp(xmpp_stanza_get_name(q), "stats"))
        answer_stats(s, iq);
    else
        error_reply(s, iq, "cancel", "service-unavailable", NULL);
}

/* ---- routing
 * -------------------------------------------------------------------- */

/* Splits to = node@domain/resource; false unless the domain is ours. */
static bool split_to(xm_service *s, const char *to, char *node, size_t nlen,
                     const char **resource)
{
    const char *at = strchr(to, '@'), *slash;
    const char *dom = at ? at + 1 : to;
    size_t dlen;

    slash = strchr(dom, '/');
    if (at && slash && at > slash)
        return false;
    dlen = slash ? (size_t)(slash - dom) : strlen(dom);
    if (dlen != strlen(s->cfg.domain) || strncmp(dom, s->cfg.domain, dlen))
        return false;
    *resource = slash ? slash + 1 : NULL;
    if (!at) {
        node[0] = '\0';
        return true;
    }
    snprintf(node, nlen, "%.*s", (int)(at - to), to);
    return (size_t)(at - to) < nlen;
}

static bool room_name_ok(const char *node)
{
    if (!*node || strlen(node) > 255)
        return false;
    for (const unsigned char *p = (const unsigned char *)node; *p; p++)
        if (*p <= ' ' || strchr("\"&'/:<>@", *p) || *p == 0x7f)
            return false;
    return true;
}

/* Brings the room name (node, in place) and the nick (*resource, then
 * pointing into nick) to their canonical forms: nodeprep and
 * resourceprep (docs/protocol.md).  -1 after answering jid-malformed when
 * one cannot be. */
static int canonical(xm_service *s, xmpp_stanza_t *st, char *node, size_t nlen,
                     const char **resource, char *nick, size_t nicklen)
{
    if (!room_name_ok(node) || xs_jid_nodeprep(node, node, nlen) < 0) {
        error_reply(s, st, "modify", "jid-malformed", "not a valid room name");
        return -1;
    }
    if (*resource && **resource &&
        xs_jid_resourceprep(*resource, nick, nicklen) < 0) {
        error_reply(s, st, "modify", "jid-malformed", "not a valid nickname");
        return -1;
    }
    if (*resource && **resource)
        *resource = nick;
    return 0;
}

/* An available presence naming a view manager that does not exist:
 * not-acceptable (true), whether the room exists or not. */
static bool unknown_manager(xm_service *s, xmpp_stanza_t *st)
{
    xmpp_stanza_t *j =
        xmpp_stanza_get_child_by_name_and_ns(st, "join", UT_NS_XMUC);
    const char *m = j ? xmpp_stanza_get_attribute(j, "manager") : NULL;

    if (!m || vm_manager_known(m) ||
        strcmp(xmpp_stanza_get_name(st), "presence") ||
        xmpp_stanza_get_type(st))
        return false;
    error_reply(s, st, "modify", "not-acceptable", "no such view manager");
    return true;
}

/* Why bare may not create a room now (an error condition, with its
 * type and text), or NULL after recording the creation.  Service admins
 * are exempt from the per-JID rate and quota, not from the bounds. */
static const char *creation_refusal(xm_service *s, const char *bare,
                                    const char *node, const char **etype,
                                    const char **text)
{
    int rc;

    *etype = "wait";
    *text = "too many rooms";
    if (ut_map_size(s->rooms) >= s->cfg.max_rooms)
        return "resource-constraint";
    *text = "the service is at its memory bound; try again later";
    if (!fits(s, 1, 1))
        return "resource-constraint";
    *text = NULL;
    if (is_admin(s, bare))
        return NULL;
    rc = xm_quota_create(s->quota, bare, node, now_of(s));
    if (rc == XM_QUOTA_EHELD) {
        *etype = "cancel";
        *text = "you already hold as many rooms as one user may";
        return "policy-violation";
    }
    if (rc == XM_QUOTA_ERATE)
        *text = "you are creating rooms too fast; slow down";
    return rc == XM_QUOTA_OK ? NULL : "resource-constraint";
}

/* A stanza for a room that does not exist: an available presence with a
 * nick creates it (without one: jid-malformed, XEP-0045 7.2.1); anything
 * else is answered item-not-found. */
static void to_missing_room(xm_service *s, xmpp_stanza_t *st, const char *node,
                            const char *nick, size_t bytes)
{
    bool presence = !strcmp(xmpp_stanza_get_name(st), "presence") &&
                    !xmpp_stanza_get_type(st);
    bool join = presence && nick && *nick;
    const char *cond, *etype, *text;
    char bare[1024];
    xm_room *r;

    if (presence && !join) {
        error_reply(s, st, "modify", "jid-malformed", "a nickname is required");
        return;
    }
    if (!join) {
        error_reply(s, st, "cancel", "item-not-found", "no such room");
        return;
    }
    xm_bare(xmpp_stanza_get_from(st), bare, sizeof bare);
    if ((cond = creation_refusal(s, bare, node, &etype, &text))) {
        error_reply(s, st, etype, cond, text);
        return;
    }
    if (!(r = create_room(s, node, st))) {
        xm_quota_gone(s->quota, node);
        error_reply(s, st, "wait", "resource-constraint", NULL);
        return;
    }
    xm_room_set_affiliation(r, bare, XM_AFFIL_OWNER);
    xm_info("room %s created by %s", node, bare);
    xm_room_join_creator(r, st, nick, bytes);
    s->occupants += xm_room_size(r);
    reap(s, r);
}

/* A join (an available presence from a non-occupant) while the state
 * budget has no room for one more occupant. */
static bool join_over_budget(xm_service *s, xm_room *r, xmpp_stanza_t *st)
{
    return !strcmp(xmpp_stanza_get_name(st), "presence") &&
           !xmpp_stanza_get_type(st) && !fits(s, 0, 1) &&
           !xm_room_has_occupant(r, xmpp_stanza_get_from(st));
}

void xm_service_handle(xm_service *s, xmpp_stanza_t *st, size_t bytes)
{
    const char *name = xmpp_stanza_get_name(st), *to = xmpp_stanza_get_to(st);
    const char *type = xmpp_stanza_get_type(st), *resource;
    char node[1024], nick[1024];
    xm_room *r;

    xm_stats_count(s->stats, XM_IN, st, bytes);
    if (!xmpp_stanza_get_from(st) || !to ||
        !split_to(s, to, node, sizeof node, &resource))
        return; /* the server stamps both; nothing sane to answer */
    if (bytes > s->cfg.max_stanza_bytes) {
        error_reply(s, st, "modify", "policy-violation", "stanza too large");
        return;
    }
    if (!node[0]) {
        if (!strcmp(name, "iq") && type &&
            (!strcmp(type, "get") || !strcmp(type, "set")))
            handle_service_iq(s, st);
        else if (!strcmp(name, "iq") && !type)
            error_reply(s, st, "modify", "bad-request", NULL);
        else if (!strcmp(name, "message") ||
                 (!strcmp(name, "presence") && !type))
            error_reply(s, st, "cancel", "service-unavailable", NULL);
        return;
    }
    if (canonical(s, st, node, sizeof node, &resource, nick, sizeof nick) < 0 ||
        unknown_manager(s, st))
        return;
    if (!(r = ut_map_get(s->rooms, node))) {
        to_missing_room(s, st, node, resource, bytes);
        return;
    }
    if (join_over_budget(s, r, st)) {
        error_reply(s, st, "wait", "resource-constraint",
                    "the service is at its memory bound; try again later");
        return;
    }
    s->occupants -= xm_room_size(r);
    xm_room_handle(r, st, resource, bytes);
    s->occupants += xm_room_size(r);
    reap(s, r);
}

/* A stanza the link skipped (too deep, too large...): bounced, so the
 * sender learns why; addressed to us or it is not answered at all. */
void xm_service_reject(xm_service *s, xmpp_stanza_t *top, const char *why)
{
    const char *to = top ? xmpp_stanza_get_to(top) : NULL, *resource;
    const char *name = top ? xmpp_stanza_get_name(top) : "";
    char node[1024];

    if (!to || !xmpp_stanza_get_from(top) ||
        !split_to(s, to, node, sizeof node, &resource) ||
        (strcmp(name, "message") && strcmp(name, "presence") &&
         strcmp(name, "iq")))
        return;
    xm_stats_count(s->stats, XM_IN, top, 0);
    error_reply(s, top, "modify", "policy-violation", why);
}

/* ---- the link and shutdown
 * ------------------------------------------------------- */

static int forget(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    xm_room_forget_all(value);
    return 0;
}

/* Past the grace (or without one): occupants are forgotten. */
static void forget_occupants(xm_service *s)
{
    ut_map_each(s->rooms, forget, NULL);
    s->occupants = 0;
    s->forgot = true;
    xm_warn("the link has been down for %llu s or more: occupants are "
            "dropped and will be told to rejoin once it is back",
            (unsigned long long)(s->cfg.link_grace_ms / 1000));
}

void xm_service_link_down(xm_service *s)
{
    s->link_was_down = true;
    s->down_since = now_of(s);
    s->forgot = false;
    if (!s->cfg.link_grace_ms)
        forget_occupants(s);
}

/* Rooms to visit after the link is back; reaping waits until the walk
 * over the map is over. */
struct room_list {
    xm_room **rooms;
    size_t n;
    xm_service *s;
};

static int back_up(void *ctx, const char *key, void *value)
{
    struct room_list *l = ctx;
    uint64_t grace = l->s->cfg.link_grace_ms;

    (void)key;
    xm_room_hold(value, now_of(l->s) + grace);
    if (l->s->forgot)
        xm_room_notify_forgotten(value);
    else
        xm_room_verify_occupants(value, grace < 10000 ? grace : 10000);
    if (l->rooms)
        l->rooms[l->n++] = value;
    return 0;
}

/* Calls fn for every room, then reaps those it left empty. */
static void visit_and_reap(xm_service *s,
                           int (*fn)(void *, const char *, void *))
{
    struct room_list l = {calloc(ut_map_size(s->rooms) + 1, sizeof(xm_room *)),
                          0, s};

    ut_map_each(s->rooms, fn, &l);
    for (size_t i = 0; i < l.n; i++)
        reap(s, l.rooms[i]);
    free(l.rooms);
}

void xm_service_link_up(xm_service *s)
{
    if (!s->link_was_down)
        return;
    s->link_was_down = false;
    if (!s->forgot)
        xm_info("the link is back within the grace: occupants are kept, "
                "and each is pinged");
    visit_and_reap(s, back_up);
    s->forgot = false;
}

static int list_room(void *ctx, const char *key, void *value)
{
    struct room_list *l = ctx;

    (void)key;
    if (l->rooms)
        l->rooms[l->n++] = value;
    return 0;
}

static void flush_live(xm_service *s);
static void end_graces(xm_service *s, uint64_t now);

void xm_service_tick(xm_service *s)
{
    xm_refusals_tick(s->refusals);
    if (s->live && xm_live_due(s->live, now_of(s)))
        flush_live(s);
    if (s->link_was_down) {
        if (!s->forgot && now_of(s) - s->down_since >= s->cfg.link_grace_ms)
            forget_occupants(s);
        return; /* nothing is reaped while the link is down */
    }
    end_graces(s, now_of(s));
    visit_and_reap(s, list_room);
}

static int evict(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    xm_room_evict_all(value, 332);
    return 0;
}

/* ---- the live state (restarts of xmucd)
 * ---------------------------------------- */

static int save_live(void *ctx, const char *key, void *value)
{
    xm_service *s = ctx;

    if (xm_live_save(s->live, value) < 0)
        xm_error("cannot save the live state of room %s", key);
    return 0;
}

static void flush_live(xm_service *s)
{
    uint64_t t0 = now_of(s);

    ut_map_each(s->rooms, save_live, s);
    xm_live_flushed(s->live, t0, now_of(s) - t0);
}

struct graced {
    struct room_list *l;
    uint64_t now;
    size_t still; /* rooms still in their grace */
};

static int collect_graced(void *ctx, const char *key, void *value)
{
    struct graced *g = ctx;

    (void)key;
    if (xm_room_live_grace_over(value, g->now, XM_LIVE_GRACE_MS))
        g->l->rooms[g->l->n++] = value;
    g->still += xm_room_live_graced(value, g->now, XM_LIVE_GRACE_MS);
    return 0;
}

/* Restored rooms whose grace is over are reaped if still empty (a walk
 * over the rooms only while some restored room may be in its grace). */
static void end_graces(xm_service *s, uint64_t now)
{
    struct room_list l = {NULL, 0, s};
    struct graced g = {&l, now, 0};

    if (!s->graced ||
        !(l.rooms = calloc(ut_map_size(s->rooms) + 1, sizeof(xm_room *))))
        return;
    ut_map_each(s->rooms, collect_graced, &g);
    s->graced = g.still > 0;
    for (size_t i = 0; i < l.n; i++) {
        xm_room_live_end_grace(l.rooms[i]);
        reap(s, l.rooms[i]);
    }
    free(l.rooms);
}

void xm_service_shutdown(xm_service *s)
{
    if (s->live) /* with the occupants: they are told 332 again on start */
        flush_live(s);
    ut_map_each(s->rooms, evict, NULL);
    s->occupants = 0;
}

xm_stats *xm_service_stats(xm_service *s)
{
    return s->stats;
}
size_t xm_service_rooms(const xm_service *s)
{
    return ut_map_size(s->rooms);
}
size_t xm_service_occupants(const xm_service *s)
{
    return s->occupants;
}

const struct xm_refusals *xm_service_refusals(const xm_service *s)
{
    return s->refusals;
}

xm_room *xm_service_room(xm_service *s, const char *name)
{
    return ut_map_get(s->rooms, name);
}

struct each_room {
    int (*fn)(void *ctx, xm_room *r);
    void *ctx;
};

static int each_step(void *ctx, const char *key, void *value)
{
    struct each_room *e = ctx;

    (void)key;
    return e->fn(e->ctx, value);
}

int xm_service_each_room(xm_service *s, int (*fn)(void *ctx, xm_room *r),
                         void *ctx)
{
    struct each_room e = {fn, ctx};
    return ut_map_each(s->rooms, each_step, &e);
}

/* ---- reloads ------------------------------------------------------------ */

void xm_service_reload(xm_service *s, const struct xm_service_config *cfg)
{
    s->cfg.max_rooms = cfg->max_rooms;
    s->cfg.max_occupants = s->env.max_occupants = cfg->max_occupants;
    s->cfg.rate_per_s = s->env.rate_per_s = cfg->rate_per_s;
    s->cfg.rate_burst = s->env.rate_burst = cfg->rate_burst;
    s->cfg.out_bytes_per_s = s->env.out_bytes_per_s = cfg->out_bytes_per_s;
    s->cfg.out_bytes_burst = s->env.out_bytes_burst = cfg->out_bytes_burst;
    s->cfg.rooms_per_jid = cfg->rooms_per_jid;
    s->cfg.rooms_per_min = cfg->rooms_per_min;
    xm_quota_set_limits(s->quota, cfg->rooms_per_jid, cfg->rooms_per_min);
    s->cfg.admins = cfg->admins;
    s->cfg.default_manager = cfg->default_manager;
    s->cfg.link_grace_ms = cfg->link_grace_ms;
}
