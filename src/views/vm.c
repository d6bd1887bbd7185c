/* vm.c -- the view manager front door: argument checks, re-entrancy guard
 * and dispatch to each type's operations; result codes, attribute names,
 * allocation, the PRNG and delta emission that all types share.  The base
 * every manager calls: it calls none of them (making managers by name is
 * the registry's, vm_registry.c, above them). */
#include "vm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut_rand.h"

/* ---- results and attributes ---- */

const char *vm_strerror(int code)
{
    switch (code) {
    case VM_OK: return "success";
    case VM_ENOMEM: return "out of memory";
    case VM_EINVAL: return "invalid argument";
    case VM_EEXIST: return "member already joined";
    case VM_ENOENT: return "no such member";
    case VM_ECORRUPT: return "internal invariant broken";
    case VM_EWRITE: return "export writer failed";
    case VM_EBUSY: return "manager called from its own callback";
    default: return "unknown error";
    }
}

static const char *const attr_names[] = {
    "member", "tree", "gossip", "ring-next", "ring-prev", "leader",
};
static const char *const finger_names[] = {
    "finger-0",  "finger-1",  "finger-2",  "finger-3",  "finger-4",
    "finger-5",  "finger-6",  "finger-7",  "finger-8",  "finger-9",
    "finger-10", "finger-11", "finger-12", "finger-13", "finger-14",
    "finger-15", "finger-16", "finger-17", "finger-18", "finger-19",
    "finger-20", "finger-21", "finger-22", "finger-23",
};

const char *vm_attr_name(uint32_t bit)
{
    if (!bit || (bit & (bit - 1)))
        return NULL;
    for (unsigned i = 0; i < 32; i++) {
        if (bit != 1u << i)
            continue;
        if (i < sizeof attr_names / sizeof *attr_names)
            return attr_names[i];
        if (i >= 8)
            return finger_names[i - 8];
    }
    return NULL;
}

uint32_t vm_attr_parse(const char *name)
{
    for (unsigned i = 0; i < 32; i++) {
        const char *n = vm_attr_name(1u << i);
        if (n && !strcmp(n, name))
            return 1u << i;
    }
    return 0;
}

int vm_attrs_format(uint32_t attrs, char *buf, size_t len)
{
    size_t used = 0;

    if (len)
        buf[0] = '\0';
    for (unsigned i = 0; i < 32; i++) {
        const char *n = vm_attr_name(1u << i);
        if (!(attrs & (1u << i)) || !n)
            continue;
        int w =
            snprintf(used < len ? buf + used : NULL,
                     used < len ? len - used : 0, "%s%s", used ? "," : "", n);
        used += (size_t)w;
    }
    return (int)used;
}

/* ---- allocation ---- */

void *vm_mem_realloc(const vm_allocator *a, void *ptr, size_t size)
{
    if (a && a->realloc)
        return a->realloc(a->ctx, ptr, size);
    return realloc(ptr, size);
}

void *vm_mem_calloc(const vm_allocator *a, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size)
        return NULL;
    p = vm_mem_realloc(a, NULL, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void vm_mem_free(const vm_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    if (a && a->free)
        a->free(a->ctx, ptr);
    else
        free(ptr);
}

int vm_mem_grow(const vm_allocator *a, void **arr, size_t es, size_t *cap,
                size_t need)
{
    size_t ncap = *cap ? *cap : 4;
    void *p;

    if (need <= *cap)
        return VM_OK;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / es)
        return VM_ENOMEM;
    p = vm_mem_realloc(a, *arr, ncap * es);
    if (!p)
        return VM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return VM_OK;
}

size_t vm_mem_block(size_t size)
{
    /* glibc: 8 bytes of header, 16-byte granules, 32 bytes minimum. */
    size_t b = (size + 8 + 15) & ~(size_t)15;
    return b < 32 ? 32 : b;
}

/* ---- PRNG ---- */

void vm_rng_seed(vm_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = ut_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t vm_rng_next(vm_rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint32_t vm_rng_below(vm_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the bias is below 2^-32 for our n. */
    return (uint32_t)(((vm_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ---- emission ---- */

void vm_emit_diff(vm *v, vm_id a, const vm_edge *old, size_t nold,
                  const vm_edge *now, size_t nnow)
{
    size_t i = 0, j = 0;

    while (i < nold || j < nnow) {
        if (j == nnow || (i < nold && old[i].subject < now[j].subject)) {
            vm_emit(v, a, old[i++].subject, VM_UNSEE, 0);
        } else if (i == nold || now[j].subject < old[i].subject) {
            vm_emit(v, a, now[j].subject, VM_SEE, now[j].attrs);
            j++;
        } else {
            if (old[i].attrs != now[j].attrs)
                vm_emit(v, a, now[j].subject, VM_SEE, now[j].attrs);
            i++;
            j++;
        }
    }
}

void vm_edges_sort(vm_edge *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        vm_edge x = e[i];
        size_t j = i;
        for (; j > 0 && e[j - 1].subject > x.subject; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

/* ---- the base object and dispatch ---- */

void vm_base_init(vm *v, const struct vm_ops *ops, const vm_config *cfg)
{
    static const vm_config none;

    if (!cfg)
        cfg = &none;
    memset(v, 0, sizeof *v);
    v->ops = ops;
    v->name = ops->name;
    if (cfg->alloc)
        v->alloc = *cfg->alloc;
    v->emit = cfg->emit;
    v->emit_ctx = cfg->emit_ctx;
    v->order = cfg->order;
    v->order_ctx = cfg->order_ctx;
    v->attr = cfg->attr;
    vm_rng_seed(&v->rng, cfg->seed);
}

void vm_free(vm *v)
{
    if (v && !v->busy)
        v->ops->destroy(v);
}

const char *vm_name(const vm *v)
{
    return v ? v->name : NULL;
}

static int check_params(const vm_params *p)
{
    if (p && p->view_size > VM_VIEW_SIZE_MAX)
        return VM_EINVAL;
    return VM_OK;
}

int vm_join(vm *v, vm_id id, const vm_params *p)
{
    static const vm_params dflt;
    int rc;

    if (!v || id == VM_ID_NONE || check_params(p))
        return v && v->busy ? VM_EBUSY : VM_EINVAL;
    if (v->busy)
        return VM_EBUSY;
    if (v->ops->contains(v, id))
        return VM_EEXIST;
    v->busy = 1;
    rc = v->ops->join(v, id, p ? p : &dflt);
    v->busy = 0;
    return rc;
}

int vm_leave(vm *v, vm_id id)
{
    int rc;

    if (!v)
        return VM_EINVAL;
    if (v->busy)
        return VM_EBUSY;
    if (!v->ops->contains(v, id))
        return VM_ENOENT;
    v->busy = 1;
    rc = v->ops->leave(v, id);
    v->busy = 0;
    return rc;
}

bool vm_contains(const vm *v, vm_id id)
{
    return v && id != VM_ID_NONE && v->ops->contains(v, id);
}

size_t vm_size(const vm *v)
{
    return v ? v->ops->size(v) : 0;
}

int vm_members_each(const vm *v, vm_member_fn fn, void *ctx)
{
    return v && fn ? v->ops->members_each(v, fn, ctx) : VM_EINVAL;
}

int vm_view_each(const vm *v, vm_id a, vm_edge_fn fn, void *ctx)
{
    if (!v || !fn)
        return VM_EINVAL;
    if (!vm_contains(v, a))
        return VM_ENOENT;
    return v->ops->view_each(v, a, fn, ctx);
}

struct copy_ctx {
    vm_edge *out;
    size_t cap, n;
};

static int copy_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct copy_ctx *c = ctx;

    if (c->n < c->cap)
        c->out[c->n] = *e;
    c->n++;
    return 0;
}

int vm_view(const vm *v, vm_id a, vm_edge *out, size_t cap, size_t *n)
{
    struct copy_ctx c = {out, cap, 0};
    int rc = vm_view_each(v, a, copy_edge, &c);

    if (rc)
        return rc;
    vm_edges_sort(out, c.n < cap ? c.n : cap);
    if (n)
        *n = c.n;
    return VM_OK;
}

struct topo_ctx {
    const vm *v;
    vm_edge_fn fn;
    void *ctx;
};

static int topo_member(void *ctx, vm_id a)
{
    struct topo_ctx *t = ctx;

    return t->v->ops->view_each(t->v, a, t->fn, t->ctx);
}

int vm_topology_each(const vm *v, vm_edge_fn fn, void *ctx)
{
    struct topo_ctx t = {v, fn, ctx};

    if (!v || !fn)
        return VM_EINVAL;
    return v->ops->members_each(v, topo_member, &t);
}

size_t vm_memory(const vm *v)
{
    return v ? v->ops->memory(v) : 0;
}

int vm_check(const vm *v)
{
    return v ? v->ops->check(v) : VM_EINVAL;
}
