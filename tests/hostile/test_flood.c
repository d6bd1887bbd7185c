/* test_flood.c -- attacks 5 and 7 of issue 14 against xmucd on real
 * Prosody and ejabberd: bounded resources (docs/security.md, "Limits and
 * their defaults").
 *
 * Room flood: one anonymous client asks for ROOM_FLOOD rooms at once; it
 * gets QUOTA of them, then policy-violation; a room it leaves gives its
 * slot back, and another user still creates a room.
 *
 * Relay flood (scaled down from 200 x 30 KB into 400 members): MEMBERS
 * anonymous occupants of a relay room that read nothing, and one more
 * that sends GROUPCASTS of PAYLOAD bytes (about 200 MB of output if all
 * were relayed) against a MEMORY_MB bound.  The flooder must get
 * resource-constraint, xmucd's peak RSS (VmHWM) must stay under the
 * bound, and an occupant of another room must get disco#info answers
 * during the flood (bounded by a hang detector, DISCO_BOUND_MS: the
 * machine is shared, so nothing is timed; the latencies measured are
 * written to the log).  Then SIGTERM, while the backlog is still being
 * written, must stop xmucd by itself (exit status 0, before the
 * harness's SIGKILL), and the time it took is logged.  The relay flood
 * runs twice: with every limit, then with the per-occupant output limit
 * off ("queue only"), where the output queue's marks and cap alone must
 * keep xmucd under its bound (how many groupcasts they refuse depends on
 * how fast the server reads, so only the bound is asserted). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"

#define T 10000
#define MEMORY_MB 64
#define MEMBERS 16
#define GROUPCASTS 120
#define PAYLOAD (100 * 1024)
#define QUOTA 15
#define ROOM_FLOOD 60
#define DISCO_EVERY 10
#define DISCO_BOUND_MS 5000
#define STR_(x) #x
#define STR(x) STR_(x)

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct world {
    const char *kind;
    hs_server *s;
    struct hs_proc *x;
    char room[128], calm[128];
};

/* Starts xmucd on w's server with the test's bound; queue_only: without
 * the per-occupant output limit, so that only the output queue's marks
 * and cap stand between the flood and the memory bound. */
static void start_xmucd(struct world *w, bool queue_only)
{
    char *args[] = {"--max-memory-mb",
                    STR(MEMORY_MB),
                    "--max-stanza-bytes",
                    "200000",
                    "--rooms-per-jid",
                    STR(QUOTA),
                    queue_only ? "--out-kb-per-s" : NULL,
                    "0",
                    NULL};
    char err[2048];

    w->x = hs_xmucd_start(w->s, args, err, sizeof err);
    cr_assert(w->x, "%s", err);
}

static void start(struct world *w, enum hs_kind kind)
{
    struct hs_options opt = {0};
    char err[2048];

    memset(w, 0, sizeof *w);
    w->kind = hs_kind_name(kind);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
    snprintf(w->room, sizeof w->room, "relay@%s", hs_server_component(w->s));
    snprintf(w->calm, sizeof w->calm, "calm@%s", hs_server_component(w->s));
}

/* The RFC 6120 condition of an error stanza, or "(no error)". */
static const char *condition(xmpp_stanza_t *st)
{
    xmpp_stanza_t *e = st ? xmpp_stanza_get_child_by_name(st, "error") : NULL;

    for (xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_ns(c) : NULL;
        if (ns && !strcmp(ns, "urn:ietf:params:xml:ns:xmpp-stanzas") &&
            strcmp(xmpp_stanza_get_name(c), "text"))
            return xmpp_stanza_get_name(c);
    }
    return "(no error)";
}

static void send_presence(hs_client *c, const char *to, const char *type)
{
    xmpp_stanza_t *p = xmpp_presence_new(hs_client_ctx(c)), *x;

    xmpp_stanza_set_to(p, to);
    if (type)
        xmpp_stanza_set_type(p, type);
    x = xmpp_stanza_new(hs_client_ctx(c));
    xmpp_stanza_set_name(x, "x");
    xmpp_stanza_set_ns(x, "http://jabber.org/protocol/muc");
    xmpp_stanza_add_child(p, x);
    xmpp_stanza_release(x);
    hs_client_send(c, p);
    xmpp_stanza_release(p);
}

/* Joins room as nick; the self-presence (or the error) it got, which the
 * caller releases. */
static xmpp_stanza_t *try_join(hs_client *c, const char *room, const char *nick)
{
    char to[256];

    snprintf(to, sizeof to, "%s/%s", room, nick);
    send_presence(c, to, NULL);
    return hs_client_wait_from(c, "presence", to, T);
}

static void join(hs_client *c, const char *room, const char *nick)
{
    xmpp_stanza_t *p = try_join(c, room, nick);

    cr_assert(p, "%s got no answer joining %s", nick, room);
    cr_assert_null(xmpp_stanza_get_type(p), "%s could not join %s: %s", nick,
                   room, condition(p));
    xmpp_stanza_release(p);
}

/* A new anonymous client, in room as nick unless room is NULL. */
static hs_client *anon(struct world *w, const char *room, const char *nick)
{
    char why[512];
    hs_client *c = hs_client_connect(
        hs_server_host(w->s), hs_server_c2s_port(w->s),
        hs_server_anon_domain(w->s), NULL, T, why, sizeof why);

    cr_assert(c, "anonymous login: %s", why);
    if (room)
        join(c, room, nick);
    return c;
}

/* ---- attack 7: the room flood
 * ------------------------------------------------ */

/* What came back for the room-flood presences: rooms made, refusals. */
struct tally {
    int made, quota, other;
    char other_cond[64];
};

static void tally_room_flood(hs_client *c, struct tally *t, int want)
{
    double end = now_ms() + 30000;
    xmpp_stanza_t *p;

    while (t->made + t->quota + t->other < want && now_ms() < end &&
           (p = hs_client_wait(c, "presence", T))) {
        const char *type = xmpp_stanza_get_type(p);
        if (!type)
            t->made++;
        else if (!strcmp(type, "error") &&
                 !strcmp(condition(p), "policy-violation"))
            t->quota++;
        else if (!strcmp(type, "error")) {
            t->other++;
            snprintf(t->other_cond, sizeof t->other_cond, "%s", condition(p));
        }
        xmpp_stanza_release(p);
        while ((p = hs_client_take(c, "message")))
            xmpp_stanza_release(p); /* subjects */
    }
}

static void room_flood(struct world *w)
{
    hs_client *m = anon(w, NULL, NULL), *legit = anon(w, NULL, NULL);
    struct tally t = {0};
    char room[128];
    xmpp_stanza_t *p;

    for (int i = 0; i < ROOM_FLOOD; i++) {
        snprintf(room, sizeof room, "flood%d@%s/m", i,
                 hs_server_component(w->s));
        send_presence(m, room, NULL);
    }
    tally_room_flood(m, &t, ROOM_FLOOD);
    fprintf(stderr,
            "%s: room flood: %d asked, %d made, %d policy-violation, %d other "
            "(%s)\n",
            w->kind, ROOM_FLOOD, t.made, t.quota, t.other, t.other_cond);
    cr_expect_eq(t.made, QUOTA, "the flooder made %d rooms (quota %d)", t.made,
                 QUOTA);
    cr_expect_eq(t.quota, ROOM_FLOOD - QUOTA,
                 "%d refused with policy-violation", t.quota);
    snprintf(room, sizeof room, "flood0@%s/m", hs_server_component(w->s));
    send_presence(m, room, "unavailable");
    snprintf(room, sizeof room, "again@%s", hs_server_component(w->s));
    p = try_join(m, room, "m");
    cr_expect(p && !xmpp_stanza_get_type(p),
              "a room left gives its slot back: %s", condition(p));
    if (p)
        xmpp_stanza_release(p);
    snprintf(room, sizeof room, "legit@%s", hs_server_component(w->s));
    join(legit, room, "l");
    hs_client_close(legit);
    hs_client_close(m);
}

/* ---- attack 5: the relay flood
 * -------------------------------------------------- */

static xmpp_stanza_t *groupcast(hs_client *c, const char *room,
                                const char *body)
{
    xmpp_ctx_t *ctx = hs_client_ctx(c);
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", room, NULL);

    xmpp_message_set_body(m, body);
    return m;
}

/* The peak RSS of pid in kB, from /proc/PID/status (VmHWM), or -1. */
static long vm_hwm_kb(int pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* disco#info to the calm room; its latency in ms (fails past the bound). */
static double disco(struct world *w, hs_client *c)
{
    xmpp_stanza_t *iq = hs_iq_query(hs_client_ctx(c), "get", w->calm, "query",
                                    "http://jabber.org/protocol/disco#info");
    double t0 = now_ms();
    xmpp_stanza_t *r = hs_client_iq(c, iq, DISCO_BOUND_MS);
    double took = now_ms() - t0;

    xmpp_stanza_release(iq);
    cr_expect(r,
              "the calm room did not answer disco#info within %d ms during "
              "the flood",
              DISCO_BOUND_MS);
    if (!r)
        return took;
    cr_expect_str_eq(xmpp_stanza_get_type(r), "result", "%s", condition(r));
    xmpp_stanza_release(r);
    return took;
}

/* Counts the flooder's refusals (and what else came back). */
static int refusals(hs_client *c, int *other)
{
    xmpp_stanza_t *m;
    int n = 0;

    hs_client_drain(c, 1000, 20000);
    while ((m = hs_client_take(c, "message"))) {
        const char *type = xmpp_stanza_get_type(m);
        if (type && !strcmp(type, "error"))
            *(!strcmp(condition(m), "resource-constraint") ? &n : other) += 1;
        xmpp_stanza_release(m);
    }
    return n;
}

static void relay_flood(struct world *w, bool queue_only)
{
    const char *phase = queue_only ? " (queue only)" : "";
    hs_client *members[MEMBERS], *flooder, *calm = anon(w, w->calm, "calm");
    char *body = malloc(PAYLOAD + 1);
    double worst = 0, sum = 0, t0, stop_ms;
    int n_disco = 0, refused, other = 0, pid = hs_proc_pid(w->x);
    long hwm;

    cr_assert(body);
    memset(body, 'x', PAYLOAD);
    body[PAYLOAD] = '\0';
    for (int i = 0; i < MEMBERS; i++) {
        char nick[16];
        snprintf(nick, sizeof nick, "m%d", i);
        members[i] = anon(w, w->room, nick);
    }
    flooder = anon(w, w->room, "flooder");
    fprintf(stderr, "%s: relay flood%s: xmucd VmHWM before: %ld kB\n", w->kind,
            phase, vm_hwm_kb(pid));
    t0 = now_ms();
    for (int i = 0; i < GROUPCASTS; i++) {
        xmpp_stanza_t *m = groupcast(flooder, w->room, body);
        hs_client_send(flooder, m);
        xmpp_stanza_release(m);
        if (i % DISCO_EVERY == DISCO_EVERY - 1) {
            double d = disco(w, calm);
            sum += d;
            worst = d > worst ? d : worst;
            n_disco++;
        }
    }
    refused = refusals(flooder, &other);
    hwm = vm_hwm_kb(pid);
    fprintf(
        stderr,
        "%s: relay flood%s: %d x %d bytes into %d members in %.1f s: %d "
        "refused with resource-constraint, %d other errors; disco#info of "
        "another room: %d answers, mean %.1f ms, worst %.1f ms; xmucd VmHWM "
        "%ld kB (bound %d MiB)\n",
        w->kind, phase, GROUPCASTS, PAYLOAD, MEMBERS + 1, (now_ms() - t0) / 1e3,
        refused, other, n_disco, sum / n_disco, worst, hwm, MEMORY_MB);
    if (!queue_only) /* how many the queue refuses depends on the server */
        cr_expect_gt(refused, GROUPCASTS / 2,
                     "only %d of %d groupcasts refused", refused, GROUPCASTS);
    cr_expect_eq(other, 0, "%d errors other than resource-constraint", other);
    cr_expect(hwm > 0 && hwm < MEMORY_MB * 1024L,
              "xmucd's peak RSS %ld kB is over its bound of %d MiB", hwm,
              MEMORY_MB);
    /* SIGTERM while the server is still taking the backlog */
    for (int i = 0; i < 3; i++) {
        xmpp_stanza_t *m = groupcast(flooder, w->room, body);
        hs_client_send(flooder, m);
        xmpp_stanza_release(m);
    }
    t0 = now_ms();
    cr_expect_eq(hs_xmucd_stop(w->x), 0,
                 "xmucd did not stop by itself on SIGTERM");
    stop_ms = now_ms() - t0;
    fprintf(stderr, "%s: relay flood%s: xmucd stopped %.0f ms after SIGTERM\n",
            w->kind, phase, stop_ms);
    w->x = NULL;
    for (int i = 0; i < MEMBERS; i++)
        hs_client_close(members[i]);
    hs_client_close(flooder);
    hs_client_close(calm);
    free(body);
}

/* Copies xmucd's lines about its queue and limits into the test's log;
 * refusal lines (rate-limited, docs/xmucd.md "Metrics") are counted. */
static void show_xmucd_log(struct world *w)
{
    char path[512], line[1024];
    FILE *f = fopen(hs_server_path(w->s, "xmucd.log", path, sizeof path), "r");
    int refused = 0;

    while (f && fgets(line, sizeof line, f))
        if (strstr(line, " refused "))
            refused++;
        else if (strstr(line, "queue") || strstr(line, "SIGTERM") ||
                 strstr(line, "stopped") || strstr(line, "suppressed"))
            fprintf(stderr, "%s: xmucd.log: %s", w->kind, line);
    fprintf(stderr, "%s: xmucd.log: %d refusal lines\n", w->kind, refused);
    if (f)
        fclose(f);
}

/* ASan keeps freed memory in a quarantine (256 MiB by default), which
 * would count in xmucd's RSS although xmucd holds none of it: xmucd
 * started by this test gets a small one.  Without sanitizers it changes
 * nothing. */
static void small_quarantine(void)
{
    const char *old = getenv("ASAN_OPTIONS");
    char opts[1024];

    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=8", old ? old : "",
             old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

static void floods(enum hs_kind kind)
{
    struct world w;

    small_quarantine();
    start(&w, kind);
    start_xmucd(&w, false);
    room_flood(&w);
    relay_flood(&w, false);
    start_xmucd(&w, true);
    relay_flood(&w, true);
    if (w.x)
        hs_xmucd_stop(w.x);
    show_xmucd_log(&w);
    hs_server_stop(w.s);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, floods)
{
    floods(HS_PROSODY);
}
Test(ejabberd, floods)
{
    floods(HS_EJABBERD);
}
