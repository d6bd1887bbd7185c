/* vm_composite.h -- what compositions need of the composite beyond the
 * public vm_composite_* calls of vm.h (vm_composite.c); not installed.
 * The composite sits above the plain managers (it makes its children
 * through vm_plain.h) and below the compositions (vm_treegossip.c,
 * vm_tapbcast.c), which the registry makes. */
#ifndef SRC_VIEWS_VM_COMPOSITE_H
#define SRC_VIEWS_VM_COMPOSITE_H

#include "vm_internal.h"

/* Composites, for compositions that offer operations of their own
 * (vm_tapbcast.c).  vm_composite_state returns the composition's state
 * when `self` is a composite built from `comp`, else NULL.
 * vm_composite_apply runs op(self, state, arg) as one operation of the
 * composite, like a join or a leave: re-entry refused (VM_EBUSY), the
 * children's deltas netted and emitted once, a bookkeeping failure
 * resynced.  Returns op's result, else the sticky bookkeeping error;
 * VM_EINVAL when `self` is not built from `comp`. */
void *vm_composite_state(const vm *self, const vm_composition *comp);
int vm_composite_apply(vm *self, const vm_composition *comp,
                       int (*op)(vm *self, void *state, void *arg), void *arg);

#endif
