/* vm_registry.h -- the registry of view managers (vm_registry.c): the top
 * of src/views.  vm_new, vm_manager_name and vm_manager_known are declared
 * in vm.h with the rest of the public interface; this header names the
 * module, which sits above every manager (it makes them), while vm.c (the
 * base they all call) sits below them.  Not installed. */
#ifndef SRC_VIEWS_VM_REGISTRY_H
#define SRC_VIEWS_VM_REGISTRY_H

#include "vm.h"

#endif
