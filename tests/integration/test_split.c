/* test_split.c -- a stanza that arrives in pieces is delivered with its
 * last byte, not when the server next happens to send something.
 *
 * expat 2.6.0, and Debian 12's backport of its CVE-2023-52425 fix, may
 * defer reparsing a token that arrived split over several reads.  Each
 * test puts a relay (tools/harness/hs_proxy.h) between a stream parser
 * and a real Prosody or ejabberd; the relay hands one stanza over one
 * byte per read and then holds every further byte back.  What must come
 * out while the relay holds:
 *   - liborbweb (libstrophe's parser, through ob_expat.c): the unicast;
 *   - xmucd's component link (xs_parser): the answer to the iq the relay
 *     split, which xmucd can only send once it has parsed it;
 *   - libstrophe on its own (no liborbweb): the finding that made
 *     ob_expat.c necessary, asserted, so that a libstrophe that stops
 *     holding stanzas back is noticed (ob_expat.c can then go).
 * And over TLS, where the bytes of a record that libstrophe has not read
 * yet wait inside OpenSSL, out of select()'s sight, and libstrophe writes
 * one TLS record (16 KB) a round: large unicasts must arrive, and go out,
 * without libstrophe's tick (set to ten minutes). */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_client.h"
#include "hs_proxy.h"
#include "hs_server.h"
#include "it_support.h"
#include "orbweb.h"

#define WAIT_MS 30000 /* hang deadline for what must happen */
#define HELD_MS 3000  /* how long libstrophe alone is given */
#define LEAD 160      /* bytes before the marker that go one by one too */
#define ROUNDS                                                                 \
    4 /* stanzas of different lengths: whether expat defers                    \
         depends on how full its buffer is at the last byte */

struct peer {
    bool up;
    char got[512]; /* the last unicast's first bytes */
    size_t got_len;
};

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    (void)c;
    if (st == OB_STATE_CONNECTED)
        ((struct peer *)user)->up = true;
}

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;

    (void)c;
    snprintf(p->got, sizeof p->got, "%s", m->body);
    p->got_len = strlen(m->body);
}

static void log_stderr(void *user, const char *level, const char *area,
                       const char *msg)
{
    (void)user;
    fprintf(stderr, "%s %s: %s\n", level, area, msg);
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = on_state,
                                              .unicast = on_unicast};

/* A marker long enough that its stanza's start tag spans many reads,
 * 7 bytes longer each round. */
static void make_marker(char *buf, size_t len, int round)
{
    char hex[33];

    hs_random_hex(hex, sizeof hex);
    snprintf(buf, len, "split-%s-%s-%.*s", hex, hex, 7 * round,
             "0123456789abcdef"
             "0123456789abcdef0123456789abcdef");
}

static xmpp_stanza_t *message_to(xmpp_ctx_t *ctx, const char *to,
                                 const char *body)
{
    xmpp_stanza_t *m = xmpp_message_new(ctx, "normal", to, NULL);

    cr_assert(m);
    xmpp_message_set_body(m, body);
    return m;
}

/* A liborbweb client with options o (its base, callbacks and user set
 * here), connected; fails the test when it does not connect. */
static ob_client *connected_peer(struct ob_options *o, struct event_base *base,
                                 struct peer *a)
{
    ob_client *c;

    o->base = base;
    o->cb = &callbacks;
    o->user = a;
    o->log = getenv("OB_TEST_LOG") ? log_stderr : NULL;
    cr_assert_eq(ob_client_new(o, &c), OB_OK);
    cr_assert_eq(ob_connect(c), OB_OK);
    for (double deadline = it_now_ms() + WAIT_MS;
         !a->up && it_now_ms() < deadline;)
        it_run_for(base, 10);
    cr_assert(a->up, "the client did not connect (port %d)", o->port);
    return c;
}

/* An anonymous harness client straight to s (TLS when offered). */
static hs_client *anonymous_sender(hs_server *s)
{
    char err[2048];
    hs_client *h = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                                     hs_server_anon_domain(s), NULL, WAIT_MS,
                                     err, sizeof err);

    cr_assert(h, "%s", err);
    return h;
}

static void liborbweb_delivers(enum hs_kind kind)
{
    char err[2048], marker[128];
    hs_server *s;
    hs_proxy *px;
    hs_client *sender;
    struct event_base *base = event_base_new();
    struct peer a = {0};
    ob_client *c;
    size_t one_by_one = 0;
    double deadline;

    cr_assert_eq(hs_server_start(kind, NULL, err, sizeof err, &s), HS_SERVER_OK,
                 "%s", err);
    cr_assert_eq(hs_proxy_start(hs_server_host(s), hs_server_c2s_port(s), err,
                                sizeof err, &px),
                 HS_PROXY_OK, "%s", err);
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(s),
                           .port = hs_proxy_port(px),
                           .jid = hs_server_anon_domain(s),
                           .tls = OB_TLS_OFF};
    c = connected_peer(&o, base, &a);
    sender = anonymous_sender(s);

    for (int round = 0; round < ROUNDS; round++) {
        make_marker(marker, sizeof marker, round);
        *a.got = '\0';
        hs_proxy_arm(px, marker, "</message>", LEAD);
        xmpp_stanza_t *m =
            message_to(hs_client_ctx(sender), ob_client_jid(c), marker);
        hs_client_send(sender, m);
        xmpp_stanza_release(m);
        for (deadline = it_now_ms() + WAIT_MS;
             !hs_proxy_holding(px, &one_by_one) && it_now_ms() < deadline;)
            it_run_for(base, 10);
        cr_assert(hs_proxy_holding(px, &one_by_one),
                  "the relay never handed the message over byte by byte");
        cr_assert_gt(one_by_one, LEAD + strlen(marker));
        for (deadline = it_now_ms() + WAIT_MS;
             !*a.got && it_now_ms() < deadline;)
            it_run_for(base, 10);
        cr_expect_str_eq(
            a.got, marker,
            "%s, round %d: liborbweb held back a unicast whose %zu "
            "bytes came one by one until more bytes arrived",
            hs_kind_name(kind), round, one_by_one);
        hs_proxy_release(px);
    }
    hs_client_close(sender);
    ob_client_free(c);
    event_base_free(base);
    hs_proxy_stop(px);
    hs_server_stop(s);
}

static void xmucd_answers(enum hs_kind kind)
{
    char err[2048], marker[128], server[64];
    hs_server *s;
    hs_proxy *px;
    hs_client *asker;
    struct hs_proc *x;
    xmpp_stanza_t *iq, *r;
    size_t one_by_one = 0;
    double deadline;

    cr_assert_eq(hs_server_start(kind, NULL, err, sizeof err, &s), HS_SERVER_OK,
                 "%s", err);
    cr_assert_eq(hs_proxy_start(hs_server_host(s), hs_server_component_port(s),
                                err, sizeof err, &px),
                 HS_PROXY_OK, "%s", err);
    snprintf(server, sizeof server, "%s:%d", hs_server_host(s),
             hs_proxy_port(px));
    char *args[] = {"--server", server, NULL};
    cr_assert(x = hs_xmucd_start(s, args, err, sizeof err), "%s", err);
    asker = anonymous_sender(s);

    for (int round = 0; round < ROUNDS; round++) {
        make_marker(marker, sizeof marker, round);
        iq = hs_iq_query(hs_client_ctx(asker), "get", hs_server_component(s),
                         "query", "http://jabber.org/protocol/disco#info");
        xmpp_stanza_set_id(iq, marker);
        hs_proxy_arm(px, marker, "</iq>", LEAD);
        hs_client_send(asker, iq);
        xmpp_stanza_release(iq);
        r = NULL;
        for (deadline = it_now_ms() + WAIT_MS; !r && it_now_ms() < deadline;) {
            if ((r = hs_client_wait(asker, "iq", 100)) &&
                strcmp(xmpp_stanza_get_id(r) ? xmpp_stanza_get_id(r) : "",
                       marker)) {
                xmpp_stanza_release(r);
                r = NULL;
            }
        }
        cr_assert(hs_proxy_holding(px, &one_by_one),
                  "the relay never handed the iq to xmucd byte by byte");
        cr_expect(r,
                  "%s, round %d: xmucd did not answer an iq whose %zu bytes "
                  "came one by one before any further byte",
                  hs_kind_name(kind), round, one_by_one);
        cr_expect(r && !strcmp(xmpp_stanza_get_type(r), "result"));
        if (r)
            xmpp_stanza_release(r);
        hs_proxy_release(px);
    }
    hs_client_close(asker);
    cr_expect_eq(hs_xmucd_stop(x), 0);
    hs_proxy_stop(px);
    hs_server_stop(s);
}

static void tls_drains(enum hs_kind kind)
{
    char err[2048], marker[128];
    hs_server *s;
    hs_client *sender;
    struct event_base *base = event_base_new();
    struct peer a = {0};
    ob_client *c;
    double deadline;

    cr_assert_eq(hs_server_start(kind, NULL, err, sizeof err, &s), HS_SERVER_OK,
                 "%s", err);
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(s),
                           .port = hs_server_c2s_port(s),
                           .jid = hs_server_anon_domain(s),
                           .tls = OB_TLS_TRUST,
                           .tick_ms = 600000,
                           .relay_max_bytes = 250000};
    c = connected_peer(&o, base, &a);
    sender = anonymous_sender(s);
    for (int round = 0; round < ROUNDS; round++) {
        size_t len = 120000 + 4099 * (size_t)round;
        char *body = malloc(len + 1);

        make_marker(marker, sizeof marker, round);
        memset(body, 'x', len);
        memcpy(body, marker, strlen(marker));
        body[len] = '\0';
        a.got_len = 0;
        xmpp_stanza_t *m =
            message_to(hs_client_ctx(sender), ob_client_jid(c), body);
        hs_client_send(sender, m);
        xmpp_stanza_release(m);
        for (deadline = it_now_ms() + WAIT_MS;
             a.got_len != len && it_now_ms() < deadline;) {
            hs_client_drain(sender, 5, 5); /* it writes only while pumped */
            it_run_for(base, 10);
        }
        cr_expect_eq(a.got_len, len,
                     "%s, round %d: a %zu-byte unicast over TLS "
                     "did not arrive before libstrophe's (10 minute) tick (got "
                     "%zu bytes: %.40s)",
                     hs_kind_name(kind), round, len, a.got_len, a.got);
        cr_expect(!strncmp(a.got, marker, strlen(marker)));
        /* and back: liborbweb writes it out without the tick too */
        int rc = ob_unicast(c, hs_client_jid(sender), body);
        cr_assert_eq(rc, OB_OK, "ob_unicast: %s", ob_strerror(rc));
        xmpp_stanza_t *back = NULL;
        for (deadline = it_now_ms() + WAIT_MS;
             !back && it_now_ms() < deadline;) {
            it_run_for(base, 10);
            back = hs_client_wait(sender, "message", 5);
        }
        char *text = back ? xmpp_message_get_body(back) : NULL;
        cr_expect(text && strlen(text) == len,
                  "%s, round %d: a %zu-byte unicast "
                  "from liborbweb over TLS did not go out before the tick",
                  hs_kind_name(kind), round, len);
        if (text)
            xmpp_free(hs_client_ctx(sender), text);
        if (back)
            xmpp_stanza_release(back);
        free(body);
    }
    hs_client_close(sender);
    ob_client_free(c);
    event_base_free(base);
    hs_server_stop(s);
}

/* ---- libstrophe alone ---------------------------------------------- */

struct raw {
    bool up, got;
    const char *marker;
};

static int raw_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    struct raw *r = ud;
    char *body = xmpp_message_get_body(st);

    (void)conn;
    if (body && !strcmp(body, r->marker))
        r->got = true;
    xmpp_free(xmpp_conn_get_context(conn), body);
    return 1;
}

static void raw_state(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                      xmpp_stream_error_t *se, void *ud)
{
    (void)error, (void)se;
    if (ev == XMPP_CONN_CONNECT) {
        xmpp_stanza_t *pres = xmpp_presence_new(xmpp_conn_get_context(conn));
        xmpp_send(conn, pres);
        xmpp_stanza_release(pres);
        ((struct raw *)ud)->up = true;
    }
}

static bool run_raw_until(xmpp_ctx_t *ctx, const bool *flag, double ms)
{
    for (double deadline = it_now_ms() + ms; !*flag && it_now_ms() < deadline;)
        xmpp_run_once(ctx, 10);
    return *flag;
}

static void libstrophe_alone(enum hs_kind kind)
{
    char err[2048], marker[128];
    hs_server *s;
    hs_proxy *px;
    hs_client *sender;
    struct raw r = {.marker = marker};
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    size_t one_by_one = 0;
    bool holding = false;
    int held = 0;

    cr_assert_eq(hs_server_start(kind, NULL, err, sizeof err, &s), HS_SERVER_OK,
                 "%s", err);
    cr_assert_eq(hs_proxy_start(hs_server_host(s), hs_server_c2s_port(s), err,
                                sizeof err, &px),
                 HS_PROXY_OK, "%s", err);
    xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_DISABLE_TLS);
    xmpp_conn_set_jid(conn, hs_server_anon_domain(s));
    xmpp_handler_add(conn, raw_message, NULL, "message", NULL, &r);
    cr_assert_eq(xmpp_connect_client(conn, hs_server_host(s),
                                     (unsigned short)hs_proxy_port(px),
                                     raw_state, &r),
                 XMPP_EOK);
    cr_assert(run_raw_until(ctx, &r.up, WAIT_MS), "libstrophe did not connect");
    run_raw_until(ctx, &(bool){false}, 200); /* its presence goes out */
    sender = anonymous_sender(s);

    for (int round = 0; round < ROUNDS; round++) {
        make_marker(marker, sizeof marker, round);
        r.got = false;
        hs_proxy_arm(px, marker, "</message>", LEAD);
        xmpp_stanza_t *m = message_to(hs_client_ctx(sender),
                                      xmpp_conn_get_bound_jid(conn), marker);
        hs_client_send(sender, m);
        xmpp_stanza_release(m);
        for (double deadline = it_now_ms() + WAIT_MS;
             !(holding = hs_proxy_holding(px, &one_by_one)) &&
             it_now_ms() < deadline;)
            xmpp_run_once(ctx, 10);
        cr_assert(holding,
                  "the relay never handed the message over byte by byte");
        held += !run_raw_until(ctx, &r.got, HELD_MS);
        hs_proxy_release(px);
    }
#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
    cr_expect_gt(held, 0,
                 "%s: libstrophe alone delivered all %d messages that came "
                 "byte by byte: it no longer needs ob_expat.c's XML_Parse",
                 hs_kind_name(kind), ROUNDS);
#else
    cr_expect_eq(held, 0,
                 "%s: libstrophe held back %d messages on an expat "
                 "without reparse deferral",
                 hs_kind_name(kind), held);
#endif
    fprintf(stderr,
            "%s: libstrophe alone held back %d of %d messages that came "
            "one byte per read\n",
            hs_kind_name(kind), held, ROUNDS);
    hs_client_close(sender);
    xmpp_disconnect(conn);
    run_raw_until(ctx, &(bool){false}, 200);
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    hs_proxy_stop(px);
    hs_server_stop(s);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);

Test(prosody, liborbweb_delivers_a_unicast_with_its_last_byte)
{
    liborbweb_delivers(HS_PROSODY);
}

Test(ejabberd, liborbweb_delivers_a_unicast_with_its_last_byte)
{
    liborbweb_delivers(HS_EJABBERD);
}

Test(prosody, xmucd_answers_an_iq_with_its_last_byte)
{
    xmucd_answers(HS_PROSODY);
}

Test(ejabberd, xmucd_answers_an_iq_with_its_last_byte)
{
    xmucd_answers(HS_EJABBERD);
}

Test(prosody, libstrophe_alone_holds_a_split_stanza_back)
{
    libstrophe_alone(HS_PROSODY);
}

Test(ejabberd, libstrophe_alone_holds_a_split_stanza_back)
{
    libstrophe_alone(HS_EJABBERD);
}

Test(prosody, tls_unicasts_arrive_without_waiting_for_the_tick)
{
    tls_drains(HS_PROSODY);
}

Test(ejabberd, tls_unicasts_arrive_without_waiting_for_the_tick)
{
    tls_drains(HS_EJABBERD);
}
