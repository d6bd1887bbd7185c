/* sim_e2e_policy.c -- a deterministic simulation of the direct-session
 * policy: 2,000 peers, each with its own e2e_policy, driven round by round
 * with scripted traffic.
 *
 * Peer i lives in segment i % 4; attempts between segments fail.  Traffic
 * is symmetric and Zipf-like: peer i sends W / k bytes a round (times a
 * uniform noise factor in [0.8, 1.2]) to i + d_k and i - d_k for the k-th
 * offset of its current pattern; some offsets cross segments (those
 * partners can never connect).  Every tenth peer has a session limit of 3
 * instead of 8, so its partners meet a partner at its limit.
 *
 * The simulator is the I/O layer: it queues each peer's actions and then
 * resolves them.  OPEN(i -> j) asks j.accept(i): declined, i gets failed();
 * accepted across segments, both get failed(); otherwise both get opened()
 * (i outgoing, j incoming).  CLOSE closes both sides.  One session per
 * pair: when both sides open each other in the same round, the first
 * request resolves both.
 *
 * Checked at every step: no peer above its limit (the policy's count and
 * the simulator's); declines only at a full partner, and an acceptance at
 * a full partner always displaced one of its sessions; no attempt to a
 * partner before the greylist sigmoid of its failures allows.  Checked per
 * phase: no session opened or closed in the stable phase after warm-up;
 * after the traffic shifts, old sessions gone and new ones in place within
 * a bounded number of rounds.  SIM_SEED=<n> reproduces a run. */
#include "../seed.h"
#include "e2e_policy.h"
#include "ut_rand.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPEERS 2000
#define NSEG 4
#define NOFF 7
#define MAXPARTS (4 * NOFF)
#define MAXSESS 8
#define W 40000.0

/* Two traffic patterns: offsets in rank order (rank k weighs W / k).
 * Offsets not divisible by NSEG cross segments. */
static const int pattern[2][NOFF] = {
    {4, 1, 8, 3, 12, 16, 20},
    {36, 7, 44, 5, 52, 56, 60},
};

struct part {
    int peer;
    double weight[2]; /* bytes a round in each pattern */
    bool pend_out;    /* our OPEN to it is unresolved */
    unsigned fails;   /* failed() reported to us about it, consecutive */
    uint64_t last_fail;
    unsigned attempts;
};

struct simpeer {
    e2e_policy *pol;
    char jid[48];
    int limit;
    int nparts;
    struct part parts[MAXPARTS];
    int sess[MAXSESS + 1];
    int nsess;
    int closes_emitted;
    int churn; /* opens and closes it took part in, in the window */
};

struct act {
    int from, to;
    enum e2e_policy_action a;
};

struct sim {
    struct simpeer *p;
    struct act *q;
    size_t qlen, qcap;
    int urgent_from; /* the peer inside accept(), or -1 */
    struct act urgent[MAXSESS];
    int nurgent;
    uint64_t seed, rng, now;
    int phase;
    bool window; /* counting churn per peer */
    /* counters for the current round */
    long opens, closes, attempts, fails, declines, displaced, glare;
    /* retries checked against the greylist, and the smallest margin */
    long retries;
    uint64_t min_slack;
};

static struct sim S;

/* ---- randomness ---- */

static double uniform(void)
{
    return ut_splitmix64_unit(&S.rng);
}

/* ---- the population ---- */

static int peer_of(const char *jid)
{
    int i = atoi(jid + 1);
    cr_assert(i >= 0 && i < NPEERS, "bad jid %s, SIM_SEED=%llu", jid,
              (unsigned long long)S.seed);
    return i;
}

static struct part *part_of(int i, int j)
{
    struct simpeer *sp = &S.p[i];
    for (int k = 0; k < sp->nparts; k++)
        if (sp->parts[k].peer == j)
            return &sp->parts[k];
    cr_assert_fail("%d has no partner %d, SIM_SEED=%llu", i, j,
                   (unsigned long long)S.seed);
    return NULL;
}

static void add_part(struct simpeer *sp, int j, int pat, double w)
{
    for (int k = 0; k < sp->nparts; k++)
        if (sp->parts[k].peer == j) {
            sp->parts[k].weight[pat] += w;
            return;
        }
    cr_assert_lt(sp->nparts, MAXPARTS);
    struct part *pt = &sp->parts[sp->nparts++];
    memset(pt, 0, sizeof *pt);
    pt->peer = j;
    pt->weight[pat] = w;
}

static void on_act(void *ud, enum e2e_policy_action a, const char *peer)
{
    int from = (int)((struct simpeer *)ud - S.p), to = peer_of(peer);
    struct act x = {from, to, a};
    if (a == E2E_POLICY_CLOSE)
        S.p[from].closes_emitted++;
    if (from == S.urgent_from) {
        cr_assert_eq(a, E2E_POLICY_CLOSE, "accept() only closes");
        cr_assert_lt(S.nurgent, MAXSESS);
        S.urgent[S.nurgent++] = x;
        return;
    }
    if (a == E2E_POLICY_OPEN)
        part_of(from, to)->pend_out = true;
    if (S.qlen == S.qcap) {
        S.qcap = S.qcap ? 2 * S.qcap : 1024;
        S.q = realloc(S.q, S.qcap * sizeof *S.q);
        cr_assert_not_null(S.q);
    }
    S.q[S.qlen++] = x;
}

static void sim_init(void)
{
    memset(&S, 0, sizeof S);
    S.seed = ob_fixed_seed("SIM_SEED", 20261124);
    S.rng = S.seed;
    S.urgent_from = -1;
    S.p = calloc(NPEERS, sizeof *S.p);
    cr_assert_not_null(S.p);
    for (int i = 0; i < NPEERS; i++) {
        struct simpeer *sp = &S.p[i];
        snprintf(sp->jid, sizeof sp->jid, "p%d@seg%d.sim/orbweb", i, i % NSEG);
        sp->limit = i % 10 == 0 ? 3 : 8;
        struct e2e_policy_params q;
        e2e_policy_defaults(&q);
        q.limit = sp->limit;
        cr_assert_eq(e2e_policy_new(&q, on_act, sp, &sp->pol), 0);
        for (int pat = 0; pat < 2; pat++)
            for (int k = 0; k < NOFF; k++) {
                int d = pattern[pat][k];
                add_part(sp, (i + d) % NPEERS, pat, W / (k + 1));
                add_part(sp, (i - d + NPEERS) % NPEERS, pat, W / (k + 1));
            }
    }
}

static void sim_fini(void)
{
    for (int i = 0; i < NPEERS; i++)
        e2e_policy_free(S.p[i].pol);
    free(S.p);
    free(S.q);
}

/* ---- sessions as the simulator sees them ---- */

static bool in_session(int i, int j)
{
    for (int k = 0; k < S.p[i].nsess; k++)
        if (S.p[i].sess[k] == j)
            return true;
    return false;
}

static void check_limit(int i)
{
    struct simpeer *sp = &S.p[i];
    size_t used = e2e_policy_sessions(sp->pol) + e2e_policy_pending(sp->pol);
    cr_assert_leq(used, (size_t)sp->limit,
                  "peer %d over its limit at %llu"
                  " ms, SIM_SEED=%llu",
                  i, (unsigned long long)S.now, (unsigned long long)S.seed);
    cr_assert_leq(sp->nsess, sp->limit, "peer %d holds %d, SIM_SEED=%llu", i,
                  sp->nsess, (unsigned long long)S.seed);
}

static void sess_add(int i, int j)
{
    S.p[i].sess[S.p[i].nsess++] = j;
    check_limit(i);
}

static void sess_del(int i, int j)
{
    struct simpeer *sp = &S.p[i];
    for (int k = 0; k < sp->nsess; k++)
        if (sp->sess[k] == j) {
            sp->sess[k] = sp->sess[--sp->nsess];
            return;
        }
    cr_assert_fail("%d had no session with %d, SIM_SEED=%llu", i, j,
                   (unsigned long long)S.seed);
}

/* ---- resolving actions ---- */

/* The greylist as the simulator computes it, independently. */
static uint64_t grey_ms(unsigned f)
{
    return f ? (uint64_t)llround(60000.0 / (1 + exp(-1.5 * (f - 3.0)))) : 0;
}

static void report_failed(int i, int j)
{
    struct part *pt = part_of(i, j);
    pt->pend_out = false;
    pt->fails++;
    pt->last_fail = S.now;
    cr_assert_eq(e2e_policy_failed(S.p[i].pol, S.p[j].jid, S.now), 0);
    check_limit(i);
}

static void report_opened(int i, int j, bool incoming)
{
    struct part *pt = part_of(i, j);
    pt->pend_out = false;
    pt->fails = 0;
    cr_assert_eq(e2e_policy_opened(S.p[i].pol, S.p[j].jid, incoming, S.now), 0);
    sess_add(i, j);
}

static void do_close(int i, int j)
{
    cr_assert(in_session(i, j), "CLOSE %d->%d without a session", i, j);
    sess_del(i, j);
    sess_del(j, i);
    cr_assert_eq(e2e_policy_closed(S.p[j].pol, S.p[i].jid, S.now), 0);
    cr_assert_eq(e2e_policy_closed(S.p[i].pol, S.p[j].jid, S.now), 0);
    S.closes++;
    S.p[i].churn += S.window;
    S.p[j].churn += S.window;
}

static void check_greylist(int i, int j)
{
    struct part *pt = part_of(i, j);
    pt->attempts++;
    if (!pt->fails)
        return;
    cr_assert_geq(S.now - pt->last_fail, grey_ms(pt->fails),
                  "%d retried %d %llu ms after failure %u, SIM_SEED=%llu", i, j,
                  (unsigned long long)(S.now - pt->last_fail), pt->fails,
                  (unsigned long long)S.seed);
    uint64_t slack = S.now - pt->last_fail - grey_ms(pt->fails);
    if (!S.retries++ || slack < S.min_slack)
        S.min_slack = slack;
}

/* j's answer to i; the CLOSEs j emits inside accept() are carried out
 * before anything else happens. */
static bool ask_accept(int i, int j)
{
    struct simpeer *sj = &S.p[j];
    size_t used = e2e_policy_sessions(sj->pol) + e2e_policy_pending(sj->pol);
    bool glare = part_of(j, i)->pend_out;
    int closes = sj->closes_emitted;
    S.urgent_from = j;
    S.nurgent = 0;
    bool ok = e2e_policy_accept(sj->pol, S.p[i].jid, S.now);
    S.urgent_from = -1;
    bool full = used == (size_t)sj->limit;
    cr_assert(ok || full, "%d declined %d below its limit, SIM_SEED=%llu", j, i,
              (unsigned long long)S.seed);
    cr_assert_eq(sj->closes_emitted - closes, ok && full && !glare ? 1 : 0,
                 "%d: displacement iff accepted while full, SIM_SEED=%llu", j,
                 (unsigned long long)S.seed);
    for (int k = 0; k < S.nurgent; k++)
        do_close(S.urgent[k].from, S.urgent[k].to);
    S.displaced += S.nurgent;
    S.declines += !ok;
    return ok;
}

static void do_open(int i, int j)
{
    if (!part_of(i, j)->pend_out) { /* resolved by j's request */
        S.glare++;
        return;
    }
    check_greylist(i, j);
    S.attempts++;
    if (!ask_accept(i, j)) {
        report_failed(i, j);
        S.fails++;
        return;
    }
    if (i % NSEG != j % NSEG) {
        report_failed(i, j);
        report_failed(j, i);
        S.fails++;
        return;
    }
    report_opened(i, j, false);
    report_opened(j, i, true);
    S.opens++;
    S.p[i].churn += S.window;
    S.p[j].churn += S.window;
}

/* CLOSEs first: the policy counts a slot free as soon as it asks for the
 * close, so the I/O layer starts closes before it answers requests. */
static void drain(void)
{
    for (size_t k = 0; k < S.qlen; k++)
        if (S.q[k].a == E2E_POLICY_CLOSE)
            do_close(S.q[k].from, S.q[k].to);
    for (size_t k = 0; k < S.qlen; k++)
        if (S.q[k].a == E2E_POLICY_OPEN)
            do_open(S.q[k].from, S.q[k].to);
    S.qlen = 0;
}

/* One round: traffic, every peer's round, then the actions. */
static void sim_round(int t)
{
    S.now = (uint64_t)t * 1000;
    S.opens = S.closes = S.attempts = S.fails = S.declines = 0;
    S.displaced = S.glare = 0;
    for (int i = 0; i < NPEERS; i++) {
        struct simpeer *sp = &S.p[i];
        for (int k = 0; k < sp->nparts; k++) {
            double w = sp->parts[k].weight[S.phase];
            if (w > 0)
                cr_assert_eq(
                    e2e_policy_sample(sp->pol, S.p[sp->parts[k].peer].jid,
                                      (size_t)(w * (0.8 + 0.4 * uniform()))),
                    0);
        }
    }
    for (int i = 0; i < NPEERS; i++)
        cr_assert_geq(e2e_policy_round(S.p[i].pol, S.now), 0);
    drain();
    for (int i = 0; i < NPEERS; i++) {
        check_limit(i);
        cr_assert_eq(e2e_policy_pending(S.p[i].pol), 0);
        cr_assert_eq(e2e_policy_sessions(S.p[i].pol), (size_t)S.p[i].nsess,
                     "peer %d, SIM_SEED=%llu", i, (unsigned long long)S.seed);
    }
}

static long total_sessions(void)
{
    long n = 0;
    for (int i = 0; i < NPEERS; i++)
        n += S.p[i].nsess;
    return n / 2;
}

/* Sessions whose partner gets no traffic in the current pattern. */
static long stale_sessions(void)
{
    long n = 0;
    for (int i = 0; i < NPEERS; i++)
        for (int k = 0; k < S.p[i].nsess; k++)
            n += part_of(i, S.p[i].sess[k])->weight[S.phase] == 0;
    return n / 2;
}

#define WARMUP 30      /* rounds before the stable window */
#define STABLE_END 150 /* the traffic shifts at this round */
#define STALE_MAX 6    /* old-partner sessions all gone within this */
#define FOLLOW                                                                 \
    10            /* sessions with new partners >= 98 % of the                 \
                     stable count by then */
#define SETTLE 30 /* the second stable window starts this much later */
#define END 240
/* No thrashing: in a stable window, opens + closes stay below one per
 * 1,000 peer-rounds in all, and no peer takes part in more than
 * PEER_CHURN_MAX (one displacement is a close and an open). */
#define CHURN_PER_MILLE 1
#define PEER_CHURN_MAX 6

struct window {
    long churn, attempts;
    int peer_max, rounds;
};

static void window_round(struct window *w)
{
    w->churn += S.opens + S.closes;
    w->attempts += S.attempts;
    w->rounds++;
}

static void window_end(struct window *w, const char *name)
{
    for (int i = 0; i < NPEERS; i++) {
        if (S.p[i].churn > w->peer_max)
            w->peer_max = S.p[i].churn;
        S.p[i].churn = 0;
    }
    fprintf(stderr,
            "sim_e2e_policy: %s window (%d rounds): %ld opens+"
            "closes, at most %d at one peer; %ld attempts\n",
            name, w->rounds, w->churn, w->peer_max, w->attempts);
    cr_assert_leq(w->churn * 1000, (long)CHURN_PER_MILLE * NPEERS * w->rounds,
                  "%s: thrashing, SIM_SEED=%llu", name,
                  (unsigned long long)S.seed);
    cr_assert_leq(w->peer_max, PEER_CHURN_MAX,
                  "%s: a peer thrashes, "
                  "SIM_SEED=%llu",
                  name, (unsigned long long)S.seed);
    cr_assert_gt(w->attempts, 0,
                 "%s: unreachable and declining partners "
                 "are retried when their greylist expires",
                 name);
}

static void report(int t)
{
    fprintf(stderr,
            "round %3d: sessions %ld opens %ld closes %ld attempts "
            "%ld failed %ld declined %ld displaced %ld glare %ld\n",
            t, total_sessions(), S.opens, S.closes, S.attempts, S.fails,
            S.declines, S.displaced, S.glare);
}

Test(sim_e2e_policy, stable_shift_unreachable_full, .timeout = 300)
{
    sim_init();
    struct window stable = {0}, after = {0};
    long declines = 0, sessions = 0, stale_at = -1, follow_at = -1;
    for (int t = 0; t < END; t++) {
        S.phase = t >= STABLE_END;
        S.window = (t >= WARMUP && t < STABLE_END) || t >= STABLE_END + SETTLE;
        sim_round(t);
        declines += S.declines;
        if (t >= WARMUP && t < STABLE_END)
            window_round(&stable);
        if (t == STABLE_END - 1) {
            sessions = total_sessions();
            window_end(&stable, "stable");
        }
        if (t >= STABLE_END + SETTLE)
            window_round(&after);
        long fresh = total_sessions() - stale_sessions();
        if (t >= STABLE_END && stale_at < 0 && fresh == total_sessions())
            stale_at = t - STABLE_END;
        if (t >= STABLE_END && follow_at < 0 && fresh * 100 >= sessions * 98)
            follow_at = t - STABLE_END;
        if (t % 30 == 0 || t == STABLE_END + FOLLOW)
            report(t);
    }
    window_end(&after, "after the shift");
    fprintf(stderr,
            "sim_e2e_policy: shift: old sessions gone after %ld "
            "rounds, new ones at 98 %% of the stable count (%ld) after %ld; "
            "%ld declines in all\n",
            stale_at, sessions, follow_at, declines);
    fprintf(stderr,
            "sim_e2e_policy: %ld retries after failures, the "
            "earliest %llu ms after the greylist expired\n",
            S.retries, (unsigned long long)S.min_slack);
    cr_assert(stale_at >= 0 && stale_at <= STALE_MAX,
              "stale after %ld "
              "rounds, SIM_SEED=%llu",
              stale_at, (unsigned long long)S.seed);
    cr_assert(follow_at >= 0 && follow_at <= FOLLOW,
              "new sessions after %ld "
              "rounds, SIM_SEED=%llu",
              follow_at, (unsigned long long)S.seed);
    cr_assert_gt(declines, 0, "the scenario has full partners");
    sim_fini();
}
