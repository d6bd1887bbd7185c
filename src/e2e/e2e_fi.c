/* e2e_fi.c -- one stanza as one Fast Infoset document, both ways.
 *
 * Encoding walks the xmpp_stanza_t tree into fi_encoder events with the
 * built-in XMPP vocabulary; the text of <data xmlns='E2E_NS_DATA'> goes
 * as raw octets with FI's base64 algorithm when it is canonical base64
 * (so it decodes back to the same text).  Decoding is an fi_handler that
 * builds the stanza directly, the way xs_parser does from expat: an
 * element carries xmlns when its namespace differs from its parent's
 * (a stanza always: jabber:client, the stream's default, is implied on
 * the wire), a qualified attribute is written prefix:local with its
 * xmlns:prefix. */
#include "config.h"

#include "e2e_fi.h"
#include "ut_ns.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_ATTRS 256

/* ---- encoding */

static struct fi_str str(const char *s)
{
    return (struct fi_str){s, s ? strlen(s) : 0};
}

/* An element being encoded and its ancestors (libstrophe keeps no
 * parent pointers). */
struct scope {
    xmpp_stanza_t *st;
    const char *ns; /* in effect on st */
    const struct scope *up;
    int depth;
};

/* The namespace bound to prefix on an element or its ancestors. */
static const char *prefix_ns(const struct scope *sc, const char *prefix,
                             size_t len)
{
    char name[80];

    if (len == 3 && !memcmp(prefix, "xml", 3))
        return UT_NS_XML;
    snprintf(name, sizeof name, "xmlns:%.*s", (int)len, prefix);
    for (; sc && sc->st; sc = sc->up) {
        const char *ns = xmpp_stanza_get_attribute(sc->st, name);
        if (ns)
            return ns;
    }
    return NULL;
}

/* Splits the stanza's attributes into namespace declarations and
 * attributes proper; names stay valid while st lives. */
static int split_attrs(const struct scope *sc, const char **kv, int n,
                       struct fi_nsdecl *ns, size_t *nns, struct fi_attr *at,
                       size_t *nat)
{
    *nns = *nat = 0;
    for (int i = 0; i < n; i += 2) {
        const char *name = kv[i], *colon = strchr(name, ':');
        if (!strcmp(name, "xmlns"))
            continue; /* the element's own namespace, declared apart */
        if (!strncmp(name, "xmlns:", 6)) {
            ns[(*nns)++] = (struct fi_nsdecl){str(name + 6), str(kv[i + 1])};
            continue;
        }
        struct fi_attr *a = &at[(*nat)++];
        memset(a, 0, sizeof *a);
        a->value = str(kv[i + 1]);
        a->name.local = str(colon ? colon + 1 : name);
        if (colon) {
            a->name.prefix = (struct fi_str){name, (size_t)(colon - name)};
            a->name.ns = str(prefix_ns(sc, name, (size_t)(colon - name)));
            if (!a->name.ns.len)
                return FI_EINVAL;
        }
    }
    return 0;
}

static bool is_data(xmpp_stanza_t *st)
{
    const char *ns = xmpp_stanza_get_ns(st);
    const char *name = xmpp_stanza_get_name(st);

    return name && ns && !strcmp(name, "data") && !strcmp(ns, E2E_NS_DATA);
}

/* Canonical base64 text as octets: 1 done, 0 not canonical, <0 error. */
static int put_base64(fi_encoder *e, xmpp_ctx_t *ctx, const char *text)
{
    size_t len = strlen(text), n = 0;
    unsigned char *bin = NULL;
    char *again;
    int r = 0;

    if (len < 4 || len % 4)
        return 0;
    xmpp_base64_decode_bin(ctx, text, len, &bin, &n);
    if (!bin)
        return 0;
    again = xmpp_base64_encode(ctx, bin, n);
    if (again && !strcmp(again, text))
        r = fi_encoder_octets(e, bin, n) ? -1 : 1;
    xmpp_free(ctx, again);
    xmpp_free(ctx, bin);
    return r;
}

static int put_element(fi_encoder *e, xmpp_ctx_t *ctx, xmpp_stanza_t *st,
                       const struct scope *up);

static int put_children(fi_encoder *e, xmpp_ctx_t *ctx, const struct scope *sc)
{
    bool data = is_data(sc->st);

    for (xmpp_stanza_t *c = xmpp_stanza_get_children(sc->st); c;
         c = xmpp_stanza_get_next(c)) {
        const char *text = xmpp_stanza_get_text_ptr(c);
        int r;
        if (!xmpp_stanza_is_text(c))
            r = put_element(e, ctx, c, sc);
        else if (!text)
            r = 0;
        else if (data && (r = put_base64(e, ctx, text)))
            r = r < 0 ? r : 0;
        else
            r = fi_encoder_characters(e, text, strlen(text));
        if (r)
            return r;
    }
    return 0;
}

static int put_element(fi_encoder *e, xmpp_ctx_t *ctx, xmpp_stanza_t *st,
                       const struct scope *up)
{
    int n = xmpp_stanza_get_attribute_count(st);
    const char *kv[2 * MAX_ATTRS];
    struct fi_nsdecl ns[MAX_ATTRS + 1];
    struct fi_attr at[MAX_ATTRS];
    const char *parent_ns = up->ns;
    struct scope sc = {st, xmpp_stanza_get_ns(st), up, up->depth + 1};
    struct fi_qname q = {.local = str(xmpp_stanza_get_name(st))};
    size_t nns, nat;
    int r;

    if (sc.depth > MAX_DEPTH || n > MAX_ATTRS || !q.local.len)
        return FI_EINVAL;
    if (!sc.ns)
        sc.ns = parent_ns;
    n = xmpp_stanza_get_attributes(st, kv, 2 * MAX_ATTRS);
    if ((r = split_attrs(&sc, kv, n, ns, &nns, at, &nat)))
        return r;
    if (sc.ns && (!parent_ns || strcmp(sc.ns, parent_ns)))
        ns[nns++] = (struct fi_nsdecl){{NULL, 0}, str(sc.ns)};
    q.ns = str(sc.ns);
    if ((r = fi_encoder_start_element(e, &q, ns, nns, at, nat)) ||
        (r = put_children(e, ctx, &sc)))
        return r;
    return fi_encoder_end_element(e);
}

int e2e_fi_encode(fi_encoder *e, xmpp_ctx_t *ctx, xmpp_stanza_t *st)
{
    static const struct scope stream = {NULL, UT_NS_CLIENT, NULL, 0};
    int r;

    fi_encoder_reset(e);
    if ((r = fi_encoder_start_document(e)) ||
        (r = put_element(e, ctx, st, &stream)) ||
        (r = fi_encoder_end_document(e)))
        return r;
    return 0;
}

/* ---- decoding */

struct e2e_fi_dec {
    xmpp_ctx_t *ctx;
    fi_decoder *dec;
    xmpp_stanza_t *stack[MAX_DEPTH + 1]; /* stack[0]: the stanza */
    int depth;
    bool done; /* the document element has ended */
    char *text;
    size_t text_len, text_cap;
    bool nomem;
};

static int fail_nomem(e2e_fi_dec *d)
{
    d->nomem = true;
    return 1;
}

static int flush_text(e2e_fi_dec *d)
{
    xmpp_stanza_t *t;
    int r;

    if (!d->text_len || !d->depth)
        return 0;
    if (!(t = xmpp_stanza_new(d->ctx)))
        return fail_nomem(d);
    r = xmpp_stanza_set_text_with_size(t, d->text, d->text_len) ||
        xmpp_stanza_add_child(d->stack[d->depth - 1], t);
    xmpp_stanza_release(t);
    d->text_len = 0;
    return r ? fail_nomem(d) : 0;
}

static int on_chars(void *ud, const char *text, size_t len)
{
    e2e_fi_dec *d = ud;

    if (d->text_len + len + 1 > d->text_cap) {
        size_t cap = (d->text_len + len + 1) * 2;
        char *t = realloc(d->text, cap);
        if (!t)
            return fail_nomem(d);
        d->text = t;
        d->text_cap = cap;
    }
    memcpy(d->text + d->text_len, text, len);
    d->text_len += len;
    return 0;
}

#define MAX_NAME 300 /* prefix:local of an attribute */
#define MAX_NS 1024

/* prefix:local, or local; NULL when too long (hostile input). */
static char *qualified(const struct fi_qname *q, char *buf)
{
    if (q->prefix.len + q->local.len + 2 > MAX_NAME || q->ns.len >= MAX_NS)
        return NULL;
    if (q->prefix.len)
        snprintf(buf, MAX_NAME, "%.*s:%.*s", (int)q->prefix.len, q->prefix.ptr,
                 (int)q->local.len, q->local.ptr);
    else
        snprintf(buf, MAX_NAME, "%.*s", (int)q->local.len, q->local.ptr);
    return buf;
}

/* A qualified attribute's xmlns:prefix (not for xml:). */
static int declare_prefix(xmpp_stanza_t *st, const struct fi_qname *q)
{
    char decl[MAX_NAME + 6], ns[MAX_NS];

    if (!q->prefix.len ||
        (q->prefix.len == 3 && !memcmp(q->prefix.ptr, "xml", 3)))
        return 0;
    snprintf(decl, sizeof decl, "xmlns:%.*s", (int)q->prefix.len,
             q->prefix.ptr);
    snprintf(ns, sizeof ns, "%.*s", (int)q->ns.len, q->ns.ptr ? q->ns.ptr : "");
    return xmpp_stanza_set_attribute(st, decl, ns) ? -1 : 0;
}

/* Returns non-zero on failure: out of memory (marked) or a name too
 * long. */
static int set_attrs(e2e_fi_dec *d, xmpp_stanza_t *st,
                     const struct fi_attr *attrs, size_t n)
{
    char name[MAX_NAME];

    for (size_t i = 0; i < n; i++) {
        const struct fi_attr *a = &attrs[i];
        char *v;
        int r;
        if (!qualified(&a->name, name))
            return -1;
        if (!(v = strndup(a->value.ptr ? a->value.ptr : "", a->value.len)))
            return fail_nomem(d);
        r = xmpp_stanza_set_attribute(st, name, v);
        free(v);
        if (r || declare_prefix(st, &a->name))
            return fail_nomem(d);
    }
    return 0;
}

static int set_name_ns(e2e_fi_dec *d, xmpp_stanza_t *st,
                       const struct fi_qname *q)
{
    char local[256], ns[MAX_NS];
    const char *parent =
        d->depth ? xmpp_stanza_get_ns(d->stack[d->depth - 1]) : UT_NS_CLIENT;

    if (q->local.len >= sizeof local || q->ns.len >= sizeof ns)
        return -1;
    snprintf(local, sizeof local, "%.*s", (int)q->local.len, q->local.ptr);
    snprintf(ns, sizeof ns, "%.*s", (int)q->ns.len, q->ns.ptr ? q->ns.ptr : "");
    if (xmpp_stanza_set_name(st, local))
        return fail_nomem(d);
    if ((!d->depth || (*ns && (!parent || strcmp(ns, parent)))) &&
        xmpp_stanza_set_ns(st, *ns ? ns : parent))
        return fail_nomem(d);
    return 0;
}

static int on_start(void *ud, const struct fi_qname *name,
                    const struct fi_nsdecl *ns, size_t nns,
                    const struct fi_attr *attrs, size_t nattrs)
{
    e2e_fi_dec *d = ud;
    xmpp_stanza_t *st;

    (void)ns, (void)nns;
    if (d->done || d->depth >= MAX_DEPTH || flush_text(d))
        return 1;
    if (!(st = xmpp_stanza_new(d->ctx)))
        return fail_nomem(d);
    if (d->depth && xmpp_stanza_add_child(d->stack[d->depth - 1], st)) {
        xmpp_stanza_release(st);
        return fail_nomem(d);
    }
    if (d->depth)
        xmpp_stanza_release(st); /* the parent holds it */
    d->stack[d->depth++] = st;
    return set_name_ns(d, st, name) || set_attrs(d, st, attrs, nattrs);
}

static int on_end(void *ud, const struct fi_qname *name)
{
    e2e_fi_dec *d = ud;

    (void)name;
    if (flush_text(d))
        return 1;
    if (d->depth > 1)
        d->depth--;
    else
        d->done = true;
    return 0;
}

int e2e_fi_dec_new(xmpp_ctx_t *ctx, fi_ctx *fctx, e2e_fi_dec **out)
{
    static const struct fi_handler h = {
        .start_element = on_start,
        .end_element = on_end,
        .characters = on_chars,
    };
    e2e_fi_dec *d = calloc(1, sizeof *d);

    if (!d)
        return FI_ENOMEM;
    d->ctx = ctx;
    if (fi_decoder_new(fctx, &h, d, 0, &d->dec) != FI_OK) {
        free(d);
        return FI_ENOMEM;
    }
    *out = d;
    return 0;
}

static void drop_stanza(e2e_fi_dec *d)
{
    if (d->depth)
        xmpp_stanza_release(d->stack[0]);
    d->depth = 0;
    d->done = false;
    d->text_len = 0;
}

void e2e_fi_dec_free(e2e_fi_dec *d)
{
    if (!d)
        return;
    drop_stanza(d);
    fi_decoder_free(d->dec);
    free(d->text);
    free(d);
}

int e2e_fi_decode(e2e_fi_dec *d, const uint8_t *data, size_t len,
                  xmpp_stanza_t **out)
{
    int r;

    drop_stanza(d);
    d->nomem = false;
    fi_decoder_reset(d->dec);
    r = fi_decoder_feed(d->dec, data, len, 1);
    if (d->nomem)
        r = FI_ENOMEM;
    else if (r == FI_OK && !d->depth)
        r = FI_ESYNTAX; /* a document without an element */
    if (r != FI_OK) {
        drop_stanza(d);
        return r == FI_MORE ? FI_ETRUNCATED : r;
    }
    *out = d->stack[0];
    d->depth = 0; /* the caller owns it now */
    return 0;
}
