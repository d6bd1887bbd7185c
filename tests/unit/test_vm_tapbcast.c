/* test_vm_tapbcast.c -- the ta-pbcast composition: exact deltas of
 * joins, leaves, moves and merges on small cases; the representative is
 * the oldest member; seeded property runs (VM_SEED=<n> reproduces one)
 * of churn, moves and merges up to 10,000 members, checking vm_check,
 * the replayed deltas against the views, and our own model of segments
 * and representatives; every allocation failing in turn. */
#include "config.h"
#include "../seed.h"

#include <criterion/criterion.h>
#include <time.h>

#include "test_vm_util.h"
#include "ut_rand.h"

static struct rec R;
static uint64_t seed;

static void pick_seed(void)
{
    seed = ob_test_seed("VM_SEED");
}

TestSuite(tapbcast, .init = pick_seed, .timeout = 480);

static vm *make(void)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .seed = 1};
    vm *v;

    rec_init(&R);
    cr_assert_eq(vm_new("tapbcast", &cfg, &v), VM_OK);
    cr_assert_str_eq(vm_name(v), "tapbcast");
    return v;
}

static void done(vm *v)
{
    cr_assert_eq(vm_check(v), VM_OK);
    cr_assert(rec_matches(&R, v));
    cr_assert_eq(R.twice, 0);
    cr_assert_eq(R.bad, 0);
    vm_free(v);
    rec_fini(&R);
}

/* Small segments are complete graphs with these parameters: three
 * members in an rbt of view size 3 see each other, and so do they with
 * out-degree 2. */
static const vm_params small = {.view_size = 3, .degree = 2};

static const char *join(vm *v, vm_id id, uint32_t segment)
{
    vm_params p = small;

    p.segment = segment;
    rec_begin(&R);
    cr_assert_eq(vm_join(v, id, &p), VM_OK);
    return rec_text(&R);
}

static const char *leave(vm *v, vm_id id)
{
    rec_begin(&R);
    cr_assert_eq(vm_leave(v, id), VM_OK);
    return rec_text(&R);
}

static const char *merge(vm *v, uint32_t from, uint32_t into)
{
    rec_begin(&R);
    cr_assert_eq(vm_tapbcast_merge(v, from, into), VM_OK);
    return rec_text(&R);
}

static const char *move(vm *v, vm_id id, uint32_t segment)
{
    rec_begin(&R);
    cr_assert_eq(vm_tapbcast_move(v, id, segment), VM_OK);
    return rec_text(&R);
}

static vm_id rep(const vm *v, uint32_t segment)
{
    vm_id r = VM_ID_NONE;
    cr_assert_eq(vm_tapbcast_representative(v, segment, &r), VM_OK);
    return r;
}

#define RING "ring-next,ring-prev"
#define TG "tree,gossip"

Test(tapbcast, joins_fill_the_ring_and_the_segments)
{
    vm *v = make();

    cr_assert_str_eq(join(v, 1, 10), "");
    cr_assert_str_eq(join(v, 2, 20), "+1>2:" RING " +2>1:" RING);
    cr_assert_str_eq(join(v, 3, 10), "+1>3:" TG " +3>1:" TG);
    cr_assert_eq(vm_tapbcast_segments(v), 2);
    cr_assert_eq(rep(v, 10), 1);
    cr_assert_eq(rep(v, 20), 2);
    done(v);
}

Test(tapbcast, the_next_oldest_takes_over_the_ring)
{
    vm *v = make();

    join(v, 1, 10);
    join(v, 2, 20);
    join(v, 3, 10);
    cr_assert_str_eq(leave(v, 1),
                     "-1>2 -1>3 -2>1 +2>3:" RING " -3>1 +3>2:" RING);
    cr_assert_eq(rep(v, 10), 3);
    /* The last member of a segment takes the segment with it. */
    cr_assert_str_eq(leave(v, 2), "-2>3 -3>2");
    cr_assert_eq(vm_tapbcast_representative(v, 20, &(vm_id){0}), VM_ENOENT);
    cr_assert_eq(vm_tapbcast_segments(v), 1);
    done(v);
}

Test(tapbcast, a_merge_turns_ring_edges_into_tree_edges)
{
    vm *v = make();

    join(v, 1, 10);
    join(v, 2, 20);
    join(v, 3, 30);
    /* 2 is younger than 1: it leaves the ring, where 1 and 3 become each
     * other's both neighbours; the 1-2 edges change attributes in one
     * delta each way. */
    cr_assert_str_eq(merge(v, 20, 10), "+1>2:" TG " +1>3:" RING " +2>1:" TG
                                       " -2>3 +3>1:" RING " -3>2");
    cr_assert_eq(vm_tapbcast_segments(v), 2);
    cr_assert_eq(rep(v, 10), 1);
    done(v);
}

Test(tapbcast, the_oldest_member_wins_the_merged_segment)
{
    vm *v = make();
    uint32_t s;

    join(v, 1, 5);
    join(v, 2, 6);
    join(v, 3, 6);
    join(v, 4, 7);
    merge(v, 5, 6); /* into the younger segment's id */
    cr_assert_eq(rep(v, 6), 1);
    cr_assert_eq(vm_tapbcast_segment(v, 1, &s), VM_OK);
    cr_assert_eq(s, 6);
    /* 1 holds the ring for segment 6 now; 2 is out of it. */
    cr_assert_str_eq(leave(v, 4), "-1>4 -4>1");
    done(v);
}

Test(tapbcast, a_move_splits_a_member_off)
{
    vm *v = make();

    join(v, 1, 10);
    cr_assert_str_eq(join(v, 2, 10), "+1>2:" TG " +2>1:" TG);
    cr_assert_str_eq(move(v, 1, 11), "+1>2:" RING " +2>1:" RING);
    cr_assert_eq(rep(v, 10), 2);
    cr_assert_eq(rep(v, 11), 1);
    /* Moving back restores the order: 1 is older than 2 again. */
    cr_assert_str_eq(move(v, 1, 10), "+1>2:" TG " +2>1:" TG);
    cr_assert_eq(rep(v, 10), 1);
    cr_assert_str_eq(move(v, 1, 10), "");
    cr_assert_eq(vm_tapbcast_segments(v), 1);
    done(v);
}

Test(tapbcast, errors)
{
    vm *v = make(), *r;
    vm_params bad = {.segment = UINT32_MAX};

    cr_assert_eq(vm_join(v, 1, &bad), VM_EINVAL);
    cr_assert_eq(vm_tapbcast_move(v, 1, 3), VM_ENOENT);
    cr_assert_eq(vm_tapbcast_merge(v, 1, 3), VM_ENOENT);
    cr_assert_eq(vm_tapbcast_move(v, 1, UINT32_MAX), VM_EINVAL);
    cr_assert_eq(vm_tapbcast_segment(v, 1, &(uint32_t){0}), VM_ENOENT);
    cr_assert_eq(vm_rbt_new(NULL, &r), VM_OK);
    cr_assert_eq(vm_tapbcast_move(r, 1, 3), VM_EINVAL);
    cr_assert_eq(vm_tapbcast_segments(r), 0);
    vm_free(r);
    done(v);
}

/* ---- property runs ---- */

/* Our model: per member id, its segment and join order (0: absent). */
struct model {
    uint32_t *seg;
    uint64_t *since;
    vm_id *present; /* dense list of present ids */
    size_t n, cap;
    uint64_t clock;
};

struct oldest {
    const struct model *m;
    vm_id best;
    size_t n;
};

static int find_oldest(void *ctx, vm_id id)
{
    struct oldest *o = ctx;

    if (o->best == VM_ID_NONE || o->m->since[id] < o->m->since[o->best])
        o->best = id;
    o->n++;
    return 0;
}

static int check_rep(void *ctx, vm_id id)
{
    const vm *v = ctx;
    uint32_t s;
    vm_id r;

    cr_assert_eq(vm_tapbcast_segment(v, id, &s), VM_OK);
    cr_assert_eq(vm_tapbcast_representative(v, s, &r), VM_OK);
    cr_assert_eq(r, id, "seed %llu", (unsigned long long)seed);
    return 0;
}

/* Every member is where the model says, each segment's representative
 * is its oldest, and the ring holds exactly the representatives. */
static void check_model(const vm *v, const struct model *m)
{
    size_t ring = 0;

    for (size_t i = 0; i < m->n; i++) {
        vm_id id = m->present[i];
        uint32_t s;
        struct oldest o = {m, VM_ID_NONE, 0};
        cr_assert_eq(vm_tapbcast_segment(v, id, &s), VM_OK);
        cr_assert_eq(s, m->seg[id], "seed %llu", (unsigned long long)seed);
        cr_assert_eq(vm_tapbcast_segment_each(v, s, find_oldest, &o), VM_OK);
        cr_assert_eq(o.best, rep(v, s), "seed %llu", (unsigned long long)seed);
        if (o.best == id)
            ring++;
    }
    cr_assert_eq(ring, vm_tapbcast_segments(v));
    cr_assert_eq(vm_tapbcast_ring_each(v, check_rep, (void *)v), VM_OK);
}

static void model_add(struct model *m, vm_id id, uint32_t s)
{
    m->seg[id] = s;
    m->since[id] = ++m->clock;
    m->present[m->n++] = id;
}

static void model_del(struct model *m, size_t i)
{
    m->since[m->present[i]] = 0;
    m->present[i] = m->present[--m->n];
}

/* One random operation: join (a fresh segment half the time), leave,
 * move or merge (as xmucd's segment detection does: a member's own
 * segment into another, now and then two big ones). */
static void step(vm *v, struct model *m, uint64_t *rs, uint32_t segments)
{
    uint64_t r = ut_splitmix64(rs);
    unsigned what = (unsigned)(r % 16);
    vm_id id = (vm_id)((r >> 8) % m->cap);
    uint32_t s = (uint32_t)((r >> 32) % segments);
    vm_params p = {.segment = s, .view_size = (uint32_t)(r >> 40) % 6};

    rec_begin(&R);
    if (m->since[id] == 0 && what < 10) {
        if (what & 1)
            p.segment = segments + id; /* a fresh segment of its own */
        cr_assert_eq(vm_join(v, id, &p), VM_OK);
        model_add(m, id, p.segment);
    } else if (!m->n) {
        return;
    } else {
        size_t i = (r >> 20) % m->n;
        id = m->present[i];
        if (what < 12) {
            cr_assert_eq(vm_leave(v, id), VM_OK);
            model_del(m, i);
        } else if (what < 14 || (m->seg[id] < segments && (r >> 50) % 64)) {
            /* Merges move whole segments: mostly fresh ones, so that
             * the big runs stay affordable; big ones 1 time in 64. */
            cr_assert_eq(vm_tapbcast_move(v, id, s), VM_OK);
            m->seg[id] = s;
        } else {
            uint32_t from = m->seg[id];
            cr_assert_eq(vm_tapbcast_merge(v, from, s), VM_OK);
            for (size_t j = 0; j < m->n; j++)
                if (m->seg[m->present[j]] == from)
                    m->seg[m->present[j]] = s;
        }
    }
    cr_assert_eq(R.twice, 0, "seed %llu", (unsigned long long)seed);
    cr_assert_eq(R.bad, 0, "seed %llu", (unsigned long long)seed);
}

static void run(size_t cap, size_t ops, uint32_t segments, size_t every)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .seed = seed};
    struct model m = {
        calloc(cap, 4), calloc(cap, 8), calloc(cap, 4), 0, cap, 0};
    uint64_t rs = seed;
    vm *v;

    rec_init(&R);
    cr_assert_eq(vm_new("tapbcast", &cfg, &v), VM_OK);
    /* Fill to 90% first, then churn. */
    for (size_t i = 0; i < cap * 9 / 10; i++) {
        vm_params p = {.segment = (uint32_t)(ut_splitmix64(&rs) % segments)};
        rec_begin(&R);
        cr_assert_eq(vm_join(v, (vm_id)i, &p), VM_OK);
        model_add(&m, (vm_id)i, p.segment);
    }
    for (size_t k = 0; k < ops; k++) {
        step(v, &m, &rs, segments);
        if (k % every == 0 || k == ops - 1) {
            cr_assert_eq(vm_check(v), VM_OK, "seed %llu op %zu",
                         (unsigned long long)seed, k);
            cr_assert(rec_matches(&R, v), "seed %llu op %zu",
                      (unsigned long long)seed, k);
            check_model(v, &m);
        }
    }
    cr_assert_eq(vm_size(v), m.n);
    vm_free(v);
    rec_fini(&R);
    free(m.seg);
    free(m.since);
    free(m.present);
}

Test(tapbcast, property_small)
{
    for (uint32_t s = 1; s <= 6; s++)
        run(24, 400, s, 1);
}

Test(tapbcast, property_10000)
{
    run(10000, 20000, 40, 5000);
}

/* ---- allocation failures ---- */

struct failing {
    long left;
    int failed;
};

static void *f_realloc(void *ctx, void *p, size_t n)
{
    struct failing *f = ctx;

    if (f->left-- == 0) {
        f->failed++;
        return NULL;
    }
    return realloc(p, n);
}

static void f_free(void *ctx, void *p)
{
    free(p);
}

/* Churn, moves and merges with the Nth allocation failing: results are
 * OK or ENOMEM, the replayed deltas always equal the views, and the
 * operation after the failing one leaves everything consistent. */
static bool churn_failing(long nth)
{
    struct failing f = {nth, 0};
    vm_allocator a = {f_realloc, f_free, &f};
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .alloc = &a, .seed = 3};
    vm *v = NULL;
    int rc, failed_at = -1;

    rec_init(&R);
    rc = vm_new("tapbcast", &cfg, &v);
    cr_assert(rc == VM_OK || rc == VM_ENOMEM);
    for (int i = 0; v && i < 160; i++) {
        vm_id id = (vm_id)((i * 7) % 23);
        vm_params p = {.segment = (uint32_t)(i % 5), .degree = 2};
        rec_begin(&R);
        if (i % 9 == 4)
            rc = vm_tapbcast_merge(v, (uint32_t)(i % 5), (uint32_t)(i % 3));
        else if (i % 7 == 3 && vm_contains(v, id))
            rc = vm_tapbcast_move(v, id, (uint32_t)(i % 4));
        else
            rc = vm_contains(v, id) ? vm_leave(v, id) : vm_join(v, id, &p);
        cr_assert(rc == VM_OK || rc == VM_ENOMEM || rc == VM_ENOENT,
                  "nth %ld op %d: %s", nth, i, vm_strerror(rc));
        if (f.failed && failed_at < 0)
            failed_at = i;
        cr_assert(rec_matches(&R, v), "nth %ld op %d", nth, i);
        cr_assert_eq(R.bad, 0, "nth %ld op %d", nth, i);
        if (failed_at >= 0 && i > failed_at)
            cr_assert_eq(vm_check(v), VM_OK, "nth %ld op %d", nth, i);
    }
    vm_free(v);
    rec_fini(&R);
    return f.failed > 0;
}

Test(tapbcast, every_allocation_may_fail)
{
    long nth = 0;

    while (churn_failing(nth))
        nth++;
    cr_assert_gt(nth, 10);
}
