/* xm_capture.c -- xmucd's service without a server (see xm_capture.h). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xm_capture.h"

xmpp_ctx_t *xmt_ctx;
xmpp_stanza_t **xmt_log;
size_t xmt_n;
uint64_t xmt_clock;
static size_t cap;

static size_t keep(void *c, xmpp_stanza_t *st)
{
    (void)c;
    if (xmt_n == cap) {
        cap = cap ? 2 * cap : 256;
        cr_assert(xmt_log = realloc(xmt_log, cap * sizeof *xmt_log));
    }
    xmt_log[xmt_n++] = xmpp_stanza_copy(st);
    return 1;
}

struct xm_out xmt_out = {keep, NULL, NULL};

uint64_t xmt_now(void *c)
{
    (void)c;
    return xmt_clock;
}

void xmt_drop(void)
{
    while (xmt_n)
        xmpp_stanza_release(xmt_log[--xmt_n]);
}

void xmt_begin(void)
{
    xmpp_initialize();
    xmt_out.xctx = xmt_ctx = xmpp_ctx_new(NULL, NULL);
    xmt_clock = 5000;
}

void xmt_end(void)
{
    xmt_drop();
    free(xmt_log);
    xmt_log = NULL;
    cap = 0;
    xmpp_ctx_free(xmt_ctx);
    xmpp_shutdown();
}

void xmt_feed(xm_service *s, const char *fmt, ...)
{
    char xml[8192];
    va_list ap;
    xmpp_stanza_t *st;

    va_start(ap, fmt);
    vsnprintf(xml, sizeof xml, fmt, ap);
    va_end(ap);
    cr_assert_not_null(st = xmpp_stanza_new_from_string(xmt_ctx, xml), "%s",
                       xml);
    xm_service_handle(s, st, strlen(xml));
    xmpp_stanza_release(st);
}
