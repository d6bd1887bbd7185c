/* test_ob_direct.c -- direct streams inside liborbweb, on real Prosody and
 * ejabberd.
 *
 * Two peers (anonymous logins, one event base) send each other 2,000
 * unicasts; the session policy opens a direct stream mid-stream (distance
 * goes from 2 to 1), the test then cuts the stream's TCP connection under
 * it (shutdown on the sockets that are not XMPP's), and every unicast must
 * still arrive exactly once and in order, both ways.  The per-path
 * counters (ob_client_stats) show the paths: the first unicast relayed,
 * some direct once the stream is up, the 20 sent just before the cut
 * (unacknowledged: the loop did not run) resent relayed after it, and
 * each unicast sent once by one first path.  A third party, mallory (a
 * password account driven by the harness's small client), sends bob
 * session-initiates: first as a stranger (forbidden), then, once bob has
 * written to it, offering a listener whose certificate is not the one
 * announced (bob refuses the link and terminates the session).  Last,
 * bob writes to mallory until it initiates a session itself; mallory
 * connects with one certificate and accepts naming another: bob closes
 * the link and terminates with security-error.  Waits are
 * bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "e2e_jingle.h"
#include "e2e_link.h"
#include "hs_client.h"
#include "hs_server.h"
#include "it_support.h"
#include "it_world.h"
#include "orbweb.h"

#define T 10000
#define N_MSG 2000

struct peer {
    struct it_peer it;     /* c, nick, state */
    long next, got, wrong; /* unicasts: next body expected, counts */
    unsigned char *blob;   /* the last ob_unicast_data received */
    size_t blob_len;
    int blobs;
};

struct world {
    hs_server *s;
    hs_client *mallory;
    struct event_base *base;
    struct peer a, b;
    int incoming; /* links mallory's listener was handed */
};

/* Bodies are "1", "2", ...: each must be the next one. */
static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    if (m->data) { /* binary (ob_unicast_data): kept for binary() */
        free(p->blob);
        p->blob = malloc(m->data_len);
        memcpy(p->blob, m->data, m->data_len);
        p->blob_len = m->data_len;
        p->blobs += !strcmp(m->body, "");
        return;
    }
    p->got++;
    if (strtol(m->body, NULL, 10) == p->next)
        p->next++;
    else
        p->wrong++;
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .unicast = on_unicast};

/* Runs the loop until pred holds; false after about 40 s (a hang). */
static bool spin(struct world *w, bool (*pred)(void *, void *), void *arg)
{
    return it_spin(w->base, NULL, 4000, 10, pred, w, arg);
}

static bool both_connected(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return w->a.it.state == OB_STATE_CONNECTED &&
           w->b.it.state == OB_STATE_CONNECTED;
}

static void peer_new(struct world *w, struct peer *p, const char *name)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
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
    p->next = 1;
    cr_assert_eq(ob_client_new(&o, &p->it.c), OB_OK);
    cr_assert_eq(ob_connect(p->it.c), OB_OK);
}

static void start(struct world *w, enum hs_kind kind)
{
    char err[2048], jid[64];
    struct hs_options opt = {.accounts = 1};

    memset(w, 0, sizeof *w);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
    cr_assert(w->base = event_base_new());
    peer_new(w, &w->a, "alice");
    peer_new(w, &w->b, "bob");
    cr_assert(spin(w, both_connected, NULL), "peers did not connect");
    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(w->s));
    w->mallory =
        hs_client_connect(hs_server_host(w->s), hs_server_c2s_port(w->s), jid,
                          hs_server_password(w->s), T, err, sizeof err);
    cr_assert(w->mallory, "%s", err);
}

static void stop(struct world *w)
{
    ob_client_free(w->a.it.c);
    ob_client_free(w->b.it.c);
    hs_client_close(w->mallory);
    event_base_free(w->base);
    hs_server_stop(w->s);
}

/* ---- the stream of unicasts ----------------------------------------- */

static bool is_direct(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return ob_distance(w->a.it.c, ob_client_jid(w->b.it.c)) == 1;
}

/* Cuts every TCP connection of this process that is not to the XMPP
 * server: the direct stream's two ends.  Returns how many. */
static int cut_direct(struct world *w)
{
    int cut = 0, xmpp = hs_server_c2s_port(w->s);

    for (int fd = 3; fd < 1024; fd++) {
        struct sockaddr_in me, peer;
        socklen_t ml = sizeof me, pl = sizeof peer;
        int type;
        socklen_t tl = sizeof type;

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) ||
            type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&me, &ml) ||
            me.sin_family != AF_INET ||
            getpeername(fd, (struct sockaddr *)&peer, &pl))
            continue; /* not a connected TCP socket */
        if (ntohs(peer.sin_port) == xmpp || ntohs(me.sin_port) == xmpp)
            continue;
        shutdown(fd, SHUT_RDWR);
        cut++;
    }
    return cut;
}

static bool all_arrived(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    return (w->b.got >= N_MSG && w->a.got >= N_MSG) || w->a.wrong || w->b.wrong;
}

/* Unicasts from to to, alice to bob and bob to alice; breathe: run the
 * loop every 25 (links, acks, rounds), else not at all. */
static void send_range(struct world *w, long from, long to, bool breathe)
{
    char body[24];

    for (long i = from; i <= to; i++) {
        snprintf(body, sizeof body, "%ld", i);
        cr_assert_eq(ob_unicast(w->a.it.c, ob_client_jid(w->b.it.c), body),
                     OB_OK);
        cr_assert_eq(ob_unicast(w->b.it.c, ob_client_jid(w->a.it.c), body),
                     OB_OK);
        if (breathe && i % 25 == 0)
            it_run_for(w->base, 5);
    }
}

static struct ob_stats stats_of(const struct peer *p)
{
    struct ob_stats st = OB_STATS_INIT;

    cr_assert_eq(ob_client_stats(p->it.c, &st), OB_OK);
    fprintf(stderr,
            "%s: %llu unicasts direct, %llu relayed, %llu resent "
            "relayed\n",
            p->it.nick, (unsigned long long)st.unicasts_direct,
            (unsigned long long)st.unicasts_relayed,
            (unsigned long long)st.unicasts_resent);
    return st;
}

static void expect_all(const struct peer *p)
{
    cr_assert_eq(p->wrong, 0, "%s: out of order or twice: next %ld", p->it.nick,
                 p->next);
    cr_assert_eq(p->got, N_MSG, "%s", p->it.nick);
    cr_assert_eq(p->next, N_MSG + 1, "%s", p->it.nick);
}

/* The paths, from alice's counters: the first unicast went relayed (no
 * stream yet), some went direct once the stream was up, the ones the
 * stream had not acknowledged when it was cut went again through the
 * server, and each of the N_MSG left exactly once by one of the two
 * first paths. */
static void stream(struct world *w)
{
    const char *bob = ob_client_jid(w->b.it.c),
               *alice = ob_client_jid(w->a.it.c);
    struct ob_stats st, up;

    cr_assert_eq(ob_distance(w->a.it.c, alice), 0);
    cr_assert_eq(ob_distance(w->a.it.c, bob), 2,
                 "same server, no direct stream");
    cr_assert_eq(ob_distance(w->a.it.c, "x@elsewhere.example/r"), 3);
    send_range(w, 1, 1, true);
    st = stats_of(&w->a);
    cr_assert(st.unicasts_relayed == 1 && !st.unicasts_direct &&
                  !st.unicasts_resent,
              "the first unicast did not go relayed");
    send_range(w, 2, 700,
               true); /* each now knows the other: Jingle is allowed */
    cr_assert(spin(w, is_direct, NULL), "no direct stream came up");
    up = stats_of(&w->a);
    send_range(w, 701, 1200, true);
    st = stats_of(&w->a);
    cr_assert_gt(st.unicasts_direct, up.unicasts_direct,
                 "no unicast went direct while the stream was up");
    /* these leave on the stream with no chance of an acknowledgement
     * (the loop does not run before the cut): the cut must send them
     * again through the server */
    send_range(w, 1201, 1220, false);
    up = stats_of(&w->a);
    cr_assert_eq(up.unicasts_direct, st.unicasts_direct + 20);
    cr_assert_gt(cut_direct(w), 0, "no direct connection to cut");
    send_range(w, 1221, N_MSG, true);
    cr_assert(spin(w, all_arrived, NULL), "bob got %ld, alice %ld of %d",
              w->b.got, w->a.got, N_MSG);
    it_run_for(w->base, 300); /* a duplicate would show now */
    expect_all(&w->b);
    expect_all(&w->a);
    st = stats_of(&w->a);
    cr_assert_geq(
        st.unicasts_resent, up.unicasts_resent + 20,
        "the 20 "
        "unacknowledged unicasts were not resent relayed after the cut");
    cr_assert_eq(st.unicasts_direct + st.unicasts_relayed, N_MSG);
    st = stats_of(&w->b);
    cr_assert_eq(st.unicasts_direct + st.unicasts_relayed, N_MSG);
}

/* ---- binary unicasts ------------------------------------------------- */

static bool got_blob(void *vw, void *arg)
{
    struct world *w = vw;

    return w->b.blobs >= *(int *)arg;
}

/* Random bytes of each size reach bob intact (ob_unicast_data), on
 * whichever path alice's client takes.  Through the server, a unicast
 * larger than relay_max_bytes is refused at once (OB_ETOOBIG) instead of
 * costing the connection (a server closes the stream of a client that
 * sends above its limit). */
static void binary(struct world *w)
{
    static const size_t sizes[] = {1, 4096, 20000};
    unsigned char *buf = malloc(400000);
    const char *bob = ob_client_jid(w->b.it.c);
    int want = 0;

    for (size_t i = 0; i < 400000; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    cr_assert_eq(ob_unicast_data(w->a.it.c, bob, buf, 0), OB_EINVAL);
    cr_assert_eq(ob_unicast_data(w->a.it.c, bob, NULL, 4), OB_EINVAL);
    for (size_t k = 0; k < 3; k++) {
        want++;
        cr_assert_eq(ob_unicast_data(w->a.it.c, bob, buf, sizes[k]), OB_OK);
        cr_assert(spin(w, got_blob, &want), "blob %d did not arrive", want);
        cr_assert_eq(w->b.blob_len, sizes[k]);
        cr_assert_eq(memcmp(w->b.blob, buf, sizes[k]), 0,
                     "%zu bytes arrived changed", sizes[k]);
    }
    /* nobody has a direct stream with a stranger: relayed, refused */
    cr_assert_eq(
        ob_unicast_data(w->a.it.c, "nobody@anon.localhost/x", buf, 400000),
        OB_ETOOBIG);
    cr_assert_eq(w->a.it.state, OB_STATE_CONNECTED,
                 "the refusal cost the connection");
    free(buf);
    free(w->b.blob);
    w->b.blob = NULL;
}

/* ---- mallory ---------------------------------------------------------- */

struct answer {
    xmpp_stanza_t *st;
};

/* The next IQ from bob (the session's own IQs are skipped). */
static bool mallory_got_iq(void *vw, void *arg)
{
    struct world *w = vw;
    struct answer *a = arg;
    const char *bob = ob_client_jid(w->b.it.c), *from;

    hs_client_drain(w->mallory, 2, 2);
    while ((a->st = hs_client_take(w->mallory, "iq"))) {
        from = xmpp_stanza_get_from(a->st);
        if (from && !strcmp(from, bob))
            return true;
        xmpp_stanza_release(a->st);
    }
    return false;
}

static xmpp_stanza_t *mallory_next_iq(struct world *w)
{
    struct answer a = {NULL};

    cr_assert(spin(w, mallory_got_iq, &a), "mallory got no answer");
    return a.st;
}

static void mallory_initiate(struct world *w, const char *id, int port,
                             const char *fingerprint)
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_INITIATE,
                               .sid = "m4ll0ry",
                               .framing = E2E_FRAMING_XML,
                               .n_candidates = 1,
                               .candidates = {{"c1", "127.0.0.1", port, 1}}};
    xmpp_stanza_t *iq;

    snprintf(m.fingerprint, sizeof m.fingerprint, "%s", fingerprint);
    cr_assert_eq(e2e_jingle_build(hs_client_ctx(w->mallory),
                                  ob_client_jid(w->b.it.c), id,
                                  hs_client_jid(w->mallory), &m, &iq),
                 0);
    hs_client_send(w->mallory, iq);
    xmpp_stanza_release(iq);
}

static bool has_child(xmpp_stanza_t *st, const char *path0, const char *path1)
{
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, path0);

    return c && xmpp_stanza_get_child_by_name(c, path1);
}

static void on_mallory_link(void *ud, e2e_link *l)
{
    ((struct world *)ud)->incoming++;
    e2e_link_free(l);
}

/* ---- mallory as the responder: bob's initiator-side check ------------ */

struct mlink {
    bool up, down;
};

static void ml_up(void *ud, e2e_link *l)
{
    (void)l;
    ((struct mlink *)ud)->up = true;
}

static void ml_stanza(void *ud, e2e_link *l, xmpp_stanza_t *st)
{
    (void)ud;
    (void)l;
    (void)st;
}

static void ml_acked(void *ud, e2e_link *l, uint64_t h)
{
    (void)ud;
    (void)l;
    (void)h;
}

static void ml_down(void *ud, e2e_link *l, const char *reason)
{
    (void)l;
    (void)reason;
    ((struct mlink *)ud)->down = true;
}

static bool link_up(void *vw, void *arg)
{
    struct world *w = vw;

    (void)w;
    return ((struct mlink *)arg)->up || ((struct mlink *)arg)->down;
}

static bool link_down(void *vw, void *arg)
{
    struct world *w = vw;

    (void)w;
    return ((struct mlink *)arg)->down;
}

/* Bob writes to mallory until its policy asks for a direct stream:
 * returns bob's session-initiate. */
static xmpp_stanza_t *bob_initiates(struct world *w)
{
    char body[512];
    xmpp_stanza_t *st, *m;
    struct answer a = {NULL};

    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int i = 0; i < 1000 && !a.st; i++) {
        for (int k = 0; k < 10; k++)
            cr_assert_eq(ob_unicast(w->b.it.c, hs_client_jid(w->mallory), body),
                         OB_OK);
        it_run_for(w->base, 20);
        while ((m = hs_client_take(w->mallory, "message")))
            xmpp_stanza_release(m);
        mallory_got_iq(w, &a);
    }
    cr_assert(st = a.st, "bob never asked mallory for a direct stream");
    return st;
}

static void mallory_accepts_wrongly(struct world *w, e2e_ident *real,
                                    const char *claimed)
{
    xmpp_stanza_t *st = bob_initiates(w), *iq;
    struct e2e_jingle_msg m;
    struct e2e_candidate c[E2E_JINGLE_MAX_CANDIDATES];
    struct mlink ml = {false, false};
    const struct e2e_link_cb cb = {ml_up, ml_stanza, ml_acked, ml_down};
    e2e_link *l;
    size_t i;

    cr_assert_eq(e2e_jingle_parse(st, &m), 0, "not a session-initiate");
    cr_assert_eq(m.action, E2E_JINGLE_INITIATE);
    iq = xmpp_iq_new(hs_client_ctx(w->mallory), "result",
                     xmpp_stanza_get_id(st));
    xmpp_stanza_set_to(iq, ob_client_jid(w->b.it.c));
    hs_client_send(w->mallory, iq);
    xmpp_stanza_release(iq);
    xmpp_stanza_release(st);
    for (i = 0; i < m.n_candidates; i++) {
        snprintf(c[i].host, sizeof c[i].host, "%s", m.candidates[i].host);
        c[i].port = m.candidates[i].port;
    }
    struct e2e_link_params p = {.sid = m.sid,
                                .local_jid = hs_client_jid(w->mallory),
                                .peer_jid = ob_client_jid(w->b.it.c),
                                .peer_fingerprint = m.fingerprint};
    cr_assert_eq(e2e_link_connect(w->base, hs_client_ctx(w->mallory), real, c,
                                  i, &p, &cb, &ml, &l),
                 0);
    cr_assert(spin(w, link_up, &ml) && ml.up, "mallory could not reach bob");

    /* the accept names a certificate mallory's link did not present */
    struct e2e_jingle_msg acc = {.action = E2E_JINGLE_ACCEPT,
                                 .framing = E2E_FRAMING_XML};
    snprintf(acc.sid, sizeof acc.sid, "%s", m.sid);
    snprintf(acc.fingerprint, sizeof acc.fingerprint, "%s", claimed);
    cr_assert_eq(e2e_jingle_build(hs_client_ctx(w->mallory),
                                  ob_client_jid(w->b.it.c), "ma",
                                  hs_client_jid(w->mallory), &acc, &iq),
                 0);
    hs_client_send(w->mallory, iq);
    xmpp_stanza_release(iq);
    st = mallory_next_iq(w); /* the accept's result */
    cr_assert_str_eq(xmpp_stanza_get_type(st), "result");
    xmpp_stanza_release(st);
    st = mallory_next_iq(w);
    cr_assert(has_child(st, "jingle", "reason"), "a session-terminate");
    cr_assert(xmpp_stanza_get_child_by_name(
                  xmpp_stanza_get_child_by_name(
                      xmpp_stanza_get_child_by_name(st, "jingle"), "reason"),
                  "security-error"),
              "terminated for security");
    xmpp_stanza_release(st);
    cr_assert(spin(w, link_down, &ml), "bob kept the link");
    cr_assert_neq(ob_distance(w->b.it.c, hs_client_jid(w->mallory)), 1);
    e2e_link_free(l);
}

static void mallory(struct world *w)
{
    e2e_ident *real, *claimed;
    e2e_listener *ls;
    struct e2e_listener_params lp = {.bind_host = "127.0.0.1"};
    xmpp_stanza_t *st;

    cr_assert_eq(e2e_ident_new("mallory", &real), 0);
    cr_assert_eq(e2e_ident_new("someone else", &claimed), 0);
    cr_assert_eq(e2e_listener_new(w->base, hs_client_ctx(w->mallory), real, &lp,
                                  on_mallory_link, w, &ls),
                 0);

    /* a stranger: forbidden */
    mallory_initiate(w, "m1", e2e_listener_port(ls),
                     e2e_ident_fingerprint(claimed));
    st = mallory_next_iq(w);
    cr_assert_str_eq(xmpp_stanza_get_type(st), "error", "%s from %s",
                     xmpp_stanza_get_id(st), xmpp_stanza_get_from(st));
    cr_assert(has_child(st, "error", "forbidden"));
    xmpp_stanza_release(st);

    /* known now, but its listener's certificate is not the one offered */
    cr_assert_eq(ob_unicast(w->b.it.c, hs_client_jid(w->mallory), "hi"), OB_OK);
    mallory_initiate(w, "m2", e2e_listener_port(ls),
                     e2e_ident_fingerprint(claimed));
    st = mallory_next_iq(w);
    cr_assert_str_eq(xmpp_stanza_get_type(st), "result",
                     "the initiate is taken");
    xmpp_stanza_release(st);
    st = mallory_next_iq(w);
    cr_assert_str_eq(xmpp_stanza_get_type(st), "set");
    cr_assert(has_child(st, "jingle", "reason"), "a session-terminate");
    cr_assert_str_eq(xmpp_stanza_get_attribute(
                         xmpp_stanza_get_child_by_name(st, "jingle"), "action"),
                     "session-terminate");
    xmpp_stanza_release(st);
    cr_assert_eq(w->incoming, 0,
                 "bob completed a handshake with the wrong key");
    cr_assert_neq(ob_distance(w->b.it.c, hs_client_jid(w->mallory)), 1);
    mallory_accepts_wrongly(w, real, e2e_ident_fingerprint(claimed));
    e2e_listener_free(ls);
    e2e_ident_free(real);
    e2e_ident_free(claimed);
}

static void scenario(enum hs_kind kind)
{
    struct world w;

    start(&w, kind);
    stream(&w);
    binary(&w);
    mallory(&w);
    stop(&w);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, direct_streams)
{
    scenario(HS_PROSODY);
}
Test(ejabberd, direct_streams)
{
    scenario(HS_EJABBERD);
}
