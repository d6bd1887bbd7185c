/* test_bench_peers.c -- the load generator's client state machine, fed
 * a server's bytes without a socket: login (SASL ANONYMOUS, stream
 * restart, bind, optional session), counting, room join and leave, churn
 * rejoin, the failures that must stop a peer, STARTTLS by mode and the
 * reasons a login is refused for. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bench_peers.h"

#define HDR                                                                    \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client'"                \
    " xmlns:stream='http://etherx.jabber.org/streams' id='s1'"                 \
    " from='anon.localhost' version='1.0'>"
#define MECHS                                                                  \
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"   \
    "<mechanism>PLAIN</mechanism><mechanism>ANONYMOUS</mechanism>"             \
    "</mechanisms></stream:features>"
#define SUCCESS "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
#define BINDF                                                                  \
    "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"        \
    "<session "                                                                \
    "xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"        \
    "</stream:features>"
#define BOUND                                                                  \
    "<iq type='result' id='bp-bind'><bind "                                    \
    "xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"                                \
    "<jid>x1@anon.localhost/r</jid></bind></iq>"

static char sent[8192];

static void capture(void *ud, const char *data, size_t len)
{
    (void)ud;
    strncat(sent, data,
            len < sizeof sent - strlen(sent) - 1
                ? len
                : sizeof sent - strlen(sent) - 1);
}

static const struct bp_config cfg = {
    .host = "127.0.0.1", .port = 1, .domain = "anon.localhost"};

static void feed(bp_peer *p, const char *s)
{
    bp_peer_feed(p, s, strlen(s));
}

/* Feeds s one byte at a time: chunking must not matter. */
static void feed_bytes(bp_peer *p, const char *s)
{
    for (; *s; s++)
        bp_peer_feed(p, s, 1);
}

static bp_peer *logged_in(void)
{
    bp_peer *p;

    sent[0] = '\0';
    cr_assert_eq(bp_peer_new_detached(&cfg, capture, NULL, &p), BP_OK);
    cr_assert(p);
    feed(p, HDR MECHS SUCCESS);
    feed(p, HDR BINDF BOUND);
    cr_assert_eq(bp_peer_state(p), BP_READY, "state %s: %s",
                 bp_state_name(bp_peer_state(p)), bp_peer_error(p));
    return p;
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(bench_peers, .timeout = 300);

Test(bench_peers, login_anonymous_restart_bind)
{
    bp_peer *p;

    sent[0] = '\0';
    cr_assert_eq(bp_peer_new_detached(&cfg, capture, NULL, &p), BP_OK);
    cr_assert(strstr(sent, "<stream:stream to='anon.localhost'"));
    cr_assert_eq(bp_peer_state(p), BP_FEATURES);
    feed_bytes(p, HDR MECHS);
    cr_assert_eq(bp_peer_state(p), BP_AUTH);
    cr_assert(strstr(sent, "mechanism='ANONYMOUS'"));
    sent[0] = '\0';
    feed(p, SUCCESS);
    /* a new stream header went out, and the parser takes a new stream */
    cr_assert(strstr(sent, "<stream:stream to='anon.localhost'"), "%s", sent);
    cr_assert_eq(bp_peer_state(p), BP_FEATURES2);
    feed_bytes(p, HDR BINDF);
    cr_assert_eq(bp_peer_state(p), BP_BIND);
    cr_assert(strstr(sent, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"));
    feed(p, BOUND);
    cr_assert_eq(bp_peer_state(p), BP_READY);
    cr_assert_str_eq(bp_peer_jid(p), "x1@anon.localhost/r");
    /* features, success, features, iq: 4 stanzas, sized on the wire */
    cr_assert_eq(bp_peer_counters(p).stanzas, 4);
    cr_assert_eq(bp_peer_counters(p).bytes, strlen(MECHS SUCCESS BINDF BOUND));
    bp_peer_free_detached(p);
}

Test(bench_peers, required_session)
{
    bp_peer *p;

    sent[0] = '\0';
    cr_assert_eq(bp_peer_new_detached(&cfg, capture, NULL, &p), BP_OK);
    feed(p, HDR MECHS SUCCESS);
    feed(p,
         HDR "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
             "<session "
             "xmlns='urn:ietf:params:xml:ns:xmpp-session'/></"
             "stream:features>" BOUND);
    cr_assert_eq(bp_peer_state(p), BP_SESSION);
    cr_assert(strstr(sent, "id='bp-session'"));
    feed(p, "<iq type='result' id='bp-session'/>");
    cr_assert_eq(bp_peer_state(p), BP_READY);
    bp_peer_free_detached(p);
}

Test(bench_peers, join_count_leave_rejoin)
{
    bp_peer *p = logged_in();
    uint64_t before = bp_peer_counters(p).presences;

    sent[0] = '\0';
    cr_assert_eq(
        bp_join(p, "r@muc.localhost", "m1",
                "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='rbt'/>"),
        0);
    cr_assert(
        strstr(sent,
               "<presence to='r@muc.localhost/m1'>"
               "<x xmlns='http://jabber.org/protocol/muc'/>"
               "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='rbt'/>"
               "</presence>"),
        "%s", sent);
    cr_assert_eq(bp_peer_room(p), BP_ROOM_JOINING);
    cr_assert_eq(bp_join(p, "r@muc.localhost", "m1", NULL), -1,
                 "already joining");
    feed(p, "<presence from='r@muc.localhost/m0' to='x1@anon.localhost/r'/>");
    cr_assert_eq(bp_peer_room(p), BP_ROOM_JOINING, "someone else's presence");
    feed(p, "<presence from='r@muc.localhost/m1' to='x1@anon.localhost/r'>"
            "<x xmlns='http://jabber.org/protocol/muc#user'><status "
            "code='110'/></x>"
            "</presence>");
    cr_assert_eq(bp_peer_room(p), BP_ROOM_JOINED);
    cr_assert_eq(bp_peer_counters(p).presences, before + 2);
    sent[0] = '\0';
    cr_assert_eq(bp_leave(p), 0);
    cr_assert(
        strstr(sent, "<presence type='unavailable' to='r@muc.localhost/m1'/>"));
    bp_set_rejoin(p, true);
    sent[0] = '\0';
    feed(p, "<presence type='unavailable' from='r@muc.localhost/m1'/>");
    /* churn: left, and joined again at once with the same join element */
    cr_assert_eq(bp_peer_room(p), BP_ROOM_JOINING);
    cr_assert(strstr(sent, "manager='rbt'"), "%s", sent);
    bp_set_rejoin(p, false);
    feed(p, "<presence from='r@muc.localhost/m1'/>");
    bp_leave(p);
    feed(p, "<presence type='unavailable' from='r@muc.localhost/m1'/>");
    cr_assert_eq(bp_peer_room(p), BP_ROOM_NONE);
    bp_peer_free_detached(p);
}

Test(bench_peers, join_refused)
{
    bp_peer *p = logged_in();

    bp_join(p, "r@rooms.localhost", "m1", NULL);
    feed(p, "<presence type='error' from='r@rooms.localhost/m1'><error "
            "type='cancel'>"
            "<not-allowed "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
    cr_assert_eq(bp_peer_room(p), BP_ROOM_ERROR);
    bp_peer_free_detached(p);
}

Test(bench_peers, failures_stop_the_peer)
{
    const char *cases[][2] = {
        {HDR "<stream:features><mechanisms "
             "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
             "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
         "does not offer SASL ANONYMOUS"},
        {HDR MECHS "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
         "refused"},
        {HDR MECHS "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                   "<not-authorized/><text>no guests</text></failure>",
         "SASL ANONYMOUS refused: not-authorized (no guests)"},
        {HDR "<stream:error><host-unknown "
             "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "</stream:error>",
         "host-unknown"},
        {HDR MECHS SUCCESS HDR "<stream:features/>", "no resource binding"},
        {HDR MECHS SUCCESS HDR BINDF "<iq type='error' id='bp-bind'/>",
         "bind refused"},
        {HDR "<a><b></a>", "bad XML"},
        {HDR "</stream:stream>", "closed the stream"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bp_peer *p;

        cr_assert_eq(bp_peer_new_detached(&cfg, capture, NULL, &p), BP_OK);
        /* feed the parts separately, as the restart needs */
        const char *s = cases[i][0];
        const char *second = strstr(s + 1, "<?xml");
        if (second) {
            bp_peer_feed(p, s, (size_t)(second - s));
            feed(p, second);
        } else {
            feed(p, s);
        }
        cr_assert_eq(bp_peer_state(p), BP_FAILED, "case %zu: %s", i,
                     bp_state_name(bp_peer_state(p)));
        cr_assert(strstr(bp_peer_error(p), cases[i][1]), "case %zu: %s", i,
                  bp_peer_error(p));
        feed(p, "<more/>"); /* ignored once failed */
        bp_peer_free_detached(p);
    }
}

#define TLS_NS "urn:ietf:params:xml:ns:xmpp-tls"
/* Prosody with c2s_require_encryption: STARTTLS required, no SASL
 * mechanism offered before it. */
#define TLS_REQUIRED                                                           \
    "<stream:features><starttls xmlns='" TLS_NS "'><required/></starttls>"     \
    "</stream:features>"
#define TLS_OFFERED                                                            \
    "<stream:features><starttls xmlns='" TLS_NS "'/>"                          \
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"                    \
    "<mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>"

static bp_peer *with_tls(enum bp_tls tls)
{
    struct bp_config c = cfg;
    bp_peer *p;

    c.tls = tls;
    sent[0] = '\0';
    cr_assert_eq(bp_peer_new_detached(&c, capture, NULL, &p), BP_OK);
    return p;
}

/* The reason the issue met: "does not offer SASL ANONYMOUS" was wrong. */
Test(bench_peers, tls_off_on_a_server_requiring_it_says_so)
{
    const char *features[] = {
        TLS_REQUIRED,
        /* required without saying so: no mechanism before STARTTLS */
        "<stream:features><starttls xmlns='" TLS_NS "'/></stream:features>"};

    for (size_t i = 0; i < 2; i++) {
        bp_peer *p = with_tls(BP_TLS_OFF);
        char all[512];
        snprintf(all, sizeof all, "%s%s", HDR, features[i]);
        feed(p, all);
        cr_assert_eq(bp_peer_state(p), BP_FAILED, "case %zu", i);
        cr_assert(strstr(bp_peer_error(p), "requires encryption"),
                  "case %zu: %s", i, bp_peer_error(p));
        cr_assert_null(strstr(sent, "<starttls"));
        bp_peer_free_detached(p);
    }
}

Test(bench_peers, starttls_then_login)
{
    enum bp_tls modes[] = {BP_TLS_TRUST, BP_TLS_VERIFY, BP_TLS_REQUIRE};

    for (size_t i = 0; i < 3; i++) {
        bp_peer *p = with_tls(modes[i]);
        feed(p, HDR TLS_REQUIRED);
        cr_assert_eq(bp_peer_state(p), BP_STARTTLS, "%s",
                     bp_tls_name(modes[i]));
        cr_assert(strstr(sent, "<starttls xmlns='" TLS_NS "'/>"), "%s", sent);
        sent[0] = '\0';
        feed(p, "<proceed xmlns='" TLS_NS "'/>");
        /* (a detached peer has no TLS to start: it carries on) */
        cr_assert(strstr(sent, "<stream:stream to='anon.localhost'"), "%s",
                  sent);
        cr_assert_eq(bp_peer_state(p), BP_FEATURES);
        feed(p, HDR TLS_OFFERED); /* starttls again: not twice */
        cr_assert_eq(bp_peer_state(p), BP_AUTH, "%s",
                     bp_state_name(bp_peer_state(p)));
        feed(p, SUCCESS);
        feed(p, HDR BINDF BOUND);
        cr_assert_eq(bp_peer_state(p), BP_READY, "%s", bp_peer_error(p));
        bp_peer_free_detached(p);
    }
}

Test(bench_peers, tls_refusals)
{
    bp_peer *p = with_tls(BP_TLS_REQUIRE);

    feed(p, HDR MECHS);
    cr_assert_eq(bp_peer_state(p), BP_FAILED);
    cr_assert(strstr(bp_peer_error(p), "does not offer STARTTLS"), "%s",
              bp_peer_error(p));
    bp_peer_free_detached(p);

    p = with_tls(BP_TLS_TRUST);
    feed(p, HDR TLS_OFFERED "<failure xmlns='" TLS_NS "'/>");
    cr_assert_eq(bp_peer_state(p), BP_FAILED);
    cr_assert(strstr(bp_peer_error(p), "refused STARTTLS"), "%s",
              bp_peer_error(p));
    bp_peer_free_detached(p);

    /* trust and verify use plain streams where TLS is not offered */
    p = with_tls(BP_TLS_VERIFY);
    feed(p, HDR MECHS);
    cr_assert_eq(bp_peer_state(p), BP_AUTH);
    bp_peer_free_detached(p);
}

Test(bench_peers, tls_names)
{
    enum bp_tls t;

    cr_assert_eq(bp_tls_parse("trust", &t), 0);
    cr_assert_eq(t, BP_TLS_TRUST);
    cr_assert_eq(bp_tls_parse("verify", &t), 0);
    cr_assert_eq(t, BP_TLS_VERIFY);
    cr_assert_str_eq(bp_tls_name(BP_TLS_REQUIRE), "require");
    cr_assert_eq(bp_tls_parse("on", &t), -1);
    cr_assert_eq(bp_tls_parse(NULL, &t), -1);
}
