/* vm_export.h -- the topology export, vm_export (declared in vm.h with
 * the rest of the API).  Not installed.  A header of its own makes
 * vm_export.c a module of its own (tools/layers): it sits above the
 * managers it asks for keys (vm_rbt_key, through composites) and
 * segments (vm_tapbcast_segment), and nothing below calls it. */
#ifndef SRC_VIEWS_VM_EXPORT_H
#define SRC_VIEWS_VM_EXPORT_H

#include "vm.h"

#endif
