/* vm_random.c -- the random view manager: each member sees d random
 * others ("gossip" contacts), d = its configured out-degree or, by
 * default, ceil(log2 |G|); never more than |G| - 1.
 *
 * Policy (see docs/views.md):
 * - A joining member draws its d contacts uniformly; then d existing
 *   edges y->z, drawn at random, are redirected to y->newcomer, so a
 *   newcomer's in-degree starts near d too (push gossip reaches it) while
 *   every out-degree stays as configured.
 * - When a member leaves, every member that had it as a contact draws a
 *   replacement at once: no edge ever points at a departed member.
 * - The default degree follows ceil(log2 |G|) with hysteresis: it rises
 *   as soon as |G| passes a power of two, and falls only when it is two
 *   above the formula, so a group oscillating around 2^k changes default
 *   degrees once, not on every operation.  Each change costs one contact
 *   per default-degree member: O(|G|) deltas, once per doubling or
 *   halving, amortised O(1) per join.
 * - Members configured above |G| - 1 see everyone and stay on a pending
 *   list, gaining contacts as the group grows.
 * Every operation's changes are netted (vm_net), so a contact added and
 * then dropped within one operation emits nothing.  Reverse lists (who
 * has me as a contact) make repair O(in-degree). */
#include "vm_net.h"

#include <string.h>

struct rnd_member {
    vm_id id;
    uint32_t degree; /* configured out-degree; 0: the default policy */
    uint32_t nout, capout;
    vm_id *out; /* contacts, the member's view */
    uint32_t nin, capin;
    vm_id *in;        /* members that have this one as a contact */
    uint32_t pending; /* on the pending list */
};

struct vm_random {
    vm base;
    struct rnd_member *m; /* dense: index by the id map */
    size_t n, cap;
    vm_map ids;     /* id -> index in m */
    uint32_t dflt;  /* the default degree in force */
    vm_id *pending; /* ids that may be short of (or over) target */
    size_t npending, cappending;
    size_t heap; /* bytes held by out and in lists */
    vm_net net;
};

#define SELF(v) ((struct vm_random *)(v))
#define CSELF(v) ((const struct vm_random *)(v))

static struct rnd_member *find(const struct vm_random *r, vm_id id)
{
    uint32_t i;
    return vm_map_get(&r->ids, id, &i) ? &r->m[i] : NULL;
}

static uint32_t ceil_log2(size_t n)
{
    uint32_t k = 0;

    while (((size_t)1 << k) < n)
        k++;
    return k;
}

static uint32_t want(const struct vm_random *r, const struct rnd_member *m)
{
    uint32_t t = m->degree ? m->degree : r->dflt;
    return r->n - 1 < t ? (uint32_t)(r->n - 1) : t;
}

static bool has_contact(const struct rnd_member *m, vm_id c)
{
    for (uint32_t i = 0; i < m->nout; i++)
        if (m->out[i] == c)
            return true;
    return false;
}

/* Grows one of a member's lists by one slot, tracking bytes held. */
static int list_grow(struct vm_random *r, vm_id **arr, uint32_t *cap,
                     uint32_t n)
{
    size_t c = *cap, old = *cap;
    int rc;

    if (n < c)
        return VM_OK;
    rc = vm_mem_grow(&r->base.alloc, (void **)arr, sizeof **arr, &c, n + 1);
    if (rc)
        return rc;
    r->heap += vm_mem_block(c * sizeof **arr) -
               (old ? vm_mem_block(old * sizeof **arr) : 0);
    *cap = (uint32_t)c;
    return VM_OK;
}

static void list_remove(vm_id *arr, uint32_t *n, vm_id x)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (arr[i] == x) {
            arr[i] = arr[--*n];
            return;
        }
    }
}

static void pend(struct vm_random *r, struct rnd_member *m)
{
    if (!m->pending && r->npending < r->cappending) {
        m->pending = 1;
        r->pending[r->npending++] = m->id;
    }
}

/* Adds the contact a->c (both members, c not yet a contact). */
static int add_contact(struct vm_random *r, struct rnd_member *a,
                       struct rnd_member *c)
{
    if (list_grow(r, &a->out, &a->capout, a->nout) ||
        list_grow(r, &c->in, &c->capin, c->nin))
        return VM_ENOMEM;
    a->out[a->nout++] = c->id;
    c->in[c->nin++] = a->id;
    vm_net_record(&r->net, a->id, c->id, false, 0, true,
                  vm_attr_or(&r->base, VM_ATTR_GOSSIP));
    return VM_OK;
}

/* Removes a's i-th contact. */
static void drop_contact(struct vm_random *r, struct rnd_member *a, uint32_t i)
{
    struct rnd_member *c = find(r, a->out[i]);

    list_remove(c->in, &c->nin, a->id);
    vm_net_record(&r->net, a->id, c->id, true,
                  vm_attr_or(&r->base, VM_ATTR_GOSSIP), false, 0);
    a->out[i] = a->out[--a->nout];
}

/* A uniformly drawn member that a may add, or NULL when a already sees
 * everyone.  Random probes first; a scan from a random place if the
 * group is nearly all contacts already. */
static struct rnd_member *pick(struct vm_random *r, struct rnd_member *a)
{
    if (a->nout + 1 >= r->n)
        return NULL;
    for (int t = 0; t < 16; t++) {
        struct rnd_member *c =
            &r->m[vm_rng_below(&r->base.rng, (uint32_t)r->n)];
        if (c != a && !has_contact(a, c->id))
            return c;
    }
    for (size_t i = 0, s = vm_rng_below(&r->base.rng, (uint32_t)r->n); i < r->n;
         i++) {
        struct rnd_member *c = &r->m[(s + i) % r->n];
        if (c != a && !has_contact(a, c->id))
            return c;
    }
    return NULL;
}

/* Brings a to its target degree.  Returns 1 when it is there, 0 when
 * the group is too small for its target, VM_ENOMEM when a list could
 * not grow (a stays consistent, short of contacts). */
static int fill(struct vm_random *r, struct rnd_member *a)
{
    uint32_t w = want(r, a);
    struct rnd_member *c;

    while (a->nout > w)
        drop_contact(r, a, a->nout - 1);
    while (a->nout < w && (c = pick(r, a)))
        if (add_contact(r, a, c))
            return VM_ENOMEM;
    return a->nout == w && (a->degree ? a->degree : r->dflt) <= w;
}

/* Repairs every pending member; keeps those still short. */
static void process_pending(struct vm_random *r)
{
    size_t keep = 0;

    for (size_t i = 0; i < r->npending; i++) {
        struct rnd_member *m = find(r, r->pending[i]);
        if (!m || !m->pending)
            continue;
        if (fill(r, m) == 1)
            m->pending = 0;
        else
            r->pending[keep++] = m->id;
    }
    r->npending = keep;
}

/* Applies the default-degree policy after |G| changed. */
static void policy(struct vm_random *r)
{
    uint32_t f = r->n >= 2 ? ceil_log2(r->n) : 0, old = r->dflt;

    if (f > r->dflt)
        r->dflt = f;
    else if (f + 1 < r->dflt)
        r->dflt = f + 1;
    if (r->dflt == old)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (!r->m[i].degree)
            pend(r, &r->m[i]);
}

/* Points d random existing edges y->z at the newcomer x instead. */
static void redirect(struct vm_random *r, struct rnd_member *x, uint32_t d)
{
    for (uint32_t i = 0, tries = 0; i < d && tries < 4 * d; tries++) {
        struct rnd_member *y =
            &r->m[vm_rng_below(&r->base.rng, (uint32_t)r->n)];
        uint32_t j;
        if (y == x || !y->nout || has_contact(y, x->id) ||
            list_grow(r, &x->in, &x->capin, x->nin))
            continue;
        j = vm_rng_below(&r->base.rng, y->nout);
        drop_contact(r, y, j);
        add_contact(r, y, x); /* both lists have room: cannot fail */
        i++;
    }
}

static int reserve_join(struct vm_random *r)
{
    int rc = vm_mem_grow(&r->base.alloc, (void **)&r->m, sizeof *r->m, &r->cap,
                         r->n + 1);

    if (!rc)
        rc = vm_map_reserve(&r->ids, 1);
    if (!rc)
        rc = vm_mem_grow(&r->base.alloc, (void **)&r->pending,
                         sizeof *r->pending, &r->cappending, r->n + 2);
    return rc;
}

static int random_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_random *r = SELF(v);
    struct rnd_member *x;
    int rc = reserve_join(r);

    if (rc)
        return rc;
    x = &r->m[r->n];
    memset(x, 0, sizeof *x);
    x->id = id;
    x->degree = p->degree;
    vm_map_put(&r->ids, id, (uint32_t)r->n++);
    policy(r);
    if (fill(r, x) != 1)
        pend(r, x); /* short: repaired by later operations */
    redirect(r, x, x->nout);
    process_pending(r);
    vm_net_flush(&r->net);
    return VM_OK;
}

static void remove_member(struct vm_random *r, struct rnd_member *b)
{
    uint32_t i;
    vm_map_get(&r->ids, b->id, &i);

    vm_mem_free(&r->base.alloc, b->out);
    vm_mem_free(&r->base.alloc, b->in);
    r->heap -= (b->capout ? vm_mem_block(b->capout * sizeof(vm_id)) : 0) +
               (b->capin ? vm_mem_block(b->capin * sizeof(vm_id)) : 0);
    vm_map_del(&r->ids, b->id);
    if (i != --r->n) {
        r->m[i] = r->m[r->n];
        vm_map_put(&r->ids, r->m[i].id, i); /* overwrite: cannot fail */
    }
}

static int random_leave(vm *v, vm_id id)
{
    struct vm_random *r = SELF(v);
    struct rnd_member *b = find(r, id);

    while (b->nout)
        drop_contact(r, b, b->nout - 1);
    while (b->nin) {
        struct rnd_member *a = find(r, b->in[b->nin - 1]);
        for (uint32_t i = 0; i < a->nout; i++)
            if (a->out[i] == id)
                drop_contact(r, a, i);
        pend(r, a);
    }
    remove_member(r, b);
    policy(r);
    process_pending(r);
    vm_net_flush(&r->net);
    return VM_OK;
}

static bool random_contains(const vm *v, vm_id id)
{
    return find(CSELF(v), id) != NULL;
}

static size_t random_size(const vm *v)
{
    return CSELF(v)->n;
}

static int random_members(const vm *v, vm_member_fn fn, void *ctx)
{
    const struct vm_random *r = CSELF(v);

    for (size_t i = 0; i < r->n; i++) {
        int rc = fn(ctx, r->m[i].id);
        if (rc)
            return rc;
    }
    return 0;
}

static int random_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    const struct rnd_member *m = find(CSELF(v), a);
    vm_edge e = {0, vm_attr_or(v, VM_ATTR_GOSSIP)};

    for (uint32_t i = 0; i < m->nout; i++) {
        int rc;
        e.subject = m->out[i];
        if ((rc = fn(ctx, a, &e)))
            return rc;
    }
    return 0;
}

static size_t random_memory(const vm *v)
{
    const struct vm_random *r = CSELF(v);

    return vm_mem_block(sizeof *r) +
           (r->cap ? vm_mem_block(r->cap * sizeof *r->m) : 0) +
           (r->cappending ? vm_mem_block(r->cappending * sizeof(vm_id)) : 0) +
           r->heap + vm_map_memory(&r->ids) + vm_net_memory(&r->net);
}

/* Contacts distinct, live, not self, mirrored in the reverse lists, and
 * out-degree at target unless the member is pending. */
static int check_member(const struct vm_random *r, const struct rnd_member *a)
{
    for (uint32_t i = 0; i < a->nout; i++) {
        const struct rnd_member *c = find(r, a->out[i]);
        bool back = false;
        if (!c || c == a)
            return VM_ECORRUPT;
        for (uint32_t j = 0; j < c->nin && !back; j++)
            back = c->in[j] == a->id;
        for (uint32_t j = i + 1; j < a->nout; j++)
            if (a->out[j] == a->out[i])
                return VM_ECORRUPT;
        if (!back)
            return VM_ECORRUPT;
    }
    if (a->nout > want(r, a) || (!a->pending && a->nout != want(r, a)))
        return VM_ECORRUPT;
    return VM_OK;
}

static int random_check(const vm *v)
{
    const struct vm_random *r = CSELF(v);
    size_t nout = 0, nin = 0;

    if (r->ids.count != r->n)
        return VM_ECORRUPT;
    for (size_t i = 0; i < r->n; i++) {
        if (find(r, r->m[i].id) != &r->m[i] || check_member(r, &r->m[i]))
            return VM_ECORRUPT;
        nout += r->m[i].nout;
        nin += r->m[i].nin;
    }
    return nout == nin ? VM_OK : VM_ECORRUPT;
}

static void random_destroy(vm *v)
{
    struct vm_random *r = SELF(v);
    vm_allocator a = v->alloc;

    for (size_t i = 0; i < r->n; i++) {
        vm_mem_free(&a, r->m[i].out);
        vm_mem_free(&a, r->m[i].in);
    }
    vm_mem_free(&a, r->m);
    vm_mem_free(&a, r->pending);
    vm_map_fini(&r->ids);
    vm_net_fini(&r->net);
    vm_mem_free(&a, r);
}

static const struct vm_ops random_ops = {
    "random",       random_join, random_leave,  random_contains, random_size,
    random_members, random_view, random_memory, random_check,    random_destroy,
};

int vm_random_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_random *r;

    if (!out)
        return VM_EINVAL;
    if (!(r = vm_mem_calloc(a, 1, sizeof *r)))
        return VM_ENOMEM;
    vm_base_init(&r->base, &random_ops, cfg);
    vm_map_init(&r->ids, &r->base.alloc);
    vm_net_init(&r->net, &r->base);
    *out = &r->base;
    return VM_OK;
}
