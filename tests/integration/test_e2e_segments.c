/* test_e2e_segments.c -- direct streams across real network segments.
 *
 * Three segments (network namespaces, tools/harness/hs_netns.h) of three
 * liborbweb peers each; Prosody and xmucd run in the core, the only place
 * every segment reaches.  Every peer sends a steady stream of numbered
 * unicasts to every other peer.  Peers of one segment must end up with
 * direct sessions (distance 1); attempts across segments fail (no route),
 * are greylisted, and that traffic stays relayed (distance 2); every
 * unicast arrives exactly once and in order per sender, whichever path it
 * took, across the switch from relayed to direct.  Waits are bounded only
 * to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_netns.h"
#include "it_support.h"
#include "it_world.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "orbweb.h"

#define NSEG 3
#define PPS 3 /* peers per segment */
#define NP (NSEG * PPS)
#define SEND_PERIOD_MS 50
#define SEND_ROUNDS 120 /* at least 6 s of traffic */
#define SETTLE_S 180    /* then more until the distances settle: a hang bound */
#define PAD 1000        /* bytes of padding per unicast: 20 KB/s per pair */

struct peer {
    struct it_peer
        it; /* c, state, joined (first: it_on_state sees the peer so) */
    struct world *w;
    int idx, seg;
    long next[NP]; /* next sequence number expected from each sender */
    long got[NP];  /* unicasts received from each sender */
    long disorder; /* unicasts out of order or repeated */
    long sent;     /* rounds sent (to every other peer) */
    int distance[NP];
};

struct world {
    hs_netns *ns;
    hs_server *s;
    struct hs_proc *x;
    char err[2048];
    pthread_mutex_t lock;
    char jids[NP][320];
    atomic_int ready, done_sending, finished;
    struct peer p[NP];
};

/* ---- the core: server and xmucd ---------------------------------------- */

static void start_core(void *arg)
{
    struct world *w = arg;
    struct hs_options opt = {.listen = "0.0.0.0", .accounts = 1};

    if (hs_server_start(HS_PROSODY, &opt, w->err, sizeof w->err, &w->s) < 0)
        return;
    w->x = hs_xmucd_start(w->s, NULL, w->err, sizeof w->err);
}

/* ---- one segment's peers, in a thread inside the segment -------------- */

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;
    int from;
    long n;

    (void)c;
    if (sscanf(m->body, "from=%d n=%ld ", &from, &n) != 2 || from < 0 ||
        from >= NP)
        return;
    if (n != p->next[from])
        p->disorder++;
    if (n >= p->next[from])
        p->next[from] = n + 1;
    p->got[from]++;
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .room = it_on_room,
                                              .unicast = on_unicast};

/* True when every peer of the segment satisfies pred. */
static bool all(struct peer **ps, bool (*pred)(struct peer *))
{
    for (int i = 0; i < PPS; i++)
        if (!pred(ps[i]))
            return false;
    return true;
}

/* Runs the loop until every peer of the segment satisfies pred (or the
 * deadline); false on timeout. */
static bool wait_all(struct event_base *base, struct peer **ps,
                     bool (*pred)(struct peer *), double seconds)
{
    double end = it_now_ms() + seconds * 1e3;

    for (;;) {
        if (all(ps, pred))
            return true;
        if (it_now_ms() > end)
            return false;
        it_run_for(base, 20);
    }
}

static bool connected(struct peer *p)
{
    return p->it.state == OB_STATE_CONNECTED;
}
static bool joined(struct peer *p)
{
    return p->it.joined;
}

static bool all_arrived(struct peer *p)
{
    for (int j = 0; j < NP; j++)
        if (j != p->idx && p->got[j] < p->w->p[j].sent)
            return false;
    return true;
}

/* The distance p must end with to peer j: direct within a segment,
 * relayed across. */
static int expected_distance(const struct peer *p, int j)
{
    return p->w->p[j].seg == p->seg ? 1 : 2;
}

/* True when p's distances are what the test expects (the direct
 * sessions are up, the cross-segment attempts given up). */
static bool settled(struct peer *p)
{
    for (int j = 0; j < NP; j++)
        if (j != p->idx &&
            ob_distance(p->it.c, p->w->jids[j]) != expected_distance(p, j))
            return false;
    return true;
}

static void send_round(struct world *w, struct peer *p, long n)
{
    char body[PAD + 64];

    for (int j = 0; j < NP; j++) {
        if (j == p->idx)
            continue;
        snprintf(body, sizeof body, "from=%d n=%ld ", p->idx, n);
        memset(body + strlen(body), 'x', PAD);
        body[sizeof body - 1] = '\0';
        ob_unicast(p->it.c, w->jids[j], body);
    }
}

/* Sends a round every SEND_PERIOD_MS: SEND_ROUNDS of them, then more
 * until the segment's distances settle or SETTLE_S have passed. */
static void send_rounds(struct world *w, struct peer **ps,
                        struct event_base *base)
{
    double end = it_now_ms() + SETTLE_S * 1e3;
    long n;

    for (n = 0; n < SEND_ROUNDS || (it_now_ms() < end && !all(ps, settled));
         n++) {
        double next = it_now_ms() + SEND_PERIOD_MS;
        for (int i = 0; i < PPS; i++)
            send_round(w, ps[i], n);
        while (it_now_ms() < next)
            it_run_for(base, next - it_now_ms());
    }
    for (int i = 0; i < PPS; i++)
        ps[i]->sent = n;
    fprintf(stderr, "segment %d: %ld rounds sent, distances %s\n", ps[0]->seg,
            n, all(ps, settled) ? "settled" : "not settled");
}

static void segment(void *arg)
{
    struct peer *first = arg, *ps[PPS];
    struct world *w = first->w;
    struct event_base *base = event_base_new();
    char room[256], nick[16];

    snprintf(room, sizeof room, "grid@%s", hs_server_component(w->s));
    for (int i = 0; i < PPS; i++) {
        struct peer *p = ps[i] = first + i;
        struct ob_options o = {.size = sizeof(struct ob_options),
                               .host = hs_netns_core_addr(w->ns, p->seg),
                               .port = hs_server_c2s_port(w->s),
                               .jid = hs_server_anon_domain(w->s),
                               .tls = OB_TLS_TRUST,
                               .base = base,
                               .cb = &callbacks,
                               .user = p,
                               .reconnect_max_ms = 2000};
        if (ob_client_new(&o, &p->it.c) || ob_connect(p->it.c))
            goto out;
    }
    if (!wait_all(base, ps, connected, 30))
        goto out;
    for (int i = 0; i < PPS; i++) {
        struct ob_join_params jp = {.size = sizeof(struct ob_join_params),
                                    .manager = "complete"};
        snprintf(nick, sizeof nick, "s%dp%d", ps[i]->seg, i);
        if (ob_room_join(ps[i]->it.c, room, nick, &jp))
            goto out;
    }
    if (!wait_all(base, ps, joined, 30))
        goto out;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < PPS; i++)
        snprintf(w->jids[ps[i]->idx], sizeof w->jids[0], "%s",
                 ob_client_jid(ps[i]->it.c));
    pthread_mutex_unlock(&w->lock);
    atomic_fetch_add(&w->ready, PPS);
    while (atomic_load(&w->ready) < NP)
        it_run_for(base, 20);
    send_rounds(w, ps, base);
    atomic_fetch_add(&w->done_sending, PPS);
    while (atomic_load(&w->done_sending) < NP) /* the counts are final */
        it_run_for(base, 20);
    wait_all(base, ps, all_arrived, 60);
    for (int i = 0; i < PPS; i++)
        for (int j = 0; j < NP; j++)
            ps[i]->distance[j] = ob_distance(ps[i]->it.c, w->jids[j]);
    /* keep answering (acks, relayed copies) until everyone is done */
    atomic_fetch_add(&w->finished, PPS);
    while (atomic_load(&w->finished) < NP)
        it_run_for(base, 20);
out:
    for (int i = 0; i < PPS; i++)
        ob_client_free(first[i].it.c);
    event_base_free(base);
}

struct seg_job {
    struct world *w;
    int seg;
};

static void *segment_thread(void *arg)
{
    struct seg_job *j = arg;

    if (hs_netns_call(j->w->ns, j->seg, segment, &j->w->p[(j->seg - 1) * PPS]) <
        0)
        fprintf(stderr, "cannot enter segment %d\n", j->seg);
    return NULL;
}

Test(e2e_segments, direct_within_segments_relayed_across, .timeout = 480)
{
    static struct world w;
    pthread_t t[NSEG];
    struct seg_job jobs[NSEG];

    pthread_mutex_init(&w.lock, NULL);
    cr_assert_eq(hs_netns_new(NSEG, w.err, sizeof w.err, &w.ns), HS_NETNS_OK,
                 "%s", w.err);
    cr_assert(w.ns, "%s", w.err);
    cr_assert_eq(hs_netns_call(w.ns, 0, start_core, &w), 0);
    cr_assert(w.s && w.x, "%s", w.err);
    for (int i = 0; i < NP; i++) {
        w.p[i].w = &w;
        w.p[i].idx = i;
        w.p[i].seg = 1 + i / PPS;
    }
    for (int k = 0; k < NSEG; k++) {
        jobs[k] = (struct seg_job){&w, k + 1};
        cr_assert_eq(pthread_create(&t[k], NULL, segment_thread, &jobs[k]), 0);
    }
    for (int k = 0; k < NSEG; k++)
        pthread_join(t[k], NULL);
    cr_assert_eq(atomic_load(&w.done_sending), NP,
                 "not every peer got to send");
    for (int i = 0; i < NP; i++) {
        struct peer *p = &w.p[i];
        cr_expect_eq(p->disorder, 0,
                     "peer %d got %ld unicasts out of order or twice", i,
                     p->disorder);
        for (int j = 0; j < NP; j++) {
            if (j == i)
                continue;
            cr_expect_eq(p->got[j], w.p[j].sent,
                         "peer %d got %ld of %ld from %d", i, p->got[j],
                         w.p[j].sent, j);
            cr_expect_eq(p->distance[j], expected_distance(p, j),
                         "distance from %d (segment %d) to %d (segment %d): %d",
                         i, p->seg, j, w.p[j].seg, p->distance[j]);
        }
    }
    hs_xmucd_stop(w.x);
    hs_server_stop(w.s);
    hs_netns_free(w.ns);
}
