/* xm_stats.c -- stanza and byte counters by kind (see xm_stats.h).
 *
 * Counting sits on the path of every stanza, so a table is a small
 * open-addressing hash (FNV-1a, src/util's ut_index, at most half full)
 * over a dense array of counters.  The kind of a stanza is composed in a
 * stack buffer; only a kind never seen before allocates.  Counters keep
 * their index for life, so a second array of indices, kept sorted by
 * kind on every (rare) insertion, gives the stable walk order without
 * sorting or allocating when the table is read.  Entry 0 is "other",
 * made with the table, which is what lets counting never fail. */
#include "config.h"

#include "xm_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ut_hash.h"
#include "ut_index.h"
#include "ut_ns.h"
#include "ut_search.h"

#define OTHER "other"
#define FIRST_SLOTS 16 /* a power of two */

struct entry {
    char *kind; /* owned */
    uint32_t hash;
    uint64_t stanzas[2], bytes[2];
};

struct xm_stats {
    struct entry *e; /* dense, in insertion order; e[0] is "other" */
    size_t n, cap;
    uint32_t *slot;  /* index + 1 into e, 0 when empty */
    size_t nslot;    /* a power of two, at least 2 * n */
    uint32_t *order; /* indices into e, sorted by kind */
    struct timespec born;
};

struct kind_key {
    const char *kind;
    uint32_t hash;
};

static bool same_kind(const void *ctx, uint32_t i, const void *key)
{
    const struct entry *e = &((const xm_stats *)ctx)->e[i];
    const struct kind_key *k = key;

    return e->hash == k->hash && !strcmp(e->kind, k->kind);
}

static uint64_t kind_hash(const void *ctx, uint32_t i)
{
    return ((const xm_stats *)ctx)->e[i].hash;
}

/* The entry for kind, or -1. */
static long lookup(const xm_stats *s, const char *kind, uint32_t h)
{
    struct kind_key k = {kind, h};
    uint32_t v = s->slot[ut_index_find(s->slot, s->nslot, h, same_kind, s, &k)];

    return v ? (long)v - 1 : -1;
}

static void place(xm_stats *s, uint32_t idx)
{
    ut_index_put(s->slot, s->nslot, s->e[idx].hash, idx);
}

/* Doubles the slot array; -1 when out of memory (the table is intact). */
static int rehash(xm_stats *s)
{
    uint32_t *old = s->slot;
    size_t nold = s->nslot;

    s->slot = calloc(nold * 2, sizeof *s->slot);
    if (!s->slot) {
        s->slot = old;
        return -1;
    }
    s->nslot = nold * 2;
    free(old);
    ut_index_fill(s->slot, s->nslot, (uint32_t)s->n, kind_hash, s);
    return 0;
}

/* Room for one more entry in e and order; -1 when out of memory. */
static int reserve(xm_stats *s)
{
    size_t cap = s->cap ? s->cap * 2 : 8;
    struct entry *e;
    uint32_t *o;

    if (s->n < s->cap)
        return 0;
    if (!(e = realloc(s->e, cap * sizeof *e)))
        return -1;
    s->e = e;
    if (!(o = realloc(s->order, cap * sizeof *o)))
        return -1;
    s->order = o;
    s->cap = cap;
    return 0;
}

struct kind_probe {
    const xm_stats *s;
    const char *kind;
};

static bool kind_below(const void *ctx, size_t i)
{
    const struct kind_probe *p = ctx;
    return strcmp(p->s->e[p->s->order[i]].kind, p->kind) < 0;
}

/* Inserts idx into order, which is sorted by kind. */
static void order_insert(xm_stats *s, uint32_t idx)
{
    struct kind_probe p = {s, s->e[idx].kind};
    /* order holds n - 1 entries so far */
    size_t lo = ut_lower_bound(s->n - 1, kind_below, &p);

    memmove(&s->order[lo + 1], &s->order[lo],
            (s->n - 1 - lo) * sizeof s->order[0]);
    s->order[lo] = idx;
}

/* A new entry for kind; -1 when the table is full or memory runs out. */
static long insert(xm_stats *s, const char *kind, uint32_t h)
{
    char *k;

    if (s->n >= XM_STATS_MAX_KINDS || strlen(kind) > XM_STATS_KIND_MAX)
        return -1;
    if (2 * (s->n + 1) > s->nslot && rehash(s))
        return -1;
    if (reserve(s) || !(k = strdup(kind)))
        return -1;
    s->e[s->n] = (struct entry){.kind = k, .hash = h};
    s->n++;
    place(s, (uint32_t)(s->n - 1));
    order_insert(s, (uint32_t)(s->n - 1));
    return (long)s->n - 1;
}

int xm_stats_new(xm_stats **out)
{
    xm_stats *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return XM_STATS_ENOMEM;
    clock_gettime(CLOCK_MONOTONIC, &s->born);
    s->nslot = FIRST_SLOTS;
    if (!(s->slot = calloc(s->nslot, sizeof *s->slot)) ||
        insert(s, OTHER, ut_fnv1a32_str(OTHER)) != 0) {
        xm_stats_free(s);
        return XM_STATS_ENOMEM;
    }
    *out = s;
    return XM_STATS_OK;
}

void xm_stats_free(xm_stats *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->e[i].kind);
    free(s->e);
    free(s->slot);
    free(s->order);
    free(s);
}

void xm_stats_add(xm_stats *s, const char *kind, enum xm_dir dir,
                  uint64_t stanzas, uint64_t bytes)
{
    uint32_t h;
    long i;

    if (!s || (dir != XM_IN && dir != XM_OUT))
        return;
    h = ut_fnv1a32_str(kind);
    if ((i = lookup(s, kind, h)) < 0 && (i = insert(s, kind, h)) < 0)
        i = 0; /* "other" */
    s->e[i].stanzas[dir] += stanzas;
    s->e[i].bytes[dir] += bytes;
}

static const char *iq_type(const char *t)
{
    static const char *const ok[] = {"get", "set", "result", "error"};

    for (size_t i = 0; t && i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(t, ok[i]))
            return ok[i];
    return "-"; /* missing or invalid: keep the kinds bounded */
}

const char *xm_stats_kind(xmpp_stanza_t *stanza, char *buf, size_t len)
{
    const char *name = stanza ? xmpp_stanza_get_name(stanza) : NULL;
    xmpp_stanza_t *c;
    const char *ns = NULL;
    int n;

    if (!name)
        return OTHER;
    if (!strcmp(name, "presence"))
        return "presence";
    if (!strcmp(name, "message"))
        return "message";
    if (strcmp(name, "iq"))
        return OTHER;
    for (c = xmpp_stanza_get_children(stanza); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c)) {
            ns = xmpp_stanza_get_ns(c);
            break;
        }
    n = snprintf(buf, len, "iq:%s:%s", ns && *ns ? ns : "-",
                 iq_type(xmpp_stanza_get_type(stanza)));
    return n < 0 || (size_t)n >= len ? OTHER : buf;
}

/* The statistics query itself (<iq type='get'|'result'> carrying
 * <stats xmlns=UT_NS_XMUC/>): not counted, so that `orbweb traffic` and
 * other readers do not see their own polling. */
static int is_stats_query(xmpp_stanza_t *stanza)
{
    const char *name = xmpp_stanza_get_name(stanza);
    const char *type = xmpp_stanza_get_type(stanza);
    xmpp_stanza_t *c;

    if (!name || strcmp(name, "iq") || !type ||
        (strcmp(type, "get") && strcmp(type, "result")))
        return 0;
    c = xmpp_stanza_get_child_by_name_and_ns(stanza, "stats", UT_NS_XMUC);
    return c != NULL;
}

void xm_stats_count(xm_stats *s, enum xm_dir dir, xmpp_stanza_t *stanza,
                    size_t bytes)
{
    char buf[XM_STATS_KIND_MAX + 1];

    if (stanza && is_stats_query(stanza))
        return;
    xm_stats_add(s, xm_stats_kind(stanza, buf, sizeof buf), dir, 1, bytes);
}

static struct xm_counter counter_of(const struct entry *e)
{
    return (struct xm_counter){
        e->kind, {e->stanzas[0], e->stanzas[1]}, {e->bytes[0], e->bytes[1]}};
}

int xm_stats_get(const xm_stats *s, const char *kind, struct xm_counter *out)
{
    long i = lookup(s, kind, ut_fnv1a32_str(kind));

    *out = (struct xm_counter){0};
    if (i < 0)
        return -1;
    *out = counter_of(&s->e[i]);
    return 0;
}

struct xm_counter xm_stats_total(const xm_stats *s)
{
    struct xm_counter t = {.kind = "total"};

    for (size_t i = 0; i < s->n; i++)
        for (int d = 0; d < 2; d++) {
            t.stanzas[d] += s->e[i].stanzas[d];
            t.bytes[d] += s->e[i].bytes[d];
        }
    return t;
}

static int is_zero(const struct entry *e)
{
    return !(e->stanzas[0] | e->stanzas[1] | e->bytes[0] | e->bytes[1]);
}

int xm_stats_each(const xm_stats *s,
                  int (*fn)(void *ctx, const struct xm_counter *c), void *ctx)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct entry *e = &s->e[s->order[i]];
        struct xm_counter c;
        int rc;
        if (is_zero(e))
            continue; /* "other" until used; kinds added with nothing */
        c = counter_of(e);
        if ((rc = fn(ctx, &c)))
            return rc;
    }
    return 0;
}

double xm_stats_age(const xm_stats *s)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->born.tv_sec) +
           (double)(now.tv_nsec - s->born.tv_nsec) / 1e9;
}

/* ---- The <stats/> payload ---------------------------------------- */

static const char *const attr_names[2][2] = {{"in-stanzas", "in-bytes"},
                                             {"out-stanzas", "out-bytes"}};

static int set_u64(xmpp_stanza_t *el, const char *name, uint64_t v)
{
    char num[24];

    snprintf(num, sizeof num, "%" PRIu64, v);
    return xmpp_stanza_set_attribute(el, name, num) == XMPP_EOK ? 0 : -1;
}

/* Appends <name kind=.. in-stanzas=.. .../> to parent; -1 on no memory. */
static int add_counter(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                       const struct xm_counter *c)
{
    xmpp_stanza_t *el = xmpp_stanza_new(ctx);
    int rc = el ? 0 : -1;

    if (!rc)
        rc = xmpp_stanza_set_name(el, name) == XMPP_EOK ? 0 : -1;
    if (!rc && c->kind && strcmp(name, "total"))
        rc =
            xmpp_stanza_set_attribute(el, "kind", c->kind) == XMPP_EOK ? 0 : -1;
    for (int d = 0; !rc && d < 2; d++)
        rc = set_u64(el, attr_names[d][0], c->stanzas[d]) ||
             set_u64(el, attr_names[d][1], c->bytes[d]);
    if (!rc)
        rc = xmpp_stanza_add_child(parent, el) == XMPP_EOK ? 0 : -1;
    if (el)
        xmpp_stanza_release(el); /* the parent holds it now */
    return rc;
}

struct build {
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *root;
};

static int add_one(void *ctx, const struct xm_counter *c)
{
    struct build *b = ctx;
    return add_counter(b->ctx, b->root, "counter", c);
}

xmpp_stanza_t *xm_stats_to_stanza(const xm_stats *s, xmpp_ctx_t *ctx)
{
    struct build b = {ctx, xmpp_stanza_new(ctx)};
    struct xm_counter total = xm_stats_total(s);
    char age[32];
    int rc = b.root ? 0 : -1;

    snprintf(age, sizeof age, "%.3f", xm_stats_age(s));
    if (!rc)
        rc = xmpp_stanza_set_name(b.root, "stats") ||
             xmpp_stanza_set_ns(b.root, UT_NS_XMUC) ||
             xmpp_stanza_set_attribute(b.root, "age", age);
    if (!rc)
        rc = xm_stats_each(s, add_one, &b);
    if (!rc)
        rc = add_counter(ctx, b.root, "total", &total);
    if (rc && b.root) {
        xmpp_stanza_release(b.root);
        return NULL;
    }
    return b.root;
}

const char *xm_stats_strerror(int code)
{
    switch (code) {
    case XM_STATS_OK: return "success";
    case XM_STATS_ENOMEM: return "out of memory";
    case XM_STATS_EPARSE: return "malformed statistics";
    default: return "unknown error";
    }
}

/* A decimal without sign, spaces or overflow; -1 otherwise. */
static int parse_u64(const char *text, uint64_t *v)
{
    char *end;
    unsigned long long x;

    if (!text || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    x = strtoull(text, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

static int parse_age(const char *text, double *age)
{
    char *end;
    double a;

    if (!text || !*text)
        return -1;
    errno = 0;
    a = strtod(text, &end);
    if (errno || *end || !(a >= 0 && a < 1e12)) /* also refuses NaN */
        return -1;
    *age = a;
    return 0;
}

/* Reads one <counter/> into s; XM_STATS_* code. */
static int parse_counter(xm_stats *s, xmpp_stanza_t *el)
{
    const char *kind = xmpp_stanza_get_attribute(el, "kind");
    uint64_t v[2][2];
    long i;

    if (!kind || !*kind || strlen(kind) > XM_STATS_KIND_MAX)
        return XM_STATS_EPARSE;
    i = lookup(s, kind, ut_fnv1a32_str(kind));
    if (i > 0 || (i == 0 && !is_zero(&s->e[0])))
        return XM_STATS_EPARSE; /* a kind twice */
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < 2; k++)
            if (parse_u64(xmpp_stanza_get_attribute(el, attr_names[d][k]),
                          &v[d][k]))
                return XM_STATS_EPARSE;
    if (i < 0 && (i = insert(s, kind, ut_fnv1a32_str(kind))) < 0)
        return s->n >= XM_STATS_MAX_KINDS ? XM_STATS_EPARSE : XM_STATS_ENOMEM;
    for (int d = 0; d < 2; d++) {
        s->e[i].stanzas[d] = v[d][0];
        s->e[i].bytes[d] = v[d][1];
    }
    return XM_STATS_OK;
}

int xm_stats_parse(xmpp_stanza_t *stats, xm_stats **out, double *age)
{
    const char *name = stats ? xmpp_stanza_get_name(stats) : NULL;
    const char *ns = stats ? xmpp_stanza_get_ns(stats) : NULL;
    double a;
    int rc = XM_STATS_OK;
    xm_stats *s;

    *out = NULL;
    if (!name || strcmp(name, "stats") || !ns || strcmp(ns, UT_NS_XMUC) ||
        parse_age(xmpp_stanza_get_attribute(stats, "age"), &a))
        return XM_STATS_EPARSE;
    if (xm_stats_new(&s) != XM_STATS_OK)
        return XM_STATS_ENOMEM;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stats); c && !rc;
         c = xmpp_stanza_get_next(c)) {
        const char *cn = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
        if (cn && !strcmp(cn, "counter"))
            rc = parse_counter(s, c);
    }
    if (rc) {
        xm_stats_free(s);
        return rc;
    }
    if (age)
        *age = a;
    *out = s;
    return XM_STATS_OK;
}
