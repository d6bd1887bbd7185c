/* vm_plain.h -- the plain view managers by name: those that are not
 * compositions (complete, rbt, ring, random, blind), in the registry's
 * order.  Composites build their children through it; the registry
 * (vm_registry.c) lists them first.  Not installed.
 *
 * Layers: vm_registry -> the compositions (treegossip, tapbcast) ->
 * vm_composite -> vm_plain -> the plain managers -> vm (the base). */
#ifndef SRC_VIEWS_VM_PLAIN_H
#define SRC_VIEWS_VM_PLAIN_H

#include "vm.h"

/* Like vm_new, for the plain types only (VM_EINVAL for the others). */
int vm_plain_new(const char *type, const vm_config *cfg, vm **out);
/* The name of the i-th plain manager; NULL when i is past the last. */
const char *vm_plain_name(size_t i);

#endif
