/* xm_capture.h -- xmucd's service without a server, for unit tests
 * (prefix xmt_): what it sends is kept in a growing log, its clock is a
 * variable, stanzas go in as XML text. */
#ifndef TESTS_UNIT_XM_CAPTURE_H
#define TESTS_UNIT_XM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "xm_service.h"

extern xmpp_ctx_t *xmt_ctx;
extern xmpp_stanza_t **xmt_log; /* what the service sent, oldest first */
extern size_t xmt_n;
extern uint64_t xmt_clock;    /* ms */
extern struct xm_out xmt_out; /* give it to xm_service_new */

/* Makes the context (xmt_out uses it) / frees it and the log. */
void xmt_begin(void);
void xmt_end(void);
/* Empties the log. */
void xmt_drop(void);
/* The clock function for struct xm_service_config.now_ms. */
uint64_t xmt_now(void *ctx);
/* Parses the formatted XML (the test fails if it is malformed) and hands
 * it to s. */
void xmt_feed(xm_service *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
