/* xm_refusal.c -- counts and rate-limited log lines of the error replies
 * xmucd sends (see xm_refusal.h).
 *
 * The counts are a fixed array indexed like RFC 6120's list of defined
 * conditions, so counting never allocates and never fails.  The log
 * budget is a token bucket: XM_REFUSAL_LOG_BURST tokens, one more every
 * XM_REFUSAL_LOG_EVERY_MS; a line without a token is only counted.  The
 * summary of suppressed lines takes no token: it has its own pace, at
 * most one every XM_REFUSAL_SUMMARY_MS. */
#include "config.h"

#include "xm_refusal.h"
#include "xm_error.h"
#include "xm_log.h"
#include "ut_ns.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6120 section 8.3.3, in its order; the last one takes the rest. */
static const char *const conditions[] = {
    "bad-request",
    "conflict",
    "feature-not-implemented",
    "forbidden",
    "gone",
    "internal-server-error",
    "item-not-found",
    "jid-malformed",
    "not-acceptable",
    "not-allowed",
    "not-authorized",
    "policy-violation",
    "recipient-unavailable",
    "redirect",
    "registration-required",
    "remote-server-not-found",
    "remote-server-timeout",
    "resource-constraint",
    "service-unavailable",
    "subscription-required",
    "unexpected-request",
    "undefined-condition",
};
#define NCOND (sizeof conditions / sizeof conditions[0])

struct xm_refusals {
    uint64_t n[NCOND];
    uint64_t (*now_ms)(void *clock);
    void *clock;
    uint64_t tokens_at; /* when the bucket was last refilled */
    uint32_t tokens;
    uint64_t pending;    /* suppressed since the last summary */
    uint64_t suppressed; /* in all */
    uint64_t summaries;  /* written so far */
    uint64_t summary_at; /* when the last one was */
};

int xm_refusals_new(uint64_t (*now_ms)(void *clock), void *clock,
                    xm_refusals **out)
{
    xm_refusals *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return XM_ENOMEM;
    r->now_ms = now_ms;
    r->clock = clock;
    r->tokens = XM_REFUSAL_LOG_BURST;
    r->tokens_at = now_ms(clock);
    *out = r;
    return XM_OK;
}

void xm_refusals_free(xm_refusals *r)
{
    free(r);
}

static size_t index_of(const char *condition)
{
    for (size_t i = 0; condition && i < NCOND - 1; i++)
        if (!strcmp(conditions[i], condition))
            return i;
    return NCOND - 1; /* undefined-condition */
}

/* The condition element of an <error/>: its first child in the stanzas
 * namespace other than <text/>. */
static const char *condition_of(xmpp_stanza_t *err)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(err); c;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c);
        const char *name = xmpp_stanza_get_name(c);
        if (xmpp_stanza_is_tag(c) && ns && !strcmp(ns, UT_NS_STANZAS) && name &&
            strcmp(name, "text"))
            return name;
    }
    return NULL;
}

/* Adds the tokens earned since the last refill. */
static void refill(xm_refusals *r)
{
    uint64_t now = r->now_ms(r->clock);
    uint64_t add =
        now > r->tokens_at ? (now - r->tokens_at) / XM_REFUSAL_LOG_EVERY_MS : 0;

    if (add) {
        r->tokens = add >= XM_REFUSAL_LOG_BURST - r->tokens
                        ? XM_REFUSAL_LOG_BURST
                        : r->tokens + (uint32_t)add;
        r->tokens_at += add * XM_REFUSAL_LOG_EVERY_MS;
    }
    if (r->tokens == XM_REFUSAL_LOG_BURST)
        r->tokens_at = now; /* a full bucket does not bank time */
}

/* True when a line may be logged now (and takes its token). */
static bool take_token(xm_refusals *r)
{
    refill(r);
    if (!r->tokens)
        return false;
    r->tokens--;
    return true;
}

/* Writes the summary of suppressed lines when there is one and the last
 * is XM_REFUSAL_SUMMARY_MS old (the first is due at once). */
static void summarize(xm_refusals *r)
{
    uint64_t now = r->now_ms(r->clock);

    if (!r->pending ||
        (r->summaries && now - r->summary_at < XM_REFUSAL_SUMMARY_MS))
        return;
    xm_info("suppressed %" PRIu64 " refusal log lines (more than %d at once, "
            "then one a second)",
            r->pending, XM_REFUSAL_LOG_BURST);
    r->pending = 0;
    r->summaries++;
    r->summary_at = now;
}

/* The room a reply comes from: the node of its from, or NULL when the
 * service itself answered. */
static void room_of(xmpp_stanza_t *st, char *buf, size_t len)
{
    const char *from = xmpp_stanza_get_from(st);
    const char *at = from ? strchr(from, '@') : NULL;
    size_t n = at ? (size_t)(at - from) : 0;

    if (!at || n >= len) {
        snprintf(buf, len, "-");
        return;
    }
    memcpy(buf, from, n);
    buf[n] = 0;
}

static void log_line(xm_refusals *r, xmpp_stanza_t *st, xmpp_stanza_t *err,
                     const char *condition)
{
    char room[256];
    const char *to = xmpp_stanza_get_to(st);
    const char *text = NULL;
    xmpp_stanza_t *t = xmpp_stanza_get_child_by_name(err, "text");
    xmpp_stanza_t *tt = t ? xmpp_stanza_get_children(t) : NULL;

    if (tt && xmpp_stanza_is_text(tt))
        text = xmpp_stanza_get_text_ptr(tt);
    if (!take_token(r)) {
        r->pending++;
        r->suppressed++;
        return;
    }
    summarize(r);
    room_of(st, room, sizeof room);
    xm_info("refused %s %s in room %s: %s%s%.200s%s", to ? to : "?",
            xmpp_stanza_get_name(st), room, condition, text ? " (" : "",
            text ? text : "", text ? ")" : "");
}

void xm_refusals_note(xm_refusals *r, xmpp_stanza_t *st)
{
    const char *type = st ? xmpp_stanza_get_type(st) : NULL;
    xmpp_stanza_t *err;
    size_t i;

    if (!r || !type || strcmp(type, "error") ||
        !(err = xmpp_stanza_get_child_by_name(st, "error")))
        return;
    i = index_of(condition_of(err));
    r->n[i]++;
    log_line(r, st, err, conditions[i]);
}

void xm_refusals_tick(xm_refusals *r)
{
    if (r)
        summarize(r);
}

int xm_refusals_each(const xm_refusals *r,
                     int (*fn)(void *ctx, const char *condition, uint64_t n),
                     void *ctx)
{
    int rc;

    for (size_t i = 0; i < NCOND; i++)
        if ((rc = fn(ctx, conditions[i], r->n[i])))
            return rc;
    return 0;
}

uint64_t xm_refusals_count(const xm_refusals *r, const char *condition)
{
    size_t i = index_of(condition);

    /* an unknown name is not undefined-condition's count */
    if (i == NCOND - 1 && (!condition || strcmp(condition, conditions[i])))
        return 0;
    return r->n[i];
}

uint64_t xm_refusals_suppressed(const xm_refusals *r)
{
    return r->suppressed;
}
