/* vm_tapbcast.c -- the topology-aware bimodal multicast composition
 * (ta-pbcast, section 8 of the Orbweb paper): members are grouped in
 * network segments; each segment has a red-black tree ("tree") and a
 * random manager ("gossip") of its own, and one representative per
 * segment sits in a shared ring ("ring-next", "ring-prev", ordered by
 * segment id).  The server sends a groupcast to the ring only; each
 * representative spreads it down its segment's tree.
 *
 * The segment of a joining member is vm_params.segment (0 is a segment
 * like any other).  The caller moves members between segments
 * (vm_tapbcast_move) or merges two segments (vm_tapbcast_merge) when it
 * learns more about the network; each is one netted operation, so its
 * deltas are exact.  The representative of a segment is its
 * longest-continuously-present member: the one that joined the
 * composite first (moves keep a member's age); when it leaves or moves
 * away, the next oldest takes over.
 *
 * Each segment keeps its members in a list ordered by age (joins append,
 * moves insert walking back from the tail, merges walk back from a
 * cursor, so a merge costs O(|a| + |b|) list steps).  A segment of one
 * member needs no tree and no gossip; it takes a (tree, gossip) pair of
 * children when it reaches two members and gives it back to a pool when
 * it empties, so the composite holds 1 + 2 * (segments ever of two or
 * more at once) children, whatever the churn.
 *
 * Out of memory: this file's own records are reserved before anything
 * changes, so joins fail cleanly.  If a child fails in the middle of an
 * operation, the records (the truth) and the children differ: the
 * operation returns VM_ENOMEM, vm_check says VM_ECORRUPT, and the next
 * operation first reconciles the children with the records (its deltas
 * take the views there). */
#include "vm_composite.h"
#include "vm_map.h"

#include <string.h>

#define NONE UINT32_MAX
#define POOLED (NONE - 1) /* evict_strays: the child serves nobody */

enum { RING = 0 };

struct tap_member {
    vm_id id;            /* VM_ID_NONE when the slot is free */
    uint32_t seg;        /* segment slot; free list link when free */
    uint32_t prev, next; /* the segment's list, oldest first */
    uint32_t ring_seg;   /* segment id it holds in the ring, or NONE */
    uint64_t since;      /* join order: smaller is older */
    vm_params p;         /* its join parameters, for the segment children */
};

struct tap_seg {
    uint32_t id;           /* segment id; NONE when the slot is free */
    uint32_t n;            /* members */
    uint32_t head, tail;   /* member slots; head: free list link */
    uint32_t tree, gossip; /* child indices, NONE while it has none */
};

struct tap_pair {
    uint32_t tree, gossip;
};

struct tap_state {
    vm_idmap slot_of; /* member id -> member slot */
    struct tap_member *m;
    size_t nm, capm;
    uint32_t free_m;
    vm_idmap seg_of; /* segment id -> segment slot */
    struct tap_seg *s;
    size_t ns, caps;
    uint32_t free_s;
    struct tap_pair *pool;         /* empty children ready for a new segment */
    size_t npool, cappool, npairs; /* npairs: pooled or held */
    uint64_t clock;
    int dirty; /* a child failed: reconcile before the next operation */
};

static const vm_composition tapbcast;

/* ---- records ---- */

static struct tap_state *state_of(const vm *v)
{
    return vm_composite_state(v, &tapbcast);
}

static uint32_t slot_of(const struct tap_state *st, vm_id id)
{
    uint32_t i;
    return vm_idmap_get(&st->slot_of, id, &i) ? i : NONE;
}

static uint32_t seg_slot(const struct tap_state *st, uint32_t segment)
{
    uint32_t i;
    return vm_idmap_get(&st->seg_of, segment, &i) ? i : NONE;
}

/* Makes sure one member slot and one segment slot can be taken without
 * allocating.  VM_OK or VM_ENOMEM. */
static int reserve(vm *self, struct tap_state *st)
{
    if (vm_idmap_reserve(&st->slot_of, 1) || vm_idmap_reserve(&st->seg_of, 1))
        return VM_ENOMEM;
    if (st->free_m == NONE && vm_mem_grow(&self->alloc, (void **)&st->m,
                                          sizeof *st->m, &st->capm, st->nm + 1))
        return VM_ENOMEM;
    if (st->free_s == NONE && vm_mem_grow(&self->alloc, (void **)&st->s,
                                          sizeof *st->s, &st->caps, st->ns + 1))
        return VM_ENOMEM;
    return VM_OK;
}

static uint32_t member_new(struct tap_state *st, vm_id id, const vm_params *p)
{
    uint32_t i = st->free_m;

    if (i == NONE)
        i = (uint32_t)st->nm++;
    else
        st->free_m = st->m[i].seg;
    st->m[i] = (struct tap_member){id, NONE, NONE, NONE, NONE, st->clock++, *p};
    vm_idmap_put(&st->slot_of, id, i);
    return i;
}

static void member_del(struct tap_state *st, uint32_t i)
{
    vm_idmap_del(&st->slot_of, st->m[i].id);
    st->m[i].id = VM_ID_NONE;
    st->m[i].seg = st->free_m;
    st->free_m = i;
}

/* The slot of segment `segment`, created empty if new (reserved). */
static uint32_t seg_get(struct tap_state *st, uint32_t segment)
{
    uint32_t i = seg_slot(st, segment);

    if (i != NONE)
        return i;
    i = st->free_s;
    if (i == NONE)
        i = (uint32_t)st->ns++;
    else
        st->free_s = st->s[i].head;
    st->s[i] = (struct tap_seg){segment, 0, NONE, NONE, NONE, NONE};
    vm_idmap_put(&st->seg_of, segment, i);
    return i;
}

static void seg_del(struct tap_state *st, uint32_t i)
{
    vm_idmap_del(&st->seg_of, st->s[i].id);
    st->s[i].id = NONE;
    st->s[i].head = st->free_s;
    st->free_s = i;
}

/* Links member x into segment g in age order, walking back from `from`
 * (a member of g no older than x, or NONE for the tail). */
static void list_insert(struct tap_state *st, uint32_t g, uint32_t x,
                        uint32_t from)
{
    struct tap_seg *s = &st->s[g];
    uint32_t at = from != NONE ? from : s->tail;

    while (at != NONE && st->m[at].since > st->m[x].since)
        at = st->m[at].prev;
    st->m[x].prev = at;
    st->m[x].next = at != NONE ? st->m[at].next : s->head;
    if (at != NONE)
        st->m[at].next = x;
    else
        s->head = x;
    if (st->m[x].next != NONE)
        st->m[st->m[x].next].prev = x;
    else
        s->tail = x;
    st->m[x].seg = g;
    s->n++;
}

static void list_remove(struct tap_state *st, uint32_t x)
{
    struct tap_seg *s = &st->s[st->m[x].seg];
    uint32_t p = st->m[x].prev, n = st->m[x].next;

    if (p != NONE)
        st->m[p].next = n;
    else
        s->head = n;
    if (n != NONE)
        st->m[n].prev = p;
    else
        s->tail = p;
    st->m[x].seg = st->m[x].prev = st->m[x].next = NONE;
    s->n--;
}

/* ---- children ---- */

static void note(struct tap_state *st, int rc)
{
    if (rc && rc != VM_EEXIST && rc != VM_ENOENT)
        st->dirty = 1;
}

/* Gives segment g a (tree, gossip) pair, from the pool or new. */
static int pair_take(vm *self, struct tap_state *st, uint32_t g)
{
    static const vm_config tree = {.attr = VM_ATTR_TREE};
    static const vm_config gossip = {.attr = VM_ATTR_GOSSIP};
    size_t t, k;
    int rc;

    if (st->npool) {
        st->npool--;
        st->s[g].tree = st->pool[st->npool].tree;
        st->s[g].gossip = st->pool[st->npool].gossip;
        return VM_OK;
    }
    /* The pool can hold every pair, so giving one back never fails. */
    if (vm_mem_grow(&self->alloc, (void **)&st->pool, sizeof *st->pool,
                    &st->cappool, st->npairs + 1))
        return VM_ENOMEM;
    if ((rc = vm_composite_add(self, "rbt", &tree, &t)) ||
        (rc = vm_composite_add(self, "random", &gossip, &k)))
        return rc; /* an unpaired child stays empty forever: harmless */
    st->npairs++;
    st->s[g].tree = (uint32_t)t;
    st->s[g].gossip = (uint32_t)k;
    return VM_OK;
}

static void pair_give(struct tap_state *st, uint32_t g)
{
    st->pool[st->npool++] = (struct tap_pair){st->s[g].tree, st->s[g].gossip};
    st->s[g].tree = st->s[g].gossip = NONE;
}

/* Puts member x into its segment's tree and gossip. */
static int pair_join(vm *self, struct tap_state *st, uint32_t x)
{
    const struct tap_seg *s = &st->s[st->m[x].seg];
    int rc = vm_composite_join(self, s->tree, st->m[x].id, &st->m[x].p);

    if (rc)
        return rc;
    if ((rc = vm_composite_join(self, s->gossip, st->m[x].id, &st->m[x].p)))
        note(st, vm_composite_leave(self, s->tree, st->m[x].id));
    return rc;
}

static void pair_leave(vm *self, struct tap_state *st, uint32_t x)
{
    const struct tap_seg *s = &st->s[st->m[x].seg];

    if (s->tree == NONE)
        return;
    note(st, vm_composite_leave(self, s->tree, st->m[x].id));
    note(st, vm_composite_leave(self, s->gossip, st->m[x].id));
}

static void ring_out(vm *self, struct tap_state *st, uint32_t x)
{
    if (x == NONE || st->m[x].ring_seg == NONE)
        return;
    note(st, vm_composite_leave(self, RING, st->m[x].id));
    st->m[x].ring_seg = NONE;
}

static int ring_in(vm *self, struct tap_state *st, uint32_t x)
{
    uint32_t segment = st->s[st->m[x].seg].id;
    vm_params p = {.key = segment, .has_key = true};
    int rc;

    if (st->m[x].ring_seg == segment)
        return VM_OK;
    ring_out(self, st, x);
    if ((rc = vm_composite_join(self, RING, st->m[x].id, &p)) == VM_OK)
        st->m[x].ring_seg = segment;
    return rc;
}

/* ---- moving members ---- */

/* Takes member x out of its segment: children, ring, list; hands the ring
 * to the next oldest; frees an emptied segment. */
static void detach(vm *self, struct tap_state *st, uint32_t x)
{
    uint32_t g = st->m[x].seg;

    pair_leave(self, st, x);
    ring_out(self, st, x);
    list_remove(st, x);
    if (st->s[g].n == 0) {
        if (st->s[g].tree != NONE)
            pair_give(st, g);
        seg_del(st, g);
    } else {
        note(st, ring_in(self, st, st->s[g].head));
    }
}

/* Links member x (detached) into segment slot g, walking back from
 * `from` (see list_insert), and places it in the children: a segment
 * reaching two members takes its pair; the oldest member holds the
 * ring.  On failure x stays linked and the caller decides. */
static int attach(vm *self, struct tap_state *st, uint32_t x, uint32_t g,
                  uint32_t from)
{
    uint32_t old_head = st->s[g].head;
    int rc;

    list_insert(st, g, x, from);
    if (st->s[g].n == 2 && st->s[g].tree == NONE) {
        uint32_t other = st->m[x].prev != NONE ? st->m[x].prev : st->m[x].next;
        if ((rc = pair_take(self, st, g)) || (rc = pair_join(self, st, other)))
            return rc;
    }
    if (st->s[g].tree != NONE && (rc = pair_join(self, st, x)))
        return rc;
    if (st->s[g].head != x)
        return VM_OK;
    ring_out(self, st, old_head);
    return ring_in(self, st, x);
}

/* ---- reconciling the children with the records ---- */

struct stray {
    const struct tap_state *st;
    uint32_t g; /* the segment the child serves; NONE for the ring */
    vm_id found;
};

/* Stops at the first member the child should not hold. */
static int find_stray(void *ctx, vm_id id)
{
    struct stray *w = ctx;
    uint32_t x = slot_of(w->st, id);

    if (x == NONE)
        return (w->found = id), 1;
    if (w->g == NONE
            ? w->st->m[x].seg == NONE || w->st->s[w->st->m[x].seg].head != x ||
                  w->st->m[x].ring_seg != w->st->s[w->st->m[x].seg].id
            : w->st->m[x].seg != w->g)
        return (w->found = id), 1;
    return 0;
}

static int evict_strays(vm *self, struct tap_state *st, uint32_t child,
                        uint32_t g)
{
    struct stray w = {st, g, VM_ID_NONE};
    int rc;

    while (vm_members_each(vm_composite_child(self, child), find_stray, &w)) {
        uint32_t x = slot_of(st, w.found);
        if ((rc = vm_composite_leave(self, child, w.found)))
            return rc;
        if (x != NONE && g == NONE)
            st->m[x].ring_seg = NONE;
    }
    return VM_OK;
}

static int reconcile_seg(vm *self, struct tap_state *st, uint32_t g)
{
    const struct tap_seg *s = &st->s[g];
    int rc;

    if (s->n >= 2 && s->tree == NONE && (rc = pair_take(self, st, g)))
        return rc;
    if (s->tree == NONE)
        return VM_OK;
    if ((rc = evict_strays(self, st, s->tree, g)) ||
        (rc = evict_strays(self, st, s->gossip, g)))
        return rc;
    for (uint32_t x = s->head; x != NONE; x = st->m[x].next) {
        const vm *t = vm_composite_child(self, s->tree);
        const vm *k = vm_composite_child(self, s->gossip);
        if ((!vm_contains(t, st->m[x].id) &&
             (rc = vm_composite_join(self, s->tree, st->m[x].id,
                                     &st->m[x].p))) ||
            (!vm_contains(k, st->m[x].id) &&
             (rc = vm_composite_join(self, s->gossip, st->m[x].id,
                                     &st->m[x].p))))
            return rc;
    }
    return VM_OK;
}

/* Makes the children hold what the records say.  VM_OK or VM_ENOMEM
 * (still dirty; nothing else is wrong). */
static int reconcile(vm *self, struct tap_state *st)
{
    int rc = evict_strays(self, st, RING, NONE);

    for (size_t i = 0; !rc && i < st->npool; i++)
        if ((rc = evict_strays(self, st, st->pool[i].tree, POOLED)) == VM_OK)
            rc = evict_strays(self, st, st->pool[i].gossip, POOLED);
    for (uint32_t g = 0; !rc && g < st->ns; g++) {
        uint32_t h = st->s[g].head;
        if (st->s[g].id == NONE)
            continue;
        if (!vm_contains(vm_composite_child(self, RING), st->m[h].id))
            st->m[h].ring_seg = NONE; /* its ring join was refused */
        if ((rc = reconcile_seg(self, st, g)) == VM_OK)
            rc = ring_in(self, st, h);
    }
    st->dirty = rc != VM_OK;
    return rc;
}

static int clean(vm *self, struct tap_state *st)
{
    return st->dirty ? reconcile(self, st) : VM_OK;
}

/* Ends an operation whose records are final: a child that failed on the
 * way gets a second chance now.  VM_OK, or VM_ENOMEM when the views lag
 * the records until a later operation reconciles them. */
static int settle(vm *self, struct tap_state *st)
{
    return clean(self, st) ? VM_ENOMEM : VM_OK;
}

/* ---- the composition's hooks ---- */

static int tap_init(vm *self, void *state)
{
    struct tap_state *st = state;

    st->free_m = st->free_s = NONE;
    vm_idmap_init(&st->slot_of, &self->alloc);
    vm_idmap_init(&st->seg_of, &self->alloc);
    return vm_composite_add(self, "ring", NULL, NULL);
}

static void tap_fini(vm *self, void *state)
{
    struct tap_state *st = state;

    if (!st) /* the composite could not allocate it */
        return;
    vm_idmap_fini(&st->slot_of);
    vm_idmap_fini(&st->seg_of);
    vm_mem_free(&self->alloc, st->m);
    vm_mem_free(&self->alloc, st->s);
    vm_mem_free(&self->alloc, st->pool);
}

static int tap_join(vm *self, void *state, vm_id id, const vm_params *p)
{
    struct tap_state *st = state;
    uint32_t x, g;
    int rc;

    if (p->segment == NONE)
        return VM_EINVAL;
    if ((rc = clean(self, st)) || (rc = reserve(self, st)))
        return rc;
    x = member_new(st, id, p);
    g = seg_get(st, p->segment);
    if ((rc = attach(self, st, x, g, NONE))) {
        /* Forget x, then take the children back to the records (if
         * the composite's bookkeeping failed, the next operation will). */
        list_remove(st, x);
        if (st->s[g].n == 0)
            seg_del(st, g);
        member_del(st, x);
        reconcile(self, st);
    }
    return rc;
}

static int tap_leave(vm *self, void *state, vm_id id)
{
    struct tap_state *st = state;
    uint32_t x = slot_of(st, id);

    if (x == NONE)
        return VM_OK;
    clean(self, st); /* if it fails, the leave still happens */
    detach(self, st, x);
    member_del(st, x);
    return settle(self, st);
}

struct move {
    vm_id id;
    uint32_t from, into; /* segment ids */
};

static int move_one(vm *self, void *state, void *arg)
{
    struct tap_state *st = state;
    const struct move *mv = arg;
    uint32_t x = slot_of(st, mv->id);
    int rc;

    if ((rc = clean(self, st)))
        return rc;
    if (x == NONE)
        return VM_ENOENT;
    if ((rc = reserve(self, st)))
        return rc;
    if (st->s[st->m[x].seg].id == mv->into)
        return VM_OK;
    detach(self, st, x);
    note(st, attach(self, st, x, seg_get(st, mv->into), NONE));
    return settle(self, st);
}

/* Moves every member of one segment into another, youngest first, so
 * that the source keeps its representative until its last member goes
 * and each insertion resumes where the previous one stopped. */
static int merge_all(vm *self, void *state, void *arg)
{
    struct tap_state *st = state;
    const struct move *mv = arg;
    uint32_t from = seg_slot(st, mv->from), into, cursor = NONE;
    int rc;

    if ((rc = clean(self, st)))
        return rc;
    if (from == NONE)
        return VM_ENOENT;
    if (mv->from == mv->into)
        return VM_OK;
    if ((rc = reserve(self, st)))
        return rc;
    into = seg_get(st, mv->into);
    while (seg_slot(st, mv->from) == from && st->s[from].n) {
        uint32_t x = st->s[from].tail;
        detach(self, st, x);
        note(st, attach(self, st, x, into, cursor));
        cursor = x;
    }
    return settle(self, st);
}

/* ---- public ---- */

static int tap_check(const vm *v, const void *state);

static const vm_composition tapbcast = {
    .name = "tapbcast",
    .state_size = sizeof(struct tap_state),
    .init = tap_init,
    .join = tap_join,
    .leave = tap_leave,
    .fini = tap_fini,
    .check = tap_check,
};

int vm_tapbcast_new(const vm_config *cfg, vm **out)
{
    return vm_composite_new(cfg, &tapbcast, out);
}

int vm_tapbcast_move(vm *v, vm_id id, uint32_t segment)
{
    struct move mv = {id, NONE, segment};

    if (!state_of(v) || segment == NONE)
        return VM_EINVAL;
    return vm_composite_apply(v, &tapbcast, move_one, &mv);
}

int vm_tapbcast_merge(vm *v, uint32_t from, uint32_t into)
{
    struct move mv = {VM_ID_NONE, from, into};

    if (!state_of(v) || from == NONE || into == NONE)
        return VM_EINVAL;
    return vm_composite_apply(v, &tapbcast, merge_all, &mv);
}

int vm_tapbcast_segment(const vm *v, vm_id id, uint32_t *segment)
{
    const struct tap_state *st = state_of(v);
    uint32_t x;

    if (!st || !segment)
        return VM_EINVAL;
    if ((x = slot_of(st, id)) == NONE)
        return VM_ENOENT;
    *segment = st->s[st->m[x].seg].id;
    return VM_OK;
}

int vm_tapbcast_representative(const vm *v, uint32_t segment, vm_id *rep)
{
    const struct tap_state *st = state_of(v);
    uint32_t g;

    if (!st || !rep)
        return VM_EINVAL;
    if ((g = seg_slot(st, segment)) == NONE)
        return VM_ENOENT;
    *rep = st->m[st->s[g].head].id;
    return VM_OK;
}

size_t vm_tapbcast_segments(const vm *v)
{
    const struct tap_state *st = state_of(v);
    return st ? st->seg_of.count : 0;
}

int vm_tapbcast_segment_each(const vm *v, uint32_t segment, vm_member_fn fn,
                             void *ctx)
{
    const struct tap_state *st = state_of(v);
    uint32_t g;
    int rc;

    if (!st || !fn)
        return VM_EINVAL;
    if ((g = seg_slot(st, segment)) == NONE)
        return VM_ENOENT;
    for (uint32_t x = st->s[g].head; x != NONE; x = st->m[x].next)
        if ((rc = fn(ctx, st->m[x].id)))
            return rc;
    return VM_OK;
}

int vm_tapbcast_ring_each(const vm *v, vm_member_fn fn, void *ctx)
{
    if (!state_of(v) || !fn)
        return VM_EINVAL;
    return vm_members_each(vm_composite_child(v, RING), fn, ctx);
}

/* Records against children: every segment's list is in age order with
 * the right count, its head holds the ring, its pair holds exactly its
 * members; the pool is empty.  The composite checks the rest. */
static int tap_check(const vm *v, const void *state)
{
    const struct tap_state *st = state;
    size_t members = 0;

    if (st->dirty)
        return VM_ECORRUPT;
    for (uint32_t g = 0; g < st->ns; g++) {
        const struct tap_seg *s = &st->s[g];
        uint32_t n = 0;
        if (s->id == NONE)
            continue;
        for (uint32_t x = s->head; x != NONE; x = st->m[x].next, n++)
            if (st->m[x].seg != g ||
                (st->m[x].next != NONE &&
                 st->m[st->m[x].next].since < st->m[x].since) ||
                (s->tree != NONE &&
                 (!vm_contains(vm_composite_child(v, s->tree), st->m[x].id) ||
                  !vm_contains(vm_composite_child(v, s->gossip),
                               st->m[x].id))) ||
                (st->m[x].ring_seg != NONE) != (x == s->head))
                return VM_ECORRUPT;
        if (n != s->n || !n || (n >= 2 && s->tree == NONE) ||
            (s->tree != NONE &&
             (vm_size(vm_composite_child(v, s->tree)) != n ||
              vm_size(vm_composite_child(v, s->gossip)) != n)))
            return VM_ECORRUPT;
        members += n;
    }
    for (size_t i = 0; i < st->npool; i++)
        if (vm_size(vm_composite_child(v, st->pool[i].tree)) ||
            vm_size(vm_composite_child(v, st->pool[i].gossip)))
            return VM_ECORRUPT;
    if (members != vm_size(v) || members != st->slot_of.count ||
        vm_size(vm_composite_child(v, RING)) != st->seg_of.count)
        return VM_ECORRUPT;
    return VM_OK;
}
