/* test_e2e_link.c -- direct links on loopback: identities, both framings
 * and mixed offers, stanzas both ways in order (large and binary ones),
 * acknowledgements, fingerprints, candidate order, bad headers, limits,
 * the pending-handshake bound, closes, and freeing from callbacks.
 *
 * Random payloads come from a seeded PRNG: the seed is printed on
 * failure and E2E_SEED=<n> reproduces a run.  Nothing asserts on time;
 * each test waits for its events with run_until, which fails the test
 * after a generous deadline, and each suite has Criterion's timeout. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../seed.h"
#include "e2e_link_internal.h"
#include "ut_ns.h"

#define SID "s-1"
#define JID_A "alice@example.org/a"
#define JID_B "bob@example.org/b"

static unsigned long long seed;
static uint64_t rng;

static void seed_init(void)
{
    seed = ob_test_seed("E2E_SEED");
    rng = seed * 2654435761u + 1;
}

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* ---- the world: a loop, two identities, a listener */

struct side {
    e2e_link *l;
    int up, down, stanzas, acks;
    bool down_clean;
    char reason[400];
    uint64_t acked;
    xmpp_stanza_t **got; /* copies of the stanzas received, in order */
    size_t ngot, capgot;
    /* what to do from inside callbacks */
    bool free_on_up, free_on_stanza, free_on_acked, free_on_down;
    bool close_on_stanza;
};

struct world {
    struct event_base *base;
    xmpp_ctx_t *ctx;
    e2e_ident *ia, *ib; /* a: the listener (initiator), b: the connector */
    e2e_listener *ls;
    struct side acc, con; /* accepted side, connecting side */
    int handed;
    bool free_in_listener_fn;
    bool plain; /* links without TLS */
};

static struct world W;

static void side_reset(struct side *s)
{
    for (size_t i = 0; i < s->ngot; i++)
        xmpp_stanza_release(s->got[i]);
    free(s->got);
    memset(s, 0, sizeof *s);
}

static void cb_up(void *ud, e2e_link *l)
{
    struct side *s = ud;

    s->up++;
    if (s->free_on_up) {
        e2e_link_free(l);
        s->l = NULL;
    }
}

static void cb_stanza(void *ud, e2e_link *l, xmpp_stanza_t *st)
{
    struct side *s = ud;

    s->stanzas++;
    if (s->ngot == s->capgot) {
        s->capgot = s->capgot ? 2 * s->capgot : 64;
        s->got = realloc(s->got, s->capgot * sizeof *s->got);
        cr_assert(s->got);
    }
    s->got[s->ngot++] = xmpp_stanza_copy(st);
    if (s->free_on_stanza) {
        e2e_link_free(l);
        s->l = NULL;
    } else if (s->close_on_stanza)
        e2e_link_close(l);
}

static void cb_acked(void *ud, e2e_link *l, uint64_t h)
{
    struct side *s = ud;

    cr_assert_geq(h, s->acked, "acks go backwards");
    s->acked = h;
    s->acks++;
    if (s->free_on_acked) {
        e2e_link_free(l);
        s->l = NULL;
    }
}

static void cb_down(void *ud, e2e_link *l, const char *reason)
{
    struct side *s = ud;

    s->down++;
    s->down_clean = !reason;
    snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
    if (s->free_on_down) {
        e2e_link_free(l);
        s->l = NULL;
    }
}

static const struct e2e_link_cb side_cb = {cb_up, cb_stanza, cb_acked, cb_down};

static void on_incoming(void *ud, e2e_link *l)
{
    (void)ud;
    W.handed++;
    if (W.free_in_listener_fn) {
        e2e_link_free(l);
        return;
    }
    cr_assert_null(W.acc.l, "a second incoming link");
    W.acc.l = l;
    e2e_link_set_callbacks(l, &side_cb, &W.acc);
}

static void world_init(void)
{
    signal(SIGPIPE, SIG_IGN); /* as every process using links must */
    seed_init();
    memset(&W, 0, sizeof W);
    W.base = event_base_new();
    W.ctx = xmpp_ctx_new(NULL, NULL);
    cr_assert(W.base && W.ctx);
    cr_assert_eq(e2e_ident_new("alice", &W.ia), 0);
    cr_assert_eq(e2e_ident_new("bob", &W.ib), 0);
}

static void world_fini(void)
{
    e2e_link_free(W.acc.l);
    e2e_link_free(W.con.l);
    e2e_listener_free(W.ls);
    side_reset(&W.acc);
    side_reset(&W.con);
    e2e_ident_free(W.ia);
    e2e_ident_free(W.ib);
    xmpp_ctx_free(W.ctx);
    event_base_free(W.base);
}

static void listen_with(const struct e2e_listener_params *p)
{
    cr_assert_eq(
        e2e_listener_new(W.base, W.ctx, W.ia, p, on_incoming, NULL, &W.ls), 0);
    cr_assert_gt(e2e_listener_port(W.ls), 0);
}

static void listen_on(bool offer_fi, size_t max_stanza)
{
    struct e2e_listener_params p = {.bind_host = "127.0.0.1",
                                    .offer_fi = offer_fi,
                                    .max_stanza_bytes = max_stanza,
                                    .plain = W.plain};
    listen_with(&p);
}

static struct e2e_candidate here(int port)
{
    struct e2e_candidate c = {"127.0.0.1", port};
    return c;
}

static void connect_to(const struct e2e_candidate *c, size_t n, bool offer_fi,
                       const char *fp, size_t max_stanza, int timeout_ms)
{
    struct e2e_link_params p = {
        .sid = SID,
        .local_jid = JID_B,
        .peer_jid = JID_A,
        .peer_fingerprint = fp,
        .offer_fi = offer_fi,
        .connect_timeout_ms = timeout_ms,
        .max_stanza_bytes = max_stanza,
        .plain = W.plain,
    };
    cr_assert_eq(e2e_link_connect(W.base, W.ctx, W.ib, c, n, &p, &side_cb,
                                  &W.con, &W.con.l),
                 0);
}

/* How long run_until waits for a condition before failing the test: a
 * hang deadline, not a budget (every wait here takes well under a second
 * even under the sanitizers on a loaded machine). */
#define RUN_DEADLINE_S 60

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tick(evutil_socket_t fd, short what, void *ud)
{
    (void)fd, (void)what, (void)ud;
}

/* Runs the loop until cond() holds; fails the test, naming the
 * condition, if it does not hold within RUN_DEADLINE_S.  A ticking
 * timer keeps the loop from blocking forever (or returning at once,
 * when nothing is pending) so that the deadline is always checked. */
static void run_until_named(bool (*cond)(void), const char *what)
{
    const struct timeval every = {0, 100 * 1000};
    struct event *t = event_new(W.base, -1, EV_PERSIST, tick, NULL);
    double end = now_s() + RUN_DEADLINE_S;

    cr_assert(t && event_add(t, &every) == 0);
    while (!cond()) {
        cr_assert(now_s() < end, "%s: not reached within %d s (E2E_SEED=%llu)",
                  what, RUN_DEADLINE_S, seed);
        cr_assert_geq(event_base_loop(W.base, EVLOOP_ONCE), 0);
    }
    event_free(t);
}
#define run_until(cond) run_until_named(cond, #cond)

static bool both_up(void)
{
    return W.con.up && W.acc.l;
}

static bool con_down(void)
{
    return W.con.down > 0;
}

static bool both_down(void)
{
    return W.con.down && W.acc.down;
}

static void up_pair(bool listener_fi, bool connector_fi)
{
    struct e2e_candidate c;

    listen_on(listener_fi, 0);
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, connector_fi, e2e_ident_fingerprint(W.ia), 0, 0);
    run_until(both_up);
}

/* The hang guards: one timeout for every suite of the program
 * (Criterion 2.4.1's runner leaks, and LeakSanitizer fails it, when
 * tests with different timeouts run in parallel); run_until's deadline
 * fails a stuck wait with a message long before. */
TestSuite(e2e_link, .timeout = 300);
TestSuite(e2e_ident, .timeout = 300);
TestSuite(e2e_fi, .timeout = 300);
TestSuite(e2e_reader, .timeout = 300);

/* ---- identities */

Test(e2e_ident, fingerprint_form)
{
    e2e_ident *a, *b;
    const char *fp;

    cr_assert_eq(e2e_ident_new("x", &a), 0);
    cr_assert_eq(e2e_ident_new("x", &b), 0);
    fp = e2e_ident_fingerprint(a);
    cr_assert_eq(strlen(fp), 95);
    for (int i = 0; i < 95; i++)
        cr_assert(i % 3 == 2 ? fp[i] == ':'
                             : !!strchr("0123456789ABCDEF", fp[i]),
                  "bad character %d in %s", i, fp);
    cr_assert_str_neq(fp, e2e_ident_fingerprint(b));
    cr_assert_eq(e2e_ident_new("", &b), E2E_LINK_EINVAL);
    e2e_ident_free(a);
    e2e_ident_free(b);
}

Test(e2e_ident, local_candidates)
{
    struct e2e_candidate c[16];
    int n = e2e_local_candidates(5000, c, 16);

    cr_assert_gt(n, 0, "not even loopback");
    cr_assert_str_eq(c[n - 1].host, "127.0.0.1", "loopback comes last");
    for (int i = 0; i < n; i++)
        cr_assert_eq(c[i].port, 5000);
}

/* ---- connect and accept */

static void check_framing(bool lfi, bool cfi, const char *want)
{
    world_init();
    up_pair(lfi, cfi);
    cr_assert_str_eq(e2e_link_framing(W.con.l), want);
    cr_assert_str_eq(e2e_link_framing(W.acc.l), want);
    cr_assert_str_eq(e2e_link_sid(W.acc.l), SID);
    cr_assert_str_eq(e2e_link_peer_jid(W.acc.l), JID_B);
    cr_assert_str_eq(e2e_link_peer_jid(W.con.l), JID_A);
    cr_assert_str_eq(e2e_link_peer_fingerprint(W.acc.l),
                     e2e_ident_fingerprint(W.ib));
    cr_assert_str_eq(e2e_link_peer_fingerprint(W.con.l),
                     e2e_ident_fingerprint(W.ia));
    cr_assert_eq(e2e_link_candidate_index(W.con.l), 0);
    cr_assert_eq(e2e_link_candidate_index(W.acc.l), -1);
    cr_assert_eq(W.acc.up, 0, "on_up is not called on the accepting side");
    world_fini();
}

Test(e2e_link, framing_xml)
{
    check_framing(false, false, "xml");
}
Test(e2e_link, framing_fi)
{
    check_framing(true, true, "fi");
}
Test(e2e_link, framing_mixed_listener_no_fi)
{
    check_framing(false, true, "xml");
}
Test(e2e_link, framing_mixed_connector_no_fi)
{
    check_framing(true, false, "xml");
}

/* ---- stanzas both ways */

static char *random_base64(size_t octets)
{
    unsigned char *bin = malloc(octets);
    char *b64, *copy;

    for (size_t i = 0; i < octets; i++)
        bin[i] = (unsigned char)rnd();
    b64 = xmpp_base64_encode(W.ctx, bin, octets);
    copy = strdup(b64);
    xmpp_free(W.ctx, b64);
    free(bin);
    return copy;
}

/* Message i: mostly small, every 500th a 512 KB body, every 7th one a
 * binary <data/>. */
static xmpp_stanza_t *make_message(int i, const char *to)
{
    xmpp_stanza_t *m = xmpp_message_new(W.ctx, "chat", to, NULL);
    char id[32], *big = NULL;

    snprintf(id, sizeof id, "m%d", i);
    xmpp_stanza_set_id(m, id);
    if (i % 500 == 499) {
        big = malloc(512 * 1024 + 1);
        for (size_t k = 0; k < 512 * 1024; k++)
            big[k] = (char)('a' + rnd() % 26);
        big[512 * 1024] = '\0';
        xmpp_message_set_body(m, big);
    } else
        xmpp_message_set_body(m, "hello <&> 'world' \xc3\xa9");
    if (i % 7 == 3) {
        xmpp_stanza_t *d = xmpp_stanza_new(W.ctx), *t = xmpp_stanza_new(W.ctx);
        char *b64 = random_base64(1 + rnd() % 3000);
        xmpp_stanza_set_name(d, "data");
        xmpp_stanza_set_ns(d, E2E_NS_DATA);
        xmpp_stanza_set_text(t, b64);
        xmpp_stanza_add_child(d, t);
        xmpp_stanza_add_child(m, d);
        xmpp_stanza_release(t);
        xmpp_stanza_release(d);
        free(b64);
    }
    free(big);
    return m;
}

#define N_MSG 2000

static xmpp_stanza_t *sent_con[N_MSG], *sent_acc[N_MSG];

static bool all_delivered(void)
{
    return W.acc.ngot == N_MSG && W.con.ngot == N_MSG && W.con.acked == N_MSG &&
           W.acc.acked == N_MSG;
}

static void send_all(e2e_link *l, const char *to, xmpp_stanza_t **keep)
{
    for (int i = 0; i < N_MSG; i++) {
        keep[i] = make_message(i, to);
        cr_assert_eq(e2e_link_send(l, keep[i]), 0);
    }
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int attrs_but_xmlns(xmpp_stanza_t *st)
{
    return xmpp_stanza_get_attribute_count(st) -
           !!xmpp_stanza_get_attribute(st, "xmlns");
}

/* Equal trees: names, namespaces in effect (a stanza is in
 * jabber:client whether it says so or not), attributes in any order,
 * children in order. */
static bool same_in(xmpp_stanza_t *a, xmpp_stanza_t *b, const char *ns)
{
    const char *kv[64];
    int n = xmpp_stanza_get_attributes(a, kv, 64);
    const char *na = xmpp_stanza_get_ns(a), *nb = xmpp_stanza_get_ns(b);
    xmpp_stanza_t *ca, *cb;

    if (xmpp_stanza_is_text(a) || xmpp_stanza_is_text(b))
        return xmpp_stanza_is_text(a) && xmpp_stanza_is_text(b) &&
               same_str(xmpp_stanza_get_text_ptr(a),
                        xmpp_stanza_get_text_ptr(b));
    na = na ? na : ns;
    nb = nb ? nb : ns;
    if (!same_str(xmpp_stanza_get_name(a), xmpp_stanza_get_name(b)) ||
        !same_str(na, nb) || attrs_but_xmlns(a) != attrs_but_xmlns(b))
        return false;
    for (int i = 0; i < n; i += 2)
        if (strcmp(kv[i], "xmlns") &&
            !same_str(kv[i + 1], xmpp_stanza_get_attribute(b, kv[i])))
            return false;
    for (ca = xmpp_stanza_get_children(a), cb = xmpp_stanza_get_children(b);
         ca && cb; ca = xmpp_stanza_get_next(ca), cb = xmpp_stanza_get_next(cb))
        if (!same_in(ca, cb, na))
            return false;
    return !ca && !cb;
}

static bool same(xmpp_stanza_t *a, xmpp_stanza_t *b, bool top)
{
    return same_in(a, b, top ? "jabber:client" : NULL);
}

static void check_received(const struct side *s, xmpp_stanza_t **sent,
                           const char *who)
{
    for (int i = 0; i < N_MSG; i++)
        cr_assert(same(s->got[i], sent[i], true),
                  "%s: stanza %d differs (E2E_SEED=%llu)", who, i, seed);
}

static void exchange(bool fi, bool plain)
{
    struct e2e_candidate c;

    world_init();
    W.plain = plain;
    listen_on(fi, 1024 * 1024);
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, fi, plain ? NULL : e2e_ident_fingerprint(W.ia),
               1024 * 1024, 0);
    run_until(both_up);
    send_all(W.con.l, JID_A, sent_con);
    send_all(W.acc.l, JID_B, sent_acc);
    run_until(all_delivered);
    cr_assert_str_eq(xmpp_stanza_get_ns(W.acc.got[0]), "jabber:client");
    cr_assert_str_eq(e2e_link_framing(W.con.l), fi ? "fi" : "xml");
    cr_assert_str_eq(e2e_link_peer_fingerprint(W.acc.l),
                     plain ? "" : e2e_ident_fingerprint(W.ib));
    check_received(&W.acc, sent_con, "connector to listener");
    check_received(&W.con, sent_acc, "listener to connector");
    cr_assert_eq(e2e_link_sent(W.con.l), N_MSG);
    cr_assert_eq(e2e_link_received(W.acc.l), N_MSG);
    cr_assert_leq(W.con.acks, N_MSG / 16 + 20, "acks are batched");
    cr_assert_gt(e2e_link_bytes_out(W.con.l), 4 * 512 * 1024);
    cr_assert_eq(e2e_link_bytes_out(W.con.l), e2e_link_bytes_in(W.acc.l),
                 "what one side wrote the other read");
    for (int i = 0; i < N_MSG; i++) {
        xmpp_stanza_release(sent_con[i]);
        xmpp_stanza_release(sent_acc[i]);
    }
    e2e_link_close(W.con.l);
    run_until(both_down);
    cr_assert(W.con.down_clean, "connector: %s", W.con.reason);
    cr_assert(W.acc.down_clean, "listener: %s", W.acc.reason);
    world_fini();
}

Test(e2e_link, stanzas_both_ways_xml)
{
    exchange(false, false);
}

Test(e2e_link, stanzas_both_ways_fi)
{
    exchange(true, false);
}

/* Without TLS: what the benchmark compares with. */
Test(e2e_link, stanzas_both_ways_plain_xml)
{
    exchange(false, true);
}

Test(e2e_link, stanzas_both_ways_plain_fi)
{
    exchange(true, true);
}

Test(e2e_link, plain_with_fingerprint_refused)
{
    struct e2e_link_params p = {.sid = SID,
                                .local_jid = JID_B,
                                .peer_jid = JID_A,
                                .peer_fingerprint = "AB",
                                .plain = true};
    e2e_link *l;

    world_init();
    cr_assert_eq(e2e_link_connect(W.base, W.ctx, W.ib, NULL, 0, &p, &side_cb,
                                  &W.con, &l),
                 E2E_LINK_EINVAL);
    world_fini();
}

/* ---- fingerprints and candidates */

Test(e2e_link, wrong_fingerprint_refused)
{
    struct e2e_candidate c;

    world_init();
    listen_on(true, 0);
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, true, e2e_ident_fingerprint(W.ib), 0, 0);
    run_until(con_down);
    cr_assert_eq(W.con.up, 0);
    cr_assert(strstr(W.con.reason, "fingerprint"), "reason: %s", W.con.reason);
    world_fini();
}

/* A port that refuses: bound, then closed. */
static int refusing_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A socket that listens and never accepts: TCP connects (the backlog),
 * TLS never answers. */
static int mute_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 4), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(e2e_link, candidates_in_order)
{
    struct e2e_candidate c[5];
    int mute_port, mute = mute_listener(&mute_port);

    world_init();
    listen_on(true, 0);
    c[0] = here(mute_port);                             /* times out */
    snprintf(c[1].host, sizeof c[1].host, "192.0.2.1"); /* TEST-NET-1 */
    c[1].port = 9;
    c[2] = here(refusing_port()); /* refuses */
    snprintf(c[3].host, sizeof c[3].host, "not-an-address");
    c[3].port = 1;
    c[4] = here(e2e_listener_port(W.ls));
    connect_to(c, 5, true, e2e_ident_fingerprint(W.ia), 0, 300);
    run_until(both_up);
    cr_assert_eq(e2e_link_candidate_index(W.con.l), 4);
    cr_assert_eq(W.con.down, 0);
    world_fini();
    close(mute);
}

Test(e2e_link, no_candidate_works)
{
    struct e2e_candidate c[2];

    world_init();
    c[0] = here(refusing_port());
    c[1] = here(refusing_port());
    connect_to(c, 2, false, NULL, 0, 300);
    run_until(con_down);
    cr_assert(strstr(W.con.reason, "no candidate worked (2 tried)"), "%s",
              W.con.reason);
    world_fini();
}

Test(e2e_link, no_candidates_at_all)
{
    world_init();
    connect_to(NULL, 0, false, NULL, 0, 300);
    cr_assert_eq(W.con.down, 0, "on_down is never called from inside connect");
    run_until(con_down);
    world_fini();
}

/* ---- limits and bad input */

static void oversized(bool fi)
{
    struct e2e_candidate c;
    xmpp_stanza_t *m;
    char body[3000];

    world_init();
    listen_on(fi, 1000);
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, fi, NULL, 0, 0);
    run_until(both_up);
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    m = xmpp_message_new(W.ctx, "chat", JID_A, "m1");
    xmpp_message_set_body(m, body);
    cr_assert_eq(e2e_link_send(W.con.l, m), 0);
    xmpp_stanza_release(m);
    run_until(both_down);
    cr_assert_eq(W.acc.stanzas, 0);
    cr_assert(strstr(W.acc.reason, "policy-violation"), "listener: %s",
              W.acc.reason);
    cr_assert(strstr(W.con.reason, "policy-violation"), "connector: %s",
              W.con.reason);
    world_fini();
}

Test(e2e_link, oversized_stanza_xml)
{
    oversized(false);
}
Test(e2e_link, oversized_stanza_fi)
{
    oversized(true);
}

/* A TLS client that writes raw bytes and keeps what comes back. */
struct raw {
    struct bufferevent *bev;
    struct evbuffer *got;
    bool ended;
};

static void raw_read(struct bufferevent *bev, void *ud)
{
    struct raw *r = ud;
    evbuffer_add_buffer(r->got, bufferevent_get_input(bev));
}

static void raw_event(struct bufferevent *bev, short what, void *ud)
{
    struct raw *r = ud;
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        r->ended = true;
}

static struct raw *raw_tls(int port, const char *bytes)
{
    struct raw *r = calloc(1, sizeof *r);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    SSL *ssl = SSL_new(e2e_ident_tls(W.ib, false));

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->got = evbuffer_new();
    r->bev = bufferevent_openssl_socket_new(
        W.base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_openssl_set_allow_dirty_shutdown(r->bev, 1);
    bufferevent_setcb(r->bev, raw_read, NULL, raw_event, r);
    bufferevent_enable(r->bev, EV_READ | EV_WRITE);
    cr_assert_eq(
        bufferevent_socket_connect(r->bev, (struct sockaddr *)&a, sizeof a), 0);
    bufferevent_write(r->bev, bytes, strlen(bytes));
    return r;
}

static void raw_free(struct raw *r)
{
    bufferevent_free(r->bev);
    evbuffer_free(r->got);
    free(r);
}

static struct raw *the_raw;
static bool raw_ended(void)
{
    return the_raw->ended;
}

static void bad_header(const char *header, const char *condition)
{
    char *text;

    world_init();
    listen_on(true, 0);
    the_raw = raw_tls(e2e_listener_port(W.ls), header);
    run_until(raw_ended);
    evbuffer_add(the_raw->got, "", 1);
    text = (char *)evbuffer_pullup(the_raw->got, -1);
    cr_assert(strstr(text, "<error xmlns=\"" E2E_NS_STREAMS "\"><"),
              "answer: %s", text);
    cr_assert(strstr(text, condition), "answer: %s", text);
    cr_assert_eq(W.handed, 0);
    cr_assert_eq(e2e_listener_pending(W.ls), 0);
    raw_free(the_raw);
    world_fini();
}

#define HDR_START                                                              \
    "<stream:stream xmlns='jabber:client' "                                    \
    "xmlns:stream='http://etherx.jabber.org/streams' "

Test(e2e_link, bad_header_namespace)
{
    bad_header("<stream:stream xmlns:stream='urn:wrong' e2e:sid='x'>",
               "not-well-formed"); /* unbound e2e prefix */
}

Test(e2e_link, bad_header_wrong_root)
{
    bad_header("<stream:strea xmlns:stream='http://etherx.jabber.org/streams'>",
               "invalid-namespace");
}

Test(e2e_link, bad_header_no_sid)
{
    bad_header(HDR_START "from='b@x/y' to='a@x/z' version='1.0'>",
               "invalid-xml");
}

Test(e2e_link, bad_header_sid_in_wrong_namespace)
{
    bad_header(HDR_START "xmlns:e='urn:other' from='b@x/y' e:sid='s'>",
               "invalid-xml");
}

Test(e2e_link, bad_header_too_long)
{
    char h[6000];

    snprintf(h, sizeof h, HDR_START "from='%05000d'", 0);
    bad_header(h, "policy-violation");
}

/* ---- the pending-handshake bound */

#define FLOOD 12
#define MAX_PENDING 3

static int flood_ended;
static struct bufferevent *flood[FLOOD];

static void flood_event(struct bufferevent *bev, short what, void *ud)
{
    (void)bev, (void)ud;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        flood_ended++;
}

static bool refused_beyond_bound(void)
{
    return flood_ended >= FLOOD - MAX_PENDING;
}

static bool flood_over(void)
{
    return flood_ended == FLOOD;
}

Test(e2e_link, pending_handshakes_bounded)
{
    struct e2e_listener_params p = {.bind_host = "127.0.0.1",
                                    .max_pending = MAX_PENDING,
                                    .handshake_timeout_ms = 2000};
    struct sockaddr_in a = {.sin_family = AF_INET};

    world_init();
    listen_with(&p);
    a.sin_port = htons((uint16_t)e2e_listener_port(W.ls));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    flood_ended = 0;
    for (int i = 0; i < FLOOD; i++) { /* TCP only, never a TLS hello */
        flood[i] = bufferevent_socket_new(W.base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(flood[i], NULL, NULL, flood_event, NULL);
        bufferevent_enable(flood[i], EV_READ);
        cr_assert_eq(bufferevent_socket_connect(flood[i], (struct sockaddr *)&a,
                                                sizeof a),
                     0);
    }
    run_until(refused_beyond_bound);
    cr_assert_eq(e2e_listener_pending(W.ls), MAX_PENDING);
    run_until(flood_over); /* the handshake timeout closes the rest */
    cr_assert_eq(e2e_listener_pending(W.ls), 0);
    cr_assert_eq(W.handed, 0);
    for (int i = 0; i < FLOOD; i++)
        bufferevent_free(flood[i]);
    world_fini();
}

/* ---- who gets a pending slot: the gate, sources, the first octet
 * (docs/security.md, "Direct streams: who may open one") */

static int ended_a, ended_b, ended_c; /* bare connections closed, by source */

static void bare_event(struct bufferevent *bev, short what, void *ud)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        (*(int *)ud)++;
}

/* A TCP connection to the listener from src (a loopback address) that
 * never sends an octet; its end is counted in *ended.  Free it. */
static struct bufferevent *bare_from(const char *src, int *ended)
{
    struct sockaddr_in a = {.sin_family = AF_INET},
                       from = {.sin_family = AF_INET};
    evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
    struct bufferevent *b;

    cr_assert_eq(inet_pton(AF_INET, src, &from.sin_addr), 1);
    cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&from, sizeof from));
    cr_assert_eq(evutil_make_socket_nonblocking(fd), 0);
    a.sin_port = htons((uint16_t)e2e_listener_port(W.ls));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(b = bufferevent_socket_new(W.base, fd, BEV_OPT_CLOSE_ON_FREE));
    bufferevent_setcb(b, NULL, NULL, bare_event, ended);
    bufferevent_enable(b, EV_READ);
    cr_assert_eq(bufferevent_socket_connect(b, (struct sockaddr *)&a, sizeof a),
                 0);
    return b;
}

static int want_pending;

static bool pending_reached(void)
{
    return e2e_listener_pending(W.ls) == want_pending;
}

static bool one_a_ended(void)
{
    return ended_a == 1;
}
static bool seven_b_ended(void)
{
    return ended_b == 7;
}

static void slots_init(const struct e2e_listener_params *p)
{
    world_init();
    listen_with(p);
    ended_a = ended_b = ended_c = 0;
}

Test(e2e_link, a_gated_listener_takes_connections_only_when_expecting)
{
    struct e2e_listener_params p = {.bind_host = "127.0.0.1", .gated = true};
    struct bufferevent *b[2];

    slots_init(&p);
    b[0] = bare_from("127.0.0.1", &ended_a);
    run_until(one_a_ended); /* nothing expected: closed at once */
    cr_assert_eq(e2e_listener_pending(W.ls), 0);
    cr_assert_eq(e2e_listener_refused(W.ls), 1);
    e2e_listener_expect(W.ls, 1);
    b[1] = bare_from("127.0.0.1", &ended_b);
    want_pending = 1;
    run_until(pending_reached);
    e2e_listener_expect(W.ls, 0); /* what is pending runs to its end */
    cr_assert_eq(e2e_listener_pending(W.ls), 1);
    cr_assert_eq(ended_b, 0);
    for (int i = 0; i < 2; i++)
        bufferevent_free(b[i]);
    world_fini();
}

Test(e2e_link, one_source_holds_max_pending_source_slots)
{
    struct e2e_listener_params p = {
        .bind_host = "127.0.0.1", .max_pending = 8, .max_pending_source = 3};
    struct bufferevent *b[11];

    slots_init(&p);
    for (int i = 0; i < 10; i++)
        b[i] = bare_from("127.0.0.2", &ended_b);
    run_until(seven_b_ended);
    cr_assert_eq(e2e_listener_pending(W.ls), 3);
    b[10] = bare_from("127.0.0.1", &ended_a); /* another source gets in */
    want_pending = 4;
    run_until(pending_reached);
    cr_assert_eq(ended_a, 0);
    cr_assert_eq(ended_b, 7);
    for (int i = 0; i < 11; i++)
        bufferevent_free(b[i]);
    world_fini();
}

static bool b_lost_one_then_c_got_in(void)
{
    return ended_b == 1 && e2e_listener_pending(W.ls) == 4;
}

static bool b_lost_two(void)
{
    return ended_b == 2;
}
static bool c_refused(void)
{
    return ended_c == 1;
}

Test(e2e_link, a_full_listener_takes_back_from_the_biggest_source)
{
    struct e2e_listener_params p = {
        .bind_host = "127.0.0.1", .max_pending = 4, .max_pending_source = 4};
    struct bufferevent *b[7];

    slots_init(&p);
    for (int i = 0; i < 4; i++)
        b[i] = bare_from("127.0.0.2", &ended_b);
    want_pending = 4;
    run_until(pending_reached);
    b[4] = bare_from("127.0.0.3", &ended_c); /* 4 against 0: one back */
    run_until(b_lost_one_then_c_got_in);
    b[5] = bare_from("127.0.0.3", &ended_c); /* 3 against 1: one more */
    run_until(b_lost_two);
    b[6] = bare_from("127.0.0.3", &ended_c); /* 2 against 2: refused */
    run_until(c_refused);
    cr_assert_eq(e2e_listener_pending(W.ls), 4);
    cr_assert_eq(ended_b, 2);
    for (int i = 0; i < 7; i++)
        bufferevent_free(b[i]);
    world_fini();
}

Test(e2e_link, no_first_octet_in_time_closes)
{
    /* the handshake timeout is beyond run_until's deadline: only the
     * hello timeout can close it in time */
    struct e2e_listener_params p = {.bind_host = "127.0.0.1",
                                    .hello_timeout_ms = 300,
                                    .handshake_timeout_ms = 1000000};
    struct bufferevent *b;

    slots_init(&p);
    b = bare_from("127.0.0.1", &ended_a);
    want_pending = 1;
    run_until(pending_reached);
    run_until(one_a_ended);
    cr_assert_eq(e2e_listener_pending(W.ls), 0);
    cr_assert_eq(e2e_listener_refused(W.ls), 1);
    bufferevent_free(b);
    world_fini();
}

/* ---- ends: clean, abrupt, freeing from callbacks
 * ------------------------------ */

static bool acc_down(void)
{
    return W.acc.down > 0;
}

Test(e2e_link, clean_close_from_listener_side)
{
    world_init();
    up_pair(true, true);
    xmpp_stanza_t *m = xmpp_message_new(W.ctx, "chat", JID_B, NULL);

    e2e_link_close(W.acc.l);
    cr_assert_eq(e2e_link_send(W.acc.l, m), E2E_LINK_ESTATE);
    xmpp_stanza_release(m);
    run_until(both_down);
    cr_assert(W.con.down_clean && W.acc.down_clean, "%s / %s", W.con.reason,
              W.acc.reason);
    world_fini();
}

Test(e2e_link, abrupt_loss)
{
    world_init();
    up_pair(false, false);
    e2e_link_free(W.con.l);
    W.con.l = NULL;
    run_until(acc_down);
    cr_assert_not(W.acc.down_clean);
    cr_assert_eq(W.con.down, 0, "free calls nothing");
    world_fini();
}

Test(e2e_link, free_in_on_up)
{
    struct e2e_candidate c;

    world_init();
    listen_on(true, 0);
    W.con.free_on_up = true;
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, true, NULL, 0, 0);
    run_until(acc_down);
    cr_assert_eq(W.con.up, 1);
    cr_assert_null(W.con.l);
    world_fini();
}

static void send_some(e2e_link *l, int n)
{
    for (int i = 0; i < n; i++) {
        xmpp_stanza_t *m = xmpp_message_new(W.ctx, "chat", JID_A, NULL);
        xmpp_message_set_body(m, "x");
        cr_assert_eq(e2e_link_send(l, m), 0);
        xmpp_stanza_release(m);
    }
}

static void free_in_stanza(bool fi)
{
    world_init();
    up_pair(fi, fi);
    W.acc.free_on_stanza = true;
    send_some(W.con.l, 50); /* several in one read */
    run_until(con_down);
    cr_assert_eq(W.acc.stanzas, 1);
    world_fini();
}

Test(e2e_link, free_in_on_stanza_xml)
{
    free_in_stanza(false);
}
Test(e2e_link, free_in_on_stanza_fi)
{
    free_in_stanza(true);
}

static bool con_acked(void)
{
    return W.con.acks > 0;
}

Test(e2e_link, free_in_on_acked)
{
    world_init();
    up_pair(true, true);
    W.con.free_on_acked = true;
    send_some(W.con.l, 40);
    run_until(con_acked);
    cr_assert_null(W.con.l);
    run_until(acc_down);
    world_fini();
}

Test(e2e_link, free_in_on_down)
{
    world_init();
    up_pair(true, true);
    W.con.free_on_down = true;
    W.acc.free_on_down = true;
    W.acc.close_on_stanza = true;
    send_some(W.con.l, 3);
    run_until(both_down);
    cr_assert_null(W.con.l);
    cr_assert_null(W.acc.l);
    world_fini();
}

static bool handed(void)
{
    return W.handed > 0;
}

Test(e2e_link, free_in_listener_fn)
{
    struct e2e_candidate c;

    world_init();
    listen_on(true, 0);
    W.free_in_listener_fn = true;
    c = here(e2e_listener_port(W.ls));
    connect_to(&c, 1, true, NULL, 0, 0);
    run_until(handed);
    run_until(con_down);
    cr_assert_not(W.con.down_clean);
    world_fini();
}

static bool listener_pending(void)
{
    return e2e_listener_pending(W.ls) > 0;
}

Test(e2e_link, listener_freed_with_pending)
{
    world_init();
    listen_on(true, 0);
    the_raw = raw_tls(e2e_listener_port(W.ls), HDR_START); /* no end */
    run_until(listener_pending);
    e2e_listener_free(W.ls);
    W.ls = NULL;
    run_until(raw_ended);
    raw_free(the_raw);
    world_fini();
}

/* ---- sans-I/O: one stanza as one FI document, the reader */

static xmpp_stanza_t *parse_one(const char *xml)
{
    return xmpp_stanza_new_from_string(W.ctx, xml);
}

/* Encodes st as one framed FI document into out (returns its length). */
static size_t fi_frame_of(fi_encoder *e, xmpp_stanza_t *st, uint8_t *out,
                          size_t cap)
{
    const uint8_t *doc;
    size_t len, h;

    cr_assert_eq(e2e_fi_encode(e, W.ctx, st), 0);
    fi_encoder_output(e, &doc, &len);
    cr_assert_lt(len + 5, cap);
    h = fi_frame_put(out, len);
    memcpy(out + h, doc, len);
    return h + len;
}

struct fi_fixture {
    fi_ctx *fctx;
    fi_encoder *enc;
    e2e_fi_dec *dec;
};

static void fi_fixture_init(struct fi_fixture *f)
{
    struct fi_encoder_options o = {.vocab = fi_vocab_xmpp()};

    world_init();
    cr_assert_eq(fi_ctx_new(NULL, NULL, &f->fctx), 0);
    cr_assert_eq(fi_encoder_new(f->fctx, &o, &f->enc), 0);
    cr_assert_eq(e2e_fi_dec_new(W.ctx, f->fctx, &f->dec), 0);
}

static void fi_fixture_fini(struct fi_fixture *f)
{
    e2e_fi_dec_free(f->dec);
    fi_encoder_free(f->enc);
    fi_ctx_free(f->fctx);
    world_fini();
}

static xmpp_stanza_t *round_trip(struct fi_fixture *f, xmpp_stanza_t *st,
                                 size_t *wire)
{
    const uint8_t *doc;
    xmpp_stanza_t *back = NULL;

    cr_assert_eq(e2e_fi_encode(f->enc, W.ctx, st), 0);
    fi_encoder_output(f->enc, &doc, wire);
    cr_assert_eq(e2e_fi_decode(f->dec, doc, *wire, &back), 0);
    return back;
}

Test(e2e_fi, namespaces_and_attributes_round_trip)
{
    struct fi_fixture f;
    xmpp_stanza_t *st, *back;
    size_t wire;

    fi_fixture_init(&f);
    st =
        parse_one("<iq xmlns='jabber:client' type='set' id='i1'>"
                  "<query xmlns='urn:x' b='2'>"
                  "<item>t&lt;1</item><item xmlns='urn:y'/>mixed</query></iq>");
    cr_assert(st);
    /* libstrophe's own parser drops prefixes: set them by hand */
    xmpp_stanza_set_attribute(st, "xml:lang", "fr");
    xmpp_stanza_set_attribute(xmpp_stanza_get_children(st), "xmlns:p", "urn:p");
    xmpp_stanza_set_attribute(xmpp_stanza_get_children(st), "p:a", "1");
    back = round_trip(&f, st, &wire);
    cr_assert(same(back, st, true));
    cr_assert_str_eq(
        xmpp_stanza_get_attribute(xmpp_stanza_get_children(back), "p:a"), "1");
    xmpp_stanza_release(back);
    xmpp_stanza_release(st);
    fi_fixture_fini(&f);
}

Test(e2e_fi, binary_data_without_base64_inflation)
{
    struct fi_fixture f;
    xmpp_stanza_t *st, *back;
    char *b64, *xml;
    size_t wire;

    fi_fixture_init(&f);
    b64 = random_base64(30000);
    cr_assert_geq(asprintf(&xml,
                           "<message to='a@b/c'><data xmlns='" E2E_NS_DATA
                           "'>%s</data></message>",
                           b64),
                  0);
    st = parse_one(xml);
    back = round_trip(&f, st, &wire);
    cr_assert_lt(wire, 30000 + 200,
                 "%zu octets on the wire for 30000 (E2E_SEED=%llu)", wire,
                 seed);
    cr_assert(same(back, st, true), "E2E_SEED=%llu", seed);
    xmpp_stanza_release(back);
    xmpp_stanza_release(st);
    free(xml);
    free(b64);
    fi_fixture_fini(&f);
}

Test(e2e_fi, non_canonical_base64_kept_as_text)
{
    struct fi_fixture f;
    xmpp_stanza_t *st, *back;
    size_t wire;

    fi_fixture_init(&f);
    st = parse_one("<message><data xmlns='" E2E_NS_DATA "'>AAEC\nAwQF</data>"
                   "<data xmlns='" E2E_NS_DATA "'>AB=</data></message>");
    back = round_trip(&f, st, &wire);
    cr_assert(same(back, st, true));
    xmpp_stanza_release(back);
    xmpp_stanza_release(st);
    fi_fixture_fini(&f);
}

Test(e2e_fi, garbage_refused)
{
    struct fi_fixture f;
    xmpp_stanza_t *out = NULL;
    static const uint8_t junk[] = {0xE0, 0, 0, 1, 0, 0xFF, 0xFF};

    fi_fixture_init(&f);
    cr_assert_lt(e2e_fi_decode(f.dec, junk, sizeof junk, &out), 0);
    cr_assert_lt(e2e_fi_decode(f.dec, junk, 2, &out), 0);
    cr_assert_null(out);
    fi_fixture_fini(&f);
}

/* What a reader reported. */
struct seen {
    int headers, stanzas, closes;
    bool use_fi;
    e2e_reader *r;
};

static void seen_header(void *ud, const char **attrs)
{
    struct seen *s = ud;
    (void)attrs;
    s->headers++;
    if (s->use_fi)
        e2e_reader_use_fi(s->r);
}

static void seen_stanza(void *ud, xmpp_stanza_t *st)
{
    struct seen *s = ud;
    cr_assert_str_eq(xmpp_stanza_get_name(st), "message");
    s->stanzas++;
}

static void seen_close(void *ud)
{
    ((struct seen *)ud)->closes++;
}

static const struct e2e_reader_cb seen_cb = {seen_header, seen_stanza,
                                             seen_close};

#define HEADER_OK                                                              \
    HDR_START "xmlns:e2e='" UT_NS_E2E "' from='b@x/y' "                        \
              "title='a > b' e2e:sid='s' e2e:framing='fi'>"

/* A header, three stanzas and the end, in FI framing, fed in chunks of
 * every size from 1 to 40 octets. */
Test(e2e_reader, fi_stream_in_any_chunks)
{
    struct fi_fixture f;
    xmpp_stanza_t *m;
    uint8_t buf[4096];
    size_t len = strlen(HEADER_OK);

    fi_fixture_init(&f);
    memcpy(buf, HEADER_OK, len);
    m = parse_one("<message to='a@b/c' id='1'><body>hi</body></message>");
    for (int i = 0; i < 3; i++)
        len += fi_frame_of(f.enc, m, buf + len, sizeof buf - len);
    buf[len++] = 0; /* the end */
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        struct seen s = {.use_fi = true};
        cr_assert_eq(e2e_reader_new(W.ctx, 1000, &seen_cb, &s, &s.r), 0);
        for (size_t at = 0; at < len; at += chunk)
            cr_assert_eq(e2e_reader_feed(s.r, buf + at,
                                         at + chunk < len ? chunk : len - at),
                         0, "chunk %zu at %zu: %s", chunk, at,
                         e2e_reader_error_text(s.r));
        cr_assert_eq(s.headers, 1);
        cr_assert_eq(s.stanzas, 3, "chunk %zu", chunk);
        cr_assert_eq(s.closes, 1);
        e2e_reader_free(s.r);
    }
    xmpp_stanza_release(m);
    fi_fixture_fini(&f);
}

static int feed_fi_bytes(const uint8_t *body, size_t n, size_t max)
{
    struct seen s = {.use_fi = true};
    int r;

    cr_assert_eq(e2e_reader_new(W.ctx, max, &seen_cb, &s, &s.r), 0);
    cr_assert_eq(
        e2e_reader_feed(s.r, (const uint8_t *)HEADER_OK, strlen(HEADER_OK)), 0);
    r = e2e_reader_feed(s.r, body, n);
    cr_assert_eq(s.stanzas, 0);
    e2e_reader_free(s.r);
    return r;
}

Test(e2e_reader, fi_frame_limits)
{
    static const uint8_t big[] = {0x81, 0x08}; /* 1025 octets */
    static const uint8_t not_minimal[] = {0x80, 0x00};
    static const uint8_t too_long[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    static const uint8_t junk[] = {3, 0xE0, 0x00, 0x07};

    world_init();
    cr_assert_eq(feed_fi_bytes(big, sizeof big, 1024), E2E_READ_ETOOBIG);
    cr_assert_eq(feed_fi_bytes(not_minimal, sizeof not_minimal, 1024),
                 E2E_READ_ESYNTAX);
    cr_assert_eq(feed_fi_bytes(too_long, sizeof too_long, 1024),
                 E2E_READ_ESYNTAX);
    cr_assert_eq(feed_fi_bytes(junk, sizeof junk, 1024), E2E_READ_ESYNTAX);
    cr_assert_str_eq(e2e_reader_condition(E2E_READ_ETOOBIG),
                     "policy-violation");
    world_fini();
}

Test(e2e_reader, xml_stream_after_header)
{
    struct seen s = {0};
    const char *body = "<message to='a@b/c'><body>1</body></message>"
                       "<message><body>2</body></message></stream:stream>";

    world_init();
    cr_assert_eq(e2e_reader_new(W.ctx, 1000, &seen_cb, &s, &s.r), 0);
    cr_assert_eq(
        e2e_reader_feed(s.r, (const uint8_t *)"<?xml version='1.0'?>\n", 22),
        0);
    cr_assert_eq(
        e2e_reader_feed(s.r, (const uint8_t *)HEADER_OK, strlen(HEADER_OK)), 0);
    cr_assert_eq(e2e_reader_feed(s.r, (const uint8_t *)body, strlen(body)), 0);
    cr_assert_eq(s.headers, 1);
    cr_assert_eq(s.stanzas, 2);
    cr_assert_eq(s.closes, 1);
    e2e_reader_free(s.r);
    world_fini();
}

static bool five_acked(void)
{
    return W.con.acked == 5;
}

Test(e2e_link, ack_after_a_pause)
{
    world_init();
    up_pair(true, true);
    send_some(W.con.l, 5); /* fewer than 16: the receiver's timer acks */
    run_until(five_acked);
    cr_assert_eq(e2e_link_received(W.acc.l), 5);
    world_fini();
}

Test(e2e_link, close_before_up)
{
    int mute_port, mute = mute_listener(&mute_port);
    struct e2e_candidate c = here(mute_port);

    world_init();
    connect_to(&c, 1, true, NULL, 0, 0);
    e2e_link_close(W.con.l);
    run_until(con_down);
    cr_assert_str_eq(W.con.reason, "closed before it was up");
    cr_assert_eq(W.con.up, 0);
    world_fini();
    close(mute);
}

/* A clean close carries the last acknowledgement before the end. */
Test(e2e_link, last_ack_before_the_end)
{
    world_init();
    up_pair(false, false);
    send_some(W.con.l, 5);
    e2e_link_close(W.con.l);
    run_until(both_down);
    cr_assert(W.con.down_clean && W.acc.down_clean, "%s / %s", W.con.reason,
              W.acc.reason);
    cr_assert_eq(W.acc.stanzas, 5);
    cr_assert_eq(W.con.acked, 5);
    world_fini();
}

/* libstrophe's allocations fail from the Nth on. */
static long alloc_left;

static void *failing_alloc(size_t size, void *ud)
{
    (void)ud;
    return alloc_left-- > 0 ? malloc(size) : NULL;
}

static void *failing_realloc(void *p, size_t size, void *ud)
{
    (void)ud;
    return alloc_left-- > 0 ? realloc(p, size) : NULL;
}

static void plain_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* Decoding with the Nth stanza allocation failing: an error, never a
 * crash or a leak (ASan), until N is large enough to succeed. */
Test(e2e_fi, decoding_out_of_memory)
{
    static const xmpp_mem_t mem = {failing_alloc, plain_free, failing_realloc,
                                   NULL};
    struct fi_fixture f;
    xmpp_stanza_t *st, *back;
    const uint8_t *doc;
    size_t len;
    int ok = 0, r;

    fi_fixture_init(&f);
    st = parse_one("<iq xmlns='jabber:client' type='set' id='i1'>"
                   "<query xmlns='urn:x' b='2'><item>t</item>x</query></iq>");
    cr_assert_eq(e2e_fi_encode(f.enc, W.ctx, st), 0);
    fi_encoder_output(f.enc, &doc, &len);
    for (long n = 0; n < 200 && !ok; n++) {
        xmpp_ctx_t *ctx;
        e2e_fi_dec *d;
        alloc_left = 1 << 20;
        ctx = xmpp_ctx_new(&mem, NULL);
        cr_assert_eq(e2e_fi_dec_new(ctx, f.fctx, &d), 0);
        alloc_left = n;
        back = NULL;
        r = e2e_fi_decode(d, doc, len, &back);
        alloc_left = 1 << 20; /* the checks below allocate too */
        if (r == 0) {
            cr_assert(same(back, st, true), "after %ld allocations", n);
            xmpp_stanza_release(back);
            ok = 1;
        } else {
            cr_assert_eq(r, FI_ENOMEM, "after %ld allocations: %d", n, r);
            cr_assert_null(back);
        }
        e2e_fi_dec_free(d);
        xmpp_ctx_free(ctx);
    }
    cr_assert(ok, "never decoded");
    xmpp_stanza_release(st);
    fi_fixture_fini(&f);
}

/* A TLS server that answers the connector's header with given bytes. */
struct fake {
    struct evconnlistener *lev;
    struct bufferevent *bev;
    const char *answer;
    bool answered;
};

static void fake_read(struct bufferevent *bev, void *ud)
{
    struct fake *f = ud;
    struct evbuffer *in = bufferevent_get_input(bev);

    if (!f->answered && evbuffer_search(in, "e2e:framing", 11, NULL).pos >= 0) {
        f->answered = true;
        bufferevent_write(bev, f->answer, strlen(f->answer));
    }
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void fake_accept(struct evconnlistener *lev, evutil_socket_t fd,
                        struct sockaddr *sa, int len, void *ud)
{
    struct fake *f = ud;
    SSL *ssl = SSL_new(e2e_ident_tls(W.ia, true));

    (void)lev, (void)sa, (void)len;
    f->bev = bufferevent_openssl_socket_new(
        W.base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(f->bev, fake_read, NULL, NULL, f);
    bufferevent_enable(f->bev, EV_READ | EV_WRITE);
}

static int fake_start(struct fake *f, const char *answer)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->answer = answer;
    f->lev =
        evconnlistener_new_bind(W.base, fake_accept, f, LEV_OPT_CLOSE_ON_FREE,
                                4, (struct sockaddr *)&a, sizeof a);
    cr_assert(f->lev);
    getsockname(evconnlistener_get_fd(f->lev), (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void bad_answer(bool offer_fi, const char *answer, int want_up,
                       const char *want)
{
    struct fake f = {0};
    struct e2e_candidate c;

    world_init();
    c = here(fake_start(&f, answer));
    connect_to(&c, 1, offer_fi, e2e_ident_fingerprint(W.ia), 0, 0);
    run_until(con_down);
    cr_assert_eq(W.con.up, want_up);
    cr_assert(strstr(W.con.reason, want), "reason: %s", W.con.reason);
    if (f.bev)
        bufferevent_free(f.bev);
    evconnlistener_free(f.lev);
    world_fini();
}

#define ANSWER(sid, framing)                                                   \
    HDR_START "xmlns:e2e='" UT_NS_E2E "' from='" JID_A "' to='" JID_B          \
              "' e2e:sid='" sid "' e2e:framing='" framing "'>"

Test(e2e_link, answer_with_another_sid)
{
    bad_answer(true, ANSWER("other", "xml"), 0, "invalid-xml");
}

Test(e2e_link, answer_with_fi_not_offered)
{
    bad_answer(false, ANSWER(SID, "fi"), 0, "invalid-xml");
}

Test(e2e_link, answer_with_unknown_framing)
{
    bad_answer(true, ANSWER(SID, "json"), 0, "invalid-xml");
}

Test(e2e_link, answer_is_a_stream_error)
{
    bad_answer(
        true,
        ANSWER(SID, "xml") "<stream:error><host-unknown "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                           "</stream:error>",
        1, "stream error from the peer: host-unknown");
}
