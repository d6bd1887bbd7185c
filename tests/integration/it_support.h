/* it_support.h -- what the integration tests of liborbweb share (prefix
 * it_): the clock, running an event loop for a while, and questions to
 * xmucd from an admin's connection (tools/harness/hs_client.h). */
#ifndef TESTS_INTEGRATION_IT_SUPPORT_H
#define TESTS_INTEGRATION_IT_SUPPORT_H

#include <event2/event.h>
#include <stddef.h>
#include <strophe.h>

#include "hs_client.h"

/* CLOCK_MONOTONIC in milliseconds. */
double it_now_ms(void);

/* Runs base for ms milliseconds (less if it runs out of events). */
void it_run_for(struct event_base *base, double ms);

/* The admin's answer to <name xmlns=xmucd's namespace/> sent to room, or
 * NULL (what came instead is written to err when err is not NULL).
 * Release it. */
xmpp_stanza_t *it_admin_query(hs_client *admin, const char *room,
                              const char *name, char *err, size_t errlen);

/* Message stanzas xmucd has sent for room (its stats), and their bytes
 * when bytes is not NULL; fails the test when the stats cannot be read. */
unsigned long long it_messages_out(hs_client *admin, const char *room,
                                   unsigned long long *bytes);

/* The same for n kinds of xm_stats ("message", "iq:NS:get", ...) read
 * from one stats query: stanzas into out[i], bytes into bytes[i] when
 * bytes is not NULL. */
void it_stanzas_out(hs_client *admin, const char *room, const char *const *kinds,
                    size_t n, unsigned long long *out, unsigned long long *bytes);

#endif
