/* e2e_policy.c -- the direct-session policy: aged traffic priorities per
 * peer, the nominal session list, greylisting, penalty and the limit.
 *
 * Peers live in a dense array (iteration, removal by swapping with the
 * last) indexed by an open-addressing hash table of JIDs (src/util's
 * ut_index: buckets hold dense index + 1, backward-shift deletion).
 * Every allocation a call needs is made before the call changes anything,
 * so an out-of-memory result leaves the state as it was. */
#include "e2e_policy.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ut_hash.h"
#include "ut_index.h"

enum peer_state { IDLE, OUT_PENDING, IN_PENDING, OUT_HELD, IN_HELD };

struct peer {
    char *jid;
    uint64_t hash;
    double prio;    /* aged priority as of the last round */
    uint64_t fresh; /* bytes sampled since the last round */
    enum peer_state st;
    uint64_t since;    /* when a pending open started */
    unsigned failures; /* consecutive */
    unsigned pins;     /* pin() calls not yet undone by unpin() */
    uint64_t grey_until;
    double score; /* ranking scratch */
    bool retry;   /* ranking scratch: idle with failures */
    bool keep;    /* ranking scratch: nominal */
};

struct e2e_policy {
    struct e2e_policy_params par;
    e2e_policy_allocator alloc;
    e2e_policy_act_fn act;
    void *ud;
    struct peer **v; /* dense */
    size_t n, vcap;
    uint32_t *idx;      /* hash buckets */
    size_t icap;        /* 0 or a power of two */
    struct peer **rank; /* round scratch, capacity vcap */
    size_t held, pending;
    uint64_t now; /* the latest time reported */
    bool busy;
};

#define MAX_FAILURES 1000u
#define GREY_MAX_MS (1ull << 52) /* exact in a double */

const char *e2e_policy_strerror(int code)
{
    switch (code) {
    case E2E_POLICY_OK: return "success";
    case E2E_POLICY_ENOMEM: return "out of memory";
    case E2E_POLICY_EINVAL: return "invalid argument";
    case E2E_POLICY_EFULL: return "peer table full of peers it must keep";
    case E2E_POLICY_EBUSY: return "policy called from its own callback";
    case E2E_POLICY_ELIMIT: return "session limit reached";
    default: return "unknown error";
    }
}

/* ---- allocation ---- */

static void *sys_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    return realloc(ptr, size);
}

static void sys_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static void *mem_alloc(const e2e_policy *p, void *old, size_t n, size_t es)
{
    if (es && n > SIZE_MAX / es)
        return NULL;
    return p->alloc.realloc(p->alloc.ctx, old, n * es);
}

static void mem_free(const e2e_policy *p, void *ptr)
{
    p->alloc.free(p->alloc.ctx, ptr);
}

/* ---- parameters ---- */

void e2e_policy_defaults(struct e2e_policy_params *out)
{
    *out = (struct e2e_policy_params){
        .limit = 8,
        .aging = 0.5,
        .round_ms = 1000,
        .penalty = 0.1,
        .min_priority = 8192,
        .grey_max_ms = 60000,
        .grey_mid = 3,
        .grey_steep = 1.5,
        .hysteresis = 1.5,
        .max_peers = 4096,
        .forget_below = 64,
        .open_timeout_ms = 30000,
        .alloc = NULL,
    };
}

static bool params_ok(const struct e2e_policy_params *q)
{
    return q->limit >= 1 && q->aging > 0 && q->aging < 1 && q->round_ms > 0 &&
           q->penalty >= 0 && q->penalty <= 1 && q->min_priority >= 0 &&
           q->grey_steep > 0 && q->grey_max_ms <= GREY_MAX_MS &&
           isfinite(q->grey_mid) && q->hysteresis >= 1 &&
           isfinite(q->hysteresis) && isfinite(q->min_priority) &&
           q->max_peers >= (size_t)q->limit && q->max_peers <= UINT32_MAX / 2 &&
           q->forget_below >= 0 && isfinite(q->forget_below);
}

/* ---- the peer table ---- */

/* The JID's length, or 0 when it is not acceptable. */
static size_t jid_len(const char *jid)
{
    if (!jid)
        return 0;
    size_t len = strnlen(jid, E2E_POLICY_MAX_JID + 1);
    return len > E2E_POLICY_MAX_JID ? 0 : len;
}

struct jid_key {
    const char *jid;
    uint64_t hash;
};

static bool same_jid(const void *ctx, uint32_t i, const void *key)
{
    const struct peer *e = ((const e2e_policy *)ctx)->v[i];
    const struct jid_key *k = key;
    return e->hash == k->hash && !strcmp(e->jid, k->jid);
}

static uint64_t peer_hash(const void *ctx, uint32_t i)
{
    return ((const e2e_policy *)ctx)->v[i]->hash;
}

/* The bucket holding jid, or the empty bucket where it would go. */
static size_t bucket_of(const e2e_policy *p, const char *jid, uint64_t h)
{
    struct jid_key k = {jid, h};
    return ut_index_find(p->idx, p->icap, h, same_jid, p, &k);
}

static struct peer *find(const e2e_policy *p, const char *jid)
{
    size_t len = jid_len(jid);
    if (!len || !p->icap)
        return NULL;
    uint32_t i = p->idx[bucket_of(p, jid, ut_fnv1a64(jid, len))];
    return i ? p->v[i - 1] : NULL;
}

/* Grows the dense array, the ranking scratch and the buckets so that one
 * more peer fits.  Nothing changes on failure. */
static int reserve_one(e2e_policy *p)
{
    if (p->n + 1 > p->vcap) {
        size_t cap = p->vcap ? p->vcap * 2 : 8;
        struct peer **v = mem_alloc(p, p->v, cap, sizeof *v);
        if (!v)
            return E2E_POLICY_ENOMEM;
        p->v = v;
        struct peer **r = mem_alloc(p, p->rank, cap, sizeof *r);
        if (!r)
            return E2E_POLICY_ENOMEM; /* v merely grew: harmless */
        p->rank = r;
        p->vcap = cap;
    }
    if ((p->n + 1) * 2 <= p->icap)
        return E2E_POLICY_OK;
    size_t cap = p->icap ? p->icap * 2 : 16;
    uint32_t *idx = mem_alloc(p, NULL, cap, sizeof *idx);
    if (!idx)
        return E2E_POLICY_ENOMEM;
    mem_free(p, p->idx);
    p->idx = idx;
    p->icap = cap;
    ut_index_fill(p->idx, p->icap, (uint32_t)p->n, peer_hash, p);
    return E2E_POLICY_OK;
}

static bool greyed(const struct peer *e, uint64_t now)
{
    return now < e->grey_until;
}

static bool evictable(const struct peer *e, uint64_t now)
{
    return e->st == IDLE && !greyed(e, now) && !e->pins;
}

/* What a peer is worth to the ranking: its priority, plus min_priority
 * while pinned (a pinned peer qualifies on its own, and traffic still
 * orders pinned peers among themselves). */
static double worth(const e2e_policy *p, const struct peer *e)
{
    return e->prio + (e->pins ? p->par.min_priority : 0);
}

/* Removes dense entry i (its slot is taken by the last one). */
static void forget(e2e_policy *p, size_t i)
{
    struct peer *e = p->v[i];
    ut_index_remove(p->idx, p->icap, bucket_of(p, e->jid, e->hash), peer_hash,
                    p);
    p->n--;
    if (i != p->n) {
        struct peer *last = p->v[p->n];
        p->v[i] = last;
        p->idx[bucket_of(p, last->jid, last->hash)] = (uint32_t)(i + 1);
    }
    mem_free(p, e->jid);
    mem_free(p, e);
}

static double weight(const struct peer *e)
{
    return e->prio + (double)e->fresh;
}

/* The dense index of the lowest-priority peer that may be forgotten,
 * or SIZE_MAX.  Greylists are judged at the latest time reported. */
static size_t eviction_victim(const e2e_policy *p)
{
    uint64_t now = p->now;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < p->n; i++)
        if (evictable(p->v[i], now) &&
            (best == SIZE_MAX || weight(p->v[i]) < weight(p->v[best])))
            best = i;
    return best;
}

/* Finds or adds peer jid.  A full table forgets its lowest-priority
 * evictable peer first; nothing changes on failure. */
static int lookup(e2e_policy *p, const char *jid, struct peer **out)
{
    size_t len = jid_len(jid);
    if (!len)
        return E2E_POLICY_EINVAL;
    if ((*out = find(p, jid)))
        return E2E_POLICY_OK;
    size_t victim = SIZE_MAX;
    if (p->n >= p->par.max_peers && (victim = eviction_victim(p)) == SIZE_MAX)
        return E2E_POLICY_EFULL;
    struct peer *e = mem_alloc(p, NULL, 1, sizeof *e);
    char *copy = mem_alloc(p, NULL, len + 1, 1);
    int rc = e && copy ? reserve_one(p) : E2E_POLICY_ENOMEM;
    if (rc) {
        mem_free(p, e);
        mem_free(p, copy);
        return rc;
    }
    if (victim != SIZE_MAX)
        forget(p, victim);
    memcpy(copy, jid, len + 1);
    *e = (struct peer){.jid = copy, .hash = ut_fnv1a64(jid, len), .st = IDLE};
    p->idx[bucket_of(p, copy, e->hash)] = (uint32_t)(p->n + 1);
    p->v[p->n++] = e;
    *out = e;
    return E2E_POLICY_OK;
}

/* ---- life cycle ---- */

int e2e_policy_new(const struct e2e_policy_params *q, e2e_policy_act_fn act,
                   void *ud, e2e_policy **out)
{
    struct e2e_policy_params def;
    if (!q) {
        e2e_policy_defaults(&def);
        q = &def;
    }
    if (!out || !act || !params_ok(q))
        return E2E_POLICY_EINVAL;
    e2e_policy_allocator a = {sys_realloc, sys_free, NULL};
    if (q->alloc)
        a = *q->alloc;
    e2e_policy *p = a.realloc(a.ctx, NULL, sizeof *p);
    if (!p)
        return E2E_POLICY_ENOMEM;
    *p = (e2e_policy){.par = *q, .alloc = a, .act = act, .ud = ud};
    p->par.alloc = NULL;
    *out = p;
    return E2E_POLICY_OK;
}

void e2e_policy_free(e2e_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        mem_free(p, p->v[i]->jid);
        mem_free(p, p->v[i]);
    }
    mem_free(p, p->v);
    mem_free(p, p->rank);
    mem_free(p, p->idx);
    mem_free(p, p);
}

/* ---- session bookkeeping ---- */

static bool is_pending(const struct peer *e)
{
    return e->st == OUT_PENDING || e->st == IN_PENDING;
}

static bool is_held(const struct peer *e)
{
    return e->st == OUT_HELD || e->st == IN_HELD;
}

static size_t used(const e2e_policy *p)
{
    return p->held + p->pending;
}

/* Moves e to state st, keeping the held and pending counts. */
static void set_state(e2e_policy *p, struct peer *e, enum peer_state st)
{
    p->held -= is_held(e);
    p->pending -= is_pending(e);
    e->st = st;
    p->held += is_held(e);
    p->pending += is_pending(e);
}

static void close_session(e2e_policy *p, struct peer *e)
{
    set_state(p, e, IDLE);
    e->prio *= p->par.penalty;
}

static void fail_attempt(e2e_policy *p, struct peer *e, uint64_t now)
{
    if (e->failures < MAX_FAILURES)
        e->failures++;
    e->grey_until = now + e2e_policy_grey_ms(p, e->failures);
    set_state(p, e, IDLE);
}

static void emit(e2e_policy *p, enum e2e_policy_action a, const struct peer *e)
{
    p->busy = true;
    p->act(p->ud, a, e->jid);
    p->busy = false;
}

uint64_t e2e_policy_grey_ms(const e2e_policy *p, unsigned f)
{
    if (!f)
        return 0;
    const struct e2e_policy_params *q = &p->par;
    double d = (double)q->grey_max_ms /
               (1 + exp(-q->grey_steep * ((double)f - q->grey_mid)));
    return (uint64_t)llround(d);
}

/* Entry check shared by the calls that change state: NULL, re-entry,
 * and the clock (the latest time reported is kept for evictions). */
static int enter(e2e_policy *p, uint64_t now_ms)
{
    if (!p)
        return E2E_POLICY_EINVAL;
    if (p->busy)
        return E2E_POLICY_EBUSY;
    if (now_ms > p->now)
        p->now = now_ms;
    return E2E_POLICY_OK;
}

/* enter(), then finds or adds the peer. */
static int enter_peer(e2e_policy *p, const char *peer, uint64_t now_ms,
                      struct peer **out)
{
    int rc = enter(p, now_ms);
    return rc ? rc : lookup(p, peer, out);
}

/* ---- the round ---- */

static void age_and_expire(e2e_policy *p, uint64_t now)
{
    for (size_t i = 0; i < p->n; i++) {
        struct peer *e = p->v[i];
        e->prio = e->prio * p->par.aging + (double)e->fresh;
        e->fresh = 0;
        if (is_pending(e) && now >= e->since &&
            now - e->since >= p->par.open_timeout_ms)
            fail_attempt(p, e, now);
    }
}

static void forget_faded(e2e_policy *p, uint64_t now)
{
    for (size_t i = p->n; i-- > 0;)
        if (evictable(p->v[i], now) && p->v[i]->prio < p->par.forget_below)
            forget(p, i);
}

static int by_score(const void *a, const void *b)
{
    const struct peer *x = *(struct peer *const *)a;
    const struct peer *y = *(struct peer *const *)b;
    if (x->retry != y->retry)
        return x->retry ? 1 : -1;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->jid, y->jid);
}

/* Ranks held outgoing sessions (at p * hysteresis) and eligible idle
 * peers, marks the best that fit the free slots as kept; returns how
 * many were ranked (p->rank[0..]).  Idle peers with consecutive failures
 * rank after all others: a retry never displaces a held session. */
static size_t rank_nominal(e2e_policy *p, uint64_t now)
{
    size_t m = 0, out_held = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct peer *e = p->v[i];
        e->keep = false;
        out_held += e->st == OUT_HELD;
        e->score = worth(p, e) * (e->st == OUT_HELD ? p->par.hysteresis : 1);
        e->retry = e->st == IDLE && e->failures > 0;
        bool ranked = e->st == OUT_HELD || (e->st == IDLE && !greyed(e, now));
        if (ranked && e->score >= p->par.min_priority)
            p->rank[m++] = e;
    }
    if (m)
        qsort(p->rank, m, sizeof *p->rank, by_score);
    size_t fixed = used(p) - out_held; /* slots rounds cannot take back */
    size_t slots = fixed < (size_t)p->par.limit ? p->par.limit - fixed : 0;
    for (size_t i = 0; i < m && i < slots; i++)
        p->rank[i]->keep = true;
    return m;
}

int e2e_policy_round(e2e_policy *p, uint64_t now_ms)
{
    int rc = enter(p, now_ms);
    if (rc)
        return rc;
    age_and_expire(p, now_ms);
    forget_faded(p, now_ms);
    size_t m = rank_nominal(p, now_ms);
    int actions = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct peer *e = p->v[i];
        if (e->st == OUT_HELD && !e->keep) {
            close_session(p, e);
            emit(p, E2E_POLICY_CLOSE, e);
            actions++;
        }
    }
    for (size_t i = 0; i < m; i++) {
        struct peer *e = p->rank[i];
        if (e->keep && e->st == IDLE) {
            set_state(p, e, OUT_PENDING);
            e->since = now_ms;
            emit(p, E2E_POLICY_OPEN, e);
            actions++;
        }
    }
    return actions;
}

/* ---- inputs ---- */

int e2e_policy_sample(e2e_policy *p, const char *peer, size_t bytes)
{
    struct peer *e;
    int rc = enter_peer(p, peer, 0, &e);
    if (rc)
        return rc;
    e->fresh = bytes > UINT64_MAX - e->fresh ? UINT64_MAX : e->fresh + bytes;
    return E2E_POLICY_OK;
}

int e2e_policy_pin(e2e_policy *p, const char *peer)
{
    struct peer *e;
    int rc = enter_peer(p, peer, 0, &e);

    if (!rc && e->pins < UINT_MAX)
        e->pins++;
    return rc;
}

int e2e_policy_unpin(e2e_policy *p, const char *peer)
{
    int rc = enter(p, 0);
    struct peer *e = rc ? NULL : find(p, peer);

    if (e && e->pins)
        e->pins--;
    return rc;
}

int e2e_policy_opened(e2e_policy *p, const char *peer, bool incoming,
                      uint64_t now_ms)
{
    struct peer *e;
    int rc = enter_peer(p, peer, now_ms, &e);
    if (rc)
        return rc;
    if (is_held(e))
        return E2E_POLICY_OK;
    if (!is_pending(e) && used(p) >= (size_t)p->par.limit)
        return E2E_POLICY_ELIMIT;
    set_state(p, e, incoming ? IN_HELD : OUT_HELD);
    e->failures = 0;
    e->grey_until = 0;
    return E2E_POLICY_OK;
}

int e2e_policy_failed(e2e_policy *p, const char *peer, uint64_t now_ms)
{
    struct peer *e;
    int rc = enter_peer(p, peer, now_ms, &e);
    if (rc)
        return rc;
    if (is_held(e))
        close_session(p, e);
    fail_attempt(p, e, now_ms);
    return E2E_POLICY_OK;
}

int e2e_policy_closed(e2e_policy *p, const char *peer, uint64_t now_ms)
{
    int rc = enter(p, now_ms);
    if (rc)
        return rc;
    if (!jid_len(peer))
        return E2E_POLICY_EINVAL;
    struct peer *e = find(p, peer);
    if (e && is_held(e))
        close_session(p, e);
    return E2E_POLICY_OK;
}

/* The held outgoing session with the lowest score, or NULL. */
static struct peer *displaceable(const e2e_policy *p)
{
    struct peer *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        struct peer *e = p->v[i];
        if (e->st == OUT_HELD &&
            (!best || worth(p, e) < worth(p, best) ||
             (worth(p, e) == worth(p, best) && strcmp(e->jid, best->jid) > 0)))
            best = e;
    }
    return best;
}

bool e2e_policy_accept(e2e_policy *p, const char *peer, uint64_t now_ms)
{
    if (enter(p, now_ms) || !jid_len(peer))
        return false;
    struct peer *e = find(p, peer), *v = NULL;
    if (e && (is_held(e) || is_pending(e)))
        return true;
    if (used(p) >= (size_t)p->par.limit) {
        v = displaceable(p);
        if (!v || !e || e->failures ||
            worth(p, e) < worth(p, v) * p->par.hysteresis)
            return false;
    }
    if (!e && lookup(p, peer, &e))
        return false;
    if (v) {
        close_session(p, v);
        emit(p, E2E_POLICY_CLOSE, v);
    }
    set_state(p, e, IN_PENDING);
    e->since = now_ms;
    return true;
}

/* ---- queries ---- */

bool e2e_policy_greylisted(const e2e_policy *p, const char *peer,
                           uint64_t now_ms)
{
    const struct peer *e = p ? find(p, peer) : NULL;
    return e && greyed(e, now_ms);
}

size_t e2e_policy_sessions(const e2e_policy *p)
{
    return p ? p->held : 0;
}

size_t e2e_policy_pending(const e2e_policy *p)
{
    return p ? p->pending : 0;
}

size_t e2e_policy_peers(const e2e_policy *p)
{
    return p ? p->n : 0;
}

double e2e_policy_priority(const e2e_policy *p, const char *peer)
{
    const struct peer *e = p ? find(p, peer) : NULL;
    return e ? e->prio : 0;
}

const struct e2e_policy_params *e2e_policy_params(const e2e_policy *p)
{
    return &p->par;
}
