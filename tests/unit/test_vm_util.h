/* test_vm_util.h -- what the view manager tests share: a recording sink
 * that replays deltas onto its own copy of the views and checks, per
 * operation, that no (observer, subject) pair is reported twice; and a
 * comparison of that replay with the manager's topology.  Uses vm_map
 * (internal) as its hash table. */
#ifndef TESTS_UNIT_TEST_VM_UTIL_H
#define TESTS_UNIT_TEST_VM_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "vm_map.h"

struct rec {
    vm_map views;   /* (observer, subject) -> attrs, from replay */
    vm_map touched; /* pairs reported in the current operation */
    size_t ops, deltas, op_deltas;
    size_t twice;  /* pairs reported twice in one operation */
    size_t bad;    /* SEE of nothing new / UNSEE of an absent edge */
    vm_delta *log; /* the current operation's deltas, when logging */
    size_t nlog, caplog;
};

static inline void rec_init(struct rec *r)
{
    memset(r, 0, sizeof *r);
    vm_map_init(&r->views, NULL);
    vm_map_init(&r->touched, NULL);
}

static inline void rec_fini(struct rec *r)
{
    vm_map_fini(&r->views);
    vm_map_fini(&r->touched);
    free(r->log);
}

/* Call before each operation. */
static inline void rec_begin(struct rec *r)
{
    vm_map_clear(&r->touched, 1 << 16);
    r->op_deltas = 0;
    r->nlog = 0;
    r->ops++;
}

static inline void rec_emit(void *ctx, const vm_delta *d)
{
    struct rec *r = ctx;
    uint64_t k = vm_pair(d->observer, d->subject);
    uint32_t old;
    bool had = vm_map_get(&r->views, k, &old);

    if (vm_map_get(&r->touched, k, &old))
        r->twice++;
    if (vm_map_put(&r->touched, k, 1))
        abort();
    if (d->kind == VM_SEE) {
        if ((had && old == d->attrs) || !d->attrs || d->observer == d->subject)
            r->bad++;
        if (vm_map_put(&r->views, k, d->attrs))
            abort();
    } else if (!vm_map_del(&r->views, k) || d->attrs) {
        r->bad++;
    }
    r->deltas++;
    r->op_deltas++;
    if (r->nlog == r->caplog) {
        r->caplog = r->caplog ? 2 * r->caplog : 64;
        r->log = realloc(r->log, r->caplog * sizeof *r->log);
        if (!r->log)
            abort();
    }
    r->log[r->nlog++] = *d;
}

struct rec_cmp {
    const struct rec *r;
    size_t edges, wrong;
};

static inline int rec_cmp_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct rec_cmp *c = ctx;
    uint32_t attrs;

    c->edges++;
    if (!vm_map_get(&c->r->views, vm_pair(a, e->subject), &attrs) ||
        attrs != e->attrs)
        c->wrong++;
    return 0;
}

/* True when the replayed views equal the manager's topology. */
static inline bool rec_matches(const struct rec *r, const vm *v)
{
    struct rec_cmp c = {r, 0, 0};

    if (vm_topology_each(v, rec_cmp_edge, &c))
        return false;
    return c.wrong == 0 && c.edges == r->views.count;
}

/* The current operation's deltas as sorted text, e.g.
 * "+1>2:tree -2>1", for exact expectations. */
static inline int rec_cmp_delta(const void *x, const void *y)
{
    const vm_delta *a = x, *b = y;

    if (a->observer != b->observer)
        return a->observer < b->observer ? -1 : 1;
    return a->subject < b->subject ? -1 : a->subject > b->subject;
}

static inline const char *rec_text(struct rec *r)
{
    static char buf[4096];
    size_t used = 0;

    buf[0] = '\0';
    if (r->nlog)
        qsort(r->log, r->nlog, sizeof *r->log, rec_cmp_delta);
    for (size_t i = 0; i < r->nlog && used < sizeof buf - 64; i++) {
        const vm_delta *d = &r->log[i];
        char attrs[128];
        vm_attrs_format(d->attrs, attrs, sizeof attrs);
        used += (size_t)snprintf(
            buf + used, sizeof buf - used, "%s%c%u>%u%s%s", i ? " " : "",
            d->kind == VM_SEE ? '+' : '-', d->observer, d->subject,
            d->kind == VM_SEE ? ":" : "", d->kind == VM_SEE ? attrs : "");
    }
    return buf;
}

#endif
