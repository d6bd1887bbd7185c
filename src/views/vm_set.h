/* vm_set.h -- a set of member ids: a dense array (for uniform sampling and
 * iteration) plus a map from id to position (for O(1) lookup and removal
 * by swapping the last id into the hole).  Not installed. */
#ifndef SRC_VIEWS_VM_SET_H
#define SRC_VIEWS_VM_SET_H

#include "vm_map.h"

typedef struct vm_set {
    vm_id *ids;
    size_t n, cap;
    vm_map pos;
} vm_set;

void vm_set_init(vm_set *s, const vm_allocator *alloc);
void vm_set_fini(vm_set *s);
/* Ensures one more add cannot fail.  VM_OK or VM_ENOMEM. */
int vm_set_reserve(vm_set *s);
/* Adds id (not present; call vm_set_reserve first).  Returns its index. */
size_t vm_set_add(vm_set *s, vm_id id);
/* Removes id; *at (may be NULL) gets the index it had, which now holds
 * the id that was last (unless id itself was last).  False if absent. */
bool vm_set_del(vm_set *s, vm_id id, size_t *at);
bool vm_set_has(const vm_set *s, vm_id id);
/* Index of id, or SIZE_MAX. */
size_t vm_set_index(const vm_set *s, vm_id id);
size_t vm_set_memory(const vm_set *s);
/* Calls fn for every id in index order; stops at a nonzero return. */
int vm_set_each(const vm_set *s, vm_member_fn fn, void *ctx);

#endif
