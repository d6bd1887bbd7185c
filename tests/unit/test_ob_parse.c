/* test_ob_parse.c -- presences and messages into liborbweb events, without
 * a server: a table of stanzas as xmucd (or a server) sends them, and the
 * event each must become. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "ob_parse_internal.h"

#define R "grid@rooms.localhost"
#define MUCU "<x xmlns='http://jabber.org/protocol/muc#user'>"
#define VIEW "<view xmlns='https://orbweb.dev/ns/xmuc/0'"

struct pcase {
    const char *xml;
    enum obi_kind kind;
    const char *room, *nick, *jid, *attrs, *body, *condition;
    bool flag;
    int sub;
    bool has_seq;
    uint64_t seq;
};

static const struct pcase cases[] = {
    /* a neighbour with our view attributes and its real JID */
    {"<presence from='" R "/p3' to='me@localhost/r'>" MUCU
     "<item affiliation='none' role='participant' "
     "jid='p3@localhost/x'/></x>" VIEW " attrs='tree,gossip'/></presence>",
     OBI_VIEW_SET, R, "p3", "p3@localhost/x", "tree,gossip", .body = NULL},
    /* a standard MUC room: no view element, everyone is a "member" */
    {"<presence from='" R "/p4'>" MUCU
     "<item role='participant'/></x></presence>",
     OBI_VIEW_SET, R, "p4", NULL, "member", .body = NULL},
    /* out of our view only */
    {"<presence type='unavailable' from='" R "/p3'>" MUCU
     "<item role='none'/></x>" VIEW " reason='view'/></presence>",
     OBI_VIEW_GONE, R, "p3", .flag = false},
    /* out of the room */
    {"<presence type='unavailable' from='" R "/p3'>" MUCU
     "<item role='none'/></x>" VIEW "/></presence>",
     OBI_VIEW_GONE, R, "p3", .flag = true},
    /* our own presence, room created */
    {"<presence from='" R "/me'>" MUCU "<item role='moderator'/>"
     "<status code='110'/><status code='100'/><status "
     "code='201'/></x></presence>",
     OBI_SELF_IN, R, "me", .flag = true},
    /* our own presence in a room with a groupcast engine */
    {"<presence from='" R "/me'>" MUCU "<status code='110'/></x>" VIEW
     " attrs='' groupcast='tapbcast'/></presence>",
     OBI_SELF_IN, R, "me", .sub = OBI_GC_TAPBCAST},
    /* our own presence, room existed */
    {"<presence from='" R "/me'>" MUCU "<status code='110'/></x></presence>",
     OBI_SELF_IN, R, "me", .flag = false},
    /* service restarting */
    {"<presence type='unavailable' from='" R "/me'>" MUCU
     "<status code='110'/><status code='332'/></x></presence>",
     OBI_SELF_OUT, R, "me", .sub = OBI_OUT_RESTART},
    {"<presence type='unavailable' from='" R "/me'>" MUCU
     "<status code='307'/><status code='110'/></x></presence>",
     OBI_SELF_OUT, R, "me", .sub = OBI_OUT_KICKED},
    {"<presence type='unavailable' from='" R "/me'>" MUCU
     "<item role='none'/><destroy/><status code='110'/></x></presence>",
     OBI_SELF_OUT, R, "me", .sub = OBI_OUT_DESTROYED},
    {"<presence type='unavailable' from='" R "/me'>" MUCU
     "<status code='110'/></x></presence>",
     OBI_SELF_OUT, R, "me", .sub = OBI_OUT_LEFT},
    /* a refused join */
    {"<presence type='error' from='" R
     "/me'><x xmlns='http://jabber.org/protocol/muc'/>"
     "<error type='auth'><not-authorized "
     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
     "</error></presence>",
     OBI_JOIN_ERROR, R, "me", .condition = "not-authorized"},
    /* an error with an unknown condition and a text */
    {"<presence type='error' from='" R "/me'><error type='cancel'>"
     "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>why</text>"
     "<weird xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
     OBI_JOIN_ERROR, R, "me", .condition = "weird"},
    /* groupcast with its sequence number */
    {"<message type='groupchat' from='" R "/p3'><body>hi &amp; all</body>"
     "<groupcast xmlns='https://orbweb.dev/ns/xmuc/0' seq='42'/></message>",
     OBI_GROUPCAST, R, "p3", .body = "hi & all", .has_seq = true, .seq = 42},
    /* a forged or broken seq is not a seq */
    {"<message type='groupchat' from='" R "/p3'><body>x</body>"
     "<groupcast xmlns='https://orbweb.dev/ns/xmuc/0' seq='-1'/></message>",
     OBI_GROUPCAST, R, "p3", .body = "x"},
    {"<message type='groupchat' from='" R "/p3'><body>x</body>"
     "<groupcast xmlns='https://orbweb.dev/ns/xmuc/0' "
     "seq='99999999999999999999'/></message>",
     OBI_GROUPCAST, R, "p3", .body = "x"},
    /* the subject, and a notice from the room: nothing */
    {"<message type='groupchat' from='" R "/p3'><subject/></message>", OBI_NONE,
     .room = NULL},
    {"<message type='groupchat' from='" R "'><body>notice</body></message>",
     OBI_NONE, .room = NULL},
    /* unicasts */
    {"<message from='p3@localhost/x'><body>ping</body></message>", OBI_UNICAST,
     .body = "ping"},
    {"<message type='chat' from='" R "/p3'><body>pm</body></message>",
     OBI_UNICAST, .body = "pm"},
    {"<message from='p3@localhost/x'><body/></message>", OBI_UNICAST,
     .body = ""},
    /* a bounce */
    {"<message type='error' from='gone@localhost/x'><error type='cancel'>"
     "<service-unavailable "
     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
     OBI_MSG_ERROR, .condition = "service-unavailable"},
    /* not ours */
    {"<presence from='friend@localhost/x'/>", OBI_NONE, .room = NULL},
    {"<presence type='subscribe' from='friend@localhost'/>", OBI_NONE,
     .room = NULL},
    {"<presence/>", OBI_NONE, .room = NULL},
    {"<message/>", OBI_NONE, .room = NULL},
    {"<iq type='get' from='a@b/c' id='1'/>", OBI_NONE, .room = NULL},
};

static void expect_str(const char *what, const char *got, const char *want,
                       size_t i)
{
    if (!want)
        return;
    cr_assert(got, "case %zu: %s missing (want %s)", i, what, want);
    cr_expect_str_eq(got, want, "case %zu: %s", i, what);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(ob_parse, .timeout = 300);

Test(ob_parse, table)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pcase *k = &cases[i];
        xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, k->xml);
        struct obi_ev ev;

        cr_assert(st, "case %zu does not parse", i);
        cr_assert_eq(obi_parse(st, &ev), 0, "case %zu", i);
        cr_expect_eq(ev.kind, k->kind, "case %zu: kind %d, want %d", i, ev.kind,
                     k->kind);
        if (ev.kind == k->kind && k->kind != OBI_NONE) {
            expect_str("room", ev.room, k->room, i);
            expect_str("nick", ev.nick, k->nick, i);
            expect_str("jid", ev.jid, k->jid, i);
            expect_str("attrs", ev.attrs, k->attrs, i);
            expect_str("body", ev.body, k->body, i);
            expect_str("condition", ev.condition, k->condition, i);
            if (!k->jid && k->kind == OBI_VIEW_SET)
                cr_expect_null(ev.jid, "case %zu: jid", i);
            if (k->kind == OBI_VIEW_GONE || k->kind == OBI_SELF_IN)
                cr_expect_eq(ev.flag, k->flag, "case %zu: flag", i);
            if (k->kind == OBI_SELF_OUT || k->kind == OBI_SELF_IN)
                cr_expect_eq(ev.sub, k->sub, "case %zu: sub", i);
            cr_expect_eq(ev.has_seq, k->has_seq, "case %zu: has_seq", i);
            cr_expect_eq(ev.seq, k->seq, "case %zu: seq", i);
            if (k->condition)
                cr_expect_eq(ev.code, OB_ESTANZA, "case %zu: code", i);
        }
        obi_ev_clear(&ev);
        xmpp_stanza_release(st);
    }
    xmpp_ctx_free(ctx);
}

/* Binary unicasts: <data xmlns=e2e>base64</data>, decoded; malformed or
 * empty ones are not unicasts for us. */
Test(ob_parse, binary_data)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    static const char *const bad[] = {
        "<message from='a@b/c'><data "
        "xmlns='https://orbweb.dev/ns/e2e/0'>@@@@</data></message>",
        "<message from='a@b/c'><data "
        "xmlns='https://orbweb.dev/ns/e2e/0'/></message>",
        "<message from='a@b/c'><data xmlns='urn:other'>AAEC</data></message>",
    };
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(
        ctx, "<message from='a@b/c' type='chat'><data "
             "xmlns='https://orbweb.dev/ns/e2e/0'>AAEC/w==</data></message>");
    struct obi_ev ev;

    cr_assert_eq(obi_parse(st, &ev), 0);
    cr_expect_eq(ev.kind, OBI_UNICAST);
    cr_expect_str_eq(ev.body, "");
    cr_assert_eq(ev.data_len, 4);
    cr_expect(ev.data[0] == 0 && ev.data[1] == 1 && ev.data[2] == 2 &&
              ev.data[3] == 255);
    obi_ev_clear(&ev);
    xmpp_stanza_release(st);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st = xmpp_stanza_new_from_string(ctx, bad[i]);
        cr_assert_eq(obi_parse(st, &ev), 0);
        cr_expect_eq(ev.kind, OBI_NONE, "%s", bad[i]);
        obi_ev_clear(&ev);
        xmpp_stanza_release(st);
    }
    xmpp_ctx_free(ctx);
}

Test(ob_parse, conditions)
{
    for (int c = OB_COND_BAD_REQUEST; c < OB_COND_OTHER; c++)
        cr_expect_eq(ob_condition_parse(ob_condition_name(c)), c, "%d", c);
    cr_expect_eq(ob_condition_parse("nonsense"), OB_COND_OTHER);
    cr_expect_eq(ob_condition_parse(NULL), OB_COND_NONE);
    cr_expect_str_eq(ob_condition_name(OB_COND_NOT_AUTHORIZED),
                     "not-authorized");
    cr_expect_str_eq(ob_condition_name(1000), "other");
}

Test(ob_parse, split_jid)
{
    char *b, *n;

    cr_assert_eq(obi_split_jid("r@s/a/b", &b, &n), 0);
    cr_expect_str_eq(b, "r@s");
    cr_expect_str_eq(n, "a/b");
    free(b);
    free(n);
    cr_assert_eq(obi_split_jid("r@s", &b, &n), 0);
    cr_expect_null(n);
    free(b);
    cr_expect_eq(obi_split_jid("", &b, &n), OB_EINVAL);
    cr_expect_eq(obi_split_jid(NULL, &b, &n), OB_EINVAL);
}

Test(ob_parse, strerror)
{
    for (int c = 0; c >= OB_EXMPP; c--)
        cr_expect(strcmp(ob_strerror(c), "unknown error"), "%d", c);
    cr_expect_str_eq(ob_strerror(-999), "unknown error");
}
