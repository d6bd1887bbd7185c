/* topo.c -- reads a room's topology JSON and writes it as text or DOT
 * (see topo.h).
 *
 * The reader is a recursive descent over bytes that knows exactly one
 * shape; every value it does not want is skipped by the same bounded
 * grammar, so an unknown key costs nothing but cannot hide bad JSON
 * either.  The first error sticks, with its offset, and everything read
 * so far is freed. */
#include "config.h"

#include "topo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ut_search.h"

struct rd {
    const char *start, *p, *end;
    int depth, err;
};

static int skip_value(struct rd *r);

static int fail(struct rd *r, int err)
{
    if (!r->err)
        r->err = err;
    return -1;
}

static void skip_ws(struct rd *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* Consumes c after optional whitespace; -1 (syntax error) if absent. */
static int expect(struct rd *r, char c)
{
    skip_ws(r);
    if (r->p >= r->end || *r->p != c)
        return fail(r, CLI_TOPO_ESYNTAX);
    r->p++;
    return 0;
}

/* Consumes c after optional whitespace if it is next; true if so. */
static bool accept(struct rd *r, char c)
{
    skip_ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    return false;
}

/* ---- Strings ------------------------------------------------------ */

struct str {
    char *b;
    size_t n, cap;
};

static int put_byte(struct rd *r, struct str *s, unsigned char c)
{
    if (!s)
        return 0;
    if (s->n + 1 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        char *b;
        if (s->n >= CLI_TOPO_MAX_STRING)
            return fail(r, CLI_TOPO_ELIMIT);
        if (!(b = realloc(s->b, cap)))
            return fail(r, CLI_TOPO_ENOMEM);
        s->b = b;
        s->cap = cap;
    }
    s->b[s->n++] = (char)c;
    s->b[s->n] = 0;
    return 0;
}

static int put_utf8(struct rd *r, struct str *s, uint32_t cp)
{
    if (cp < 0x80)
        return put_byte(r, s, (unsigned char)cp);
    if (cp < 0x800)
        return put_byte(r, s, (unsigned char)(0xc0 | cp >> 6)) ||
               put_byte(r, s, (unsigned char)(0x80 | (cp & 0x3f)));
    if (cp < 0x10000)
        return put_byte(r, s, (unsigned char)(0xe0 | cp >> 12)) ||
               put_byte(r, s, (unsigned char)(0x80 | (cp >> 6 & 0x3f))) ||
               put_byte(r, s, (unsigned char)(0x80 | (cp & 0x3f)));
    return put_byte(r, s, (unsigned char)(0xf0 | cp >> 18)) ||
           put_byte(r, s, (unsigned char)(0x80 | (cp >> 12 & 0x3f))) ||
           put_byte(r, s, (unsigned char)(0x80 | (cp >> 6 & 0x3f))) ||
           put_byte(r, s, (unsigned char)(0x80 | (cp & 0x3f)));
}

static int hex4(struct rd *r, uint32_t *v)
{
    *v = 0;
    if (r->end - r->p < 4)
        return fail(r, CLI_TOPO_ESYNTAX);
    for (int i = 0; i < 4; i++) {
        char c = *r->p++;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return fail(r, CLI_TOPO_ESYNTAX);
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* After a backslash and 'u': one code point, joining surrogate pairs.
 * NUL and lone surrogates are refused (they have no place in a nick). */
static int unicode_escape(struct rd *r, struct str *s)
{
    uint32_t cp, lo;

    if (hex4(r, &cp))
        return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail(r, CLI_TOPO_ESYNTAX);
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return fail(r, CLI_TOPO_ESYNTAX);
        r->p += 2;
        if (hex4(r, &lo))
            return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(r, CLI_TOPO_ESYNTAX);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (cp == 0)
        return fail(r, CLI_TOPO_ESHAPE);
    return put_utf8(r, s, cp);
}

static int escape(struct rd *r, struct str *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k;

    if (r->p >= r->end)
        return fail(r, CLI_TOPO_ESYNTAX);
    if (*r->p == 'u') {
        r->p++;
        return unicode_escape(r, s);
    }
    if (!(k = memchr(from, *r->p, sizeof from - 1)))
        return fail(r, CLI_TOPO_ESYNTAX);
    r->p++;
    return put_byte(r, s, (unsigned char)to[k - from]);
}

/* A string; into *out (owned, NUL-terminated) when out is not NULL.
 * Bytes are copied as they are (the XML layer below already refused
 * invalid UTF-8); raw control characters are refused as JSON says. */
static int read_string(struct rd *r, char **out)
{
    struct str s = {0}, *sp = out ? &s : NULL;
    size_t skipped = 0;

    if (expect(r, '"'))
        return -1;
    if (sp && put_byte(r, sp, 0) == 0)
        s.n = 0; /* allocates "": an empty string is still a string */
    while (!r->err) {
        unsigned char c;
        if (r->p >= r->end) {
            fail(r, CLI_TOPO_ESYNTAX);
            break;
        }
        c = (unsigned char)*r->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            fail(r, CLI_TOPO_ESYNTAX);
        else if (c == '\\')
            escape(r, sp);
        else if (!sp && ++skipped > CLI_TOPO_MAX_STRING)
            fail(r, CLI_TOPO_ELIMIT);
        else
            put_byte(r, sp, c);
    }
    if (r->err) {
        free(s.b);
        return -1;
    }
    if (out)
        *out = s.b;
    return 0;
}

/* ---- Numbers and other values ------------------------------------- */

static bool is_digit(const struct rd *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

/* A JSON number of any form, skipped. */
static int skip_number(struct rd *r)
{
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (!is_digit(r))
        return fail(r, CLI_TOPO_ESYNTAX);
    if (*r->p == '0')
        r->p++;
    else
        while (is_digit(r))
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!is_digit(r))
            return fail(r, CLI_TOPO_ESYNTAX);
        while (is_digit(r))
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!is_digit(r))
            return fail(r, CLI_TOPO_ESYNTAX);
        while (is_digit(r))
            r->p++;
    }
    return 0;
}

/* A decimal in 0..UINT32_MAX, from text of n bytes; -1 otherwise. */
static int u32_of(const char *text, size_t n, uint32_t *v)
{
    uint64_t x = 0;

    if (n == 0 || n > 10 || (n > 1 && text[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(text[i] - '0');
    }
    if (x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* A member id: a JSON number that is a 32-bit unsigned integer. */
static int read_id(struct rd *r, uint32_t *v)
{
    const char *begin;

    skip_ws(r);
    begin = r->p;
    if (r->p < r->end && *r->p != '-' && !is_digit(r))
        return skip_value(r) ? -1 : fail(r, CLI_TOPO_ESHAPE);
    if (skip_number(r))
        return -1;
    if (u32_of(begin, (size_t)(r->p - begin), v)) {
        r->p = begin;
        return fail(r, CLI_TOPO_ESHAPE);
    }
    return 0;
}

static int literal(struct rd *r, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
        return fail(r, CLI_TOPO_ESYNTAX);
    r->p += n;
    return 0;
}

/* Calls item(r, ctx) for each element of an array; depth-bounded. */
static int each_item(struct rd *r, int (*item)(struct rd *, void *), void *ctx)
{
    if (expect(r, '['))
        return -1;
    if (++r->depth > CLI_TOPO_MAX_DEPTH)
        return fail(r, CLI_TOPO_ELIMIT);
    if (!accept(r, ']')) {
        do {
            if (item(r, ctx))
                return -1;
        } while (accept(r, ','));
        if (expect(r, ']'))
            return -1;
    }
    r->depth--;
    return 0;
}

/* Calls member(r, key, ctx) for each key of an object, with the reader
 * on the value, which member must consume. */
static int each_member(struct rd *r,
                       int (*member)(struct rd *, const char *, void *),
                       void *ctx)
{
    char *key = NULL;
    int rc = 0;

    if (expect(r, '{'))
        return -1;
    if (++r->depth > CLI_TOPO_MAX_DEPTH)
        return fail(r, CLI_TOPO_ELIMIT);
    if (accept(r, '}')) {
        r->depth--;
        return 0;
    }
    do {
        if (read_string(r, &key) || expect(r, ':'))
            rc = -1;
        else
            rc = member(r, key, ctx);
        free(key);
        key = NULL;
    } while (!rc && accept(r, ','));
    if (rc || expect(r, '}'))
        return -1;
    r->depth--;
    return 0;
}

static int skip_item(struct rd *r, void *ctx)
{
    (void)ctx;
    return skip_value(r);
}

static int skip_member(struct rd *r, const char *key, void *ctx)
{
    (void)key, (void)ctx;
    return skip_value(r);
}

static int skip_value(struct rd *r)
{
    skip_ws(r);
    if (r->p >= r->end)
        return fail(r, CLI_TOPO_ESYNTAX);
    switch (*r->p) {
    case '{': return each_member(r, skip_member, NULL);
    case '[': return each_item(r, skip_item, NULL);
    case '"': return read_string(r, NULL);
    case 't': return literal(r, "true");
    case 'f': return literal(r, "false");
    case 'n': return literal(r, "null");
    default: return skip_number(r);
    }
}

/* ---- The topology's shape ----------------------------------------- */

/* Room for one more item of size sz in *arr holding n of *cap. */
static int grow(struct rd *r, void **arr, size_t sz, size_t n, size_t *cap)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return 0;
    if (n >= CLI_TOPO_MAX_ITEMS)
        return fail(r, CLI_TOPO_ELIMIT);
    ncap = *cap ? *cap * 2 : 16;
    if (!(p = realloc(*arr, ncap * sz)))
        return fail(r, CLI_TOPO_ENOMEM);
    *arr = p;
    *cap = ncap;
    return 0;
}

struct build {
    struct cli_topo *t;
    size_t cap_members, cap_edges, cap_nicks, cap_keys, cap_segs;
    struct cli_topo_edge edge; /* the edge being read */
    bool has_from, has_to;
    struct str attrs;
};

static int member_id(struct rd *r, void *ctx)
{
    struct build *b = ctx;
    struct cli_topo *t = b->t;

    if (grow(r, (void **)&t->members, sizeof *t->members, t->nmembers,
             &b->cap_members))
        return -1;
    return read_id(r, &t->members[t->nmembers++]);
}

static int edge_attr(struct rd *r, void *ctx)
{
    struct build *b = ctx;
    char *name = NULL;
    int rc;

    skip_ws(r);
    if (r->p < r->end && *r->p != '"')
        return fail(r, CLI_TOPO_ESHAPE);
    if (read_string(r, &name))
        return -1;
    rc = b->attrs.n ? put_byte(r, &b->attrs, ',') : 0;
    for (const char *c = name; !rc && *c; c++)
        rc = put_byte(r, &b->attrs, (unsigned char)*c);
    free(name);
    return rc;
}

static int edge_key(struct rd *r, const char *key, void *ctx)
{
    struct build *b = ctx;

    if (!strcmp(key, "from")) {
        b->has_from = true;
        return read_id(r, &b->edge.from);
    }
    if (!strcmp(key, "to")) {
        b->has_to = true;
        return read_id(r, &b->edge.to);
    }
    if (!strcmp(key, "attrs")) {
        b->attrs.n = 0;
        if (b->attrs.b)
            b->attrs.b[0] = 0;
        return each_item(r, edge_attr, b);
    }
    return skip_value(r);
}

static int edge(struct rd *r, void *ctx)
{
    struct build *b = ctx;
    struct cli_topo *t = b->t;

    b->has_from = b->has_to = false;
    b->attrs.n = 0;
    if (b->attrs.b)
        b->attrs.b[0] = 0;
    skip_ws(r);
    if (r->p < r->end && *r->p != '{')
        return fail(r, CLI_TOPO_ESHAPE);
    if (each_member(r, edge_key, b))
        return -1;
    if (!b->has_from || !b->has_to)
        return fail(r, CLI_TOPO_ESHAPE);
    if (grow(r, (void **)&t->edges, sizeof *t->edges, t->nedges, &b->cap_edges))
        return -1;
    b->edge.attrs = b->attrs.b ? b->attrs.b : strdup("");
    if (!b->edge.attrs)
        return fail(r, CLI_TOPO_ENOMEM);
    b->attrs = (struct str){0}; /* the edge owns it now */
    t->edges[t->nedges++] = b->edge;
    return 0;
}

/* One "id":"string" of nicks or keys into *arr. */
static int id_string(struct rd *r, const char *key, struct cli_topo_nick **arr,
                     size_t *n, size_t *cap)
{
    struct cli_topo_nick *e;

    if (grow(r, (void **)arr, sizeof **arr, *n, cap))
        return -1;
    e = &(*arr)[*n];
    if (u32_of(key, strlen(key), &e->id))
        return fail(r, CLI_TOPO_ESHAPE);
    skip_ws(r);
    if (r->p < r->end && *r->p != '"')
        return fail(r, CLI_TOPO_ESHAPE);
    if (read_string(r, &e->nick))
        return -1;
    (*n)++;
    return 0;
}

static int nick(struct rd *r, const char *key, void *ctx)
{
    struct build *b = ctx;
    return id_string(r, key, &b->t->nicks, &b->t->nnicks, &b->cap_nicks);
}

static int member_key(struct rd *r, const char *key, void *ctx)
{
    struct build *b = ctx;
    return id_string(r, key, &b->t->keys, &b->t->nkeys, &b->cap_keys);
}

static int segment(struct rd *r, const char *key, void *ctx)
{
    struct build *b = ctx;
    struct cli_topo *t = b->t;
    struct cli_topo_seg *e;

    if (grow(r, (void **)&t->segs, sizeof *t->segs, t->nsegs, &b->cap_segs))
        return -1;
    e = &t->segs[t->nsegs];
    if (u32_of(key, strlen(key), &e->id))
        return fail(r, CLI_TOPO_ESHAPE);
    if (read_id(r, &e->segment))
        return -1;
    t->nsegs++;
    return 0;
}

/* An object value of the top level, each member through fn. */
static int object_of(struct rd *r, struct build *b,
                     int (*fn)(struct rd *, const char *, void *))
{
    skip_ws(r);
    if (r->p < r->end && *r->p != '{')
        return fail(r, CLI_TOPO_ESHAPE);
    return each_member(r, fn, b);
}

static int top_key(struct rd *r, const char *key, void *ctx)
{
    struct build *b = ctx;

    if (!strcmp(key, "manager")) {
        free(b->t->manager);
        b->t->manager = NULL;
        skip_ws(r);
        if (r->p < r->end && *r->p != '"')
            return fail(r, CLI_TOPO_ESHAPE);
        return read_string(r, &b->t->manager);
    }
    if (!strcmp(key, "members") || !strcmp(key, "edges")) {
        skip_ws(r);
        if (r->p < r->end && *r->p != '[')
            return fail(r, CLI_TOPO_ESHAPE);
        return each_item(r, key[0] == 'm' ? member_id : edge, b);
    }
    if (!strcmp(key, "nicks"))
        return object_of(r, b, nick);
    if (!strcmp(key, "keys"))
        return object_of(r, b, member_key);
    if (!strcmp(key, "segments"))
        return object_of(r, b, segment);
    return skip_value(r);
}

static int cmp_edge(const void *x, const void *y)
{
    const struct cli_topo_edge *a = x, *b = y;

    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return a->to < b->to ? -1 : a->to > b->to;
}

static int cmp_nick(const void *x, const void *y)
{
    const struct cli_topo_nick *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

int cli_topo_cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_seg(const void *x, const void *y)
{
    const struct cli_topo_seg *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

int cli_topo_parse(const char *json, size_t len, struct cli_topo *t,
                   size_t *offset)
{
    struct rd r = {json, json, json + len, 0, 0};
    struct build b = {.t = t};

    memset(t, 0, sizeof *t);
    skip_ws(&r);
    if (r.p < r.end && *r.p != '{')
        fail(&r, CLI_TOPO_ESHAPE);
    else if (!each_member(&r, top_key, &b)) {
        skip_ws(&r);
        if (r.p != r.end)
            fail(&r, CLI_TOPO_ESYNTAX);
    }
    free(b.attrs.b);
    if (offset)
        *offset = (size_t)(r.p - r.start);
    if (r.err) {
        cli_topo_clear(t);
        return r.err;
    }
    if (t->nedges)
        qsort(t->edges, t->nedges, sizeof *t->edges, cmp_edge);
    if (t->nnicks)
        qsort(t->nicks, t->nnicks, sizeof *t->nicks, cmp_nick);
    if (t->nkeys)
        qsort(t->keys, t->nkeys, sizeof *t->keys, cmp_nick);
    if (t->nsegs)
        qsort(t->segs, t->nsegs, sizeof *t->segs, cmp_seg);
    return CLI_TOPO_OK;
}

void cli_topo_clear(struct cli_topo *t)
{
    free(t->manager);
    free(t->members);
    for (size_t i = 0; i < t->nedges; i++)
        free(t->edges[i].attrs);
    free(t->edges);
    for (size_t i = 0; i < t->nnicks; i++)
        free(t->nicks[i].nick);
    free(t->nicks);
    for (size_t i = 0; i < t->nkeys; i++)
        free(t->keys[i].nick);
    free(t->keys);
    free(t->segs);
    memset(t, 0, sizeof *t);
}

const char *cli_topo_strerror(int code)
{
    switch (code) {
    case CLI_TOPO_OK: return "success";
    case CLI_TOPO_ENOMEM: return "out of memory";
    case CLI_TOPO_ESYNTAX: return "not valid JSON";
    case CLI_TOPO_ESHAPE: return "JSON, but not a room topology";
    case CLI_TOPO_ELIMIT: return "too deep, too long or too many items";
    default: return "unknown error";
    }
}

static const char *id_lookup(const struct cli_topo_nick *arr, size_t n,
                             uint32_t id)
{
    struct cli_topo_nick key = {id, NULL}, *e;

    if (!n)
        return NULL;
    e = bsearch(&key, arr, n, sizeof key, cmp_nick);
    return e ? e->nick : NULL;
}

const char *cli_topo_nick(const struct cli_topo *t, uint32_t id)
{
    return id_lookup(t->nicks, t->nnicks, id);
}

const char *cli_topo_key(const struct cli_topo *t, uint32_t id)
{
    return id_lookup(t->keys, t->nkeys, id);
}

int cli_topo_segment(const struct cli_topo *t, uint32_t id, uint32_t *seg)
{
    struct cli_topo_seg key = {id, 0}, *e;

    if (!t->nsegs ||
        !(e = bsearch(&key, t->segs, t->nsegs, sizeof key, cmp_seg)))
        return -1;
    *seg = e->segment;
    return 0;
}

int cli_topo_find(const struct cli_topo *t, const char *nick, uint32_t *id)
{
    for (size_t i = 0; i < t->nnicks; i++)
        if (!strcmp(t->nicks[i].nick, nick)) {
            *id = t->nicks[i].id;
            return 0;
        }
    return -1;
}

/* ---- Writers ------------------------------------------------------ */

/* Writes s with control characters as '?' (they could drive the
 * terminal); in DOT mode also escapes " and \ for a quoted string. */
static void put_clean(const char *s, bool dot, FILE *f)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            putc('?', f);
        else if (dot && (c == '"' || c == '\\'))
            fprintf(f, "\\%c", c);
        else
            putc(c, f);
    }
}

/* The nick of id, or #id when the topology names none. */
static void put_name(const struct cli_topo *t, uint32_t id, bool dot, FILE *f)
{
    const char *n = cli_topo_nick(t, id);

    if (n)
        put_clean(n, dot, f);
    else
        fprintf(f, "#%u", id);
}

/* The first edge from id, or nedges. */
static size_t first_from(const struct cli_topo *t, uint32_t id)
{
    return ut_lower_bound_u32(t->edges, t->nedges, sizeof *t->edges,
                              offsetof(struct cli_topo_edge, from), id);
}

/* A member or an edge's target, sorted by nick (unnamed last), then id. */
struct named {
    const char *nick;
    uint32_t id;
    size_t i; /* edge index */
};

static int cmp_named(const void *x, const void *y)
{
    const struct named *a = x, *b = y;

    if (a->nick && b->nick) {
        int c = strcmp(a->nick, b->nick);
        if (c)
            return c;
    } else if (a->nick || b->nick)
        return a->nick ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* " [segment 3, key 9f3a1c2e]" when the member has either. */
static void put_notes(const struct cli_topo *t, uint32_t id, FILE *f)
{
    const char *key = cli_topo_key(t, id);
    uint32_t seg;
    bool has_seg = cli_topo_segment(t, id, &seg) == 0;
    char shortkey[9];

    if (!key && !has_seg)
        return;
    fputs(" [", f);
    if (has_seg)
        fprintf(f, "segment %u%s", seg, key ? ", " : "");
    if (key) {
        snprintf(shortkey, sizeof shortkey, "%s", key);
        fputs("key ", f);
        put_clean(shortkey, false, f);
    }
    putc(']', f);
}

/* One member's line; e has room for all its edges. */
static void text_line(const struct cli_topo *t, uint32_t id, struct named *e,
                      FILE *f)
{
    size_t n = 0;

    for (size_t i = first_from(t, id); i < t->nedges && t->edges[i].from == id;
         i++)
        e[n++] =
            (struct named){cli_topo_nick(t, t->edges[i].to), t->edges[i].to, i};
    if (n)
        qsort(e, n, sizeof *e, cmp_named);
    put_name(t, id, false, f);
    put_notes(t, id, f);
    fputs(" ->", f);
    for (size_t k = 0; k < n; k++) {
        fputs(k ? ", " : " ", f);
        put_name(t, e[k].id, false, f);
        putc('(', f);
        put_clean(t->edges[e[k].i].attrs, false, f);
        putc(')', f);
    }
    putc('\n', f);
}

int cli_topo_write_text(const struct cli_topo *t, FILE *f)
{
    struct named *m = calloc(t->nmembers + 1, sizeof *m);
    struct named *e = calloc(t->nedges + 1, sizeof *e);

    if (!m || !e) {
        free(m);
        free(e);
        return CLI_TOPO_ENOMEM;
    }
    for (size_t i = 0; i < t->nmembers; i++)
        m[i] =
            (struct named){cli_topo_nick(t, t->members[i]), t->members[i], i};
    if (t->nmembers)
        qsort(m, t->nmembers, sizeof *m, cmp_named);
    for (size_t i = 0; i < t->nmembers; i++)
        text_line(t, m[i].id, e, f);
    free(m);
    free(e);
    return ferror(f) ? -1 : 0;
}

int cli_topo_has_attr(const char *attrs, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = attrs; (p = strstr(p, name)); p += n)
        if ((p == attrs || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return true;
    return false;
}

/* The colours of src/views/vm_export.c, by the dominant attribute. */
static const char *colour(const char *attrs)
{
    if (cli_topo_has_attr(attrs, "ring-next") ||
        cli_topo_has_attr(attrs, "ring-prev"))
        return "firebrick";
    if (cli_topo_has_attr(attrs, "tree"))
        return "black";
    if (cli_topo_has_attr(attrs, "gossip"))
        return "royalblue";
    if (cli_topo_has_attr(attrs, "leader"))
        return "darkorange";
    if (cli_topo_has_attr(attrs, "member"))
        return "gray40";
    return "darkgreen";
}

static const struct cli_topo_edge *find_edge(const struct cli_topo *t,
                                             uint32_t from, uint32_t to)
{
    struct cli_topo_edge key = {from, to, NULL};

    if (!t->nedges)
        return NULL;
    return bsearch(&key, t->edges, t->nedges, sizeof key, cmp_edge);
}

static void put_quoted(const char *s, FILE *f)
{
    putc('"', f);
    put_clean(s, true, f);
    putc('"', f);
}

static void dot_edge(const struct cli_topo *t, const struct cli_topo_edge *e,
                     FILE *f)
{
    const struct cli_topo_edge *r = find_edge(t, e->to, e->from);
    bool both = r && r != e && !strcmp(r->attrs, e->attrs);

    if (both && e->from > e->to)
        return; /* drawn with its twin */
    fprintf(f, "  n%u -> n%u [label=", e->from, e->to);
    put_quoted(e->attrs, f);
    fprintf(f, ", color=%s, fontcolor=%s%s%s];\n", colour(e->attrs),
            colour(e->attrs), both ? ", dir=both" : "",
            cli_topo_has_attr(e->attrs, "gossip") &&
                    !cli_topo_has_attr(e->attrs, "tree")
                ? ", style=dashed"
                : "");
}

int cli_topo_write_dot(const struct cli_topo *t, const char *title, FILE *f)
{
    char label[512];

    snprintf(label, sizeof label, "%s (%s, %zu members)", title ? title : "",
             t->manager ? t->manager : "?", t->nmembers);
    fputs("digraph room {\n  label=", f);
    put_quoted(label, f);
    fputs(";\n  labelloc=t;\n  node [shape=ellipse, fontsize=10];\n"
          "  edge [arrowsize=0.6, fontsize=8];\n",
          f);
    for (size_t m = 0; m < t->nmembers; m++) {
        fprintf(f, "  n%u [label=\"", t->members[m]);
        put_name(t, t->members[m], true, f);
        fputs("\"];\n", f);
    }
    for (size_t i = 0; i < t->nedges; i++)
        dot_edge(t, &t->edges[i], f);
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}
