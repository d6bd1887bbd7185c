/* vm_export.c -- a manager's topology as JSON or as Graphviz DOT.
 *
 * Both formats list every member and every edge with its attribute
 * names; the edges are collected and sorted first, so the output is
 * deterministic; JSON adds the members' rbt keys and tapbcast segments
 * when there are any.  In DOT a pair of opposite edges with equal attributes
 * is one edge with dir=both, which keeps pictures of symmetric managers
 * (tree, ring, complete) readable; the colour says which attribute
 * dominates and the SVG class lists them all.  Output goes through the
 * caller's writer: this file does no I/O. */
#include "vm_export.h"

#include "vm_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edge3 {
    vm_id a, b;
    uint32_t attrs;
};

struct out {
    vm_write_fn write;
    void *ctx;
    int rc;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    if (o->rc)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf || o->write(o->ctx, buf, (size_t)n))
        o->rc = VM_EWRITE;
}

struct collect {
    const vm *v;
    struct edge3 *e;
    size_t n, cap;
    int rc;
};

static int collect_edge(void *ctx, vm_id a, const vm_edge *e)
{
    struct collect *c = ctx;

    if (vm_mem_grow(&c->v->alloc, (void **)&c->e, sizeof *c->e, &c->cap,
                    c->n + 1))
        return c->rc = VM_ENOMEM;
    c->e[c->n++] = (struct edge3){a, e->subject, e->attrs};
    return 0;
}

static int cmp_edge(const void *x, const void *y)
{
    const struct edge3 *a = x, *b = y;

    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

struct ids {
    const vm *v;
    vm_id *id;
    size_t n, cap;
};

static int collect_member(void *ctx, vm_id id)
{
    struct ids *s = ctx;

    if (vm_mem_grow(&s->v->alloc, (void **)&s->id, sizeof *s->id, &s->cap,
                    s->n + 1))
        return VM_ENOMEM;
    s->id[s->n++] = id;
    return 0;
}

static int cmp_id(const void *x, const void *y)
{
    vm_id a = *(const vm_id *)x, b = *(const vm_id *)y;
    return a < b ? -1 : a > b;
}

static void json_attrs(struct out *o, uint32_t attrs)
{
    bool first = true;

    put(o, "[");
    for (unsigned i = 0; i < 32; i++) {
        const char *n = vm_attr_name(1u << i);
        if ((attrs & (1u << i)) && n) {
            put(o, "%s\"%s\"", first ? "" : ",", n);
            first = false;
        }
    }
    put(o, "]");
}

/* The rbt key of id in v or, for a composite, in its first child that
 * has one (depth-first). */
static int member_key(const vm *v, vm_id id, uint64_t *key)
{
    if (vm_rbt_key(v, id, key) == VM_OK)
        return VM_OK;
    for (size_t i = 0; i < vm_composite_children(v); i++)
        if (member_key(vm_composite_child(v, i), id, key) == VM_OK)
            return VM_OK;
    return VM_ENOENT;
}

/* ,"keys":{...} and ,"segments":{...}, each only when some member has
 * one: what the pictures colour and label nodes by. */
static void json_member_notes(struct out *o, const vm *v, const struct ids *m)
{
    bool first = true;
    uint64_t key;
    uint32_t seg;

    for (size_t i = 0; i < m->n; i++)
        if (member_key(v, m->id[i], &key) == VM_OK) {
            put(o, "%s\"%u\":\"%016llx\"", first ? ",\"keys\":{" : ",",
                m->id[i], (unsigned long long)key);
            first = false;
        }
    if (!first)
        put(o, "}");
    first = true;
    for (size_t i = 0; i < m->n; i++)
        if (vm_tapbcast_segment(v, m->id[i], &seg) == VM_OK) {
            put(o, "%s\"%u\":%u", first ? ",\"segments\":{" : ",", m->id[i],
                seg);
            first = false;
        }
    if (!first)
        put(o, "}");
}

static void json(struct out *o, const vm *v, const struct ids *m,
                 const struct collect *c)
{
    put(o, "{\"manager\":\"%s\",\"members\":[", vm_name(v));
    for (size_t i = 0; i < m->n; i++)
        put(o, "%s%u", i ? "," : "", m->id[i]);
    put(o, "],\"edges\":[");
    for (size_t i = 0; i < c->n; i++) {
        put(o, "%s\n{\"from\":%u,\"to\":%u,\"attrs\":", i ? "," : "", c->e[i].a,
            c->e[i].b);
        json_attrs(o, c->e[i].attrs);
        put(o, "}");
    }
    put(o, "]");
    json_member_notes(o, v, m);
    put(o, "}\n");
}

static const char *colour(uint32_t attrs)
{
    if (attrs & (VM_ATTR_RING_NEXT | VM_ATTR_RING_PREV))
        return "firebrick";
    if (attrs & VM_ATTR_TREE)
        return "black";
    if (attrs & VM_ATTR_GOSSIP)
        return "royalblue";
    if (attrs & VM_ATTR_LEADER)
        return "darkorange";
    if (attrs & VM_ATTR_MEMBER)
        return "gray40";
    return "darkgreen";
}

static const struct edge3 *find(const struct collect *c, vm_id a, vm_id b)
{
    struct edge3 key = {a, b, 0};
    return c->n == 0 ? NULL : bsearch(&key, c->e, c->n, sizeof *c->e, cmp_edge);
}

static void dot(struct out *o, const vm *v, const struct ids *m,
                const struct collect *c)
{
    put(o,
        "digraph \"%s\" {\n  node [shape=circle, fontsize=10, "
        "width=0.35, fixedsize=true];\n  edge [arrowsize=0.5];\n",
        vm_name(v));
    for (size_t i = 0; i < m->n; i++)
        put(o, "  %u;\n", m->id[i]);
    for (size_t i = 0; i < c->n; i++) {
        const struct edge3 *e = &c->e[i], *r = find(c, e->b, e->a);
        char names[256];
        bool both = r && r->attrs == e->attrs;
        if (both && e->a > e->b)
            continue;
        vm_attrs_format(e->attrs, names, sizeof names);
        put(o, "  %u -> %u [color=%s, class=\"%s\"%s%s];\n", e->a, e->b,
            colour(e->attrs), names, both ? ", dir=both" : "",
            e->attrs & VM_ATTR_GOSSIP && !(e->attrs & VM_ATTR_TREE)
                ? ", style=dashed"
                : "");
    }
    put(o, "}\n");
}

int vm_export(const vm *v, enum vm_format fmt, vm_write_fn write, void *ctx)
{
    struct collect c = {v, NULL, 0, 0, 0};
    struct ids m = {v, NULL, 0, 0};
    struct out o = {write, ctx, 0};
    int rc;

    if (!v || !write || (fmt != VM_FORMAT_JSON && fmt != VM_FORMAT_DOT))
        return VM_EINVAL;
    rc = vm_members_each(v, collect_member, &m);
    if (!rc)
        rc = vm_topology_each(v, collect_edge, &c) ? VM_ENOMEM : VM_OK;
    if (!rc) {
        if (m.n)
            qsort(m.id, m.n, sizeof *m.id, cmp_id);
        if (c.n)
            qsort(c.e, c.n, sizeof *c.e, cmp_edge);
        (fmt == VM_FORMAT_JSON ? json : dot)(&o, v, &m, &c);
        rc = o.rc;
    }
    vm_mem_free(&v->alloc, m.id);
    vm_mem_free(&v->alloc, c.e);
    return rc;
}
