/* test_link_nested.c -- attack 4 of issue 14, first half: one stanza
 * nested deeper than the link allows, sent by any user to a room (or to
 * a room that does not exist), used to fail xmucd's whole component
 * stream, so every occupant of every room got 332.  Now the link skips
 * that stanza, its sender gets policy-violation, and nobody else
 * notices: on Prosody and ejabberd, occupants of another room are not
 * evicted and still exchange groupchat (docs/security.md). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_support.h"

/* <message to=to type=groupchat id=id> with depth nested <a> (the
 * innermost holds a body); libstrophe serializes it as it is. */
static xmpp_stanza_t *nested(xmpp_ctx_t *ctx, const char *to, const char *id,
                             int depth)
{
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", to, id), *cur = m;

    for (int i = 0; i < depth; i++) {
        xmpp_stanza_t *a = xmpp_stanza_new(ctx);
        xmpp_stanza_set_name(a, "a");
        xmpp_stanza_add_child(cur, a);
        xmpp_stanza_release(a);
        cur = a;
    }
    xmpp_message_set_body(m, "deep");
    return m;
}

/* Sends a message depth elements deep to `to` and waits for its error,
 * which must be policy-violation from `to`, echoing our id. */
static void bounces(hs_client *c, const char *to, int depth)
{
    char id[32];
    xmpp_stanza_t *m, *e;

    snprintf(id, sizeof id, "deep%d", depth);
    m = nested(hs_client_ctx(c), to, id, depth);
    hs_client_send(c, m);
    xmpp_stanza_release(m);
    while ((e = hs_client_wait(c, "message", LK_T))) {
        const char *eid = xmpp_stanza_get_id(e);
        if (eid && !strcmp(eid, id))
            break;
        xmpp_stanza_release(e);
    }
    cr_assert(e, "no answer to the %d-deep message to %s", depth, to);
    cr_expect_str_eq(xmpp_stanza_get_type(e) ? xmpp_stanza_get_type(e) : "",
                     "error");
    cr_expect_str_eq(lk_condition(e), "policy-violation", "%d deep to %s: %s",
                     depth, to, lk_condition(e));
    cr_expect_str_eq(xmpp_stanza_get_from(e), to);
    xmpp_stanza_release(e);
}

/* No presence that c received says it was removed (332, or any
 * unavailable self-presence). */
static void not_evicted(hs_client *c, const char *who)
{
    xmpp_stanza_t *p;

    hs_client_drain(c, 300, 3000);
    while ((p = hs_client_take(c, "presence"))) {
        cr_expect(!lk_has_status(p, 332), "%s got 332 from %s", who,
                  xmpp_stanza_get_from(p));
        cr_expect(!(xmpp_stanza_get_type(p) && lk_has_status(p, 110)),
                  "%s was removed from %s", who, xmpp_stanza_get_from(p));
        xmpp_stanza_release(p);
    }
}

/* c sends a message depth deep, expecting no answer (the server drops
 * it, or the link); then probe waits until xmucd answers again. */
static void drops_the_link(struct lk_world *w, hs_client *c, hs_client *probe,
                           const char *to, int depth)
{
    xmpp_stanza_t *m = nested(hs_client_ctx(c), to, "lost", depth);

    hs_client_send(c, m);
    xmpp_stanza_release(m);
    usleep(500 * 1000);
    lk_wait_for_xmucd(w, probe);
}

static void run(enum hs_kind kind, const int *depths, int link_killer)
{
    struct lk_world w;
    char calm[256], target[256], none[256];
    hs_client *alice, *bob, *mallory;
    xmpp_stanza_t *p;

    lk_start(&w, kind, NULL);
    lk_room(&w, "calm", calm, sizeof calm);
    lk_room(&w, "target", target, sizeof target);
    lk_room(&w, "nosuchroom", none, sizeof none);
    alice = it_anon(w.s, LK_T);
    bob = it_anon(w.s, LK_T);
    mallory = it_anon(w.s, LK_T);
    p = lk_join(alice, calm, "alice", NULL);
    cr_assert_null(xmpp_stanza_get_type(p), "%s", lk_condition(p));
    xmpp_stanza_release(p);
    p = lk_join(bob, calm, "bob", NULL);
    cr_assert_null(xmpp_stanza_get_type(p), "%s", lk_condition(p));
    xmpp_stanza_release(p);
    p = lk_join(mallory, target, "mallory", NULL);
    cr_assert_null(xmpp_stanza_get_type(p), "%s", lk_condition(p));
    xmpp_stanza_release(p);
    lk_groupchat_flows(alice, bob, calm, "before");
    for (size_t i = 0; depths[i]; i++) {
        bounces(mallory, target, depths[i]);
        bounces(mallory, none, depths[i]);
    }
    if (link_killer)
        drops_the_link(&w, mallory, alice, target, link_killer);
    not_evicted(alice, "alice");
    not_evicted(bob, "bob");
    lk_groupchat_flows(alice, bob, calm, "after");
    lk_groupchat_flows(bob, alice, calm, "and back");
    if (!link_killer) /* else ejabberd may have ended mallory's session */
        lk_groupchat_flows(mallory, mallory, target, "mallory still talks");
    hs_client_close(alice);
    hs_client_close(bob);
    hs_client_close(mallory);
    lk_stop(&w);
}

/* ejabberd 23.01 forwards 1,000 levels, but its component connection
 * closes (without a word in its log) when it routes 10,000: that is the
 * server's own limit, and a link loss, which occupants now outlive (the
 * grace period, test_link_grace.c): nobody is evicted either. */
static const int prosody_depths[] = {65, 200, 1000, 10000, 0};
static const int ejabberd_depths[] = {65, 200, 1000, 0};

Test(link_nested, prosody, .timeout = 240)
{
    run(HS_PROSODY, prosody_depths, 0);
}
Test(link_nested, ejabberd, .timeout = 240)
{
    run(HS_EJABBERD, ejabberd_depths, 10000);
}
