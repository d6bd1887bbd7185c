/* vm_rbt.c -- the red-black tree view manager.
 *
 * Members are keys in a red-black tree; a member sees the owners of the
 * tree neighbours (parent, children) of its nodes.  A member with view
 * size s owns k = max(1, floor(s/3)) nodes with independent random keys
 * (the first key can be given) and so sees at most 3k <= s others; for
 * s < 3 the view is cut to s, preferring parent, then left, then right.
 *
 * The member record lives in its first tree node (the primary): the
 * node's two data words hold the member id and the link to its next node,
 * and its owner bits hold the view size and a dirty flag; other nodes
 * (k > 1) hold the primary's index.  So the member is its node index, a
 * member costs one 32-byte node (plus 8-byte id-map buckets) and views
 * are not stored at all: they are a function of the tree.  At 100,000
 * members the whole manager is about 6 MB and the cost of an operation is
 * a handful of cache lines: the id-map bucket, the last levels of the
 * descent, the nodes a rotation moves.
 *
 * Exact deltas without guessing what a rotation did: the tree reports
 * every node just before it writes the node's links (vm_rbtree's touch
 * callback).  The first time a member is reported in an operation its
 * view is computed, still unchanged, into a scratch list; after the
 * operation each such member's view is computed again and diffed against
 * that.  Each (observer, subject) pair is thus considered once per
 * operation and only real changes are emitted.  A join or leave touches
 * O(k) nodes plus O(1) rotations per node, so it costs O(s log |G|) time
 * and O(s) deltas. */
#include "vm_map.h"
#include "vm_rbtree.h"

#include <string.h>

#define NIL VM_RB_NIL
/* owner bits of a node */
#define PRIMARY (1u << 30) /* the member's first node (its record) */
#define DIRTY (1u << 29)   /* primary: on the scratch list */
#define VALUE (DIRTY - 1)  /* primary: s; other nodes: primary's index */
#define NODE_MAX VALUE
#define ID data[0]   /* primary: the member id */
#define NEXT data[1] /* next node of the same member, or NIL */
#define KMAX (VM_VIEW_SIZE_MAX / 3)
/* Distinct nodes whose links one insert or remove may write: an insert
 * writes z and its parent, then at most two rotations of four nodes
 * each; a remove writes at most seven nodes, then at most three
 * rotations.  So at most 10 or 19; 24 leaves a margin. */
#define TOUCH_MAX 24

/* A member seen changing in this operation: its view before it. */
struct rbt_dirty {
    uint32_t slot;  /* primary node */
    uint32_t at, n; /* old view: scratch edges [at, at + n) */
};

struct vm_rbt {
    vm base;
    vm_rbtree tree;
    vm_idmap ids; /* id -> primary node */
    size_t count;
    unsigned vmax;    /* largest view capacity ever joined */
    uint32_t leaving; /* primary of the member leaving, or NIL */
    struct rbt_dirty *d;
    size_t nd, capd;
    vm_edge *old;
    size_t nold, capold;
};

#define SELF(v) ((struct vm_rbt *)(v))
#define CSELF(v) ((const struct vm_rbt *)(v))

static unsigned nodes_for(unsigned s)
{
    return s / 3 ? s / 3 : 1;
}

static uint32_t owner_of(const vm_rbtree *t, uint32_t x)
{
    return t->n[x].owner & PRIMARY ? x : t->n[x].owner & VALUE;
}

static unsigned view_size(const vm_rbtree *t, uint32_t slot)
{
    return t->n[slot].owner & VALUE & 0xff;
}

static bool has_subject(const vm_edge *e, size_t n, vm_id id)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].subject == id)
            return true;
    return false;
}

/* The view of the member whose primary is `slot`, sorted; its length. */
static size_t compute_view(const struct vm_rbt *r, uint32_t slot, vm_edge *out)
{
    const vm_rbtree *t = &r->tree;
    uint32_t attr = vm_attr_or(&r->base, VM_ATTR_TREE);
    unsigned s = view_size(t, slot);
    size_t c = 0;

    for (uint32_t x = slot; x != NIL; x = t->n[x].NEXT) {
        uint32_t nb[3] = {t->n[x].parent, t->n[x].left, t->n[x].right};
        for (int j = 0; j < 3 && c < s; j++) {
            uint32_t o;
            if (nb[j] == NIL || (o = owner_of(t, nb[j])) == slot)
                continue;
            if (!has_subject(out, c, t->n[o].ID))
                out[c++] = (vm_edge){t->n[o].ID, attr};
        }
    }
    vm_edges_sort(out, c);
    return c;
}

/* Puts a member on the scratch list with its view as it is now; `fresh`
 * (a joining member) had none.  Capacity was reserved by reserve_all. */
static void mark(struct vm_rbt *r, uint32_t slot, bool fresh)
{
    struct rbt_dirty *e;

    if (r->tree.n[slot].owner & DIRTY)
        return;
    r->tree.n[slot].owner |= DIRTY;
    e = &r->d[r->nd++];
    e->slot = slot;
    e->at = (uint32_t)r->nold;
    e->n = fresh ? 0 : (uint32_t)compute_view(r, slot, r->old + r->nold);
    r->nold += e->n;
}

static void touched(void *ctx, uint32_t x)
{
    struct vm_rbt *r = ctx;

    mark(r, owner_of(&r->tree, x), false);
}

/* Emits every scratch member's change and empties the list. */
static void flush_dirty(struct vm_rbt *r)
{
    vm_edge now[3 * KMAX];

    for (size_t i = 0; i < r->nd; i++) {
        const struct rbt_dirty *e = &r->d[i];
        vm_rbnode *n = &r->tree.n[e->slot];
        size_t c = e->slot == r->leaving ? 0 : compute_view(r, e->slot, now);

        n->owner &= ~DIRTY;
        vm_emit_diff(&r->base, n->ID, r->old + e->at, e->n, now, c);
    }
    r->nd = r->nold = 0;
}

/* Makes an operation on a member with k nodes unable to fail: id map,
 * nodes, and scratch room for every member it may touch. */
static int reserve_all(struct vm_rbt *r, unsigned k, unsigned vcap)
{
    size_t nd = (size_t)TOUCH_MAX * k + 1;
    unsigned vmax = vcap > r->vmax ? vcap : r->vmax;
    const vm_allocator *a = &r->base.alloc;
    int rc;

    if (r->tree.used + k > NODE_MAX)
        return VM_ENOMEM;
    if ((rc = vm_idmap_reserve(&r->ids, 1)) ||
        (rc = vm_rbtree_reserve(&r->tree, k)) ||
        (rc = vm_mem_grow(a, (void **)&r->d, sizeof *r->d, &r->capd, nd)) ||
        (rc = vm_mem_grow(a, (void **)&r->old, sizeof *r->old, &r->capold,
                          nd * vmax)))
        return rc;
    r->vmax = vmax;
    return VM_OK;
}

/* Takes k nodes for a new member and chains them from the primary. */
static uint32_t take_nodes(struct vm_rbt *r, vm_id id, unsigned s, unsigned k,
                           const vm_params *p)
{
    vm_rbtree *t = &r->tree;
    uint32_t first = NIL, prev = NIL;

    for (unsigned i = 0; i < k; i++) {
        uint32_t x = vm_rbtree_take(t);
        vm_rbnode *n = &t->n[x];
        n->key = i == 0 && p->has_key ? p->key : vm_rng_next(&r->base.rng);
        n->owner = i == 0 ? PRIMARY | s : first;
        n->ID = i == 0 ? id : VM_ID_NONE;
        n->NEXT = NIL;
        if (i == 0)
            first = x;
        else
            t->n[prev].NEXT = x;
        prev = x;
    }
    return first;
}

static int rbt_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_rbt *r = SELF(v);
    unsigned s = p->view_size ? p->view_size : 3, k = nodes_for(s);
    uint32_t slot;
    int rc;

    if ((rc = reserve_all(r, k, s < 3 * k ? s : 3 * k)))
        return rc;
    slot = take_nodes(r, id, s, k, p);
    vm_idmap_put(&r->ids, id, slot);
    r->count++;
    mark(r, slot, true);
    for (uint32_t x = slot; x != NIL; x = r->tree.n[x].NEXT)
        vm_rbtree_link(&r->tree, x);
    flush_dirty(r);
    return VM_OK;
}

static int rbt_leave(vm *v, vm_id id)
{
    struct vm_rbt *r = SELF(v);
    uint32_t slot, nodes[KMAX];
    unsigned k = 0;

    vm_idmap_get(&r->ids, id, &slot);
    for (uint32_t x = slot; x != NIL; x = r->tree.n[x].NEXT)
        nodes[k++] = x;
    mark(r, slot, false);
    r->leaving = slot;
    /* The primary goes last: the others' owner bits point at it. */
    while (k > 0)
        vm_rbtree_remove(&r->tree, nodes[--k]);
    flush_dirty(r);
    r->leaving = NIL;
    vm_idmap_del(&r->ids, id);
    r->count--;
    return VM_OK;
}

static bool rbt_contains(const vm *v, vm_id id)
{
    uint32_t s;
    return vm_idmap_get(&CSELF(v)->ids, id, &s);
}

static size_t rbt_size(const vm *v)
{
    return CSELF(v)->count;
}

/* Members in the tree order of their primary nodes. */
static int rbt_members(const vm *v, vm_member_fn fn, void *ctx)
{
    const vm_rbtree *t = &CSELF(v)->tree;

    for (uint32_t x = vm_rbtree_first(t); x != NIL; x = vm_rbtree_next(t, x)) {
        int rc;
        if ((t->n[x].owner & PRIMARY) && (rc = fn(ctx, t->n[x].ID)))
            return rc;
    }
    return 0;
}

static int rbt_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    const struct vm_rbt *r = CSELF(v);
    vm_edge now[3 * KMAX];
    uint32_t s;
    size_t n;

    vm_idmap_get(&r->ids, a, &s);
    n = compute_view(r, s, now);
    for (size_t i = 0; i < n; i++) {
        int rc = fn(ctx, a, &now[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static size_t rbt_memory(const vm *v)
{
    const struct vm_rbt *r = CSELF(v);

    return vm_mem_block(sizeof *r) + vm_rbtree_memory(&r->tree) +
           vm_idmap_memory(&r->ids) +
           (r->capd ? vm_mem_block(r->capd * sizeof *r->d) : 0) +
           (r->capold ? vm_mem_block(r->capold * sizeof *r->old) : 0);
}

/* A member's record and node chain: found by its id, clean, k nodes all
 * owned by it.  Returns the number of nodes, or 0 when broken. */
static unsigned check_member(const struct vm_rbt *r, uint32_t slot)
{
    const vm_rbtree *t = &r->tree;
    unsigned s = view_size(t, slot), k = 0;
    uint32_t found;

    if (!vm_idmap_get(&r->ids, t->n[slot].ID, &found) || found != slot ||
        (t->n[slot].owner & DIRTY) || s == 0 ||
        t->n[slot].owner != (PRIMARY | s))
        return 0;
    for (uint32_t x = t->n[slot].NEXT; x != NIL; x = t->n[x].NEXT)
        if (++k > KMAX || t->n[x].owner != slot)
            return 0;
    return k + 1 == nodes_for(s) ? k + 1 : 0;
}

static int rbt_check(const vm *v)
{
    const struct vm_rbt *r = CSELF(v);
    const vm_rbtree *t = &r->tree;
    size_t members = 0, nodes = 0;

    if (vm_rbtree_check(t) || r->ids.count != r->count || r->nd)
        return VM_ECORRUPT;
    for (uint32_t x = vm_rbtree_first(t); x != NIL; x = vm_rbtree_next(t, x)) {
        unsigned k;
        if (!(t->n[x].owner & PRIMARY))
            continue;
        if (!(k = check_member(r, x)))
            return VM_ECORRUPT;
        members++;
        nodes += k;
    }
    return members == r->count && nodes == t->count ? VM_OK : VM_ECORRUPT;
}

static void rbt_destroy(vm *v)
{
    struct vm_rbt *r = SELF(v);
    vm_allocator a = v->alloc;

    vm_mem_free(&a, r->d);
    vm_mem_free(&a, r->old);
    vm_idmap_fini(&r->ids);
    vm_rbtree_fini(&r->tree);
    vm_mem_free(&a, r);
}

static const struct vm_ops rbt_ops = {
    "rbt",       rbt_join, rbt_leave,  rbt_contains, rbt_size,
    rbt_members, rbt_view, rbt_memory, rbt_check,    rbt_destroy,
};

int vm_rbt_key(const vm *v, vm_id id, uint64_t *key)
{
    uint32_t s;

    if (!v || v->ops != &rbt_ops || !key)
        return VM_EINVAL;
    if (!vm_idmap_get(&CSELF(v)->ids, id, &s))
        return VM_ENOENT;
    *key = CSELF(v)->tree.n[s].key;
    return VM_OK;
}

int vm_rbt_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_rbt *r;

    if (!out)
        return VM_EINVAL;
    if (!(r = vm_mem_calloc(a, 1, sizeof *r)))
        return VM_ENOMEM;
    vm_base_init(&r->base, &rbt_ops, cfg);
    r->leaving = NIL;
    vm_idmap_init(&r->ids, &r->base.alloc);
    if (vm_rbtree_init(&r->tree, &r->base.alloc, NULL, NULL, touched, r)) {
        vm_mem_free(a, r);
        return VM_ENOMEM;
    }
    *out = &r->base;
    return VM_OK;
}
