/* test_recovery.c -- attack 6 of issue 14: xmucd killed with SIGKILL and
 * started again; do the peers notice, come back, and does the room come
 * back as it was?  On real Prosody and ejabberd (docs/security.md,
 * "Recovery after xmucd loses its state").
 *
 * Eight pbcast peers (anonymous logins, one event base) in a temporary
 * treegossip room that p0 created with a configuration of its own (title,
 * max users, pbcast, two injection points).  Each peer groupcasts 5
 * messages; all are delivered.  Then xmucd gets SIGKILL and is started
 * again with the same arguments.
 *  - with_data_dir: xmucd keeps its live state in --data-dir.  The peers'
 *    self-pings are off, so the only way back is xmucd telling them
 *    (110 + 332) from the state it restored.
 *  - without_data_dir: xmucd starts empty.  p0 self-pings every 500 ms
 *    and re-creates the room (201), sending its configuration again; the
 *    others (self-pings off) learn it from the not-acceptable answer to
 *    a groupcast, and rejoin.
 * Asserted: every peer is back (OB_ROOM_REJOINED) within a hang
 * detector's bound (the time is printed, not asserted: a shared machine);
 * the room has p0's configuration (owner form read by a service admin)
 * and p0 as its owner; then 5 more groupcasts from each peer reach every
 * peer exactly once, in order (with the data folder, the room's sequence
 * numbers carry on from before the kill: asserted too).
 * OB_TEST_LOG=1 shows the library's diagnostics. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "it_support.h"
#include "it_world.h"
#include "orbweb.h"
#include "ut_ns.h"

#define NP 8
#define NMSG 5 /* per peer and phase */
#define T 10000
#define TITLE "Recovery room"

struct peer {
    struct it_peer it; /* c, nick, state, joined */
    int rejoined, left, send_errors;
    int delivered, dups, unordered;
    int last[NP];
    unsigned char seen[2][NP][NMSG];
    uint64_t last_seq;
    char last_error[256];
};

struct world {
    struct it_world it; /* s, x, admin, base and the peers */
    struct peer p[NP];
    char room[128];
    int phase; /* 0 before the kill, 1 after */
};

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    p->it.joined += ev->change == OB_ROOM_JOINED;
    p->rejoined += ev->change == OB_ROOM_REJOINED;
    p->left += ev->change == OB_ROOM_LEFT;
}

static struct world *the_world;

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;
    int phase, from, k;
    char nick[16];

    (void)c;
    if (sscanf(m->body, "g%d-%d-%d", &phase, &from, &k) != 3 || phase < 0 ||
        phase > 1 || from < 0 || from >= NP || k < 0 || k >= NMSG ||
        (snprintf(nick, sizeof nick, "p%d", from), strcmp(m->nick, nick))) {
        p->unordered++;
        return;
    }
    p->dups += p->seen[phase][from][k]++ > 0;
    p->unordered += phase != the_world->phase || k <= p->last[from] ||
                    !m->has_seq || m->seq <= p->last_seq;
    p->last[from] = k;
    p->last_seq = m->seq;
    p->delivered++;
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct peer *p = user;

    (void)c;
    p->send_errors += e->op == OB_OP_SEND;
    snprintf(p->last_error, sizeof p->last_error, "%s (%s)", e->text,
             e->condition);
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .room = on_room,
                                              .groupcast = on_groupcast,
                                              .error = on_error};

/* Runs the loop until pred holds; false after about 60 s (a hang). */
static bool spin(struct world *w, bool (*pred)(void *, void *), void *arg)
{
    return it_spin(w->it.base, w->it.admin, 3000, 20, pred, w, arg);
}

static void run_ms(struct world *w, int ms)
{
    it_run_for(w->it.base, ms);
}

static bool rejoined(void *vw, void *arg)
{
    struct world *w = vw;
    int *n = arg;

    for (int i = 0; i < *n; i++)
        if (!w->p[i].rejoined)
            return false;
    return true;
}

static bool all_delivered(void *vw, void *arg)
{
    struct world *w = vw;
    int want = *(int *)arg;

    for (int i = 0; i < NP; i++)
        if (w->p[i].delivered < want)
            return false;
    return true;
}

/* The peers' room events and deliveries, from the start. */
static void start(struct world *w, enum hs_kind kind, bool data_dir)
{
    char dir[512];
    char *args[] = {"--data-dir", dir, NULL};

    memset(w, 0, sizeof *w);
    the_world = w;
    it_world_server(&w->it, kind, 1, w->p, NP, sizeof w->p[0]);
    hs_server_path(w->it.s, "xmucd-data", dir, sizeof dir);
    it_world_xmucd(&w->it, data_dir ? args : NULL, T);
    for (int i = 0; i < NP; i++) {
        struct ob_options o = it_world_options(&w->it, i, &callbacks);

        o.direct_off = true;
        /* with the data folder nobody pings (the 332 path alone); without
         * it p0 does */
        o.self_ping_ms = !data_dir && i == 0 ? 500 : -1;
        for (int s = 0; s < NP; s++)
            w->p[i].last[s] = -1;
        it_world_connect(&w->it, i, &o);
    }
    cr_assert(spin(w, it_all_connected, NULL), "peers did not connect");
}

static void stop(struct world *w)
{
    it_world_stop(&w->it, "the restarted xmucd");
}

static void join_all(struct world *w)
{
    struct ob_room_config cfg = {.size = sizeof(struct ob_room_config),
                                 .manager = "treegossip",
                                 .groupcast = "pbcast",
                                 .injection_points = 2,
                                 .name = TITLE,
                                 .max_users = 50};

    snprintf(w->room, sizeof w->room, "rec@%s", hs_server_component(w->it.s));
    cr_assert_eq(ob_room_create(w->p[0].it.c, w->room, "p0", &cfg, NULL),
                 OB_OK);
    cr_assert(spin(w, it_first_joined, NULL), "p0 did not create %s: %s",
              w->room, w->p[0].last_error);
    for (int i = 1; i < NP; i++)
        cr_assert_eq(ob_room_join(w->p[i].it.c, w->room, w->p[i].it.nick, NULL),
                     OB_OK);
    cr_assert(spin(w, it_all_joined, NULL), "every peer joins %s", w->room);
    run_ms(w, 500); /* the last views reach everyone */
}

/* NMSG groupcasts from every peer, 20 a second each; every one delivered
 * to every peer. */
static void groupcast_round(struct world *w)
{
    char body[32];
    int want = (w->phase + 1) * NP * NMSG;

    for (int k = 0; k < NMSG; k++) {
        for (int i = 0; i < NP; i++) {
            snprintf(body, sizeof body, "g%d-%d-%d", w->phase, i, k);
            cr_assert_eq(ob_groupcast(w->p[i].it.c, w->room, body), OB_OK);
        }
        run_ms(w, 50);
    }
    if (!spin(w, all_delivered, &want))
        for (int i = 0; i < NP; i++)
            cr_expect_eq(w->p[i].delivered, want,
                         "phase %d: %s delivered %d "
                         "of %d (%s)",
                         w->phase, w->p[i].it.nick, w->p[i].delivered, want,
                         w->p[i].last_error);
    cr_assert(all_delivered(w, &want),
              "not every groupcast reached every peer");
    run_ms(w, 500); /* time for duplicates to show */
    for (int i = 0; i < NP; i++) {
        cr_expect_eq(w->p[i].dups, 0, "%s: %d duplicates", w->p[i].it.nick,
                     w->p[i].dups);
        cr_expect_eq(w->p[i].unordered, 0, "%s: %d out of order",
                     w->p[i].it.nick, w->p[i].unordered);
        cr_expect_eq(w->p[i].delivered, want, "%s delivered %d",
                     w->p[i].it.nick, w->p[i].delivered);
    }
}

/* The text of <value/> of the form field var, or "" (lent). */
static const char *field(xmpp_stanza_t *x, const char *var)
{
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f;
         f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_get_attribute(f, "var");
        xmpp_stanza_t *val, *t;
        if (!v || strcmp(v, var) ||
            !(val = xmpp_stanza_get_child_by_name(f, "value")) ||
            !(t = xmpp_stanza_get_children(val)))
            continue;
        return xmpp_stanza_get_text_ptr(t) ? xmpp_stanza_get_text_ptr(t) : "";
    }
    return "";
}

/* The room's configuration as its owner form shows it to a service
 * admin, and its owners. */
static void check_room(struct world *w, const char *owner)
{
    xmpp_ctx_t *ctx = hs_client_ctx(w->it.admin);
    xmpp_stanza_t *iq =
        hs_iq_query(ctx, "get", w->room, "query", UT_NS_MUC_OWNER);
    xmpp_stanza_t *r = hs_client_iq(w->it.admin, iq, T), *q, *x, *item;
    bool found = false;
    char bare[256];

    xmpp_stanza_release(iq);
    cr_assert(r && !strcmp(xmpp_stanza_get_type(r), "result"),
              "no owner form for %s", w->room);
    q = xmpp_stanza_get_child_by_name_and_ns(r, "query", UT_NS_MUC_OWNER);
    x = q ? xmpp_stanza_get_child_by_name(q, "x") : NULL;
    cr_assert(x, "an owner form");
    cr_expect_str_eq(field(x, "muc#roomconfig_roomname"), TITLE);
    cr_expect_str_eq(field(x, "muc#roomconfig_maxusers"), "50");
    cr_expect_str_eq(field(x, "https://orbweb.dev/ns/xmuc/0#groupcast"),
                     "pbcast");
    cr_expect_str_eq(field(x, "https://orbweb.dev/ns/xmuc/0#view_manager"),
                     "treegossip");
    xmpp_stanza_release(r);

    iq = hs_iq_query(ctx, "get", w->room, "query", UT_NS_MUC_ADMIN);
    item = xmpp_stanza_new(ctx);
    xmpp_stanza_set_name(item, "item");
    xmpp_stanza_set_attribute(item, "affiliation", "owner");
    xmpp_stanza_add_child(xmpp_stanza_get_child_by_name(iq, "query"), item);
    xmpp_stanza_release(item);
    r = hs_client_iq(w->it.admin, iq, T);
    xmpp_stanza_release(iq);
    cr_assert(r && !strcmp(xmpp_stanza_get_type(r), "result"),
              "no owner list for %s", w->room);
    snprintf(bare, sizeof bare, "%.*s", (int)strcspn(owner, "/"), owner);
    q = xmpp_stanza_get_child_by_name_and_ns(r, "query", UT_NS_MUC_ADMIN);
    for (item = q ? xmpp_stanza_get_children(q) : NULL; item;
         item = xmpp_stanza_get_next(item)) {
        const char *jid = xmpp_stanza_get_attribute(item, "jid");
        found |= jid && !strcmp(jid, bare);
        cr_expect(jid && !strcmp(jid, bare), "%s owns %s too", jid, w->room);
    }
    cr_expect(found, "%s is no longer the owner of %s", bare, w->room);
    xmpp_stanza_release(r);
}

static void scenario(enum hs_kind kind, bool data_dir)
{
    struct world w;
    char owner[256];
    double t0, t1, t2;
    int n = NP;

    start(&w, kind, data_dir);
    join_all(&w);
    snprintf(owner, sizeof owner, "%s", ob_client_jid(w.p[0].it.c));
    groupcast_round(&w);
    run_ms(&w, 1500); /* the live state is saved lazily: once a second */

    t0 = it_now_ms();
    cr_assert_eq(kill(hs_proc_pid(w.it.x), SIGKILL), 0);
    for (int i = 0; i < 200 && hs_proc_running(w.it.x); i++)
        run_ms(&w, 20);
    cr_assert(!hs_proc_running(w.it.x), "xmucd survived SIGKILL");
    cr_assert_eq(hs_proc_restart(w.it.x), 0, "xmucd did not start again");
    t1 = it_now_ms();
    if (!data_dir) {
        /* p0's self-ping finds the room gone and re-creates it */
        int one = 1;
        cr_assert(spin(&w, rejoined, &one), "p0 did not come back: %s",
                  w.p[0].last_error);
        for (int i = 1; i < NP; i++) /* told not-acceptable: rejoin */
            cr_assert_eq(ob_groupcast(w.p[i].it.c, w.room, "probe"), OB_OK);
    }
    cr_assert(spin(&w, rejoined, &n), "not every peer came back");
    t2 = it_now_ms();
    fprintf(stderr,
            "%s %s: every peer back %.0f ms after the SIGKILL, "
            "%.0f ms after xmucd started again\n",
            hs_kind_name(kind), data_dir ? "with data_dir" : "without data_dir",
            t2 - t0, t2 - t1);
    for (int i = 0; i < NP; i++)
        cr_expect_eq(w.p[i].left, 0, "%s left the room", w.p[i].it.nick);
    run_ms(&w, 1000); /* views settle, p0's configuration lands */
    check_room(&w, owner);

    w.phase = 1;
    if (!data_dir) /* a new room: its numbering starts again (new epoch) */
        for (int i = 0; i < NP; i++)
            w.p[i].last_seq = 0;
    for (int i = 0; i < NP; i++)
        for (int s = 0; s < NP; s++)
            w.p[i].last[s] = -1;
    groupcast_round(&w);
    stop(&w);
}

/* suite-level timeouts: Criterion 2.4 leaks with per-test ones in
 * parallel, and LeakSanitizer fails the program */
TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, with_data_dir)
{
    scenario(HS_PROSODY, true);
}
Test(prosody, without_data_dir)
{
    scenario(HS_PROSODY, false);
}
Test(ejabberd, with_data_dir)
{
    scenario(HS_EJABBERD, true);
}
Test(ejabberd, without_data_dir)
{
    scenario(HS_EJABBERD, false);
}
