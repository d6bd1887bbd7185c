/* test_ob_api.c -- liborbweb's API for simple programs and room owners,
 * on real Prosody with xmucd; three anonymous peers (alice, bob, carol),
 * each owning its event base and driven ONLY through poll(2) and the
 * poll-loop accessors (ob_poll_fd, ob_poll_timeout, ob_poll_work), or
 * the wait helpers:
 *
 * - the poll loop connects, joins a room and carries a unicast;
 * - ob_wait_connected, ob_wait_joined, ob_run_for (and a refused
 *   connection giving OB_ECONNECT, a refused join OB_ENOTFOUND);
 * - a room another peer's plain join created first: ob_room_create says
 *   so (OB_OP_CONFIGURE, OB_EEXIST), the non-owner's ob_room_configure is
 *   refused (forbidden), the owner's is applied and seen by a third peer
 *   in the room listing;
 * - presence status seen in the others' view events;
 * - kick, ban, unban and destroy, each seen by the peer concerned, and
 *   each refused with forbidden when a non-owner asks.
 * Waits are bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_server.h"
#include "it_support.h"
#include "orbweb.h"

#define NPEERS 3

struct peer {
    ob_client *c;
    char nick[16];
    int unicasts;
    char last_body[64];
    int left;            /* OB_ROOM_LEFT seen */
    struct ob_error err; /* the last error (strings dropped) */
    char err_text[160];
    int errors;
    char show[16], status[64]; /* the last view event's (a neighbour) */
    int removed_left;          /* neighbours that left the room */
    int ups, downs;            /* direct events */
    int reentry;               /* ob_run_for from the unicast callback */
    char gc_body[64];          /* the last groupcast's */
    char direct_peer[256], direct_reason[32];
};

struct done {
    int n, code;
    enum ob_condition cond;
};

struct world {
    hs_server *s;
    struct hs_proc *x;
    char room[96], room2[96];
    struct peer p[NPEERS];
};

static struct world w;

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    p->unicasts++;
    p->reentry = ob_run_for(c, 10); /* from a callback: refused */
    snprintf(p->last_body, sizeof p->last_body, "%s", m->body);
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    snprintf(p->gc_body, sizeof p->gc_body, "%s", m->body);
}

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    if (ev->change == OB_ROOM_LEFT)
        p->left++;
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct peer *p = user;

    (void)c;
    p->err = *e;
    snprintf(p->err_text, sizeof p->err_text, "%s", e->text);
    p->errors++;
}

static void on_view(ob_client *c, const struct ob_view_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    if (ev->change == OB_VIEW_REMOVED && ev->left_room)
        p->removed_left++;
    if (ev->change == OB_VIEW_REMOVED)
        return;
    snprintf(p->show, sizeof p->show, "%s", ev->show ? ev->show : "");
    snprintf(p->status, sizeof p->status, "%s", ev->status ? ev->status : "");
}

static void on_direct(ob_client *c, const struct ob_direct_event *ev,
                      void *user)
{
    struct peer *p = user;

    (void)c;
    if (ev->up)
        p->ups++;
    else
        p->downs++;
    snprintf(p->direct_peer, sizeof p->direct_peer, "%s", ev->peer);
    snprintf(p->direct_reason, sizeof p->direct_reason, "%s", ev->reason);
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .room = on_room,
                                              .view = on_view,
                                              .unicast = on_unicast,
                                              .groupcast = on_groupcast,
                                              .error = on_error,
                                              .direct = on_direct};

static void on_done(ob_client *c, const struct ob_error *e, void *arg)
{
    struct done *d = arg;

    (void)c;
    cr_expect_eq(e->op, OB_OP_ADMIN);
    d->n++;
    d->code = e->code;
    d->cond = e->cond;
}

static void log_stderr(void *user, const char *level, const char *area,
                       const char *msg)
{
    fprintf(stderr, "%s %s %s: %s\n", ((struct peer *)user)->nick, level, area,
            msg);
}

static struct ob_options options(struct peer *p, int port)
{
    struct ob_options o = {.size = sizeof o,
                           .host = hs_server_host(w.s),
                           .port = port,
                           .jid = hs_server_anon_domain(w.s),
                           .tls = OB_TLS_TRUST,
                           .cb = &callbacks,
                           .user = p,
                           .log = getenv("OB_TEST_LOG") ? log_stderr : NULL};
    return o;
}

/* ---- driving every client through poll(2) ------------------------------ */

/* One turn: poll the clients' descriptors for as long as the longest
 * any of them allows, then let each do its work. */
static void turn(void)
{
    struct pollfd fds[NPEERS];
    int n = 0, timeout = 100;

    for (int i = 0; i < NPEERS; i++) {
        int t;
        if (!w.p[i].c)
            continue;
        fds[n].fd = ob_poll_fd(w.p[i].c);
        cr_assert_geq(fds[n].fd, 0);
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
        t = ob_poll_timeout(w.p[i].c);
        cr_assert_geq(t, 0);
        if (t < timeout)
            timeout = t;
    }
    cr_assert_geq(poll(fds, (nfds_t)n, timeout), 0);
    for (int i = 0; i < NPEERS; i++)
        if (w.p[i].c)
            cr_assert_eq(ob_poll_work(w.p[i].c), OB_OK);
}

static bool spin(bool (*pred)(void *), void *arg)
{
    double t0 = it_now_ms();

    while (!pred(arg))
        if (it_now_ms() - t0 > 30000)
            return false;
        else
            turn();
    return true;
}

static bool connected(void *arg)
{
    struct peer *p = arg;
    return ob_client_state(p->c) == OB_STATE_CONNECTED;
}

static bool in_room(void *arg)
{
    const char **a = arg; /* peer's room, as {(char *)peer, room} */
    struct ob_room_status st = OB_ROOM_STATUS_INIT;
    return ob_room_status(((struct peer *)a[0])->c, a[1], &st) == OB_OK &&
           st.phase == OB_ROOM_PHASE_IN;
}

static bool joined(struct peer *p, const char *room)
{
    const void *a[2] = {p, room};
    return spin(in_room, a);
}

static bool got_unicast(void *arg)
{
    return ((struct peer *)arg)->unicasts > 0;
}

static bool answered(void *arg)
{
    return ((struct done *)arg)->n > 0;
}

static bool has_error(void *arg)
{
    return ((struct peer *)arg)->errors > 0;
}

/* ---- setting up ------------------------------------------------------- */

static void peer_new(struct peer *p, const char *nick)
{
    struct ob_options o = options(p, hs_server_c2s_port(w.s));

    memset(p, 0, sizeof *p);
    snprintf(p->nick, sizeof p->nick, "%s", nick);
    cr_assert_eq(ob_client_new(&o, &p->c), OB_OK);
    cr_assert_geq(ob_poll_fd(p->c), 0);
    cr_assert_eq(ob_connect(p->c), OB_OK);
}

static void start(void)
{
    char err[2048];
    struct hs_options opt = {.accounts = 1};

    memset(&w, 0, sizeof w);
    cr_assert_eq(hs_server_start(HS_PROSODY, &opt, err, sizeof err, &w.s),
                 HS_SERVER_OK, "%s", err);
    w.x = hs_xmucd_start(w.s, NULL, err, sizeof err);
    cr_assert(w.x, "%s", err);
    snprintf(w.room, sizeof w.room, "api@%s", hs_server_component(w.s));
    snprintf(w.room2, sizeof w.room2, "first@%s", hs_server_component(w.s));
}

static void stop(void)
{
    for (int i = 0; i < NPEERS; i++)
        ob_client_free(w.p[i].c);
    cr_expect_eq(hs_xmucd_stop(w.x), 0, "xmucd did not exit cleanly");
    hs_server_stop(w.s);
}

/* ---- the poll loop ------------------------------------------------------ */

/* alice and bob connect, join and exchange a unicast, polled only. */
static void poll_loop(void)
{
    struct ob_room_config cfg = OB_ROOM_CONFIG_INIT;
    struct peer *a = &w.p[0], *b = &w.p[1];

    peer_new(a, "alice");
    peer_new(b, "bob");
    cr_assert(spin(connected, a) && spin(connected, b), "no connection");
    cfg.name = "API";
    cr_assert_eq(ob_room_create(a->c, w.room, a->nick, &cfg, NULL), OB_OK);
    cr_assert(joined(a, w.room), "alice did not join");
    cr_assert_eq(ob_room_join(b->c, w.room, b->nick, NULL), OB_OK);
    cr_assert(joined(b, w.room), "bob did not join");
    cr_assert_eq(ob_unicast(a->c, ob_client_jid(b->c), "over poll"), OB_OK);
    cr_assert(spin(got_unicast, b), "bob got no unicast");
    cr_expect_str_eq(b->last_body, "over poll");
    cr_expect_eq(b->reentry, OB_ESTATE, "a wait helper ran inside a callback");
}

/* ---- the example program (tools/examples/ob_hello) ------------------ */

static bool hello_heard(void *arg)
{
    (void)arg;
    return !strcmp(w.p[0].gc_body, "hello from hello");
}

static bool hello_answered(void *arg)
{
    (void)arg;
    return !strcmp(w.p[0].last_body, "hello, quit");
}

static void example(void)
{
    char path[512], port[16], to[160];
    const char *bd = getenv("OB_BUILDDIR");
    pid_t pid;
    int status = -1;

    snprintf(path, sizeof path, "%s/tools/examples/ob_hello", bd ? bd : ".");
    snprintf(port, sizeof port, "%d", hs_server_c2s_port(w.s));
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(path, path, hs_server_host(w.s), port, hs_server_anon_domain(w.s),
              w.room, "hello", "60", (char *)NULL);
        _exit(127);
    }
    cr_assert(spin(hello_heard, NULL), "ob_hello did not say hello");
    snprintf(to, sizeof to, "%s/hello", w.room);
    cr_assert_eq(ob_unicast(w.p[0].c, to, "quit"), OB_OK);
    cr_assert(spin(hello_answered, NULL), "ob_hello did not answer");
    for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) == 0; i++)
        turn();
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "ob_hello did not exit cleanly (%d)", status);
}

/* ---- the wait helpers ------------------------------------------------- */

static void waits(void)
{
    struct peer *c = &w.p[2], lost = {0};
    struct ob_options o = options(&lost, hs_free_port());
    struct event_base *base = event_base_new();
    ob_client *refused, *given;

    /* the application's own base: it runs it, no poll accessors */
    cr_assert(base);
    o.base = base;
    cr_assert_eq(ob_client_new(&o, &given), OB_OK);
    cr_expect_eq(ob_poll_fd(given), OB_ESTATE);
    cr_expect_eq(ob_poll_work(given), OB_ESTATE);
    ob_client_free(given);
    event_base_free(base);
    o.base = NULL;

    /* a port nobody listens on, no reconnection: the wait says so */
    o.reconnect_max_ms = -1;
    cr_assert_eq(ob_client_new(&o, &refused), OB_OK);
    cr_assert_eq(ob_wait_connected(refused, 5000), OB_ESTATE); /* idle */
    cr_assert_eq(ob_connect(refused), OB_OK);
    cr_expect_eq(ob_wait_connected(refused, 20000), OB_ECONNECT);
    ob_client_free(refused);

    memset(c, 0, sizeof *c);
    snprintf(c->nick, sizeof c->nick, "carol");
    o = options(c, hs_server_c2s_port(w.s));
    cr_assert_eq(ob_client_new(&o, &c->c), OB_OK);
    cr_assert_eq(ob_connect(c->c), OB_OK);
    cr_assert_eq(ob_wait_connected(c->c, 20000), OB_OK);
    cr_assert_eq(ob_room_join(c->c, w.room, c->nick, NULL), OB_OK);
    cr_assert_eq(ob_wait_joined(c->c, w.room, 20000), OB_OK);
    cr_expect_eq(ob_wait_joined(c->c, "none@nowhere", 10), OB_ENOTFOUND);
    cr_expect_eq(ob_run_for(c->c, 20), OB_OK);
    cr_expect_eq(ob_run_for(c->c, -1), OB_EINVAL);
}

/* ---- a room another peer made first --------------------------------- */

static bool listed_renamed(void *arg)
{
    return *(int *)arg != 0;
}

static void on_list(ob_client *c, const struct ob_room_info *rooms, size_t n,
                    void *arg)
{
    (void)c;
    *(int *)arg = -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rooms[i].jid, w.room2) && !strcmp(rooms[i].name, "Renamed"))
            *(int *)arg = 1;
}

static void made_first(void)
{
    struct peer *a = &w.p[0], *b = &w.p[1], *c = &w.p[2];
    struct ob_room_config cfg = OB_ROOM_CONFIG_INIT;
    struct done d = {0};
    int listed = 0;

    cr_assert_eq(ob_room_join(b->c, w.room2, b->nick, NULL), OB_OK);
    cr_assert(joined(b, w.room2));
    a->errors = 0;
    cfg.name = "Mine";
    cr_assert_eq(ob_room_create(a->c, w.room2, a->nick, &cfg, NULL), OB_OK);
    cr_assert(joined(a, w.room2));
    cr_assert_eq(a->errors, 1, "ob_room_create said nothing");
    cr_expect_eq(a->err.op, OB_OP_CONFIGURE);
    cr_expect_eq(a->err.code, OB_EEXIST, "%s", a->err_text);

    /* alice is not its owner: refused */
    cr_assert_eq(ob_room_configure(a->c, w.room2, &cfg, on_done, &d), OB_OK);
    cr_assert(spin(answered, &d));
    cr_expect_eq(d.code, OB_ESTANZA);
    cr_expect_eq(d.cond, OB_COND_FORBIDDEN);

    /* bob, who made it, is */
    memset(&d, 0, sizeof d);
    cfg.name = "Renamed";
    cr_assert_eq(ob_room_configure(b->c, w.room2, &cfg, on_done, &d), OB_OK);
    cr_assert(spin(answered, &d));
    cr_expect_eq(d.code, OB_OK);
    cr_assert_eq(
        ob_rooms_list(c->c, hs_server_component(w.s), on_list, &listed), OB_OK);
    cr_assert(spin(listed_renamed, &listed));
    cr_expect_eq(listed, 1, "carol does not see the new name");
}

/* ---- presence status ------------------------------------------------- */

static bool bob_sees_away(void *arg)
{
    (void)arg;
    return !strcmp(w.p[1].show, "away") && !strcmp(w.p[1].status, "lunch");
}

static void presence(void)
{
    struct peer *a = &w.p[0];

    cr_expect_eq(ob_room_presence(a->c, w.room, "sleepy", NULL), OB_EINVAL);
    cr_assert_eq(ob_room_presence(a->c, w.room, "away", "lunch"), OB_OK);
    cr_expect(spin(bob_sees_away, NULL), "bob did not see alice's status");
}

/* ---- direct streams on demand --------------------------------------- */

static bool direct_up(void *arg)
{
    struct peer *a = &w.p[0], *c = arg;
    return a->ups > 0 && c->ups > 0;
}

static bool a_down(void *arg)
{
    (void)arg;
    return w.p[0].downs > 0;
}

static struct ob_stats stats(ob_client *c)
{
    struct ob_stats s = OB_STATS_INIT;
    cr_assert_eq(ob_client_stats(c, &s), OB_OK);
    return s;
}

/* alice asks for a stream to carol: both are told it is up, a unicast
 * takes it; carol goes away: alice is told it is down. */
static void direct(void)
{
    struct peer *a = &w.p[0], *c = &w.p[2];
    char carol[256], in_room[160];
    struct ob_stats s0, s1;
    double t0;

    snprintf(carol, sizeof carol, "%s", ob_client_jid(c->c));
    snprintf(in_room, sizeof in_room, "%s/carol", w.room);
    cr_expect_eq(ob_direct_open(a->c, "no-resource@x", 0), OB_EINVAL);
    t0 = it_now_ms();
    cr_assert_eq(ob_direct_open(a->c, in_room, 10000), OB_OK);
    cr_assert(spin(direct_up, c), "no up event (alice %d, carol %d: %s)",
              a->ups, c->ups, a->direct_reason);
    cr_log_info("direct stream up %.0f ms after ob_direct_open",
                it_now_ms() - t0); /* a figure, not asserted */
    cr_expect_str_eq(a->direct_peer, carol);
    cr_expect_str_eq(a->direct_reason, "opened");
    cr_expect_eq(ob_distance(a->c, carol), OB_DIST_DIRECT);
    cr_expect_eq(ob_direct_open(a->c, carol, 0), OB_EEXIST);
    s0 = stats(a->c);
    c->unicasts = 0;
    cr_assert_eq(ob_unicast(a->c, carol, "direct"), OB_OK);
    cr_assert(spin(got_unicast, c));
    s1 = stats(a->c);
    cr_expect_eq(s1.unicasts_direct, s0.unicasts_direct + 1,
                 "the unicast did not go direct");
    cr_expect_eq(s1.unicasts_relayed, s0.unicasts_relayed);

    /* carol leaves (her client goes away): the stream is down */
    a->downs = 0;
    ob_client_free(c->c);
    c->c = NULL;
    cr_assert(spin(a_down, NULL), "no down event");
    cr_expect_str_eq(a->direct_peer, carol);
    cr_expect_str_eq(a->direct_reason, "connectivity-error");
    cr_expect_neq(ob_distance(a->c, carol), OB_DIST_DIRECT);
    cr_expect_eq(ob_direct_release(a->c, carol), OB_OK);
    cr_expect_eq(ob_direct_release(a->c, carol), OB_OK);

    /* carol comes back for what follows */
    peer_new(c, "carol2"); /* "carol" may linger until the server notices */
    cr_assert(spin(connected, c));
    cr_assert_eq(ob_room_join(c->c, w.room, c->nick, NULL), OB_OK);
    cr_assert(joined(c, w.room));
}

/* ---- kick, ban, unban, destroy ------------------------------------- */

static void admin_expect(struct peer *p, int rc_call, struct done *d, int code,
                         enum ob_condition cond)
{
    cr_assert_eq(rc_call, OB_OK);
    cr_assert(spin(answered, d), "%s: no answer", p->nick);
    cr_expect_eq(d->code, code);
    cr_expect_eq(d->cond, cond);
    memset(d, 0, sizeof *d);
}

static void bare_of(ob_client *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", ob_client_jid(c));
    if (strchr(buf, '/'))
        *strchr(buf, '/') = '\0';
}

static void kick_ban_destroy(void)
{
    struct peer *a = &w.p[0], *b = &w.p[1], *c = &w.p[2];
    struct done d = {0};
    char carol[256];

    bare_of(c->c, carol, sizeof carol);
    /* refused to bob, who is only a participant */
    admin_expect(b, ob_room_kick(b->c, w.room, c->nick, NULL, on_done, &d), &d,
                 OB_ESTANZA, OB_COND_FORBIDDEN);
    admin_expect(b, ob_room_ban(b->c, w.room, carol, NULL, on_done, &d), &d,
                 OB_ESTANZA, OB_COND_FORBIDDEN);
    admin_expect(b, ob_room_destroy(b->c, w.room, NULL, on_done, &d), &d,
                 OB_ESTANZA, OB_COND_FORBIDDEN);

    /* kick: carol is told and out; bob sees her leave */
    c->errors = 0;
    b->removed_left = 0;
    admin_expect(a, ob_room_kick(a->c, w.room, c->nick, "bye", on_done, &d), &d,
                 OB_OK, OB_COND_NONE);
    cr_assert(spin(has_error, c), "carol was not told");
    cr_expect_eq(c->err.op, OB_OP_ROOM);
    cr_expect(strstr(c->err_text, "kicked"), "%s", c->err_text);
    cr_expect_eq(ob_wait_joined(c->c, w.room, 0), OB_ENOTFOUND);

    /* ban: carol back in, banned out, refused when she comes back */
    cr_assert_eq(ob_room_join(c->c, w.room, c->nick, NULL), OB_OK);
    cr_assert(joined(c, w.room));
    c->errors = 0;
    admin_expect(a, ob_room_ban(a->c, w.room, carol, "no", on_done, &d), &d,
                 OB_OK, OB_COND_NONE);
    cr_assert(spin(has_error, c));
    cr_expect(strstr(c->err_text, "banned"), "%s", c->err_text);
    c->errors = 0;
    cr_assert_eq(ob_room_join(c->c, w.room, c->nick, NULL), OB_OK);
    cr_assert(spin(has_error, c));
    cr_expect_eq(c->err.op, OB_OP_JOIN);
    cr_expect_eq(c->err.cond, OB_COND_FORBIDDEN);
    /* unban: welcome again */
    admin_expect(a, ob_room_unban(a->c, w.room, carol, on_done, &d), &d, OB_OK,
                 OB_COND_NONE);
    cr_assert_eq(ob_room_join(c->c, w.room, c->nick, NULL), OB_OK);
    cr_assert(joined(c, w.room), "carol not let in after the unban");

    /* destroy: everyone is told */
    b->errors = c->errors = 0;
    admin_expect(a, ob_room_destroy(a->c, w.room, "done", on_done, &d), &d,
                 OB_OK, OB_COND_NONE);
    cr_assert(spin(has_error, b) && spin(has_error, c));
    cr_expect(strstr(b->err_text, "destroyed"), "%s", b->err_text);
    cr_expect_eq(ob_room_status(b->c, w.room,
                                &(struct ob_room_status)OB_ROOM_STATUS_INIT),
                 OB_ENOTFOUND);
}

TestSuite(prosody, .timeout = 180);
Test(prosody, api)
{
    start();
    poll_loop();
    example();
    waits();
    made_first();
    presence();
    direct();
    kick_ban_destroy();
    stop();
}
