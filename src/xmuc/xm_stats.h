/* xm_stats.h -- stanza and byte counters, per room and for the service.
 *
 * Every stanza xmucd receives or sends is counted once in the service's
 * table and, when it concerns a room, once in that room's table, by
 * direction and kind.  Kinds: "presence", "message", and for IQs
 * "iq:<payload namespace>:<type>" (e.g. "iq:http://jabber.org/protocol/
 * disco#info:get"; an IQ without payload is "iq:-:<type>").  Tables are
 * read by admins over XMPP (see docs/protocol.md) and as OpenMetrics text
 * on the optional loopback HTTP port (xm_http.h). */
#ifndef SRC_XMUC_XM_STATS_H
#define SRC_XMUC_XM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

typedef struct xm_stats xm_stats;

enum xm_dir { XM_IN = 0, XM_OUT = 1 };

struct xm_counter {
    const char *kind;    /* lent: valid until the table is freed */
    uint64_t stanzas[2]; /* by enum xm_dir */
    uint64_t bytes[2];
};

/* A new, empty table.  Returns XM_STATS_OK and sets *out, or
 * XM_STATS_ENOMEM with *out NULL. */
int xm_stats_new(xm_stats **out);
void xm_stats_free(xm_stats *s);

/* Counts one stanza of `bytes` serialized bytes.  Never fails: when a
 * new kind cannot be allocated it is counted under "other".  The
 * statistics query and its answer (an iq get or result carrying <stats/>
 * in our namespace) are not counted: readers do not see their polling. */
void xm_stats_count(xm_stats *s, enum xm_dir dir, xmpp_stanza_t *stanza,
                    size_t bytes);

/* Totals over every kind. */
struct xm_counter xm_stats_total(const xm_stats *s);

/* Calls fn for every kind, in a stable order (sorted by kind).  fn returns
 * 0 to go on; any other value stops the walk and is returned. */
int xm_stats_each(const xm_stats *s,
                  int (*fn)(void *ctx, const struct xm_counter *c), void *ctx);

/* Seconds since the table was created (for rates). */
double xm_stats_age(const xm_stats *s);

/* ---- Added for the admin query, the HTTP export and the tools ---- */

/* At most this many distinct kinds per table (including "other"); the
 * kinds beyond it are counted under "other", so hostile IQ namespaces
 * cannot grow a table without bound.  Kinds longer than
 * XM_STATS_KIND_MAX bytes are "other" too. */
#define XM_STATS_MAX_KINDS 256
#define XM_STATS_KIND_MAX 200

/* The kind stanza is counted under, written into buf (len bytes, at
 * least XM_STATS_KIND_MAX + 1 for the full rule); returns a string that
 * is either buf or a constant ("presence", "message", "other"). */
const char *xm_stats_kind(xmpp_stanza_t *stanza, char *buf, size_t len);

/* Adds stanzas and bytes to one kind in one direction.  Never fails,
 * like xm_stats_count (falls back to "other"). */
void xm_stats_add(xm_stats *s, const char *kind, enum xm_dir dir,
                  uint64_t stanzas, uint64_t bytes);

/* The counter of one kind: 0 with *out filled, or -1 when the kind was
 * never counted (out->kind is then NULL and the numbers zero). */
int xm_stats_get(const xm_stats *s, const char *kind, struct xm_counter *out);

/* The table as our admin payload (docs/protocol.md):
 * <stats xmlns='https://orbweb.dev/ns/xmuc/0' age='SECONDS'>
 *   <counter kind='K' in-stanzas='N' in-bytes='N' out-stanzas='N'
 *            out-bytes='N'/>...  (sorted by kind)
 *   <total in-stanzas='N' in-bytes='N' out-stanzas='N' out-bytes='N'/>
 * </stats>
 * A new stanza built in ctx (release it), or NULL when out of memory. */
xmpp_stanza_t *xm_stats_to_stanza(const xm_stats *s, xmpp_ctx_t *ctx);

enum xm_stats_err {
    XM_STATS_OK = 0,
    XM_STATS_ENOMEM = -1,
    XM_STATS_EPARSE = -2
};
const char *xm_stats_strerror(int code);

/* The reverse, for clients: a new table holding the counters of a
 * <stats/> element (its <total/> is redundant and not read), and the
 * server's age in *age when age is not NULL.  Returns 0, or
 * XM_STATS_EPARSE (wrong element, missing or malformed number or kind,
 * a kind twice) or XM_STATS_ENOMEM; *out is then NULL. */
int xm_stats_parse(xmpp_stanza_t *stats, xm_stats **out, double *age);

#endif
