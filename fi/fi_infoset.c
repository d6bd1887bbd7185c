/* fi_infoset.c -- a canonical, line-oriented dump of the events.
 *
 * Two documents have the same XML infoset (as far as we compare it) when
 * their dumps are equal: chunk boundaries, attribute and namespace order
 * are normalised away.  The tests compare our decoder's dump with expat's
 * reading of the XML and with the Java reference's (tests/compat). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fi_internal.h"

struct fi_infoset {
    struct fi_mem mem;
    struct fi_buf out, text;
    size_t *order;
    size_t ocap;
    int err;
};

static void put(fi_infoset *s, const char *p, size_t n)
{
    int r;

    if (s->err)
        return;
    if ((r = fi_buf_append(&s->mem, &s->out, p, n)))
        s->err = r;
}

static void field(fi_infoset *s, struct fi_str f)
{
    size_t i;
    char x[8];

    put(s, " ", 1);
    if (!f.len)
        put(s, "\"\"", 2);
    for (i = 0; i < f.len; i++) {
        unsigned char c = (unsigned char)f.ptr[i];
        const char *rep = NULL;
        switch (c) {
        case '\\': rep = "\\\\"; break;
        case ' ': rep = "\\s"; break;
        case '"': rep = "\\q"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        }
        if (!rep && c < 0x20) {
            snprintf(x, sizeof x, "\\x%02X", c);
            rep = x;
        }
        if (rep)
            put(s, rep, strlen(rep));
        else
            put(s, f.ptr + i, 1);
    }
}

static void line(fi_infoset *s, const char *tag, const struct fi_str *f,
                 size_t n)
{
    size_t i;

    put(s, tag, strlen(tag));
    for (i = 0; i < n; i++)
        field(s, f[i]);
    put(s, "\n", 1);
}

static int flush(fi_infoset *s)
{
    struct fi_str t = {(const char *)s->text.p, s->text.len};

    if (s->text.len)
        line(s, "T", &t, 1);
    s->text.len = 0;
    return s->err != 0;
}

static int cmp_str(struct fi_str a, struct fi_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;

    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* insertion sort of indices: lists are short */
static void sort_idx(size_t *o, size_t n, const void *base, size_t size,
                     int (*cmp)(const void *, const void *))
{
    size_t i, j;

    for (i = 0; i < n; i++)
        o[i] = i;
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && cmp((const char *)base + o[j - 1] * size,
                                 (const char *)base + o[j] * size) > 0;
             j--) {
            size_t t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
}

static int cmp_ns(const void *a, const void *b)
{
    return cmp_str(((const struct fi_nsdecl *)a)->prefix,
                   ((const struct fi_nsdecl *)b)->prefix);
}

static int cmp_attr(const void *a, const void *b)
{
    const struct fi_attr *x = a, *y = b;
    int c = cmp_str(x->name.ns, y->name.ns);

    return c ? c : cmp_str(x->name.local, y->name.local);
}

static int on_start(void *ud, const struct fi_qname *name,
                    const struct fi_nsdecl *ns, size_t nns,
                    const struct fi_attr *attrs, size_t nattrs)
{
    fi_infoset *s = ud;
    struct fi_str f[4] = {name->ns, name->local, name->prefix};
    size_t n = nns > nattrs ? nns : nattrs, i;
    void *o = s->order;

    flush(s);
    line(s, "E", f, 3);
    if ((s->err = s->err
                      ? s->err
                      : fi_grow(&s->mem, &o, &s->ocap, n + 1, sizeof(size_t))))
        return 1;
    s->order = o;
    sort_idx(s->order, nns, ns, sizeof *ns, cmp_ns);
    for (i = 0; i < nns; i++) {
        f[0] = ns[s->order[i]].prefix;
        f[1] = ns[s->order[i]].ns;
        line(s, "N", f, 2);
    }
    sort_idx(s->order, nattrs, attrs, sizeof *attrs, cmp_attr);
    for (i = 0; i < nattrs; i++) {
        const struct fi_attr *a = &attrs[s->order[i]];
        f[0] = a->name.ns, f[1] = a->name.local, f[2] = a->name.prefix;
        f[3] = a->value;
        line(s, "A", f, 4);
    }
    return s->err != 0;
}

static int on_end(void *ud, const struct fi_qname *name)
{
    fi_infoset *s = ud;

    (void)name;
    flush(s);
    put(s, "/\n", 2);
    return s->err != 0;
}

static int on_text(void *ud, const char *t, size_t n)
{
    fi_infoset *s = ud;
    int r = fi_buf_append(&s->mem, &s->text, t, n);

    if (r && !s->err)
        s->err = r;
    return s->err != 0;
}

static int on_comment(void *ud, const char *t, size_t n)
{
    fi_infoset *s = ud;
    struct fi_str f = {t, n};

    flush(s);
    line(s, "C", &f, 1);
    return s->err != 0;
}

static int on_pi(void *ud, struct fi_str target, struct fi_str data)
{
    fi_infoset *s = ud;
    struct fi_str f[2] = {target, data};

    flush(s);
    line(s, "P", f, 2);
    return s->err != 0;
}

static int on_end_doc(void *ud)
{
    return flush(ud);
}

static const struct fi_handler infoset_handler = {
    .end_document = on_end_doc,
    .start_element = on_start,
    .end_element = on_end,
    .characters = on_text,
    .comment = on_comment,
    .pi = on_pi,
};

const struct fi_handler *fi_infoset_handler(void)
{
    return &infoset_handler;
}

int fi_infoset_new(fi_ctx *ctx, fi_infoset **out)
{
    struct fi_mem m;
    fi_infoset *s;

    *out = NULL;
    fi_mem_init(&m, ctx);
    s = fi_mem_alloc(&m, sizeof *s);
    if (!s)
        return fi_mem_why(&m, sizeof *s);
    memset(s, 0, sizeof *s);
    s->mem = m;
    *out = s;
    return FI_OK;
}

void fi_infoset_free(fi_infoset *s)
{
    if (!s)
        return;
    fi_buf_free(&s->mem, &s->out);
    fi_buf_free(&s->mem, &s->text);
    fi_mem_free(&s->mem, s->order, s->ocap * sizeof *s->order);
    s->mem.a.free(s, s->mem.a.ud);
}

void fi_infoset_output(const fi_infoset *s, const char **text, size_t *len)
{
    *text = s->out.len ? (const char *)s->out.p : "";
    *len = s->out.len;
}

int fi_infoset_error(const fi_infoset *s)
{
    return s->err;
}

void fi_infoset_reset(fi_infoset *s)
{
    s->out.len = s->text.len = 0;
    s->err = 0;
}
