/* xm_segments.c -- segment detection: which probes to send, what their
 * answers do to the room's tapbcast manager (rules in xm_segments.h and
 * docs/segments.md).
 *
 * Outstanding probes sit in a fixed table of max_inflight slots (a free
 * slot has id 0); a round walks the representatives in random order and
 * gives each one probe until the round's budget or the table is full.
 * Failed pairs are remembered in a direct-mapped cache (a pair hashes to
 * one slot, a newer failure evicts an older one): memory is bounded, and
 * a forgotten failure only costs an early retry.  Hints work the same
 * way (a hint hashes to one slot holding the first member that gave it),
 * and the probes they suggest wait in a fixed ring; a round starts those
 * first. */
#include "config.h"

#include "xm_segments.h"

#include <stdlib.h>
#include <string.h>

#include "ut_rand.h"

#define MAX_INFLIGHT 4096

struct probe {
    uint32_t id; /* 0: free slot */
    vm_id asker, target;
    uint64_t deadline;
    bool verify;
};

struct failure {
    uint64_t pair; /* 0: empty */
    uint64_t until;
};

/* A hint and the first present member that gave it. */
struct hint {
    uint32_t hint; /* 0: empty */
    vm_id member;
};

/* A probe a hint asked for: the representative of via's segment is to
 * reach target. */
struct hinted {
    vm_id via, target;
};

struct xm_segments {
    struct xm_seg_config cfg;
    vm *v;
    uint64_t rng;
    uint32_t next_id, next_seg;
    uint64_t next_round; /* 0: the first tick runs a round */
    struct probe *p;
    struct failure *fail;
    size_t nfail; /* a power of two; also the size of hints and queue */
    struct hint *hints;
    struct hinted *queue; /* a ring of hinted probes */
    size_t qhead, qlen;
    vm_id *reps; /* a round's scratch: the representatives */
    size_t nreps;
    struct xm_seg_stats st;
};

const char *xm_seg_strerror(int code)
{
    switch (code) {
    case XM_SEG_OK: return "success";
    case XM_SEG_ENOMEM: return "out of memory";
    case XM_SEG_EINVAL: return "invalid argument";
    case XM_SEG_ENOENT: return "no such probe";
    default: return "unknown error";
    }
}

static uint32_t below(xm_segments *s, uint32_t n)
{
    return (uint32_t)(((ut_splitmix64(&s->rng) >> 32) * n) >> 32);
}

static void defaults(struct xm_seg_config *c)
{
    if (!c->period_ms)
        c->period_ms = 2000;
    if (!c->timeout_ms)
        c->timeout_ms = 10000;
    if (!c->backoff_ms)
        c->backoff_ms = 60000;
    if (!c->max_inflight)
        c->max_inflight = 16;
    if (c->max_inflight > MAX_INFLIGHT)
        c->max_inflight = MAX_INFLIGHT;
    if (!c->per_round)
        c->per_round = c->max_inflight;
}

int xm_seg_new(const struct xm_seg_config *cfg, vm *v, xm_segments **out)
{
    xm_segments *s;

    *out = NULL;
    if (!cfg || !cfg->send || !v || strcmp(vm_name(v), "tapbcast"))
        return XM_SEG_EINVAL;
    if (!(s = calloc(1, sizeof *s)))
        return XM_SEG_ENOMEM;
    s->cfg = *cfg;
    defaults(&s->cfg);
    s->v = v;
    s->rng = cfg->seed;
    s->next_id = s->next_seg = 1;
    s->nfail = 1024;
    while (s->nfail < 4 * (size_t)s->cfg.max_inflight)
        s->nfail *= 2;
    s->p = calloc(s->cfg.max_inflight, sizeof *s->p);
    s->fail = calloc(s->nfail, sizeof *s->fail);
    s->hints = calloc(s->nfail, sizeof *s->hints);
    s->queue = calloc(s->nfail, sizeof *s->queue);
    if (!s->p || !s->fail || !s->hints || !s->queue) {
        xm_seg_free(s);
        return XM_SEG_ENOMEM;
    }
    *out = s;
    return XM_SEG_OK;
}

void xm_seg_free(xm_segments *s)
{
    if (!s)
        return;
    free(s->p);
    free(s->fail);
    free(s->hints);
    free(s->queue);
    free(s->reps);
    free(s);
}

uint32_t xm_seg_fresh(xm_segments *s)
{
    vm_id rep;

    while (s->next_seg == UINT32_MAX ||
           vm_tapbcast_representative(s->v, s->next_seg, &rep) == VM_OK)
        s->next_seg++;
    return s->next_seg++;
}

/* ---- remembered failures ---- */

static uint64_t pair_key(vm_id a, vm_id b)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return (hi << 32 | lo) + 1; /* never 0 */
}

/* The slot of a key in the direct-mapped tables (failures, hints). */
static size_t slot(const xm_segments *s, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (s->nfail - 1);
}

static struct failure *failure_slot(const xm_segments *s, uint64_t key)
{
    return &s->fail[slot(s, key)];
}

static void failure_note(xm_segments *s, vm_id a, vm_id b, uint64_t now)
{
    uint64_t key = pair_key(a, b);
    *failure_slot(s, key) = (struct failure){key, now + s->cfg.backoff_ms};
}

static bool backed_off(const xm_segments *s, vm_id a, vm_id b, uint64_t now)
{
    uint64_t key = pair_key(a, b);
    const struct failure *f = failure_slot(s, key);
    return f->pair == key && now < f->until;
}

/* ---- probes ---- */

static struct probe *probe_find(xm_segments *s, uint32_t id)
{
    for (uint32_t i = 0; id && i < s->cfg.max_inflight; i++)
        if (s->p[i].id == id)
            return &s->p[i];
    return NULL;
}

static bool probe_pending(const xm_segments *s, vm_id a, vm_id b)
{
    for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
        if (s->p[i].id &&
            pair_key(s->p[i].asker, s->p[i].target) == pair_key(a, b))
            return true;
    return false;
}

static void probe_end(xm_segments *s, struct probe *p)
{
    p->id = 0;
    s->st.inflight--;
}

/* Sends a probe; false when the table is full or the send failed. */
static bool probe_start(xm_segments *s, vm_id asker, vm_id target, bool verify,
                        uint64_t now)
{
    struct probe *p = NULL;

    for (uint32_t i = 0; !p && i < s->cfg.max_inflight; i++)
        if (!s->p[i].id)
            p = &s->p[i];
    if (!p)
        return false;
    if (!s->next_id)
        s->next_id = 1;
    *p = (struct probe){s->next_id++, asker, target, now + s->cfg.timeout_ms,
                        verify};
    s->st.inflight++;
    s->st.sent++;
    if (s->cfg.send(s->cfg.ctx, p->id, asker, target)) {
        s->st.failed++;
        if (!verify)
            failure_note(s, asker, target, now);
        probe_end(s, p);
        return false;
    }
    return true;
}

/* ---- rounds ---- */

static int collect_rep(void *ctx, vm_id id)
{
    xm_segments *s = ctx;

    s->reps[s->nreps++] = id;
    return 0;
}

/* The representatives, shuffled, into s->reps[0..n). */
static size_t reps_shuffled(xm_segments *s)
{
    size_t n = vm_tapbcast_segments(s->v);
    vm_id *r = realloc(s->reps, (n ? n : 1) * sizeof *r);

    if (!r)
        return 0;
    s->reps = r;
    s->nreps = 0;
    vm_tapbcast_ring_each(s->v, collect_rep, s);
    n = s->nreps;
    for (size_t i = n; i > 1; i--) {
        size_t j = below(s, (uint32_t)i);
        vm_id t = r[i - 1];
        r[i - 1] = r[j];
        r[j] = t;
    }
    return n;
}

struct pick {
    xm_segments *s;
    vm_id rep, chosen;
    uint32_t seen;
};

/* Reservoir sampling of one member other than the representative. */
static int pick_member(void *ctx, vm_id id)
{
    struct pick *k = ctx;

    if (id != k->rep && below(k->s, ++k->seen) == 0)
        k->chosen = id;
    return 0;
}

static bool verify_one(xm_segments *s, vm_id rep, uint64_t now)
{
    struct pick k = {s, rep, VM_ID_NONE, 0};
    uint32_t seg;

    if (vm_tapbcast_segment(s->v, rep, &seg) ||
        vm_tapbcast_segment_each(s->v, seg, pick_member, &k) ||
        k.chosen == VM_ID_NONE || probe_pending(s, rep, k.chosen))
        return false;
    return probe_start(s, rep, k.chosen, true, now);
}

static bool discover_one(xm_segments *s, vm_id rep, size_t n, uint64_t now)
{
    for (int tries = 0; n > 1 && tries < 4; tries++) {
        vm_id t = s->reps[below(s, (uint32_t)n)];
        if (t != rep && !backed_off(s, rep, t, now) &&
            !probe_pending(s, rep, t))
            return probe_start(s, rep, t, false, now);
    }
    return false;
}

/* ---- hints ---- */

void xm_seg_hint(xm_segments *s, vm_id id, uint32_t hint)
{
    struct hint *h = &s->hints[slot(s, hint)];

    if (!hint)
        return;
    if (h->hint == hint && h->member != id && vm_contains(s->v, h->member)) {
        if (s->qlen < s->nfail)
            s->queue[(s->qhead + s->qlen++) % s->nfail] =
                (struct hinted){h->member, id};
        return;
    }
    *h = (struct hint){hint, id}; /* empty, stale or another hint's */
}

/* Starts the hinted probe at the head of the queue, if it still makes
 * sense (both present, not yet in one segment).  False when none left. */
static bool hinted_one(xm_segments *s, uint64_t now, uint32_t *started)
{
    struct hinted q;
    uint32_t sv, st;
    vm_id rep;

    if (!s->qlen)
        return false;
    q = s->queue[s->qhead];
    s->qhead = (s->qhead + 1) % s->nfail;
    s->qlen--;
    if (!vm_tapbcast_segment(s->v, q.via, &sv) &&
        !vm_tapbcast_segment(s->v, q.target, &st) && sv != st &&
        !vm_tapbcast_representative(s->v, sv, &rep) &&
        !probe_pending(s, rep, q.target) &&
        probe_start(s, rep, q.target, false, now))
        ++*started;
    return true;
}

static void round_run(xm_segments *s, uint64_t now)
{
    size_t n;
    uint32_t started = 0;

    while (started < s->cfg.per_round && s->st.inflight < s->cfg.max_inflight &&
           hinted_one(s, now, &started))
        ;
    n = reps_shuffled(s);

    for (size_t i = 0; i < n && started < s->cfg.per_round &&
                       s->st.inflight < s->cfg.max_inflight;
         i++) {
        bool verify = s->cfg.verify_every && below(s, s->cfg.verify_every) == 0;
        if (verify ? verify_one(s, s->reps[i], now)
                   : discover_one(s, s->reps[i], n, now))
            started++;
    }
}

static void expire(xm_segments *s, uint64_t now)
{
    for (uint32_t i = 0; i < s->cfg.max_inflight; i++) {
        struct probe *p = &s->p[i];
        if (!p->id || now < p->deadline)
            continue;
        s->st.timeouts++;
        if (!p->verify)
            failure_note(s, p->asker, p->target, now);
        probe_end(s, p);
    }
}

uint64_t xm_seg_tick(xm_segments *s, uint64_t now)
{
    expire(s, now);
    if (now >= s->next_round) {
        round_run(s, now);
        s->next_round = now + s->cfg.period_ms;
    }
    return s->next_round;
}

void xm_seg_forget(xm_segments *s, vm_id id)
{
    for (uint32_t i = 0; i < s->cfg.max_inflight; i++) {
        if (s->p[i].id && (s->p[i].asker == id || s->p[i].target == id)) {
            s->st.cancelled++;
            probe_end(s, &s->p[i]);
        }
    }
}

/* ---- answers ---- */

static int count_one(void *ctx, vm_id id)
{
    (void)id;
    ++*(uint32_t *)ctx;
    return 0;
}

static uint32_t seg_size(const xm_segments *s, uint32_t seg)
{
    uint32_t n = 0;
    vm_tapbcast_segment_each(s->v, seg, count_one, &n);
    return n;
}

/* The asker reached the target: their segments become one (the smaller
 * moves, so a merge costs the smaller segment's size). */
static void merge(xm_segments *s, vm_id a, vm_id b)
{
    uint32_t sa, sb;

    if (vm_tapbcast_segment(s->v, a, &sa) ||
        vm_tapbcast_segment(s->v, b, &sb) || sa == sb)
        return;
    if (seg_size(s, sa) < seg_size(s, sb))
        vm_tapbcast_merge(s->v, sa, sb);
    else
        vm_tapbcast_merge(s->v, sb, sa);
    s->st.merges++;
}

/* The representative cannot reach a member of its segment: split it. */
static void split(xm_segments *s, vm_id rep, vm_id member)
{
    uint32_t sr, sm;

    if (vm_tapbcast_segment(s->v, rep, &sr) ||
        vm_tapbcast_segment(s->v, member, &sm) || sr != sm)
        return;
    vm_tapbcast_move(s->v, member, xm_seg_fresh(s));
    s->st.splits++;
}

int xm_seg_answer(xm_segments *s, uint32_t probe, vm_id from, bool ok,
                  uint64_t now)
{
    struct probe *p = probe_find(s, probe);
    struct probe q;

    if (!p || p->asker != from)
        return XM_SEG_ENOENT;
    q = *p;
    probe_end(s, p);
    if (ok) {
        s->st.ok++;
        if (!q.verify)
            merge(s, q.asker, q.target);
        return XM_SEG_OK;
    }
    s->st.failed++;
    if (q.verify)
        split(s, q.asker, q.target);
    else
        failure_note(s, q.asker, q.target, now);
    return XM_SEG_OK;
}

void xm_seg_stats(const xm_segments *s, struct xm_seg_stats *out)
{
    *out = s->st;
}
