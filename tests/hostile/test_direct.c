/* test_direct.c -- attacks on direct streams (docs/security.md, "Direct
 * streams: who may open one"), on real Prosody and ejabberd.
 *
 * jingle_trick: mallory, a stranger with a password account, sends the
 * victim (a liborbweb peer) one empty ordered message (<o/> only), which
 * used to make any JID "known", then a session-initiate naming a TCP
 * port mallory listens on; then the same after a probe grant forged by
 * mallory itself (grants count only from a room the victim is in).  Each
 * must get forbidden (auth), and the victim must never connect to that
 * port.
 *
 * listener_flood: alice's direct listener exists (she holds a session
 * with bob).  An attacker on another address (127.0.0.2) keeps 64
 * connections to it that never send a byte, opens again each one the
 * listener closes (within 100 ms) and renews each every 2.5 s.  Alice
 * then needs a new session, with carol: it must come up.
 *
 * Waits are bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e_jingle.h"
#include "hs_client.h"
#include "hs_server.h"
#include "../integration/it_support.h"
#include "../integration/it_world.h"
#include "orbweb.h"
#include "ut_ns.h"

#define LOGIN_MS 10000
#define HANG_MS 40000.0

struct peer {
    struct it_peer it; /* c, nick, state */
};

struct arena {
    hs_server *s;
    struct event_base *base;
    struct peer p[3]; /* victim (or alice), bob, carol */
};

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    (void)c, (void)m, (void)user;
}

static const struct ob_callbacks cbs = {.size = sizeof(struct ob_callbacks),
                                        .state = it_on_state,
                                        .unicast = on_unicast};

static void peer_up(struct arena *a, struct peer *p)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(a->s),
                           .port = hs_server_c2s_port(a->s),
                           .jid = hs_server_anon_domain(a->s),
                           .tls = OB_TLS_TRUST,
                           .base = a->base,
                           .cb = &cbs,
                           .user = p,
                           .direct_round_ms = 100};
    double end = it_now_ms() + HANG_MS;

    cr_assert_eq(ob_client_new(&o, &p->it.c), OB_OK);
    cr_assert_eq(ob_connect(p->it.c), OB_OK);
    while (p->it.state != OB_STATE_CONNECTED && it_now_ms() < end)
        it_run_for(a->base, 20);
    cr_assert_eq(p->it.state, OB_STATE_CONNECTED, "a peer did not connect");
}

static void arena_open(struct arena *a, enum hs_kind kind, int peers)
{
    char err[2048];
    struct hs_options opt = {.accounts = 1};

    memset(a, 0, sizeof *a);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &a->s),
                 HS_SERVER_OK, "%s", err);
    cr_assert(a->base = event_base_new());
    for (int i = 0; i < peers; i++)
        peer_up(a, &a->p[i]);
}

static void arena_close(struct arena *a)
{
    for (int i = 0; i < 3; i++)
        ob_client_free(a->p[i].it.c);
    event_base_free(a->base);
    hs_server_stop(a->s);
}

/* ---- jingle_trick ------------------------------------------------------ */

/* A TCP socket listening on 127.0.0.1 (port in *port), non-blocking. */
static int trap_open(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) &&
              !listen(fd, 16) &&
              !getsockname(fd, (struct sockaddr *)&sa, &len));
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Connections the trap took, run for ms. */
static int trap_count(struct arena *a, int fd, double ms)
{
    double end = it_now_ms() + ms;
    int n = 0, c;

    do {
        it_run_for(a->base, 20);
        while ((c = accept(fd, NULL, NULL)) >= 0) {
            n++;
            close(c);
        }
    } while (it_now_ms() < end);
    return n;
}

static void send_text(hs_client *m, const char *text)
{
    xmpp_stanza_t *st;

    cr_assert(st = xmpp_stanza_new_from_string(hs_client_ctx(m), text));
    hs_client_send(m, st);
    xmpp_stanza_release(st);
}

/* Mallory's session-initiate naming 127.0.0.1:port; returns the victim's
 * answer (release it). */
static xmpp_stanza_t *initiate(struct arena *a, hs_client *m, const char *sid,
                               int port)
{
    struct e2e_jingle_msg j = {.action = E2E_JINGLE_INITIATE,
                               .framing = E2E_FRAMING_XML,
                               .n_candidates = 1,
                               .candidates = {{"c1", "127.0.0.1", port, 1}}};
    const char *victim = ob_client_jid(a->p[0].it.c);
    char id[80];
    xmpp_stanza_t *iq, *r = NULL;
    double end = it_now_ms() + HANG_MS;

    snprintf(j.sid, sizeof j.sid, "%s", sid);
    memset(j.fingerprint, 'A', E2E_JINGLE_FPR_LEN);
    for (int i = 2; i < E2E_JINGLE_FPR_LEN; i += 3)
        j.fingerprint[i] = ':';
    snprintf(id, sizeof id, "ji-%s", sid);
    cr_assert_eq(e2e_jingle_build(hs_client_ctx(m), victim, id,
                                  hs_client_jid(m), &j, &iq),
                 0);
    hs_client_send(m, iq);
    xmpp_stanza_release(iq);
    while (!r && it_now_ms() < end) {
        it_run_for(a->base, 20);
        hs_client_drain(m, 1, 5);
        while (!r && (r = hs_client_take(m, "iq")))
            if (!xmpp_stanza_get_from(r) ||
                strcmp(xmpp_stanza_get_from(r),
                       victim)) { /* not the victim's */
                xmpp_stanza_release(r);
                r = NULL;
            }
    }
    cr_assert(r, "the victim did not answer the session-initiate");
    cr_assert_str_eq(xmpp_stanza_get_id(r), id);
    return r;
}

static void assert_forbidden(xmpp_stanza_t *r)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(r, "error");

    cr_assert_str_eq(xmpp_stanza_get_type(r), "error",
                     "the initiate was taken");
    cr_assert(e && xmpp_stanza_get_type(e) &&
              !strcmp(xmpp_stanza_get_type(e), "auth"));
    cr_assert(xmpp_stanza_get_child_by_name(e, "forbidden"), "not forbidden");
    xmpp_stanza_release(r);
}

static void jingle_trick(enum hs_kind kind)
{
    struct arena a;
    char err[512], jid[64], text[1024];
    xmpp_stanza_t *r;
    hs_client *m;
    int port, trap;

    arena_open(&a, kind, 1);
    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(a.s));
    m = hs_client_connect(hs_server_host(a.s), hs_server_c2s_port(a.s), jid,
                          hs_server_password(a.s), LOGIN_MS, err, sizeof err);
    cr_assert(m, "%s", err);
    trap = trap_open(&port);

    /* the trick: one empty ordered message, then the initiate */
    snprintf(text, sizeof text,
             "<message type='normal' to='%s' id='o1'>"
             "<o xmlns='https://orbweb.dev/ns/e2e/0' e='7' s='1'/></message>",
             ob_client_jid(a.p[0].it.c));
    send_text(m, text);
    it_run_for(a.base, 500);
    r = initiate(&a, m, "trick1", port);
    cr_assert_eq(trap_count(&a, trap, 3000), 0,
                 "the victim connected to the stranger's port");
    assert_forbidden(r);

    /* a probe grant naming itself, from mallory (not a room) */
    snprintf(text, sizeof text,
             "<message to='%s' id='g1'><probe-grant xmlns='" UT_NS_XMUC
             "' peer='%s' ttl='10000'/></message>",
             ob_client_jid(a.p[0].it.c), hs_client_jid(m));
    send_text(m, text);
    it_run_for(a.base, 500);
    r = initiate(&a, m, "trick2", port);
    cr_assert_eq(trap_count(&a, trap, 3000), 0,
                 "a grant from a stranger let it in");
    assert_forbidden(r);
    cr_assert_eq(a.p[0].it.state, OB_STATE_CONNECTED);

    close(trap);
    hs_client_close(m);
    arena_close(&a);
}

/* ---- listener_flood ---------------------------------------------------- */

#define FLOOD 64
#define RENEW_MS 2500.0

struct flood {
    struct sockaddr_in to;
    int fd[FLOOD];
    double born[FLOOD];
    unsigned long opened, closed_by_peer;
    struct event *tick;
};

static void flood_open(struct flood *f, int i)
{
    struct sockaddr_in from = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    cr_assert(fd >= 0);
    inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&from, sizeof from), 0,
                 "bind 127.0.0.2: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&f->to, sizeof f->to) &&
        errno != EINPROGRESS)
        cr_assert_fail("connect: %s", strerror(errno));
    f->fd[i] = fd;
    f->born[i] = it_now_ms();
    f->opened++;
}

/* Did the listener close this connection (EOF or reset)? */
static bool closed_by_peer(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                      errno != ENOTCONN && errno != EINPROGRESS);
}

static void flood_tick(evutil_socket_t fd, short what, void *arg)
{
    struct flood *f = arg;
    double now = it_now_ms();

    (void)fd, (void)what;
    for (int i = 0; i < FLOOD; i++) {
        bool dead = closed_by_peer(f->fd[i]);
        if (!dead && now - f->born[i] < RENEW_MS)
            continue;
        f->closed_by_peer += dead;
        close(f->fd[i]);
        flood_open(f, i);
    }
}

/* The port of the one listening TCP socket of this process: alice's
 * direct listener (the servers are other processes). */
static int listener_port(void)
{
    int port = 0, n = 0;

    for (int fd = 3; fd < 1024; fd++) {
        int on = 0;
        socklen_t len = sizeof on;
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on ||
            getsockname(fd, (struct sockaddr *)&sa, &sl) ||
            sa.sin_family != AF_INET)
            continue;
        port = ntohs(sa.sin_port);
        n++;
    }
    cr_assert_eq(n, 1, "%d listening sockets", n);
    return port;
}

/* Alice writes to `to` until a direct session is up with it; false when
 * none came up within the hang bound.  `to` writes to alice first: a
 * peer takes a session only from someone it wrote to. */
static bool direct_with(struct arena *a, struct peer *to)
{
    const char *jid = ob_client_jid(to->it.c);
    char body[1024];
    double end = it_now_ms() + HANG_MS;

    cr_assert_eq(ob_unicast(to->it.c, ob_client_jid(a->p[0].it.c), "hello"),
                 OB_OK);

    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    while (ob_distance(a->p[0].it.c, jid) != 1 && it_now_ms() < end) {
        for (int k = 0; k < 5; k++)
            cr_assert_eq(ob_unicast(a->p[0].it.c, jid, body), OB_OK);
        it_run_for(a->base, 20);
    }
    return ob_distance(a->p[0].it.c, jid) == 1;
}

static void listener_flood(enum hs_kind kind)
{
    struct arena a;
    struct flood f = {.to = {.sin_family = AF_INET}};
    struct timeval tv = {0, 100000};

    arena_open(&a, kind, 3);
    cr_assert(direct_with(&a, &a.p[1]), "no direct session with bob");
    f.to.sin_port = htons((uint16_t)listener_port());
    f.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < FLOOD; i++)
        flood_open(&f, i);
    cr_assert(f.tick = event_new(a.base, -1, EV_PERSIST, flood_tick, &f));
    event_add(f.tick, &tv);
    it_run_for(a.base, 3000); /* the flood settles */

    cr_assert(direct_with(&a, &a.p[2]),
              "the flood kept a new session with carol from coming up");
    cr_assert_gt(f.closed_by_peer, 0, "the listener closed none of the flood");
    cr_log_info("flood: %lu connections opened, %lu closed by the listener",
                f.opened, f.closed_by_peer);
    event_free(f.tick);
    for (int i = 0; i < FLOOD; i++)
        close(f.fd[i]);
    arena_close(&a);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, jingle_trick)
{
    jingle_trick(HS_PROSODY);
}
Test(ejabberd, jingle_trick)
{
    jingle_trick(HS_EJABBERD);
}
Test(prosody, listener_flood)
{
    listener_flood(HS_PROSODY);
}
Test(ejabberd, listener_flood)
{
    listener_flood(HS_EJABBERD);
}
