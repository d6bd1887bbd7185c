/* it_support.h -- what the integration and hostile tests share (prefix
 * it_): the clock, running an event loop for a while or until something
 * holds, anonymous clients and raw stanzas, and questions to xmucd from
 * an admin's connection (tools/harness/hs_client.h). */
#ifndef TESTS_INTEGRATION_IT_SUPPORT_H
#define TESTS_INTEGRATION_IT_SUPPORT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "hs_client.h"
#include "hs_server.h"

/* CLOCK_MONOTONIC in milliseconds. */
double it_now_ms(void);

/* Runs base for ms milliseconds (less if it runs out of events). */
void it_run_for(struct event_base *base, double ms);

/* Runs base in steps of tick_ms until done(w, arg) holds, for at most
 * ticks steps; every tenth step also reads admin's link (when admin is
 * not NULL) so that xmucd never stalls writing to it.  Returns done's
 * last answer: false means the wait ran out (a hang). */
bool it_spin(struct event_base *base, hs_client *admin, int ticks, int tick_ms,
             bool (*done)(void *w, void *arg), void *w, void *arg);

/* An anonymous client of s (timeout_ms for each wait); fails the test
 * when it cannot log in. */
hs_client *it_anon(hs_server *s, int timeout_ms);

/* Sends the stanza written by fmt (printf) on c; fails the test when it
 * is not well-formed XML. */
void it_send_xml(hs_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
void it_stanzas_out(hs_client *admin, const char *room,
                    const char *const *kinds, size_t n, unsigned long long *out,
                    unsigned long long *bytes);

#endif
