/* vm_net.c -- per-operation netting of edge changes (see vm_net.h). */
#include "vm_net.h"

/* Buffers larger than this are released after a flush. */
#define KEEP 4096

void vm_net_init(vm_net *net, vm *v)
{
    net->v = v;
    vm_map_init(&net->idx, &v->alloc);
    net->e = NULL;
    net->n = net->cap = 0;
}

void vm_net_fini(vm_net *net)
{
    vm_map_fini(&net->idx);
    vm_mem_free(&net->v->alloc, net->e);
    net->e = NULL;
    net->n = net->cap = 0;
}

static void emit_entry(vm *v, const struct vm_net_entry *x)
{
    if (x->has && (!x->had || x->before != x->after))
        vm_emit(v, x->a, x->b, VM_SEE, x->after);
    else if (!x->has && x->had)
        vm_emit(v, x->a, x->b, VM_UNSEE, 0);
}

void vm_net_flush(vm_net *net)
{
    for (size_t i = 0; i < net->n; i++)
        emit_entry(net->v, &net->e[i]);
    net->n = 0;
    vm_map_clear(&net->idx, KEEP);
    if (net->cap > KEEP) {
        vm_mem_free(&net->v->alloc, net->e);
        net->e = NULL;
        net->cap = 0;
    }
}

void vm_net_record(vm_net *net, vm_id a, vm_id b, bool had, uint32_t before,
                   bool has, uint32_t after)
{
    struct vm_net_entry x = {a, b, before, after, had, has};
    uint32_t i;

    if (vm_map_get(&net->idx, vm_pair(a, b), &i)) {
        net->e[i].has = has;
        net->e[i].after = after;
        return;
    }
    if (vm_mem_grow(&net->v->alloc, (void **)&net->e, sizeof *net->e, &net->cap,
                    net->n + 1) ||
        vm_map_put(&net->idx, vm_pair(a, b), (uint32_t)net->n)) {
        vm_net_flush(net);
        emit_entry(net->v, &x);
        return;
    }
    net->e[net->n++] = x;
}

size_t vm_net_memory(const vm_net *net)
{
    return vm_map_memory(&net->idx) +
           (net->cap ? vm_mem_block(net->cap * sizeof *net->e) : 0);
}
