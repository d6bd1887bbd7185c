/* vm_net.h -- netting of one operation's edge changes.  Managers whose
 * operations may touch the same (observer, subject) pair more than once
 * (random: repairs and redirections; composite: several children) record
 * each change here and flush once at the end of the operation: a pair
 * whose state at the end equals its state at the start emits nothing, any
 * other pair emits one delta.  Pairs are emitted in first-touch order.
 *
 * If the buffer cannot grow (out of memory), what it holds is flushed and
 * the change is emitted directly: the stream stays exact (replay still
 * gives the views), only the "no cancelled delta" promise is relaxed for
 * that operation.  Not installed. */
#ifndef SRC_VIEWS_VM_NET_H
#define SRC_VIEWS_VM_NET_H

#include "vm_map.h"

struct vm_net_entry {
    vm_id a, b;
    uint32_t before, after; /* attributes; meaningful when had / has */
    bool had, has;
};

typedef struct vm_net {
    vm *v;
    vm_map idx; /* pair -> entry index */
    struct vm_net_entry *e;
    size_t n, cap;
} vm_net;

void vm_net_init(vm_net *net, vm *v);
void vm_net_fini(vm_net *net);
/* Records that a->b went from (had, before) to (has, after). */
void vm_net_record(vm_net *net, vm_id a, vm_id b, bool had, uint32_t before,
                   bool has, uint32_t after);
/* Emits the net changes and empties the buffer. */
void vm_net_flush(vm_net *net);
size_t vm_net_memory(const vm_net *net);

#endif
