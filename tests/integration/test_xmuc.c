/* test_xmuc.c -- xmucd's rooms against real Prosody and ejabberd.
 *
 * For every view manager, 50 clients join one room; once everything is
 * delivered, the occupants each client was told about (presences it
 * received) must equal the manager's view of it (the room's topology,
 * fetched by an admin), and again after leaves and a nick change.  Then
 * access control, bad input and floods, while others keep working. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "it_support.h"
#include "ut_ns.h"

#define N 50
#define T 10000
#define STR_(x) #x
#define STR(x) STR_(x)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct world {
    hs_server *s;
    struct hs_proc *x;
    hs_client *admin;
    hs_client *c[N];
    char nick[N][16];
    bool present[N];
    bool sees[N][N];
    char room[64];
};

static void start(struct world *w, enum hs_kind kind, char *const *xargs)
{
    char err[2048], jid[64], admins[64];
    struct hs_options opt = {.accounts = 1};
    char *args[16] = {"--admins", admins};
    int n = 2;

    memset(w, 0, sizeof *w);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
    snprintf(admins, sizeof admins, "user1@%s", hs_server_domain(w->s));
    for (int i = 0; xargs && xargs[i] && n < 15; i++)
        args[n++] = xargs[i];
    args[n] = NULL;
    w->x = hs_xmucd_start(w->s, args, err, sizeof err);
    cr_assert(w->x, "%s", err);
    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(w->s));
    w->admin =
        hs_client_connect(hs_server_host(w->s), hs_server_c2s_port(w->s), jid,
                          hs_server_password(w->s), T, err, sizeof err);
    cr_assert(w->admin, "%s", err);
}

static void stop(struct world *w)
{
    for (int i = 0; i < N; i++)
        hs_client_close(w->c[i]);
    hs_client_close(w->admin);
    cr_expect_eq(hs_xmucd_stop(w->x), 0, "xmucd did not exit cleanly");
    hs_server_stop(w->s);
}

static hs_client *anon(struct world *w)
{
    return it_anon(w->s, T);
}

static const char *condition(xmpp_stanza_t *st)
{
    xmpp_stanza_t *e = st ? xmpp_stanza_get_child_by_name(st, "error") : NULL;
    xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL;

    while (c && !xmpp_stanza_is_tag(c))
        c = xmpp_stanza_get_next(c);
    return c ? xmpp_stanza_get_name(c) : "(no error)";
}

/* Joins client i and waits for its own presence. */
static void join(struct world *w, int i, const char *extra)
{
    char from[128];
    xmpp_stanza_t *self;

    snprintf(from, sizeof from, "%s/%s", w->room, w->nick[i]);
    it_send_xml(w->c[i], "<presence to='%s'>%s%s</presence>", from,
                extra && strstr(extra, "<x ")
                    ? ""
                    : "<x xmlns='http://jabber.org/protocol/muc'/>",
                extra ? extra : "");
    self = hs_client_wait_from(w->c[i], "presence", from, T);
    cr_assert(self, "%s got no self-presence", w->nick[i]);
    cr_assert_null(xmpp_stanza_get_type(self), "%s could not join: %s",
                   w->nick[i], condition(self));
    xmpp_stanza_release(self);
    w->present[i] = true;
}

static int index_of(struct world *w, const char *nick)
{
    for (int i = 0; i < N; i++)
        if (!strcmp(w->nick[i], nick))
            return i;
    return -1;
}

/* Reads what every client received and updates who it was told about. */
static void absorb(struct world *w)
{
    size_t rl = strlen(w->room);

    for (int i = 0; i < N; i++) {
        xmpp_stanza_t *p;
        if (!w->c[i])
            continue;
        hs_client_drain(w->c[i], 30, 3000);
        while ((p = hs_client_take(w->c[i], "presence"))) {
            const char *from = xmpp_stanza_get_from(p),
                       *type = xmpp_stanza_get_type(p);
            int j = from && !strncmp(from, w->room, rl) && from[rl] == '/'
                        ? index_of(w, from + rl + 1)
                        : -1;
            if (j >= 0 && j != i)
                w->sees[i][j] = !(type && !strcmp(type, "unavailable"));
            xmpp_stanza_release(p);
        }
        while ((p = hs_client_take(w->c[i], NULL)))
            xmpp_stanza_release(p);
    }
}

/* The room's topology as an admin sees it: expect[a][b] for occupant
 * indexes.  The JSON is vm_export's plus "nicks". */
static void topology(struct world *w, bool expect[N][N])
{
    xmpp_stanza_t *iq = hs_iq_query(hs_client_ctx(w->admin), "get", w->room,
                                    "topology", UT_NS_XMUC);
    xmpp_stanza_t *r = hs_client_iq(w->admin, iq, T), *t;
    char *json, *p, nick[32];
    int ids[4096];
    unsigned id, a, b;

    xmpp_stanza_release(iq);
    cr_assert(r && !strcmp(xmpp_stanza_get_type(r), "result"), "topology: %s",
              r ? condition(r) : "no answer");
    t = xmpp_stanza_get_child_by_name_and_ns(r, "topology", UT_NS_XMUC);
    cr_assert(t);
    json = xmpp_stanza_get_text(t);
    cr_assert(json);
    memset(ids, -1, sizeof ids);
    p = strstr(json, "\"nicks\":{");
    cr_assert(p, "%s", json);
    for (p += 9;
         sscanf(p, "\"%u\":\"%31[^\"]\"", &id, nick) == 2 && id < 4096;) {
        ids[id] = index_of(w, nick);
        if (!(p = strchr(p + 1, ',')) || p > strchr(json, '}') + strlen(json))
            break;
        p++;
    }
    memset(expect, 0, sizeof(bool) * N * N);
    for (p = strstr(json, "\"edges\":["); p && (p = strstr(p, "{\"from\":"));
         p++) {
        if (sscanf(p, "{\"from\":%u,\"to\":%u", &a, &b) == 2 && a < 4096 &&
            b < 4096 && ids[a] >= 0 && ids[b] >= 0)
            expect[ids[a]][ids[b]] = true;
    }
    xmpp_free(hs_client_ctx(w->admin), json);
    xmpp_stanza_release(r);
}

/* The first pair where what a client was told differs from the topology,
 * as i * N + j, or -1 when they agree; counts the topology's edges. */
static int mismatch(struct world *w, bool expect[N][N], int *edges)
{
    *edges = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            if (!w->present[i] || !w->present[j])
                continue;
            *edges += expect[i][j];
            if (w->sees[i][j] != expect[i][j])
                return i * N + j;
        }
    return -1;
}

/* Compares round after round: the admin's query and the clients' stanzas
 * travel on different connections, so the topology may be answered before
 * xmucd has seen the last leave, and presences may still be on their way
 * when it is.  Nothing is timed: only a difference that stays for
 * CONVERGE_S (a hang bound) fails. */
#define CONVERGE_S 120
static void check(struct world *w, const char *manager, const char *when)
{
    static bool expect[N][N];
    int edges = 0, bad = -1;
    double end = now_s() + CONVERGE_S;

    do {
        absorb(w);
        topology(w, expect);
        absorb(w);
        if ((bad = mismatch(w, expect, &edges)) < 0)
            break;
        usleep(300000);
    } while (now_s() < end);
    if (bad >= 0)
        cr_assert_fail("%s %s: %s %s %s", manager, when, w->nick[bad / N],
                       w->sees[bad / N][bad % N] ? "was told of"
                                                 : "was not told of",
                       w->nick[bad % N]);
    if (strcmp(manager, "blind"))
        cr_assert_gt(edges, 0, "%s %s: the topology has no edges", manager,
                     when);
}

static void views(enum hs_kind kind, const char *manager)
{
    struct world w;
    char extra[160];

    start(&w, kind, NULL);
    snprintf(w.room, sizeof w.room, "v-%s@%s", manager,
             hs_server_component(w.s));
    snprintf(extra, sizeof extra,
             "<join xmlns='" UT_NS_XMUC "' manager='%s' view-size='6'/>",
             manager);
    for (int i = 0; i < N; i++) {
        snprintf(w.nick[i], sizeof w.nick[i], "p%d", i);
        w.c[i] = anon(&w);
        join(&w, i, extra);
    }
    check(&w, manager, "after 50 joins");
    for (int i = 0; i < N; i += 5) { /* ten leave */
        it_send_xml(w.c[i], "<presence type='unavailable' to='%s/%s'/>", w.room,
                    w.nick[i]);
        w.present[i] = false;
        memset(w.sees[i], 0, sizeof w.sees[i]);
    }
    check(&w, manager, "after 10 leaves");
    it_send_xml(w.c[1], "<presence to='%s/renamed'/>",
                w.room); /* a nick change */
    for (int j = 0; j < N; j++)
        w.sees[j][1] = false; /* observers got 303 from the old nick */
    snprintf(w.nick[1], sizeof w.nick[1], "renamed");
    check(&w, manager, "after a nick change");
    stop(&w);
}

#define VIEWS(kind, k, m)                                                      \
    Test(kind, views_##m)                                                      \
    {                                                                          \
        views(k, #m);                                                          \
    }
#define BOTH_VIEWS(m)                                                          \
    VIEWS(prosody, HS_PROSODY, m) VIEWS(ejabberd, HS_EJABBERD, m)

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
BOTH_VIEWS(complete)
BOTH_VIEWS(rbt)
BOTH_VIEWS(ring)
BOTH_VIEWS(random)
BOTH_VIEWS(blind)
BOTH_VIEWS(treegossip)

/* ---- access control, bad input, floods
 * -------------------------------------------- */

static xmpp_stanza_t *wait_error(hs_client *c, int timeout_ms)
{
    for (;;) {
        xmpp_stanza_t *st = hs_client_wait(c, NULL, timeout_ms);
        const char *type = st ? xmpp_stanza_get_type(st) : NULL;
        if (!st || (type && !strcmp(type, "error")))
            return st;
        xmpp_stanza_release(st);
    }
}

static void drain_all(hs_client *c)
{
    xmpp_stanza_t *st;

    hs_client_drain(c, 50, 2000);
    while ((st = hs_client_take(c, NULL)))
        xmpp_stanza_release(st);
}

/* The flood: FLOOD messages from n1 against a bucket of RATE_BURST
 * tokens refilled at RATE_PER_S; its outcomes are awaited, never timed,
 * under a hang deadline of FLOOD_DEADLINE_S. */
#define FLOOD 200
#define RATE_PER_S 1
#define RATE_BURST 40
#define FLOOD_DEADLINE_S 120

/* What came of the flood so far: refusals seen by the flooder (n1), and
 * the flood and n0's "calm" relayed to n2. */
struct flood {
    int refused, relayed, calm;
};

/* Reads what n1 and n2 were sent for a moment and counts it. */
static void flood_take(struct world *w, struct flood *f)
{
    xmpp_stanza_t *st;
    char *body;

    hs_client_drain(w->c[1], 20, 200);
    hs_client_drain(w->c[2], 20, 200);
    while ((st = hs_client_take(w->c[1], "message"))) {
        f->refused += !strcmp(condition(st), "resource-constraint");
        xmpp_stanza_release(st);
    }
    while ((st = hs_client_take(w->c[2], "message"))) {
        body = xmpp_message_get_body(st);
        f->relayed += body && !strncmp(body, "flood ", 6);
        f->calm += body && !strcmp(body, "calm");
        if (body)
            xmpp_free(hs_client_ctx(w->c[2]), body);
        xmpp_stanza_release(st);
    }
}

/* A flood from n1 is refused beyond its rate, every flood message is
 * either relayed or refused, and n0 keeps working.  What xmucd accepted
 * is bounded by the tokens the flood's own duration allows, so a slow
 * machine changes the counts, never the verdict. */
static void flood(struct world *w)
{
    struct flood f = {0};
    double t0 = now_s(), end = t0 + FLOOD_DEADLINE_S, took;

    for (int k = 0; k < FLOOD; k++)
        it_send_xml(w->c[1],
                    "<message type='groupchat' to='%s'><body>flood %d"
                    "</body></message>",
                    w->room, k);
    it_send_xml(w->c[0],
                "<message type='groupchat' to='%s'><body>calm</body>"
                "</message>",
                w->room);
    while ((f.refused + f.relayed < FLOOD || !f.calm) && now_s() < end)
        flood_take(w, &f);
    took = now_s() - t0;
    fprintf(stderr, "flood: %d refused, %d relayed, in %.1f s\n", f.refused,
            f.relayed, took);
    cr_assert_eq(f.refused + f.relayed, FLOOD,
                 "of %d flood messages, %d refused and %d relayed in %d s",
                 FLOOD, f.refused, f.relayed, FLOOD_DEADLINE_S);
    cr_expect_leq(f.relayed, RATE_BURST + RATE_PER_S * took + 1,
                  "%d flood messages relayed in %.1f s", f.relayed, took);
    cr_expect_gt(f.refused, 0, "no flood message was refused");
    cr_expect_eq(f.calm, 1, "n0's message did not get through the flood");
}

static void access_and_abuse(enum hs_kind kind)
{
    char *xargs[] = {"--max-stanza-bytes",
                     "8192",
                     "--rate-per-s",
                     STR(RATE_PER_S),
                     "--rate-burst",
                     STR(RATE_BURST),
                     NULL};
    struct world w;
    xmpp_stanza_t *st;
    static char big[20001];

    start(&w, kind, xargs);
    snprintf(w.room, sizeof w.room, "guarded@%s", hs_server_component(w.s));
    for (int i = 0; i < 3; i++) {
        snprintf(w.nick[i], sizeof w.nick[i], "n%d", i);
        w.c[i] = anon(&w);
    }
    join(&w, 0, NULL); /* the creator: owner */
    drain_all(w.c[0]);
    it_send_xml(
        w.c[0],
        "<iq type='set' to='%s' id='cfg'><query xmlns="
        "'http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'><field var='muc#roomconfig_roomsecret'><value>pw"
        "</value></field></x></query></iq>",
        w.room);
    st = hs_client_wait(w.c[0], "iq", T);
    cr_assert(st && !strcmp(xmpp_stanza_get_type(st), "result"),
              "configure: %s", condition(st));
    xmpp_stanza_release(st);

    /* a password-protected room */
    it_send_xml(
        w.c[1],
        "<presence to='%s/n1'><x xmlns='http://jabber.org/protocol/muc'/>"
        "</presence>",
        w.room);
    st = wait_error(w.c[1], T);
    cr_expect_str_eq(condition(st), "not-authorized");
    if (st)
        xmpp_stanza_release(st);
    join(&w, 1,
         "<x "
         "xmlns='http://jabber.org/protocol/muc'><password>pw</password></x>");
    join(&w, 2,
         "<x "
         "xmlns='http://jabber.org/protocol/muc'><password>pw</password></x>");
    /* a nick conflict */
    it_send_xml(w.c[2], "<presence to='%s/n0'/>", w.room);
    st = wait_error(w.c[2], T);
    cr_expect_str_eq(condition(st), "conflict");
    if (st)
        xmpp_stanza_release(st);
    /* an unknown room */
    it_send_xml(w.c[1],
                "<iq type='get' to='nowhere@%s' id='u'><query xmlns="
                "'http://jabber.org/protocol/disco#info'/></iq>",
                hs_server_component(w.s));
    st = wait_error(w.c[1], T);
    cr_expect_str_eq(condition(st), "item-not-found");
    if (st)
        xmpp_stanza_release(st);
    /* a stanza above xmucd's limit (but below the server's) */
    memset(big, 'x', sizeof big - 1);
    it_send_xml(w.c[1],
                "<message type='groupchat' to='%s'><body>%s</body></message>",
                w.room, big);
    st = wait_error(w.c[1], T);
    cr_expect_str_eq(condition(st), "policy-violation");
    if (st)
        xmpp_stanza_release(st);
    drain_all(w.c[0]);
    drain_all(w.c[1]);
    drain_all(w.c[2]);
    flood(&w);
    stop(&w);
}

Test(prosody, access_and_abuse)
{
    access_and_abuse(HS_PROSODY);
}
Test(ejabberd, access_and_abuse)
{
    access_and_abuse(HS_EJABBERD);
}

/* ---- statistics over HTTP
 * ------------------------------------------------------------ */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

static void http_get(int port, const char *path, char *buf, size_t len)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;
    ssize_t n;
    char req[256];

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
              "cannot reach the metrics port");
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
             path);
    cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got + 1 < len && (n = read(fd, buf + got, len - got - 1)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
}

/* The value of one series (e.g. "xmucd_rooms" or
 * "xmucd_refusals_total{reason=\"conflict\"}") in an exposition, or -1
 * when it is absent. */
static double series(const char *text, const char *name)
{
    char key[256];
    const char *p;

    snprintf(key, sizeof key, "\n%s ", name);
    p = strstr(text, key);
    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* GETs /health until its status line holds want (the link changes state
 * asynchronously); false when it never did within about 30 s (a hang). */
static bool health_becomes(int port, const char *want)
{
    char text[1024];

    for (int tries = 0; tries < 300; tries++) {
        http_get(port, "/health", text, sizeof text);
        if (strstr(text, want))
            return true;
        usleep(100000);
    }
    fprintf(stderr, "/health answers:\n%s\n", text);
    return false;
}

/* The room's gauges move with a join and a leave, a refused join is
 * counted under its condition, /health follows the component link
 * through a server stop and start, and the whole exposition parses with
 * the Prometheus project's OpenMetrics parser. */
Test(prosody, metrics_endpoint)
{
    static char text[65536];
    char addr[64], err[2048];
    int port = hs_free_port();
    char *xargs[] = {
        "--metrics", addr, "--reconnect-min-ms", "200", "--reconnect-max-ms",
        "1000",      NULL};
    struct world w;
    xmpp_stanza_t *st;

    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    start(&w, HS_PROSODY, xargs);
    cr_assert(health_becomes(port, "200 OK"), "/health never said 200");
    http_get(port, "/metrics", text, sizeof text);
    cr_expect(strstr(text, "Content-Type: application/openmetrics-text; "
                           "version=1.0.0; charset=utf-8"),
              "%.300s", text);
    cr_expect_eq(series(text, "xmucd_rooms"), 0, "%s", text);
    cr_expect_eq(series(text, "xmucd_link_up"), 1, "%s", text);
    cr_expect_eq(
        series(text, "xmucd_build_info{version=\"" PACKAGE_VERSION "\"}"), 1,
        "%s", text);
    cr_expect_gt(series(text, "process_resident_memory_bytes"), 1 << 20);
    snprintf(w.room, sizeof w.room, "m@%s", hs_server_component(w.s));
    snprintf(w.nick[0], sizeof w.nick[0], "a");
    w.c[0] = anon(&w);
    join(&w, 0, NULL);
    http_get(port, "/metrics", text, sizeof text);
    cr_expect_eq(series(text, "xmucd_rooms"), 1, "%s", text);
    cr_expect_eq(series(text, "xmucd_occupants"), 1, "%s", text);
    cr_expect_eq(series(text, "xmucd_stanzas_total{direction=\"in\",kind="
                              "\"presence\",room=\"m\"}"),
                 1, "%s", text);
    cr_expect_eq(series(text, "xmucd_refusals_total{reason=\"conflict\"}"), 0,
                 "%s", text);
    /* another client asks for the same nick: refused with conflict */
    w.c[1] = anon(&w);
    it_send_xml(w.c[1],
                "<presence to='%s/a'><x xmlns='http://jabber.org/protocol/"
                "muc'/></presence>",
                w.room);
    st = wait_error(w.c[1], T);
    cr_expect_str_eq(condition(st), "conflict");
    if (st)
        xmpp_stanza_release(st);
    http_get(port, "/metrics", text, sizeof text);
    cr_expect_eq(series(text, "xmucd_refusals_total{reason=\"conflict\"}"), 1,
                 "%s", text);
    cr_expect_eq(series(text, "xmucd_occupants"), 1, "%s", text);
    /* the occupant leaves: the gauges come down */
    it_send_xml(w.c[0], "<presence type='unavailable' to='%s/a'/>", w.room);
    {
        char from[160];
        const char *type = NULL;
        snprintf(from, sizeof from, "%s/a", w.room);
        while (!type &&
               (st = hs_client_wait_from(w.c[0], "presence", from, T))) {
            type = xmpp_stanza_get_type(st) ? "left" : NULL;
            xmpp_stanza_release(st);
        }
        cr_expect(type, "no unavailable presence after leaving");
    }
    w.present[0] = false;
    http_get(port, "/metrics", text, sizeof text);
    cr_expect_eq(series(text, "xmucd_occupants"), 0, "%s", text);
    cr_expect_eq(series(text, "xmucd_rooms"), 0, "%s", text);
    cr_expect_eq(series(text, "xmucd_link_reconnects_total"), 0, "%s", text);
    {
        /* parsed by code we did not write (python3-prometheus-client) */
        char path[] = "/tmp/xmucd_metrics_XXXXXX", cmd[1024];
        const char *src = getenv("OB_SRCDIR"), *body = strstr(text, "\r\n\r\n");
        int fd = mkstemp(path);
        cr_assert(fd >= 0 && body && src);
        cr_assert_eq(write(fd, body + 4, strlen(body + 4)),
                     (ssize_t)strlen(body + 4));
        close(fd);
        snprintf(cmd, sizeof cmd,
                 "%s %s/tests/unit/om_parse.py openmetrics %s >/dev/null",
                 access("/usr/bin/python3", X_OK) ? "python3"
                                                  : "/usr/bin/python3",
                 src, path);
        cr_expect_eq(system(cmd), 0, "xmucd's exposition does not parse");
        unlink(path);
    }
    /* the server stops: 503, and the link gauge says so; it comes back */
    for (int i = 0; i < 2; i++) {
        hs_client_close(w.c[i]);
        w.c[i] = NULL;
    }
    hs_client_close(w.admin);
    w.admin = NULL;
    cr_assert_eq(kill(-hs_server_pid(w.s), SIGTERM), 0);
    cr_expect(health_becomes(port, "503 Service Unavailable"),
              "/health stayed 200 with the server stopped");
    http_get(port, "/metrics", text, sizeof text);
    cr_expect_eq(series(text, "xmucd_link_up"), 0, "%s", text);
    cr_assert_eq(hs_server_restart(w.s, err, sizeof err), 0, "%s", err);
    cr_expect(health_becomes(port, "200 OK"),
              "/health stayed 503 with the server back");
    http_get(port, "/metrics", text, sizeof text);
    cr_expect_eq(series(text, "xmucd_link_up"), 1, "%s", text);
    cr_expect_eq(series(text, "xmucd_link_reconnects_total"), 1, "%s", text);
    stop(&w);
}

/* ---- clients that vanish, servers that restart
 * ------------------------------------ */

/* Waits until `c` is told that `nick` left the room. */
static bool told_left(struct world *w, hs_client *c, const char *nick)
{
    char from[160];
    xmpp_stanza_t *p;
    bool left = false;

    snprintf(from, sizeof from, "%s/%s", w->room, nick);
    while (!left && (p = hs_client_wait_from(c, "presence", from, T))) {
        const char *type = xmpp_stanza_get_type(p);
        left = type && !strcmp(type, "unavailable");
        xmpp_stanza_release(p);
    }
    return left;
}

static void vanishing_client(enum hs_kind kind)
{
    struct world w;

    start(&w, kind, NULL);
    snprintf(w.room, sizeof w.room, "vanish@%s", hs_server_component(w.s));
    for (int i = 0; i < 2; i++) {
        snprintf(w.nick[i], sizeof w.nick[i], "v%d", i);
        w.c[i] = anon(&w);
        join(&w, i, NULL);
    }
    /* v1's client disconnects without leaving: its server tells the room */
    hs_client_close(w.c[1]);
    w.c[1] = NULL;
    cr_expect(told_left(&w, w.c[0], "v1"), "v0 was not told that v1 is gone");
    stop(&w);
}

static void server_restart(enum hs_kind kind)
{
    char *xargs[] = {"--reconnect-min-ms", "200", "--reconnect-max-ms", "1000",
                     NULL};
    struct world w;
    char err[2048];

    start(&w, kind, xargs);
    snprintf(w.room, sizeof w.room, "again@%s", hs_server_component(w.s));
    for (int i = 0; i < 3; i++) {
        snprintf(w.nick[i], sizeof w.nick[i], "a%d", i);
        w.c[i] = anon(&w);
        join(&w, i, "<join xmlns='" UT_NS_XMUC "' manager='rbt'/>");
    }
    hs_client_close(w.admin);
    w.admin = NULL;
    cr_assert_eq(hs_server_restart(w.s, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 3; i++) { /* their sessions died with the server */
        hs_client_close(w.c[i]);
        w.c[i] = NULL;
        w.present[i] = false;
    }
    memset(w.sees, 0, sizeof w.sees);
    {
        char jid[64];
        snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(w.s));
        w.admin =
            hs_client_connect(hs_server_host(w.s), hs_server_c2s_port(w.s), jid,
                              hs_server_password(w.s), T, err, sizeof err);
        cr_assert(w.admin, "%s", err);
    }
    /* new sessions rejoin: the room holds exactly them, views consistent.
     * xmucd may still be reconnecting: the first join waits for it. */
    for (int i = 0; i < 3; i++) {
        xmpp_stanza_t *self = NULL;
        char from[160];
        w.c[i] = anon(&w);
        snprintf(from, sizeof from, "%s/%s", w.room, w.nick[i]);
        for (int tries = 0; tries < 40 && !self; tries++) {
            it_send_xml(
                w.c[i],
                "<presence to='%s'><x xmlns='http://jabber.org/protocol/muc'/>"
                "<join xmlns='" UT_NS_XMUC "' manager='rbt'/></presence>",
                from);
            self = hs_client_wait_from(w.c[i], "presence", from, 1000);
            if (self && xmpp_stanza_get_type(self)) { /* not yet: retry */
                xmpp_stanza_release(self);
                self = NULL;
                usleep(250000);
            }
        }
        cr_assert(self, "%s could not rejoin after the restart", w.nick[i]);
        xmpp_stanza_release(self);
        w.present[i] = true;
    }
    check(&w, "rbt", "after a server restart");
    stop(&w);
}

Test(prosody, vanishing_client)
{
    vanishing_client(HS_PROSODY);
}
Test(ejabberd, vanishing_client)
{
    vanishing_client(HS_EJABBERD);
}
Test(prosody, server_restart)
{
    server_restart(HS_PROSODY);
}
Test(ejabberd, server_restart)
{
    server_restart(HS_EJABBERD);
}
