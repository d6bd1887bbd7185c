/* topo_around.c -- cli_topo_around (topo.h): the neighbourhood of one
 * member, by breadth-first search over the view graph taken both ways,
 * cut out of a topology with its nicks, keys and segments. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

/* The graph as adjacency lists over member indices (CSR). */
struct adj {
    uint32_t *ids; /* sorted member ids */
    size_t n;
    size_t *off; /* n + 1 */
    size_t *to;  /* member indices */
};

/* The index of id among the members, or n. */
static size_t index_of(const struct adj *g, uint32_t id)
{
    const uint32_t *p =
        g->n ? bsearch(&id, g->ids, g->n, sizeof id, cli_topo_cmp_u32) : NULL;
    return p ? (size_t)(p - g->ids) : g->n;
}

static void adj_free(struct adj *g)
{
    free(g->ids);
    free(g->off);
    free(g->to);
}

/* Each edge between two members, as a link both ways. */
static int adj_build(const struct cli_topo *t, struct adj *g)
{
    size_t *fill;

    memset(g, 0, sizeof *g);
    g->n = t->nmembers;
    g->ids = malloc((g->n + 1) * sizeof *g->ids);
    g->off = calloc(g->n + 2, sizeof *g->off);
    g->to = malloc((2 * t->nedges + 1) * sizeof *g->to);
    fill = calloc(g->n + 1, sizeof *fill);
    if (!g->ids || !g->off || !g->to || !fill) {
        free(fill);
        adj_free(g);
        return CLI_TOPO_ENOMEM;
    }
    if (g->n)
        memcpy(g->ids, t->members, g->n * sizeof *g->ids);
    qsort(g->ids, g->n, sizeof *g->ids, cli_topo_cmp_u32);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->nedges; i++) {
            size_t a = index_of(g, t->edges[i].from),
                   b = index_of(g, t->edges[i].to);
            if (a == g->n || b == g->n)
                continue;
            if (pass == 0) {
                g->off[a + 1]++;
                g->off[b + 1]++;
            } else {
                g->to[g->off[a] + fill[a]++] = b;
                g->to[g->off[b] + fill[b]++] = a;
            }
        }
        for (size_t i = 0; pass == 0 && i < g->n; i++)
            g->off[i + 1] += g->off[i];
    }
    free(fill);
    return 0;
}

/* in[i]: member i is at most depth hops from start. */
static int bfs(const struct adj *g, size_t start, unsigned depth, bool *in)
{
    size_t *queue = malloc((g->n + 1) * sizeof *queue), head = 0, tail = 0;
    unsigned *dist = calloc(g->n + 1, sizeof *dist);

    if (!queue || !dist) {
        free(queue);
        free(dist);
        return CLI_TOPO_ENOMEM;
    }
    in[start] = true;
    queue[tail++] = start;
    while (head < tail) {
        size_t x = queue[head++];
        if (dist[x] == depth)
            continue;
        for (size_t k = g->off[x]; k < g->off[x + 1]; k++)
            if (!in[g->to[k]]) {
                in[g->to[k]] = true;
                dist[g->to[k]] = dist[x] + 1;
                queue[tail++] = g->to[k];
            }
    }
    free(queue);
    free(dist);
    return 0;
}

static bool kept(const struct adj *g, const bool *in, uint32_t id)
{
    size_t i = index_of(g, id);
    return i < g->n && in[i];
}

/* Copies the entries of src whose id is kept (strings duplicated). */
static int copy_named(const struct adj *g, const bool *in,
                      const struct cli_topo_nick *src, size_t n,
                      struct cli_topo_nick **dst, size_t *dn)
{
    if (!(*dst = calloc(n + 1, sizeof **dst)))
        return CLI_TOPO_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!kept(g, in, src[i].id))
            continue;
        (*dst)[*dn].id = src[i].id;
        if (!((*dst)[*dn].nick = strdup(src[i].nick)))
            return CLI_TOPO_ENOMEM;
        (*dn)++;
    }
    return 0;
}

/* Copies what the kept members own from t into out. */
static int cut(const struct cli_topo *t, const struct adj *g, const bool *in,
               struct cli_topo *o)
{
    o->members = calloc(t->nmembers + 1, sizeof *o->members);
    o->edges = calloc(t->nedges + 1, sizeof *o->edges);
    o->segs = calloc(t->nsegs + 1, sizeof *o->segs);
    if (!o->members || !o->edges || !o->segs ||
        (t->manager && !(o->manager = strdup(t->manager))))
        return CLI_TOPO_ENOMEM;
    for (size_t i = 0; i < t->nmembers; i++)
        if (kept(g, in, t->members[i]))
            o->members[o->nmembers++] = t->members[i];
    for (size_t i = 0; i < t->nedges; i++) {
        const struct cli_topo_edge *e = &t->edges[i];
        if (!kept(g, in, e->from) || !kept(g, in, e->to))
            continue;
        o->edges[o->nedges] = (struct cli_topo_edge){e->from, e->to, NULL};
        if (!(o->edges[o->nedges].attrs = strdup(e->attrs)))
            return CLI_TOPO_ENOMEM;
        o->nedges++;
    }
    for (size_t i = 0; i < t->nsegs; i++)
        if (kept(g, in, t->segs[i].id))
            o->segs[o->nsegs++] = t->segs[i];
    if (copy_named(g, in, t->nicks, t->nnicks, &o->nicks, &o->nnicks) ||
        copy_named(g, in, t->keys, t->nkeys, &o->keys, &o->nkeys))
        return CLI_TOPO_ENOMEM;
    return 0;
}

int cli_topo_around(const struct cli_topo *t, uint32_t center, unsigned depth,
                    struct cli_topo *out)
{
    struct adj g;
    bool *in = NULL;
    size_t start;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = adj_build(t, &g)))
        return rc;
    if ((start = index_of(&g, center)) == g.n)
        rc = CLI_TOPO_ESHAPE;
    else if (!(in = calloc(g.n, sizeof *in)))
        rc = CLI_TOPO_ENOMEM;
    else if (!(rc = bfs(&g, start, depth, in)))
        rc = cut(t, &g, in, out);
    free(in);
    adj_free(&g);
    if (rc)
        cli_topo_clear(out);
    out->center = center;
    out->has_center = !rc;
    return rc;
}
