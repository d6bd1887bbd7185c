/* xm_stanza.c -- stanza helpers for the component (see xm_stanza.h). */
#include "config.h"

#include "xm_stanza.h"
#include "ut_ns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

xmpp_stanza_t *xm_elem_new(xmpp_ctx_t *ctx, const char *name, const char *ns)
{
    xmpp_stanza_t *st = xmpp_stanza_new(ctx);

    if (!st)
        return NULL;
    if (xmpp_stanza_set_name(st, name) != XMPP_EOK ||
        (ns && xmpp_stanza_set_ns(st, ns) != XMPP_EOK)) {
        xmpp_stanza_release(st);
        return NULL;
    }
    return st;
}

xmpp_stanza_t *xm_child(xmpp_stanza_t *parent, const char *name, const char *ns)
{
    xmpp_stanza_t *c = xm_elem_new(xmpp_stanza_get_context(parent), name, ns);

    if (!c)
        return NULL;
    if (xmpp_stanza_add_child(parent, c) != XMPP_EOK) {
        xmpp_stanza_release(c);
        return NULL;
    }
    xmpp_stanza_release(c);
    return c;
}

xmpp_stanza_t *xm_child_text(xmpp_stanza_t *parent, const char *name,
                             const char *text)
{
    xmpp_stanza_t *c = xm_child(parent, name, NULL);
    xmpp_stanza_t *t =
        c ? xmpp_stanza_new(xmpp_stanza_get_context(parent)) : NULL;

    if (!t)
        return NULL;
    xmpp_stanza_set_text(t, text);
    xmpp_stanza_add_child(c, t);
    xmpp_stanza_release(t);
    return c;
}

xmpp_stanza_t *xm_first_elem(xmpp_stanza_t *st)
{
    xmpp_stanza_t *c = xmpp_stanza_get_children(st);

    while (c && !xmpp_stanza_is_tag(c))
        c = xmpp_stanza_get_next(c);
    return c;
}

xmpp_stanza_t *xm_reply_new(xmpp_stanza_t *st, const char *type)
{
    xmpp_ctx_t *ctx = xmpp_stanza_get_context(st);
    xmpp_stanza_t *r = xm_elem_new(ctx, xmpp_stanza_get_name(st), NULL);
    const char *id = xmpp_stanza_get_id(st);
    const char *from = xmpp_stanza_get_from(st), *to = xmpp_stanza_get_to(st);

    if (!r)
        return NULL;
    if (id)
        xmpp_stanza_set_id(r, id);
    if (from)
        xmpp_stanza_set_to(r, from);
    if (to)
        xmpp_stanza_set_from(r, to);
    if (type)
        xmpp_stanza_set_type(r, type);
    return r;
}

xmpp_stanza_t *xm_error_new(xmpp_stanza_t *st, const char *etype,
                            const char *condition, const char *text)
{
    const char *type = xmpp_stanza_get_type(st);
    xmpp_stanza_t *r, *e, *t;

    if ((type && !strcmp(type, "error")) || !xmpp_stanza_get_from(st))
        return NULL;
    if (!(r = xm_reply_new(st, "error")))
        return NULL;
    /* XEP-0045 7.2: a refused join echoes the MUC element, which is how
     * clients tell a join error from any other presence error. */
    if (!strcmp(xmpp_stanza_get_name(st), "presence"))
        xm_child(r, "x", UT_NS_MUC);
    if (!(e = xm_child(r, "error", NULL))) {
        xmpp_stanza_release(r);
        return NULL;
    }
    xmpp_stanza_set_attribute(e, "type", etype);
    xm_child(e, condition, UT_NS_STANZAS);
    if (text && (t = xm_child_text(e, "text", text)))
        xmpp_stanza_set_ns(t, UT_NS_STANZAS);
    return r;
}

void xm_send_error(const struct xm_out *o, xmpp_stanza_t *st, const char *etype,
                   const char *condition, const char *text)
{
    xmpp_stanza_t *r = xm_error_new(st, etype, condition, text);

    if (r) {
        xm_send(o, r);
        xmpp_stanza_release(r);
    }
}

const char *xm_child_text_ptr(xmpp_stanza_t *st, const char *name)
{
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);
    xmpp_stanza_t *t = c ? xmpp_stanza_get_children(c) : NULL;

    return t && xmpp_stanza_is_text(t) ? xmpp_stanza_get_text_ptr(t) : NULL;
}

bool xm_attr_uint(xmpp_stanza_t *st, const char *name, unsigned long max,
                  unsigned long *out)
{
    const char *v = xmpp_stanza_get_attribute(st, name);
    char *end;
    unsigned long n;

    if (!v || *v < '0' || *v > '9')
        return false;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*end || errno || n > max)
        return false;
    *out = n;
    return true;
}

void xm_bare(const char *jid, char *buf, size_t len)
{
    const char *slash = strchr(jid, '/');
    size_t n = slash ? (size_t)(slash - jid) : strlen(jid);

    snprintf(buf, len, "%.*s", (int)n, jid);
}

void xm_set_uint(xmpp_stanza_t *st, const char *name, unsigned long long v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%llu", v);
    xmpp_stanza_set_attribute(st, name, buf);
}
