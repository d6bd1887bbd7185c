/* vm_blind.c -- the blind view manager: nobody sees anyone.
 *
 * The room still holds the membership (for access control and for
 * unicast by name); joins and leaves emit no delta at all. */
#include "vm_set.h"

struct vm_blind {
    vm base;
    vm_set set;
};

#define SELF(v) ((struct vm_blind *)(v))
#define CSELF(v) ((const struct vm_blind *)(v))

static int blind_join(vm *v, vm_id id, const vm_params *p)
{
    int rc = vm_set_reserve(&SELF(v)->set);

    if (rc)
        return rc;
    vm_set_add(&SELF(v)->set, id);
    return VM_OK;
}

static int blind_leave(vm *v, vm_id id)
{
    vm_set_del(&SELF(v)->set, id, NULL);
    return VM_OK;
}

static bool blind_contains(const vm *v, vm_id id)
{
    return vm_set_has(&CSELF(v)->set, id);
}

static size_t blind_size(const vm *v)
{
    return CSELF(v)->set.n;
}

static int blind_members(const vm *v, vm_member_fn fn, void *ctx)
{
    return vm_set_each(&CSELF(v)->set, fn, ctx);
}

static int blind_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    return 0;
}

static size_t blind_memory(const vm *v)
{
    return vm_mem_block(sizeof(struct vm_blind)) +
           vm_set_memory(&CSELF(v)->set);
}

static int blind_check(const vm *v)
{
    const vm_set *s = &CSELF(v)->set;

    return s->pos.count == s->n ? VM_OK : VM_ECORRUPT;
}

static void blind_destroy(vm *v)
{
    vm_allocator a = v->alloc;

    vm_set_fini(&SELF(v)->set);
    vm_mem_free(&a, v);
}

static const struct vm_ops blind_ops = {
    "blind",       blind_join, blind_leave,  blind_contains, blind_size,
    blind_members, blind_view, blind_memory, blind_check,    blind_destroy,
};

int vm_blind_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_blind *b;

    if (!out)
        return VM_EINVAL;
    if (!(b = vm_mem_calloc(a, 1, sizeof *b)))
        return VM_ENOMEM;
    vm_base_init(&b->base, &blind_ops, cfg);
    vm_set_init(&b->set, &b->base.alloc);
    *out = &b->base;
    return VM_OK;
}
