/* test_ob_groupcast.c -- the pieces of ob_groupcast.c that need no server:
 * the groupcast payload (nick NUL body), view attributes to engine bits,
 * mode names, and <gc/> records as the parser reads them. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "ob_groupcast_internal.h"

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(gc_payload, .timeout = 300);

Test(gc_payload, round_trip)
{
    uint8_t *p;
    size_t len;
    char *nick, *body;

    cr_assert_eq(obi_gc_payload_encode("alice", "hello <&> world", &p, &len),
                 OB_OK);
    cr_assert_eq(len, strlen("alice") + 1 + strlen("hello <&> world"));
    cr_assert_eq(obi_gc_payload_decode(p, len, &nick, &body), OB_OK);
    cr_expect_str_eq(nick, "alice");
    cr_expect_str_eq(body, "hello <&> world");
    free(nick);
    free(body);
    free(p);
    cr_assert_eq(obi_gc_payload_encode("bob", "", &p, &len), OB_OK);
    cr_assert_eq(obi_gc_payload_decode(p, len, &nick, &body), OB_OK);
    cr_expect_str_eq(body, "");
    free(nick);
    free(body);
    free(p);
}

Test(gc_payload, limits)
{
    size_t big = GC_PAYLOAD_MAX;
    char *body = malloc(big + 1), *nick = malloc(1100);
    uint8_t *p;
    size_t len;

    cr_assert(body && nick);
    memset(body, 'x', big);
    body[big] = 0;
    cr_expect_eq(obi_gc_payload_encode("a", body, &p, &len), OB_EINVAL);
    cr_expect_null(p);
    body[big - 2] = 0; /* "a" NUL body fills the payload exactly */
    cr_expect_eq(obi_gc_payload_encode("a", body, &p, &len), OB_OK);
    cr_expect_eq(len, (size_t)GC_PAYLOAD_MAX);
    free(p);
    cr_expect_eq(obi_gc_payload_encode("", "x", &p, &len), OB_EINVAL);
    memset(nick, 'n', 1024);
    nick[1024] = 0;
    cr_expect_eq(obi_gc_payload_encode(nick, "x", &p, &len), OB_EINVAL);
    free(body);
    free(nick);
}

Test(gc_payload, hostile)
{
    static const struct {
        const char *p;
        size_t len;
    } bad[] = {{"nonul", 5}, {"\0body", 5}, {"nick\0bo\0dy", 10}, {"", 0}};
    char *nick, *body;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(obi_gc_payload_decode((const uint8_t *)bad[i].p,
                                           bad[i].len, &nick, &body),
                     OB_EINVAL, "case %zu", i);
        cr_expect_null(nick);
        cr_expect_null(body);
    }
}

TestSuite(gc_view, .timeout = 300);

Test(gc_view, attributes_and_modes)
{
    cr_expect_eq(obi_gc_attrs("tree,gossip"), GC_ATTR_TREE | GC_ATTR_GOSSIP);
    cr_expect_eq(obi_gc_attrs("ring-next,ring-prev,member"),
                 GC_ATTR_RING_NEXT | GC_ATTR_RING_PREV | GC_ATTR_MEMBER);
    cr_expect_eq(obi_gc_attrs("finger-3,,tre,treex,leader"), 0u);
    cr_expect_eq(obi_gc_attrs(""), 0u);
    cr_expect_eq(obi_gc_attrs(NULL), 0u);
    cr_expect_eq(obi_gc_mode("tree"), OBI_GC_TREE);
    cr_expect_eq(obi_gc_mode("pbcast"), OBI_GC_PBCAST);
    cr_expect_eq(obi_gc_mode("tapbcast"), OBI_GC_TAPBCAST);
    cr_expect_eq(obi_gc_mode("relay"), OBI_GC_NONE);
    cr_expect_eq(obi_gc_mode(NULL), OBI_GC_NONE);
    cr_expect_str_eq(obi_gc_mode_name(OBI_GC_TAPBCAST), "tapbcast");
    cr_expect_str_eq(obi_gc_mode_name(OBI_GC_NONE), "relay");
    cr_expect_str_eq(obi_gc_mode_name(99), "relay");
}

static xmpp_stanza_t *parse_xml(xmpp_ctx_t *ctx, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);

    cr_assert(st, "%s", xml);
    return st;
}

TestSuite(gc_parse, .timeout = 300);

Test(gc_parse, records_and_modes)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    struct obi_ev ev;
    xmpp_stanza_t *st;

    st = parse_xml(ctx, "<message type='normal' from='a@x/r'><gc xmlns='" OBI_NS
                        "' room='r@rooms.x' mode='pbcast'>AQI=</gc>"
                        "</message>");
    cr_assert_eq(obi_parse(st, &ev), 0);
    cr_expect_eq(ev.kind, OBI_GC_RECORD);
    cr_expect_eq(ev.sub, OBI_GC_PBCAST);
    cr_expect_str_eq(ev.room, "r@rooms.x");
    cr_expect_str_eq(ev.from, "a@x/r");
    cr_expect_str_eq(ev.body, "AQI=");
    obi_ev_clear(&ev);
    xmpp_stanza_release(st);
    /* no room: nothing; a groupchat carrying <gc/>: not a record */
    st = parse_xml(ctx, "<message from='a@x/r'><gc xmlns='" OBI_NS "'>AQI=</gc>"
                        "</message>");
    cr_assert_eq(obi_parse(st, &ev), 0);
    cr_expect_eq(ev.kind, OBI_NONE);
    xmpp_stanza_release(st);
    st = parse_xml(ctx,
                   "<message type='groupchat' from='r@rooms.x/n'><body>b</body>"
                   "<gc xmlns='" OBI_NS "' room='r@rooms.x'>AQI=</gc>"
                   "<groupcast xmlns='" OBI_NS "' seq='7' origin='n' "
                   "mode='tree'/></message>");
    cr_assert_eq(obi_parse(st, &ev), 0);
    cr_expect_eq(ev.kind, OBI_GROUPCAST);
    cr_expect_eq(ev.sub, OBI_GC_TREE);
    cr_expect_eq(ev.seq, 7);
    obi_ev_clear(&ev);
    xmpp_stanza_release(st);
    xmpp_ctx_free(ctx);
}
