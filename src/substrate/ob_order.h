/* ob_order.h -- per-destination ordering of unicasts across paths
 * (internal, prefix obi_order_; sans-I/O).
 *
 * A unicast may travel relayed (through the XMPP server) or over a direct
 * link, and the path can change mid-stream.  Each unicast carries
 *     <o xmlns='https://orbweb.dev/ns/e2e/0' e='EPOCH' s='SEQ'/>
 * where EPOCH is the sender's random epoch (one per client object, so a
 * restarted sender is told apart) and SEQ counts the unicasts to that
 * destination from 1.  The sender keeps the stanzas sent on a direct link
 * until the link acknowledges them and resends them relayed, with the same
 * e and s, if the link dies first.  The receiver keeps, per sender, the
 * next SEQ it expects and a bounded buffer of early arrivals, and hands
 * stanzas to its owner in SEQ order, each once: a copy that comes both
 * ways is delivered the first time only.
 *
 * Bounds: when a sender's buffer holds more than max_held stanzas or
 * max_held_bytes, or its oldest gap has waited hold_ms, the receiver
 * stops waiting: it skips the
 * missing SEQs and delivers what it holds in order; a skipped stanza that
 * arrives later is dropped as a duplicate (order is kept, that stanza is
 * lost).  A new epoch from a sender flushes what is held of the old one
 * in order and starts over; stanzas of the epoch before are then dropped.
 * The first stanza seen from a sender (or after a new epoch) sets the SEQ
 * expected, so a receiver that restarts takes the stream where it finds
 * it.  That first stanza is the lowest SEQ in flight because a direct link
 * is negotiated with Jingle IQs that travel the relayed path behind the
 * unicasts sent before them (the server keeps one sender's stanzas in
 * order), so the receiver has the relayed stream before any direct one. Stanzas
 * without <o/> are delivered at once, outside any order. At most max_peers JIDs
 * are tracked; the least recently used is forgotten beyond that (after
 * delivering what it held).
 *
 * Results are liborbweb's (enum ob_result): 0 or a negative code. */
#ifndef SRC_SUBSTRATE_OB_ORDER_H
#define SRC_SUBSTRATE_OB_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#define OBI_ORDER_MAX_UNACKED 1024 /* default of max_unacked */

typedef struct obi_order obi_order;

struct obi_order_params {
    uint64_t epoch;        /* ours: random, nonzero (required) */
    size_t max_held;       /* early arrivals held per sender; 0: 4096 */
    size_t max_held_bytes; /* and their bodies' bytes (plus 256 each);
                              0: 8 MiB */
    size_t max_unacked;    /* stanzas awaiting a link ack per destination;
                              0: OBI_ORDER_MAX_UNACKED */
    size_t max_peers;      /* JIDs tracked; 0: 4096 */
    uint64_t hold_ms;      /* longest wait for a missing SEQ; 0: 10000 */
};

/* Receives stanzas in order; st is lent for the call. */
typedef void (*obi_order_fn)(void *ud, xmpp_stanza_t *st);

int obi_order_new(const struct obi_order_params *p, obi_order **out);
void obi_order_free(obi_order *o);

/* ---- Sending ---- */

/* Adds <o e s/> to st for destination to (a full JID), with to's next
 * SEQ, written to *seq when seq is not NULL. */
int obi_order_stamp(obi_order *o, const char *to, xmpp_stanza_t *st,
                    uint64_t *seq);

/* The stanza stamped last for `to`, with SEQ seq, was not sent after all
 * (no path would take it): its SEQ is given again, so the receiver does
 * not wait for it.  Nothing happens when seq is not the last one given. */
void obi_order_unstamp(obi_order *o, const char *to, uint64_t seq);

/* Can one more stanza to `to` be kept for a resend (below max_unacked)? */
bool obi_order_direct_room(const obi_order *o, const char *to);

/* st (stamped) is being sent to `to` on direct link `link` (the owner's
 * tag for that link, never reused), where it is the n-th stanza (1 for
 * the first): kept (a reference) until obi_order_acked says that link
 * delivered it.  OB_ESTATE when max_unacked stanzas already wait: send
 * st relayed instead (the receiver orders it all the same).  Two links
 * to one destination may be up at once (both ends opened a session):
 * each link's acknowledgements count only what was sent on it. */
int obi_order_sent_direct(obi_order *o, const char *to, uint64_t link,
                          uint64_t n, xmpp_stanza_t *st);

/* Link `link` to `to` has delivered its first h stanzas (the <a h/> of
 * the direct stream): those are forgotten. */
void obi_order_acked(obi_order *o, const char *to, uint64_t link, uint64_t h);

/* Link `link` to `to` is gone: resend(ud, st) is called for every stanza
 * it did not acknowledge, oldest first (send them relayed, unchanged);
 * what other links carry stays.  Returns how many. */
size_t obi_order_link_down(obi_order *o, const char *to, uint64_t link,
                           obi_order_fn resend, void *ud);

/* ---- Receiving ---- */

/* A unicast from `from` arrived by any path: deliver(ud, ...) is called
 * for it and for every held stanza it unblocks, in order (zero times for
 * a duplicate or an early arrival).  Returns how many were delivered, or
 * OB_ENOMEM (st was not kept: it is lost). */
int obi_order_recv(obi_order *o, const char *from, xmpp_stanza_t *st,
                   uint64_t now_ms, obi_order_fn deliver, void *ud);

/* Gives up on gaps older than hold_ms: delivers what they held back.
 * Returns how many were delivered. */
size_t obi_order_tick(obi_order *o, uint64_t now_ms, obi_order_fn deliver,
                      void *ud);

/* Have we stamped stanzas for jid (and not forgotten it)?  What jid sent
 * us does not count: who may open a direct session with us is decided
 * on what we sent (docs/security.md). */
bool obi_order_sent_to(const obi_order *o, const char *jid);

/* Stanzas held, for all senders (tests and statistics). */
size_t obi_order_held(const obi_order *o);
/* Stanzas awaiting a link acknowledgement to `to`. */
size_t obi_order_unacked(const obi_order *o, const char *to);

#endif
