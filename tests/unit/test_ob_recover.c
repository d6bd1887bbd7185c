/* test_ob_recover.c -- the pure decisions behind a peer's recovery
 * (ob_recover.c): which errors from a room mean "out of it", and the
 * self-ping and rejoin delays with their jitter and bounds. */
#include "config.h"

#include <criterion/criterion.h>

#include "ob_parse_internal.h"
#include "ob_recover_internal.h"

Test(recover, errors_that_mean_out_of_the_room)
{
    static const struct {
        enum ob_condition cond;
        bool other_nick, out;
    } cases[] = {
        {OB_COND_NOT_ACCEPTABLE, false, true}, /* "join the room first" */
        {OB_COND_NOT_ACCEPTABLE, true, true},  /* the same, to room/nick */
        {OB_COND_ITEM_NOT_FOUND, false, true}, /* the room is gone */
        {OB_COND_ITEM_NOT_FOUND, true, false}, /* an unknown nick */
        {OB_COND_SERVICE_UNAVAILABLE, false, false}, /* xmucd not back yet */
        {OB_COND_REMOTE_SERVER_NOT_FOUND, false, false},
        {OB_COND_RESOURCE_CONSTRAINT, false, false}, /* over a rate */
        {OB_COND_FORBIDDEN, false, false},
        {OB_COND_NONE, false, false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_eq(obi_recover_out(cases[i].cond, cases[i].other_nick),
                     cases[i].out, "case %zu", i);
}

Test(recover, self_pings_are_the_period_plus_or_minus_a_fifth)
{
    uint64_t lo = UINT64_MAX, hi = 0;

    for (uint32_t rnd = 0; rnd < 100000; rnd += 7) {
        uint64_t d = obi_recover_ping_ms(30000, rnd * 2654435761u);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    cr_expect_geq(lo, 24000);
    cr_expect_leq(hi, 36000);
    cr_expect_lt(lo, 25000, "jitter spreads the pings");
    cr_expect_gt(hi, 35000);
    cr_expect_eq(obi_recover_ping_ms(1, 12345), 1);
}

Test(recover, rejoins_back_off_to_a_bound)
{
    cr_expect_geq(obi_recover_rejoin_ms(0, true, 0), 100);
    cr_expect_lt(obi_recover_rejoin_ms(0, true, 99), 200);
    cr_expect_eq(obi_recover_rejoin_ms(1, true, 0), 200);
    cr_expect_eq(obi_recover_rejoin_ms(5, true, 0), OBI_RECOVER_MAX_MS);
    cr_expect_eq(obi_recover_rejoin_ms(1000, true, 0), OBI_RECOVER_MAX_MS);
    cr_expect_eq(obi_recover_rejoin_ms(-3, true, 0), 100);
}

Test(recover, the_member_that_configured_the_room_rejoins_first)
{
    for (int losses = 0; losses < 8; losses++)
        cr_expect_gt(obi_recover_rejoin_ms(losses, false, 0),
                     obi_recover_rejoin_ms(losses, true, 99), "after %d losses",
                     losses);
}

/* The epoch of a self-presence and of a <gc/> record (0 when absent or
 * malformed: then no comparison). */
static uint64_t epoch_in(const char *xml)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
    struct obi_ev ev;
    uint64_t e;

    cr_assert(st, "%s", xml);
    cr_assert_eq(obi_parse(st, &ev), 0);
    e = ev.epoch;
    obi_ev_clear(&ev);
    xmpp_stanza_release(st);
    xmpp_ctx_free(ctx);
    return e;
}

#define SELF(view)                                                             \
    "<presence from='r@rooms.x/me' to='me@x/r'>"                               \
    "<x xmlns='http://jabber.org/protocol/muc#user'><status "                  \
    "code='110'/></x>" view "</presence>"
#define GC(attrs)                                                              \
    "<message from='p@x/r' to='me@x/r'><gc xmlns='" OBI_NS "' "                \
    "room='r@rooms.x' mode='pbcast' " attrs ">AAAA</gc></message>"

Test(recover, epochs_are_parsed)
{
    xmpp_initialize();
    cr_expect_eq(epoch_in(SELF("<view xmlns='" OBI_NS "' epoch='77'/>")), 77);
    cr_expect_eq(epoch_in(SELF("<view xmlns='" OBI_NS "'/>")), 0);
    cr_expect_eq(epoch_in(SELF("<view xmlns='" OBI_NS "' epoch='-1'/>")), 0);
    cr_expect_eq(epoch_in(SELF("<view xmlns='" OBI_NS
                               "' epoch='99999999999999999999999'/>")),
                 0);
    cr_expect_eq(epoch_in(GC("epoch='12'")), 12);
    cr_expect_eq(epoch_in(GC("epoch='12x'")), 0);
    cr_expect_eq(epoch_in(GC("")), 0);
    xmpp_shutdown();
}
