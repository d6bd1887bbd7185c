/* xs_parser.h -- an incremental XMPP stream parser that yields stanzas.
 *
 * Sans-I/O: feed it bytes in any chunks; it calls back on the stream
 * header, on every complete top-level element (a stanza, as libstrophe's
 * xmpp_stanza_t, so all protocol code shares one stanza model), and on
 * the stream's end.  Namespaces are resolved: a stanza carries xmlns when
 * its namespace differs from its parent's (top-level elements always).
 * Hostile input is bounded: stanza size, nesting depth, attributes per
 * element, elements per stanza and name lengths have limits.  A stanza
 * that breaks one is, when the owner gives on_reject, skipped: nothing
 * more of it is kept, the parser resynchronises at the end of its
 * top-level element and reports it (with its from, to, id and type only,
 * so the sender can get an error), and the stream carries on.  Without
 * on_reject, or when the stream itself is broken (malformed XML, or a
 * stanza that cannot even be skipped in bounded memory: one tag longer
 * than max_skip_bytes, nesting deeper than max_skip_depth), the first
 * error sticks, with its byte offset, until xs_parser_reset(). */
#ifndef SRC_XS_XS_PARSER_H
#define SRC_XS_XS_PARSER_H

#include <stddef.h>
#include <strophe.h>

typedef struct xs_parser xs_parser;

enum xs_error {
    XS_OK = 0,
    XS_ENOMEM = -1,
    XS_ESYNTAX = -2,    /* not well-formed XML */
    XS_ETOOBIG = -3,    /* a stanza above max_stanza_bytes */
    XS_ETOODEEP = -4,   /* nesting above max_depth */
    XS_ENOTSTREAM = -5, /* the root is not <stream:stream> */
    XS_ETOOMANY = -6,   /* attributes or elements above their limits */
};

/* Longest element or attribute name (with its namespace) a stanza may use. */
#define XS_MAX_NAME 511
/* Longest from, to, id or type kept of a rejected stanza (longer: dropped;
 * 3071 is the longest JID, RFC 7622). */
#define XS_MAX_KEPT 3071

struct xs_limits {
    size_t max_stanza_bytes; /* 0 means 262144 (Prosody's default) */
    int max_depth;           /* 0 means 64 */
    int max_attrs;           /* per element; 0 means 256 */
    size_t max_elements;     /* per stanza; 0 means no limit */
    /* Skipping a rejected stanza (with on_reject only): one unfinished tag
     * may hold at most max_skip_bytes (0: 16 times max_stanza_bytes), and
     * nesting at most max_skip_depth (0: 100000; expat keeps about 160
     * bytes per open element), or the stream fails. */
    size_t max_skip_bytes;
    int max_skip_depth;
};

struct xs_callbacks {
    /* The stream header: attrs is NULL-terminated name, value pairs
     * (namespace declarations included as xmlns / xmlns:p). */
    void (*on_open)(void *ud, const char **attrs);
    /* A complete stanza, lent for the call: clone it to keep it.  bytes
     * is its size on the wire, from its start tag to its end tag. */
    void (*on_stanza)(void *ud, xmpp_stanza_t *stanza, size_t bytes);
    /* </stream:stream> */
    void (*on_close)(void *ud);
    /* Optional: a stanza that broke a per-stanza limit (code, and a
     * sentence why) and was skipped; bytes is its size on the wire.  top
     * is its top-level element without children, with its from, to, id and
     * type attributes (those no longer than XS_MAX_KEPT), lent for the
     * call; NULL when memory ran out.  NULL callback: such a stanza fails
     * the stream instead. */
    void (*on_reject)(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes);
};

/* A parser building stanzas in ctx.  Returns XS_OK and sets *out, or
 * XS_ENOMEM with *out NULL. */
int xs_parser_new(xmpp_ctx_t *ctx, const struct xs_limits *limits,
                  const struct xs_callbacks *cb, void *ud, xs_parser **out);
void xs_parser_free(xs_parser *p);

/* Feeds bytes.  Returns XS_OK or the (sticky) error.  Callbacks may run
 * during the call; they must not free the parser. */
int xs_parser_feed(xs_parser *p, const char *data, size_t len);

/* Forgets everything: the next byte starts a new stream. */
int xs_parser_reset(xs_parser *p);

/* The sticky error, a sentence describing it, and the byte offset (from
 * the start of the stream) where it was detected. */
int xs_parser_error(const xs_parser *p);
const char *xs_parser_error_text(const xs_parser *p);
size_t xs_parser_error_offset(const xs_parser *p);

const char *xs_strerror(int code);

/* The default namespace the peer's <stream:stream> declared ("" before
 * it or without one). */
const char *xs_parser_root_ns(const xs_parser *p);

#endif
