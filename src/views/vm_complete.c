/* vm_complete.c -- the complete view manager: everyone sees everyone.
 *
 * This is XEP-0045's behaviour: a join costs 2(|G| - 1) deltas (the
 * newcomer learns every member, every member learns the newcomer), and
 * so does a leave.  The views are implicit: the manager keeps only the
 * member set, so its memory is O(|G|) although there are |G|^2 edges. */
#include "vm_set.h"

struct vm_complete {
    vm base;
    vm_set set;
};

#define SELF(v) ((struct vm_complete *)(v))
#define CSELF(v) ((const struct vm_complete *)(v))

static int complete_join(vm *v, vm_id id, const vm_params *p)
{
    struct vm_complete *c = SELF(v);
    uint32_t attr = vm_attr_or(v, VM_ATTR_MEMBER);
    int rc = vm_set_reserve(&c->set);

    if (rc)
        return rc;
    for (size_t i = 0; i < c->set.n; i++) {
        vm_emit(v, id, c->set.ids[i], VM_SEE, attr);
        vm_emit(v, c->set.ids[i], id, VM_SEE, attr);
    }
    vm_set_add(&c->set, id);
    return VM_OK;
}

static int complete_leave(vm *v, vm_id id)
{
    struct vm_complete *c = SELF(v);

    vm_set_del(&c->set, id, NULL);
    for (size_t i = 0; i < c->set.n; i++) {
        vm_emit(v, id, c->set.ids[i], VM_UNSEE, 0);
        vm_emit(v, c->set.ids[i], id, VM_UNSEE, 0);
    }
    return VM_OK;
}

static bool complete_contains(const vm *v, vm_id id)
{
    return vm_set_has(&CSELF(v)->set, id);
}

static size_t complete_size(const vm *v)
{
    return CSELF(v)->set.n;
}

static int complete_members(const vm *v, vm_member_fn fn, void *ctx)
{
    return vm_set_each(&CSELF(v)->set, fn, ctx);
}

static int complete_view(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    const vm_set *s = &CSELF(v)->set;
    vm_edge e = {0, vm_attr_or(v, VM_ATTR_MEMBER)};

    for (size_t i = 0; i < s->n; i++) {
        int rc;
        if (s->ids[i] == a)
            continue;
        e.subject = s->ids[i];
        if ((rc = fn(ctx, a, &e)))
            return rc;
    }
    return 0;
}

static size_t complete_memory(const vm *v)
{
    return vm_mem_block(sizeof(struct vm_complete)) +
           vm_set_memory(&CSELF(v)->set);
}

static int complete_check(const vm *v)
{
    const vm_set *s = &CSELF(v)->set;

    if (s->pos.count != s->n)
        return VM_ECORRUPT;
    for (size_t i = 0; i < s->n; i++)
        if (vm_set_index(s, s->ids[i]) != i)
            return VM_ECORRUPT;
    return VM_OK;
}

static void complete_destroy(vm *v)
{
    vm_allocator a = v->alloc;

    vm_set_fini(&SELF(v)->set);
    vm_mem_free(&a, v);
}

static const struct vm_ops complete_ops = {
    "complete",     complete_join,    complete_leave, complete_contains,
    complete_size,  complete_members, complete_view,  complete_memory,
    complete_check, complete_destroy,
};

int vm_complete_new(const vm_config *cfg, vm **out)
{
    const vm_allocator *a = cfg ? cfg->alloc : NULL;
    struct vm_complete *c;

    if (!out)
        return VM_EINVAL;
    if (!(c = vm_mem_calloc(a, 1, sizeof *c)))
        return VM_ENOMEM;
    vm_base_init(&c->base, &complete_ops, cfg);
    vm_set_init(&c->set, &c->base.alloc);
    *out = &c->base;
    return VM_OK;
}
