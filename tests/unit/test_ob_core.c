/* test_ob_core.c -- liborbweb's core without a connection: the stanza
 * registry (first match wins, by name, namespace, type and match
 * function; a full table refused), the event registry and the dispatcher
 * (order kept, kinds without a handler dropped, a handler freeing the
 * client stops it), and the report of events lost for want of memory. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ob_core_internal.h"

TestSuite(ob_core, .timeout = 300);

static int got[8]; /* per handler: stanzas routed to it */

static void rec(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)c;
    (void)st;
    got[(size_t)arg]++;
}

static bool never(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)c;
    (void)st;
    (void)arg;
    return false;
}

/* A stanza named name of type (or none), with a child in ns (or none). */
static xmpp_stanza_t *stanza(xmpp_ctx_t *ctx, const char *name,
                             const char *type, const char *ns)
{
    xmpp_stanza_t *st = obi_el(ctx, NULL, name, NULL);

    cr_assert_not_null(st);
    if (type)
        cr_assert_eq(xmpp_stanza_set_type(st, type), 0);
    if (ns)
        cr_assert_not_null(obi_el(ctx, st, "x", ns));
    return st;
}

static void route(ob_client *c, xmpp_ctx_t *ctx, const char *name,
                  const char *type, const char *ns)
{
    xmpp_stanza_t *st = stanza(ctx, name, type, ns);

    obi_route(c, st);
    xmpp_stanza_release(st);
}

Test(ob_core, first_match_wins)
{
    static ob_client c; /* the registries need no connection */
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    const struct obi_handler hs[] = {
        {.name = "iq", .fn = rec, .arg = (void *)0},
        {.name = "message", .type = "error", .fn = rec, .arg = (void *)1},
        {.ns = "urn:x", .fn = rec, .arg = (void *)2},
        {.match = never, .fn = rec, .arg = (void *)3},
        {.fn = rec, .arg = (void *)4},
        {.name = "presence", .fn = rec, .arg = (void *)5}, /* after 4 */
    };

    cr_assert_not_null(ctx);
    memset(got, 0, sizeof got);
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        cr_assert_eq(obi_handler_add(&c, &hs[i]), OB_OK);
    route(&c, ctx, "iq", "get", "urn:x");       /* 0, not 2 */
    route(&c, ctx, "message", "error", NULL);   /* 1 */
    route(&c, ctx, "message", "chat", "urn:x"); /* 2: a child's namespace */
    route(&c, ctx, "message", "chat", NULL);    /* 4 */
    route(&c, ctx, "presence", NULL, NULL);     /* 4: added before 5 */
    cr_expect_eq(got[0], 1);
    cr_expect_eq(got[1], 1);
    cr_expect_eq(got[2], 1);
    cr_expect_eq(got[3], 0);
    cr_expect_eq(got[4], 2);
    cr_expect_eq(got[5], 0);
    xmpp_ctx_free(ctx);
}

Test(ob_core, full_table_refused)
{
    static ob_client c;
    const struct obi_handler h = {.fn = rec}, none = {.name = "iq"};
    size_t i;

    cr_expect_eq(obi_handler_add(&c, &none), OB_EINVAL);
    for (i = 0; i < OBI_MAX_HANDLERS; i++)
        cr_assert_eq(obi_handler_add(&c, &h), OB_OK);
    cr_expect_eq(obi_handler_add(&c, &h), OB_EINVAL);
    cr_expect_eq(c.nhandlers, OBI_MAX_HANDLERS);
}

static uint64_t seen[8];
static size_t nseen;

static void on_unicast(ob_client *c, struct obi_ev *ev)
{
    seen[nseen++] = ev->seq;
    if (ev->seq == 99)
        c->dying = true; /* as ob_client_free from a callback */
}

static void queue(ob_client *c, enum obi_kind kind, uint64_t seq)
{
    struct obi_ev *ev = obi_ev_new(kind);

    cr_assert_not_null(ev);
    ev->seq = seq;
    cr_assert_not_null(ev->body = strdup("owned")); /* freed after */
    obi_enqueue(c, ev);
}

Test(ob_core, events_in_order_to_their_kind)
{
    static ob_client c;

    nseen = 0;
    obi_event_on(&c, OBI_UNICAST, on_unicast);
    queue(&c, OBI_UNICAST, 1);
    queue(&c, OBI_LIST, 2); /* no handler: dropped */
    queue(&c, OBI_UNICAST, 3);
    cr_expect(obi_dispatch(&c));
    cr_expect_eq(nseen, 2);
    cr_expect_eq(seen[0], 1);
    cr_expect_eq(seen[1], 3);
    cr_expect_null(c.q_head);
    cr_expect_null(c.q_tail);
}

Test(ob_core, a_freed_client_stops_the_dispatcher)
{
    static ob_client c;

    nseen = 0;
    obi_event_on(&c, OBI_UNICAST, on_unicast);
    queue(&c, OBI_UNICAST, 99);
    queue(&c, OBI_UNICAST, 100);
    cr_expect_not(obi_dispatch(&c)); /* the caller destroys c */
    cr_expect_eq(nseen, 1);
    cr_expect_not_null(c.q_head); /* left for obi_queue_free */
    obi_queue_free(&c);
    cr_expect_null(c.q_head);
    cr_expect_null(c.q_tail);
}

static enum ob_state state_seen = OB_STATE_IDLE;
static int errors;

static void on_state(ob_client *c, struct obi_ev *ev)
{
    (void)c;
    state_seen = (enum ob_state)ev->sub;
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    (void)c;
    (void)user;
    cr_expect_eq(e->code, OB_ENOMEM);
    cr_expect_eq(e->op, OB_OP_CONNECT);
    errors++;
}

Test(ob_core, lost_events_reported_once)
{
    static ob_client c;

    c.cb.error = on_error;
    obi_event_on(&c, OBI_STATE, on_state);
    obi_lost(&c, "a presence");
    obi_lost(&c, "a state change");
    c.lost_state = OB_STATE_LOST;
    c.lost_state_set = true;
    cr_expect(obi_dispatch(&c));
    cr_expect_eq(state_seen, OB_STATE_LOST);
    cr_expect_eq(errors, 1);
    cr_expect_eq(c.lost, 0);
    cr_expect_not(c.lost_state_set);
    cr_expect(obi_dispatch(&c)); /* nothing more */
    cr_expect_eq(errors, 1);
}
