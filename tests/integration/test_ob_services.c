/* test_ob_services.c -- what the services get from liborbweb's public
 * API, between two real peers on Prosody and ejabberd with xmucd:
 *
 * - the room's view and our standing in it (ob_room_neighbour by nick
 *   and by JID, ob_room_view counting, ob_room_status);
 * - a timer on the client's loop firing once, not early;
 * - RPC relayed through the server (distance 2): a binary round trip,
 *   no such method, a remote error with its code, a timeout and the late
 *   reply dropped and counted, an asynchronous answer, 200 calls in
 *   flight at once, a call to a JID that does not exist bounced (gone),
 *   and no RPC frame ever reaching the application's unicast callback;
 * - a call failed as gone when its peer leaves the room;
 * - the same round trip once a direct stream is up (distance 1), its
 *   frames counted on the direct path both ways.
 * Waits are bounded only to catch hangs; no duration is asserted beyond
 * "not before the timer's delay". */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_server.h"
#include "it_support.h"
#include "it_world.h"
#include "orbweb.h"

struct peer {
    struct it_peer it;  /* c, nick, state, joined */
    int unicasts;       /* what the application's unicast callback saw */
    int rpc_in_unicast; /* of which RPC frames (must stay 0) */
    ob_rpc_req *held;   /* "slow": answered later */
};

struct world {
    hs_server *s;
    struct hs_proc *x;
    struct event_base *base;
    char room[96];
    struct peer a, b;
};

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    p->unicasts++;
    if (m->data && m->data_len >= 4 && !memcmp(m->data, "\0ORP", 4))
        p->rpc_in_unicast++;
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .room = it_on_room,
                                              .unicast = on_unicast};

static bool spin(struct world *w, bool (*pred)(struct world *, void *),
                 void *arg)
{
    for (int i = 0; i < 4000; i++) {
        struct timeval tv = {0, 10000};
        if (pred(w, arg))
            return true;
        event_base_loopexit(w->base, &tv);
        event_base_dispatch(w->base);
    }
    return pred(w, arg);
}

static bool both_connected(struct world *w, void *arg)
{
    (void)arg;
    return w->a.it.state == OB_STATE_CONNECTED &&
           w->b.it.state == OB_STATE_CONNECTED;
}

static void peer_new(struct world *w, struct peer *p, const char *name)
{
    struct ob_options o = {.size = sizeof o,
                           .host = hs_server_host(w->s),
                           .port = hs_server_c2s_port(w->s),
                           .jid = hs_server_anon_domain(w->s),
                           .tls = OB_TLS_TRUST,
                           .base = w->base,
                           .cb = &callbacks,
                           .user = p,
                           .direct_round_ms = 100,
                           .log = getenv("OB_TEST_LOG") ? it_log_stderr : NULL};

    snprintf(p->it.nick, sizeof p->it.nick, "%s", name);
    cr_assert_eq(ob_client_new(&o, &p->it.c), OB_OK);
    cr_assert_eq(ob_connect(p->it.c), OB_OK);
}

static void start(struct world *w, enum hs_kind kind)
{
    char err[2048];
    struct hs_options opt = {.accounts = 1};

    memset(w, 0, sizeof *w);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
    w->x = hs_xmucd_start(w->s, NULL, err, sizeof err);
    cr_assert(w->x, "%s", err);
    cr_assert(w->base = event_base_new());
    snprintf(w->room, sizeof w->room, "svc@%s", hs_server_component(w->s));
    peer_new(w, &w->a, "alice");
    peer_new(w, &w->b, "bob");
    cr_assert(spin(w, both_connected, NULL), "peers did not connect");
}

static void stop(struct world *w)
{
    ob_client_free(w->a.it.c);
    ob_client_free(w->b.it.c);
    event_base_free(w->base);
    cr_expect_eq(hs_xmucd_stop(w->x), 0, "xmucd did not exit cleanly");
    hs_server_stop(w->s);
}

/* ---- the room's view ------------------------------------------------ */

static bool a_joined(struct world *w, void *arg)
{
    (void)arg;
    return w->a.it.joined;
}

static bool see_each_other(struct world *w, void *arg)
{
    (void)arg;
    return w->a.it.joined && w->b.it.joined &&
           ob_room_view(w->a.it.c, w->room, NULL, NULL) == 1 &&
           ob_room_view(w->b.it.c, w->room, NULL, NULL) == 1;
}

struct found {
    int n;
    char nick[32], jid[256], attrs[64];
};

static void on_found(const struct ob_view_event *n, void *arg)
{
    struct found *f = arg;

    f->n++;
    snprintf(f->nick, sizeof f->nick, "%s", n->nick);
    snprintf(f->jid, sizeof f->jid, "%s", n->jid ? n->jid : "");
    snprintf(f->attrs, sizeof f->attrs, "%s", n->attrs);
}

static void view(struct world *w)
{
    struct ob_room_config cfg = {.size = sizeof cfg, .manager = "complete"};
    struct ob_join_params jp = {.size = sizeof jp, .has_key = true, .key = 42};
    struct ob_room_status st = OB_ROOM_STATUS_INIT;
    struct found f = {0};
    char bare[256], *slash;

    cr_assert_eq(ob_room_create(w->a.it.c, w->room, "alice", &cfg, &jp), OB_OK);
    cr_assert_eq(ob_room_status(w->a.it.c, w->room, &st), OB_OK);
    cr_expect_eq(st.phase, OB_ROOM_PHASE_JOINING);
    cr_assert(spin(w, a_joined, NULL), "alice did not make the room");
    cr_assert_eq(ob_room_join(w->b.it.c, w->room, "bob", NULL), OB_OK);
    cr_assert(spin(w, see_each_other, NULL),
              "the two peers did not see each other");
    cr_assert_eq(ob_room_neighbour(w->a.it.c, w->room, "bob", on_found, &f),
                 OB_OK);
    cr_expect_eq(f.n, 1);
    cr_expect_str_eq(f.jid, ob_client_jid(w->b.it.c),
                     "the neighbour's real JID");
    cr_expect_str_eq(f.attrs, "member");
    memset(&f, 0, sizeof f);
    cr_assert_eq(ob_room_neighbour(w->b.it.c, w->room, ob_client_jid(w->a.it.c),
                                   on_found, &f),
                 OB_OK);
    cr_expect_str_eq(f.nick, "alice", "found by full JID");
    snprintf(bare, sizeof bare, "%s", ob_client_jid(w->a.it.c));
    if ((slash = strchr(bare, '/')))
        *slash = 0;
    cr_expect_eq(ob_room_neighbour(w->b.it.c, w->room, bare, NULL, NULL), OB_OK,
                 "by bare JID");
    cr_expect_eq(ob_room_neighbour(w->a.it.c, w->room, "carol", on_found, &f),
                 OB_ENOTFOUND);
    cr_expect_eq(ob_room_neighbour(w->a.it.c, w->room, "alice", NULL, NULL),
                 OB_ENOTFOUND, "we are not our own neighbour");
    cr_assert_eq(ob_room_status(w->a.it.c, w->room, &st), OB_OK);
    cr_expect_eq(st.size, sizeof st);
    cr_expect_str_eq(st.room, w->room);
    cr_expect_str_eq(st.nick, "alice");
    cr_expect_eq(st.phase, OB_ROOM_PHASE_IN);
    cr_expect_eq(st.neighbours, 1);
    cr_expect_str_eq(st.manager, "complete");
    cr_expect_str_eq(st.groupcast, "relay");
    cr_expect(st.owner, "alice created and configured the room");
    cr_expect(st.has_key && st.key == 42);
    cr_expect(!st.has_segment);
    cr_assert_eq(ob_room_status(w->b.it.c, w->room, &st), OB_OK);
    cr_expect_str_eq(st.nick, "bob");
    cr_expect(!st.owner && !st.has_key);
}

/* ---- timers ------------------------------------------------------------ */

struct tick {
    int fired;
    double at;
};

static void on_tick(ob_timer *t, void *arg)
{
    struct tick *k = arg;

    (void)t;
    k->fired++;
    k->at = it_now_ms();
}

static bool ticked(struct world *w, void *arg)
{
    (void)w;
    return ((struct tick *)arg)->fired > 0;
}

static void timers(struct world *w)
{
    struct tick k = {0};
    ob_timer *t;
    double t0;

    cr_assert_eq(ob_timer_new(w->a.it.c, on_tick, &k, &t), OB_OK);
    t0 = it_now_ms();
    cr_assert_eq(ob_timer_start(t, 50), OB_OK);
    cr_assert(spin(w, ticked, &k), "the timer did not fire");
    cr_expect_geq(k.at - t0, 49.0, "fired after %.1f ms, before its 50",
                  k.at - t0);
    it_run_for(w->base, 100);
    cr_expect_eq(k.fired, 1, "once");
    ob_timer_free(t);
}

/* ---- RPC ------------------------------------------------------------- */

static void m_echo(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                   void *arg)
{
    (void)c, (void)arg;
    cr_assert_eq(ob_rpc_reply(q, data, len), OB_OK);
}

static void m_fail(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                   void *arg)
{
    (void)c, (void)data, (void)len, (void)arg;
    ob_rpc_fail(q, 7, "not today");
}

static void m_slow(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                   void *arg)
{
    (void)c, (void)data, (void)len;
    ((struct peer *)arg)->held = q;
}

struct res {
    int n, code, remote_code;
    size_t len;
    unsigned char *data;
    char text[128];
};

static void on_res(ob_client *c, const struct ob_rpc_result *r, void *arg)
{
    struct res *x = arg;

    (void)c;
    x->n++;
    x->code = r->code;
    x->remote_code = r->remote_code;
    x->len = r->len;
    free(x->data);
    x->data = r->len ? malloc(r->len) : NULL;
    if (r->len)
        memcpy(x->data, r->data, r->len);
    snprintf(x->text, sizeof x->text, "%s", r->text);
}

static bool answered(struct world *w, void *arg)
{
    (void)w;
    return ((struct res *)arg)->n > 0;
}

/* One echo of len patterned bytes (NULs included) from alice to bob. */
static void echo(struct world *w, size_t len)
{
    unsigned char *buf = malloc(len);
    struct res r = {0};

    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 131u >> 3);
    cr_assert_eq(ob_rpc_call(w->a.it.c, ob_client_jid(w->b.it.c), "echo", buf,
                             len, 10000, on_res, &r, NULL),
                 OB_OK);
    cr_assert(spin(w, answered, &r), "no answer to echo");
    cr_assert_eq(r.code, OB_OK, "%s", r.text);
    cr_assert_eq(r.len, len);
    cr_assert(!memcmp(r.data, buf, len), "the reply changed");
    free(r.data);
    free(buf);
}

static bool slow_held(struct world *w, void *arg)
{
    (void)arg;
    return w->b.held != NULL;
}

static struct ob_stats stats(ob_client *c)
{
    struct ob_stats st = OB_STATS_INIT;

    cr_assert_eq(ob_client_stats(c, &st), OB_OK);
    return st;
}

static bool dropped_one(struct world *w, void *arg)
{
    (void)arg;
    return stats(w->a.it.c).rpc_dropped >= 1;
}

static void call_expect(struct world *w, const char *peer, const char *method,
                        int timeout, int code)
{
    struct res r = {0};

    cr_assert_eq(
        ob_rpc_call(w->a.it.c, peer, method, "x", 1, timeout, on_res, &r, NULL),
        OB_OK);
    cr_assert(spin(w, answered, &r), "no result for %s", method);
    cr_expect_eq(r.code, code, "%s: %s", method, r.text);
    if (code == OB_EREMOTE) {
        cr_expect_eq(r.remote_code, 7);
        cr_expect_str_eq(r.text, "not today");
    }
    free(r.data);
}

struct many {
    int n, ok;
};

static void on_many(ob_client *c, const struct ob_rpc_result *r, void *arg)
{
    struct many *m = arg;

    (void)c;
    m->n++;
    m->ok += r->code == OB_OK && r->len == sizeof(int);
}

static bool all_many(struct world *w, void *arg)
{
    (void)w;
    return ((struct many *)arg)->n >= 200;
}

static bool three_plain(struct world *w, void *arg)
{
    return w->b.unicasts >= *(int *)arg + 3;
}

static void rpc_relayed(struct world *w)
{
    const char *bob = ob_client_jid(w->b.it.c);
    char nobody[128], bob_in_room[160], me_in_room[160];
    struct ob_stats before = stats(w->a.it.c), after;
    struct many m = {0};
    int seen = w->b.unicasts;

    cr_assert_eq(ob_rpc_register(w->b.it.c, "echo", m_echo, NULL), OB_OK);
    cr_assert_eq(ob_rpc_register(w->b.it.c, "fail", m_fail, NULL), OB_OK);
    cr_assert_eq(ob_rpc_register(w->b.it.c, "slow", m_slow, &w->b), OB_OK);
    snprintf(bob_in_room, sizeof bob_in_room, "%s/bob", w->room);
    snprintf(me_in_room, sizeof me_in_room, "%s/alice", w->room);
    cr_assert_eq(ob_distance(w->a.it.c, bob), OB_DIST_SERVER);
    cr_expect_eq(ob_distance(w->a.it.c, bob_in_room), OB_DIST_SERVER,
                 "room/nick is resolved to the member behind it");
    cr_expect_eq(ob_distance(w->a.it.c, me_in_room), OB_DIST_SELF);
    echo(w, 5);
    echo(w, 3000);
    after = stats(w->a.it.c);
    cr_expect_eq(after.unicasts_relayed, before.unicasts_relayed + 2,
                 "relayed requests");
    cr_expect_eq(after.unicasts_direct, before.unicasts_direct);
    call_expect(w, bob, "missing", 10000, OB_ENOMETHOD);
    call_expect(w, bob, "fail", 10000, OB_EREMOTE);
    call_expect(w, bob, "slow", 200, OB_ETIMEDOUT);
    cr_assert(spin(w, slow_held, NULL));
    cr_assert_eq(ob_rpc_reply(w->b.held, "late", 4), OB_OK);
    w->b.held = NULL;
    cr_assert(spin(w, dropped_one, NULL),
              "the late reply was not counted as dropped");
    for (int i = 0; i < 200; i++)
        cr_assert_eq(ob_rpc_call(w->a.it.c, bob, "echo", &i, sizeof i, 20000,
                                 on_many, &m, NULL),
                     OB_OK);
    cr_assert(spin(w, all_many, &m), "%d of 200 answered", m.n);
    cr_expect_eq(m.ok, 200);
    for (int i = 0; i < 3; i++) /* plain unicasts still reach the callback */
        cr_assert_eq(ob_unicast(w->a.it.c, bob, "plain"), OB_OK);
    cr_assert(spin(w, three_plain, &seen), "plain unicasts did not arrive");
    snprintf(nobody, sizeof nobody, "nobody@%s/x", hs_server_anon_domain(w->s));
    call_expect(w, nobody, "echo", 20000, OB_EGONE);
    cr_expect_eq(w->b.rpc_in_unicast + w->a.rpc_in_unicast, 0,
                 "an RPC frame reached the unicast callback");
}

static bool is_direct(struct world *w, void *arg)
{
    (void)arg;
    return ob_distance(w->a.it.c, ob_client_jid(w->b.it.c)) == OB_DIST_DIRECT &&
           ob_distance(w->b.it.c, ob_client_jid(w->a.it.c)) == OB_DIST_DIRECT;
}

/* Plain unicasts until the session policy opens a direct stream. */
static void bring_up_direct(struct world *w)
{
    for (int i = 0; i < 3000 && !is_direct(w, NULL); i++) {
        cr_assert_eq(ob_unicast(w->a.it.c, ob_client_jid(w->b.it.c), "hi"),
                     OB_OK);
        cr_assert_eq(ob_unicast(w->b.it.c, ob_client_jid(w->a.it.c), "hi"),
                     OB_OK);
        if (i % 25 == 0)
            it_run_for(w->base, 5);
    }
    cr_assert(spin(w, is_direct, NULL), "no direct stream came up");
}

/* Echo calls right after the stream is seen up: the request and the
 * reply both leave on it.  The session policy may close an idle stream
 * between two rounds, so a try whose frames went relayed is made again
 * (a few times at most); one try must go direct both ways. */
static void rpc_direct(struct world *w)
{
    struct ob_stats a0, b0, a1, b1;
    bool direct = false;
    char bob_in_room[160];

    for (int try = 0; try < 5 && !direct; try++) {
        bring_up_direct(w);
        a0 = stats(w->a.it.c);
        b0 = stats(w->b.it.c);
        echo(w, 20000);
        a1 = stats(w->a.it.c);
        b1 = stats(w->b.it.c);
        direct = a1.unicasts_direct == a0.unicasts_direct + 1 &&
                 b1.unicasts_direct == b0.unicasts_direct + 1 &&
                 a1.unicasts_relayed == a0.unicasts_relayed;
    }
    cr_expect(direct, "no echo went direct both ways while the stream was up");
    snprintf(bob_in_room, sizeof bob_in_room, "%s/bob", w->room);
    cr_expect_eq(ob_distance(w->a.it.c, bob_in_room), OB_DIST_DIRECT);
    cr_expect_eq(w->b.rpc_in_unicast + w->a.rpc_in_unicast, 0);
}

/* Bob leaves the room (the only one alice shares with him) while a call
 * of hers waits for his answer: it fails with OB_EGONE at once, not at
 * its 20 s timeout. */
static void peer_leaves(struct world *w)
{
    struct res r = {0};
    double t0;

    w->b.held = NULL;
    cr_assert_eq(ob_rpc_call(w->a.it.c, ob_client_jid(w->b.it.c), "slow", "x",
                             1, 20000, on_res, &r, NULL),
                 OB_OK);
    cr_assert(spin(w, slow_held, NULL), "bob did not get the call");
    t0 = it_now_ms();
    cr_assert_eq(ob_room_leave(w->b.it.c, w->room), OB_OK);
    cr_assert(spin(w, answered, &r), "no result after bob left");
    cr_expect_eq(r.code, OB_EGONE, "%s", r.text);
    cr_expect_lt(it_now_ms() - t0, 15000.0, "it waited for the timeout");
    ob_rpc_reply(w->b.held, "late", 4); /* dropped at alice's */
    w->b.held = NULL;
    free(r.data);
}

/* A call still in flight when the client is freed: no callback later
 * (the sanitizer checks nothing leaks). */
static void free_in_flight(struct world *w)
{
    struct res r = {0};

    cr_assert_eq(ob_rpc_call(w->a.it.c, ob_client_jid(w->b.it.c), "slow", "x",
                             1, 50, on_res, &r, NULL),
                 OB_OK);
    ob_client_free(w->a.it.c);
    w->a.it.c = NULL;
    it_run_for(w->base, 150);
    cr_expect_eq(r.n, 0, "a freed client's call reported");
}

static void scenario(enum hs_kind kind)
{
    struct world w;

    start(&w, kind);
    view(&w);
    timers(&w);
    rpc_relayed(&w);
    rpc_direct(&w);
    peer_leaves(&w);
    free_in_flight(&w);
    stop(&w);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, services_api)
{
    scenario(HS_PROSODY);
}
Test(ejabberd, services_api)
{
    scenario(HS_EJABBERD);
}
