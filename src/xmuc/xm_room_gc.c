/* xm_room_gc.c -- a room's groupcast engines other than relay: where a
 * groupcast is injected, and, in tapbcast rooms, segment detection
 * driven through the room (probe IQs out, answers in, merges and splits
 * turned into presences).  Protocol: docs/segments.md.
 *
 * tree and pbcast: the groupcast goes to the k occupants that have been
 * in the room longest (k = injection_points, default 2); they forward it
 * along their tree edges (pbcast peers also gossip).  tapbcast: it goes
 * to the ring, one representative per segment.  Either way the stanza
 * carries <groupcast seq= origin= mode= sig=/> so that peers can forward
 * it and drop duplicates; relay rooms never come here.
 *
 * Authenticated groupcast (docs/security.md): each room has an Ed25519
 * key, made with the room (gc_sig.h).  sig= is the room's signature over
 * (room, seq, origin nick, SHA-256 of the body), which peers check before
 * they buffer, forward or deliver.  Occupants of engine rooms get the
 * public key and a membership token (room, real JID, expiry: tokens are
 * what peers ask before they answer digests and solicits) in their
 * self-presence; tokens are renewed by a message from the room while
 * less than half their lifetime is left. */
#include "config.h"

#include "xm_log.h"
#include "xm_room_internal.h"
#include "xm_room_gc.h"
#include "xm_segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc_sig.h"
#include "ut_ns.h"

#define INJECTION_DEFAULT 2
#define TOKEN_LIFETIME_S 600u /* a membership token is valid 10 minutes */
#define RENEW_CHECK_S 10u     /* how often the renewal pass looks */
#define PROBE_ID_PREFIX "seg-"
#define PROBE_GRANT_TTL "10000" /* ms: the probe's own timeout */

static void send_to(xm_room *r, const struct xm_occupant *to, xmpp_stanza_t *m)
{
    if (!to)
        return;
    xmpp_stanza_set_to(m, to->jid);
    xm_room_send(r, m);
}

static int send_to_rep(void *ctx, vm_id id)
{
    void **a = ctx;
    xm_room *r = a[0];

    send_to(r, id < r->cap ? r->occ[id] : NULL, a[1]);
    return 0;
}

/* The k longest-present occupants into best[0..k), oldest first; returns
 * how many there are.  O(n k): k is small. */
static uint32_t oldest(const xm_room *r, const struct xm_occupant **best,
                       uint32_t k)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < r->cap; i++) {
        const struct xm_occupant *o = r->occ[i];
        uint32_t j;
        if (!o)
            continue;
        if (n < k)
            n++;
        else if (o->since >= best[k - 1]->since)
            continue;
        for (j = n - 1; j > 0 && best[j - 1]->since > o->since; j--)
            best[j] = best[j - 1];
        best[j] = o;
    }
    return n;
}

static int count_rep(void *ctx, vm_id id)
{
    (void)id;
    (*(size_t *)ctx)++;
    return 0;
}

/* Fan-out accounting: the recipients xm_room_gc_inject will pick. */
size_t xm_room_gc_fanout(const xm_room *r)
{
    uint32_t k =
        r->cfg.injection_points ? r->cfg.injection_points : INJECTION_DEFAULT;
    size_t n = 0;

    if (!strcmp(r->cfg.groupcast, "tapbcast") &&
        vm_tapbcast_ring_each(r->view, count_rep, &n) == VM_OK)
        return n;
    return k < r->n ? k : r->n;
}

/* ---- authentication ---- */

/* Tokens carry wall-clock expiries (peers compare them with their own
 * clocks); the room's env clock is monotonic. */
static uint64_t wall_s(void)
{
    return (uint64_t)time(NULL);
}

/* Sets attribute name to the base64 of b[0..n). */
static void set_b64(xm_room *r, xmpp_stanza_t *el, const char *name,
                    const uint8_t *b, size_t n)
{
    xmpp_ctx_t *ctx = r->env->out->xctx;
    char *t = xmpp_base64_encode(ctx, b, n);

    if (t)
        xmpp_stanza_set_attribute(el, name, t);
    xmpp_free(ctx, t);
}

/* g's sig=: the room's signature over this groupcast.  Without one
 * (out of memory), peers drop it: nothing unsigned is ever delivered. */
static void sign(xm_room *r, const struct xm_occupant *o, xmpp_stanza_t *m,
                 xmpp_stanza_t *g)
{
    xmpp_stanza_t *b = xmpp_stanza_get_child_by_name(m, "body");
    char *body = b ? xmpp_stanza_get_text(b) : NULL;
    gc_sig_msg sm = {r->jid, r->seq, o->nick, (const uint8_t *)body,
                     body ? strlen(body) : 0};
    uint8_t sig[GC_SIG_LEN];

    if (gc_sig_msg_sign(r->gc_key, &sm, sig) == GC_OK)
        set_b64(r, g, "sig", sig, sizeof sig);
    else
        xm_error("room %s: groupcast %llu left unsigned (no key or out of "
                 "memory): peers will drop it",
                 r->name, (unsigned long long)r->seq);
    if (body)
        xmpp_free(r->env->out->xctx, body);
}

_Static_assert(GC_SIG_KEY_LEN == 32, "xm_room_internal.h says 32");

int xm_room_gc_key_seed(const xm_room *r, uint8_t seed[32])
{
    return r->gc_key && gc_sig_key_private(r->gc_key, seed) == GC_OK ? 0 : -1;
}

int xm_room_gc_set_key(xm_room *r, const uint8_t seed[32])
{
    gc_sig_key *k;

    if (gc_sig_key_from_private(seed, &k) != GC_OK)
        return -1;
    gc_sig_key_free(r->gc_key);
    r->gc_key = k;
    return 0;
}

int xm_room_public_key(const xm_room *r, uint8_t pub[32])
{
    return r->gc_key && gc_sig_key_public(r->gc_key, pub) == GC_OK ? 0 : -1;
}

/* key= and token= on el, for occupant o; records the token's expiry. */
void xm_room_gc_credentials(xm_room *r, struct xm_occupant *o,
                            xmpp_stanza_t *el)
{
    uint8_t pub[GC_SIG_KEY_LEN], tok[GC_SIG_TOKEN_MAX];
    uint64_t exp = wall_s() + TOKEN_LIFETIME_S;
    size_t n;

    if (gc_sig_key_public(r->gc_key, pub) ||
        gc_sig_token_issue(r->gc_key, r->jid, o->jid, exp, tok, sizeof tok, &n))
        return; /* no key: peers drop this room's groupcasts */
    set_b64(r, el, "key", pub, sizeof pub);
    set_b64(r, el, "token", tok, n);
    o->gc_token_exp = exp;
}

/* <message from=room type=normal><gc room= mode= key= token=/></message>:
 * a fresh token (and the key) for o. */
static void renew(xm_room *r, struct xm_occupant *o)
{
    xmpp_stanza_t *m = xm_elem_new(r->env->out->xctx, "message", NULL), *g;

    if (!m)
        return;
    xmpp_stanza_set_type(m, "normal");
    xmpp_stanza_set_from(m, r->jid);
    xmpp_stanza_set_to(m, o->jid);
    if ((g = xm_child(m, "gc", UT_NS_XMUC))) {
        xmpp_stanza_set_attribute(g, "room", r->jid);
        xmpp_stanza_set_attribute(g, "mode", r->cfg.groupcast);
        xm_room_gc_credentials(r, o, g);
        if (xmpp_stanza_get_attribute(g, "token"))
            xm_room_send(r, m);
    }
    xmpp_stanza_release(m);
}

/* Every RENEW_CHECK_S: occupants of an engine room whose token has less
 * than half its lifetime left (or none: the room just left relay mode)
 * get a new one. */
static void renew_due(xm_room *r)
{
    uint64_t now = wall_s();

    if (now < r->gc_renew_at || !strcmp(r->cfg.groupcast, "relay"))
        return;
    r->gc_renew_at = now + RENEW_CHECK_S;
    for (uint32_t i = 0; i < r->cap; i++)
        if (r->occ[i] && r->occ[i]->gc_token_exp < now + TOKEN_LIFETIME_S / 2)
            renew(r, r->occ[i]);
}

void xm_room_gc_fini(xm_room *r)
{
    gc_sig_key_free(r->gc_key);
    r->gc_key = NULL;
}

/* ---- injection ---- */

void xm_room_gc_inject(xm_room *r, const struct xm_occupant *o,
                       xmpp_stanza_t *m, xmpp_stanza_t *g)
{
    uint32_t k =
        r->cfg.injection_points ? r->cfg.injection_points : INJECTION_DEFAULT;
    const struct xm_occupant *best[256];

    xmpp_stanza_set_attribute(g, "origin", o->nick);
    xmpp_stanza_set_attribute(g, "mode", r->cfg.groupcast);
    sign(r, o, m, g);
    if (!strcmp(r->cfg.groupcast, "tapbcast")) {
        void *a[2] = {r, m};
        if (vm_tapbcast_ring_each(r->view, send_to_rep, a) == VM_OK)
            return; /* else not a tapbcast manager: injection points */
    }
    if (k > sizeof best / sizeof *best)
        k = sizeof best / sizeof *best;
    k = oldest(r, best, k);
    for (uint32_t i = 0; i < k; i++)
        send_to(r, best[i], m);
}

/* ---- segment detection ---- */

/* <message from=room to=target><probe-grant xmlns=orbweb peer=asker
 * ttl=ms/></message>: the target takes a session-initiate from the asker
 * for ttl ms (docs/segments.md, "Probe grants").  Sent before the probe,
 * on the same component stream, so the server hands it to the target
 * before the asker can even have the probe.  The asker is named as the
 * target will see it: its real JID, or its occupant JID in a
 * semi-anonymous room.  0, or -1 when it could not be built. */
static int send_grant(xm_room *r, const struct xm_occupant *a,
                      const struct xm_occupant *t)
{
    xmpp_stanza_t *m = xm_elem_new(r->env->out->xctx, "message", NULL), *g;
    char occ_jid[1024];

    if (!m)
        return -1;
    snprintf(occ_jid, sizeof occ_jid, "%s/%s", r->jid, a->nick);
    xmpp_stanza_set_type(m, "normal");
    xmpp_stanza_set_from(m, r->jid);
    xmpp_stanza_set_to(m, t->jid);
    if (!(g = xm_child(m, "probe-grant", UT_NS_XMUC))) {
        xmpp_stanza_release(m);
        return -1;
    }
    xmpp_stanza_set_attribute(g, "peer",
                              r->cfg.semi_anonymous ? occ_jid : a->jid);
    xmpp_stanza_set_attribute(g, "ttl", PROBE_GRANT_TTL);
    xm_room_send(r, m);
    xmpp_stanza_release(m);
    return 0;
}

/* <iq type='get' id='seg-N'><probe xmlns=orbweb target=JID nick=/></iq>
 * to the asker.  The target is named by its real JID (a direct session
 * needs it) unless the room is semi-anonymous. */
static int send_probe(void *ctx, uint32_t probe, vm_id asker, vm_id target)
{
    xm_room *r = ctx;
    const struct xm_occupant *a = asker < r->cap ? r->occ[asker] : NULL;
    const struct xm_occupant *t = target < r->cap ? r->occ[target] : NULL;
    xmpp_stanza_t *iq, *p;
    char id[32], occ_jid[1024];

    if (!a || !t || send_grant(r, a, t) ||
        !(iq = xm_elem_new(r->env->out->xctx, "iq", NULL)))
        return -1;
    snprintf(id, sizeof id, PROBE_ID_PREFIX "%u", probe);
    snprintf(occ_jid, sizeof occ_jid, "%s/%s", r->jid, t->nick);
    xmpp_stanza_set_type(iq, "get");
    xmpp_stanza_set_id(iq, id);
    xmpp_stanza_set_from(iq, r->jid);
    xmpp_stanza_set_to(iq, a->jid);
    if (!(p = xm_child(iq, "probe", UT_NS_XMUC))) {
        xmpp_stanza_release(iq);
        return -1;
    }
    xmpp_stanza_set_attribute(p, "target",
                              r->cfg.semi_anonymous ? occ_jid : t->jid);
    xmpp_stanza_set_attribute(p, "nick", t->nick);
    xm_room_send(r, iq);
    xmpp_stanza_release(iq);
    return 0;
}

void xm_room_gc_sync(xm_room *r)
{
    bool want = !strcmp(r->cfg.groupcast, "tapbcast");
    struct xm_seg_config c = {
        .seed = r->env->seed ^ 0x5e9e5e9e, .send = send_probe, .ctx = r};

    if (r->seg && (!want || r->seg_view != r->view)) {
        xm_seg_free(r->seg);
        r->seg = NULL;
    }
    if (want && !r->seg && xm_seg_new(&c, r->view, &r->seg) == XM_SEG_OK)
        r->seg_view = r->view;
    if (want && !r->seg)
        xm_error("room %s: no segment detection (out of memory, or the view "
                 "manager is not tapbcast); segments stay as they are",
                 r->name);
    if (!r->gc_key && gc_sig_key_generate(&r->gc_key))
        xm_error("room %s: no signing key (out of memory): peers will drop "
                 "its engine groupcasts",
                 r->name);
}

void xm_room_gc_tick(xm_room *r)
{
    if (r->seg)
        xm_seg_tick(r->seg, r->env->now_ms(r->env->ctx));
    renew_due(r);
}

/* Parses "seg-N"; false when the id is not one of ours. */
static bool probe_id(const char *id, uint32_t *n)
{
    char *end;
    unsigned long v;

    if (!id || strncmp(id, PROBE_ID_PREFIX, strlen(PROBE_ID_PREFIX)))
        return false;
    id += strlen(PROBE_ID_PREFIX);
    v = strtoul(id, &end, 10);
    if (!*id || *end || v > UINT32_MAX)
        return false;
    *n = (uint32_t)v;
    return true;
}

void xm_room_gc_answer(xm_room *r, xmpp_stanza_t *iq)
{
    const struct xm_occupant *o =
        xm_room_occupant_by_jid(r, xmpp_stanza_get_from(iq));
    xmpp_stanza_t *p;
    const char *ok;
    uint32_t n;

    /* An error answer is no evidence either way: the probe times out. */
    if (!r->seg || !o || strcmp(xmpp_stanza_get_type(iq), "result") ||
        !probe_id(xmpp_stanza_get_id(iq), &n) ||
        !(p = xmpp_stanza_get_child_by_name_and_ns(iq, "probe", UT_NS_XMUC)) ||
        !(ok = xmpp_stanza_get_attribute(p, "ok")) ||
        (strcmp(ok, "true") && strcmp(ok, "false")))
        return;
    r->n_deltas = 0;
    xm_seg_answer(r->seg, n, o->id, !strcmp(ok, "true"),
                  r->env->now_ms(r->env->ctx));
    xm_room_apply_deltas(r);
}
