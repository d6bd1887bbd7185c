/* fi_mem.c -- contexts, bounded allocation, buffers, arenas, result words.
 *
 * The idea: nothing in the codec calls malloc directly.  Each object
 * carries a struct fi_mem that counts what it holds, so max_memory is a
 * hard ceiling and a test allocator can fail the Nth allocation. */
#include "config.h"

#include <stdlib.h>

#include "fi_internal.h"

static void *sys_alloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}
static void *sys_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}
static void sys_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static const struct fi_allocator sys_allocator = {sys_alloc, sys_realloc,
                                                  sys_free, NULL};

static void fill_limits(struct fi_limits *l)
{
    if (!l->max_depth)
        l->max_depth = FI_DEFAULT_DEPTH;
    if (!l->max_string)
        l->max_string = FI_DEFAULT_STRING;
    if (!l->max_table_entries)
        l->max_table_entries = FI_DEFAULT_ENTRIES;
    if (l->max_table_entries > FI_TABLE_HARD_MAX)
        l->max_table_entries = FI_TABLE_HARD_MAX;
    if (!l->max_memory)
        l->max_memory = FI_DEFAULT_MEMORY;
    if (!l->max_attributes)
        l->max_attributes = FI_DEFAULT_ATTRS;
}

int fi_ctx_new(const struct fi_allocator *mem, const struct fi_limits *limits,
               fi_ctx **out)
{
    const struct fi_allocator *a = mem ? mem : &sys_allocator;
    fi_ctx *c = a->alloc(sizeof *c, a->ud);

    *out = NULL;
    if (!c)
        return FI_ENOMEM;
    c->a = *a;
    memset(&c->lim, 0, sizeof c->lim);
    if (limits)
        c->lim = *limits;
    fill_limits(&c->lim);
    *out = c;
    return FI_OK;
}

void fi_ctx_free(fi_ctx *ctx)
{
    if (ctx)
        ctx->a.free(ctx, ctx->a.ud);
}

void fi_ctx_limits(const fi_ctx *ctx, struct fi_limits *out)
{
    *out = ctx->lim;
}

void fi_free(fi_ctx *ctx, void *p)
{
    if (p)
        ctx->a.free(p, ctx->a.ud);
}

void fi_mem_init(struct fi_mem *m, const fi_ctx *ctx)
{
    m->a = ctx->a;
    m->lim = ctx->lim;
    m->used = 0;
}

void *fi_mem_alloc(struct fi_mem *m, size_t n)
{
    void *p;

    m->limited = n > m->lim.max_memory - m->used;
    if (m->limited)
        return NULL;
    p = m->a.alloc(n ? n : 1, m->a.ud);
    if (p)
        m->used += n;
    return p;
}

void *fi_mem_realloc(struct fi_mem *m, void *p, size_t old, size_t n)
{
    void *q;

    m->limited = n > old && n - old > m->lim.max_memory - m->used;
    if (m->limited)
        return NULL;
    if (!p)
        return fi_mem_alloc(m, n);
    q = m->a.realloc(p, n ? n : 1, m->a.ud);
    if (q)
        m->used = m->used - old + n;
    return q;
}

void fi_mem_free(struct fi_mem *m, void *p, size_t n)
{
    if (!p)
        return;
    m->a.free(p, m->a.ud);
    m->used -= n;
}

int fi_mem_why(const struct fi_mem *m, size_t n)
{
    (void)n;
    return m->limited ? FI_ELIMIT : FI_ENOMEM;
}

int fi_grow(struct fi_mem *m, void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return FI_OK;
    ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / size)
        return FI_ELIMIT;
    p = fi_mem_realloc(m, *arr, *cap * size, ncap * size);
    if (!p)
        return fi_mem_why(m, (ncap - *cap) * size);
    *arr = p;
    *cap = ncap;
    return FI_OK;
}

int fi_buf_reserve(struct fi_mem *m, struct fi_buf *b, size_t extra)
{
    void *p = b->p;
    int r;

    if (extra > SIZE_MAX - b->len)
        return FI_ELIMIT;
    r = fi_grow(m, &p, &b->cap, b->len + extra, 1);
    b->p = p;
    return r;
}

int fi_buf_append(struct fi_mem *m, struct fi_buf *b, const void *d, size_t n)
{
    int r = fi_buf_reserve(m, b, n);

    if (r)
        return r;
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    return FI_OK;
}

void fi_buf_free(struct fi_mem *m, struct fi_buf *b)
{
    fi_mem_free(m, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- arenas ---- */

#define FI_BLOCK_MIN 4096

void *fi_arena_alloc_slow(struct fi_mem *m, struct fi_arena *a, size_t n)
{
    struct fi_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15, size;

    if (need < n)
        return NULL;
    if (b && b->size - b->used >= need) {
        void *p = (char *)b->data + b->used;
        b->used += need;
        return p;
    }
    size = need > FI_BLOCK_MIN ? need : FI_BLOCK_MIN;
    if (size > SIZE_MAX - sizeof *b)
        return NULL;
    b = fi_mem_alloc(m, sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = need;
    if (a->head && need > FI_BLOCK_MIN / 2) {
        /* a big string: keep filling the current block afterwards */
        b->next = a->head->next;
        a->head->next = b;
    } else {
        b->next = a->head;
        a->head = b;
    }
    return b->data;
}

char *fi_arena_dup(struct fi_mem *m, struct fi_arena *a, const void *s,
                   size_t n)
{
    char *p = fi_arena_alloc(m, a, n + 1);

    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void fi_arena_reset(struct fi_mem *m, struct fi_arena *a)
{
    struct fi_block *b = a->head;

    if (!b)
        return;
    while (b->next) {
        struct fi_block *n = b->next;
        b->next = n->next;
        fi_mem_free(m, n, sizeof *n + n->size);
    }
    b->used = 0;
}

void fi_arena_free(struct fi_mem *m, struct fi_arena *a)
{
    fi_arena_reset(m, a);
    if (a->head)
        fi_mem_free(m, a->head, sizeof *a->head + a->head->size);
    a->head = NULL;
}

/* ---- result words ---- */

const char *fi_strerror(int code)
{
    switch (code) {
    case FI_OK: return "success";
    case FI_MORE: return "more input needed";
    case FI_ENOMEM: return "out of memory";
    case FI_ELIMIT: return "a configured limit would be exceeded";
    case FI_ESYNTAX: return "invalid Fast Infoset encoding";
    case FI_EINDEX: return "table index out of range";
    case FI_EUTF8: return "invalid UTF-8";
    case FI_EUTF16: return "invalid UTF-16";
    case FI_ETRUNCATED: return "input ends inside an item";
    case FI_EALPHABET: return "unknown restricted alphabet or bad character";
    case FI_EALGORITHM: return "unknown encoding algorithm or bad data";
    case FI_EVOCAB: return "unknown external vocabulary";
    case FI_EDUPLICATE: return "duplicate attribute name on an element";
    case FI_EABORTED: return "stopped by a callback";
    case FI_ESTATE: return "call not valid in this state";
    case FI_EINVAL: return "invalid argument";
    case FI_ETRAILING: return "data after the end of the document";
    case FI_EXML: return "XML is not well-formed";
    case FI_EIO: return "input/output error";
    case FI_EFRAME: return "bad stream frame header";
    }
    return "unknown error";
}
