/* test_ob_alloc.c -- an ob_client under failing allocations, end to end on
 * real Prosody (and ejabberd) with xmucd.
 *
 * One scenario: a fresh client connects anonymously, joins a room with a
 * view, sees the peer already there (a view change), sends it a unicast
 * and gets its echo back, groupcasts and receives its own groupcast,
 * leaves, and is freed; the room relays groupcasts, or (prosody_pbcast)
 * carries them with the pbcast engine, whose allocations are then ours
 * too.  The peer is a liborbweb client in a child process (so its
 * allocations are not counted with ours), echoing every unicast.  The scenario
 * runs once counting allocations, then once per chosen allocation index with
 * that allocation failing (FA_ONCE), and with it and every later one failing
 * (FA_FROM) until the client reports something.  Each step must then either
 * complete or be reported: an OB_ENOMEM (or other) return, which is retried
 * once allocations work again, or an error or state callback, after which the
 * client is freed. A step that does neither before its deadline lost an error:
 * that is the failure this test exists to catch (the deadline detects a hang;
 * no duration is asserted).  Every run ends with no block of ours alive.
 *
 * Each mode tries every index, on both servers, as long as the scenario
 * allocates at most 200 times (about 60 to 75 today); beyond that, the
 * first 100 one by one and a stride through the rest (OB_ALLOC_RUNS=n
 * changes the 200), and the log says which.  A run that does not reach
 * its index (the network makes runs differ) is repeated; an index that
 * no run reaches in FA_TRIES fails the test, named.  FA_INDEX=n replays
 * one index; OB_TEST_LOG=1 shows the client's log. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fail_alloc.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "orbweb.h"

#define PEER_NICK "echo"
#define STEP_MS 15000 /* a step's deadline: only a hang reaches it */

struct world {
    hs_server *s;
    struct hs_proc *x;
    pid_t peer;
    int peer_cmd, peer_ready; /* see "the echoing peer" */
    const char *groupcast;    /* the rooms' mode: NULL (relay), "pbcast" */
    char room[128];           /* this run's */
};

static struct world W;

/* ---- the echoing peer (child process) ----
 *
 * Each run uses a fresh room (a client freed without leaving lingers in
 * its room while the server keeps its session for resumption): the
 * parent writes the room's name on the command pipe, the peer leaves its
 * room, joins that one and answers 'j' on the ready pipe.  End of file on
 * the command pipe: the peer exits. */

struct peer {
    struct ob_room_config cfg; /* the rooms it makes */
    struct event_base *base;
    struct event *ev_cmd;
    ob_client *c;
    int cmd, ready;
    char room[128];
};

static void peer_unicast(ob_client *c, const struct ob_message *m, void *u)
{
    char reply[300];

    (void)u;
    snprintf(reply, sizeof reply, "echo:%s", m->body);
    ob_unicast(c, m->from, reply);
}

static void peer_room(ob_client *c, const struct ob_room_event *ev, void *u)
{
    struct peer *p = u;

    (void)c;
    if (ev->change == OB_ROOM_JOINED && write(p->ready, "j", 1) != 1)
        _exit(3);
}

static void peer_state(ob_client *c, enum ob_state st, void *u)
{
    struct peer *p = u;

    (void)c;
    if (st != OB_STATE_CONNECTED)
        _exit(4);               /* the echo would be lost: better fail loudly */
    event_add(p->ev_cmd, NULL); /* commands from now on */
    if (write(p->ready, "c", 1) != 1)
        _exit(3);
}

static void peer_command(evutil_socket_t fd, short what, void *u)
{
    struct peer *p = u;
    char room[128];
    ssize_t n = read(fd, room, sizeof room - 1);

    (void)what;
    if (n <= 0) {
        event_base_loopbreak(p->base);
        return;
    }
    room[n] = '\0';
    if (*p->room)
        ob_room_leave(p->c, p->room);
    snprintf(p->room, sizeof p->room, "%s", room);
    if (ob_room_create(p->c, p->room, PEER_NICK, &p->cfg, NULL))
        _exit(5);
}

/* Runs in the child: connects, then follows the commands. */
static void peer_main(int cmd, int ready)
{
    static const struct ob_callbacks cb = {.size = sizeof(struct ob_callbacks),
                                           .state = peer_state,
                                           .room = peer_room,
                                           .unicast = peer_unicast};
    static struct peer p;
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(W.s),
                           .port = hs_server_c2s_port(W.s),
                           .jid = hs_server_anon_domain(W.s),
                           .tls = OB_TLS_TRUST,
                           .cb = &cb,
                           .user = &p};

    p.cfg = (struct ob_room_config){.size = sizeof(struct ob_room_config),
                                    .manager = "complete",
                                    .groupcast = W.groupcast};
    p.cmd = cmd;
    p.ready = ready;
    if (!(o.base = p.base = event_base_new()) ||
        !(p.ev_cmd =
              event_new(p.base, cmd, EV_READ | EV_PERSIST, peer_command, &p)) ||
        ob_client_new(&o, &p.c) || ob_connect(p.c))
        _exit(2);
    event_base_dispatch(p.base);
    ob_client_free(p.c);
    event_free(p.ev_cmd);
    event_base_free(p.base);
    _exit(0);
}

/* The peer's answer (30 s at most: it only catches a dead peer). */
static void peer_wait(char want)
{
    struct pollfd pfd = {.fd = W.peer_ready, .events = POLLIN};
    char b = 0;

    cr_assert_eq(poll(&pfd, 1, 30000), 1, "the echoing peer is silent");
    cr_assert_eq(read(W.peer_ready, &b, 1), 1, "the echoing peer died");
    cr_assert_eq(b, want, "the echoing peer said %c", b);
}

static void peer_start(void)
{
    int cmd[2], ready[2];

    cr_assert_eq(pipe(cmd), 0);
    cr_assert_eq(pipe(ready), 0);
    fflush(NULL);
    cr_assert_geq(W.peer = fork(), 0);
    if (W.peer == 0) {
        close(cmd[1]);
        close(ready[0]);
        peer_main(cmd[0], ready[1]);
    }
    close(cmd[0]);
    close(ready[1]);
    W.peer_cmd = cmd[1];
    W.peer_ready = ready[0];
    peer_wait('c');
}

/* Moves the peer to a fresh room; returns once it is in. */
static void peer_move(void)
{
    static unsigned rooms;

    snprintf(W.room, sizeof W.room, "alloc%u@%s", rooms++,
             hs_server_component(W.s));
    cr_assert_eq(write(W.peer_cmd, W.room, strlen(W.room)),
                 (ssize_t)strlen(W.room));
    peer_wait('j');
}

static void peer_stop(void)
{
    int status;

    close(W.peer_cmd);
    close(W.peer_ready);
    cr_assert_eq(waitpid(W.peer, &status, 0), W.peer);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the echoing peer ended with status %#x", status);
}

static void world_start(enum hs_kind kind, const char *groupcast)
{
    char err[2048];
    struct hs_options opt = {.accounts = 1};

    memset(&W, 0, sizeof W);
    W.groupcast = groupcast;
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &W.s),
                 HS_SERVER_OK, "%s", err);
    /* one room per failed allocation, all made by one account: more
     * than xmucd's default room-creation rate per JID allows */
    static char *const args[] = {"--rooms-per-min", "0", NULL};
    W.x = hs_xmucd_start(W.s, args, err, sizeof err);
    cr_assert(W.x, "%s", err);
    peer_start();
}

static void world_stop(void)
{
    peer_stop();
    cr_expect_eq(hs_xmucd_stop(W.x), 0, "xmucd did not exit cleanly");
    hs_server_stop(W.s);
}

/* ---- the client under test ---- */

struct me {
    struct event_base *base;
    ob_client *c;
    enum ob_state state;
    bool up, joined, left, saw_peer, echoed, groupcast;
    char peer_jid[256];
    int reports; /* errors and losses the client told us about */
    bool done;   /* every step completed */
    char last[256];
};

static void me_state(ob_client *c, enum ob_state st, void *u)
{
    struct me *m = u;

    (void)c;
    m->state = st;
    m->up |= st == OB_STATE_CONNECTED;
    if (st == OB_STATE_LOST || st == OB_STATE_CLOSED) {
        m->reports++;
        snprintf(m->last, sizeof m->last, "state %s", ob_state_name(st));
    }
}

static void me_room(ob_client *c, const struct ob_room_event *ev, void *u)
{
    struct me *m = u;

    (void)c;
    m->joined |= ev->change == OB_ROOM_JOINED;
    m->left |= ev->change == OB_ROOM_LEFT;
}

static void me_view(ob_client *c, const struct ob_view_event *ev, void *u)
{
    struct me *m = u;

    (void)c;
    if (ev->change == OB_VIEW_ADDED && !strcmp(ev->nick, PEER_NICK) &&
        ev->jid) {
        snprintf(m->peer_jid, sizeof m->peer_jid, "%s", ev->jid);
        m->saw_peer = true;
    }
}

static void me_unicast(ob_client *c, const struct ob_message *msg, void *u)
{
    struct me *m = u;

    (void)c;
    m->echoed |= !strcmp(msg->body, "echo:ping");
}

static void me_groupcast(ob_client *c, const struct ob_message *msg, void *u)
{
    struct me *m = u;

    (void)c;
    m->groupcast |= !strcmp(msg->body, "all") && msg->has_seq;
}

static void me_error(ob_client *c, const struct ob_error *e, void *u)
{
    struct me *m = u;

    (void)c;
    m->reports++;
    snprintf(m->last, sizeof m->last, "%s (op %d): %s", ob_strerror(e->code),
             e->op, e->text);
}

static void me_log(void *u, const char *level, const char *area,
                   const char *msg)
{
    (void)u;
    fprintf(stderr, "[%ld] %s %s: %s\n", fa_at(), level, area, msg);
}

static const struct ob_callbacks me_cb = {.size = sizeof(struct ob_callbacks),
                                          .state = me_state,
                                          .room = me_room,
                                          .view = me_view,
                                          .unicast = me_unicast,
                                          .groupcast = me_groupcast,
                                          .error = me_error};

/* Runs the loop until *goal, a report, or the deadline.  True when the
 * goal was reached; false when the client has reported something in this
 * run (an error may say an event was lost: the goal may never come; the
 * run stops failing and ends); a deadline with neither fails the test. */
static bool step(struct me *m, const bool *goal, const char *what)
{
    for (int i = 0; i < STEP_MS / 10; i++) {
        struct timeval tv = {0, 10000};

        if (*goal)
            return true;
        if (m->reports) {
            fa_stop_failing();
            return false;
        }
        event_base_loopexit(m->base, &tv);
        event_base_dispatch(m->base);
    }
    cr_assert(*goal || m->reports,
              "allocation %ld: %s neither happened nor was an error reported "
              "(a lost error)",
              fa_at(), what);
    return *goal;
}

/* A call's result: OB_ENOMEM only when an allocation failed, and then
 * the call, made again with allocations back, must succeed. */
#define CALL(call)                                                             \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ == OB_ENOMEM) {                                                \
            cr_assert_gt(fa_failed(), 0,                                       \
                         "%s: out of memory without a "                        \
                         "failed allocation",                                  \
                         #call);                                               \
            fa_stop_failing();                                                 \
            rc_ = (call);                                                      \
        }                                                                      \
        cr_assert_eq(rc_, 0, "allocation %ld: %s: %s", fa_at(), #call,         \
                     ob_strerror(rc_));                                        \
    } while (0)

/* The steps; false as soon as the client reported a failure. */
static bool me_run(struct me *m)
{
    static const struct ob_join_params jp = {
        .size = sizeof(struct ob_join_params), .manager = "complete"};
    CALL(ob_connect(m->c));
    if (!step(m, &m->up, "connecting"))
        return false;
    CALL(ob_room_join(m->c, W.room, "me", &jp));
    if (!step(m, &m->joined, "joining") ||
        !step(m, &m->saw_peer, "the peer in our view"))
        return false;
    CALL(ob_unicast(m->c, m->peer_jid, "ping"));
    if (!step(m, &m->echoed, "the echo of a unicast"))
        return false;
    CALL(ob_groupcast(m->c, W.room, "all"));
    if (!step(m, &m->groupcast, "our own groupcast"))
        return false;
    CALL(ob_room_leave(m->c, W.room));
    return step(m, &m->left, "leaving");
}

static void me_scenario(void *ud)
{
    struct me *m = ud;
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(W.s),
                           .port = hs_server_c2s_port(W.s),
                           .jid = hs_server_anon_domain(W.s),
                           .tls = OB_TLS_TRUST,
                           .reconnect_max_ms = -1,
                           .cb = &me_cb,
                           .user = m,
                           .log = getenv("OB_TEST_LOG") ? me_log : NULL};

    memset(m, 0, sizeof *m);
    peer_move();
    fa_pause(true);
    cr_assert_not_null(m->base = event_base_new());
    fa_pause(false);
    o.base = m->base;
    CALL(ob_client_new(&o, &m->c));
    m->done = me_run(m);
    ob_client_free(m->c);
    fa_pause(true);
    event_base_free(m->base);
    fa_pause(false);
}

/* About `runs` runs per mode (OB_ALLOC_RUNS overrides): every index when
 * the scenario allocates no more, else the first half one by one and a
 * stride through the rest. */
static struct fa_plan plan_for(long count, long runs)
{
    const char *env = getenv("OB_ALLOC_RUNS");
    long all;

    if (env)
        runs = strtol(env, NULL, 10);
    if (count <= runs)
        return (struct fa_plan){count, 1, true};
    all = runs / 2;
    return (struct fa_plan){all, (count - all) / (runs - all) + 1, true};
}

static void counted(void *ud)
{
    struct me *m = ud;

    me_scenario(m);
    cr_assert(m->done, "without failures the scenario did not complete: %s",
              m->last);
}

static void under_failures(enum hs_kind kind, const char *groupcast, long runs)
{
    char name[64];

    static struct me m;
    struct fa_plan plan;
    long count;

    world_start(kind, groupcast);
    snprintf(name, sizeof name, "%s%s%s", hs_kind_name(kind),
             groupcast ? ", " : "", groupcast ? groupcast : "");
    fa_begin(-1, FA_ONCE);
    counted(&m);
    count = fa_count();
    cr_assert_eq(fa_live(), 0, "%zu blocks leaked without failures", fa_live());
    fa_end();
    cr_assert_gt(count, 0, "no allocation was counted (is --wrap in effect?)");
    plan = plan_for(count, runs);
    if (plan.all >= count)
        fprintf(stderr,
                "%s: the scenario allocates %ld times; trying every "
                "index\n",
                name, count);
    else
        fprintf(stderr,
                "%s: the scenario allocates %ld times; trying "
                "0..%ld, then every %ld-th\n",
                name, count, plan.all - 1, plan.stride);
    cr_assert_gt(fa_exhaust(name, me_scenario, &m, FA_ONCE, &plan), 0);
    cr_assert_gt(fa_exhaust(name, me_scenario, &m, FA_FROM, &plan), 0);
    world_stop();
}

TestSuite(ob_alloc, .timeout = 540);
/* A run takes about 0.3 s on Prosody and 1.2 s on ejabberd here: every
 * index of both modes on ejabberd (62 allocations) took 2 min 36 s on 2
 * shared cores with another make check running. */
Test(ob_alloc, prosody)
{
    under_failures(HS_PROSODY, NULL, 200);
}
Test(ob_alloc, prosody_pbcast)
{
    under_failures(HS_PROSODY, "pbcast", 200);
}
Test(ob_alloc, ejabberd)
{
    under_failures(HS_EJABBERD, NULL, 200);
}
