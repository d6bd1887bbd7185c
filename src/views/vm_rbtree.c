/* vm_rbtree.c -- red-black tree over an array of nodes (CLRS, 3rd ed.,
 * chapter 13, with a sentinel at index 0).
 *
 * Every write of a link goes through set_left/set_right/set_parent, which
 * report the node to the touch callback before writing: a node whose
 * links change is exactly a node whose tree neighbourhood may change, and
 * the callback still sees the links as they were.  Colour changes are not
 * reported; they change no view. */
#include "vm_rbtree.h"

#include <string.h>

#define NIL VM_RB_NIL

static void touch(vm_rbtree *t, uint32_t x)
{
    if (x != NIL && t->touch)
        t->touch(t->touch_ctx, x);
}

static void set_left(vm_rbtree *t, uint32_t x, uint32_t y)
{
    touch(t, x);
    t->n[x].left = y;
}

static void set_right(vm_rbtree *t, uint32_t x, uint32_t y)
{
    touch(t, x);
    t->n[x].right = y;
}

/* The sentinel's parent is written too (delete needs it); not reported. */
static void set_parent(vm_rbtree *t, uint32_t x, uint32_t p)
{
    touch(t, x);
    t->n[x].parent = p;
}

static bool is_red(const vm_rbtree *t, uint32_t x)
{
    return t->n[x].red;
}

int vm_rbtree_init(vm_rbtree *t, const vm_allocator *alloc, vm_rb_cmp_fn cmp,
                   void *cmp_ctx, vm_rb_touch_fn tfn, void *touch_ctx)
{
    memset(t, 0, sizeof *t);
    t->alloc = alloc;
    t->cmp = cmp;
    t->cmp_ctx = cmp_ctx;
    t->touch = tfn;
    t->touch_ctx = touch_ctx;
    t->root = NIL;
    t->free = NIL;
    if (vm_mem_grow(alloc, (void **)&t->n, sizeof *t->n, &t->cap, 16))
        return VM_ENOMEM;
    memset(&t->n[NIL], 0, sizeof t->n[NIL]);
    t->used = 1;
    return VM_OK;
}

void vm_rbtree_fini(vm_rbtree *t)
{
    vm_mem_free(t->alloc, t->n);
    t->n = NULL;
    t->cap = t->used = t->count = 0;
}

int vm_rbtree_reserve(vm_rbtree *t, size_t k)
{
    if (k <= t->nfree)
        return VM_OK;
    return vm_mem_grow(t->alloc, (void **)&t->n, sizeof *t->n, &t->cap,
                       t->used + k - t->nfree);
}

uint32_t vm_rbtree_take(vm_rbtree *t)
{
    uint32_t x;

    if (t->free != NIL) {
        x = t->free;
        t->free = t->n[x].parent;
        t->nfree--;
        return x;
    }
    return (uint32_t)t->used++;
}

static void rotate_left(vm_rbtree *t, uint32_t x)
{
    uint32_t y = t->n[x].right, p = t->n[x].parent;

    set_right(t, x, t->n[y].left);
    if (t->n[y].left != NIL)
        set_parent(t, t->n[y].left, x);
    set_parent(t, y, p);
    if (p == NIL)
        t->root = y;
    else if (x == t->n[p].left)
        set_left(t, p, y);
    else
        set_right(t, p, y);
    set_left(t, y, x);
    set_parent(t, x, y);
}

static void rotate_right(vm_rbtree *t, uint32_t x)
{
    uint32_t y = t->n[x].left, p = t->n[x].parent;

    set_left(t, x, t->n[y].right);
    if (t->n[y].right != NIL)
        set_parent(t, t->n[y].right, x);
    set_parent(t, y, p);
    if (p == NIL)
        t->root = y;
    else if (x == t->n[p].right)
        set_right(t, p, y);
    else
        set_left(t, p, y);
    set_right(t, y, x);
    set_parent(t, x, y);
}

/* Restores the red-black rules after inserting red node z.  The two
 * halves mirror each other; `left` says on which side z's parent is. */
static void insert_fixup(vm_rbtree *t, uint32_t z)
{
    while (is_red(t, t->n[z].parent)) {
        uint32_t p = t->n[z].parent, g = t->n[p].parent;
        bool left = p == t->n[g].left;
        uint32_t u = left ? t->n[g].right : t->n[g].left;

        if (is_red(t, u)) {
            t->n[p].red = 0;
            t->n[u].red = 0;
            t->n[g].red = 1;
            z = g;
            continue;
        }
        if (z == (left ? t->n[p].right : t->n[p].left)) {
            z = p;
            left ? rotate_left(t, z) : rotate_right(t, z);
            p = t->n[z].parent;
        }
        t->n[p].red = 0;
        t->n[g].red = 1;
        left ? rotate_right(t, g) : rotate_left(t, g);
    }
    t->n[t->root].red = 0;
}

/* The default order, inlined on the hot path: key, then node index. */
static int default_cmp(const vm_rbtree *t, uint32_t a, uint32_t b)
{
    if (t->n[a].key != t->n[b].key)
        return t->n[a].key < t->n[b].key ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int cmp(const vm_rbtree *t, uint32_t a, uint32_t b)
{
    return t->cmp ? t->cmp(t->cmp_ctx, t, a, b) : default_cmp(t, a, b);
}

uint32_t vm_rbtree_insert(vm_rbtree *t, uint64_t key, uint32_t owner)
{
    uint32_t z = vm_rbtree_take(t);

    t->n[z] = (vm_rbnode){key, NIL, NIL, NIL, owner, 1, {0, 0}};
    vm_rbtree_link(t, z);
    return z;
}

void vm_rbtree_link(vm_rbtree *t, uint32_t z)
{
    uint32_t y = NIL, x = t->root;
    bool less = false;

    t->n[z].parent = t->n[z].left = t->n[z].right = NIL;
    t->n[z].red = 1;
    if (!t->cmp) {
        /* The default order with z's key in a register: the descent is
         * one load of a 32-byte node per level.  Both children are
         * fetched while the key is compared, so the next level's load
         * does not wait for the comparison (or a mispredicted branch). */
        uint64_t k = t->n[z].key;
        while (x != NIL) {
            const vm_rbnode *n = &t->n[x];
            __builtin_prefetch(&t->n[n->left]);
            __builtin_prefetch(&t->n[n->right]);
            y = x;
            less = k < n->key || (k == n->key && z < x);
            x = less ? n->left : n->right;
        }
    }
    while (x != NIL) {
        y = x;
        less = cmp(t, z, x) < 0;
        x = less ? t->n[x].left : t->n[x].right;
    }
    set_parent(t, z, y);
    if (y == NIL)
        t->root = z;
    else if (less)
        set_left(t, y, z);
    else
        set_right(t, y, z);
    t->count++;
    insert_fixup(t, z);
}

static void transplant(vm_rbtree *t, uint32_t u, uint32_t v)
{
    uint32_t p = t->n[u].parent;

    if (p == NIL)
        t->root = v;
    else if (u == t->n[p].left)
        set_left(t, p, v);
    else
        set_right(t, p, v);
    set_parent(t, v, p);
}

static uint32_t minimum(const vm_rbtree *t, uint32_t x)
{
    while (t->n[x].left != NIL)
        x = t->n[x].left;
    return x;
}

static uint32_t maximum(const vm_rbtree *t, uint32_t x)
{
    while (t->n[x].right != NIL)
        x = t->n[x].right;
    return x;
}

/* Restores the rules after removing a black node; x carries the extra
 * black.  The halves mirror each other as in insert_fixup. */
static void delete_fixup(vm_rbtree *t, uint32_t x)
{
    while (x != t->root && !is_red(t, x)) {
        uint32_t p = t->n[x].parent;
        bool left = x == t->n[p].left;
        uint32_t w = left ? t->n[p].right : t->n[p].left;

        if (is_red(t, w)) {
            t->n[w].red = 0;
            t->n[p].red = 1;
            left ? rotate_left(t, p) : rotate_right(t, p);
            w = left ? t->n[p].right : t->n[p].left;
        }
        uint32_t near = left ? t->n[w].left : t->n[w].right;
        uint32_t far = left ? t->n[w].right : t->n[w].left;
        if (!is_red(t, near) && !is_red(t, far)) {
            t->n[w].red = 1;
            x = p;
            continue;
        }
        if (!is_red(t, far)) {
            t->n[near].red = 0;
            t->n[w].red = 1;
            left ? rotate_right(t, w) : rotate_left(t, w);
            w = left ? t->n[p].right : t->n[p].left;
            far = left ? t->n[w].right : t->n[w].left;
        }
        t->n[w].red = t->n[p].red;
        t->n[p].red = 0;
        t->n[far].red = 0;
        left ? rotate_left(t, p) : rotate_right(t, p);
        x = t->root;
    }
    t->n[x].red = 0;
}

void vm_rbtree_remove(vm_rbtree *t, uint32_t z)
{
    uint32_t y = z, x;
    bool y_red = is_red(t, y);

    touch(t, z);
    if (t->n[z].left == NIL) {
        x = t->n[z].right;
        transplant(t, z, x);
    } else if (t->n[z].right == NIL) {
        x = t->n[z].left;
        transplant(t, z, x);
    } else {
        y = minimum(t, t->n[z].right);
        y_red = is_red(t, y);
        x = t->n[y].right;
        if (t->n[y].parent == z) {
            set_parent(t, x, y);
        } else {
            transplant(t, y, x);
            set_right(t, y, t->n[z].right);
            set_parent(t, t->n[y].right, y);
        }
        transplant(t, z, y);
        set_left(t, y, t->n[z].left);
        set_parent(t, t->n[y].left, y);
        t->n[y].red = t->n[z].red;
    }
    if (!y_red)
        delete_fixup(t, x);
    t->n[NIL].parent = NIL;
    t->n[z].parent = t->free;
    t->n[z].left = t->n[z].right = NIL;
    t->free = z;
    t->nfree++;
    t->count--;
}

uint32_t vm_rbtree_first(const vm_rbtree *t)
{
    return t->root == NIL ? NIL : minimum(t, t->root);
}

uint32_t vm_rbtree_last(const vm_rbtree *t)
{
    return t->root == NIL ? NIL : maximum(t, t->root);
}

uint32_t vm_rbtree_next(const vm_rbtree *t, uint32_t x)
{
    uint32_t p;

    if (t->n[x].right != NIL)
        return minimum(t, t->n[x].right);
    for (p = t->n[x].parent; p != NIL && x == t->n[p].right; p = t->n[p].parent)
        x = p;
    return p;
}

uint32_t vm_rbtree_prev(const vm_rbtree *t, uint32_t x)
{
    uint32_t p;

    if (t->n[x].left != NIL)
        return maximum(t, t->n[x].left);
    for (p = t->n[x].parent; p != NIL && x == t->n[p].left; p = t->n[p].parent)
        x = p;
    return p;
}

/* Black height of the subtree at x, or -1 when a rule is broken below.
 * Recursion depth is the tree height: at most 2 log2(n + 1). */
static int check_node(const vm_rbtree *t, uint32_t x, size_t *count)
{
    const vm_rbnode *n = &t->n[x];
    int hl, hr;

    if (x == NIL)
        return 1;
    (*count)++;
    if (n->left != NIL &&
        (t->n[n->left].parent != x || cmp(t, n->left, x) >= 0))
        return -1;
    if (n->right != NIL &&
        (t->n[n->right].parent != x || cmp(t, n->right, x) <= 0))
        return -1;
    if (n->red && (is_red(t, n->left) || is_red(t, n->right)))
        return -1;
    hl = check_node(t, n->left, count);
    hr = check_node(t, n->right, count);
    if (hl < 0 || hl != hr)
        return -1;
    return hl + !n->red;
}

int vm_rbtree_check(const vm_rbtree *t)
{
    size_t count = 0;
    uint32_t prev = NIL;

    if (is_red(t, NIL) ||
        (t->root != NIL && (is_red(t, t->root) || t->n[t->root].parent != NIL)))
        return VM_ECORRUPT;
    if (check_node(t, t->root, &count) < 0 || count != t->count)
        return VM_ECORRUPT;
    for (uint32_t x = vm_rbtree_first(t); x != NIL; x = vm_rbtree_next(t, x)) {
        if (prev != NIL && cmp(t, prev, x) >= 0)
            return VM_ECORRUPT;
        prev = x;
    }
    return VM_OK;
}

size_t vm_rbtree_memory(const vm_rbtree *t)
{
    return t->cap ? vm_mem_block(t->cap * sizeof *t->n) : 0;
}
