/* vm_rbt.c -- the red-black tree view manager.
 *
 * Members are keys in a red-black tree; a member sees the owners of the
 * tree neighbours (parent, children) of its nodes.  A member with view
 * size s owns k = max(1, floor(s/3)) nodes with independent random keys
 * (the first key can be given) and so sees at most 3k <= s others; for
 * s < 3 the view is cut to s, preferring parent, then left, then right.
 *
 * Exact deltas without guessing what a rotation did: the tree reports
 * every node whose links it writes (vm_rbtree's touch callback), the
 * owners of those nodes go on an intrusive dirty list, and after the
 * operation each dirty member's view is recomputed from its nodes and
 * diffed against the stored one.  Each (observer, subject) pair is thus
 * considered once per operation, and only real changes are emitted.  A
 * join or leave touches O(k) nodes plus O(1) rotations per node, so it
 * costs O(s log |G|) time and O(s) deltas.
 *
 * Memory: a 40-byte member record (views of up to 3 entries inline), one
 * 24-byte node per key, and the id map. */
#include "vm_map.h"
#include "vm_rbtree.h"

#include <string.h>

#define CLEAN UINT32_MAX       /* not on the dirty list */
#define END (UINT32_MAX - 1)   /* end of the dirty or free list */
#define INLINE_VIEW 3
#define MAX_CAND (3 * (VM_VIEW_SIZE_MAX / 3))

struct rbt_member {
    vm_id id;         /* VM_ID_NONE when the slot is free */
    uint8_t s;        /* view size */
    uint8_t k;        /* nodes owned */
    uint8_t nview;    /* entries in the view */
    uint8_t vcap;     /* view capacity: min(s, 3k) */
    uint32_t dirty;   /* dirty list link, or free list link, or CLEAN */
    union {
        uint32_t one;    /* k == 1 */
        uint32_t *many;  /* k > 1 */
    } nodes;
    union {
        vm_edge inl[INLINE_VIEW];
        vm_edge *ptr;
    } view;
};

struct vm_rbt {
    vm base;
    struct rbt_member *m;
    size_t mcap, mused, count;
    uint32_t free_slot;  /* free slot list */
    uint32_t dirty_head;
    uint32_t leaving;    /* slot being removed, skipped when recomputing */
    size_t heap;         /* bytes of per-member blocks (many, ptr) */
    vm_map ids;          /* id -> slot */
    vm_rbtree tree;
};

#define SELF(v) ((struct vm_rbt *)(v))
#define CSELF(v) ((const struct vm_rbt *)(v))

static vm_edge *view_of(struct rbt_member *m)
{
    return m->vcap > INLINE_VIEW ? m->view.ptr : m->view.inl;
}

static const uint32_t *nodes_of(const struct rbt_member *m)
{
    return m->k > 1 ? m->nodes.many : &m->nodes.one;
}

static void mark_dirty(void *ctx, uint32_t slot)
{
    struct vm_rbt *r = ctx;

    if (r->m[slot].dirty == CLEAN) {
        r->m[slot].dirty = r->dirty_head;
        r->dirty_head = slot;
    }
}

static bool has_subject(const vm_edge *e, size_t n, vm_id id)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].subject == id)
            return true;
    return false;
}

/* The view slot `s` should have now, sorted; returns its length. */
static size_t compute_view(const struct vm_rbt *r, uint32_t s, vm_edge *out)
{
    const struct rbt_member *m = &r->m[s];
    const uint32_t *nodes = nodes_of(m);
    uint32_t attr = vm_attr_or(&r->base, VM_ATTR_TREE);
    size_t c = 0;

    for (unsigned i = 0; i < m->k; i++) {
        const vm_rbnode *x = &r->tree.n[nodes[i]];
        uint32_t nb[3] = {x->parent, x->left, x->right};
        for (int j = 0; j < 3 && c < m->s; j++) {
            vm_id id;
            if (nb[j] == VM_RB_NIL || r->tree.n[nb[j]].owner == s)
                continue;
            id = r->m[r->tree.n[nb[j]].owner].id;
            if (!has_subject(out, c, id))
                out[c++] = (vm_edge){id, attr};
        }
    }
    vm_edges_sort(out, c);
    return c;
}

static void recompute(struct vm_rbt *r, uint32_t s)
{
    vm_edge now[MAX_CAND];
    struct rbt_member *m = &r->m[s];
    size_t n = compute_view(r, s, now);

    vm_emit_diff(&r->base, m->id, view_of(m), m->nview, now, n);
    memcpy(view_of(m), now, n * sizeof *now);
    m->nview = (uint8_t)n;
}

static void flush_dirty(struct vm_rbt *r)
{
    while (r->dirty_head != END) {
        uint32_t s = r->dirty_head;
        r->dirty_head = r->m[s].dirty;
        r->m[s].dirty = CLEAN;
        if (s != r->leaving)
            recompute(r, s);
    }
}

/* A free slot for a new member, growing the array if needed. */
static int slot_reserve(struct vm_rbt *r)
{
    if (r->free_slot != END || r->mused < r->mcap)
        return VM_OK;
    if (r->mused >= VM_RB_OWNER_MAX)
        return VM_ENOMEM;
    return vm_mem_grow(&r->base.alloc, (void **)&r->m, sizeof *r->m,
                       &r->mcap, r->mused + 1);
}

static uint32_t slot_take(struct vm_rbt *r)
{
    uint32_t s = r->free_slot;

    if (s == END)
        return (uint32_t)r->mused++;
    r->free_slot = r->m[s].dirty;
    return s;
}

static void member_blocks_free(struct vm_rbt *r, struct rbt_member *m)
{
    if (m->k > 1) {
        vm_mem_free(&r->base.alloc, m->nodes.many);
        r->heap -= vm_mem_block(m->k * sizeof(uint32_t));
    }
    if (m->vcap > INLINE_VIEW) {
        vm_mem_free(&r->base.alloc, m->view.ptr);
        r->heap -= vm_mem_block(m->vcap * sizeof(vm_edge));
    }
}

/* Allocates a new member's blocks into *m (zeroed by the caller). */
static int member_blocks_alloc(struct vm_rbt *r, struct rbt_member *m)
{
    const vm_allocator *a = &r->base.alloc;

    if (m->k > 1 && !(m->nodes.many = vm_mem_calloc(a, m->k, 4)))
        return VM_ENOMEM;
    if (m->k > 1)
        r->heap += vm_mem_block(m->k * sizeof(uint32_t));
    if (m->vcap > INLINE_VIEW &&
        !(m->view.ptr = vm_mem_calloc(a, m->vcap, sizeof(vm_edge)))) {
        uint8_t vcap = m->vcap;
        m->vcap = 0;
        member_blocks_free(r, m);
        m->vcap = vcap;
        return VM_ENOMEM;
    }
    if (m->vcap > INLINE_VIEW)
        r->heap += vm_mem_block(m->vcap * sizeof(vm_edge));
    return VM_OK;
}

static int reserve_all(struct vm_rbt *r, unsigned k)
{
    int rc = slot_reserve(r);

    if (!rc)
        rc = vm_map_reserve(&r->ids, 1);
    if (!rc)
        rc = vm_rbtree_reserve(&r->tree, k);
    return rc;
}

static int rbt_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_rbt *r = SELF(v);
    struct rbt_member nm = {id, 0, 0, 0, 0, CLEAN, {0}, {{{0, 0}}}};
    unsigned s = p->view_size ? p->view_size : 3;
    uint32_t slot, *nodes;
    int rc;

    nm.s = (uint8_t)s;
    nm.k = (uint8_t)(s / 3 ? s / 3 : 1);
    nm.vcap = (uint8_t)(s < 3u * nm.k ? s : 3u * nm.k);
    if ((rc = reserve_all(r, nm.k)) || (rc = member_blocks_alloc(r, &nm)))
        return rc;
    slot = slot_take(r);
    r->m[slot] = nm;
    vm_map_put(&r->ids, id, slot);
    r->count++;
    nodes = nm.k > 1 ? nm.nodes.many : &r->m[slot].nodes.one;
    for (unsigned i = 0; i < nm.k; i++) {
        uint64_t key = i == 0 && p->has_key ? p->key : vm_rng_next(&v->rng);
        nodes[i] = vm_rbtree_insert(&r->tree, key, slot);
    }
    flush_dirty(r);
    return VM_OK;
}

static int rbt_leave(vm *v, vm_id id)
{
    struct vm_rbt *r = SELF(v);
    uint32_t slot;
    struct rbt_member *m;

    vm_map_get(&r->ids, id, &slot);
    m = &r->m[slot];
    r->leaving = slot;
    for (unsigned i = 0; i < m->k; i++)
        vm_rbtree_remove(&r->tree, nodes_of(m)[i]);
    for (unsigned i = 0; i < m->nview; i++)
        vm_emit(v, id, view_of(m)[i].subject, VM_UNSEE, 0);
    flush_dirty(r);
    r->leaving = END;
    member_blocks_free(r, m);
    vm_map_del(&r->ids, id);
    m->id = VM_ID_NONE;
    m->dirty = r->free_slot;
    r->free_slot = slot;
    r->count--;
    return VM_OK;
}

static bool rbt_contains(const vm *v, vm_id id)
{
    uint32_t s;
    return vm_map_get(&CSELF(v)->ids, id, &s);
}

static size_t rbt_size(const vm *v)
{
    return CSELF(v)->count;
}

static int rbt_members(const vm *v, vm_member_fn fn, void *ctx)
{
    const struct vm_rbt *r = CSELF(v);

    for (size_t s = 0; s < r->mused; s++) {
        int rc;
        if (r->m[s].id != VM_ID_NONE && (rc = fn(ctx, r->m[s].id)))
            return rc;
    }
    return 0;
}

static int rbt_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    struct vm_rbt *r = SELF((vm *)v);
    uint32_t s;
    struct rbt_member *m;

    vm_map_get(&r->ids, a, &s);
    m = &r->m[s];
    for (unsigned i = 0; i < m->nview; i++) {
        int rc = fn(ctx, a, &view_of(m)[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static size_t rbt_memory(const vm *v)
{
    const struct vm_rbt *r = CSELF(v);

    return vm_mem_block(sizeof *r) +
           (r->mcap ? vm_mem_block(r->mcap * sizeof *r->m) : 0) + r->heap +
           vm_map_memory(&r->ids) + vm_rbtree_memory(&r->tree);
}

/* A member's nodes must be its own and its stored view must be the one
 * the tree implies. */
static int check_member(const struct vm_rbt *r, uint32_t s)
{
    struct rbt_member *m = &r->m[s];
    vm_edge now[MAX_CAND];
    size_t n = compute_view(r, s, now);
    uint32_t slot;

    if (!vm_map_get(&r->ids, m->id, &slot) || slot != s ||
        m->dirty != CLEAN || m->nview > m->s || n != m->nview ||
        memcmp(now, view_of(m), n * sizeof *now))
        return VM_ECORRUPT;
    for (unsigned i = 0; i < m->k; i++)
        if (r->tree.n[nodes_of(m)[i]].owner != s)
            return VM_ECORRUPT;
    return VM_OK;
}

static int rbt_check(const vm *v)
{
    const struct vm_rbt *r = CSELF(v);
    size_t members = 0, nodes = 0;

    if (vm_rbtree_check(&r->tree) || r->ids.count != r->count)
        return VM_ECORRUPT;
    for (uint32_t s = 0; s < r->mused; s++) {
        if (r->m[s].id == VM_ID_NONE)
            continue;
        if (check_member(r, s))
            return VM_ECORRUPT;
        members++;
        nodes += r->m[s].k;
    }
    return members == r->count && nodes == r->tree.count ? VM_OK
                                                         : VM_ECORRUPT;
}

static void rbt_destroy(vm *v)
{
    struct vm_rbt *r = SELF(v);
    vm_allocator a = v->alloc;

    for (size_t s = 0; s < r->mused; s++)
        if (r->m[s].id != VM_ID_NONE)
            member_blocks_free(r, &r->m[s]);
    vm_mem_free(&a, r->m);
    vm_map_fini(&r->ids);
    vm_rbtree_fini(&r->tree);
    vm_mem_free(&a, r);
}

static const struct vm_ops rbt_ops = {
    "rbt",       rbt_join,  rbt_leave,  rbt_contains, rbt_size,
    rbt_members, rbt_view,  rbt_memory, rbt_check,    rbt_destroy,
};

int vm_rbt_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_rbt *r;

    if (!out)
        return VM_EINVAL;
    if (!(r = vm_mem_calloc(a, 1, sizeof *r)))
        return VM_ENOMEM;
    vm_base_init(&r->base, &rbt_ops, cfg);
    r->free_slot = r->dirty_head = r->leaving = END;
    vm_map_init(&r->ids, &r->base.alloc);
    if (vm_rbtree_init(&r->tree, &r->base.alloc, NULL, NULL, mark_dirty,
                       r)) {
        vm_mem_free(a, r);
        return VM_ENOMEM;
    }
    *out = &r->base;
    return VM_OK;
}
