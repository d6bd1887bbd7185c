/* it_support.c -- the integration tests' shared helpers (it_support.h). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "it_support.h"
#include "xm_stats.h"
#include "ut_ns.h"

#define QUERY_MS 10000

double it_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void it_run_for(struct event_base *base, double ms)
{
    long us = (long)(ms * 1000);
    struct timeval tv = {us / 1000000, us % 1000000};

    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

bool it_spin(struct event_base *base, hs_client *admin, int ticks, int tick_ms,
             bool (*done)(void *w, void *arg), void *w, void *arg)
{
    for (int i = 0; i < ticks; i++) {
        struct timeval tv = {0, tick_ms * 1000};
        if (done(w, arg))
            return true;
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
        if (i % 10 == 9 && admin)
            hs_client_drain(admin, 0, 1);
    }
    return done(w, arg);
}

hs_client *it_anon(hs_server *s, int timeout_ms)
{
    char err[512];
    hs_client *c = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                                     hs_server_anon_domain(s), NULL, timeout_ms,
                                     err, sizeof err);
    cr_assert(c, "%s", err);
    return c;
}

void it_send_xml(hs_client *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = hs_client_send_xmlv(c, fmt, ap);
    va_end(ap);
    cr_assert_eq(r, 0, "bad XML in the test: %.200s", fmt);
}

/* The name of an error answer's condition, or "?". */
static const char *condition(xmpp_stanza_t *r)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(r, "error");

    e = e ? xmpp_stanza_get_children(e) : NULL;
    return e && xmpp_stanza_get_name(e) ? xmpp_stanza_get_name(e) : "?";
}

xmpp_stanza_t *it_admin_query(hs_client *admin, const char *room,
                              const char *name, char *err, size_t errlen)
{
    xmpp_stanza_t *iq =
        hs_iq_query(hs_client_ctx(admin), "get", room, name, UT_NS_XMUC);
    xmpp_stanza_t *r = hs_client_iq(admin, iq, QUERY_MS);

    xmpp_stanza_release(iq);
    if (err)
        snprintf(err, errlen, "no answer to the %s query", name);
    if (r && strcmp(xmpp_stanza_get_type(r), "result")) {
        if (err)
            snprintf(err, errlen, "%s query: error %s", name, condition(r));
        xmpp_stanza_release(r);
        r = NULL;
    }
    return r;
}

void it_stanzas_out(hs_client *admin, const char *room,
                    const char *const *kinds, size_t n, unsigned long long *out,
                    unsigned long long *bytes)
{
    xmpp_stanza_t *r = it_admin_query(admin, room, "stats", NULL, 0);
    xm_stats *stats = NULL;

    cr_assert(r, "no stats for %s", room);
    cr_assert_eq(xm_stats_parse(xmpp_stanza_get_child_by_name_and_ns(
                                    r, "stats", UT_NS_XMUC),
                                &stats, NULL),
                 XM_STATS_OK, "malformed stats");
    for (size_t i = 0; i < n; i++) {
        struct xm_counter m = {0};
        xm_stats_get(stats, kinds[i], &m);
        out[i] = m.stanzas[XM_OUT];
        if (bytes)
            bytes[i] = m.bytes[XM_OUT];
    }
    xm_stats_free(stats);
    xmpp_stanza_release(r);
}

unsigned long long it_messages_out(hs_client *admin, const char *room,
                                   unsigned long long *bytes)
{
    static const char *const kind[] = {"message"};
    unsigned long long n, b;

    it_stanzas_out(admin, room, kind, 1, &n, &b);
    if (bytes)
        *bytes = b;
    return n;
}
