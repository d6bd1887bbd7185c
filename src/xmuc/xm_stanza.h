/* xm_stanza.h -- small helpers over libstrophe stanzas for the component:
 * building replies and errors, children, and reading attributes.
 *
 * Ownership: functions named *_new return a stanza the caller releases;
 * xm_child adds a child and lends it (the parent owns it). */
#ifndef SRC_XMUC_XM_STANZA_H
#define SRC_XMUC_XM_STANZA_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>
#include "ut_ns.h"

/* The largest reply xmucd builds from its own data (topologies): servers
 * end a component's stream above their limit (Prosody's default for
 * components is 512 KiB), which would drop every occupant. */
#define XM_MAX_REPLY_BYTES (256u * 1024u)
/* One page of a topology asked for by pages: its text, escaped. */
#define XM_TOPO_PAGE (128u * 1024u)

/* Where stanzas go: the link in the daemon, a list in unit tests.  send
 * does not take the reference (the caller releases what it built) and
 * returns the bytes sent, 0 when the stanza was dropped. */
struct xm_out {
    size_t (*send)(void *ctx, xmpp_stanza_t *stanza);
    void *ctx;
    xmpp_ctx_t *xctx; /* for building stanzas */
};

static inline size_t xm_send(const struct xm_out *o, xmpp_stanza_t *st)
{
    return o->send(o->ctx, st);
}

/* A new element named name in namespace ns (NULL: none). */
xmpp_stanza_t *xm_elem_new(xmpp_ctx_t *ctx, const char *name, const char *ns);

/* Adds a new child element to parent and returns it (lent), or NULL. */
xmpp_stanza_t *xm_child(xmpp_stanza_t *parent, const char *name,
                        const char *ns);

/* Adds a child element holding text: <name>text</name>. */
xmpp_stanza_t *xm_child_text(xmpp_stanza_t *parent, const char *name,
                             const char *text);

/* The first element child (no text nodes), or NULL. */
xmpp_stanza_t *xm_first_elem(xmpp_stanza_t *st);

/* A reply to st (same name and id, to = st's from, from = st's to: a
 * component must stamp its own from).  type may be NULL. */
xmpp_stanza_t *xm_reply_new(xmpp_stanza_t *st, const char *type);

/* Builds the RFC 6120 error reply to st: <error type=etype><condition/>
 * [<text>text</text>]</error>.  NULL for an error stanza (never answer an
 * error, 8.3.1), a stanza without from, or when out of memory. */
xmpp_stanza_t *xm_error_new(xmpp_stanza_t *st, const char *etype,
                            const char *condition, const char *text);

/* Builds and sends that error reply. */
void xm_send_error(const struct xm_out *o, xmpp_stanza_t *st, const char *etype,
                   const char *condition, const char *text);

/* The text of the first child named name, lent (NULL if absent). */
const char *xm_child_text_ptr(xmpp_stanza_t *st, const char *name);

/* Parses an unsigned decimal attribute; returns false if absent or bad. */
bool xm_attr_uint(xmpp_stanza_t *st, const char *name, unsigned long max,
                  unsigned long *out);

/* The bare part of a JID, into buf. */
void xm_bare(const char *jid, char *buf, size_t len);

/* Sets an attribute to a decimal number. */
void xm_set_uint(xmpp_stanza_t *st, const char *name, unsigned long long v);

#endif
