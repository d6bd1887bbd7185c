/* vm_composite.c -- composite view managers: children merged into one.
 *
 * A composition (vm_composition) decides per join which children receive
 * the member.  Children emit into this file's sink, which keeps, for each
 * edge A->B that any child holds, the list of holders (child, attrs).  A
 * sees B while the list is not empty, with the union of the holders'
 * attributes.  Changes are netted per operation (vm_net), so when one
 * child drops an edge that another child adds in the same operation, the
 * peer sees one attribute update, not an unsee followed by a see.
 *
 * If the bookkeeping itself cannot allocate, the composite stops
 * listening to its children for the rest of the operation, then resyncs:
 * it rebuilds its edge records from the children's views into fresh
 * arrays and records the difference with the old records in the net, so
 * the operation's deltas still take the peers from the old views to the
 * children's.  If the rebuild cannot allocate either, the old records are
 * kept, the composite stays out of sync (vm_check: VM_ECORRUPT) and the
 * next join or leave tries again first, returning VM_ENOMEM and changing
 * nothing if it fails. */
#include "vm_composite.h"
#include "vm_net.h"
#include "vm_plain.h"
#include "vm_set.h"

#include <string.h>

#define NONE UINT32_MAX

struct comp_child {
    struct vm_composite *c;
    uint32_t index;
    vm *v;
};

struct comp_edge {
    vm_id a, b;
    uint32_t attrs;   /* union of the holders' attributes */
    uint32_t holders; /* first holder, or free list link when unused */
};

struct comp_holder {
    uint32_t child, attrs, next;
};

/* The edge and holder records; a resync builds a new set aside. */
struct comp_records {
    vm_map edge_of; /* (a, b) -> edge index */
    struct comp_edge *e;
    size_t ne, cape;
    uint32_t free_edge;
    struct comp_holder *h;
    size_t nh, caph;
    uint32_t free_holder;
    size_t holders; /* holders in use */
};

struct vm_composite {
    vm base;
    const vm_composition *comp;
    void *state;
    struct comp_child **child;
    size_t nchild, capchild;
    vm_set members;
    struct comp_records r;
    int failed; /* sticky bookkeeping error */
    vm_net net;
};

#define SELF(v) ((struct vm_composite *)(v))
#define CSELF(v) ((const struct vm_composite *)(v))

static const struct vm_ops composite_ops;

static struct vm_composite *as_composite(const vm *v)
{
    return v && v->ops == &composite_ops ? SELF((vm *)v) : NULL;
}

/* ---- edge and holder records ---- */

static uint32_t edge_new(struct vm_composite *c, vm_id a, vm_id b)
{
    uint32_t i = c->r.free_edge;

    if (vm_map_reserve(&c->r.edge_of, 1))
        return NONE;
    if (i == NONE) {
        if (vm_mem_grow(&c->base.alloc, (void **)&c->r.e, sizeof *c->r.e,
                        &c->r.cape, c->r.ne + 1))
            return NONE;
        i = (uint32_t)c->r.ne++;
    } else {
        c->r.free_edge = c->r.e[i].holders;
    }
    c->r.e[i] = (struct comp_edge){a, b, 0, NONE};
    vm_map_put(&c->r.edge_of, vm_pair(a, b), i);
    return i;
}

static void edge_del(struct vm_composite *c, uint32_t i)
{
    vm_map_del(&c->r.edge_of, vm_pair(c->r.e[i].a, c->r.e[i].b));
    c->r.e[i].a = c->r.e[i].b = VM_ID_NONE;
    c->r.e[i].holders = c->r.free_edge;
    c->r.free_edge = i;
}

static uint32_t holder_new(struct vm_composite *c)
{
    uint32_t i = c->r.free_holder;

    if (i != NONE) {
        c->r.free_holder = c->r.h[i].next;
        return i;
    }
    if (vm_mem_grow(&c->base.alloc, (void **)&c->r.h, sizeof *c->r.h,
                    &c->r.caph, c->r.nh + 1))
        return NONE;
    return (uint32_t)c->r.nh++;
}

static uint32_t union_of(const struct vm_composite *c, uint32_t i)
{
    uint32_t u = 0;

    for (uint32_t k = c->r.e[i].holders; k != NONE; k = c->r.h[k].next)
        u |= c->r.h[k].attrs;
    return u;
}

/* Sets child's attributes on edge i (adding the holder if new). */
static int holder_set(struct vm_composite *c, uint32_t i, uint32_t child,
                      uint32_t attrs)
{
    uint32_t k;

    for (k = c->r.e[i].holders; k != NONE; k = c->r.h[k].next) {
        if (c->r.h[k].child == child) {
            c->r.h[k].attrs = attrs;
            return VM_OK;
        }
    }
    if ((k = holder_new(c)) == NONE)
        return VM_ENOMEM;
    c->r.h[k] = (struct comp_holder){child, attrs, c->r.e[i].holders};
    c->r.e[i].holders = k;
    c->r.holders++;
    return VM_OK;
}

static void holder_drop(struct vm_composite *c, uint32_t i, uint32_t child)
{
    for (uint32_t *p = &c->r.e[i].holders; *p != NONE; p = &c->r.h[*p].next) {
        uint32_t k = *p;
        if (c->r.h[k].child == child) {
            *p = c->r.h[k].next;
            c->r.h[k].next = c->r.free_holder;
            c->r.free_holder = k;
            c->r.holders--;
            return;
        }
    }
}

/* ---- the children's sink ---- */

static void child_see(struct vm_composite *c, uint32_t child, const vm_delta *d)
{
    uint32_t i;
    bool had = vm_map_get(&c->r.edge_of, vm_pair(d->observer, d->subject), &i);
    uint32_t before = had ? c->r.e[i].attrs : 0;

    if (!had && (i = edge_new(c, d->observer, d->subject)) == NONE) {
        c->failed = VM_ENOMEM;
        return;
    }
    if (holder_set(c, i, child, d->attrs)) {
        if (!had)
            edge_del(c, i);
        c->failed = VM_ENOMEM;
        return;
    }
    c->r.e[i].attrs = union_of(c, i);
    vm_net_record(&c->net, d->observer, d->subject, had, before, true,
                  c->r.e[i].attrs);
}

static void child_unsee(struct vm_composite *c, uint32_t child,
                        const vm_delta *d)
{
    uint32_t i, before;

    if (!vm_map_get(&c->r.edge_of, vm_pair(d->observer, d->subject), &i))
        return; /* only after a bookkeeping failure */
    before = c->r.e[i].attrs;
    holder_drop(c, i, child);
    c->r.e[i].attrs = union_of(c, i);
    vm_net_record(&c->net, d->observer, d->subject, true, before,
                  c->r.e[i].holders != NONE, c->r.e[i].attrs);
    if (c->r.e[i].holders == NONE)
        edge_del(c, i);
}

static void on_child(void *ctx, const vm_delta *d)
{
    struct comp_child *ch = ctx;

    if (ch->c->failed)
        return;
    if (d->kind == VM_SEE)
        child_see(ch->c, ch->index, d);
    else
        child_unsee(ch->c, ch->index, d);
}

/* ---- resync after a bookkeeping failure ---- */

static void records_swap(struct vm_composite *c, struct comp_records *r)
{
    struct comp_records t = c->r;

    c->r = *r;
    *r = t;
}

static void records_free(const vm_allocator *a, struct comp_records *r)
{
    vm_map_fini(&r->edge_of);
    vm_mem_free(a, r->e);
    vm_mem_free(a, r->h);
}

struct rebuild_walk {
    struct vm_composite *c;
    uint32_t child;
};

static int rebuild_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct rebuild_walk *w = ctx;
    struct vm_composite *c = w->c;
    uint32_t i;

    if (!vm_map_get(&c->r.edge_of, vm_pair(a, e->subject), &i) &&
        (i = edge_new(c, a, e->subject)) == NONE)
        return VM_ENOMEM;
    if (holder_set(c, i, w->child, e->attrs))
        return VM_ENOMEM;
    c->r.e[i].attrs |= e->attrs;
    return 0;
}

/* Records in the net how edge a->b goes from the old records to the
 * rebuilt ones (the composite's now). */
static void resync_edge(struct vm_composite *c, const struct comp_records *old,
                        vm_id a, vm_id b)
{
    uint32_t i, j;
    bool had = vm_map_get(&old->edge_of, vm_pair(a, b), &i);
    bool has = vm_map_get(&c->r.edge_of, vm_pair(a, b), &j);

    vm_net_record(&c->net, a, b, had, had ? old->e[i].attrs : 0, has,
                  has ? c->r.e[j].attrs : 0);
}

/* Rebuilds the records from the children.  VM_OK (no longer failed) or
 * VM_ENOMEM (records unchanged, still failed). */
static int resync(struct vm_composite *c)
{
    struct comp_records old = {.free_edge = NONE, .free_holder = NONE};
    struct rebuild_walk w = {c, 0};
    int rc = VM_OK;

    vm_map_init(&old.edge_of, &c->base.alloc);
    records_swap(c, &old); /* c now has empty records */
    for (size_t i = 0; !rc && i < c->nchild; i++) {
        w.child = (uint32_t)i;
        rc = vm_topology_each(c->child[i]->v, rebuild_edge, &w);
    }
    if (rc) {
        records_swap(c, &old);
        records_free(&c->base.alloc, &old);
        return VM_ENOMEM;
    }
    for (size_t i = 0; i < old.ne; i++)
        if (old.e[i].a != VM_ID_NONE)
            resync_edge(c, &old, old.e[i].a, old.e[i].b);
    for (size_t j = 0; j < c->r.ne; j++) {
        uint32_t i;
        if (!vm_map_get(&old.edge_of, vm_pair(c->r.e[j].a, c->r.e[j].b), &i))
            resync_edge(c, &old, c->r.e[j].a, c->r.e[j].b);
    }
    records_free(&c->base.alloc, &old);
    c->failed = VM_OK;
    return VM_OK;
}

/* ---- building a composition ---- */

int vm_composite_add(vm *self, const char *type, const vm_config *child_cfg,
                     size_t *index)
{
    struct vm_composite *c = as_composite(self);
    struct comp_child *ch;
    vm_config cfg = {0};
    int rc;

    if (!c || !type)
        return VM_EINVAL;
    if (vm_mem_grow(&self->alloc, (void **)&c->child, sizeof *c->child,
                    &c->capchild, c->nchild + 1) ||
        !(ch = vm_mem_calloc(&self->alloc, 1, sizeof *ch)))
        return VM_ENOMEM;
    if (child_cfg) {
        cfg.order = child_cfg->order;
        cfg.order_ctx = child_cfg->order_ctx;
        cfg.attr = child_cfg->attr;
    }
    cfg.emit = on_child;
    cfg.emit_ctx = ch;
    cfg.seed = vm_rng_next(&self->rng);
    cfg.alloc = &self->alloc;
    rc = c->comp->make ? c->comp->make(type, &cfg, &ch->v)
                       : vm_plain_new(type, &cfg, &ch->v);
    if (rc) {
        vm_mem_free(&self->alloc, ch);
        return rc;
    }
    ch->c = c;
    ch->index = (uint32_t)c->nchild;
    c->child[c->nchild++] = ch;
    if (index)
        *index = ch->index;
    return VM_OK;
}

int vm_composite_join(vm *self, size_t child, vm_id id, const vm_params *p)
{
    struct vm_composite *c = as_composite(self);

    if (!c || child >= c->nchild)
        return VM_EINVAL;
    return c->failed ? c->failed : vm_join(c->child[child]->v, id, p);
}

int vm_composite_leave(vm *self, size_t child, vm_id id)
{
    struct vm_composite *c = as_composite(self);

    if (!c || child >= c->nchild)
        return VM_EINVAL;
    return c->failed ? c->failed : vm_leave(c->child[child]->v, id);
}

void *vm_composite_state(const vm *self, const vm_composition *comp)
{
    struct vm_composite *c = as_composite(self);
    return c && c->comp == comp ? c->state : NULL;
}

int vm_composite_apply(vm *self, const vm_composition *comp,
                       int (*op)(vm *self, void *state, void *arg), void *arg)
{
    struct vm_composite *c = as_composite(self);
    int rc;

    if (!c || c->comp != comp || !op)
        return VM_EINVAL;
    if (self->busy)
        return VM_EBUSY;
    if (c->failed && resync(c))
        return VM_ENOMEM;
    self->busy = 1;
    rc = op(self, c->state, arg);
    if (c->failed)
        resync(c);
    vm_net_flush(&c->net);
    self->busy = 0;
    return rc ? rc : c->failed;
}

size_t vm_composite_children(const vm *self)
{
    const struct vm_composite *c = as_composite(self);
    return c ? c->nchild : 0;
}

const vm *vm_composite_child(const vm *self, size_t child)
{
    const struct vm_composite *c = as_composite(self);
    return c && child < c->nchild ? c->child[child]->v : NULL;
}

/* ---- operations ---- */

static void leave_all(struct vm_composite *c, vm_id id)
{
    for (size_t i = 0; i < c->nchild; i++)
        if (vm_contains(c->child[i]->v, id))
            vm_leave(c->child[i]->v, id);
}

static int composite_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_composite *c = SELF(v);
    int rc;

    /* A resync's records stay in the net: they net with the join's. */
    if (c->failed && resync(c))
        return VM_ENOMEM;
    if ((rc = vm_set_reserve(&c->members))) {
        vm_net_flush(&c->net);
        return rc;
    }
    vm_set_add(&c->members, id);
    rc = c->comp->join(v, c->state, id, p);
    if (!rc && c->failed) {
        rc = c->failed;
        if (c->comp->leave) /* the composition forgets the member too */
            c->comp->leave(v, c->state, id);
    }
    if (rc) {
        leave_all(c, id);
        vm_set_del(&c->members, id, NULL);
    }
    if (c->failed)
        resync(c);
    vm_net_flush(&c->net);
    return rc;
}

static int composite_leave(vm *v, vm_id id)
{
    struct vm_composite *c = SELF(v);
    int rc = VM_OK;

    if (c->failed && resync(c))
        return VM_ENOMEM;
    if (c->comp->leave)
        rc = c->comp->leave(v, c->state, id);
    leave_all(c, id);
    vm_set_del(&c->members, id, NULL);
    if (c->failed)
        resync(c);
    vm_net_flush(&c->net);
    return c->failed ? c->failed : rc;
}

static bool composite_contains(const vm *v, vm_id id)
{
    return vm_set_has(&CSELF(v)->members, id);
}

static size_t composite_size(const vm *v)
{
    return CSELF(v)->members.n;
}

static int composite_members(const vm *v, vm_member_fn fn, void *ctx)
{
    return vm_set_each(&CSELF(v)->members, fn, ctx);
}

struct view_walk {
    const struct vm_composite *c;
    uint32_t child;
    vm_edge_fn fn;
    void *ctx;
};

/* Reports a child's edge once: from the lowest-numbered holder. */
static int view_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct view_walk *w = ctx;
    const struct vm_composite *c = w->c;
    uint32_t i, lowest = NONE;
    vm_edge u;

    if (!vm_map_get(&c->r.edge_of, vm_pair(a, e->subject), &i))
        return 0;
    for (uint32_t k = c->r.e[i].holders; k != NONE; k = c->r.h[k].next)
        if (c->r.h[k].child < lowest)
            lowest = c->r.h[k].child;
    if (lowest != w->child)
        return 0;
    u = (vm_edge){e->subject, c->r.e[i].attrs};
    return w->fn(w->ctx, a, &u);
}

static int composite_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    const struct vm_composite *c = CSELF(v);
    struct view_walk w = {c, 0, fn, ctx};

    for (size_t i = 0; i < c->nchild; i++) {
        int rc;
        if (!vm_contains(c->child[i]->v, a))
            continue;
        w.child = (uint32_t)i;
        if ((rc = vm_view_each(c->child[i]->v, a, view_edge, &w)))
            return rc;
    }
    return 0;
}

static size_t composite_memory(const vm *v)
{
    const struct vm_composite *c = CSELF(v);
    size_t m = vm_mem_block(sizeof *c) + vm_set_memory(&c->members) +
               vm_map_memory(&c->r.edge_of) + vm_net_memory(&c->net);

    if (c->comp->state_size)
        m += vm_mem_block(c->comp->state_size);
    if (c->capchild)
        m += vm_mem_block(c->capchild * sizeof *c->child);
    if (c->r.cape)
        m += vm_mem_block(c->r.cape * sizeof *c->r.e);
    if (c->r.caph)
        m += vm_mem_block(c->r.caph * sizeof *c->r.h);
    for (size_t i = 0; i < c->nchild; i++)
        m += vm_mem_block(sizeof **c->child) + vm_memory(c->child[i]->v);
    return m;
}

struct check_walk {
    const struct vm_composite *c;
    uint32_t child;
    size_t edges;
};

/* Each child edge must be recorded with the child's attributes. */
static int check_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct check_walk *w = ctx;
    const struct vm_composite *c = w->c;
    uint32_t i;

    w->edges++;
    if (!vm_set_has(&c->members, a) || !vm_set_has(&c->members, e->subject) ||
        !vm_map_get(&c->r.edge_of, vm_pair(a, e->subject), &i))
        return VM_ECORRUPT;
    for (uint32_t k = c->r.e[i].holders; k != NONE; k = c->r.h[k].next)
        if (c->r.h[k].child == w->child)
            return c->r.h[k].attrs == e->attrs &&
                           c->r.e[i].attrs == union_of(c, i)
                       ? 0
                       : VM_ECORRUPT;
    return VM_ECORRUPT;
}

static int composite_check(const vm *v)
{
    const struct vm_composite *c = CSELF(v);
    struct check_walk w = {c, 0, 0};

    if (c->failed || (c->comp->check && c->comp->check(v, c->state)))
        return VM_ECORRUPT;
    for (size_t i = 0; i < c->nchild; i++) {
        w.child = (uint32_t)i;
        if (vm_check(c->child[i]->v) ||
            vm_topology_each(c->child[i]->v, check_edge, &w))
            return VM_ECORRUPT;
    }
    return w.edges == c->r.holders ? VM_OK : VM_ECORRUPT;
}

static void composite_destroy(vm *v)
{
    struct vm_composite *c = SELF(v);
    vm_allocator a = v->alloc;

    if (c->comp->fini)
        c->comp->fini(v, c->state);
    for (size_t i = 0; i < c->nchild; i++) {
        vm_free(c->child[i]->v);
        vm_mem_free(&a, c->child[i]);
    }
    vm_mem_free(&a, c->child);
    vm_mem_free(&a, c->state);
    vm_mem_free(&a, c->r.e);
    vm_mem_free(&a, c->r.h);
    vm_set_fini(&c->members);
    vm_map_fini(&c->r.edge_of);
    vm_net_fini(&c->net);
    vm_mem_free(&a, c);
}

static const struct vm_ops composite_ops = {
    "composite",     composite_join,    composite_leave, composite_contains,
    composite_size,  composite_members, composite_view,  composite_memory,
    composite_check, composite_destroy,
};

int vm_composite_new(const vm_config *cfg, const vm_composition *comp, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_composite *c;
    int rc = VM_OK;

    if (!out || !comp || !comp->join)
        return VM_EINVAL;
    if (!(c = vm_mem_calloc(a, 1, sizeof *c)))
        return VM_ENOMEM;
    vm_base_init(&c->base, &composite_ops, cfg);
    c->base.name = comp->name ? comp->name : "composite";
    c->comp = comp;
    c->r.free_edge = c->r.free_holder = NONE;
    vm_set_init(&c->members, &c->base.alloc);
    vm_map_init(&c->r.edge_of, &c->base.alloc);
    vm_net_init(&c->net, &c->base);
    if (comp->state_size && !(c->state = vm_mem_calloc(a, 1, comp->state_size)))
        rc = VM_ENOMEM;
    if (!rc && comp->init)
        rc = comp->init(&c->base, c->state);
    if (rc) {
        vm_free(&c->base);
        return rc;
    }
    *out = &c->base;
    return VM_OK;
}
