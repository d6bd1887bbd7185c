/* fi_xml.c -- the textual XML side: expat to events, events to XML text.
 *
 * fi_xml_parse runs expat with namespace processing and turns its
 * callbacks into struct fi_handler events, so textual XML can feed the
 * encoder (fi_xml_to_fi) or anything else that takes events.  fi_writer
 * does the reverse: events to well-formed XML with correct escaping. */
#include "config.h"

#include <expat.h>
#include <stdlib.h>

#include "fi_internal.h"

#define NSSEP '\x01'

struct xp {
    struct fi_mem mem;
    XML_Parser p;
    const struct fi_handler *h;
    void *ud;
    int err;
    struct fi_arena nsarena; /* pending namespace declarations */
    struct fi_nsdecl *ns;
    size_t nns, nscap;
    struct fi_attr *attrs;
    size_t acap;
};

static struct fi_str cstr(const char *s, size_t n)
{
    return (struct fi_str){s ? s : "", s ? n : 0};
}

/* "uri\1local\1prefix", "uri\1local" or "local" */
static void split_name(const char *s, struct fi_qname *q)
{
    const char *a = strchr(s, NSSEP), *b;

    q->prefix = cstr("", 0);
    if (!a) {
        q->ns = cstr("", 0);
        q->local = cstr(s, strlen(s));
        return;
    }
    q->ns = cstr(s, (size_t)(a - s));
    b = strchr(a + 1, NSSEP);
    if (!b) {
        q->local = cstr(a + 1, strlen(a + 1));
        return;
    }
    q->local = cstr(a + 1, (size_t)(b - a - 1));
    q->prefix = cstr(b + 1, strlen(b + 1));
}

static void stop(struct xp *x, int err)
{
    if (!x->err)
        x->err = err;
    XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_ns(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
    struct xp *x = ud;
    void *arr = x->ns;
    struct fi_nsdecl *d;
    int r;

    if ((r = fi_grow(&x->mem, &arr, &x->nscap, x->nns + 1, sizeof *x->ns)))
        return stop(x, r);
    x->ns = arr;
    d = &x->ns[x->nns];
    d->prefix.len = prefix ? strlen(prefix) : 0;
    d->ns.len = uri ? strlen(uri) : 0;
    d->prefix.ptr =
        fi_arena_dup(&x->mem, &x->nsarena, prefix ? prefix : "", d->prefix.len);
    d->ns.ptr = fi_arena_dup(&x->mem, &x->nsarena, uri ? uri : "", d->ns.len);
    if (!d->prefix.ptr || !d->ns.ptr)
        return stop(x, FI_ENOMEM);
    x->nns++;
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
                             const XML_Char **atts)
{
    struct xp *x = ud;
    struct fi_qname q;
    size_t n = 0, i;
    void *arr = x->attrs;
    int r;

    while (atts[n * 2])
        n++;
    if ((r = fi_grow(&x->mem, &arr, &x->acap, n + 1, sizeof *x->attrs)))
        return stop(x, r);
    x->attrs = arr;
    for (i = 0; i < n; i++) {
        split_name(atts[2 * i], &x->attrs[i].name);
        x->attrs[i].value = cstr(atts[2 * i + 1], strlen(atts[2 * i + 1]));
    }
    split_name(name, &q);
    if (x->h->start_element &&
        x->h->start_element(x->ud, &q, x->ns, x->nns, x->attrs, n))
        return stop(x, FI_EABORTED);
    x->nns = 0;
    fi_arena_reset(&x->mem, &x->nsarena);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xp *x = ud;
    struct fi_qname q;

    split_name(name, &q);
    if (x->h->end_element && x->h->end_element(x->ud, &q))
        stop(x, FI_EABORTED);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xp *x = ud;

    if (x->h->characters && x->h->characters(x->ud, s, (size_t)len))
        stop(x, FI_EABORTED);
}

static void XMLCALL on_comment(void *ud, const XML_Char *s)
{
    struct xp *x = ud;

    if (x->h->comment && x->h->comment(x->ud, s, strlen(s)))
        stop(x, FI_EABORTED);
}

static void XMLCALL on_pi(void *ud, const XML_Char *target,
                          const XML_Char *data)
{
    struct xp *x = ud;

    if (x->h->pi && x->h->pi(x->ud, cstr(target, strlen(target)),
                             cstr(data, data ? strlen(data) : 0)))
        stop(x, FI_EABORTED);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    struct xp *x = ud;

    (void)name;
    (void)has_internal;
    if (x->h->doctype &&
        x->h->doctype(x->ud, cstr(sysid, sysid ? strlen(sysid) : 0),
                      cstr(pubid, pubid ? strlen(pubid) : 0)))
        stop(x, FI_EABORTED);
}

static int xp_run(struct xp *x, const char *xml, size_t len, size_t *line)
{
    XML_SetUserData(x->p, x);
    XML_SetReturnNSTriplet(x->p, 1);
    XML_SetNamespaceDeclHandler(x->p, on_ns, NULL);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetCommentHandler(x->p, on_comment);
    XML_SetProcessingInstructionHandler(x->p, on_pi);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    if (len > INT32_MAX)
        return FI_ELIMIT;
    if (XML_Parse(x->p, xml, (int)len, 1) == XML_STATUS_ERROR && !x->err) {
        x->err = FI_EXML;
        if (line)
            *line = (size_t)XML_GetCurrentLineNumber(x->p);
    }
    return x->err;
}

int fi_xml_parse(fi_ctx *ctx, const char *xml, size_t len,
                 const struct fi_handler *h, void *ud, size_t *line)
{
    struct xp x;
    int r;

    memset(&x, 0, sizeof x);
    fi_mem_init(&x.mem, ctx);
    x.h = h;
    x.ud = ud;
    x.p = XML_ParserCreateNS(NULL, NSSEP);
    if (!x.p)
        return FI_ENOMEM;
    r = xp_run(&x, xml, len, line);
    XML_ParserFree(x.p);
    fi_arena_free(&x.mem, &x.nsarena);
    fi_mem_free(&x.mem, x.ns, x.nscap * sizeof *x.ns);
    fi_mem_free(&x.mem, x.attrs, x.acap * sizeof *x.attrs);
    return r;
}

int fi_xml_to_fi(fi_encoder *e, const char *xml, size_t len)
{
    fi_ctx ctx;
    int r;

    fi_encoder_ctx(e, &ctx);
    if ((r = fi_encoder_start_document(e)))
        return r;
    r = fi_xml_parse(&ctx, xml, len, fi_encoder_handler(), e, NULL);
    if (r == FI_EABORTED && fi_encoder_error(e))
        r = fi_encoder_error(e);
    return r ? r : fi_encoder_end_document(e);
}

/* ---- the XML writer ---- */

struct fi_writer {
    struct fi_mem mem;
    struct fi_buf out;
    int open_tag; /* a start tag waits for '>' or '/>' */
    int err;
    struct fi_str sysid, pubid;
    struct fi_buf dt; /* doctype identifiers */
    int root_seen;
};

static int w_put(fi_writer *w, const char *s, size_t n)
{
    int r;

    if (w->err)
        return 1;
    r = fi_buf_append(&w->mem, &w->out, s, n);
    if (r)
        w->err = r;
    return r != 0;
}

static int w_str(fi_writer *w, const char *s)
{
    return w_put(w, s, strlen(s));
}

/* Escapes text (attr: also quotes and whitespace kept by normalisation). */
static int w_esc(fi_writer *w, const char *s, size_t n, int attr)
{
    size_t i, from = 0;

    for (i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\r': rep = "&#13;"; break;
        case '"': rep = attr ? "&quot;" : NULL; break;
        case '\n': rep = attr ? "&#10;" : NULL; break;
        case '\t': rep = attr ? "&#9;" : NULL; break;
        }
        if (!rep)
            continue;
        if (w_put(w, s + from, i - from) || w_str(w, rep))
            return 1;
        from = i + 1;
    }
    return w_put(w, s + from, n - from);
}

static int w_qname(fi_writer *w, const struct fi_qname *q)
{
    if (q->prefix.len &&
        (w_put(w, q->prefix.ptr, q->prefix.len) || w_put(w, ":", 1)))
        return 1;
    return w_put(w, q->local.ptr, q->local.len);
}

static int w_close_tag(fi_writer *w)
{
    if (!w->open_tag)
        return 0;
    w->open_tag = 0;
    return w_put(w, ">", 1);
}

static int w_doctype(fi_writer *w, const struct fi_qname *root)
{
    if (!w->dt.p || w->root_seen)
        return 0;
    w_str(w, "<!DOCTYPE ");
    w_qname(w, root);
    if (w->pubid.len) {
        w_str(w, " PUBLIC \"");
        w_put(w, (const char *)w->dt.p, w->pubid.len);
        w_str(w, "\" \"");
    } else {
        w_str(w, " SYSTEM \"");
    }
    w_put(w, (const char *)w->dt.p + w->pubid.len, w->sysid.len);
    return w_str(w, "\">\n");
}

static int wh_start(void *ud, const struct fi_qname *name,
                    const struct fi_nsdecl *ns, size_t nns,
                    const struct fi_attr *attrs, size_t nattrs)
{
    fi_writer *w = ud;
    size_t i;

    w_close_tag(w);
    w_doctype(w, name);
    w->root_seen = 1;
    w_put(w, "<", 1);
    w_qname(w, name);
    for (i = 0; i < nns; i++) {
        w_str(w, ns[i].prefix.len ? " xmlns:" : " xmlns");
        w_put(w, ns[i].prefix.ptr, ns[i].prefix.len);
        w_str(w, "=\"");
        w_esc(w, ns[i].ns.ptr, ns[i].ns.len, 1);
        w_put(w, "\"", 1);
    }
    for (i = 0; i < nattrs; i++) {
        w_put(w, " ", 1);
        w_qname(w, &attrs[i].name);
        w_str(w, "=\"");
        w_esc(w, attrs[i].value.ptr, attrs[i].value.len, 1);
        w_put(w, "\"", 1);
    }
    w->open_tag = 1;
    return w->err != 0;
}

static int wh_end(void *ud, const struct fi_qname *name)
{
    fi_writer *w = ud;

    if (w->open_tag) {
        w->open_tag = 0;
        return w_str(w, "/>");
    }
    w_str(w, "</");
    w_qname(w, name);
    return w_put(w, ">", 1);
}

static int wh_text(void *ud, const char *s, size_t n)
{
    fi_writer *w = ud;

    w_close_tag(w);
    return w_esc(w, s, n, 0);
}

static int wh_comment(void *ud, const char *s, size_t n)
{
    fi_writer *w = ud;

    w_close_tag(w);
    w_str(w, "<!--");
    w_put(w, s, n);
    return w_str(w, "-->");
}

static int wh_pi(void *ud, struct fi_str target, struct fi_str data)
{
    fi_writer *w = ud;

    w_close_tag(w);
    w_str(w, "<?");
    w_put(w, target.ptr, target.len);
    if (data.len) {
        w_put(w, " ", 1);
        w_put(w, data.ptr, data.len);
    }
    return w_str(w, "?>");
}

static int wh_doctype(void *ud, struct fi_str sysid, struct fi_str pubid)
{
    fi_writer *w = ud;
    int r;

    w->dt.len = 0;
    r = fi_buf_append(&w->mem, &w->dt, pubid.ptr, pubid.len);
    if (!r)
        r = fi_buf_append(&w->mem, &w->dt, sysid.ptr, sysid.len);
    w->sysid = sysid;
    w->pubid = pubid;
    if (r)
        w->err = r;
    return r != 0;
}

static int wh_entity(void *ud, struct fi_str name, struct fi_str sysid,
                     struct fi_str pubid)
{
    fi_writer *w = ud;

    (void)sysid;
    (void)pubid;
    w_close_tag(w);
    w_put(w, "&", 1);
    w_put(w, name.ptr, name.len);
    return w_put(w, ";", 1);
}

static const struct fi_handler writer_handler = {
    .start_element = wh_start,
    .end_element = wh_end,
    .characters = wh_text,
    .comment = wh_comment,
    .pi = wh_pi,
    .doctype = wh_doctype,
    .entity_ref = wh_entity,
};

const struct fi_handler *fi_writer_handler(void)
{
    return &writer_handler;
}

int fi_writer_new(fi_ctx *ctx, fi_writer **out)
{
    struct fi_mem m;
    fi_writer *w;

    *out = NULL;
    fi_mem_init(&m, ctx);
    w = fi_mem_alloc(&m, sizeof *w);
    if (!w)
        return fi_mem_why(&m, sizeof *w);
    memset(w, 0, sizeof *w);
    w->mem = m;
    *out = w;
    return FI_OK;
}

void fi_writer_free(fi_writer *w)
{
    if (!w)
        return;
    fi_buf_free(&w->mem, &w->out);
    fi_buf_free(&w->mem, &w->dt);
    w->mem.a.free(w, w->mem.a.ud);
}

void fi_writer_output(const fi_writer *w, const char **xml, size_t *len)
{
    *xml = w->out.len ? (const char *)w->out.p : "";
    *len = w->out.len;
}

int fi_writer_error(const fi_writer *w)
{
    return w->err;
}

void fi_writer_reset(fi_writer *w)
{
    w->out.len = 0;
    w->dt.len = 0;
    w->open_tag = w->err = w->root_seen = 0;
    fi_buf_free(&w->mem, &w->dt);
}

int fi_fi_to_xml(fi_ctx *ctx, const fi_vocab *vocab, const void *fi, size_t len,
                 char **xml, size_t *xml_len, uint64_t *offset)
{
    fi_writer *w = NULL;
    fi_decoder *d = NULL;
    int r = fi_writer_new(ctx, &w);

    *xml = NULL;
    if (!r)
        r = fi_decoder_new(ctx, fi_writer_handler(), w, 0, &d);
    if (!r && vocab)
        r = fi_decoder_add_vocab(d, vocab);
    if (!r)
        r = fi_decoder_feed(d, fi, len, 1);
    if (offset)
        *offset = d ? fi_decoder_offset(d) : 0;
    if (r == FI_EABORTED && w->err)
        r = w->err;
    if (!r) {
        *xml = ctx->a.alloc(w->out.len + 1, ctx->a.ud);
        if (!*xml)
            r = FI_ENOMEM;
        else {
            memcpy(*xml, w->out.p ? (char *)w->out.p : "", w->out.len);
            (*xml)[w->out.len] = '\0';
            *xml_len = w->out.len;
        }
    }
    fi_decoder_free(d);
    fi_writer_free(w);
    return r;
}
