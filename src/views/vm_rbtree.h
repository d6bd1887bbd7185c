/* vm_rbtree.h -- an index-based red-black tree for the rbt and ring
 * managers.  Nodes live in one array and refer to each other by 32-bit
 * index (half the size of pointers, and the array can be reallocated);
 * index 0 is the black sentinel (CLRS's T.nil).  Each node carries a
 * 64-bit key, 31 bits of `owner` and two words of `data` that the tree
 * never reads: the manager keeps its member record there, so a node is
 * 32 bytes, two to a cache line, and finding a neighbour's member costs
 * no further memory access.
 *
 * The order is given by a comparison callback over node indices, which
 * must be total (break ties); NULL means by key, then by node index.
 * Just before a node's parent or child links are written, the `touch`
 * callback is given the node's index: that is how the rbt manager learns
 * exactly which members' neighbourhoods a rotation changes, while it can
 * still read what they were.  Not installed. */
#ifndef SRC_VIEWS_VM_RBTREE_H
#define SRC_VIEWS_VM_RBTREE_H

#include "vm_internal.h"

#define VM_RB_NIL 0u

typedef struct vm_rbnode {
    uint64_t key;
    uint32_t parent, left, right;
    uint32_t owner : 31;
    uint32_t red : 1;
    uint32_t data[2]; /* the manager's; the tree leaves them alone */
} vm_rbnode;

struct vm_rbtree;
typedef int (*vm_rb_cmp_fn)(void *ctx, const struct vm_rbtree *t, uint32_t a,
                            uint32_t b);
typedef void (*vm_rb_touch_fn)(void *ctx, uint32_t node);

typedef struct vm_rbtree {
    vm_rbnode *n;
    size_t cap;   /* nodes allocated, sentinel included */
    size_t used;  /* high-water mark of indices handed out */
    size_t count; /* nodes in the tree */
    uint32_t root;
    uint32_t free; /* free list through .parent; VM_RB_NIL ends it */
    size_t nfree;
    vm_rb_cmp_fn cmp;
    void *cmp_ctx;
    vm_rb_touch_fn touch;
    void *touch_ctx;
    const vm_allocator *alloc;
} vm_rbtree;

#define VM_RB_OWNER_MAX ((1u << 31) - 1)

int vm_rbtree_init(vm_rbtree *t, const vm_allocator *alloc, vm_rb_cmp_fn cmp,
                   void *cmp_ctx, vm_rb_touch_fn touch, void *touch_ctx);
void vm_rbtree_fini(vm_rbtree *t);
/* Ensures `k` more inserts cannot fail.  VM_OK or VM_ENOMEM. */
int vm_rbtree_reserve(vm_rbtree *t, size_t k);
/* Inserts a node (reserved beforehand); returns its index. */
uint32_t vm_rbtree_insert(vm_rbtree *t, uint64_t key, uint32_t owner);
/* The same in two steps, for callers that fill a node before the tree
 * (and its touch callback) sees it: take a reserved index, set its key,
 * owner and data, then link it. */
uint32_t vm_rbtree_take(vm_rbtree *t);
void vm_rbtree_link(vm_rbtree *t, uint32_t z);
/* Removes node z and puts its index on the free list. */
void vm_rbtree_remove(vm_rbtree *t, uint32_t z);
/* In-order neighbours; VM_RB_NIL past the ends. */
uint32_t vm_rbtree_next(const vm_rbtree *t, uint32_t x);
uint32_t vm_rbtree_prev(const vm_rbtree *t, uint32_t x);
uint32_t vm_rbtree_first(const vm_rbtree *t);
uint32_t vm_rbtree_last(const vm_rbtree *t);
/* Red-black rules, parent links, order and count.  VM_OK/VM_ECORRUPT. */
int vm_rbtree_check(const vm_rbtree *t);
size_t vm_rbtree_memory(const vm_rbtree *t);

#endif
