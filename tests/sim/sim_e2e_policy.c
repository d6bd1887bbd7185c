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
#include "e2e_policy.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPEERS 2000
#define NSEG 4
#define NOFF 5
#define MAXPARTS (4 * NOFF)
#define MAXSESS 8
#define W 40000.0

/* Two traffic patterns: offsets in rank order (rank k weighs W / k).
 * Offsets not divisible by NSEG cross segments. */
static const int pattern[2][NOFF] = {
    {4, 1, 8, 3, 12},
    {36, 7, 44, 5, 52},
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
};

struct act {
    int from, to;
    enum e2e_policy_action a;
};

struct sim {
    struct simpeer *p;
    struct act *q;
    size_t qhead, qlen, qcap;
    int urgent_from; /* the peer inside accept(), or -1 */
    struct act urgent[MAXSESS];
    int nurgent;
    uint64_t seed, rng, now;
    int phase;
    /* counters for the current round */
    long opens, closes, attempts, fails, declines, displaced, glare;
};

static struct sim S;

/* ---- randomness ---- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(splitmix(&S.rng) >> 11) / 9007199254740992.0;
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
    const char *e = getenv("SIM_SEED");
    S.seed = e ? strtoull(e, NULL, 10) : 20261124;
    S.rng = S.seed;
    S.urgent_from = -1;
    fprintf(stderr, "sim_e2e_policy: SIM_SEED=%llu\n",
            (unsigned long long)S.seed);
    S.p = calloc(NPEERS, sizeof *S.p);
    cr_assert_not_null(S.p);
    for (int i = 0; i < NPEERS; i++) {
        struct simpeer *sp = &S.p[i];
        snprintf(sp->jid, sizeof sp->jid, "p%d@seg%d.sim/orbweb", i,
                 i % NSEG);
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
    cr_assert_leq(used, (size_t)sp->limit, "peer %d over its limit at %llu"
                  " ms, SIM_SEED=%llu", i, (unsigned long long)S.now,
                  (unsigned long long)S.seed);
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
    cr_assert_eq(e2e_policy_opened(S.p[i].pol, S.p[j].jid, incoming, S.now),
                 0);
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
}

static void check_greylist(int i, int j)
{
    struct part *pt = part_of(i, j);
    pt->attempts++;
    if (pt->fails)
        cr_assert_geq(S.now - pt->last_fail, grey_ms(pt->fails),
                      "%d retried %d %llu ms after failure %u, SIM_SEED=%llu",
                      i, j, (unsigned long long)(S.now - pt->last_fail),
                      pt->fails, (unsigned long long)S.seed);
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
    cr_assert(ok || full, "%d declined %d below its limit, SIM_SEED=%llu", j,
              i, (unsigned long long)S.seed);
    cr_assert_eq(sj->closes_emitted - closes,
                 ok && full && !glare ? 1 : 0,
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
}

static void drain(void)
{
    for (; S.qhead < S.qlen; S.qhead++) {
        struct act x = S.q[S.qhead];
        if (x.a == E2E_POLICY_OPEN)
            do_open(x.from, x.to);
        else
            do_close(x.from, x.to);
    }
    S.qhead = S.qlen = 0;
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
                cr_assert_eq(e2e_policy_sample(sp->pol,
                                               S.p[sp->parts[k].peer].jid,
                                               (size_t)(w * (0.8 + 0.4 *
                                                             uniform()))),
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
                     "peer %d, SIM_SEED=%llu", i,
                     (unsigned long long)S.seed);
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

#define WARMUP 30
#define STABLE_END 150
#define FOLLOW 10
#define END 240

Test(sim_e2e_policy, stable_shift_unreachable_full, .timeout = 300)
{
    sim_init();
    long churn_stable = 0, attempts_stable = 0, declines = 0, sessions = 0;
    long stale_at = -1;
    for (int t = 0; t < END; t++) {
        if (t == STABLE_END)
            S.phase = 1;
        sim_round(t);
        declines += S.declines;
        if (t >= WARMUP && t < STABLE_END) {
            churn_stable += S.opens + S.closes;
            attempts_stable += S.attempts;
        }
        if (t == STABLE_END - 1)
            sessions = total_sessions();
        if (t >= STABLE_END && stale_at < 0 && stale_sessions() == 0)
            stale_at = t - STABLE_END;
        if (t == STABLE_END + FOLLOW) {
            long now = total_sessions();
            fprintf(stderr, "sim_e2e_policy: shift: %ld sessions %d rounds "
                    "after (stable: %ld), stale gone after %ld\n",
                    now, FOLLOW, sessions, stale_at);
            cr_assert_geq(now * 100, sessions * 95, "SIM_SEED=%llu",
                          (unsigned long long)S.seed);
        }
        if (t % 30 == 0 || t == STABLE_END + FOLLOW || t == END - 1)
            fprintf(stderr, "round %3d: sessions %ld opens %ld closes %ld "
                    "attempts %ld failed %ld declined %ld displaced %ld "
                    "glare %ld\n", t, total_sessions(), S.opens, S.closes,
                    S.attempts, S.fails, S.declines, S.displaced, S.glare);
    }
    fprintf(stderr, "sim_e2e_policy: rounds %d-%d: %ld opens+closes, %ld "
            "attempts; %ld declines in all\n", WARMUP, STABLE_END - 1,
            churn_stable, attempts_stable, declines);
    cr_assert_eq(churn_stable, 0, "thrashing, SIM_SEED=%llu",
                 (unsigned long long)S.seed);
    cr_assert(stale_at >= 0 && stale_at <= FOLLOW, "stale after %ld rounds, "
              "SIM_SEED=%llu", stale_at, (unsigned long long)S.seed);
    cr_assert_gt(declines, 0, "the scenario has full partners");
    sim_fini();
}
