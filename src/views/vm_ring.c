/* vm_ring.c -- the ring view manager: a bidirectional ring in the order
 * of a comparator; each member sees its successor ("ring-next") and its
 * predecessor ("ring-prev"); in a ring of two, the one other member with
 * both attributes.  vm_config.attr, when set, is added to both (a
 * leaders' ring: "leader,ring-next"): it says which ring, they say which
 * way.
 *
 * The order lives in a red-black tree (vm_rbtree), so finding the place
 * of a joining member costs O(log |G|); the successor of the last member
 * is the first.  A join or leave changes the views of at most three
 * members (the member, its predecessor, its successor); those are put on
 * a dirty list and their views recomputed and diffed, which makes the
 * deltas exact: 4 per join or leave in a ring of four or more. */
#include "vm_map.h"
#include "vm_rbtree.h"

#include <string.h>

#define CLEAN UINT32_MAX
#define END (UINT32_MAX - 1)

struct ring_member {
    uint64_t key;
    vm_id id; /* VM_ID_NONE when free */
    uint32_t node;
    uint32_t dirty; /* dirty list link, free list link, or CLEAN */
    uint32_t nview;
    vm_edge view[2];
};

struct vm_ring {
    vm base;
    struct ring_member *m;
    size_t mcap, mused, count;
    uint32_t free_slot, dirty_head, leaving;
    vm_map ids;
    vm_rbtree tree;
};

#define SELF(v) ((struct vm_ring *)(v))
#define CSELF(v) ((const struct vm_ring *)(v))

static int node_cmp(void *ctx, const vm_rbtree *t, uint32_t a, uint32_t b)
{
    const struct vm_ring *r = ctx;
    const struct ring_member *ma = &r->m[t->n[a].owner];
    const struct ring_member *mb = &r->m[t->n[b].owner];
    int c = 0;

    if (r->base.order)
        c = r->base.order(r->base.order_ctx, ma->id, ma->key, mb->id, mb->key);
    else if (ma->key != mb->key)
        c = ma->key < mb->key ? -1 : 1;
    if (c)
        return c;
    return ma->id < mb->id ? -1 : ma->id > mb->id;
}

static void mark_dirty(struct vm_ring *r, uint32_t slot)
{
    if (r->m[slot].dirty == CLEAN) {
        r->m[slot].dirty = r->dirty_head;
        r->dirty_head = slot;
    }
}

static uint32_t succ(const struct vm_ring *r, uint32_t x)
{
    uint32_t y = vm_rbtree_next(&r->tree, x);
    return y != VM_RB_NIL ? y : vm_rbtree_first(&r->tree);
}

static uint32_t pred(const struct vm_ring *r, uint32_t x)
{
    uint32_t y = vm_rbtree_prev(&r->tree, x);
    return y != VM_RB_NIL ? y : vm_rbtree_last(&r->tree);
}

static size_t compute_view(const struct vm_ring *r, uint32_t s, vm_edge *out)
{
    uint32_t x = r->m[s].node, nx, pv, a = r->base.attr;

    if (r->tree.count < 2)
        return 0;
    nx = r->tree.n[succ(r, x)].owner;
    pv = r->tree.n[pred(r, x)].owner;
    if (nx == pv) {
        out[0] =
            (vm_edge){r->m[nx].id, a | VM_ATTR_RING_NEXT | VM_ATTR_RING_PREV};
        return 1;
    }
    out[0] = (vm_edge){r->m[nx].id, a | VM_ATTR_RING_NEXT};
    out[1] = (vm_edge){r->m[pv].id, a | VM_ATTR_RING_PREV};
    vm_edges_sort(out, 2);
    return 2;
}

static void flush_dirty(struct vm_ring *r)
{
    while (r->dirty_head != END) {
        uint32_t s = r->dirty_head;
        struct ring_member *m = &r->m[s];
        vm_edge now[2];
        size_t n;

        r->dirty_head = m->dirty;
        m->dirty = CLEAN;
        if (s == r->leaving)
            continue;
        n = compute_view(r, s, now);
        vm_emit_diff(&r->base, m->id, m->view, m->nview, now, n);
        memcpy(m->view, now, sizeof now);
        m->nview = (uint32_t)n;
    }
}

/* Marks the owners of x's ring neighbours dirty. */
static void mark_neighbours(struct vm_ring *r, uint32_t x)
{
    if (r->tree.count < 2)
        return;
    mark_dirty(r, r->tree.n[succ(r, x)].owner);
    mark_dirty(r, r->tree.n[pred(r, x)].owner);
}

static int reserve_all(struct vm_ring *r)
{
    int rc = VM_OK;

    if (r->free_slot == END && r->mused == r->mcap)
        rc = r->mused >= VM_RB_OWNER_MAX
                 ? VM_ENOMEM
                 : vm_mem_grow(&r->base.alloc, (void **)&r->m, sizeof *r->m,
                               &r->mcap, r->mused + 1);
    if (!rc)
        rc = vm_map_reserve(&r->ids, 1);
    if (!rc)
        rc = vm_rbtree_reserve(&r->tree, 1);
    return rc;
}

static int ring_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_ring *r = SELF(v);
    uint32_t s;
    int rc = reserve_all(r);

    if (rc)
        return rc;
    if ((s = r->free_slot) != END)
        r->free_slot = r->m[s].dirty;
    else
        s = (uint32_t)r->mused++;
    r->m[s] = (struct ring_member){p->has_key ? p->key : id, id, 0, CLEAN, 0,
                                   {{0, 0}, {0, 0}}};
    vm_map_put(&r->ids, id, s);
    r->count++;
    r->m[s].node = vm_rbtree_insert(&r->tree, r->m[s].key, s);
    mark_dirty(r, s);
    mark_neighbours(r, r->m[s].node);
    flush_dirty(r);
    return VM_OK;
}

static int ring_leave(vm *v, vm_id id)
{
    struct vm_ring *r = SELF(v);
    uint32_t s;
    struct ring_member *m;

    vm_map_get(&r->ids, id, &s);
    m = &r->m[s];
    mark_neighbours(r, m->node);
    vm_rbtree_remove(&r->tree, m->node);
    for (unsigned i = 0; i < m->nview; i++)
        vm_emit(v, id, m->view[i].subject, VM_UNSEE, 0);
    r->leaving = s;
    flush_dirty(r);
    r->leaving = END;
    vm_map_del(&r->ids, id);
    m->id = VM_ID_NONE;
    m->dirty = r->free_slot;
    r->free_slot = s;
    r->count--;
    return VM_OK;
}

static bool ring_contains(const vm *v, vm_id id)
{
    uint32_t s;
    return vm_map_get(&CSELF(v)->ids, id, &s);
}

static size_t ring_size(const vm *v)
{
    return CSELF(v)->count;
}

/* Members in ring order, starting from the first in the order. */
static int ring_members(const vm *v, vm_member_fn fn, void *ctx)
{
    const struct vm_ring *r = CSELF(v);

    for (uint32_t x = vm_rbtree_first(&r->tree); x != VM_RB_NIL;
         x = vm_rbtree_next(&r->tree, x)) {
        int rc = fn(ctx, r->m[r->tree.n[x].owner].id);
        if (rc)
            return rc;
    }
    return 0;
}

static int ring_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    const struct vm_ring *r = CSELF(v);
    uint32_t s;

    vm_map_get(&r->ids, a, &s);
    for (unsigned i = 0; i < r->m[s].nview; i++) {
        int rc = fn(ctx, a, &r->m[s].view[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static size_t ring_memory(const vm *v)
{
    const struct vm_ring *r = CSELF(v);

    return vm_mem_block(sizeof *r) +
           (r->mcap ? vm_mem_block(r->mcap * sizeof *r->m) : 0) +
           vm_map_memory(&r->ids) + vm_rbtree_memory(&r->tree);
}

static int ring_check(const vm *v)
{
    const struct vm_ring *r = CSELF(v);
    size_t members = 0;

    if (vm_rbtree_check(&r->tree) || r->ids.count != r->count ||
        r->tree.count != r->count)
        return VM_ECORRUPT;
    for (uint32_t s = 0; s < r->mused; s++) {
        const struct ring_member *m = &r->m[s];
        vm_edge now[2];
        size_t n;
        if (m->id == VM_ID_NONE)
            continue;
        n = compute_view(r, s, now);
        if (r->tree.n[m->node].owner != s || m->dirty != CLEAN ||
            n != m->nview || memcmp(now, m->view, n * sizeof *now))
            return VM_ECORRUPT;
        members++;
    }
    return members == r->count ? VM_OK : VM_ECORRUPT;
}

static void ring_destroy(vm *v)
{
    struct vm_ring *r = SELF(v);
    vm_allocator a = v->alloc;

    vm_mem_free(&a, r->m);
    vm_map_fini(&r->ids);
    vm_rbtree_fini(&r->tree);
    vm_mem_free(&a, r);
}

static const struct vm_ops ring_ops = {
    "ring",       ring_join, ring_leave,  ring_contains, ring_size,
    ring_members, ring_view, ring_memory, ring_check,    ring_destroy,
};

int vm_ring_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_ring *r;

    if (!out)
        return VM_EINVAL;
    if (!(r = vm_mem_calloc(a, 1, sizeof *r)))
        return VM_ENOMEM;
    vm_base_init(&r->base, &ring_ops, cfg);
    r->free_slot = r->dirty_head = r->leaving = END;
    vm_map_init(&r->ids, &r->base.alloc);
    if (vm_rbtree_init(&r->tree, &r->base.alloc, node_cmp, r, NULL, NULL)) {
        vm_mem_free(a, r);
        return VM_ENOMEM;
    }
    *out = &r->base;
    return VM_OK;
}
