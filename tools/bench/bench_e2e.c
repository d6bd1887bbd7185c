/* bench_e2e.c -- orbweb bench e2e: Fig. 17 of the Orbweb paper on this
 * machine.  One-way latency (half the round trip of a ping-pong, p50 and
 * p99) and throughput for payloads of 1 B to 512 KB, over six paths:
 *
 *   relayed-plain two liborbweb clients, unicasts through a throwaway
 *                 Prosody (or ejabberd) on loopback, their connections
 *                 to it unencrypted: the anchor of direct-xml;
 *   relayed-tls   the same with STARTTLS on both client connections, as
 *                 a real deployment runs them: the anchor of the others;
 *   direct-xml    a direct link (src/e2e) over plain TCP, XML framing;
 *   direct-tls    the same with TLS 1.3, as liborbweb runs it;
 *   direct-tls-fi TLS and Fast Infoset framing;
 *   liborbweb     two liborbweb clients with direct streams on (and TLS
 *                 to the server), measured once their session is direct:
 *                 what an application gets through ob_unicast (Jingle,
 *                 the policy and the ordering layer included).
 *
 * Each direct path is compared with the relayed path of the same
 * security (paths[].anchor): plain with plain, encrypted with encrypted.
 *
 * Payloads are random bytes, carried as base64 text (the body of the
 * relayed unicast, a <data xmlns='https://orbweb.dev/ns/e2e/0'/> element
 * on direct links, which Fast Infoset sends as raw octets): so the bytes
 * on the wire per message show base64's inflation, or its absence.  Both
 * ends of every path run in this process on one event loop; the server
 * is a separate process.  Not a test: never timed in make check. */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "e2e_link.h"
#include "hs_server.h"
#include "orbweb.h"
#include "ut_ns.h"

#define MAX_ROUNDS 400
#define WINDOW 512 /* liborbweb messages in flight in a throughput burst */

enum path {
    P_RELAYED_PLAIN,
    P_RELAYED_TLS,
    P_XML,
    P_TLS,
    P_TLS_FI,
    P_LIB,
    NPATH
};

/* What each path is: liborbweb clients through the server (clients) or a
 * raw direct link; encrypted or not (tls: STARTTLS to the server for the
 * clients, TLS 1.3 on a direct link); and the relayed path of the same
 * security that its ratios are taken against (itself for a relayed one). */
static const struct path_info {
    const char *name;
    bool clients, tls;
    enum path anchor;
} paths[NPATH] = {
    [P_RELAYED_PLAIN] = {"relayed-plain", true, false, P_RELAYED_PLAIN},
    [P_RELAYED_TLS] = {"relayed-tls", true, true, P_RELAYED_TLS},
    [P_XML] = {"direct-xml", false, false, P_RELAYED_PLAIN},
    [P_TLS] = {"direct-tls", false, true, P_RELAYED_TLS},
    [P_TLS_FI] = {"direct-tls-fi", false, true, P_RELAYED_TLS},
    [P_LIB] = {"liborbweb", true, true, P_RELAYED_TLS},
};
static const size_t all_sizes[] = {1, 64, 1024, 16384, 65536, 262144, 524288};
#define NSIZES (sizeof all_sizes / sizeof all_sizes[0])

struct result {
    bool done;
    double p50_us, p99_us, mb_s, wire_bytes; /* wire: per message, one way */
};

struct opts {
    enum hs_kind kind;
    bool json, quick;
    bool run[NPATH]; /* the paths measured (--path; default all) */
    double seconds;  /* per throughput point */
};

/* ---- time and payloads ------------------------------------------------- */

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* n random bytes as base64 (libstrophe's encoder); free with xmpp_free. */
static char *payload_b64(xmpp_ctx_t *ctx, size_t n)
{
    unsigned char *raw = malloc(n);
    char *b64;

    if (!raw)
        return NULL;
    for (size_t i = 0; i < n; i++)
        raw[i] = (unsigned char)rand();
    b64 = xmpp_base64_encode(ctx, raw, n);
    free(raw);
    return b64;
}

/* How many messages make one throughput point: about 32 MB, at least 16,
 * at most 20,000. */
static int burst_count(size_t size, bool quick)
{
    size_t n = (quick ? 4u : 32u) * 1024 * 1024 / (size ? size : 1);

    return n < 16 ? 16 : n > 20000 ? 20000 : (int)n;
}

static int rounds_for(size_t size, bool quick)
{
    int r = size >= 65536 ? 60 : 300;

    return quick ? r / 10 : r;
}

/* ---- the loop --------------------------------------------------------- */

/* Runs base until done(ud) or the deadline (seconds); false on timeout. */
static bool spin(struct event_base *base, bool (*done)(void *), void *ud,
                 double seconds)
{
    double end = now_us() + seconds * 1e6;

    while (!done(ud)) {
        if (now_us() > end)
            return false;
        event_base_loop(base, EVLOOP_ONCE);
    }
    return true;
}

/* ---- relayed: two liborbweb clients ----------------------------------- */

struct relay {
    struct event_base *base;
    ob_client *a, *b;
    int connected, got_a, got_b;
    int tls_started; /* connections on which STARTTLS went ahead */
    size_t bytes_b;
    bool failed;
    bool echo; /* b answers what a sends (pinging, warming up) */
    char err[256];
};

static void r_state(ob_client *c, enum ob_state st, void *user)
{
    struct relay *r = user;

    (void)c;
    r->connected += st == OB_STATE_CONNECTED;
    r->failed |= st == OB_STATE_CLOSED;
}

static void r_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct relay *r = user;

    if (c == r->a) {
        r->got_a++;
        return;
    }
    r->got_b++;
    r->bytes_b += strlen(m->body);
    if (r->echo)
        ob_unicast(r->b, m->from, m->body);
}

static void r_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct relay *r = user;

    (void)c;
    r->failed = true;
    snprintf(r->err, sizeof r->err, "%s", e->text);
}

static const struct ob_callbacks relay_cb = {.size =
                                                 sizeof(struct ob_callbacks),
                                             .state = r_state,
                                             .unicast = r_unicast,
                                             .error = r_error};

/* libstrophe says this (debug, area "xmpp") when the server has answered
 * STARTTLS with <proceed/>; a handshake that then fails disconnects, so a
 * client that logs in after it is encrypted.  Compared whole and first
 * (strcmp stops at the first byte that differs): the log also carries
 * every stanza, half a megabyte each at the largest size. */
static void r_log(void *user, const char *level, const char *area,
                  const char *msg)
{
    struct relay *r = user;

    (void)level;
    if (!strcmp(msg, "proceeding with TLS") && !strcmp(area, "xmpp"))
        r->tls_started++;
}

static bool relay_up(void *ud)
{
    struct relay *r = ud;

    return r->connected == 2 || r->failed;
}

/* Two clients logged in, encrypted to the server when path p is (the
 * harness's certificate is self-signed: trusted, not verified); with
 * direct streams only for the liborbweb path (the relayed ones must stay
 * relayed however much they send).  -1 if the login fails, or if a
 * relayed path is not encrypted as meant (both connections, or neither).
 * The liborbweb path is not checked: with a log, liborbweb formats a line
 * for every event, a cost its small messages would show (the relayed
 * ones, both logged, would not: they take hundreds of microseconds). */
static int relay_open(struct relay *r, hs_server *s, enum path p)
{
    bool check = p != P_LIB;
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = hs_server_host(s),
                           .port = hs_server_c2s_port(s),
                           .jid = hs_server_anon_domain(s),
                           .tls = paths[p].tls ? OB_TLS_TRUST : OB_TLS_OFF,
                           .base = r->base,
                           .cb = &relay_cb,
                           .user = r,
                           .log = check ? r_log : NULL,
                           .reconnect_max_ms = -1,
                           .direct_off = p != P_LIB,
                           .relay_max_bytes = 4 << 20 /* the server's here */};

    if (ob_client_new(&o, &r->a) || ob_client_new(&o, &r->b) ||
        ob_connect(r->a) || ob_connect(r->b) ||
        !spin(r->base, relay_up, r, 20) || r->failed) {
        fprintf(stderr, "bench e2e: the clients could not log in\n");
        return -1;
    }
    if (check && r->tls_started != (paths[p].tls ? 2 : 0)) {
        fprintf(stderr, "bench e2e: %s: %d of 2 connections started TLS\n",
                paths[p].name, r->tls_started);
        return -1;
    }
    return 0;
}

static bool is_direct(void *ud)
{
    struct relay *r = ud;

    return ob_distance(r->a, ob_client_jid(r->b)) == 1 || r->failed;
}

/* Talks until the policy has opened a direct session between a and b (a
 * few of its rounds); -1 if it does not within 30 s.  b answers each
 * message: a peer only takes sessions from JIDs it knows (in its rooms'
 * views, or written to), and these two share no room. */
static int warm_up(struct relay *r)
{
    char body[2048], bjid[512];

    r->echo = true;
    memset(body, 'w', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    snprintf(bjid, sizeof bjid, "%s", ob_client_jid(r->b));
    for (int i = 0; i < 300 && !is_direct(r); i++) {
        for (int k = 0; k < 20; k++)
            ob_unicast(r->a, bjid, body);
        spin(r->base, is_direct, r, 0.1);
    }
    r->echo = false;
    if (is_direct(r) && !r->failed)
        return 0;
    fprintf(stderr, "bench e2e: liborbweb: no direct session came up\n");
    return -1;
}

struct wait_count {
    int *counter, want;
    bool *failed;
};

static bool counted(void *ud)
{
    struct wait_count *w = ud;

    return *w->counter >= w->want || *w->failed;
}

/* The size of the unicast as the server delivers it: <message> with
 * from, to, type, id and the body, serialized by libstrophe. */
static size_t stanza_bytes(struct relay *r, const char *to, const char *body)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *m = xmpp_message_new(ctx, "normal", to, "ob-123456");
    char *text = NULL;
    size_t len = 0;

    xmpp_stanza_set_from(m, ob_client_jid(r->a));
    xmpp_message_set_body(m, body);
    xmpp_stanza_to_text(m, &text, &len);
    xmpp_free(ctx, text);
    xmpp_stanza_release(m);
    xmpp_ctx_free(ctx);
    return len;
}

static int relay_point(struct relay *r, const char *body, size_t size,
                       const struct opts *o, struct result *res)
{
    int rounds = rounds_for(size, o->quick), n = burst_count(size, o->quick),
        base;
    double rtt[MAX_ROUNDS], t0;
    struct wait_count w = {&r->got_a, 0, &r->failed};
    char bjid[512];

    snprintf(bjid, sizeof bjid, "%s", ob_client_jid(r->b));
    r->echo = true;
    for (int i = 0; i < rounds; i++) {
        t0 = now_us();
        w.want = r->got_a + 1;
        if (ob_unicast(r->a, bjid, body) || !spin(r->base, counted, &w, 30))
            return -1;
        rtt[i] = now_us() - t0;
    }
    r->echo = false;
    w.counter = &r->got_b;
    base = r->got_b;
    t0 = now_us();
    /* at most WINDOW messages ahead of the receiver, as an application
     * with flow control sends: a burst far ahead of a direct stream's
     * acknowledgements would go relayed (docs/api.md, "Direct streams") */
    for (int sent = 0; sent < n;) {
        for (; sent < n && sent - (r->got_b - base) < WINDOW; sent++)
            if (ob_unicast(r->a, bjid, body))
                return -1;
        w.want = base + sent - WINDOW / 2;
        if (sent < n && !spin(r->base, counted, &w, 120))
            return -1;
    }
    w.want = base + n;
    if (!spin(r->base, counted, &w, 120))
        return -1;
    res->mb_s = (double)size * n / (now_us() - t0);
    res->p50_us = bench_percentile(rtt, (size_t)rounds, 0.50) / 2;
    res->p99_us = bench_percentile(rtt, (size_t)rounds, 0.99) / 2;
    res->wire_bytes = (double)stanza_bytes(r, bjid, body);
    res->done = true;
    return 0;
}

/* ---- direct: a listener and a connector in this process --------------- */

struct direct {
    struct event_base *base;
    xmpp_ctx_t *ctx;
    e2e_ident *id_a, *id_b;
    e2e_listener *ls;
    e2e_link *a, *b;
    bool up, failed, echo;
    int got_a, got_b;
};

static void d_up(void *ud, e2e_link *l)
{
    struct direct *d = ud;

    if (l == d->a)
        d->up = true;
}

static void d_stanza(void *ud, e2e_link *l, xmpp_stanza_t *st)
{
    struct direct *d = ud;

    if (l == d->a) {
        d->got_a++;
        return;
    }
    d->got_b++;
    if (d->echo)
        e2e_link_send(d->b, st);
}

static void d_acked(void *ud, e2e_link *l, uint64_t h)
{
    (void)ud, (void)l, (void)h;
}

static void d_down(void *ud, e2e_link *l, const char *reason)
{
    struct direct *d = ud;

    (void)l;
    if (reason)
        fprintf(stderr, "bench e2e: direct link down: %s\n", reason);
    d->failed = true;
}

static const struct e2e_link_cb direct_cb = {d_up, d_stanza, d_acked, d_down};

static void d_accept(void *ud, e2e_link *l)
{
    struct direct *d = ud;

    d->b = l;
    e2e_link_set_callbacks(l, &direct_cb, d);
}

static bool direct_up(void *ud)
{
    struct direct *d = ud;

    return (d->up && d->b) || d->failed;
}

static int direct_open(struct direct *d, enum path p)
{
    bool fi = p == P_TLS_FI, plain = !paths[p].tls;
    struct e2e_listener_params lp = {.bind_host = "127.0.0.1",
                                     .max_stanza_bytes = 4u << 20,
                                     .offer_fi = fi,
                                     .plain = plain};
    struct e2e_link_params cp = {.sid = "bench",
                                 .local_jid = "a@bench/a",
                                 .peer_jid = "b@bench/b",
                                 .offer_fi = fi,
                                 .max_stanza_bytes = 4u << 20,
                                 .plain = plain};
    struct e2e_candidate c = {"127.0.0.1", 0};

    if (e2e_ident_new("a", &d->id_a) || e2e_ident_new("b", &d->id_b) ||
        e2e_listener_new(d->base, d->ctx, d->id_b, &lp, d_accept, d, &d->ls))
        return -1;
    c.port = e2e_listener_port(d->ls);
    cp.peer_fingerprint = plain ? NULL : e2e_ident_fingerprint(d->id_b);
    if (e2e_link_connect(d->base, d->ctx, d->id_a, &c, 1, &cp, &direct_cb, d,
                         &d->a) ||
        !spin(d->base, direct_up, d, 10) || d->failed)
        return -1;
    return 0;
}

static void direct_close(struct direct *d)
{
    e2e_link_free(d->a);
    e2e_link_free(d->b);
    e2e_listener_free(d->ls);
    e2e_ident_free(d->id_a);
    e2e_ident_free(d->id_b);
}

static xmpp_stanza_t *data_message(xmpp_ctx_t *ctx, const char *b64)
{
    xmpp_stanza_t *m = xmpp_message_new(ctx, "normal", "b@bench/b", NULL);
    xmpp_stanza_t *d = xmpp_stanza_new(ctx), *t = xmpp_stanza_new(ctx);

    xmpp_stanza_set_name(d, "data");
    xmpp_stanza_set_ns(d, UT_NS_E2E);
    xmpp_stanza_set_text(t, b64);
    xmpp_stanza_add_child(d, t);
    xmpp_stanza_add_child(m, d);
    xmpp_stanza_release(t);
    xmpp_stanza_release(d);
    return m;
}

static bool d_count(void *ud)
{
    struct wait_count *w = ud;

    return *w->counter >= w->want || *w->failed;
}

static int direct_point(struct direct *d, const char *b64, size_t size,
                        const struct opts *o, struct result *res)
{
    int rounds = rounds_for(size, o->quick), n = burst_count(size, o->quick);
    double rtt[MAX_ROUNDS], t0;
    struct wait_count w = {&d->got_a, 0, &d->failed};
    xmpp_stanza_t *m = data_message(d->ctx, b64);
    uint64_t bytes0;

    d->echo = true;
    for (int i = 0; i < rounds; i++) {
        t0 = now_us();
        w.want = d->got_a + 1;
        if (e2e_link_send(d->a, m) || !spin(d->base, d_count, &w, 30))
            goto fail;
        rtt[i] = now_us() - t0;
    }
    d->echo = false;
    w.counter = &d->got_b;
    w.want = d->got_b + n;
    bytes0 = e2e_link_bytes_out(d->a);
    t0 = now_us();
    for (int i = 0; i < n; i++)
        if (e2e_link_send(d->a, m))
            goto fail;
    if (!spin(d->base, d_count, &w, 120))
        goto fail;
    res->mb_s = (double)size * n / (now_us() - t0);
    res->wire_bytes = (double)(e2e_link_bytes_out(d->a) - bytes0) / n;
    res->p50_us = bench_percentile(rtt, (size_t)rounds, 0.50) / 2;
    res->p99_us = bench_percentile(rtt, (size_t)rounds, 0.99) / 2;
    res->done = true;
    xmpp_stanza_release(m);
    return 0;
fail:
    xmpp_stanza_release(m);
    return -1;
}

/* ---- running and reporting ------------------------------------------- */

static void print_row(const struct opts *o, enum path p, size_t size,
                      const struct result *r)
{
    if (o->json)
        printf("{\"path\":\"%s\",\"payload_bytes\":%zu,\"latency_us_p50\":%.1f,"
               "\"latency_us_p99\":%.1f,\"throughput_mb_s\":%.4f,"
               "\"wire_bytes_per_msg\":%.0f}\n",
               paths[p].name, size, r->p50_us, r->p99_us, r->mb_s,
               r->wire_bytes);
    else
        printf("%-14s %8zu %10.1f %10.1f %10.2f %12.0f\n", paths[p].name, size,
               r->p50_us, r->p99_us, r->mb_s, r->wire_bytes);
    fflush(stdout);
}

/* A relayed path, or (p == P_LIB) liborbweb's own once direct. */
static int run_clients(const struct opts *o, xmpp_ctx_t *ctx, enum path p,
                       struct result res[NSIZES])
{
    struct hs_options ho = {.max_stanza_kb = 4096};
    char err[2048];
    hs_server *s;
    struct relay r = {.base = event_base_new()};
    int rc = -1;

    if (hs_server_start(o->kind, &ho, err, sizeof err, &s) < 0) {
        fprintf(stderr, "bench e2e: %s\n", err);
        event_base_free(r.base);
        return -1;
    }
    if (relay_open(&r, s, p) == 0 && (p != P_LIB || warm_up(&r) == 0)) {
        rc = 0;
        for (size_t i = 0; i < NSIZES && rc == 0; i++) {
            char *b64 = payload_b64(ctx, all_sizes[i]);
            if (!b64 || relay_point(&r, b64, all_sizes[i], o, &res[i]) < 0) {
                fprintf(stderr, "bench e2e: %s, %zu bytes: %s\n", paths[p].name,
                        all_sizes[i], r.err[0] ? r.err : "no answer");
                rc = -1;
            } else
                print_row(o, p, all_sizes[i], &res[i]);
            if (b64)
                xmpp_free(ctx, b64);
        }
    }
    ob_client_free(r.a);
    ob_client_free(r.b);
    event_base_free(r.base);
    hs_server_stop(s);
    return rc;
}

static int run_direct(const struct opts *o, xmpp_ctx_t *ctx, enum path p,
                      struct result res[NSIZES])
{
    struct direct d = {.base = event_base_new(), .ctx = ctx};
    int rc = direct_open(&d, p);

    if (rc)
        fprintf(stderr, "bench e2e: %s: the link did not come up\n",
                paths[p].name);
    for (size_t i = 0; i < NSIZES && rc == 0; i++) {
        char *b64 = payload_b64(ctx, all_sizes[i]);
        if (!b64 || direct_point(&d, b64, all_sizes[i], o, &res[i]) < 0) {
            fprintf(stderr, "bench e2e: %s, %zu bytes: failed\n", paths[p].name,
                    all_sizes[i]);
            rc = -1;
        } else
            print_row(o, p, all_sizes[i], &res[i]);
        if (b64)
            xmpp_free(ctx, b64);
    }
    direct_close(&d);
    event_base_free(d.base);
    return rc;
}

/* The ratios of path p to its anchor at size i: relayed latency over
 * direct, direct throughput over relayed.  False when either of the two
 * was not measured. */
static bool ratios(struct result res[NPATH][NSIZES], enum path p, size_t i,
                   double *lat, double *tput)
{
    const struct result *r = &res[paths[p].anchor][i], *d = &res[p][i];

    if (!r->done || !d->done)
        return false;
    *lat = d->p50_us > 0 ? r->p50_us / d->p50_us : 0;
    *tput = r->mb_s > 0 ? d->mb_s / r->mb_s : 0;
    return true;
}

/* One row of ratios per size, a column per direct path (a JSON object per
 * cell with --json); sizes where nothing can be compared are left out. */
static void report_ratios(const struct opts *o,
                          struct result res[NPATH][NSIZES])
{
    double lat, tput;
    char vs[32];
    bool any;

    if (!o->json) {
        printf(
            "\nrelayed divided by direct (latency p50 x, throughput x), each\n"
            "direct path against the relayed path of the same security:\n"
            " payload");
        for (int p = P_XML; p < NPATH; p++)
            printf("%18s", paths[p].name);
        printf("\n        ");
        for (int p = P_XML; p < NPATH; p++) {
            snprintf(vs, sizeof vs, "vs %s", paths[paths[p].anchor].name);
            printf("%18s", vs);
        }
        printf("\n");
    }
    for (size_t i = 0; i < NSIZES; i++) {
        any = false;
        for (int p = P_XML; p < NPATH; p++)
            any |= ratios(res, (enum path)p, i, &lat, &tput);
        if (!any)
            continue;
        if (!o->json)
            printf("%8zu", all_sizes[i]);
        for (int p = P_XML; p < NPATH; p++) {
            bool ok = ratios(res, (enum path)p, i, &lat, &tput);
            if (o->json && ok)
                printf("{\"ratio\":\"%s/%s\",\"payload_bytes\":%zu,"
                       "\"latency_p50_x\":%.2f,\"throughput_x\":%.2f}\n",
                       paths[paths[p].anchor].name, paths[p].name, all_sizes[i],
                       lat, tput);
            else if (!o->json && ok)
                printf("   %6.1fx %6.1fx", lat, tput);
            else if (!o->json)
                printf("%18s", "-");
        }
        if (!o->json)
            printf("\n");
    }
}

/* The goals, judged on direct-tls-fi against relayed-tls: what two
 * liborbweb peers use (both offer Fast Infoset; TLS is never off) against
 * what they would use without direct streams. */
static void report_goals(const struct opts *o, struct result res[NPATH][NSIZES])
{
    int lat_ok = -1, tput_ok = -1; /* -1: not measured */
    double lat, tput;

    for (size_t i = 0; i < NSIZES; i++) {
        if (!ratios(res, P_TLS_FI, i, &lat, &tput))
            continue;
        lat_ok = (lat_ok != 0) && lat >= 5;
        if (all_sizes[i] >= 65536)
            tput_ok = (tput_ok != 0) && tput >= 10;
    }
    if (!o->json)
        printf("goal: direct-tls-fi p50 latency <= 1/5 of relayed-tls at every "
               "size: %s\n"
               "goal: direct-tls-fi throughput >= 10x relayed-tls from 64 KB: "
               "%s\n",
               lat_ok < 0 ? "not measured"
               : lat_ok   ? "met"
                          : "NOT met",
               tput_ok < 0 ? "not measured"
               : tput_ok   ? "met"
                           : "NOT met");
}

/* --path NAME: true when NAME is one of ours (it is then measured);
 * "relayed", the name of the one relayed path before there were two,
 * measures both. */
static bool path_parse(const char *name, struct opts *o)
{
    if (!strcmp(name, "relayed"))
        return o->run[P_RELAYED_PLAIN] = o->run[P_RELAYED_TLS] = true;
    for (int p = 0; p < NPATH; p++)
        if (!strcmp(name, paths[p].name))
            return o->run[p] = true;
    return false;
}

static int usage(FILE *f, int rc)
{
    fprintf(
        f, "usage: orbweb bench e2e [--json] [--server prosody|ejabberd] "
           "[--quick]\n"
           "                        [--path relayed-plain|relayed-tls|relayed|"
           "direct-xml|\n"
           "                                direct-tls|direct-tls-fi|"
           "liborbweb]...\n"
           "One-way latency (ping-pong RTT/2, p50, p99) and throughput for\n"
           "payloads of 1 B to 512 KB: relayed through a throwaway server\n"
           "without TLS and with STARTTLS (--path relayed: both), direct XML,\n"
           "direct XML with TLS, direct Fast Infoset with TLS, and two\n"
           "liborbweb clients once their session is direct.  Each direct\n"
           "path is compared with the relayed path of the same security.\n");
    return rc;
}

int bench_e2e(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"quick", no_argument, NULL, 'q'},
                                       {"server", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"path", required_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
    struct opts o = {.kind = HS_PROSODY};
    static struct result res[NPATH][NSIZES];
    xmpp_ctx_t *ctx;
    int c, rc = 0;
    bool some = false;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'j')
            o.json = true;
        else if (c == 'q')
            o.quick = true;
        else if (c == 's' && hs_kind_parse(optarg, &o.kind) == 0)
            continue;
        else if (c == 'p' && path_parse(optarg, &o))
            continue;
        else
            return usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
    }
    srand(1);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    if (!o.json) {
        bench_print_machine(stdout);
        printf("server: %s (relayed paths)\n"
               "path            payload    p50 us     p99 us       MB/s   wire "
               "B/msg\n",
               hs_kind_name(o.kind));
    }
    for (int p = 0; p < NPATH; p++)
        some |= o.run[p];
    for (int p = 0; p < NPATH && !some; p++)
        o.run[p] = true;
    for (int p = 0; p < NPATH; p++)
        if (o.run[p] && paths[p].clients)
            rc |= run_clients(&o, ctx, (enum path)p, res[p]);
        else if (o.run[p])
            rc |= run_direct(&o, ctx, (enum path)p, res[p]);
    report_ratios(&o, res);
    report_goals(&o, res);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return rc ? 1 : 0;
}
