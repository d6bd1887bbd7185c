/* test_ob.c -- liborbweb end to end on real Prosody and ejabberd.
 *
 * Four peers (anonymous logins but p3, one event base) create and join an rbt
 * room and a complete room; each peer's view, as the library reports it,
 * must equal the room's topology fetched by an admin.  Then a unicast,
 * groupcasts with increasing sequence numbers, the room listing, a typed
 * error (a password room joined without the password), the example
 * program tools/examples/ob_echo answering a unicast, connections cut
 * under two peers (p3, with a password account: the server keeps its
 * session, XEP-0198 resumes it, a unicast sent meanwhile arrives, no
 * rejoin; p2, anonymous: a resumption is impossible since every anonymous
 * login is a new account, so it gets a new session and rejoins), and a server
 * restart after which every peer is back in its rooms with matching views.
 * Waits are bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "ob_core_internal.h" /* the client's socket, to cut it */
#include "orbweb.h"
#include "topo.h"
#include "it_support.h"
#include "it_world.h"
#include "ut_ns.h"

#define NP 4
#define T 10000
#define MAXG 16

struct peer {
    struct it_peer it; /* c, nick, state, joined */
    int rejoined, reconnected;
    int errors;
    struct ob_error last_error;
    char last_cond[64];
    char uni_from[256], uni_body[256];
    int unicasts;
    uint64_t seqs[MAXG];
    char gnick[MAXG][16], gbody[MAXG][32];
    int groupcasts;
    int listed;
    char list[1024];
};

struct world {
    struct it_world it; /* s, x, admin, base and the peers */
    struct peer p[NP];
    char tree[128], all[128], locked[128];
};

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    struct peer *p = user;

    (void)c;
    p->it.state = st;
    p->reconnected += st == OB_STATE_RECONNECTED || st == OB_STATE_RESUMED;
}

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    p->it.joined += ev->change == OB_ROOM_JOINED;
    p->rejoined += ev->change == OB_ROOM_REJOINED;
}

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    snprintf(p->uni_from, sizeof p->uni_from, "%s", m->from);
    snprintf(p->uni_body, sizeof p->uni_body, "%s", m->body);
    p->unicasts++;
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    cr_expect(m->has_seq, "groupcast without a sequence number");
    if (p->groupcasts < MAXG) {
        p->seqs[p->groupcasts] = m->seq;
        snprintf(p->gnick[p->groupcasts], 16, "%s", m->nick);
        snprintf(p->gbody[p->groupcasts], 32, "%s", m->body);
    }
    p->groupcasts++;
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct peer *p = user;

    (void)c;
    p->errors++;
    p->last_error = *e;
    snprintf(p->last_cond, sizeof p->last_cond, "%s", e->condition);
}

static void on_list(ob_client *c, const struct ob_room_info *rooms, size_t n,
                    void *arg)
{
    struct peer *p = arg;

    (void)c;
    p->listed = 1;
    for (size_t i = 0; i < n; i++) {
        strncat(p->list, rooms[i].jid, sizeof p->list - strlen(p->list) - 2);
        strcat(p->list, " ");
    }
}

/* OB_TEST_LOG=1 shows libstrophe's and the library's diagnostics. */
static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = on_state,
                                              .room = on_room,
                                              .unicast = on_unicast,
                                              .groupcast = on_groupcast,
                                              .error = on_error};

/* Runs the loop until pred holds; false after about 40 s (a hang). */
static bool spin(struct world *w, bool (*pred)(void *, void *), void *arg)
{
    return it_spin(w->it.base, w->it.admin, 2000, 20, pred, w, arg);
}

static bool all_state(void *vw, void *arg)
{
    struct world *w = vw;

    for (int i = 0; i < NP; i++)
        if (w->p[i].it.state != *(enum ob_state *)arg)
            return false;
    return true;
}

static bool count_at_least(void *vw, void *arg)
{
    struct world *w = vw;
    size_t off = ((size_t *)arg)[0], want = ((size_t *)arg)[1];

    for (int i = 0; i < NP; i++)
        if (*(int *)((char *)&w->p[i] + off) < (int)want)
            return false;
    return true;
}

#define WAIT_ALL(w, field, n, what)                                            \
    do {                                                                       \
        size_t a_[2] = {offsetof(struct peer, field), (size_t)(n)};            \
        cr_assert(spin(w, count_at_least, a_), "%s", what);                    \
    } while (0)

static void start(struct world *w, enum hs_kind kind)
{
    enum ob_state want = OB_STATE_CONNECTED;
    char user2[64];

    memset(w, 0, sizeof *w);
    it_world_server(&w->it, kind, 2, w->p, NP, sizeof w->p[0]);
    it_world_xmucd(&w->it, NULL, T);
    snprintf(w->tree, sizeof w->tree, "tree@%s", hs_server_component(w->it.s));
    snprintf(w->all, sizeof w->all, "all@%s", hs_server_component(w->it.s));
    snprintf(w->locked, sizeof w->locked, "locked@%s",
             hs_server_component(w->it.s));
    snprintf(user2, sizeof user2, "user2@%s", hs_server_domain(w->it.s));
    for (int i = 0; i < NP; i++) {
        struct ob_options o = it_world_options(&w->it, i, &callbacks);

        if (i == 3) {
            o.jid = user2;
            o.password = hs_server_password(w->it.s);
        }
        o.reconnect_max_ms = 2000;
        it_world_connect(&w->it, i, &o);
    }
    cr_assert(spin(w, all_state, &want), "peers did not connect");
}

static void stop(struct world *w)
{
    it_world_stop(&w->it, "xmucd");
}

/* ---- views against the topology ------------------------------------- */

struct viewset {
    char nicks[64][16];
    int n;
    bool bad; /* a neighbour without a JID or attributes */
};

static void collect(const struct ob_view_event *n, void *arg)
{
    struct viewset *v = arg;

    if (v->n < 64)
        snprintf(v->nicks[v->n++], 16, "%s", n->nick);
    if (!n->jid || !*n->attrs)
        v->bad = true;
}

static bool has_nick(const struct viewset *v, const char *nick)
{
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->nicks[i], nick))
            return true;
    return false;
}

static bool fetch_topology(struct world *w, const char *room,
                           struct cli_topo *t)
{
    xmpp_stanza_t *iq = hs_iq_query(hs_client_ctx(w->it.admin), "get", room,
                                    "topology", UT_NS_XMUC);
    xmpp_stanza_t *r = hs_client_iq(w->it.admin, iq, T), *q;
    char *json;
    bool ok = false;

    xmpp_stanza_release(iq);
    if (r && !strcmp(xmpp_stanza_get_type(r), "result") &&
        (q = xmpp_stanza_get_child_by_name_and_ns(r, "topology", UT_NS_XMUC)) &&
        (json = xmpp_stanza_get_text(q))) {
        ok = cli_topo_parse(json, strlen(json), t, NULL) == 0;
        xmpp_free(hs_client_ctx(w->it.admin), json);
    }
    if (r)
        xmpp_stanza_release(r);
    return ok;
}

/* The first difference between the peers' views and the topology, in
 * why (empty when none). */
static void difference(struct world *w, const char *room,
                       const struct cli_topo *t, char *why, size_t len)
{
    *why = 0;
    for (int i = 0; i < NP && !*why; i++) {
        struct viewset v = {.n = 0};
        int expected = 0;
        cr_assert_geq(ob_room_view(w->p[i].it.c, room, collect, &v), 0);
        for (size_t e = 0; e < t->nedges; e++) {
            const char *from = cli_topo_nick(t, t->edges[e].from);
            const char *to = cli_topo_nick(t, t->edges[e].to);
            if (!from || !to || strcmp(from, w->p[i].it.nick))
                continue;
            expected++;
            if (!has_nick(&v, to))
                snprintf(why, len, "%s does not see %s", from, to);
        }
        if (!*why && expected != v.n)
            snprintf(why, len, "%s sees %d, the topology says %d",
                     w->p[i].it.nick, v.n, expected);
        if (!*why && v.bad)
            snprintf(why, len, "%s has a neighbour without JID or attributes",
                     w->p[i].it.nick);
    }
}

struct match {
    const char *room;
    char why[256];
    const char *manager;
};

static bool views_match(void *vw, void *arg)
{
    struct world *w = vw;
    struct match *m = arg;
    struct cli_topo t;

    if (!fetch_topology(w, m->room, &t)) {
        snprintf(m->why, sizeof m->why, "no topology for %s", m->room);
        return false;
    }
    if (m->manager && (!t.manager || strcmp(t.manager, m->manager)))
        snprintf(m->why, sizeof m->why, "manager %s",
                 t.manager ? t.manager : "?");
    else if (t.nmembers != NP)
        snprintf(m->why, sizeof m->why, "%zu members", t.nmembers);
    else
        difference(w, m->room, &t, m->why, sizeof m->why);
    cli_topo_clear(&t);
    return !*m->why;
}

static void expect_views(struct world *w, const char *room, const char *manager,
                         const char *when)
{
    struct match m = {room, "", manager};

    cr_assert(spin(w, views_match, &m), "%s %s: %s", room, when, m.why);
}

/* ---- the scenario ----------------------------------------------------- */

static bool peer_joined(void *vw, void *arg)
{
    struct world *w = vw;
    int *a = arg;

    return w->p[a[0]].it.joined >= a[1];
}

static void rooms(struct world *w)
{
    /* persistent: they outlive the service restart at the end, keeping
     * their managers (a temporary room would be made again by whoever
     * rejoins first) */
    struct ob_room_config tree = {.size = sizeof(struct ob_room_config),
                                  .manager = "rbt",
                                  .view_size = 3,
                                  .persistent = true};
    struct ob_room_config all = {.size = sizeof(struct ob_room_config),
                                 .manager = "complete",
                                 .name = "everyone",
                                 .persistent = true};
    struct ob_join_params jp = {.size = sizeof(struct ob_join_params),
                                .view_size = 3};

    cr_assert_eq(ob_room_create(w->p[0].it.c, w->tree, "p0", &tree, NULL),
                 OB_OK);
    cr_assert_eq(ob_room_create(w->p[0].it.c, w->all, "p0", &all, NULL), OB_OK);
    cr_expect_eq(ob_room_create(w->p[0].it.c, w->all, "p0", &all, NULL),
                 OB_EEXIST);
    /* the creator first, so that its manager is the room's */
    cr_assert(spin(w, peer_joined, (int[]){0, 2}),
              "p0 did not create the rooms: %s", w->p[0].last_error.text);
    for (int i = 1; i < NP; i++) {
        jp.has_key = true;
        jp.key = (uint64_t)i * 1000;
        cr_assert_eq(ob_room_join(w->p[i].it.c, w->tree, w->p[i].it.nick, &jp),
                     OB_OK);
        cr_assert_eq(ob_room_join(w->p[i].it.c, w->all, w->p[i].it.nick, NULL),
                     OB_OK);
    }
    WAIT_ALL(w, it.joined, 2, "every peer joins both rooms");
    cr_expect_eq(w->p[0].errors, 0, "%s", w->p[0].last_error.text);
    expect_views(w, w->tree, "rbt", "after the joins");
    expect_views(w, w->all, "complete", "after the joins");
    for (int i = 0; i < NP; i++)
        cr_expect_eq(ob_room_view(w->p[i].it.c, w->all, NULL, NULL), NP - 1);
}

static bool got_unicast(void *vw, void *arg)
{
    struct world *w = vw;

    return w->p[*(int *)arg].unicasts > 0;
}

static void unicast(struct world *w)
{
    int two = 2;
    const char *to = ob_client_jid(w->p[2].it.c);

    cr_assert(to);
    cr_assert_eq(ob_unicast(w->p[1].it.c, to, "hello <&> two"), OB_OK);
    cr_assert(spin(w, got_unicast, &two), "the unicast did not arrive");
    cr_expect_str_eq(w->p[2].uni_body, "hello <&> two");
    cr_expect_str_eq(w->p[2].uni_from, ob_client_jid(w->p[1].it.c));
}

static void groupcast(struct world *w)
{
    char body[32];

    for (int k = 0; k < 3; k++) {
        snprintf(body, sizeof body, "g%d", k);
        cr_assert_eq(ob_groupcast(w->p[0].it.c, w->all, body), OB_OK);
    }
    cr_expect_eq(ob_groupcast(w->p[0].it.c, "nowhere@rooms.localhost", "x"),
                 OB_ENOTFOUND);
    WAIT_ALL(w, groupcasts, 3, "three groupcasts reach every member");
    for (int i = 0; i < NP; i++) {
        cr_expect_eq(w->p[i].groupcasts, 3);
        for (int k = 0; k < 3; k++) {
            snprintf(body, sizeof body, "g%d", k);
            cr_expect_str_eq(w->p[i].gbody[k], body);
            cr_expect_str_eq(w->p[i].gnick[k], "p0");
            if (k)
                cr_expect_gt(w->p[i].seqs[k], w->p[i].seqs[k - 1],
                             "sequence numbers must increase");
        }
    }
}

static bool listed(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return w->p[3].listed || w->p[3].errors;
}

static void listing(struct world *w)
{
    cr_assert_eq(ob_rooms_list(w->p[3].it.c, hs_server_component(w->it.s),
                               on_list, &w->p[3]),
                 OB_OK);
    cr_assert(spin(w, listed, NULL));
    cr_expect(strstr(w->p[3].list, w->tree), "%s", w->p[3].list);
    cr_expect(strstr(w->p[3].list, w->all), "%s", w->p[3].list);
}

static bool error_seen(void *vw, void *arg)
{
    struct world *w = vw;

    return w->p[*(int *)arg].errors > 0;
}

static void typed_error(struct world *w)
{
    struct ob_room_config cfg = {.size = sizeof(struct ob_room_config),
                                 .manager = "complete",
                                 .password = "s3cret"};
    struct ob_join_params good = {.size = sizeof(struct ob_join_params),
                                  .password = "s3cret"};
    int one = 1;

    cr_assert_eq(ob_room_create(w->p[0].it.c, w->locked, "p0", &cfg, NULL),
                 OB_OK);
    cr_assert(spin(w, peer_joined, (int[]){0, 3}), "p0 did not create %s",
              w->locked);
    cr_expect_eq(w->p[0].errors, 0, "configuring: %s", w->p[0].last_error.text);
    w->p[1].errors = 0;
    cr_assert_eq(ob_room_join(w->p[1].it.c, w->locked, "p1", NULL), OB_OK);
    cr_assert(spin(w, error_seen, &one),
              "no error for a join without password");
    cr_expect_eq(w->p[1].last_error.op, OB_OP_JOIN);
    cr_expect_eq(w->p[1].last_error.code, OB_ESTANZA);
    cr_expect_eq(w->p[1].last_error.cond, OB_COND_NOT_AUTHORIZED);
    cr_expect_str_eq(w->p[1].last_cond, "not-authorized");
    cr_expect_eq(ob_room_view(w->p[1].it.c, w->locked, NULL, NULL),
                 OB_ENOTFOUND, "a refused room is forgotten");
    cr_assert_eq(ob_room_join(w->p[1].it.c, w->locked, "p1", &good), OB_OK);
    cr_assert(spin(w, peer_joined, (int[]){1, 3}),
              "p1 could not join with the password");
    cr_assert_eq(ob_room_leave(w->p[1].it.c, w->locked), OB_OK);
}

/* ---- the example program ------------------------------------------- */

struct echo_find {
    char jid[256];
};

static void find_echo(const struct ob_view_event *n, void *arg)
{
    struct echo_find *f = arg;

    if (!strcmp(n->nick, "echo") && n->jid)
        snprintf(f->jid, sizeof f->jid, "%s", n->jid);
}

static bool echo_in_view(void *vw, void *arg)
{
    struct world *w = vw;
    struct echo_find *f = arg;

    ob_room_view(w->p[1].it.c, w->all, find_echo, f);
    return *f->jid;
}

static bool echo_answered(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return w->p[1].unicasts > 0;
}

static void example(struct world *w)
{
    char path[512], port[16], out[512], text[8192] = "";
    const char *bd = getenv("OB_BUILDDIR");
    struct echo_find f = {""};
    pid_t pid;
    int status = -1;
    FILE *fp;

    snprintf(path, sizeof path, "%s/tools/examples/ob_echo", bd ? bd : ".");
    snprintf(port, sizeof port, "%d", hs_server_c2s_port(w->it.s));
    hs_server_path(w->it.s, "ob_echo.out", out, sizeof out);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stdout))
            _exit(126);
        execl(path, path, hs_server_host(w->it.s), port,
              hs_server_anon_domain(w->it.s), "-", w->all, "echo",
              (char *)NULL);
        _exit(127);
    }
    cr_assert(spin(w, echo_in_view, &f), "ob_echo never appeared in the room");
    w->p[1].unicasts = 0;
    cr_assert_eq(ob_unicast(w->p[1].it.c, f.jid, "hi there"), OB_OK);
    cr_assert(spin(w, echo_answered, NULL), "ob_echo did not answer");
    cr_expect_str_eq(w->p[1].uni_body, "echo: hi there");
    cr_expect_str_eq(w->p[1].uni_from, f.jid);
    cr_assert_eq(ob_unicast(w->p[1].it.c, f.jid, "quit"), OB_OK);
    for (int i = 0; i < 2000 && waitpid(pid, &status, WNOHANG) == 0; i++) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(w->it.base, &tv);
        event_base_dispatch(w->it.base);
    }
    if ((fp = fopen(out, "r"))) {
        size_t n = fread(text, 1, sizeof text - 1, fp);
        text[n] = 0;
        fclose(fp);
    }
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "ob_echo did not exit cleanly:\n%s", text);
    cr_expect(strstr(text, "room joined"), "%s", text);
    cr_expect(strstr(text, "view added p0"), "%s", text);
    cr_expect(strstr(text, "unicast ") && strstr(text, "hi there"), "%s", text);
}

/* ---- losing the connection, then the server -------------------------- */

static bool p3_back(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return w->p[3].reconnected > 0 && w->p[3].unicasts > 0;
}

static bool p2_rejoined(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return w->p[2].reconnected > 0 && w->p[2].rejoined == 2;
}

/* The network under a peer fails: its socket is shut down, so the server
 * sees the connection drop, not a goodbye. */
static void cut(struct peer *p)
{
    p->reconnected = p->rejoined = p->unicasts = 0;
    cr_assert_geq(p->it.c->fd, 0);
    cr_assert_eq(shutdown(p->it.c->fd, SHUT_RDWR), 0);
}

/* p3 (a password account) loses its connection while p1 sends it a
 * unicast: the session is resumed, nothing is missed, no room is
 * rejoined.  p2 (anonymous) cannot resume: it rejoins both rooms. */
static void resume(struct world *w)
{
    const char *to = ob_client_jid(w->p[3].it.c);
    char jid[256];

    cr_assert(to);
    snprintf(jid, sizeof jid, "%s", to);
    cut(&w->p[3]);
    cr_assert_eq(ob_unicast(w->p[1].it.c, jid, "while you were away"), OB_OK);
    cr_assert(spin(w, p3_back, NULL), "p3 did not come back with the unicast");
    cr_expect_eq(w->p[3].it.state, OB_STATE_RESUMED, "p3 is %s, not resumed",
                 ob_state_name(w->p[3].it.state));
    cr_expect_str_eq(ob_client_jid(w->p[3].it.c), jid,
                     "a new session, not resumed");
    cr_expect_str_eq(w->p[3].uni_body, "while you were away");
    cr_expect_eq(w->p[3].rejoined, 0, "a resumed session rejoined its rooms");
    expect_views(w, w->tree, "rbt", "after p3 resumed");
    cut(&w->p[2]);
    cr_assert(spin(w, p2_rejoined, NULL),
              "p2 did not rejoin both rooms "
              "(reconnected %d, rejoined %d, state %s)",
              w->p[2].reconnected, w->p[2].rejoined,
              ob_state_name(w->p[2].it.state));
    cr_expect_eq(w->p[2].it.state, OB_STATE_RECONNECTED, "p2 is %s",
                 ob_state_name(w->p[2].it.state));
    WAIT_ALL(w, it.joined, 2, "(joined counts stay)");
    expect_views(w, w->tree, "rbt", "after p2 rejoined");
    expect_views(w, w->all, "complete", "after p2 rejoined");
}

static void restart(struct world *w)
{
    char err[2048];

    for (int i = 0; i < NP; i++)
        w->p[i].rejoined = 0;
    hs_client_close(w->it.admin);
    w->it.admin = NULL;
    cr_assert(hs_server_restart(w->it.s, err, sizeof err) == 0, "%s", err);
    it_world_admin(&w->it, T);
    WAIT_ALL(w, reconnected, 1, "every peer reconnects");
    WAIT_ALL(w, rejoined, 2, "every peer rejoins both rooms");
    for (int i = 0; i < NP; i++)
        cr_expect(w->p[i].it.state == OB_STATE_RECONNECTED ||
                      w->p[i].it.state == OB_STATE_RESUMED,
                  "%s", ob_state_name(w->p[i].it.state));
    expect_views(w, w->tree, "rbt", "after the server restarted");
    expect_views(w, w->all, "complete", "after the server restarted");
}

static void scenario(enum hs_kind kind)
{
    struct world w;

    start(&w, kind);
    rooms(&w);
    unicast(&w);
    groupcast(&w);
    listing(&w);
    typed_error(&w);
    example(&w);
    resume(&w);
    restart(&w);
    /* freed with a request still unanswered: its handler goes with the
     * connection, not after it (ASan saw the use after free) */
    cr_assert_eq(ob_rooms_list(w.p[3].it.c, hs_server_component(w.it.s),
                               on_list, &w.p[3]),
                 OB_OK);
    stop(&w);
}

TestSuite(prosody, .timeout = 300);
TestSuite(ejabberd, .timeout = 300);
Test(prosody, liborbweb)
{
    scenario(HS_PROSODY);
}
Test(ejabberd, liborbweb)
{
    scenario(HS_EJABBERD);
}
