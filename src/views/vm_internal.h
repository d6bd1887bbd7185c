/* vm_internal.h -- what every view manager shares: the base object, the
 * table of operations each manager type fills in, allocation through the
 * configured allocator, the PRNG and delta emission.  Not installed.
 *
 * A manager type is a struct that starts with `struct vm` and a static
 * `struct vm_ops`.  vm.c checks arguments and re-entrancy, then calls the
 * ops; the ops emit through vm_emit (direct) or a vm_net (netted). */
#ifndef SRC_VIEWS_VM_INTERNAL_H
#define SRC_VIEWS_VM_INTERNAL_H

#include "vm.h"

struct vm_ops {
    const char *name;
    int (*join)(vm *v, vm_id id, const vm_params *p);
    int (*leave)(vm *v, vm_id id);
    bool (*contains)(const vm *v, vm_id id);
    size_t (*size)(const vm *v);
    int (*members_each)(const vm *v, vm_member_fn fn, void *ctx);
    int (*view_each)(const vm *v, vm_id a, vm_edge_fn fn, void *ctx);
    size_t (*memory)(const vm *v);
    int (*check)(const vm *v);
    void (*destroy)(vm *v);
};

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
typedef struct vm_rng {
    uint64_t s[4];
} vm_rng;

struct vm {
    const struct vm_ops *ops;
    const char *name; /* ops->name unless a composition renames it */
    vm_allocator alloc;
    vm_emit_fn emit;
    void *emit_ctx;
    vm_order_fn order;
    void *order_ctx;
    uint32_t attr; /* from vm_config.attr, 0 when unset */
    vm_rng rng;
    int busy; /* inside join/leave: re-entry is refused */
};

/* Sets up the base from cfg (NULL allowed). */
void vm_base_init(vm *v, const struct vm_ops *ops, const vm_config *cfg);

/* Allocation through v's allocator.  vm_mem_realloc keeps ptr on
 * failure and returns NULL. */
void *vm_mem_realloc(const vm_allocator *a, void *ptr, size_t size);
void *vm_mem_calloc(const vm_allocator *a, size_t n, size_t size);
void vm_mem_free(const vm_allocator *a, void *ptr);
/* Grows *arr (element size es) so that it holds at least `need`
 * elements; *cap is updated.  VM_OK or VM_ENOMEM (nothing changed). */
int vm_mem_grow(const vm_allocator *a, void **arr, size_t es, size_t *cap,
                size_t need);
/* Bytes a block of `size` costs, allocator header and rounding included. */
size_t vm_mem_block(size_t size);

void vm_rng_seed(vm_rng *r, uint64_t seed);
uint64_t vm_rng_next(vm_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t vm_rng_below(vm_rng *r, uint32_t n);

/* Sends one delta to v's sink.  Inline: it sits in every manager's
 * innermost loop (complete's join emits 2(|G| - 1) deltas). */
static inline void vm_emit(vm *v, vm_id a, vm_id b, enum vm_delta_kind kind,
                           uint32_t attrs)
{
    vm_delta d = {a, b, kind, kind == VM_SEE ? attrs : 0};

    if (v->emit)
        v->emit(v->emit_ctx, &d);
}
/* Emits the difference between two views of `a`, each sorted by subject:
 * VM_UNSEE for subjects only in old, VM_SEE for new subjects or changed
 * attributes. */
void vm_emit_diff(vm *v, vm_id a, const vm_edge *old, size_t nold,
                  const vm_edge *now, size_t nnow);
/* Sorts a short edge array by subject (insertion sort). */
void vm_edges_sort(vm_edge *e, size_t n);

/* The attribute a manager's edges carry: cfg attr or the default. */
static inline uint32_t vm_attr_or(const vm *v, uint32_t dflt)
{
    return v->attr ? v->attr : dflt;
}

#endif
