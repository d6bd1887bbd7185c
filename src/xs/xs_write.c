/* xs_write.c -- stanzas serialized straight into an evbuffer.
 *
 * libstrophe's xmpp_stanza_to_text formats every piece with snprintf into
 * a buffer it grows as it goes; on a direct link carrying 64 KB to 512 KB
 * stanzas that was two thirds of the CPU (orbweb bench e2e, measured with
 * callgrind).  This writer walks the same tree once and appends escaped
 * runs to the evbuffer: text escapes & < >, attribute values (written in
 * double quotes) also ".  Namespaces are attributes in libstrophe's
 * model, so they come out with the others. */
#include "config.h"

#include "xs_stream.h"

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS_ON_STACK 32

/* Appends s escaped; quotes too when in_attr.  0 or -1. */
static int put_escaped(struct evbuffer *out, const char *s, bool in_attr)
{
    const char *run = s;

    for (; *s; s++) {
        const char *rep = *s == '&'              ? "&amp;"
                          : *s == '<'            ? "&lt;"
                          : *s == '>'            ? "&gt;"
                          : in_attr && *s == '"' ? "&quot;"
                                                 : NULL;
        if (!rep)
            continue;
        if ((s > run && evbuffer_add(out, run, (size_t)(s - run))) ||
            evbuffer_add(out, rep, strlen(rep)))
            return -1;
        run = s + 1;
    }
    return s > run ? evbuffer_add(out, run, (size_t)(s - run)) : 0;
}

static int put_str(struct evbuffer *out, const char *s)
{
    return evbuffer_add(out, s, strlen(s));
}

static int put_attrs(struct evbuffer *out, xmpp_stanza_t *st)
{
    int n = xmpp_stanza_get_attribute_count(st) * 2, r = 0;
    const char *stack[2 * MAX_ATTRS_ON_STACK], **a = stack;

    if (n > 2 * MAX_ATTRS_ON_STACK && !(a = malloc((size_t)n * sizeof *a)))
        return -1;
    n = xmpp_stanza_get_attributes(st, a, n);
    for (int i = 0; i + 1 < n && r == 0; i += 2)
        r = put_str(out, " ") || put_str(out, a[i]) || put_str(out, "=\"") ||
                    put_escaped(out, a[i + 1], true) || put_str(out, "\"")
                ? -1
                : 0;
    if (a != stack)
        free(a);
    return r;
}

static int put_tree(struct evbuffer *out, xmpp_stanza_t *st)
{
    const char *name;
    xmpp_stanza_t *c = xmpp_stanza_get_children(st);

    if (xmpp_stanza_is_text(st))
        return put_escaped(
            out,
            xmpp_stanza_get_text_ptr(st) ? xmpp_stanza_get_text_ptr(st) : "",
            false);
    if (!(name = xmpp_stanza_get_name(st)))
        return -1;
    if (put_str(out, "<") || put_str(out, name) || put_attrs(out, st))
        return -1;
    if (!c)
        return put_str(out, "/>");
    if (put_str(out, ">"))
        return -1;
    for (; c; c = xmpp_stanza_get_next(c))
        if (put_tree(out, c))
            return -1;
    return put_str(out, "</") || put_str(out, name) || put_str(out, ">") ? -1
                                                                         : 0;
}

long xs_write_stanza(struct evbuffer *out, xmpp_stanza_t *st)
{
    struct evbuffer *tmp = evbuffer_new(); /* all or nothing reaches out */
    long len = -1;

    if (tmp && put_tree(tmp, st) == 0) {
        len = (long)evbuffer_get_length(tmp);
        if (evbuffer_add_buffer(out, tmp) != 0) /* moves, no copy */
            len = -1;
    }
    if (tmp)
        evbuffer_free(tmp);
    return len;
}
