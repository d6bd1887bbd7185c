/* test_e2e_jingle.c -- Jingle for direct streams: the stanzas of our
 * profile (exact text both ways), the hostile-input parser's answers, and
 * two session tables talking through a little in-memory "server" that
 * stamps from and delivers in order (states, events, errors, limits,
 * timeouts). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "e2e_jingle.h"

#define FPR_A                                                                  \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define FPR_B                                                                  \
    "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:"                         \
    "11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20"
#define JID_A "alice@example.org/a"
#define JID_B "bob@example.org/b"

static xmpp_ctx_t *ctx;

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

TestSuite(e2e_jingle, .init = setup, .fini = teardown, .timeout = 300);

static xmpp_stanza_t *stanza(const char *text)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, text);

    cr_assert_not_null(st, "unparsable test stanza: %s", text);
    return st;
}

static void text_of(xmpp_stanza_t *st, char *out, size_t cap)
{
    char *buf;
    size_t len;

    cr_assert_eq(xmpp_stanza_to_text(st, &buf, &len), 0);
    snprintf(out, cap, "%s", buf);
    xmpp_free(ctx, buf);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends st to out with its attributes sorted (libstrophe serializes
 * them in hash order), so exact stanzas can be compared. */
static void canon(xmpp_stanza_t *st, char *out, size_t cap)
{
    const char *attrs[64];
    int n;
    size_t len = strlen(out);

    if (xmpp_stanza_is_text(st)) {
        snprintf(out + len, cap - len, "%s", xmpp_stanza_get_text_ptr(st));
        return;
    }
    n = xmpp_stanza_get_attributes(st, attrs, 64);
    qsort(attrs, (size_t)n / 2, 2 * sizeof attrs[0], by_name);
    len +=
        (size_t)snprintf(out + len, cap - len, "<%s", xmpp_stanza_get_name(st));
    for (int i = 0; i < n && len < cap; i += 2)
        len += (size_t)snprintf(out + len, cap - len, " %s='%s'", attrs[i],
                                attrs[i + 1]);
    if (len < cap)
        snprintf(out + len, cap - len, ">");
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c))
        canon(c, out, cap);
    len = strlen(out);
    snprintf(out + len, cap - len, "</%s>", xmpp_stanza_get_name(st));
}

/* Asserts that two stanzas' texts are the same XML. */
static void same_xml(const char *got, const char *want)
{
    xmpp_stanza_t *a = stanza(got), *b = stanza(want);
    char ca[4096] = "", cb[4096] = "";

    canon(a, ca, sizeof ca);
    canon(b, cb, sizeof cb);
    xmpp_stanza_release(a);
    xmpp_stanza_release(b);
    cr_assert_str_eq(ca, cb, "got %s", got);
}

/* ---- The payload ---- */

#define INITIATE_EXAMPLE                                                       \
    "<iq type='set' from='" JID_A "' to='" JID_B "' id='ji-a73sjjvkla37jfea'>" \
    "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'"              \
    " initiator='" JID_A "' sid='a73sjjvkla37jfea'>"                           \
    "<content creator='initiator' name='xs'>"                                  \
    "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'>"                   \
    "<framing xmlns='https://orbweb.dev/ns/e2e/0' name='fi'/>"                 \
    "<framing xmlns='https://orbweb.dev/ns/e2e/0' name='xml'/>"                \
    "</description>"                                                           \
    "<transport xmlns='https://orbweb.dev/ns/e2e/tcp/0'>"                      \
    "<candidate id='c2' host='127.0.0.1' port='40123' priority='1'/>"          \
    "<candidate id='c1' host='192.0.2.10' port='40123' priority='2'/>"         \
    "<candidate id='c3' host='2001:db8::7' port='40123' priority='1'/>"        \
    "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256'>"         \
    "ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89</fingerprint>"            \
    "</transport></content></jingle></iq>"

Test(e2e_jingle, parses_the_documented_initiate)
{
    xmpp_stanza_t *st = stanza(INITIATE_EXAMPLE);
    struct e2e_jingle_msg m;

    cr_assert_eq(e2e_jingle_parse(st, &m), 0);
    cr_assert_eq(m.action, E2E_JINGLE_INITIATE);
    cr_assert_str_eq(m.sid, "a73sjjvkla37jfea");
    cr_assert_eq(m.framing, E2E_FRAMING_FI | E2E_FRAMING_XML);
    cr_assert_eq(m.n_candidates, 3);
    /* priority first, then document order */
    cr_assert_str_eq(m.candidates[0].id, "c1");
    cr_assert_str_eq(m.candidates[0].host, "192.0.2.10");
    cr_assert_str_eq(m.candidates[1].id, "c2");
    cr_assert_str_eq(m.candidates[2].host, "2001:db8::7");
    cr_assert_eq(m.candidates[2].port, 40123);
    cr_assert_str_eq(m.fingerprint, FPR_A); /* uppercased */
    xmpp_stanza_release(st);
}

Test(e2e_jingle, builds_exact_initiate_and_terminate)
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_INITIATE,
                               .sid = "s1",
                               .framing = E2E_FRAMING_FI | E2E_FRAMING_XML,
                               .n_candidates = 1,
                               .candidates = {{"c1", "192.0.2.10", 40123, 2}},
                               .fingerprint = FPR_A};
    xmpp_stanza_t *st;
    char text[4096];

    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "ji-s1", JID_A, &m, &st), 0);
    text_of(st, text, sizeof text);
    same_xml(text,
             "<iq id=\"ji-s1\" type=\"set\" to=\"" JID_B "\">"
             "<jingle xmlns=\"urn:xmpp:jingle:1\" sid=\"s1\" initiator=\"" JID_A
             "\" action=\"session-initiate\">"
             "<content name=\"xs\" creator=\"initiator\">"
             "<description xmlns=\"urn:xmpp:jingle:apps:xmlstream:0\">"
             "<framing xmlns=\"https://orbweb.dev/ns/e2e/0\" name=\"fi\"/>"
             "<framing xmlns=\"https://orbweb.dev/ns/e2e/0\" name=\"xml\"/>"
             "</description>"
             "<transport xmlns=\"https://orbweb.dev/ns/e2e/tcp/0\">"
             "<candidate priority=\"2\" port=\"40123\" host=\"192.0.2.10\" "
             "id=\"c1\"/>"
             "<fingerprint xmlns=\"urn:xmpp:jingle:apps:dtls:0\" "
             "hash=\"sha-256\">" FPR_A
             "</fingerprint></transport></content></jingle></iq>");
    xmpp_stanza_release(st);

    m = (struct e2e_jingle_msg){.action = E2E_JINGLE_TERMINATE,
                                .sid = "s1",
                                .reason = E2E_JINGLE_CONNECTIVITY_ERROR};
    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "jt-s1", JID_A, &m, &st), 0);
    text_of(st, text, sizeof text);
    same_xml(text, "<iq id=\"jt-s1\" type=\"set\" to=\"" JID_B "\">"
                   "<jingle xmlns=\"urn:xmpp:jingle:1\" sid=\"s1\" "
                   "action=\"session-terminate\">"
                   "<reason><connectivity-error/></reason></jingle></iq>");
    xmpp_stanza_release(st);
}

Test(e2e_jingle, build_then_parse_is_identity)
{
    struct e2e_jingle_msg m = {
        .action = E2E_JINGLE_INITIATE,
        .sid = "x-Y.9_",
        .framing = E2E_FRAMING_XML,
        .n_candidates = 2,
        .candidates = {{"a", "10.0.0.1", 1, 7}, {"b", "::1", 65535, 0}},
        .fingerprint = FPR_B};
    struct e2e_jingle_msg back;
    xmpp_stanza_t *st;
    char text[4096];

    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "x", JID_A, &m, &st), 0);
    text_of(st, text, sizeof text); /* through text, as on the wire */
    xmpp_stanza_release(st);
    st = stanza(text);
    cr_assert_eq(e2e_jingle_parse(st, &back), 0);
    cr_assert_eq(memcmp(&m, &back, sizeof m), 0);
    xmpp_stanza_release(st);

    for (int r = E2E_JINGLE_SUCCESS; r <= E2E_JINGLE_GENERAL_ERROR; r++) {
        m = (struct e2e_jingle_msg){.action = E2E_JINGLE_TERMINATE,
                                    .sid = "t",
                                    .reason = (enum e2e_jingle_reason)r};
        cr_assert_eq(e2e_jingle_build(ctx, JID_B, "x", JID_A, &m, &st), 0);
        cr_assert_eq(e2e_jingle_parse(st, &back), 0);
        cr_assert_eq(back.reason, r, "%s", e2e_jingle_reason_name(back.reason));
        xmpp_stanza_release(st);
    }
}

Test(e2e_jingle, refuses_to_build_what_it_would_not_parse)
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_INITIATE,
                               .sid = "s1",
                               .framing = E2E_FRAMING_XML,
                               .n_candidates = 1,
                               .candidates = {{"c1", "example.org", 80, 0}},
                               .fingerprint = FPR_A};
    xmpp_stanza_t *st;

    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "x", JID_A, &m, &st),
                 E2E_JINGLE_EINVAL);
    cr_assert_null(st);
    strcpy(m.candidates[0].host, "10.1.2.3");
    strcpy(m.sid, "no spaces");
    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "x", JID_A, &m, &st),
                 E2E_JINGLE_EINVAL);
    strcpy(m.sid, "s1");
    m.fingerprint[4] = 'G';
    cr_assert_eq(e2e_jingle_build(ctx, JID_B, "x", JID_A, &m, &st),
                 E2E_JINGLE_EINVAL);
}

/* Hostile payloads: a template with one hole for the transport's
 * children, or a whole <jingle/>. */
#define IQ(J) "<iq type='set' from='" JID_A "' to='" JID_B "' id='q'>" J "</iq>"
#define JINGLE(ACTION, BODY)                                                   \
    IQ("<jingle xmlns='urn:xmpp:jingle:1' action='" ACTION "' sid='s1'>" BODY  \
       "</jingle>")
#define CONTENT(DESC, TRANSPORT)                                               \
    JINGLE("session-initiate",                                                 \
           "<content creator='initiator' name='xs'>" DESC TRANSPORT            \
           "</content>")
#define DESC "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>"
#define FPR                                                                    \
    "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256'>" FPR_A   \
    "</fingerprint>"
#define TR(C)                                                                  \
    "<transport xmlns='https://orbweb.dev/ns/e2e/tcp/0'>" C "</transport>"
#define CAND(ID, HOST, PORT)                                                   \
    "<candidate id='" ID "' host='" HOST "' port='" PORT "'/>"
#define OK_CAND CAND("c1", "10.0.0.1", "5000")
#define WITH(C) CONTENT(DESC, TR(C FPR))

struct bad {
    const char *what, *xml;
    int code;
};

static const struct bad bad_cases[] = {
    {"plain", WITH(OK_CAND), 0},
    {"no jingle", IQ("<ping xmlns='urn:xmpp:ping'/>"), E2E_JINGLE_ENOTJINGLE},
    {"jingle of another namespace",
     IQ("<jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' "
        "sid='s'/>"),
     E2E_JINGLE_ENOTJINGLE},
    {"no sid",
     IQ("<jingle xmlns='urn:xmpp:jingle:1' action='session-accept'/>"),
     E2E_JINGLE_EBADREQ},
    {"sid with a space",
     IQ("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='a "
        "b'/>"),
     E2E_JINGLE_EBADREQ},
    {"sid of 65 characters",
     IQ("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='"
        "0123456789012345678901234567890123456789012345678901234567890123"
        "4'/>"),
     E2E_JINGLE_EBADREQ},
    {"no action", IQ("<jingle xmlns='urn:xmpp:jingle:1' sid='s'/>"),
     E2E_JINGLE_EBADREQ},
    {"transport-info", JINGLE("transport-info", ""), E2E_JINGLE_EUNSUPPORTED},
    {"no content", JINGLE("session-initiate", ""), E2E_JINGLE_EBADREQ},
    {"two contents",
     JINGLE("session-initiate", "<content name='a'/><content name='b'/>"),
     E2E_JINGLE_ENOTACCEPTABLE},
    {"content created by the responder",
     JINGLE("session-initiate",
            "<content creator='responder' name='xs'>" DESC TR(
                OK_CAND FPR) "</content>"),
     E2E_JINGLE_EBADREQ},
    {"no description", CONTENT("", TR(OK_CAND FPR)), E2E_JINGLE_EBADREQ},
    {"another application",
     CONTENT("<description xmlns='urn:xmpp:jingle:apps:rtp:1'/>",
             TR(OK_CAND FPR)),
     E2E_JINGLE_ENOTACCEPTABLE},
    {"only unknown framings",
     CONTENT("<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'>"
             "<framing xmlns='https://orbweb.dev/ns/e2e/0' name='exi'/>"
             "</description>",
             TR(OK_CAND FPR)),
     E2E_JINGLE_ENOTACCEPTABLE},
    {"no transport", CONTENT(DESC, ""), E2E_JINGLE_EBADREQ},
    {"ICE-UDP transport",
     CONTENT(DESC, "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/>"),
     E2E_JINGLE_ENOTACCEPTABLE},
    {"no candidate", WITH(""), E2E_JINGLE_EBADREQ},
    {"a host name", WITH(CAND("c1", "example.org", "5000")),
     E2E_JINGLE_EBADREQ},
    {"port 0", WITH(CAND("c1", "10.0.0.1", "0")), E2E_JINGLE_EBADREQ},
    {"port 65536", WITH(CAND("c1", "10.0.0.1", "65536")), E2E_JINGLE_EBADREQ},
    {"port with a sign", WITH(CAND("c1", "10.0.0.1", "+80")),
     E2E_JINGLE_EBADREQ},
    {"priority above 2^31-1",
     WITH(
         "<candidate id='c1' host='10.0.0.1' port='1' priority='2147483648'/>"),
     E2E_JINGLE_EBADREQ},
    {"candidate id too long", WITH(CAND("c12345678901234567", "10.0.0.1", "1")),
     E2E_JINGLE_EBADREQ},
    {"same candidate id twice",
     WITH(CAND("c1", "10.0.0.1", "1") CAND("c1", "10.0.0.2", "1")),
     E2E_JINGLE_EBADREQ},
    {"nine candidates",
     WITH(CAND("1", "10.0.0.1", "1") CAND("2", "10.0.0.1", "1")
              CAND("3", "10.0.0.1", "1") CAND("4", "10.0.0.1", "1")
                  CAND("5", "10.0.0.1", "1") CAND("6", "10.0.0.1", "1")
                      CAND("7", "10.0.0.1", "1") CAND("8", "10.0.0.1", "1")
                          CAND("9", "10.0.0.1", "1")),
     E2E_JINGLE_EPOLICY},
    {"no fingerprint", CONTENT(DESC, TR(OK_CAND)), E2E_JINGLE_EBADREQ},
    {"two fingerprints", WITH(OK_CAND FPR), E2E_JINGLE_EBADREQ},
    {"sha-1 fingerprint",
     CONTENT(DESC, TR(OK_CAND "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0'"
                              " hash='sha-1'>AB:CD</fingerprint>")),
     E2E_JINGLE_ENOTACCEPTABLE},
    {"short fingerprint",
     CONTENT(DESC, TR(OK_CAND "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0'"
                              " hash='sha-256'>AB:CD</fingerprint>")),
     E2E_JINGLE_EBADREQ},
    {"fingerprint without colons",
     CONTENT(DESC,
             TR(OK_CAND "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0'"
                        " hash='sha-256'>AB-CD-EF-01-23-45-67-89-AB-CD-EF-"
                        "01-23-45-67-89-AB-CD-EF-01-23-45-67-89-AB-CD-EF-"
                        "01-23-45-67-89</fingerprint>")),
     E2E_JINGLE_EBADREQ},
    {"unknown reason reads as general-error",
     JINGLE("session-terminate", "<reason><gone/></reason>"), 0},
};

Test(e2e_jingle, hostile_payloads_get_the_right_error)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        xmpp_stanza_t *st = stanza(bad_cases[i].xml);
        struct e2e_jingle_msg m;
        int rc = e2e_jingle_parse(st, &m);

        cr_expect_eq(rc, bad_cases[i].code, "%s: got %d (%s)",
                     bad_cases[i].what, rc, e2e_jingle_strerror(rc));
        xmpp_stanza_release(st);
    }
}

/* ---- Two tables and a server ---- */

#define MAX_QUEUED 128

struct peer {
    const char *jid;
    e2e_jingle *t;
    bool stranger_ok, policy_ok;
    int events;
    struct e2e_jingle_event last;
    struct e2e_jingle_msg last_msg;
    char last_peer[128], last_sid[E2E_JINGLE_SID_MAX + 1];
};

struct net {
    xmpp_stanza_t *q[MAX_QUEUED]; /* in flight, from already stamped */
    size_t n;
    char sent[MAX_QUEUED][2048]; /* everything sent, as text */
    size_t n_sent;
};

struct endpoint {
    struct net *net;
    struct peer *peer;
};

static void net_send(void *ud, xmpp_stanza_t *st)
{
    struct endpoint *e = ud;
    xmpp_stanza_t *copy = xmpp_stanza_copy(st);

    cr_assert_not_null(copy);
    cr_assert_lt(e->net->n, MAX_QUEUED);
    xmpp_stanza_set_from(copy, e->peer->jid);
    e->net->q[e->net->n++] = copy;
    if (e->net->n_sent < MAX_QUEUED)
        text_of(st, e->net->sent[e->net->n_sent++], sizeof e->net->sent[0]);
}

static void on_act(void *ud, const struct e2e_jingle_event *ev)
{
    struct peer *p = ((struct endpoint *)ud)->peer;

    p->events++;
    p->last = *ev;
    snprintf(p->last_peer, sizeof p->last_peer, "%s", ev->peer);
    snprintf(p->last_sid, sizeof p->last_sid, "%s", ev->sid);
    if (ev->msg)
        p->last_msg = *ev->msg;
}

static bool is_known(void *ud, const char *jid)
{
    (void)jid;
    return ((struct endpoint *)ud)->peer->stranger_ok;
}

static bool take(void *ud, const char *jid, uint64_t now)
{
    (void)jid;
    (void)now;
    return ((struct endpoint *)ud)->peer->policy_ok;
}

static struct net net;
static struct peer alice = {.jid = JID_A}, bob = {.jid = JID_B};
static struct endpoint ea = {&net, &alice}, eb = {&net, &bob};

static void make(struct peer *p, struct endpoint *e, const char *fpr,
                 unsigned framing)
{
    struct e2e_jingle_params prm = {.jid = p->jid,
                                    .fingerprint = fpr,
                                    .framing = framing,
                                    .timeout_ms = 1000,
                                    .seed = 42};
    struct e2e_jingle_io io = {ctx, net_send, on_act, is_known, take, e};

    p->stranger_ok = p->policy_ok = true;
    p->events = 0;
    cr_assert_eq(e2e_jingle_new(&prm, &io, &p->t), 0);
}

static void two_peers(void)
{
    setup();
    memset(&net, 0, sizeof net);
    make(&alice, &ea, FPR_A, 0);
    make(&bob, &eb, FPR_B, E2E_FRAMING_XML);
}

static void two_peers_done(void)
{
    for (size_t i = 0; i < net.n; i++)
        xmpp_stanza_release(net.q[i]);
    e2e_jingle_free(alice.t);
    e2e_jingle_free(bob.t);
    teardown();
}

/* Delivers everything in flight, in order, to whoever it is addressed
 * to; returns how many stanzas moved. */
static int deliver(uint64_t now)
{
    int moved = 0;

    while (net.n > 0) {
        xmpp_stanza_t *st = net.q[0];
        struct peer *to =
            !strcmp(xmpp_stanza_get_to(st), JID_A) ? &alice : &bob;

        memmove(net.q, net.q + 1, --net.n * sizeof net.q[0]);
        e2e_jingle_handle(to->t, st, now);
        xmpp_stanza_release(st);
        moved++;
    }
    return moved;
}

/* The n-th stanza sent was exactly the format filled with sid. */
#define expect_sent(n, fmt, sid)                                               \
    do {                                                                       \
        char want_[2048];                                                      \
        cr_assert_lt((n), net.n_sent, "only %zu stanzas sent", net.n_sent);    \
        snprintf(want_, sizeof want_, fmt, sid);                               \
        same_xml(net.sent[n], want_);                                          \
    } while (0)

static const struct e2e_jingle_candidate cands[] = {
    {"c1", "192.0.2.10", 40123, 2}, {"c2", "127.0.0.1", 40123, 1}};

TestSuite(e2e_jingle_table, .init = two_peers, .fini = two_peers_done,
          .timeout = 300);

Test(e2e_jingle_table, a_whole_session)
{
    char sid[E2E_JINGLE_SID_MAX + 1];

    cr_assert_eq(e2e_jingle_initiate(alice.t, JID_B, cands, 2, 100, sid), 0);
    cr_assert_eq(e2e_jingle_state(alice.t, JID_B, sid), E2E_JINGLE_PENDING);
    cr_assert_eq(deliver(100), 2); /* the initiate, bob's result */
    cr_assert_eq(e2e_jingle_state(alice.t, JID_B, sid), E2E_JINGLE_CONNECTING);
    cr_assert_eq(e2e_jingle_state(bob.t, JID_A, sid), E2E_JINGLE_CONNECTING);
    expect_sent(1, "<iq id=\"ji-%s\" type=\"result\" to=\"" JID_A "\"/>", sid);

    /* bob is told to connect, with alice's offer */
    cr_assert_eq(bob.events, 1);
    cr_assert_eq(bob.last.what, E2E_JINGLE_DO_CONNECT);
    cr_assert_eq(bob.last.role, E2E_JINGLE_RESPONDER);
    cr_assert_str_eq(bob.last_peer, JID_A);
    cr_assert_str_eq(bob.last_sid, sid);
    cr_assert_eq(bob.last_msg.n_candidates, 2);
    cr_assert_str_eq(bob.last_msg.candidates[0].host, "192.0.2.10");
    cr_assert_str_eq(bob.last_msg.fingerprint, FPR_A);
    cr_assert_eq(bob.last_msg.framing, E2E_FRAMING_FI | E2E_FRAMING_XML);

    /* bob's link is up: accept; alice must verify bob's certificate */
    cr_assert_eq(e2e_jingle_connected(bob.t, JID_A, sid, 200), 0);
    cr_assert_eq(e2e_jingle_state(bob.t, JID_A, sid), E2E_JINGLE_ACTIVE);
    cr_assert_eq(deliver(200), 2);
    cr_assert_eq(alice.last.what, E2E_JINGLE_DO_VERIFY);
    cr_assert_str_eq(alice.last_msg.fingerprint, FPR_B);
    cr_assert_eq(alice.last_msg.framing, E2E_FRAMING_XML);
    cr_assert_eq(e2e_jingle_state(alice.t, JID_B, sid), E2E_JINGLE_ACTIVE);
    cr_assert_eq(e2e_jingle_pending(alice.t), 0);
    /* and alice's result tells bob to use the link */
    cr_assert_eq(bob.last.what, E2E_JINGLE_DO_USE);
    cr_assert_str_eq(bob.last_sid, sid);

    /* accepted sessions never time out here */
    cr_assert_eq(e2e_jingle_tick(alice.t, 1000000), 0);
    cr_assert_eq(e2e_jingle_tick(bob.t, 1000000), 0);

    /* alice ends it: bob is told to close, and both forget it */
    cr_assert_eq(e2e_jingle_end(alice.t, JID_B, sid, E2E_JINGLE_SUCCESS), 0);
    cr_assert_eq(deliver(300), 2);
    cr_assert_eq(bob.last.what, E2E_JINGLE_DO_CLOSE);
    cr_assert_eq(bob.last.reason, E2E_JINGLE_SUCCESS);
    cr_assert_eq(bob.last.was, E2E_JINGLE_ACTIVE);
    cr_assert_eq(e2e_jingle_sessions(alice.t), 0);
    cr_assert_eq(e2e_jingle_sessions(bob.t), 0);
    cr_assert_eq(e2e_jingle_state(bob.t, JID_A, sid), E2E_JINGLE_ENDED);
}

/* The start of an error answer to alice (the rest: condition elements). */
#define ERR(TYPE) ERR_TO(JID_A, TYPE)
#define ERR_TO(TO, TYPE)                                                       \
    "<iq id=\"%s\" type=\"error\" to=\"" TO "\"><error type=\"" TYPE "\">"
#define STANZAS "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"

/* Bob refuses alice's session-initiate with error `want`; alice gives
 * the session up for `reason`, and bob keeps nothing. */
static void refused(const char *want, enum e2e_jingle_reason reason)
{
    char sid[E2E_JINGLE_SID_MAX + 1], id[80];

    cr_assert_eq(e2e_jingle_initiate(alice.t, JID_B, cands, 2, 0, sid), 0);
    snprintf(id, sizeof id, "ji-%s", sid);
    deliver(0);
    expect_sent(1, want, id);
    cr_assert_eq(bob.events, 0);
    cr_assert_eq(e2e_jingle_sessions(bob.t), 0);
    cr_assert_eq(alice.events, 1);
    cr_assert_eq(alice.last.what, E2E_JINGLE_DO_CLOSE);
    cr_assert_eq(alice.last.was, E2E_JINGLE_PENDING);
    cr_assert_eq(alice.last.reason, reason);
    cr_assert_eq(e2e_jingle_sessions(alice.t), 0);
}

Test(e2e_jingle_table, a_stranger_gets_forbidden_and_the_initiator_gives_up)
{
    bob.stranger_ok = false;
    refused(ERR("auth") "<forbidden " STANZAS "</error></iq>",
            E2E_JINGLE_DECLINE);
}

/* Alice initiates at `at`: true when bob took it (then both sides drop
 * the session again), false when bob refused it with forbidden. */
static bool bob_takes(uint64_t at)
{
    char sid[E2E_JINGLE_SID_MAX + 1], id[80];
    size_t first = net.n_sent;
    bool took;

    cr_assert_eq(e2e_jingle_initiate(alice.t, JID_B, cands, 2, at, sid), 0);
    deliver(at);
    took = e2e_jingle_state(bob.t, JID_A, sid) == E2E_JINGLE_CONNECTING;
    if (!took) {
        snprintf(id, sizeof id, "ji-%s", sid);
        expect_sent(first + 1,
                    ERR("auth") "<forbidden " STANZAS "</error></iq>", id);
        cr_assert_eq(e2e_jingle_sessions(alice.t), 0, "alice gave up");
        return false;
    }
    cr_assert_eq(bob.last.what, E2E_JINGLE_DO_CONNECT);
    cr_assert_eq(e2e_jingle_end(bob.t, JID_A, sid, E2E_JINGLE_DECLINE), 0);
    deliver(at);
    cr_assert_eq(e2e_jingle_sessions(alice.t), 0);
    return true;
}

/* A room's probe grant (docs/segments.md): one session-initiate from
 * that stranger is taken, within the grant's time, and no more. */
Test(e2e_jingle_table, a_grant_lets_one_stranger_in_once)
{
    bob.stranger_ok = false;
    cr_assert_not(bob_takes(0), "a stranger without a grant");
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 100, 5000), 0);
    cr_assert_eq(e2e_jingle_grants(bob.t, 100), 1);
    cr_assert(bob_takes(200), "the grant holder");
    cr_assert_eq(e2e_jingle_grants(bob.t, 200), 0, "used up");
    cr_assert_not(bob_takes(300), "a grant is good for one session");
}

Test(e2e_jingle_table, a_grant_ends_on_time)
{
    bob.stranger_ok = false;
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 1000, 5000), 0);
    cr_assert_not(bob_takes(6000), "at the end of the grant");
    cr_assert_eq(e2e_jingle_grants(bob.t, 6000), 0);
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 1000, 5000), 0);
    cr_assert(bob_takes(5999), "a millisecond before its end");
}

Test(e2e_jingle_table, a_grant_lasts_ten_seconds_at_most)
{
    bob.stranger_ok = false;
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 0, 3600000), 0);
    cr_assert_not(bob_takes(10000), "capped at max_grant_ms");
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 0, 3600000), 0);
    cr_assert(bob_takes(9999));
    /* a second grant extends the first, never shortens it */
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 0, 8000), 0);
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 0, 2000), 0);
    cr_assert(bob_takes(7999));
}

Test(e2e_jingle_table, a_grant_names_one_peer)
{
    bob.stranger_ok = false;
    cr_assert_eq(e2e_jingle_grant(bob.t, "carol@example.org/c", 0, 5000), 0);
    cr_assert_not(bob_takes(10), "a grant for someone else");
    cr_assert_eq(e2e_jingle_grants(bob.t, 10), 1, "carol's is still there");
}

Test(e2e_jingle_table, grants_are_bounded)
{
    char jid[64], big[E2E_JINGLE_JID_MAX + 2];

    bob.stranger_ok = false;
    cr_assert_eq(e2e_jingle_grant(bob.t, JID_A, 0, 500), 0); /* ends first */
    for (int i = 0; i < 40; i++) {
        snprintf(jid, sizeof jid, "p%d@example.org/x", i);
        cr_assert_eq(e2e_jingle_grant(bob.t, jid, 0, 1000 + (uint64_t)i), 0);
        cr_assert_leq(e2e_jingle_grants(bob.t, 0), 16);
    }
    cr_assert_eq(e2e_jingle_grants(bob.t, 0), 16, "16 held by default");
    cr_assert_not(bob_takes(10), "the grant that ended first was replaced");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(e2e_jingle_grant(bob.t, big, 0, 10), E2E_JINGLE_EINVAL);
    cr_assert_eq(e2e_jingle_grant(bob.t, "", 0, 10), E2E_JINGLE_EINVAL);
    cr_assert_eq(e2e_jingle_grant(bob.t, NULL, 0, 10), E2E_JINGLE_EINVAL);
    cr_assert_eq(e2e_jingle_grant(NULL, JID_A, 0, 10), E2E_JINGLE_EINVAL);
}

Test(e2e_jingle_table, a_policy_refusal_is_resource_constraint_and_busy)
{
    bob.policy_ok = false;
    refused(ERR("wait") "<resource-constraint " STANZAS "</error></iq>",
            E2E_JINGLE_BUSY);
}

Test(e2e_jingle_table, unknown_sessions_and_actions_out_of_order)
{
    xmpp_stanza_t *st =
        stanza("<iq type='set' from='" JID_A "' to='" JID_B "' id='t1'>"
               "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' "
               "sid='nope'>"
               "<reason><success/></reason></jingle></iq>");
    char sid[E2E_JINGLE_SID_MAX + 1];

    cr_assert_eq(e2e_jingle_handle(bob.t, st, 0), E2E_JINGLE_EUNKNOWN);
    xmpp_stanza_release(st);
    expect_sent(
        0,
        ERR("cancel") "<item-not-found " STANZAS "<unknown-session "
                      "xmlns=\"urn:xmpp:jingle:errors:1\"/></error></iq>",
        "t1");

    /* bob accepting a session bob is the responder of is out of order */
    cr_assert_eq(e2e_jingle_initiate(alice.t, JID_B, cands, 1, 0, sid), 0);
    deliver(0);
    cr_assert_eq(e2e_jingle_connected(bob.t, JID_A, sid, 0), 0);
    cr_assert_eq(e2e_jingle_connected(bob.t, JID_A, sid, 0), E2E_JINGLE_EORDER);
    deliver(0);
    cr_assert_eq(alice.last.what, E2E_JINGLE_DO_VERIFY);
    {
        struct e2e_jingle_msg m = {.action = E2E_JINGLE_ACCEPT,
                                   .framing = E2E_FRAMING_XML,
                                   .fingerprint = FPR_B};
        xmpp_stanza_t *acc;
        strcpy(m.sid, sid);
        cr_assert_eq(e2e_jingle_build(ctx, JID_A, "dup", JID_B, &m, &acc), 0);
        xmpp_stanza_set_from(acc, JID_B);
        size_t before = net.n_sent;
        cr_assert_eq(e2e_jingle_handle(alice.t, acc, 0), E2E_JINGLE_EORDER);
        expect_sent(
            before,
            ERR_TO(
                JID_B,
                "cancel") "<unexpected-request " STANZAS "<out-of-order "
                          "xmlns=\"urn:xmpp:jingle:errors:1\"/></error></iq>",
            "dup");
        xmpp_stanza_release(acc);
    }
}

Test(e2e_jingle_table, a_session_id_is_not_reused)
{
    xmpp_stanza_t *st = stanza(INITIATE_EXAMPLE);

    cr_assert_eq(e2e_jingle_handle(bob.t, st, 0), 0);
    cr_assert_eq(e2e_jingle_handle(bob.t, st, 0), E2E_JINGLE_ECONFLICT);
    cr_assert_eq(e2e_jingle_sessions(bob.t), 1);
    xmpp_stanza_release(st);
}

Test(e2e_jingle_table, no_common_framing_is_not_acceptable)
{
    struct e2e_jingle_msg m;
    xmpp_stanza_t *st = stanza(INITIATE_EXAMPLE), *d;

    /* bob offers xml only; make alice's offer fi only */
    d = xmpp_stanza_get_child_by_name(
        xmpp_stanza_get_child_by_name(
            xmpp_stanza_get_child_by_name(st, "jingle"), "content"),
        "description");
    xmpp_stanza_t *xml = xmpp_stanza_get_next(xmpp_stanza_get_children(d));
    xmpp_stanza_set_attribute(xml, "name", "fi");
    cr_assert_eq(e2e_jingle_parse(st, &m), 0);
    cr_assert_eq(m.framing, E2E_FRAMING_FI);
    cr_assert_eq(e2e_jingle_handle(bob.t, st, 0), E2E_JINGLE_ENOTACCEPTABLE);
    xmpp_stanza_release(st);
}

/* A flood of session-initiates from one JID, then from many. */
Test(e2e_jingle_table, a_flood_of_negotiations_is_bounded)
{
    char text[2048], from[64];
    int ok = 0, limited = 0;

    for (int i = 0; i < 20; i++) {
        xmpp_stanza_t *st = stanza(INITIATE_EXAMPLE);
        xmpp_stanza_t *j = xmpp_stanza_get_child_by_name(st, "jingle");
        snprintf(text, sizeof text, "flood%d", i);
        xmpp_stanza_set_attribute(j, "sid", text);
        int rc = e2e_jingle_handle(bob.t, st, 0);
        ok += rc == 0;
        limited += rc == E2E_JINGLE_ELIMIT;
        xmpp_stanza_release(st);
    }
    cr_assert_eq(ok, 2, "per-peer limit");
    cr_assert_eq(limited, 18);
    cr_assert(strstr(net.sent[net.n_sent - 1], "<resource-constraint "));

    for (int i = 0; i < 40; i++) {
        xmpp_stanza_t *st = stanza(INITIATE_EXAMPLE);
        snprintf(from, sizeof from, "p%d@example.org/x", i);
        xmpp_stanza_set_from(st, from);
        ok += e2e_jingle_handle(bob.t, st, 0) == 0;
        xmpp_stanza_release(st);
    }
    cr_assert_eq(ok, 16, "total negotiations limit");
    cr_assert_eq(e2e_jingle_pending(bob.t), 16);

    /* and our own attempts hit the same limits */
    char sid[E2E_JINGLE_SID_MAX + 1];
    cr_assert_eq(e2e_jingle_initiate(bob.t, JID_A, cands, 1, 0, sid),
                 E2E_JINGLE_ELIMIT);
    /* time frees them */
    cr_assert_eq(e2e_jingle_tick(bob.t, 1000), 16);
    cr_assert_eq(e2e_jingle_sessions(bob.t), 0);
    cr_assert_eq(e2e_jingle_initiate(bob.t, JID_A, cands, 1, 1000, sid), 0);
}

Test(e2e_jingle_table, negotiations_time_out)
{
    char sid[E2E_JINGLE_SID_MAX + 1];

    cr_assert_eq(e2e_jingle_initiate(alice.t, JID_B, cands, 2, 500, sid), 0);
    net.n = 0; /* lost */
    xmpp_stanza_release(net.q[0]);
    cr_assert_eq(e2e_jingle_tick(alice.t, 1499), 0);
    cr_assert_eq(alice.events, 0);
    cr_assert_eq(e2e_jingle_tick(alice.t, 1500), 1);
    expect_sent(1,
                "<iq id=\"jt-%1$s\" type=\"set\" to=\"" JID_B "\">"
                "<jingle xmlns=\"urn:xmpp:jingle:1\" sid=\"%1$s\" "
                "action=\"session-terminate\"><reason><timeout/></reason>"
                "</jingle></iq>",
                sid);
    cr_assert_eq(alice.last.what, E2E_JINGLE_DO_CLOSE);
    cr_assert_eq(alice.last.reason, E2E_JINGLE_TIMEOUT);
    cr_assert_eq(alice.last.was, E2E_JINGLE_PENDING);
    cr_assert_eq(e2e_jingle_sessions(alice.t), 0);
}

Test(e2e_jingle_table, other_iqs_are_passed_on)
{
    xmpp_stanza_t *ping = stanza("<iq type='get' from='" JID_A "' id='p1'>"
                                 "<ping xmlns='urn:xmpp:ping'/></iq>");
    xmpp_stanza_t *res = stanza("<iq type='result' from='" JID_A "' id='p2'/>");
    xmpp_stanza_t *get = stanza("<iq type='get' from='" JID_A "' id='g1'>"
                                "<jingle xmlns='urn:xmpp:jingle:1' "
                                "action='session-initiate' sid='s'/></iq>");

    cr_assert_not(e2e_jingle_wants(ping));
    cr_assert_not(e2e_jingle_wants(res));
    cr_assert(e2e_jingle_wants(get));
    cr_assert_eq(e2e_jingle_handle(bob.t, ping, 0), E2E_JINGLE_ENOTJINGLE);
    cr_assert_eq(e2e_jingle_handle(bob.t, res, 0), E2E_JINGLE_ENOTJINGLE);
    cr_assert_eq(net.n_sent, 0);
    cr_assert_eq(e2e_jingle_handle(bob.t, get, 0), E2E_JINGLE_EBADREQ);
    expect_sent(0, ERR("modify") "<bad-request " STANZAS "</error></iq>", "g1");
    xmpp_stanza_release(ping);
    xmpp_stanza_release(res);
    xmpp_stanza_release(get);
}

Test(e2e_jingle, every_result_has_words_and_errors_have_conditions)
{
    const char *type, *cond, *jc;

    for (int c = E2E_JINGLE_OK; c >= E2E_JINGLE_EUNSUPPORTED; c--) {
        cr_assert_str_neq(e2e_jingle_strerror(c), "unknown error", "%d", c);
        bool err = e2e_jingle_condition(c, &type, &cond, &jc);
        bool want = c != E2E_JINGLE_OK && c != E2E_JINGLE_EINVAL &&
                    c != E2E_JINGLE_ENOTJINGLE;
        cr_assert_eq(err, want, "%d", c);
    }
    cr_assert_str_eq(e2e_jingle_strerror(-100), "unknown error");
}
