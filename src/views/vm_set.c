/* vm_set.c -- dense id set with O(1) add, remove, lookup and sampling. */
#include "vm_set.h"

void vm_set_init(vm_set *s, const vm_allocator *alloc)
{
    s->ids = NULL;
    s->n = s->cap = 0;
    vm_map_init(&s->pos, alloc);
}

void vm_set_fini(vm_set *s)
{
    vm_mem_free(s->pos.alloc, s->ids);
    s->ids = NULL;
    s->n = s->cap = 0;
    vm_map_fini(&s->pos);
}

int vm_set_reserve(vm_set *s)
{
    int rc = vm_mem_grow(s->pos.alloc, (void **)&s->ids, sizeof *s->ids,
                         &s->cap, s->n + 1);
    return rc ? rc : vm_map_reserve(&s->pos, 1);
}

size_t vm_set_add(vm_set *s, vm_id id)
{
    s->ids[s->n] = id;
    vm_map_put(&s->pos, id, (uint32_t)s->n); /* reserved: cannot fail */
    return s->n++;
}

bool vm_set_del(vm_set *s, vm_id id, size_t *at)
{
    uint32_t i;

    if (!vm_map_get(&s->pos, id, &i))
        return false;
    vm_map_del(&s->pos, id);
    s->n--;
    if (i != s->n) {
        s->ids[i] = s->ids[s->n];
        vm_map_put(&s->pos, s->ids[i], i); /* overwrite: cannot fail */
    }
    if (at)
        *at = i;
    return true;
}

bool vm_set_has(const vm_set *s, vm_id id)
{
    uint32_t i;
    return vm_map_get(&s->pos, id, &i);
}

size_t vm_set_index(const vm_set *s, vm_id id)
{
    uint32_t i;
    return vm_map_get(&s->pos, id, &i) ? i : SIZE_MAX;
}

size_t vm_set_memory(const vm_set *s)
{
    return (s->cap ? vm_mem_block(s->cap * sizeof *s->ids) : 0) +
           vm_map_memory(&s->pos);
}

int vm_set_each(const vm_set *s, vm_member_fn fn, void *ctx)
{
    for (size_t i = 0; i < s->n; i++) {
        int rc = fn(ctx, s->ids[i]);
        if (rc)
            return rc;
    }
    return 0;
}
