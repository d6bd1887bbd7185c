/* xm_refusal.h -- the error replies xmucd sends to users ("refusals"),
 * counted by RFC 6120 condition for /metrics and logged at info level
 * with a rate limit.
 *
 * The service and its rooms hand every error reply they build to
 * xm_refusals_note (errors xmucd merely forwards between occupants are
 * not refusals and are not noted).  Each one is counted under its
 * condition; conditions outside RFC 6120's list count as
 * "undefined-condition", so the label set stays bounded.  Each one also
 * gets a log line "refused WHO in room ROOM: CONDITION (TEXT)", unless a
 * flood has used up the log budget: at most XM_REFUSAL_LOG_BURST lines at
 * once, then one per second; the lines left out are counted and reported
 * in one "suppressed N refusal log lines" line, on the next refusal or
 * xm_refusals_tick, at most every XM_REFUSAL_SUMMARY_MS (the first one
 * at once).  Under a sustained flood the log grows by about one line a
 * second. */
#ifndef SRC_XMUC_XM_REFUSAL_H
#define SRC_XMUC_XM_REFUSAL_H

#include <stdint.h>
#include <strophe.h>

#define XM_REFUSAL_LOG_BURST 20
#define XM_REFUSAL_LOG_EVERY_MS 1000
#define XM_REFUSAL_SUMMARY_MS 10000

typedef struct xm_refusals xm_refusals;

/* A new, zeroed set of counts with its log budget full; now_ms(clock) is
 * the clock.  Returns XM_OK and sets *out, or XM_ENOMEM with *out NULL. */
int xm_refusals_new(uint64_t (*now_ms)(void *clock), void *clock,
                    xm_refusals **out);
void xm_refusals_free(xm_refusals *r);

/* Counts and logs one error reply (NULL or a stanza that is not an error
 * is ignored; r may be NULL).  The stanza is only read. */
void xm_refusals_note(xm_refusals *r, xmpp_stanza_t *error);

/* Logs the summary of suppressed lines once the budget allows it. */
void xm_refusals_tick(xm_refusals *r);

/* Calls fn for every condition of RFC 6120 (8.3.3), in that order, with
 * its count (zeros included: alerts need the series to exist).  fn
 * returns 0 to go on; anything else stops the walk and is returned. */
int xm_refusals_each(const xm_refusals *r,
                     int (*fn)(void *ctx, const char *condition, uint64_t n),
                     void *ctx);

/* The count of one condition (0 for an unknown name). */
uint64_t xm_refusals_count(const xm_refusals *r, const char *condition);

/* Log lines left out so far, in all (for tests and the summary). */
uint64_t xm_refusals_suppressed(const xm_refusals *r);

#endif
