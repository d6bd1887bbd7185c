/* test_ob_alloc.c -- liborbweb's sans-I/O cores under failing allocations:
 * every allocation of a scenario fails in turn, alone (FA_ONCE) and with
 * every later one (FA_FROM), and each run must return the documented
 * out-of-memory code, leak nothing, and -- once allocations work again --
 * retry the failed call and end exactly as the run without failures.
 * Allocations are counted and failed through the linker's --wrap (see
 * fail_alloc.h); FA_INDEX=n replays one index. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "e2e_jingle.h"
#include "e2e_policy.h"
#include "fail_alloc.h"
#include "gc.h"
#include "ob_parse_internal.h"
#include "ob_order.h"
#include "orbweb.h"

/* Runs `call` (an int result, negative on failure); when it fails with `enomem`
 * the run's allocations recover and it runs again.  An out-of-memory code with
 * no allocation failed, or any other failure, is a bug. */
#define RETRY(call, enomem)                                                    \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ == (enomem)) {                                                 \
            cr_assert_gt(fa_failed(), 0,                                       \
                         "%s: out of memory without a "                        \
                         "failed allocation",                                  \
                         #call);                                               \
            fa_stop_failing();                                                 \
            rc_ = (call);                                                      \
        }                                                                      \
        cr_assert_geq(rc_, 0, "%s: %d (allocation %ld failing)", #call, rc_,   \
                      fa_at());                                                \
    } while (0)

static const struct fa_plan every = {0, 0, false};

static void exhaust(const char *name, fa_scenario s, void *ud)
{
    cr_assert_gt(fa_exhaust(name, s, ud, FA_ONCE, &every), 0);
    cr_assert_gt(fa_exhaust(name, s, ud, FA_FROM, &every), 0);
}

/* ---- gc: two pbcast engines, tree cast with losses, gossip repair ---- */

#define GC_A 1u
#define GC_B 2u
#define GC_ORIGINS 12u
#define GC_SEQS 6u
#define GC_QCAP 256

struct gc_wired {
    gc *e[3]; /* by peer id: GC_A, GC_B */
    struct gc_q {
        gc_peer from, to;
        gc_record r;
        uint8_t payload[1];
    } q[GC_QCAP];
    size_t nq;
    uint64_t next[3][GC_ORIGINS + 1]; /* next seq expected per origin */
    size_t delivered[3];
};

static struct gc_wired W;
static gc_peer gc_sender; /* whose engine is calling send */

static int gc_cap_send(void *ctx, gc_peer to, const gc_record *r)
{
    struct gc_wired *w = ctx;
    struct gc_q *m;

    if (to != GC_A && to != GC_B)
        return 0; /* the other neighbours are not simulated */
    cr_assert_lt(w->nq, GC_QCAP);
    m = &w->q[w->nq++];
    *m = (struct gc_q){.from = gc_sender, .to = to, .r = *r};
    if (r->kind == GC_MSG) {
        cr_assert_eq(r->msg.len, 1);
        m->payload[0] = r->msg.payload[0];
        m->r.msg.payload = m->payload;
    }
    return 0;
}

static void gc_cap_deliver(void *ctx, uint32_t origin, uint64_t seq,
                           const uint8_t *payload, size_t len)
{
    gc_peer *self = ctx;

    cr_assert(origin >= 1 && origin <= GC_ORIGINS && len == 1);
    cr_assert_eq(payload[0], (uint8_t)(origin * 16 + seq));
    cr_assert_eq(seq, W.next[*self][origin],
                 "peer %u: origin %u seq %lu "
                 "out of order",
                 *self, origin, (unsigned long)seq);
    W.next[*self][origin]++;
    W.delivered[*self]++;
}

static gc_peer gc_ids[3] = {0, GC_A, GC_B};

static void gc_make(gc_peer id)
{
    gc_config cfg = {.engine = GC_PBCAST,
                     .rounds = 3,
                     .seed = id,
                     .send = gc_cap_send,
                     .send_ctx = &W,
                     .deliver = gc_cap_deliver,
                     .app_ctx = &gc_ids[id]};

    RETRY(gc_new(&cfg, 0, &W.e[id]), GC_ENOMEM);
}

/* Hands every queued record to its destination (B loses seq 3 of every
 * origin on the tree). */
static void gc_drain(void)
{
    for (size_t i = 0; i < W.nq; i++) {
        struct gc_q m = W.q[i];

        if (m.r.kind == GC_MSG && m.to == GC_B && m.r.msg.seq == 3 &&
            !(m.r.msg.flags & GC_FLAG_RETRANS))
            continue;
        gc_sender = m.to;
        RETRY(gc_receive(W.e[m.to], m.from, &m.r), GC_ENOMEM);
    }
    W.nq = 0;
}

static void gc_scenario(void *ud)
{
    uint8_t pay[1];

    (void)ud;
    memset(&W, 0, sizeof W);
    for (uint32_t o = 1; o <= GC_ORIGINS; o++)
        W.next[GC_A][o] = W.next[GC_B][o] = 1;
    gc_make(GC_A);
    gc_make(GC_B);
    for (gc_peer p = 3; p <= 8; p++)
        RETRY(gc_neighbour_add(W.e[GC_A], p, GC_ATTR_TREE), GC_ENOMEM);
    RETRY(gc_neighbour_add(W.e[GC_A], GC_B, GC_ATTR_TREE | GC_ATTR_GOSSIP),
          GC_ENOMEM);
    RETRY(gc_neighbour_add(W.e[GC_B], GC_A, GC_ATTR_GOSSIP), GC_ENOMEM);
    for (uint64_t q = 1; q <= GC_SEQS; q++)
        for (uint32_t o = 1; o <= GC_ORIGINS; o++) {
            gc_msg m = {o, q, 0, pay, 1, NULL};

            pay[0] = (uint8_t)(o * 16 + q);
            gc_sender = GC_A;
            RETRY(gc_inject(W.e[GC_A], &m), GC_ENOMEM);
            gc_drain();
        }
    for (int round = 0; round < 4; round++)
        for (gc_peer p = GC_A; p <= GC_B; p++) {
            gc_sender = p;
            RETRY(gc_tick(W.e[p], gc_next_round(W.e[p])), GC_ENOMEM);
            gc_drain();
        }
    cr_assert_eq(W.delivered[GC_A], GC_ORIGINS * GC_SEQS);
    cr_assert_eq(W.delivered[GC_B], GC_ORIGINS * GC_SEQS,
                 "B got %zu: a loss was not repaired (allocation %ld)",
                 W.delivered[GC_B], fa_at());
    RETRY(gc_neighbour_remove(W.e[GC_A], GC_B), GC_ENOMEM);
    gc_free(W.e[GC_A]);
    gc_free(W.e[GC_B]);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(ob_alloc, .timeout = 300);

Test(ob_alloc, gc_engines)
{
    exhaust("gc", gc_scenario, NULL);
}

/* ---- ob_order: stamps, a direct link that dies, reordering, eviction --
 *
 * The stanzas live in an xmpp_ctx_t whose allocator is fail_alloc's, so
 * what libstrophe allocates for ob_order (the <o/> element) fails too;
 * what the test builds is made with the counter paused. */

#define ORD_N 24
#define ORD_SENDERS 3

static const xmpp_mem_t fa_xmpp_mem = {fa_mem_alloc, fa_mem_free,
                                       fa_mem_realloc, NULL};

struct ord {
    xmpp_ctx_t *ctx;
    obi_order *snd, *rcv;
    xmpp_stanza_t *relayed[2 * ORD_N]; /* in the order they travel */
    size_t nrelayed;
    xmpp_stanza_t *direct[ORD_N];
    size_t ndirect;
    long got[ORD_SENDERS][2 * ORD_N];
    size_t ngot[ORD_SENDERS];
    size_t from; /* whose stanzas recv is handed */
};

static xmpp_stanza_t *ord_message(struct ord *w, long n)
{
    char body[24];
    xmpp_stanza_t *m;

    fa_pause(true);
    m = xmpp_message_new(w->ctx, "chat", "bob@example.org/b", NULL);
    snprintf(body, sizeof body, "%ld", n);
    cr_assert_not_null(m);
    cr_assert_eq(xmpp_message_set_body(m, body), XMPP_EOK);
    fa_pause(false);
    return m;
}

static void ord_got(void *ud, xmpp_stanza_t *st)
{
    struct ord *w = ud;
    char *body;

    fa_pause(true);
    body = xmpp_message_get_body(st);
    cr_assert_not_null(body);
    cr_assert_lt(w->ngot[w->from], 2 * ORD_N);
    w->got[w->from][w->ngot[w->from]++] = strtol(body, NULL, 10);
    xmpp_free(w->ctx, body);
    fa_pause(false);
}

static void ord_resend(void *ud, xmpp_stanza_t *st)
{
    struct ord *w = ud;

    w->relayed[w->nrelayed++] = xmpp_stanza_clone(st);
}

/* The sender stamps ORD_N unicasts, every third on a direct link that
 * acknowledges two and dies: its others go again relayed. */
static void ord_send(struct ord *w)
{
    for (long i = 1; i <= ORD_N; i++) {
        xmpp_stanza_t *m = ord_message(w, i);

        RETRY(obi_order_stamp(w->snd, "bob@example.org/b", m, NULL), OB_ENOMEM);
        if (i % 3 == 0 && obi_order_direct_room(w->snd, "bob@example.org/b")) {
            RETRY(obi_order_sent_direct(w->snd, "bob@example.org/b", 1,
                                        (uint64_t)w->ndirect + 1, m),
                  OB_ENOMEM);
            w->direct[w->ndirect++] = m;
        } else
            w->relayed[w->nrelayed++] = m;
    }
    obi_order_acked(w->snd, "bob@example.org/b", 1, 2);
    cr_assert_eq(
        obi_order_link_down(w->snd, "bob@example.org/b", 1, ord_resend, w),
        w->ndirect - 2);
}

/* The receiver gets the first relayed one (the relayed stream comes
 * first: it sets the SEQ expected), then the direct ones (early
 * arrivals, held), then the rest of the relayed stream; two other
 * senders come and go (max_peers 2). */
static void ord_receive(struct ord *w)
{
    static const char *jid[ORD_SENDERS] = {
        "alice@example.org/a", "carol@example.org/c", "dave@example.org/d"};

    for (size_t i = 0; i < w->ndirect + w->nrelayed; i++) {
        xmpp_stanza_t *m = i == 0            ? w->relayed[0]
                           : i <= w->ndirect ? w->direct[i - 1]
                                             : w->relayed[i - w->ndirect];

        w->from = 0;
        RETRY(obi_order_recv(w->rcv, jid[0], m, i, ord_got, w), OB_ENOMEM);
        w->from = 1 + i % 2;
        if (i % 5 == 0)
            RETRY(obi_order_recv(w->rcv, jid[w->from], m, i, ord_got, w),
                  OB_ENOMEM);
    }
    w->from = 0;
    obi_order_tick(w->rcv, UINT64_MAX / 2, ord_got, w);
}

static void ord_scenario(void *ud)
{
    struct obi_order_params ps = {.epoch = 11, .max_unacked = 4};
    struct obi_order_params pr = {.epoch = 12, .max_held = 8, .max_peers = 2};
    struct ord *w = ud;

    memset(w, 0, sizeof *w);
    fa_pause(true);
    w->ctx = xmpp_ctx_new(&fa_xmpp_mem, NULL);
    fa_pause(false);
    RETRY(obi_order_new(&ps, &w->snd), OB_ENOMEM);
    RETRY(obi_order_new(&pr, &w->rcv), OB_ENOMEM);
    ord_send(w);
    ord_receive(w);
    cr_assert_eq(w->ngot[0], ORD_N, "alice: %zu delivered (allocation %ld)",
                 w->ngot[0], fa_at());
    for (size_t i = 0; i < ORD_N; i++)
        cr_assert_eq(w->got[0][i], (long)i + 1, "at %zu (allocation %ld)", i,
                     fa_at());
    obi_order_free(w->snd);
    obi_order_free(w->rcv);
    for (size_t i = 0; i < w->ndirect; i++)
        xmpp_stanza_release(w->direct[i]);
    for (size_t i = 0; i < w->nrelayed; i++)
        xmpp_stanza_release(w->relayed[i]);
    fa_pause(true);
    xmpp_ctx_free(w->ctx);
    fa_pause(false);
}

Test(ob_alloc, ob_order)
{
    static struct ord w;

    xmpp_initialize();
    exhaust("ob_order", ord_scenario, &w);
    xmpp_shutdown();
}

/* ---- e2e_policy: samples beyond the table, rounds, outcomes, an
 * incoming request that displaces a session ----
 *
 * The run without failures leaves its final state and every action in
 * `ref`; every failing run, its failed calls retried, must end the same. */

#define POL_ACTS 64

struct pol_state {
    size_t sessions, pending, peers;
    int nacts;
    char acts[POL_ACTS][24]; /* "O peer" or "C peer" */
};

struct pol {
    e2e_policy *p;
    struct pol_state now, ref;
};

static void pol_act(void *ud, enum e2e_policy_action a, const char *peer)
{
    struct pol *w = ud;

    cr_assert_lt(w->now.nacts, POL_ACTS);
    snprintf(w->now.acts[w->now.nacts++], sizeof w->now.acts[0], "%c %s",
             a == E2E_POLICY_OPEN ? 'O' : 'C', peer);
}

/* A round; on ENOMEM nothing may have been asked for (nothing changed). */
static void pol_round(struct pol *w, uint64_t now)
{
    int before = w->now.nacts;
    int rc = e2e_policy_round(w->p, now);

    if (rc == E2E_POLICY_ENOMEM) {
        cr_assert_eq(w->now.nacts, before, "a failed round acted");
        fa_stop_failing();
        rc = e2e_policy_round(w->p, now);
    }
    cr_assert_geq(rc, 0, "round: %d (allocation %ld)", rc, fa_at());
    for (int i = before; i < w->now.nacts; i++)
        if (w->now.acts[i][0] == 'O')
            RETRY(e2e_policy_opened(w->p, w->now.acts[i] + 2, false, now),
                  E2E_POLICY_ENOMEM);
}

/* accept() says false for out of memory too: then nothing changed, and
 * with allocations back it accepts. */
static void pol_accept(struct pol *w, const char *peer, uint64_t now)
{
    size_t peers = e2e_policy_peers(w->p);

    if (!e2e_policy_accept(w->p, peer, now)) {
        cr_assert_gt(fa_failed(), 0, "declined without a failure");
        cr_assert_eq(e2e_policy_peers(w->p), peers);
        fa_stop_failing();
        cr_assert(e2e_policy_accept(w->p, peer, now));
    }
    RETRY(e2e_policy_opened(w->p, peer, true, now), E2E_POLICY_ENOMEM);
}

static void pol_scenario(void *ud)
{
    struct pol *w = ud;
    struct e2e_policy_params q;
    char jid[24];

    e2e_policy_defaults(&q);
    q.limit = 4;
    q.max_peers = 16;
    q.min_priority = 100;
    memset(&w->now, 0, sizeof w->now);
    RETRY(e2e_policy_new(&q, pol_act, w, &w->p), E2E_POLICY_ENOMEM);
    for (int i = 0; i < 24; i++) {
        snprintf(jid, sizeof jid, "p%d@x/r", i);
        RETRY(e2e_policy_sample(w->p, jid, 1000 * (size_t)(i + 1)),
              E2E_POLICY_ENOMEM);
    }
    pol_round(w, 0);
    RETRY(e2e_policy_sample(w->p, "in@x/r", 1u << 20), E2E_POLICY_ENOMEM);
    pol_round(w, 1000);
    pol_accept(w, "in@x/r", 1000);
    RETRY(e2e_policy_failed(w->p, "p23@x/r", 1500), E2E_POLICY_ENOMEM);
    RETRY(e2e_policy_closed(w->p, "p22@x/r", 1500), E2E_POLICY_ENOMEM);
    RETRY(e2e_policy_failed(w->p, "new@x/r", 1500), E2E_POLICY_ENOMEM);
    pol_round(w, 2000);
    w->now.sessions = e2e_policy_sessions(w->p);
    w->now.pending = e2e_policy_pending(w->p);
    w->now.peers = e2e_policy_peers(w->p);
    e2e_policy_free(w->p);
    if (fa_at() < 0)
        w->ref = w->now;
    cr_assert(w->ref.nacts > 4 && w->ref.sessions > 0, "a dull script");
    cr_assert_eq(memcmp(&w->now, &w->ref, sizeof w->now), 0,
                 "allocation %ld: the end differs (%zu sessions, %d actions)",
                 fa_at(), w->now.sessions, w->now.nacts);
}

Test(ob_alloc, e2e_policy)
{
    static struct pol w;

    exhaust("e2e_policy", pol_scenario, &w);
}

/* ---- e2e_jingle: two tables negotiating sessions through a lossless
 * network; stanzas built in a failing xmpp_ctx_t ----
 *
 * A failure may cost a session (an answer that could not be built is
 * never sent, so the other side times out), but both sides must end up
 * agreeing: after the deadlines, every session either side holds is
 * ACTIVE on both, and nothing is left negotiating. */

#define JG_A "alice@example.org/a"
#define JG_B "bob@example.org/b"
#define JG_FPR_A                                                               \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define JG_FPR_B                                                               \
    "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:"                         \
    "11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20"
#define JG_Q 64
#define JG_SESSIONS 3

struct jg_side {
    e2e_jingle *t;
    const char *jid;
    char connect[JG_Q][E2E_JINGLE_SID_MAX + 1]; /* DO_CONNECT to answer */
    size_t nconnect;
    size_t closes;
};

struct jg {
    xmpp_ctx_t *ctx;
    struct jg_side side[2]; /* alice, bob */
    xmpp_stanza_t *q[JG_Q];
    size_t nq;
};

static struct jg JG;

/* The server's part: a copy stamped with the sender's JID. */
static void jg_net(void *ud, xmpp_stanza_t *st)
{
    struct jg_side *from = ud;

    cr_assert_lt(JG.nq, JG_Q);
    fa_pause(true);
    cr_assert_not_null(JG.q[JG.nq] = xmpp_stanza_copy(st));
    cr_assert_eq(xmpp_stanza_set_from(JG.q[JG.nq++], from->jid), XMPP_EOK);
    fa_pause(false);
}

static void jg_act(void *ud, const struct e2e_jingle_event *ev)
{
    struct jg_side *s = ud;

    if (ev->what == E2E_JINGLE_DO_CONNECT) {
        cr_assert_lt(s->nconnect, JG_Q);
        snprintf(s->connect[s->nconnect++], sizeof s->connect[0], "%s",
                 ev->sid);
    } else if (ev->what == E2E_JINGLE_DO_CLOSE)
        s->closes++;
}

static void jg_make(struct jg_side *s, const char *jid, const char *fpr)
{
    struct e2e_jingle_params p = {.jid = jid,
                                  .fingerprint = fpr,
                                  .max_pending_peer = 8,
                                  .timeout_ms = 1000,
                                  .seed = 42};
    struct e2e_jingle_io io = {JG.ctx, jg_net, jg_act, NULL, NULL, s};

    s->jid = jid;
    RETRY(e2e_jingle_new(&p, &io, &s->t), E2E_JINGLE_ENOMEM);
}

/* Hands every stanza in flight to its addressee, in order. */
static void jg_deliver(uint64_t now)
{
    for (size_t i = 0; i < JG.nq; i++) {
        xmpp_stanza_t *st = JG.q[i];
        struct jg_side *to =
            &JG.side[strcmp(xmpp_stanza_get_to(st), JG_A) != 0];

        int rc = e2e_jingle_handle(to->t, st, now);

        /* a refusal is answered; out of memory is the only refusal here,
         * and a session the other side gave up on for it is unknown */
        cr_assert(rc == 0 || rc == E2E_JINGLE_ENOMEM ||
                      (rc == E2E_JINGLE_EUNKNOWN && fa_at() >= 0),
                  "allocation %ld: %s", fa_at(), e2e_jingle_strerror(rc));
        if (rc == E2E_JINGLE_ENOMEM)
            fa_stop_failing(); /* the owner saw it: memory comes back */
        xmpp_stanza_release(st);
    }
    JG.nq = 0;
}

/* Bob's links come up for every session he was asked to connect. */
static void jg_connect_all(uint64_t now)
{
    struct jg_side *b = &JG.side[1];

    for (size_t i = 0; i < b->nconnect; i++)
        if (e2e_jingle_state(b->t, JG_A, b->connect[i]) ==
            E2E_JINGLE_CONNECTING)
            RETRY(e2e_jingle_connected(b->t, JG_A, b->connect[i], now),
                  E2E_JINGLE_ENOMEM);
    b->nconnect = 0;
}

static void jg_scenario(void *ud)
{
    static const struct e2e_jingle_candidate c = {"c1", "127.0.0.1", 4000, 1};
    char sid[JG_SESSIONS][E2E_JINGLE_SID_MAX + 1];

    (void)ud;
    memset(&JG, 0, sizeof JG);
    fa_pause(true);
    JG.ctx = xmpp_ctx_new(&fa_xmpp_mem, NULL);
    fa_pause(false);
    jg_make(&JG.side[0], JG_A, JG_FPR_A);
    jg_make(&JG.side[1], JG_B, JG_FPR_B);
    for (int i = 0; i < JG_SESSIONS; i++)
        RETRY(e2e_jingle_initiate(JG.side[0].t, JG_B, &c, 1, 0, sid[i]),
              E2E_JINGLE_ENOMEM);
    for (uint64_t now = 0; now <= 4000; now += 500) {
        jg_deliver(now);
        jg_connect_all(now);
        jg_deliver(now);
        for (int k = 0; k < 2; k++)
            cr_assert_geq(e2e_jingle_tick(JG.side[k].t, now), 0);
    }
    jg_deliver(4000);
    for (int k = 0; k < 2; k++)
        cr_assert_eq(e2e_jingle_pending(JG.side[k].t), 0,
                     "allocation %ld: side %d still negotiating", fa_at(), k);
    cr_assert_eq(e2e_jingle_sessions(JG.side[0].t),
                 e2e_jingle_sessions(JG.side[1].t),
                 "allocation %ld: the sides disagree", fa_at());
    for (int i = 0; i < JG_SESSIONS; i++)
        cr_assert_eq(e2e_jingle_state(JG.side[0].t, JG_B, sid[i]),
                     e2e_jingle_state(JG.side[1].t, JG_A, sid[i]),
                     "allocation %ld: session %d", fa_at(), i);
    if (fa_at() < 0)
        cr_assert_eq(e2e_jingle_sessions(JG.side[0].t), JG_SESSIONS,
                     "%zu sessions, %zu and %zu closed",
                     e2e_jingle_sessions(JG.side[0].t), JG.side[0].closes,
                     JG.side[1].closes);
    e2e_jingle_free(JG.side[0].t);
    e2e_jingle_free(JG.side[1].t);
    fa_pause(true);
    xmpp_ctx_free(JG.ctx);
    fa_pause(false);
}

Test(ob_alloc, e2e_jingle)
{
    xmpp_initialize();
    exhaust("e2e_jingle", jg_scenario, NULL);
    xmpp_shutdown();
}

/* ---- ob_parse: what rooms and peers send, into events ----
 *
 * Each stanza is parsed with its libstrophe context failing too (reading
 * a text child copies it); a parse that fails says OB_ENOMEM and, parsed
 * again, must give exactly the event of the run without failures: out of
 * memory must never read as "no body", "not for us" or "malformed". */

#define PR "grid@rooms.localhost"
#define PR_MUCU "<x xmlns='http://jabber.org/protocol/muc#user'>"
#define PR_STANZAS "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"

static const char *const parse_cases[] = {
    "<presence from='" PR "/p3'>" PR_MUCU "<item role='participant' "
    "jid='p3@localhost/x'/></x><view xmlns='https://orbweb.dev/ns/xmuc/0' "
    "attrs='tree,gossip'/></presence>",
    "<presence from='" PR "/p4'>" PR_MUCU "<item role='participant'/></x>"
    "</presence>",
    "<presence type='unavailable' from='" PR "/p3'>" PR_MUCU
    "<item role='none'/></x><view xmlns='https://orbweb.dev/ns/xmuc/0' "
    "reason='view'/></presence>",
    "<presence from='" PR "/me'>" PR_MUCU "<status code='110'/>"
    "<status code='201'/></x></presence>",
    "<presence type='unavailable' from='" PR "/me'>" PR_MUCU
    "<status code='307'/><status code='110'/></x></presence>",
    "<presence type='error' from='" PR
    "/me'><error type='cancel'><text " PR_STANZAS
    ">why</text><conflict " PR_STANZAS "/></error></presence>",
    "<message type='groupchat' from='" PR "/p3'><body>hi &amp; all</body>"
    "<groupcast xmlns='https://orbweb.dev/ns/xmuc/0' seq='42'/></message>",
    "<message type='groupchat' from='" PR "'><body>notice</body></message>",
    "<message from='p3@localhost/x'><body>ping</body></message>",
    "<message type='chat' from='" PR "/p3'><body>pm</body></message>",
    "<message from='p3@localhost/x' type='chat'><data "
    "xmlns='https://orbweb.dev/ns/e2e/0'>AAEC/w==</data></message>",
    "<message from='p3@localhost/x'><gc xmlns='https://orbweb.dev/ns/xmuc/0' "
    "room='" PR "' mode='pbcast'>AQIDBA==</gc></message>",
    "<message type='error' from='gone@localhost/x'><error type='cancel'>"
    "<service-unavailable " PR_STANZAS "/><text " PR_STANZAS ">gone</text>"
    "</error></message>",
};

#define PARSE_N (sizeof parse_cases / sizeof *parse_cases)

/* Everything an event says, as text. */
static void ev_text(const struct obi_ev *ev, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "%d/%d/%d/%d/%d/%llu/%d|%s|%s|%s|%s|%s|%s|%s|"
                     "%s|%s|%zu:",
                     ev->kind, ev->sub, ev->code, ev->flag, ev->has_seq,
                     (unsigned long long)ev->seq, ev->cond, ev->room, ev->nick,
                     ev->jid, ev->attrs, ev->body, ev->from, ev->condition,
                     ev->etype, ev->text, ev->data_len);

    for (size_t i = 0; i < ev->data_len && n > 0 && (size_t)n + 3 < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", ev->data[i]);
}

struct parse_ref {
    char want[PARSE_N][512];
};

static void parse_scenario(void *ud)
{
    struct parse_ref *ref = ud;
    xmpp_ctx_t *ctx;
    char got[512];

    fa_pause(true);
    ctx = xmpp_ctx_new(&fa_xmpp_mem, NULL);
    fa_pause(false);
    for (size_t i = 0; i < PARSE_N; i++) {
        struct obi_ev ev;
        xmpp_stanza_t *st;

        fa_pause(true);
        cr_assert_not_null(
            st = xmpp_stanza_new_from_string(ctx, parse_cases[i]));
        fa_pause(false);
        RETRY(obi_parse(st, &ev), OB_ENOMEM);
        ev_text(&ev, got, sizeof got);
        if (fa_at() < 0)
            memcpy(ref->want[i], got, sizeof got);
        cr_assert_str_eq(got, ref->want[i], "case %zu, allocation %ld", i,
                         fa_at());
        obi_ev_clear(&ev);
        xmpp_stanza_release(st);
    }
    fa_pause(true);
    xmpp_ctx_free(ctx);
    fa_pause(false);
}

Test(ob_alloc, ob_parse)
{
    static struct parse_ref ref;

    xmpp_initialize();
    exhaust("ob_parse", parse_scenario, &ref);
    for (size_t i = 0; i < PARSE_N; i++)
        cr_assert(strncmp(ref.want[i], "0/", 2) || i == 7,
                  "case %zu parses to nothing", i);
    xmpp_shutdown();
}
