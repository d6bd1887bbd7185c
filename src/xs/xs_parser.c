/* xs_parser.c -- incremental XMPP stream parsing into xmpp_stanza_t.
 *
 * expat runs in namespace mode with triplets ("uri local prefix").  The
 * element stack holds the stanza being built; text is gathered in a
 * buffer and attached when the next tag or the end of the element comes.
 * XMPP forbids DTDs, processing instructions and comments (RFC 6120
 * 11.1), so they stop the parser like any other error.
 *
 * A stream must never hold a stanza back once its last byte has arrived.
 * expat 2.6.0, and Debian 12's backport of its fix for CVE-2023-52425,
 * defers reparsing a token that arrived split over several XML_Parse
 * calls until the input has about doubled, so the tail of a stanza that
 * came in its own TCP segment could wait for the peer's next bytes.  Each
 * feed parses all but its last byte with deferral on (a large read stays
 * linear) and the last byte with deferral off, so when a feed returns,
 * every complete token has been reported: at most one rescan of an
 * unfinished tag per feed, as every call of expat 2.5 did.  Unreported
 * bytes (an unfinished tag, or a stanza not yet complete) are bounded by
 * the stanza limit after every feed, so a tag dribbled byte by byte costs
 * bounded memory too.
 *
 * Per-stanza limits (size, depth, attributes, elements, name lengths)
 * reject one stanza when the owner asked for that (on_reject): the stanza
 * built so far is dropped except for a childless copy of its top-level
 * element's addressing, and from then on the parser only counts depth
 * (nothing is kept, text is ignored) until that element ends, reports
 * the rejection, and parses the next stanza normally.  What skipping
 * cannot bound -- expat's buffer of one unfinished tag, its stack of open
 * elements -- has hard limits that fail the stream. */
#include "config.h"

#include "xs_parser.h"
#include "ut_ns.h"

#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP ' '
#define MAX_HEADER_BYTES 16384 /* the XML declaration and <stream:stream> */

struct xs_parser {
    xmpp_ctx_t *ctx;
    XML_Parser xml;
    struct xs_limits lim;
    struct xs_callbacks cb;
    void *ud;
    xmpp_stanza_t **stack; /* stack[0] is the stanza, stack[depth-2] the top */
    int depth;             /* 0 outside the root, 1 inside <stream:stream> */
    size_t stanza_start;   /* byte index where the current stanza began */
    size_t fed;            /* bytes fed since the stream began */
    size_t mark;           /* byte index just past the last event */
    char *text;            /* pending character data */
    size_t text_len, text_cap;
    size_t elements;   /* elements of the current stanza so far */
    bool skipping;     /* the current stanza was rejected */
    char root_ns[128]; /* the default namespace <stream:stream> declared */
    int skip_code;
    char skip_why[96];
    xmpp_stanza_t *skip_top; /* its top-level element, childless, or NULL */
    int error;
    size_t error_offset;
    char error_text[160];
};

static void fail_at(xs_parser *p, int code, const char *why, size_t offset)
{
    if (p->error)
        return;
    p->error = code;
    p->error_offset = offset;
    snprintf(p->error_text, sizeof p->error_text, "%s at byte %zu", why,
             p->error_offset);
    XML_StopParser(p->xml, XML_FALSE);
}

/* The sticky error, at the event expat is reporting. */
static void fail(xs_parser *p, int code, const char *why)
{
    fail_at(p, code, why, (size_t)XML_GetCurrentByteIndex(p->xml));
}

/* Notes that expat has reported everything up to the current event's end. */
static void mark_seen(xs_parser *p)
{
    size_t end = (size_t)XML_GetCurrentByteIndex(p->xml) +
                 (size_t)XML_GetCurrentByteCount(p->xml);

    if (end > p->mark)
        p->mark = end;
}

/* Splits "uri local prefix" (or "local") into its parts, in place. */
static void split_name(char *name, char **uri, char **local, char **prefix)
{
    char *a = strchr(name, SEP), *b;

    *uri = *prefix = NULL;
    *local = name;
    if (!a)
        return;
    *a = '\0';
    *uri = name;
    *local = a + 1;
    if ((b = strchr(*local, SEP))) {
        *b = '\0';
        *prefix = b + 1;
    }
}

static int flush_text(xs_parser *p)
{
    xmpp_stanza_t *t;

    if (!p->text_len || p->depth < 2)
        return 0;
    t = xmpp_stanza_new(p->ctx);
    if (!t || xmpp_stanza_set_text_with_size(t, p->text, p->text_len) != 0 ||
        xmpp_stanza_add_child(p->stack[p->depth - 2], t) != 0) {
        if (t)
            xmpp_stanza_release(t);
        return -1;
    }
    xmpp_stanza_release(t);
    p->text_len = 0;
    return 0;
}

static int set_attr(xmpp_stanza_t *st, const char *raw)
{
    char buf[512], *uri, *local, *prefix, name[600];

    snprintf(buf, sizeof buf, "%s", raw);
    split_name(buf, &uri, &local, &prefix);
    if (!uri)
        return 0;
    if (!strcmp(uri, UT_NS_XML))
        prefix = "xml";
    else if (prefix) {
        snprintf(name, sizeof name, "xmlns:%s", prefix);
        if (xmpp_stanza_set_attribute(st, name, uri) != 0)
            return -1;
    }
    return prefix ? 1 : 0;
}

static int add_attrs(xmpp_stanza_t *st, const char **attrs)
{
    for (int i = 0; attrs[i]; i += 2) {
        char name[600], buf[512], *uri, *local, *prefix;
        int qualified = set_attr(st, attrs[i]);
        if (qualified < 0)
            return -1;
        snprintf(buf, sizeof buf, "%s", attrs[i]);
        split_name(buf, &uri, &local, &prefix);
        if (qualified)
            snprintf(name, sizeof name, "%s:%s",
                     !strcmp(uri, UT_NS_XML) ? "xml" : prefix, local);
        else
            snprintf(name, sizeof name, "%s", local);
        if (xmpp_stanza_set_attribute(st, name, attrs[i + 1]) != 0)
            return -1;
    }
    return 0;
}

/* Whether the stanza being received has grown past the size limit. */
static bool too_big(xs_parser *p, size_t extra)
{
    size_t at = (size_t)XML_GetCurrentByteIndex(p->xml) + extra;

    return p->depth >= 1 && at - p->stanza_start > p->lim.max_stanza_bytes;
}

/* ---- rejecting one stanza ---------------------------------------------- */

static const char *const kept_attrs[] = {"from", "to", "id", "type"};
#define N_KEPT 4

/* A childless element named name (in ns) with the kept attributes. */
static xmpp_stanza_t *top_new(xs_parser *p, const char *name, const char *ns,
                              const char *vals[N_KEPT])
{
    xmpp_stanza_t *t = xmpp_stanza_new(p->ctx);

    if (!t || xmpp_stanza_set_name(t, name) != 0 ||
        (ns && xmpp_stanza_set_ns(t, ns) != 0)) {
        if (t)
            xmpp_stanza_release(t);
        return NULL;
    }
    for (int i = 0; i < N_KEPT; i++)
        if (vals[i] && strlen(vals[i]) <= XS_MAX_KEPT &&
            xmpp_stanza_set_attribute(t, kept_attrs[i], vals[i]) != 0) {
            xmpp_stanza_release(t);
            return NULL;
        }
    return t;
}

/* The top-level element of a stanza rejected at its own start tag. */
static xmpp_stanza_t *top_from_tag(xs_parser *p, const char *raw,
                                   const char **attrs)
{
    const char *vals[N_KEPT] = {NULL};
    char buf[XS_MAX_NAME + 1], *uri, *local, *prefix;

    snprintf(buf, sizeof buf, "%s", raw);
    split_name(buf, &uri, &local, &prefix);
    for (int i = 0; attrs[i]; i += 2)
        for (int k = 0; k < N_KEPT; k++)
            if (!strcmp(attrs[i], kept_attrs[k]))
                vals[k] = attrs[i + 1];
    return top_new(p, local, uri, vals);
}

/* The top-level element of the stanza being built. */
static xmpp_stanza_t *top_from_stanza(xs_parser *p, xmpp_stanza_t *st)
{
    const char *vals[N_KEPT];

    for (int k = 0; k < N_KEPT; k++)
        vals[k] = xmpp_stanza_get_attribute(st, kept_attrs[k]);
    return top_new(p, xmpp_stanza_get_name(st), xmpp_stanza_get_ns(st), vals);
}

/* The current stanza broke a per-stanza limit: skip the rest of it (or
 * fail the stream when the owner did not ask for rejections).  raw and
 * attrs: the start tag being reported when it is the top-level one. */
static void reject(xs_parser *p, int code, const char *why, const char *raw,
                   const char **attrs)
{
    if (!p->cb.on_reject) {
        fail(p, code, why);
        return;
    }
    if (p->depth >= 2 && p->stack[0]) {
        p->skip_top = top_from_stanza(p, p->stack[0]);
        xmpp_stanza_release(p->stack[0]);
        p->stack[0] = NULL;
    } else if (raw)
        p->skip_top = top_from_tag(p, raw, attrs);
    p->skipping = true;
    p->skip_code = code;
    snprintf(p->skip_why, sizeof p->skip_why, "%s", why);
    p->text_len = 0;
}

/* An element opens inside a rejected stanza: only its depth counts. */
static void skip_start(xs_parser *p)
{
    if (p->depth >= p->lim.max_skip_depth + 1) {
        fail(p, XS_ETOODEEP, "elements nested too deeply even to skip");
        return;
    }
    p->depth++;
}

/* An element of a rejected stanza ends; the last one reports it. */
static void skip_end(xs_parser *p)
{
    size_t end = (size_t)XML_GetCurrentByteIndex(p->xml) +
                 (size_t)XML_GetCurrentByteCount(p->xml);
    xmpp_stanza_t *top;

    if (--p->depth > 1)
        return;
    top = p->skip_top;
    p->skip_top = NULL;
    p->skipping = false;
    p->cb.on_reject(p->ud, top, p->skip_code, p->skip_why,
                    end - p->stanza_start);
    if (top)
        xmpp_stanza_release(top);
}

/* Which per-stanza limit a start tag breaks (and why), or 0. */
static int start_limit(xs_parser *p, const char *raw, const char **attrs,
                       const char **why)
{
    int n = 0;

    for (; attrs[n]; n += 2)
        if (strlen(attrs[n]) > XS_MAX_NAME) {
            *why = "an attribute name is longer than the limit";
            return XS_ETOOBIG;
        }
    *why = NULL;
    if (p->depth >= p->lim.max_depth + 1)
        *why = "elements nested too deeply";
    else if (strlen(raw) > XS_MAX_NAME)
        *why = "an element name is longer than the limit";
    else if (n / 2 > p->lim.max_attrs)
        *why = "too many attributes on one element";
    else if (p->lim.max_elements && ++p->elements > p->lim.max_elements)
        *why = "too many elements in one stanza";
    else if (too_big(p, (size_t)XML_GetCurrentByteCount(p->xml)))
        *why = "a stanza is larger than the limit";
    if (!*why)
        return 0;
    return p->depth >= p->lim.max_depth + 1 ? XS_ETOODEEP
           : strstr(*why, "too many")       ? XS_ETOOMANY
                                            : XS_ETOOBIG;
}

static const char *parent_ns(xs_parser *p)
{
    return p->depth >= 3 ? xmpp_stanza_get_ns(p->stack[p->depth - 3]) : NULL;
}

static void open_root(xs_parser *p, const char *uri, const char *local,
                      const char **attrs)
{
    if (!uri || strcmp(uri, UT_NS_STREAMS) || strcmp(local, "stream")) {
        fail(p, XS_ENOTSTREAM, "the root element is not <stream:stream>");
        return;
    }
    p->depth = 1;
    if (p->cb.on_open)
        p->cb.on_open(p->ud, attrs);
}

/* Builds the element a start tag opens, within the limits. */
static void build_start(xs_parser *p, const char *raw, const char **attrs)
{
    char buf[XS_MAX_NAME + 1], *uri, *local, *prefix;
    xmpp_stanza_t *st;

    snprintf(buf, sizeof buf, "%s", raw);
    split_name(buf, &uri, &local, &prefix);
    if (flush_text(p) < 0 || !(st = xmpp_stanza_new(p->ctx))) {
        fail(p, XS_ENOMEM, "out of memory");
        return;
    }
    p->stack[p->depth - 1] = st;
    p->depth++;
    if (xmpp_stanza_set_name(st, local) != 0 ||
        ((p->depth == 2 ||
          (uri && (!parent_ns(p) || strcmp(uri, parent_ns(p))))) &&
         uri && xmpp_stanza_set_ns(st, uri) != 0) ||
        add_attrs(st, attrs) < 0 ||
        (p->depth > 2 &&
         xmpp_stanza_add_child(p->stack[p->depth - 3], st) != 0))
        fail(p, XS_ENOMEM, "out of memory");
    if (p->depth > 2)
        xmpp_stanza_release(st); /* the parent holds it */
}

static void on_start(void *ud, const char *raw, const char **attrs)
{
    xs_parser *p = ud;
    char buf[XS_MAX_NAME + 1], *uri, *local, *prefix;
    const char *why;
    int code;

    if (p->error)
        return; /* expat may still call after XML_StopParser */
    mark_seen(p);
    if (p->depth == 0) {
        snprintf(buf, sizeof buf, "%s", raw);
        split_name(buf, &uri, &local, &prefix);
        open_root(p, uri, local, attrs);
        return;
    }
    if (p->depth == 1) {
        p->stanza_start = (size_t)XML_GetCurrentByteIndex(p->xml);
        p->elements = 0;
    }
    if (!p->skipping && (code = start_limit(p, raw, attrs, &why)))
        reject(p, code, why, p->depth == 1 ? raw : NULL, attrs);
    if (p->error)
        return;
    if (p->skipping)
        skip_start(p);
    else
        build_start(p, raw, attrs);
}

static void on_end(void *ud, const char *raw)
{
    xs_parser *p = ud;
    xmpp_stanza_t *st;

    (void)raw;
    if (p->error)
        return;
    mark_seen(p);
    if (p->depth == 1) {
        p->depth = 0;
        if (p->cb.on_close)
            p->cb.on_close(p->ud);
        return;
    }
    if (!p->skipping && too_big(p, (size_t)XML_GetCurrentByteCount(p->xml)))
        reject(p, XS_ETOOBIG, "a stanza is larger than the limit", NULL, NULL);
    if (p->error)
        return;
    if (p->skipping) {
        skip_end(p);
        return;
    }
    if (flush_text(p) < 0) {
        fail(p, XS_ENOMEM, "out of memory");
        return;
    }
    p->depth--;
    if (p->depth > 1)
        return;
    st = p->stack[0];
    p->stack[0] = NULL;
    if (p->cb.on_stanza)
        p->cb.on_stanza(p->ud, st,
                        (size_t)XML_GetCurrentByteIndex(p->xml) +
                            (size_t)XML_GetCurrentByteCount(p->xml) -
                            p->stanza_start);
    xmpp_stanza_release(st);
}

static void on_text(void *ud, const char *s, int len)
{
    xs_parser *p = ud;

    if (p->error)
        return;
    mark_seen(p);
    if (p->depth < 2 || p->skipping)
        return; /* whitespace between stanzas, or a rejected stanza */
    if (too_big(p, (size_t)len)) {
        reject(p, XS_ETOOBIG, "a stanza is larger than the limit", NULL, NULL);
        return;
    }
    if (p->text_len + (size_t)len > p->text_cap) {
        size_t cap = (p->text_len + (size_t)len) * 2;
        char *t = realloc(p->text, cap);
        if (!t) {
            fail(p, XS_ENOMEM, "out of memory");
            return;
        }
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, s, (size_t)len);
    p->text_len += (size_t)len;
}

static void on_forbidden(xs_parser *p, const char *what)
{
    char why[80];

    snprintf(why, sizeof why, "%s are not allowed in XMPP", what);
    fail(p, XS_ESYNTAX, why);
}

static void on_doctype(void *ud, const char *n, const char *s, const char *pub,
                       int has)
{
    (void)n, (void)s, (void)pub, (void)has;
    on_forbidden(ud, "document type declarations");
}

static void on_pi(void *ud, const char *target, const char *data)
{
    (void)target, (void)data;
    on_forbidden(ud, "processing instructions");
}

static void on_comment(void *ud, const char *data)
{
    (void)data;
    on_forbidden(ud, "comments");
}

static void drop_stack(xs_parser *p)
{
    if (p->depth >= 2 && p->stack[0])
        xmpp_stanza_release(p->stack[0]);
    if (p->stack)
        p->stack[0] = NULL;
    if (p->skip_top)
        xmpp_stanza_release(p->skip_top);
    p->skip_top = NULL;
    p->skipping = false;
    p->depth = 0;
    p->text_len = 0;
    p->fed = p->mark = 0;
}

/* Records the default namespace the root declares (jabber:client on a
 * client port, jabber:component:accept on a component port). */
static void on_ns_decl(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
    xs_parser *p = ud;

    if (p->depth == 0 && !prefix && uri)
        snprintf(p->root_ns, sizeof p->root_ns, "%s", uri);
}

const char *xs_parser_root_ns(const xs_parser *p)
{
    return p->root_ns;
}

static int setup_expat(xs_parser *p)
{
    if (p->xml)
        XML_ParserReset(p->xml, NULL);
    else
        p->xml = XML_ParserCreateNS(NULL, SEP);
    if (!p->xml)
        return -1;
    XML_SetReturnNSTriplet(p->xml, 1);
    XML_SetUserData(p->xml, p);
    XML_SetElementHandler(p->xml, on_start, on_end);
    XML_SetCharacterDataHandler(p->xml, on_text);
    XML_SetStartDoctypeDeclHandler(p->xml, on_doctype);
    XML_SetProcessingInstructionHandler(p->xml, on_pi);
    XML_SetCommentHandler(p->xml, on_comment);
    XML_SetStartNamespaceDeclHandler(p->xml, on_ns_decl);
    p->root_ns[0] = '\0';
    return 0;
}

int xs_parser_new(xmpp_ctx_t *ctx, const struct xs_limits *limits,
                  const struct xs_callbacks *cb, void *ud, xs_parser **out)
{
    xs_parser *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p)
        return XS_ENOMEM;
    p->ctx = ctx;
    p->cb = *cb;
    p->ud = ud;
    if (limits)
        p->lim = *limits;
    if (!p->lim.max_stanza_bytes)
        p->lim.max_stanza_bytes = 262144;
    if (p->lim.max_depth <= 0)
        p->lim.max_depth = 64;
    if (p->lim.max_attrs <= 0)
        p->lim.max_attrs = 256;
    if (!p->lim.max_skip_bytes)
        p->lim.max_skip_bytes = 16 * p->lim.max_stanza_bytes;
    if (p->lim.max_skip_depth <= 0)
        p->lim.max_skip_depth = 100000;
    p->stack = calloc((size_t)p->lim.max_depth + 1, sizeof *p->stack);
    if (!p->stack || setup_expat(p) < 0) {
        xs_parser_free(p);
        return XS_ENOMEM;
    }
    *out = p;
    return XS_OK;
}

void xs_parser_free(xs_parser *p)
{
    if (!p)
        return;
    drop_stack(p);
    if (p->xml)
        XML_ParserFree(p->xml);
    free(p->stack);
    free(p->text);
    free(p);
}

int xs_parser_reset(xs_parser *p)
{
    drop_stack(p);
    p->error = XS_OK;
    p->error_text[0] = '\0';
    return setup_expat(p) < 0 ? XS_ENOMEM : XS_OK;
}

/* One XML_Parse call; its failure becomes the sticky error. */
static void parse(xs_parser *p, const char *data, size_t n)
{
    if (XML_Parse(p->xml, data, (int)n, XML_FALSE) == XML_STATUS_ERROR &&
        !p->error) {
        enum XML_Error e = XML_GetErrorCode(p->xml);
        fail(p, e == XML_ERROR_NO_MEMORY ? XS_ENOMEM : XS_ESYNTAX,
             XML_ErrorString(e));
    }
    p->fed += n;
}

/* The last byte of a feed: parsed with reparse deferral off, so nothing
 * complete stays unreported (see the top of this file). */
static void parse_last(xs_parser *p, const char *data)
{
#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
    XML_SetReparseDeferralEnabled(p->xml, XML_FALSE);
    parse(p, data, 1);
    XML_SetReparseDeferralEnabled(p->xml, XML_TRUE);
#else
    parse(p, data, 1);
#endif
}

/* After a feed: the bytes expat holds unreported (the stanza being
 * received, or an unfinished tag between stanzas) stay within the limit.
 * A stanza that outgrows it is rejected, when the owner takes
 * rejections; then only its unfinished tag counts, against the (larger)
 * skipping limit, as does a tag between stanzas. */
static void check_unfinished(xs_parser *p)
{
    bool rejects = p->cb.on_reject != NULL;
    size_t cap = p->lim.max_stanza_bytes;

    if (p->error)
        return;
    if (p->depth >= 2 && !p->skipping && p->fed - p->stanza_start > cap &&
        rejects) {
        reject(p, XS_ETOOBIG, "a stanza is larger than the limit", NULL, NULL);
        return;
    }
    if (p->depth == 0 && cap < MAX_HEADER_BYTES)
        cap =
            MAX_HEADER_BYTES; /* the stream header, whatever the stanza limit */
    if (rejects && p->depth >= 1)
        cap = p->lim.max_skip_bytes;
    if (p->fed - (p->depth >= 2 && !p->skipping ? p->stanza_start : p->mark) >
        cap)
        fail_at(p, XS_ETOOBIG,
                "an unfinished stanza or tag is larger than the limit", p->fed);
}

int xs_parser_feed(xs_parser *p, const char *data, size_t len)
{
    while (len > 1 && !p->error) {
        size_t n = len - 1 < 16384 ? len - 1 : 16384;
        parse(p, data, n);
        data += n;
        len -= n;
    }
    if (len && !p->error)
        parse_last(p, data);
    check_unfinished(p);
    return p->error;
}

int xs_parser_error(const xs_parser *p)
{
    return p->error;
}

const char *xs_parser_error_text(const xs_parser *p)
{
    return p->error ? p->error_text : "no error";
}

size_t xs_parser_error_offset(const xs_parser *p)
{
    return p->error_offset;
}

const char *xs_strerror(int code)
{
    switch (code) {
    case XS_OK: return "no error";
    case XS_ENOMEM: return "out of memory";
    case XS_ESYNTAX: return "not well-formed XML";
    case XS_ETOOBIG: return "stanza too large";
    case XS_ETOODEEP: return "elements nested too deeply";
    case XS_ENOTSTREAM: return "not an XMPP stream";
    case XS_ETOOMANY: return "too many attributes or elements";
    default: return "unknown error";
    }
}
