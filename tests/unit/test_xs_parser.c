/* test_xs_parser.c -- the stream parser: stanzas, chunking, namespaces,
 * limits and the errors hostile input must get; and the writer
 * (xs_write_stanza), whose output must read back as the same stanza. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "xs_parser.h"
#include "xs_stream.h"

#define HDR                                                                    \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept'"      \
    " xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='x'>"

struct seen {
    int opens, closes, stanzas;
    char id[32];
    char text[8][1024]; /* serialized stanzas */
    size_t bytes[8];    /* their sizes on the wire */
};

static xmpp_ctx_t *ctx;

static void on_open(void *ud, const char **attrs)
{
    struct seen *s = ud;
    s->opens++;
    for (int i = 0; attrs[i]; i += 2)
        if (!strcmp(attrs[i], "id"))
            snprintf(s->id, sizeof s->id, "%s", attrs[i + 1]);
}

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    struct seen *s = ud;
    char *buf;
    size_t len;

    cr_assert_eq(xmpp_stanza_to_text(st, &buf, &len), 0);
    s->bytes[s->stanzas < 8 ? s->stanzas : 7] = bytes;
    if (s->stanzas < 8)
        snprintf(s->text[s->stanzas], sizeof s->text[0], "%s", buf);
    s->stanzas++;
    xmpp_free(ctx, buf);
}

static void on_close(void *ud)
{
    ((struct seen *)ud)->closes++;
}

static const struct xs_callbacks cb = {
    .on_open = on_open, .on_stanza = on_stanza, .on_close = on_close};

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
}

static void teardown(void)
{
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(xs_parser, .init = setup, .fini = teardown, .timeout = 300);

/* Feeds text in chunks of the given size; returns the final result. */
static int feed(xs_parser *p, const char *text, size_t chunk)
{
    size_t len = strlen(text);
    int r = XS_OK;

    for (size_t i = 0; i < len && r == XS_OK; i += chunk)
        r = xs_parser_feed(p, text + i, len - i < chunk ? len - i : chunk);
    return r;
}

static int parse(const char *text, size_t chunk, struct seen *s,
                 const struct xs_limits *lim, xs_parser **out)
{
    xs_parser *p;
    int r;

    cr_assert_eq(xs_parser_new(ctx, lim, &cb, s, &p), XS_OK);
    cr_assert(p);
    memset(s, 0, sizeof *s);
    r = feed(p, text, chunk);
    if (out)
        *out = p;
    else
        xs_parser_free(p);
    return r;
}

Test(xs_parser, stanzas_in_any_chunking)
{
    const char *in =
        HDR "<message to='a@b' from='c@d/e' type='chat'><body>hi &amp; "
            "bye</body></message>"
            "<iq type='get' id='1'><query "
            "xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='x'/></query></iq></stream:stream>";
    struct seen whole, s;

    cr_assert_eq(parse(in, strlen(in), &whole, NULL, NULL), XS_OK);
    cr_assert_eq(whole.opens, 1);
    cr_assert_str_eq(whole.id, "s1");
    cr_assert_eq(whole.stanzas, 2);
    cr_assert_eq(whole.closes, 1);
    cr_expect(strstr(whole.text[0], "<body>hi &amp; bye</body>"), "%s",
              whole.text[0]);
    cr_expect_eq(whole.bytes[0],
                 strlen("<message to='a@b' from='c@d/e' type='chat'>"
                        "<body>hi &amp; bye</body></message>"));
    cr_expect(strstr(whole.text[0], "xmlns=\"jabber:component:accept\""), "%s",
              whole.text[0]);
    cr_expect(strstr(whole.text[1],
                     "<query xmlns=\"http://jabber.org/protocol/disco#info\">"
                     "<identity category=\"x\"/>"),
              "%s", whole.text[1]);
    for (size_t chunk = 1; chunk < 40; chunk++) {
        cr_assert_eq(parse(in, chunk, &s, NULL, NULL), XS_OK, "chunk %zu",
                     chunk);
        cr_assert_eq(s.stanzas, 2);
        cr_assert_str_eq(s.text[0], whole.text[0], "chunk %zu", chunk);
        cr_assert_eq(s.bytes[0], whole.bytes[0], "chunk %zu", chunk);
        cr_assert_eq(s.bytes[1], whole.bytes[1], "chunk %zu", chunk);
        cr_assert_str_eq(s.text[1], whole.text[1], "chunk %zu", chunk);
    }
}

Test(xs_parser, prefixes_and_xml_lang)
{
    struct seen s;

    cr_assert_eq(
        parse(HDR
              "<stream:error><not-authorized "
              "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
              "<message xml:lang='fr'><x:y xmlns:x='urn:x' x:a='1'/></message>",
              7, &s, NULL, NULL),
        XS_OK);
    cr_assert_eq(s.stanzas, 2);
    cr_expect(!strncmp(s.text[0],
                       "<error xmlns=\"http://etherx.jabber.org/streams\">",
                       48),
              "%s", s.text[0]);
    cr_expect(strstr(s.text[1], "xml:lang=\"fr\""), "%s", s.text[1]);
    cr_expect(strstr(s.text[1], "x:a=\"1\"") &&
                  strstr(s.text[1], "xmlns:x=\"urn:x\""),
              "%s", s.text[1]);
}

struct bad {
    const char *input;
    int error;
};

Test(xs_parser, hostile_input_gets_a_sticky_error_with_an_offset)
{
    static const struct bad cases[] = {
        {HDR "<message><body>unclosed</message>", XS_ESYNTAX},
        {HDR "<message a='1' a='2'/>", XS_ESYNTAX},
        {"<html><body/></html>", XS_ENOTSTREAM},
        {"<!DOCTYPE x [<!ENTITY a 'b'>]><stream:stream xmlns:stream="
         "'http://etherx.jabber.org/streams'>",
         XS_ESYNTAX},
        {HDR "<!-- a comment -->", XS_ESYNTAX},
        {HDR "<?pi data?>", XS_ESYNTAX},
        {HDR "<message>\xff\xfe</message>", XS_ESYNTAX},
        {HDR "<message><body>&undefined;</body></message>", XS_ESYNTAX},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s;
        xs_parser *p;
        int r = parse(cases[i].input, 3, &s, NULL, &p);
        cr_expect_eq(r, cases[i].error, "case %zu: got %d (%s)", i, r,
                     xs_parser_error_text(p));
        cr_expect_eq(s.stanzas, 0, "case %zu delivered a stanza", i);
        cr_expect(xs_parser_error_offset(p) <= strlen(cases[i].input));
        cr_expect_eq(xs_parser_feed(p, "<a/>", 4), r,
                     "case %zu: error not sticky", i);
        cr_expect(strstr(xs_parser_error_text(p), "at byte"));
        xs_parser_free(p);
    }
}

Test(xs_parser, stanza_size_limit)
{
    struct xs_limits lim = {.max_stanza_bytes = 100};
    char big[400];
    struct seen s;
    xs_parser *p;

    snprintf(big, sizeof big, HDR "<message><body>%0200d</body></message>", 0);
    cr_assert_eq(
        parse(HDR "<message><body>short</body></message>", 5, &s, &lim, NULL),
        XS_OK);
    cr_assert_eq(s.stanzas, 1);
    cr_assert_eq(parse(big, 1000, &s, &lim, &p), XS_ETOOBIG);
    cr_expect_eq(s.stanzas, 0);
    cr_expect_gt(xs_parser_error_offset(p), strlen(HDR));
    xs_parser_free(p);
}

Test(xs_parser, depth_limit)
{
    struct xs_limits lim = {.max_depth = 4};
    struct seen s;

    cr_assert_eq(parse(HDR "<a><b><c><d/></c></b></a>", 2, &s, &lim, NULL),
                 XS_OK);
    cr_assert_eq(
        parse(HDR "<a><b><c><d><e/></d></c></b></a>", 2, &s, &lim, NULL),
        XS_ETOODEEP);
    cr_expect_eq(s.stanzas, 0);
}

Test(xs_parser, reset_starts_a_new_stream)
{
    struct seen s;
    xs_parser *p;

    cr_assert_eq(parse(HDR "<bad", 100, &s, NULL, &p), XS_OK);
    cr_assert_eq(xs_parser_feed(p, "<<", 2), XS_ESYNTAX);
    cr_assert_eq(xs_parser_reset(p), XS_OK);
    cr_assert_eq(feed(p, HDR "<presence/>", 4), XS_OK);
    cr_expect_eq(s.opens, 2);
    cr_expect_eq(s.stanzas, 1);
    xs_parser_free(p);
}

/* A stream of stanzas, one with a long start tag (the token that expat's
 * reparse deferral holds back when it arrives in pieces), and the offset
 * just past each stanza. */
#define LONG_ID                                                                \
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv"     \
    "wxyz0123456789abcdefghijklmnopqrstuvwxyz"
static const char *const split_stanzas[] = {
    "<message to='a@b' from='c@d/e' id='" LONG_ID
    "' type='chat'><body>hi</body></message>",
    "<presence/>",
    "<iq type='get' id='2'><query xmlns='urn:q'>&amp;</query></iq>",
    "<message id='" LONG_ID LONG_ID "'/>",
};
#define NSPLIT (sizeof split_stanzas / sizeof split_stanzas[0])

static size_t split_stream(char *out, size_t cap, size_t ends[NSPLIT])
{
    size_t len = (size_t)snprintf(out, cap, "%s", HDR);

    for (size_t i = 0; i < NSPLIT; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s", split_stanzas[i]);
        ends[i] = len;
    }
    cr_assert_lt(len, cap);
    return len;
}

/* How many stanzas end within the first n bytes. */
static int complete_in(const size_t ends[NSPLIT], size_t n)
{
    int k = 0;

    while (k < (int)NSPLIT && ends[k] <= n)
        k++;
    return k;
}

/* Byte by byte: each stanza is delivered by the feed of its last byte,
 * before any further byte arrives (expat's reparse deferral must not hold
 * it back). */
Test(xs_parser, a_stanza_is_delivered_with_its_last_byte)
{
    char in[1024];
    size_t ends[NSPLIT], len = split_stream(in, sizeof in, ends);
    struct seen s;
    xs_parser *p;

    cr_assert_eq(parse("", 1, &s, NULL, &p), XS_OK);
    for (size_t i = 0; i < len; i++) {
        cr_assert_eq(xs_parser_feed(p, in + i, 1), XS_OK, "byte %zu: %s", i,
                     xs_parser_error_text(p));
        cr_assert_eq(s.stanzas, complete_in(ends, i + 1),
                     "after byte %zu of %zu: %d stanzas delivered", i + 1, len,
                     s.stanzas);
    }
    xs_parser_free(p);
}

/* Every split point, in two and three pieces: what a piece completes is
 * delivered before the next piece is fed. */
Test(xs_parser, every_split_point_delivers_before_the_next_piece)
{
    char in[1024];
    size_t ends[NSPLIT], len = split_stream(in, sizeof in, ends);
    struct seen whole;

    cr_assert_eq(parse(in, len, &whole, NULL, NULL), XS_OK);
    cr_assert_eq(whole.stanzas, (int)NSPLIT);
    for (size_t a = 1; a < len; a++) {
        for (size_t b = a; b < len && b <= a + 8; b++) {
            struct seen s;
            xs_parser *p;

            cr_assert_eq(parse("", 1, &s, NULL, &p), XS_OK);
            cr_assert_eq(xs_parser_feed(p, in, a), XS_OK);
            cr_assert_eq(s.stanzas, complete_in(ends, a), "split %zu", a);
            if (b > a) { /* a small middle piece, inside a token or not */
                cr_assert_eq(xs_parser_feed(p, in + a, b - a), XS_OK);
                cr_assert_eq(s.stanzas, complete_in(ends, b), "split %zu,%zu",
                             a, b);
            }
            cr_assert_eq(xs_parser_feed(p, in + b, len - b), XS_OK);
            cr_assert_eq(s.stanzas, (int)NSPLIT, "split %zu,%zu", a, b);
            for (size_t i = 0; i < NSPLIT; i++)
                cr_assert_str_eq(s.text[i], whole.text[i], "split %zu,%zu", a,
                                 b);
            xs_parser_free(p);
        }
    }
}

/* A tag that never ends, dribbled a byte at a time, is cut off at the
 * stanza limit: expat buffers unfinished tokens, so without the check
 * memory would grow with it. */
Test(xs_parser, an_unfinished_tag_is_bounded)
{
    struct xs_limits lim = {.max_stanza_bytes = 100};
    struct seen s;
    xs_parser *p;
    size_t fed = 0;
    int r = XS_OK;

    cr_assert_eq(parse(HDR "<message to='", 5, &s, &lim, &p), XS_OK);
    while (r == XS_OK && fed < 10000) {
        r = xs_parser_feed(p, "x", 1);
        fed++;
    }
    cr_expect_eq(r, XS_ETOOBIG, "%s", xs_parser_error_text(p));
    cr_expect_leq(fed, 101, "%zu bytes of one tag accepted", fed);
    cr_expect(strstr(xs_parser_error_text(p), "unfinished"), "%s",
              xs_parser_error_text(p));
    xs_parser_free(p);
}

/* Same names, attributes (in any order), text and children. */
static bool same(xmpp_stanza_t *a, xmpp_stanza_t *b)
{
    const char *attrs[128];
    int n;
    xmpp_stanza_t *ka = xmpp_stanza_get_children(a),
                  *kb = xmpp_stanza_get_children(b);

    if (xmpp_stanza_is_text(a) || xmpp_stanza_is_text(b))
        return xmpp_stanza_is_text(a) && xmpp_stanza_is_text(b) &&
               !strcmp(xmpp_stanza_get_text_ptr(a),
                       xmpp_stanza_get_text_ptr(b));
    if (strcmp(xmpp_stanza_get_name(a), xmpp_stanza_get_name(b)) ||
        xmpp_stanza_get_attribute_count(a) !=
            xmpp_stanza_get_attribute_count(b))
        return false;
    n = xmpp_stanza_get_attributes(a, attrs, 128);
    for (int i = 0; i + 1 < n; i += 2) {
        const char *v = xmpp_stanza_get_attribute(b, attrs[i]);
        if (!v || strcmp(v, attrs[i + 1]))
            return false;
    }
    for (; ka && kb;
         ka = xmpp_stanza_get_next(ka), kb = xmpp_stanza_get_next(kb))
        if (!same(ka, kb))
            return false;
    return !ka && !kb;
}

/* xml -> stanza -> xs_write_stanza -> stanza: the same as libstrophe's. */
static void round_trip(const char *xml)
{
    xmpp_stanza_t *a = xmpp_stanza_new_from_string(ctx, xml), *b;
    struct evbuffer *out = evbuffer_new();
    char *written;
    long len;

    cr_assert(a, "bad test XML %s", xml);
    evbuffer_add(out, "junk", 4); /* appended after what is there */
    len = xs_write_stanza(out, a);
    cr_assert_gt(len, 0);
    cr_assert_eq(evbuffer_get_length(out), (size_t)len + 4);
    evbuffer_drain(out, 4);
    written = calloc(1, (size_t)len + 1);
    evbuffer_remove(out, written, (size_t)len);
    b = xmpp_stanza_new_from_string(ctx, written);
    cr_assert(b, "xs_write_stanza wrote unreadable XML: %s", written);
    cr_expect(same(a, b), "%s written as %s", xml, written);
    free(written);
    xmpp_stanza_release(a);
    xmpp_stanza_release(b);
    evbuffer_free(out);
}

Test(xs_parser, writer_round_trips)
{
    char many[4096] = "<x xmlns='urn:x'";

    round_trip("<message to='a@b/c' id='1'><body>hi</body></message>");
    round_trip(
        "<message to='a&amp;b&lt;&gt;&quot;&apos;'><body>&lt;&amp;&gt;\"'"
        " \xc3\xa9</body></message>");
    round_trip(
        "<presence><x xmlns='http://jabber.org/protocol/muc#user'>"
        "<item affiliation='none' role='participant'/><status code='110'/>"
        "</x><empty/></presence>");
    round_trip("<iq type='get'><a><b><c><d>deep</d></c></b></a>tail text</iq>");
    for (int i = 0; i < 40; i++) /* more attributes than the stack holds */
        snprintf(many + strlen(many), sizeof many - strlen(many), " a%d='v%d'",
                 i, i);
    strcat(many, "/>");
    round_trip(many);
}

/* ---- rejecting one stanza and carrying on ---------------------------------
 */

struct rejects {
    struct seen s; /* stanzas delivered */
    int n, code[4];
    char top[4][512]; /* the rejected stanzas' top-level elements */
    size_t bytes[4];
};

static void on_reject(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes)
{
    struct rejects *r = ud;
    char *buf;
    size_t len;

    cr_assert(why && *why);
    cr_assert(top, "no top-level element kept");
    cr_assert_eq(xmpp_stanza_to_text(top, &buf, &len), 0);
    if (r->n < 4) {
        r->code[r->n] = code;
        r->bytes[r->n] = bytes;
        snprintf(r->top[r->n], sizeof r->top[0], "%s", buf);
    }
    r->n++;
    xmpp_free(ctx, buf);
}

static const struct xs_callbacks rcb = {.on_open = on_open,
                                        .on_stanza = on_stanza,
                                        .on_close = on_close,
                                        .on_reject = on_reject};

#define NEXT "<presence from='c@d/e' to='r@x/n'><show>away</show></presence>"
#define TOP                                                                    \
    "<message from='evil@x/r' to='room@rooms.x' id='m1' type='groupchat'>"

/* Appends s to the growing buffer *b. */
static void add(char **b, size_t *len, const char *s)
{
    size_t n = strlen(s);

    *b = realloc(*b, *len + n + 1);
    cr_assert(*b);
    memcpy(*b + *len, s, n + 1);
    *len += n;
}

/* The header, TOP, `reps` times open, the body, `reps` times close,
 * </message>, then NEXT. */
static char *hostile(int reps, const char *open, const char *body,
                     const char *close)
{
    char *b = NULL;
    size_t len = 0;

    add(&b, &len, HDR TOP);
    for (int i = 0; i < reps; i++)
        add(&b, &len, open);
    add(&b, &len, body);
    for (int i = 0; i < reps; i++)
        add(&b, &len, close);
    add(&b, &len, "</message>" NEXT);
    return b;
}

/* Parses in with rejections on, in the given chunks: exactly one stanza
 * rejected with code, its addressing kept and its children not, and the
 * next stanza delivered whole. */
static void rejected_then_next(const char *in, size_t chunk,
                               const struct xs_limits *lim, int code)
{
    struct rejects r;
    xs_parser *p;
    size_t len = strlen(in), stanza = len - strlen(HDR) - strlen(NEXT);

    cr_assert_eq(xs_parser_new(ctx, lim, &rcb, &r, &p), XS_OK);
    cr_assert(p);
    memset(&r, 0, sizeof r);
    cr_assert_eq(feed(p, in, chunk), XS_OK, "chunk %zu: %s", chunk,
                 xs_parser_error_text(p));
    cr_assert_eq(r.n, 1, "chunk %zu: %d rejected", chunk, r.n);
    cr_expect_eq(r.code[0], code, "chunk %zu: code %d", chunk, r.code[0]);
    cr_expect_eq(r.bytes[0], stanza, "chunk %zu: %zu bytes, not %zu", chunk,
                 r.bytes[0], stanza);
    cr_expect(strstr(r.top[0], "from=\"evil@x/r\"") &&
                  strstr(r.top[0], "to=\"room@rooms.x\"") &&
                  strstr(r.top[0], "id=\"m1\"") &&
                  strstr(r.top[0], "type=\"groupchat\"") &&
                  !strncmp(r.top[0], "<message", 8) && strstr(r.top[0], "/>"),
              "kept %s", r.top[0]);
    cr_assert_eq(r.s.stanzas, 1, "chunk %zu: the next stanza was lost", chunk);
    cr_expect(!strncmp(r.s.text[0], "<presence", 9) &&
                  strstr(r.s.text[0], "<show>away</show>"),
              "%s", r.s.text[0]);
    xs_parser_free(p);
}

Test(xs_parser, a_deep_stanza_is_rejected_and_the_next_one_parsed)
{
    static const int depths[] = {65, 100, 10000};

    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        char *in = hostile(depths[i], "<a>", "deep", "</a>");
        rejected_then_next(in, strlen(in), NULL, XS_ETOODEEP);
        rejected_then_next(in, 7, NULL, XS_ETOODEEP);
        free(in);
    }
}

Test(xs_parser, a_wide_stanza_is_rejected_and_the_next_one_parsed)
{
    struct xs_limits lim = {.max_elements = 100};
    char *in = hostile(200, "<a/>", "", "");

    rejected_then_next(in, strlen(in), &lim, XS_ETOOMANY);
    rejected_then_next(in, 5, &lim, XS_ETOOMANY);
    free(in);
}

Test(xs_parser, many_attributes_are_rejected_and_the_next_one_parsed)
{
    char attrs[8192] = "<a", *in;
    struct xs_limits lim = {.max_attrs = 64};

    for (int i = 0; i < 65; i++)
        snprintf(attrs + strlen(attrs), sizeof attrs - strlen(attrs),
                 " a%d='v'", i);
    strcat(attrs, ">");
    in = hostile(1, attrs, "", "</a>");
    rejected_then_next(in, strlen(in), &lim, XS_ETOOMANY);
    rejected_then_next(in, 3, &lim, XS_ETOOMANY);
    free(in);
    /* the default (256) when no limit is given */
    attrs[2] = '\0';
    for (int i = 0; i < 257; i++)
        snprintf(attrs + strlen(attrs), sizeof attrs - strlen(attrs), " b%d=''",
                 i);
    strcat(attrs, ">");
    in = hostile(1, attrs, "", "</a>");
    rejected_then_next(in, strlen(in), NULL, XS_ETOOMANY);
    free(in);
}

Test(xs_parser, a_long_name_is_rejected_and_the_next_one_parsed)
{
    char name[XS_MAX_NAME + 100], open[sizeof name + 40], *in;

    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(open, sizeof open, "<a %s='v'>", name);
    in = hostile(1, open, "", "</a>");
    rejected_then_next(in, strlen(in), NULL, XS_ETOOBIG);
    free(in);
    /* the long name on an element and on its end tag */
    size_t cap = strlen(HDR TOP NEXT) + 2 * sizeof name + 32;
    cr_assert_not_null(in = malloc(cap));
    snprintf(in, cap, HDR TOP "<%s></%s></message>" NEXT, name, name);
    rejected_then_next(in, 11, NULL, XS_ETOOBIG);
    free(in);
}

Test(xs_parser, a_huge_stanza_is_rejected_and_the_next_one_parsed)
{
    struct xs_limits lim = {.max_stanza_bytes = 1000};
    char *text = malloc(100001), *in;

    memset(text, 'x', 100000);
    text[100000] = '\0';
    in = hostile(1, "<body>", text, "</body>");
    rejected_then_next(in, strlen(in), &lim, XS_ETOOBIG);
    rejected_then_next(in, 333, &lim, XS_ETOOBIG);
    free(in);
    /* one attribute value larger than the stanza limit (a single token,
     * which expat holds whole: within the skipping limit) */
    lim.max_skip_bytes = 200000;
    in = hostile(1, "<a v='", text, "'/>");
    rejected_then_next(in, strlen(in), &lim, XS_ETOOBIG);
    rejected_then_next(in, 4096, &lim, XS_ETOOBIG);
    free(in);
    free(text);
}

/* The top-level element itself breaks a limit (too many attributes on
 * <message>): rejected at its own start tag, addressing kept. */
Test(xs_parser, a_top_level_tag_over_a_limit_is_rejected)
{
    char in[8192] = HDR "<message from='evil@x/r' to='room@rooms.x' id='m1'"
                        " type='groupchat'";
    struct xs_limits lim = {.max_attrs = 8};
    struct rejects r;
    xs_parser *p;

    cr_assert_eq(xs_parser_new(ctx, &lim, &rcb, &r, &p), XS_OK);
    for (int i = 0; i < 20; i++)
        snprintf(in + strlen(in), sizeof in - strlen(in), " a%d='v'", i);
    strcat(in, "><body>x</body></message>" NEXT);
    memset(&r, 0, sizeof r);
    cr_assert_eq(feed(p, in, 9), XS_OK, "%s", xs_parser_error_text(p));
    cr_assert_eq(r.n, 1);
    cr_expect_eq(r.code[0], XS_ETOOMANY);
    cr_expect(strstr(r.top[0], "from=\"evil@x/r\"") && !strstr(r.top[0], "a1="),
              "%s", r.top[0]);
    cr_expect_eq(r.s.stanzas, 1);
    xs_parser_free(p);
}

/* Several rejected stanzas in a row, between good ones. */
Test(xs_parser, rejections_do_not_disturb_the_stanzas_around_them)
{
    char *in = hostile(100, "<a>", "", "</a>"), *twice;
    size_t hdr = strlen(HDR);
    struct rejects r;
    xs_parser *p;

    cr_assert_eq(xs_parser_new(ctx, NULL, &rcb, &r, &p), XS_OK);
    twice = malloc(2 * strlen(in) + 1);
    strcpy(twice, in);
    strcat(twice, in + hdr);
    memset(&r, 0, sizeof r);
    cr_assert_eq(feed(p, twice, 13), XS_OK, "%s", xs_parser_error_text(p));
    cr_expect_eq(r.n, 2);
    cr_expect_eq(r.s.stanzas, 2);
    xs_parser_free(p);
    free(in);
    free(twice);
}

/* What skipping cannot bound fails the stream: nesting past the skip
 * depth, one tag past the skip bytes, and malformed XML inside a
 * rejected stanza. */
Test(xs_parser, what_cannot_be_skipped_fails_the_stream)
{
    struct xs_limits deep = {.max_skip_depth = 1000};
    struct xs_limits tag = {.max_stanza_bytes = 100, .max_skip_bytes = 2000};
    char *in = hostile(1500, "<a>", "", "</a>"), *text = malloc(5001);
    struct rejects r;
    xs_parser *p;

    cr_assert_eq(xs_parser_new(ctx, &deep, &rcb, &r, &p), XS_OK);
    memset(&r, 0, sizeof r);
    cr_expect_eq(feed(p, in, 100), XS_ETOODEEP);
    cr_expect_eq(r.n, 0);
    xs_parser_free(p);
    free(in);
    memset(text, 'x', 5000);
    text[5000] = '\0';
    in = hostile(1, "<a v='", text, "'/>");
    cr_assert_eq(xs_parser_new(ctx, &tag, &rcb, &r, &p), XS_OK);
    cr_expect_eq(feed(p, in, 100), XS_ETOOBIG);
    cr_expect(strstr(xs_parser_error_text(p), "unfinished"), "%s",
              xs_parser_error_text(p));
    xs_parser_free(p);
    free(in);
    free(text);
    in = hostile(100, "<a>", "<b></c>", "</a>");
    cr_assert_eq(xs_parser_new(ctx, NULL, &rcb, &r, &p), XS_OK);
    cr_expect_eq(feed(p, in, 50), XS_ESYNTAX);
    xs_parser_free(p);
    free(in);
}

/* Without on_reject, a stanza over a limit still fails the stream. */
Test(xs_parser, without_on_reject_a_limit_fails_the_stream)
{
    struct xs_limits lim = {.max_elements = 10, .max_attrs = 4};
    char *wide = hostile(20, "<a/>", "", ""),
         *attrs = hostile(1, "<a b='' c='' d='' e='' f=''>", "", "</a>");
    struct seen s;

    cr_expect_eq(parse(wide, 7, &s, &lim, NULL), XS_ETOOMANY);
    cr_expect_eq(parse(attrs, 7, &s, &lim, NULL), XS_ETOOMANY);
    free(wide);
    free(attrs);
}
