/* test_vm_props.c -- property tests of the view managers: seeded random
 * join/leave sequences (the seed is printed; VM_SEED=<n> reproduces a
 * run) up to 100,000 members.  Checked: the replayed delta stream equals
 * the views, no pair is reported twice in one operation, vm_check's
 * invariants (red-black rules, stored views = tree-implied views, ring
 * order, degrees, composite reference counts), and per manager: view
 * size honoured (rbt), one cycle in comparator order (ring), out-degree
 * as configured and no edge to a departed member (random), and for
 * composites that what the peers were told (the replayed deltas) is the
 * union of the children's views, computed here from each child: after
 * every operation for every member in the small runs; in the large run
 * after every operation for the members that operation touched (every
 * observer of its deltas and the member joining or leaving) and for
 * every member at each check point. */
#include "config.h"
#include "../seed.h"

#include <criterion/criterion.h>
#include <time.h>

#include "test_vm_util.h"
#include "ut_rand.h"

static uint64_t seed;

static void pick_seed(void)
{
    seed = ob_test_seed("VM_SEED");
}

TestSuite(vm_props, .init = pick_seed, .timeout = 300);

/* ---- per-manager properties ---- */

struct props {
    const vm *v;
    const vm_params *params; /* by id, for view size and degree */
    size_t n;
    int bad;
};

static int view_size_ok(void *ctx, vm_id a)
{
    struct props *p = ctx;
    unsigned s = p->params[a].view_size ? p->params[a].view_size : 3;
    size_t n;

    if (vm_view(p->v, a, NULL, 0, &n) || n > s || (p->n > 1 && n < 1))
        p->bad++;
    return 0;
}

static int degree_ok(void *ctx, vm_id a)
{
    struct props *p = ctx;
    vm_edge e[256];
    size_t n, d = p->params[a].degree, want;
    unsigned k = 0;

    while ((1ull << k) < p->n)
        k++;
    want = d ? d : k; /* the default may lag one above while shrinking */
    if (want > p->n - 1)
        want = p->n - 1;
    if (vm_view(p->v, a, e, 256, &n))
        p->bad++;
    if (d ? n != want : (n != want && n != want + 1))
        p->bad++;
    for (size_t i = 0; i < n && i < 256; i++)
        if (!vm_contains(p->v, e[i].subject))
            p->bad++;
    return 0;
}

struct ring_walk {
    vm_id *order;
    size_t n;
};

static int ring_collect(void *ctx, vm_id a)
{
    struct ring_walk *w = ctx;
    w->order[w->n++] = a;
    return 0;
}

static int cmp_key(const void *x, const void *y, void *ctx)
{
    const vm_params *par = ctx;
    vm_id a = *(const vm_id *)x, b = *(const vm_id *)y;
    uint64_t ka = par[a].key, kb = par[b].key;

    if (ka != kb)
        return ka < kb ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* The ring is one cycle in key order: sorting the members by (key, id)
 * ourselves, each one's ring-next is the following one. */
static void check_ring(const vm *v, const vm_params *par)
{
    size_t n = vm_size(v);
    struct ring_walk w = {calloc(n + 1, sizeof(vm_id)), 0};
    vm_edge e[2];
    size_t m;

    vm_members_each(v, ring_collect, &w);
    cr_assert_eq(w.n, n);
    qsort_r(w.order, n, sizeof(vm_id), cmp_key, (void *)par);
    for (size_t i = 0; n > 1 && i < n; i++) {
        vm_id next = w.order[(i + 1) % n], prev = w.order[(i + n - 1) % n];
        cr_assert_eq(vm_view(v, w.order[i], e, 2, &m), VM_OK);
        for (size_t j = 0; j < m; j++) {
            if (e[j].attrs & VM_ATTR_RING_NEXT)
                cr_assert_eq(e[j].subject, next, "seed %llu",
                             (unsigned long long)seed);
            if (e[j].attrs & VM_ATTR_RING_PREV)
                cr_assert_eq(e[j].subject, prev);
        }
        cr_assert_eq(m, n == 2 ? 1 : 2);
    }
    free(w.order);
}

/* ---- composites: told == the union of the children ----
 *
 * A composite's own vm_view walks its children through its edge records,
 * so it would agree with a record that went missing; the replayed deltas
 * (what the peers were told) are compared with the children instead.
 * outdeg[a] counts a's replayed edges (kept by count_emit). */

#define UNION_MAX 1024

static uint32_t *outdeg;

static void count_emit(void *ctx, const vm_delta *d)
{
    struct rec *r = ctx;
    uint32_t old;
    bool had = vm_map_get(&r->views, vm_pair(d->observer, d->subject), &old);

    if (d->kind == VM_SEE && !had)
        outdeg[d->observer]++;
    else if (d->kind == VM_UNSEE && had)
        outdeg[d->observer]--;
    rec_emit(r, d);
}

static int by_subject(const void *x, const void *y)
{
    vm_id a = ((const vm_edge *)x)->subject, b = ((const vm_edge *)y)->subject;

    return a < b ? -1 : a > b;
}

/* The union of the children's views of a into u (subjects once,
 * attributes or'ed); returns its size. */
static size_t union_of(const vm *v, vm_id a, vm_edge *u)
{
    size_t n = 0, k = 0, m;

    for (size_t c = 0; c < vm_composite_children(v); c++) {
        const vm *child = vm_composite_child(v, c);
        if (!vm_contains(child, a))
            continue;
        cr_assert_eq(vm_view(child, a, u + n, UNION_MAX - n, &m), VM_OK);
        cr_assert_leq(n + m, UNION_MAX);
        n += m;
    }
    qsort(u, n, sizeof *u, by_subject);
    for (size_t i = 0; i < n; i++)
        if (k && u[k - 1].subject == u[i].subject)
            u[k - 1].attrs |= u[i].attrs;
        else
            u[k++] = u[i];
    return k;
}

/* a was told exactly the union of its views in the children; returns
 * the union's size. */
static size_t told_union(const vm *v, const struct rec *r, vm_id a)
{
    vm_edge u[UNION_MAX];
    size_t n = union_of(v, a, u);
    uint32_t attrs;

    for (size_t i = 0; i < n; i++)
        cr_assert(vm_map_get(&r->views, vm_pair(a, u[i].subject), &attrs) &&
                      attrs == u[i].attrs,
                  "%s: %u was not told of %u with 0x%x (the children's union), "
                  "VM_SEED=%llu",
                  vm_name(v), a, u[i].subject, u[i].attrs,
                  (unsigned long long)seed);
    cr_assert_eq(outdeg[a], n,
                 "%s: %u was told of %u, the children's union "
                 "has %zu, VM_SEED=%llu",
                 vm_name(v), a, outdeg[a], n, (unsigned long long)seed);
    return n;
}

struct union_all {
    const vm *v;
    const struct rec *r;
    size_t edges;
};

static int union_member(void *ctx, vm_id a)
{
    struct union_all *w = ctx;

    w->edges += told_union(w->v, w->r, a);
    return 0;
}

/* Every member, and no edge left elsewhere. */
static void check_union_all(const vm *v, const struct rec *r)
{
    struct union_all w = {v, r, 0};

    vm_members_each(v, union_member, &w);
    cr_assert_eq(w.edges, r->views.count,
                 "%s: edges told outside the "
                 "members' unions, VM_SEED=%llu",
                 vm_name(v), (unsigned long long)seed);
}

/* The members the last operation touched: its deltas' observers and the
 * member that joined or left. */
static void check_union_touched(const vm *v, const struct rec *r, vm_id id)
{
    told_union(v, r, id);
    for (size_t i = 0; i < r->nlog; i++)
        told_union(v, r, r->log[i].observer);
}

/* ---- the driver ---- */

struct run {
    const char *type;
    size_t target; /* grow to this size, then churn around it */
    size_t churn;  /* operations after reaching the target */
    size_t check_every;
    bool mixed; /* random view sizes and degrees */
};

static void check_all(const vm *v, struct rec *r, const vm_params *par,
                      const struct run *run)
{
    struct props p = {v, par, vm_size(v), 0};
    unsigned long long s = (unsigned long long)seed;

    cr_assert(rec_matches(r, v), "%s: replay differs, VM_SEED=%llu", run->type,
              s);
    cr_assert_eq(vm_check(v), VM_OK, "%s: vm_check, VM_SEED=%llu", run->type,
                 s);
    if (!strcmp(run->type, "rbt"))
        vm_members_each(v, view_size_ok, &p);
    if (!strcmp(run->type, "random"))
        vm_members_each(v, degree_ok, &p);
    if (!strcmp(run->type, "ring"))
        check_ring(v, par);
    if (vm_composite_children(v))
        check_union_all(v, r);
    cr_assert_eq(p.bad, 0, "%s: property, VM_SEED=%llu", run->type, s);
}

static void do_run(const struct run *run)
{
    uint64_t rs = seed ^ (uint64_t)strlen(run->type) * 77;
    size_t idspace = run->target * 2 + 2, ops = 0;
    vm_params *par = calloc(idspace, sizeof *par);
    vm_id *in = calloc(idspace, sizeof *in),
          *out = calloc(idspace, sizeof *out);
    size_t nin = 0, nout = 0;
    vm_config cfg = {.seed = seed};
    struct rec r;
    vm *v;

    rec_init(&r);
    cr_assert_not_null(outdeg = calloc(idspace, sizeof *outdeg));
    cfg.emit = count_emit;
    cfg.emit_ctx = &r;
    cr_assert_eq(vm_new(run->type, &cfg, &v), VM_OK);
    for (vm_id i = 0; i < idspace; i++)
        out[nout++] = i;
    while (ops < run->target + run->churn) {
        bool grow = nin < run->target
                        ? (ops < run->target || ut_splitmix64(&rs) % 2)
                        : ut_splitmix64(&rs) % 4 == 0;
        size_t k;
        vm_id id;
        rec_begin(&r);
        if ((grow || nin == 0) && nout) {
            k = ut_splitmix64(&rs) % nout;
            id = out[k];
            out[k] = out[--nout];
            par[id] = (vm_params){.key = ut_splitmix64(&rs), .has_key = true};
            if (run->mixed) {
                par[id].view_size = (uint32_t)(ut_splitmix64(&rs) % 10);
                par[id].degree = (uint32_t)(ut_splitmix64(&rs) % 3 == 0
                                                ? ut_splitmix64(&rs) % 8
                                                : 0);
            }
            cr_assert_eq(vm_join(v, id, &par[id]), VM_OK);
            in[nin++] = id;
        } else {
            k = ut_splitmix64(&rs) % nin;
            id = in[k];
            in[k] = in[--nin];
            cr_assert_eq(vm_leave(v, id), VM_OK);
            out[nout++] = id;
        }
        cr_assert_eq(r.twice, 0, "%s: pair twice in op %zu, VM_SEED=%llu",
                     run->type, ops, (unsigned long long)seed);
        cr_assert_eq(r.bad, 0, "%s: bad delta in op %zu", run->type, ops);
        cr_assert_eq(vm_size(v), nin);
        if (vm_composite_children(v) && run->check_every > 1)
            check_union_touched(v, &r, id);
        if (++ops % run->check_every == 0)
            check_all(v, &r, par, run);
    }
    check_all(v, &r, par, run);
    while (nin) /* leaving everyone empties every view */
        vm_leave(v, in[--nin]);
    cr_assert_eq(r.views.count, 0);
    vm_free(v);
    rec_fini(&r);
    free(outdeg);
    free(par);
    free(in);
    free(out);
}

static void small_runs(const char *type, bool mixed)
{
    for (size_t target = 1; target <= 40; target += 13) {
        struct run run = {type, target, 400, 1, mixed};
        do_run(&run);
    }
}

Test(vm_props, complete_small)
{
    small_runs("complete", false);
}
Test(vm_props, blind_small)
{
    small_runs("blind", false);
}
Test(vm_props, rbt_small)
{
    small_runs("rbt", true);
}
Test(vm_props, ring_small)
{
    small_runs("ring", false);
}
Test(vm_props, random_small)
{
    small_runs("random", true);
}
Test(vm_props, treegossip_small)
{
    small_runs("treegossip", true);
}

Test(vm_props, complete_1000)
{
    struct run run = {"complete", 1000, 1000, 500, false};
    do_run(&run);
}

Test(vm_props, rbt_100000)
{
    struct run run = {"rbt", 100000, 20000, 40000, false};
    do_run(&run);
}

Test(vm_props, rbt_mixed_10000)
{
    struct run run = {"rbt", 10000, 10000, 5000, true};
    do_run(&run);
}

Test(vm_props, ring_100000)
{
    struct run run = {"ring", 100000, 20000, 60000, false};
    do_run(&run);
}

Test(vm_props, random_100000)
{
    struct run run = {"random", 100000, 10000, 60000, true};
    do_run(&run);
}

Test(vm_props, treegossip_20000)
{
    struct run run = {"treegossip", 20000, 10000, 10000, true};
    do_run(&run);
}
