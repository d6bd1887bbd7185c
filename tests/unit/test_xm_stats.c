/* test_xm_stats.c -- stanza counters: which kind each stanza is counted
 * under, counting and totals, the walk order, the cap on kinds, and the
 * <stats/> payload there and back. */
#include "config.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ut_ns.h"
#include "xm_stats.h"

static xmpp_ctx_t *ctx;

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    cr_assert(ctx);
}

static void teardown(void)
{
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(xm_stats, .init = setup, .fini = teardown, .timeout = 300);

static xmpp_stanza_t *parse(const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
    cr_assert(st, "cannot parse %s", xml);
    return st;
}

static const struct {
    const char *xml, *kind;
} kinds[] = {
    {"<presence from='a@b/c'/>", "presence"},
    {"<presence type='unavailable'><x xmlns='http://jabber.org/protocol/muc'/>"
     "</presence>",
     "presence"},
    {"<message type='groupchat'><body>hi</body></message>", "message"},
    {"<iq type='get' id='1'><query "
     "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
     "iq:http://jabber.org/protocol/disco#info:get"},
    {"<iq type='set' id='1'><query xmlns='jabber:iq:roster'/></iq>",
     "iq:jabber:iq:roster:set"},
    {"<iq type='result' id='1'/>", "iq:-:result"},
    {"<iq type='error' id='1'><error type='cancel'/></iq>", "iq:-:error"},
    {"<iq type='get' id='1'>text <ping xmlns='urn:xmpp:ping'/></iq>",
     "iq:urn:xmpp:ping:get"},
    {"<iq id='1'><ping xmlns='urn:xmpp:ping'/></iq>", "iq:urn:xmpp:ping:-"},
    {"<iq type='bogus' id='1'/>", "iq:-:-"},
    {"<handshake/>", "other"},
    {"<error xmlns='http://etherx.jabber.org/streams'/>", "other"},
};

Test(xm_stats, classification_table)
{
    char buf[XM_STATS_KIND_MAX + 1];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xmpp_stanza_t *st = parse(kinds[i].xml);
        cr_expect_str_eq(xm_stats_kind(st, buf, sizeof buf), kinds[i].kind,
                         "%s", kinds[i].xml);
        xmpp_stanza_release(st);
    }
    cr_expect_str_eq(xm_stats_kind(NULL, buf, sizeof buf), "other");
}

Test(xm_stats, overlong_kind_is_other)
{
    char ns[400], xml[512], buf[XM_STATS_KIND_MAX + 1];
    xmpp_stanza_t *st;

    memset(ns, 'x', sizeof ns - 1);
    ns[sizeof ns - 1] = 0;
    snprintf(xml, sizeof xml, "<iq type='get' id='1'><q xmlns='%s'/></iq>", ns);
    st = parse(xml);
    cr_expect_str_eq(xm_stats_kind(st, buf, sizeof buf), "other");
    xmpp_stanza_release(st);
}

Test(xm_stats, counting_and_totals)
{
    xm_stats *s;
    struct xm_counter c, t;

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    cr_assert(s);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xmpp_stanza_t *st = parse(kinds[i].xml);
        xm_stats_count(s, XM_IN, st, 100 + i);
        xm_stats_count(s, XM_OUT, st, 10);
        xm_stats_count(s, XM_OUT, st, 10);
        xmpp_stanza_release(st);
    }
    cr_assert_eq(xm_stats_get(s, "presence", &c), 0);
    cr_expect_eq(c.stanzas[XM_IN], 2);
    cr_expect_eq(c.bytes[XM_IN], 100 + 101);
    cr_expect_eq(c.stanzas[XM_OUT], 4);
    cr_expect_eq(c.bytes[XM_OUT], 40);
    cr_assert_eq(xm_stats_get(s, "other", &c), 0);
    cr_expect_eq(c.stanzas[XM_IN], 2);
    cr_expect_eq(xm_stats_get(s, "iq:nothing:get", &c), -1);
    cr_expect_null(c.kind);

    t = xm_stats_total(s);
    size_t n = sizeof kinds / sizeof kinds[0];
    cr_expect_eq(t.stanzas[XM_IN], n);
    cr_expect_eq(t.stanzas[XM_OUT], 2 * n);
    cr_expect_eq(t.bytes[XM_IN], 100 * n + n * (n - 1) / 2);
    cr_expect_eq(t.bytes[XM_OUT], 20 * n);
    cr_expect(xm_stats_age(s) >= 0);
    xm_stats_free(s);
}

/* The statistics query and its answer are left out (readers must not see
 * their own polling); other IQs of our namespace, and stats errors, count. */
Test(xm_stats, own_stats_query_not_counted)
{
    static const char *const skipped[] = {
        "<iq type='get' id='1'><stats xmlns='" UT_NS_XMUC "'/></iq>",
        "<iq type='result' id='1'><stats xmlns='" UT_NS_XMUC
        "' age='1.0'><total in-stanzas='0' in-bytes='0' out-stanzas='0'"
        " out-bytes='0'/></stats></iq>"};
    static const char *const counted[] = {
        "<iq type='get' id='2'><topology xmlns='" UT_NS_XMUC "'/></iq>",
        "<iq type='error' id='3'><stats xmlns='" UT_NS_XMUC "'/></iq>",
        "<iq type='get' id='4'><stats xmlns='urn:other'/></iq>"};
    xm_stats *s;
    struct xm_counter t;

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *st = parse(skipped[i]);
        xm_stats_count(s, XM_IN, st, 10);
        xm_stats_count(s, XM_OUT, st, 10);
        xmpp_stanza_release(st);
    }
    t = xm_stats_total(s);
    cr_expect_eq(t.stanzas[XM_IN] + t.stanzas[XM_OUT], 0);
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *st = parse(counted[i]);
        xm_stats_count(s, XM_IN, st, 10);
        xmpp_stanza_release(st);
    }
    t = xm_stats_total(s);
    cr_expect_eq(t.stanzas[XM_IN], 3);
    xm_stats_free(s);
}

struct walk {
    char kinds[64][XM_STATS_KIND_MAX + 1];
    int n, stop_at;
};

static int collect(void *arg, const struct xm_counter *c)
{
    struct walk *w = arg;

    snprintf(w->kinds[w->n], sizeof w->kinds[0], "%s", c->kind);
    return ++w->n == w->stop_at ? 42 : 0;
}

Test(xm_stats, walk_is_sorted_and_stoppable)
{
    static const char *const in[] = {"message",  "iq:b:get", "presence",
                                     "iq:a:set", "iq:a:get", "message"};
    xm_stats *s;
    struct walk w = {.stop_at = -1};

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        xm_stats_add(s, in[i], XM_IN, 1, 1);
    cr_assert_eq(xm_stats_each(s, collect, &w), 0);
    cr_assert_eq(w.n, 5, "unused \"other\" is not listed");
    for (int i = 1; i < w.n; i++)
        cr_expect_lt(strcmp(w.kinds[i - 1], w.kinds[i]), 0);
    cr_expect_str_eq(w.kinds[0], "iq:a:get");
    cr_expect_str_eq(w.kinds[4], "presence");

    memset(&w, 0, sizeof w);
    w.stop_at = 2;
    cr_expect_eq(xm_stats_each(s, collect, &w), 42);
    cr_expect_eq(w.n, 2);
    xm_stats_free(s);
}

Test(xm_stats, many_kinds_grow_then_cap_at_other)
{
    xm_stats *s;
    struct xm_counter c, t;
    char kind[32];

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    for (int i = 0; i < 1000; i++) {
        snprintf(kind, sizeof kind, "iq:ns%04d:get", i);
        xm_stats_add(s, kind, XM_OUT, 1, 3);
    }
    /* "other" takes one of the slots */
    cr_expect_eq(xm_stats_get(s, "iq:ns0254:get", &c), 0);
    cr_expect_eq(xm_stats_get(s, "iq:ns0255:get", &c), -1);
    cr_assert_eq(xm_stats_get(s, "other", &c), 0);
    cr_expect_eq(c.stanzas[XM_OUT], 1000 - (XM_STATS_MAX_KINDS - 1));
    t = xm_stats_total(s);
    cr_expect_eq(t.stanzas[XM_OUT], 1000);
    cr_expect_eq(t.bytes[XM_OUT], 3000);
    /* kinds seen before the cap are still counted as themselves */
    xm_stats_add(s, "iq:ns0000:get", XM_OUT, 1, 3);
    cr_assert_eq(xm_stats_get(s, "iq:ns0000:get", &c), 0);
    cr_expect_eq(c.stanzas[XM_OUT], 2);
    xm_stats_free(s);
}

static char *text_of(xmpp_stanza_t *st)
{
    char *buf;
    size_t len;

    cr_assert_eq(xmpp_stanza_to_text(st, &buf, &len), 0);
    return buf;
}

static void expect_el(xmpp_stanza_t *el, const char *name, const char *kind,
                      const char *in_st, const char *in_b, const char *out_st,
                      const char *out_b)
{
    cr_assert(el);
    cr_expect_str_eq(xmpp_stanza_get_name(el), name);
    if (kind)
        cr_expect_str_eq(xmpp_stanza_get_attribute(el, "kind"), kind);
    else
        cr_expect_null(xmpp_stanza_get_attribute(el, "kind"));
    cr_expect_str_eq(xmpp_stanza_get_attribute(el, "in-stanzas"), in_st);
    cr_expect_str_eq(xmpp_stanza_get_attribute(el, "in-bytes"), in_b);
    cr_expect_str_eq(xmpp_stanza_get_attribute(el, "out-stanzas"), out_st);
    cr_expect_str_eq(xmpp_stanza_get_attribute(el, "out-bytes"), out_b);
}

Test(xm_stats, stanza_shape)
{
    xm_stats *s;
    xmpp_stanza_t *st, *c;

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    xm_stats_add(s, "presence", XM_IN, 3, 300);
    xm_stats_add(s, "message", XM_OUT, 2, 20);
    st = xm_stats_to_stanza(s, ctx);
    cr_assert(st);
    cr_expect_str_eq(xmpp_stanza_get_name(st), "stats");
    cr_expect_str_eq(xmpp_stanza_get_ns(st), "https://orbweb.dev/ns/xmuc/0");
    cr_expect(xmpp_stanza_get_attribute(st, "age"));
    c = xmpp_stanza_get_children(st);
    expect_el(c, "counter", "message", "0", "0", "2", "20");
    c = xmpp_stanza_get_next(c);
    expect_el(c, "counter", "presence", "3", "300", "0", "0");
    c = xmpp_stanza_get_next(c);
    expect_el(c, "total", NULL, "3", "300", "2", "20");
    cr_expect_null(xmpp_stanza_get_next(c));
    xmpp_stanza_release(st);
    xm_stats_free(s);
}

struct pair {
    const xm_stats *other;
    int checked;
};

static int same_as_other(void *arg, const struct xm_counter *c)
{
    struct pair *p = arg;
    struct xm_counter o;

    cr_assert_eq(xm_stats_get(p->other, c->kind, &o), 0, "%s", c->kind);
    cr_expect_eq(memcmp(o.stanzas, c->stanzas, sizeof o.stanzas), 0);
    cr_expect_eq(memcmp(o.bytes, c->bytes, sizeof o.bytes), 0);
    p->checked++;
    return 0;
}

Test(xm_stats, stanza_round_trip)
{
    xm_stats *s, *back;
    struct pair p = {NULL, 0};
    xmpp_stanza_t *st, *reparsed;
    char *text;
    double age = -1;

    cr_assert_eq(xm_stats_new(&s), XM_STATS_OK);
    xm_stats_add(s, "presence", XM_IN, 3, 300);
    xm_stats_add(s, "iq:a\"<&>'b:get", XM_OUT, UINT64_MAX, UINT64_MAX - 1);
    xm_stats_add(s, "other", XM_IN, 1, 1);
    st = xm_stats_to_stanza(s, ctx);
    text = text_of(st); /* through text too: escaping survives */
    reparsed = xmpp_stanza_new_from_string(ctx, text);
    cr_assert(reparsed);
    cr_assert_eq(xm_stats_parse(reparsed, &back, &age), XM_STATS_OK);
    cr_expect(age >= 0);
    p.other = s;
    xm_stats_each(back, same_as_other, &p);
    cr_expect_eq(p.checked, 3);
    p.other = back;
    p.checked = 0;
    xm_stats_each(s, same_as_other, &p);
    cr_expect_eq(p.checked, 3);
    xmpp_free(ctx, text);
    xmpp_stanza_release(st);
    xmpp_stanza_release(reparsed);
    xm_stats_free(back);
    xm_stats_free(s);
}

Test(xm_stats, parse_refuses_malformed)
{
    static const char *const bad[] = {
        "<stats age='1'/>",                              /* no namespace */
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/>", /* no age */
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='x'/>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='nan'/>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='-1'/>",
        "<other xmlns='https://orbweb.dev/ns/xmuc/0' age='1'/>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'><counter "
        "in-stanzas='1' in-bytes='1' out-stanzas='1' out-bytes='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'><counter kind='k' "
        "in-stanzas='-1' in-bytes='1' out-stanzas='1' out-bytes='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'><counter kind='k' "
        "in-stanzas='1' in-bytes='1' out-stanzas='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'><counter kind='k' "
        "in-stanzas='18446744073709551616' in-bytes='1' out-stanzas='1' "
        "out-bytes='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'><counter kind='k' "
        "in-stanzas='1 ' in-bytes='1' out-stanzas='1' out-bytes='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'>"
        "<counter kind='k' in-stanzas='1' in-bytes='1' out-stanzas='1' "
        "out-bytes='1'/><counter kind='k' in-stanzas='1' in-bytes='1' "
        "out-stanzas='1' out-bytes='1'/></stats>",
        "<stats xmlns='https://orbweb.dev/ns/xmuc/0' age='1'>"
        "<counter kind='other' in-stanzas='1' in-bytes='1' out-stanzas='1' "
        "out-bytes='1'/><counter kind='other' in-stanzas='1' in-bytes='1' "
        "out-stanzas='1' out-bytes='1'/></stats>",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xmpp_stanza_t *st = parse(bad[i]);
        xm_stats *out = (xm_stats *)1;
        cr_expect_eq(xm_stats_parse(st, &out, NULL), XM_STATS_EPARSE, "%s",
                     bad[i]);
        cr_expect_null(out);
        xmpp_stanza_release(st);
    }
    cr_expect_str_eq(xm_stats_strerror(XM_STATS_EPARSE),
                     "malformed statistics");
}
