/* test_link_grace.c -- attack 4 of issue 14, second half, and what it
 * relied on: a loss of xmucd's component link used to forget every
 * occupant (332 to all), and the first to rejoin an emptied temporary
 * room became its owner (201), kicked the previous owner and read the
 * owner form.  Now, on Prosody and ejabberd, with the link cut under
 * xmucd by a relay (tools/harness/hs_proxy.h):
 *   - occupants whose sessions lived on stay, get no 332, and still
 *     exchange groupchat; the owner is still owner;
 *   - one whose session ended meanwhile is found out by xmucd's ping
 *     and leaves (333);
 *   - an attacker joining first the temporary room its owner left during
 *     the outage is a plain participant of the kept room: no 201, no
 *     owner form, no kick of the owner, who gets the room back;
 *   - past the grace (a 1 s grace, a 3 s outage) occupants are told to
 *     rejoin (332), and the first one back into their emptied room is no
 *     owner either. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hs_proxy.h"
#include "link_support.h"
#include "ut_ns.h"

struct grace {
    struct lk_world w;
    hs_proxy *relay;
    char kept[256], temp[256], past[256];
};

/* (Re)starts xmucd behind the relay with the given grace in seconds. */
static void xmucd_behind_relay(struct grace *g, const char *grace_s)
{
    char err[512], server[64];
    char *args[] = {"--server",
                    server,
                    "--reconnect-min-ms",
                    "200",
                    "--reconnect-max-ms",
                    "400",
                    "--link-grace-s",
                    (char *)grace_s,
                    NULL};

    cr_assert_eq(hs_xmucd_stop(g->w.x), 0);
    snprintf(server, sizeof server, "127.0.0.1:%d", hs_proxy_port(g->relay));
    g->w.x = hs_xmucd_start(g->w.s, args, err, sizeof err);
    cr_assert(g->w.x, "%s", err);
}

static void start(struct grace *g, enum hs_kind kind)
{
    char err[512];
    hs_server *s;

    memset(g, 0, sizeof *g);
    lk_start(&g->w, kind, NULL); /* a first xmucd, directly: replaced below */
    s = g->w.s;
    cr_assert_eq(hs_proxy_start(hs_server_host(s), hs_server_component_port(s),
                                err, sizeof err, &g->relay),
                 HS_PROXY_OK, "%s", err);
    xmucd_behind_relay(g, "30");
    lk_room(&g->w, "kept", g->kept, sizeof g->kept);
    lk_room(&g->w, "temp", g->temp, sizeof g->temp);
    lk_room(&g->w, "past", g->past, sizeof g->past);
}

/* The owner form of room, as asked by c: "result" or the error's
 * condition. */
static const char *owner_form(hs_client *c, const char *room, char *buf,
                              size_t len)
{
    xmpp_stanza_t *iq =
        hs_iq_query(hs_client_ctx(c), "get", room, "query", UT_NS_MUC_OWNER);
    xmpp_stanza_t *r = hs_client_iq(c, iq, LK_T);

    xmpp_stanza_release(iq);
    cr_assert(r, "no answer to the owner form request");
    snprintf(buf, len, "%s",
             !strcmp(xmpp_stanza_get_type(r), "result") ? "result"
                                                        : lk_condition(r));
    xmpp_stanza_release(r);
    return buf;
}

/* Whether c was told, since its last drain, that nick left room with
 * status code (or, with code 0, that c itself was removed: 332). */
static bool told(hs_client *c, const char *room, const char *nick, int code)
{
    char from[512];
    xmpp_stanza_t *p;
    bool found = false;

    snprintf(from, sizeof from, "%s/%s", room, nick);
    hs_client_drain(c, 500, 5000);
    while ((p = hs_client_take(c, "presence"))) {
        const char *f = xmpp_stanza_get_from(p);
        if (xmpp_stanza_get_type(p) && f && !strcmp(f, from) &&
            lk_has_status(p, code))
            found = true;
        xmpp_stanza_release(p);
    }
    return found;
}

/* told, waiting up to 20 s: how soon xmucd finds a departure out depends
 * on how soon the server answers its ping, which a loaded machine delays
 * (a hang detector, not a timing claim). */
static bool told_eventually(hs_client *c, const char *room, const char *nick,
                            int code)
{
    time_t until = time(NULL) + 20;

    while (!told(c, room, nick, code))
        if (time(NULL) >= until)
            return false;
    return true;
}

static hs_client *user1(struct grace *g)
{
    char err[512], jid[128];
    hs_client *c;

    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(g->w.s));
    c = hs_client_connect(hs_server_host(g->w.s), hs_server_c2s_port(g->w.s),
                          jid, hs_server_password(g->w.s), LK_T, err,
                          sizeof err);
    cr_assert(c, "%s", err);
    return c;
}

static void joined(hs_client *c, const char *room, const char *nick,
                   bool creates)
{
    xmpp_stanza_t *p = lk_join(c, room, nick, NULL);

    cr_assert_null(xmpp_stanza_get_type(p), "%s: %s", nick, lk_condition(p));
    cr_assert_eq(lk_has_status(p, 201), creates, "%s: 201 %s", nick,
                 creates ? "missing" : "given to a joiner of an existing room");
    xmpp_stanza_release(p);
}

/* A link loss longer than the grace (4 s here, the outage 6 s):
 * occupants are told to rejoin (332), as before, but their emptied
 * temporary room is held for the grace once the link is back, so the
 * first to come back (mallory, at once) is no owner unless it was one. */
static void past_the_grace(struct grace *g)
{
    hs_client *alice, *bob, *mallory;
    char buf[64];

    xmucd_behind_relay(g, "4");
    alice = it_anon(g->w.s, LK_T);
    bob = it_anon(g->w.s, LK_T);
    mallory = it_anon(g->w.s, LK_T);
    joined(alice, g->past, "alice", true);
    joined(bob, g->past, "bob", false);
    hs_client_drain(alice, 300, 3000);
    hs_client_drain(bob, 300, 3000);
    hs_proxy_cut(g->relay, 6000);
    usleep(6000 * 1000);
    lk_wait_for_xmucd(&g->w, mallory);
    joined(mallory, g->past, "mallory", false);
    cr_expect(told_eventually(alice, g->past, "alice", 332),
              "alice was not told to rejoin");
    cr_expect(told_eventually(bob, g->past, "bob", 332),
              "bob was not told to rejoin");
    cr_expect_str_eq(owner_form(mallory, g->past, buf, sizeof buf),
                     "forbidden");
    joined(alice, g->past, "alice", false);
    cr_expect_str_eq(owner_form(alice, g->past, buf, sizeof buf), "result",
                     "alice did not get her room back");
    hs_client_close(alice);
    hs_client_close(bob);
    hs_client_close(mallory);
}

static void run(enum hs_kind kind)
{
    struct grace g;
    hs_client *alice, *bob, *carol, *owner, *mallory;
    xmpp_stanza_t *p;
    char buf[64];

    start(&g, kind);
    alice = it_anon(g.w.s, LK_T);
    bob = it_anon(g.w.s, LK_T);
    carol = it_anon(g.w.s, LK_T);
    owner = user1(&g);
    joined(alice, g.kept, "alice", true);
    joined(bob, g.kept, "bob", false);
    joined(carol, g.kept, "carol", false);
    joined(owner, g.temp, "owner", true);
    hs_client_drain(alice, 300, 3000);
    hs_client_drain(bob, 300, 3000);

    /* the link drops; carol and the owner go away meanwhile */
    hs_proxy_cut(g.relay, 0);
    hs_client_close(carol);
    hs_client_close(owner);
    usleep(100 * 1000);
    lk_wait_for_xmucd(&g.w, alice);

    /* the living stay; the gone are found out */
    cr_expect(!told(bob, g.kept, "bob", 332), "bob was told to rejoin");
    cr_expect(told_eventually(alice, g.kept, "carol", 333),
              "carol's departure not found out");
    lk_groupchat_flows(alice, bob, g.kept, "after the cut");
    lk_groupchat_flows(bob, alice, g.kept, "and back");
    cr_expect_str_eq(owner_form(alice, g.kept, buf, sizeof buf), "result",
                     "alice is no longer owner of her room");

    /* the attacker joins the emptied temporary room first */
    mallory = it_anon(g.w.s, LK_T);
    joined(mallory, g.temp, "mallory", false);
    cr_expect_str_eq(owner_form(mallory, g.temp, buf, sizeof buf), "forbidden");
    owner = user1(&g);
    p = lk_join(owner, g.temp, "owner", NULL);
    cr_assert_null(xmpp_stanza_get_type(p), "%s", lk_condition(p));
    xmpp_stanza_release(p);
    cr_expect_str_eq(owner_form(owner, g.temp, buf, sizeof buf), "result",
                     "the owner did not get its room back");
    it_send_xml(
        mallory,
        "<iq type='set' id='kick' to='%s'><query xmlns='" UT_NS_MUC_ADMIN
        "'><item nick='owner' role='none'/></query></iq>",
        g.temp);
    while ((p = hs_client_wait(mallory, "iq", LK_T)) &&
           strcmp(xmpp_stanza_get_id(p) ? xmpp_stanza_get_id(p) : "", "kick"))
        xmpp_stanza_release(p);
    cr_assert(p, "no answer to the kick");
    cr_expect_str_eq(lk_condition(p), "forbidden");
    xmpp_stanza_release(p);
    lk_groupchat_flows(owner, mallory, g.temp, "still the owner's room");

    hs_client_close(alice);
    hs_client_close(bob);
    hs_client_close(owner);
    hs_client_close(mallory);
    past_the_grace(&g);
    lk_stop(&g.w);
    hs_proxy_stop(g.relay);
}

Test(link_grace, prosody, .timeout = 240)
{
    run(HS_PROSODY);
}
Test(link_grace, ejabberd, .timeout = 240)
{
    run(HS_EJABBERD);
}
