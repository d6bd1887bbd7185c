/* vm_rbtree.h -- an index-based red-black tree for the rbt and ring
 * managers.  Nodes live in one array and refer to each other by 32-bit
 * index (half the size of pointers, and the array can be reallocated);
 * index 0 is the black sentinel (CLRS's T.nil).  Each node carries a
 * 64-bit key and an owner (a member slot of the manager).
 *
 * The order is given by a comparison callback over node indices, which
 * must be total (break ties); NULL means by key, then by node index.  Whenever a node's parent or child links
 * are written, the `touch` callback is told the node's owner: that is how
 * the rbt manager learns exactly which members' neighbourhoods a rotation
 * changed.  Not installed. */
#ifndef SRC_VIEWS_VM_RBTREE_H
#define SRC_VIEWS_VM_RBTREE_H

#include "vm_internal.h"

#define VM_RB_NIL 0u

typedef struct vm_rbnode {
    uint64_t key;
    uint32_t parent, left, right;
    uint32_t owner : 31;
    uint32_t red : 1;
} vm_rbnode;

struct vm_rbtree;
typedef int (*vm_rb_cmp_fn)(void *ctx, const struct vm_rbtree *t,
                            uint32_t a, uint32_t b);
typedef void (*vm_rb_touch_fn)(void *ctx, uint32_t owner);

typedef struct vm_rbtree {
    vm_rbnode *n;
    size_t cap;      /* nodes allocated, sentinel included */
    size_t used;     /* high-water mark of indices handed out */
    size_t count;    /* nodes in the tree */
    uint32_t root;
    uint32_t free;   /* free list through .parent; VM_RB_NIL ends it */
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
