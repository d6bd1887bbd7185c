/* test_link_jid.c -- issue 14's smaller ones (9), on Prosody and
 * ejabberd: liborbweb joining `CaseRoom@...` got no event, no error and
 * no groupcast (the server lowercases the room, the client matched the
 * JID literally); a join without a nick got item-not-found; a join with
 * `manager='bogus'` was silently given the default manager.  Now the
 * peer joins the canonical room (and a second peer naming it in lower
 * case is in the same room), the nickless join gets jid-malformed and
 * the unknown manager not-acceptable. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "link_support.h"
#include "orbweb.h"

struct peer {
    ob_client *c;
    int connected, joined, errors, groupcasts;
    char room[256], body[64];
};

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    (void)c;
    ((struct peer *)user)->connected += st == OB_STATE_CONNECTED;
}

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    if (ev->change == OB_ROOM_JOINED) {
        p->joined++;
        snprintf(p->room, sizeof p->room, "%s", ev->room);
    }
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    p->groupcasts++;
    snprintf(p->body, sizeof p->body, "%s", m->body);
}

/* Errors about rooms (connection trouble is retried by the library). */
static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    (void)c;
    if (e->op == OB_OP_JOIN || e->room) {
        ((struct peer *)user)->errors++;
        cr_expect_fail("liborbweb error: %s %s", e->condition, e->text);
    }
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = on_state,
                                              .room = on_room,
                                              .groupcast = on_groupcast,
                                              .error = on_error};

/* Runs base until *counter reaches want; false after about 20 s. */
static bool spin(struct event_base *base, const int *counter, int want)
{
    for (int i = 0; i < 1000 && *counter < want; i++) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return *counter >= want;
}

static void peer_start(struct peer *p, struct lk_world *w,
                       struct event_base *base)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(w->s),
                           .port = hs_server_c2s_port(w->s),
                           .jid = hs_server_anon_domain(w->s),
                           .tls = OB_TLS_TRUST,
                           .base = base,
                           .cb = &callbacks,
                           .user = p,
                           .direct_off = true};

    memset(p, 0, sizeof *p);
    cr_assert_eq(ob_client_new(&o, &p->c), OB_OK);
    cr_assert_eq(ob_connect(p->c), OB_OK);
}

/* liborbweb in CaseRoom: joined (under the canonical JID), and the
 * groupcasts of a peer that named the room in lower case reach it. */
static void case_room(struct lk_world *w)
{
    struct event_base *base = event_base_new();
    struct peer a, b;
    char mixed[256], lower[256];

    snprintf(mixed, sizeof mixed, "CaseRoom@%s", hs_server_component(w->s));
    lk_room(w, "caseroom", lower, sizeof lower);
    peer_start(&a, w, base);
    peer_start(&b, w, base);
    cr_assert(spin(base, &a.connected, 1) && spin(base, &b.connected, 1),
              "the peers did not connect");
    cr_assert_eq(ob_room_join(a.c, mixed, "Alice", NULL), OB_OK);
    cr_assert(spin(base, &a.joined, 1), "no event for the join of %s", mixed);
    cr_expect_str_eq(a.room, lower);
    cr_assert_eq(ob_room_join(b.c, lower, "bob", NULL), OB_OK);
    cr_assert(spin(base, &b.joined, 1), "bob did not join %s", lower);
    cr_assert_eq(ob_room_join(a.c, lower, "again", NULL), OB_EEXIST,
                 "one room, whatever the case");
    cr_assert_eq(ob_groupcast(b.c, lower, "to the lower case"), OB_OK);
    cr_assert(spin(base, &a.groupcasts, 1),
              "the groupcast did not reach alice");
    cr_expect_str_eq(a.body, "to the lower case");
    cr_assert_eq(ob_groupcast(a.c, mixed, "from CaseRoom"), OB_OK);
    cr_assert(spin(base, &b.groupcasts, 2),
              "alice's groupcast did not reach bob");
    cr_expect_str_eq(b.body, "from CaseRoom");
    cr_expect_eq(a.errors + b.errors, 0);
    ob_client_free(a.c);
    ob_client_free(b.c);
    event_base_free(base);
}

/* A raw client's join: the error condition it gets. */
static void join_refused(hs_client *c, const char *to, const char *extra,
                         const char *want)
{
    xmpp_stanza_t *r;

    it_send_xml(c,
                "<presence to='%s'><x xmlns='http://jabber.org/protocol/muc'/>"
                "%s</presence>",
                to, extra);
    while (
        (r = hs_client_wait(c, "presence", LK_T)) &&
        !(xmpp_stanza_get_type(r) && !strcmp(xmpp_stanza_get_type(r), "error")))
        xmpp_stanza_release(r);
    cr_assert(r, "no error for the join of %s", to);
    cr_expect_str_eq(lk_condition(r), want, "%s %s", to, extra);
    xmpp_stanza_release(r);
}

static void run(enum hs_kind kind)
{
    struct lk_world w;
    char room[256], to[300];
    hs_client *c;

    lk_start(&w, kind, NULL);
    case_room(&w);
    c = it_anon(w.s, LK_T);
    lk_room(&w, "nonick", room, sizeof room);
    join_refused(c, room, "", "jid-malformed");
    snprintf(to, sizeof to, "%s/n", lk_room(&w, "bogus", room, sizeof room));
    join_refused(c, to,
                 "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='bogus'/>",
                 "not-acceptable");
    hs_client_close(c);
    lk_stop(&w);
}

Test(link_jid, prosody, .timeout = 240)
{
    run(HS_PROSODY);
}
Test(link_jid, ejabberd, .timeout = 240)
{
    run(HS_EJABBERD);
}
