/* test_gcauth.c -- authenticated groupcast under attack (issue 14,
 * attacks 1-3; docs/security.md, "Authenticated groupcast"), on real
 * Prosody and ejabberd with xmucd.
 *
 * Four liborbweb peers in a pbcast treegossip room (two injection
 * points).  Two raw XMPP clients attack it: an outsider (an anonymous
 * user who never joins) and mallory, a member (joined, so it holds a
 * valid membership token) that does not run an engine.
 *
 *  - forged_records: before any real groupcast, both send every peer
 *    message records for seqs 1..3 naming the room and origin nick p1,
 *    body FORGED, without a signature and with a random one.  Then every
 *    peer groupcasts.  Asserted: nobody delivers a FORGED body, every
 *    peer delivers every real groupcast once, no gap, and every peer
 *    counted the forged records as unverified.
 *  - silencing_seq, silencing_watermark: a record with seq 10^9 (from
 *    both), or digests claiming a delivery watermark of 10^6 (mallory's
 *    carry its valid token, so they reach the engine), sent before and
 *    during 5.6 s of groupcasts (past the 4 s buffer horizon) and
 *    followed by 5 s more.  Asserted: every peer delivers every real
 *    groupcast once, no gap.
 *  - stranger_reads: after the groupcasts, the outsider sends each peer
 *    digests with next=1 (no token, a made-up one, mallory's stolen
 *    token) and gets not one record back; the same digest from mallory,
 *    with its own token, does draw records (so the channel works and the
 *    refusal is the token's doing).
 * Waits are bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "it_support.h"
#include "it_world.h"
#include "orbweb.h"
#include "ut_ns.h"

#define NP 4
#define NMSG 8
#define K 2
#define T 10000

struct peer {
    struct it_peer it; /* c, nick, state, joined */
    int gaps, delivered, dups, forged;
    unsigned char seen[NP][NMSG];
    char last_error[256];
};

struct world {
    struct it_world it; /* s, x, base and the peers; no admin */
    struct peer p[NP];
    hs_client *outsider, *mallory;
    char room[128], mallory_token[1024];
};

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    (void)c;
    ((struct peer *)user)->it.joined += ev->change == OB_ROOM_JOINED;
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;
    int from, k;

    (void)c;
    if (strstr(m->body, "FORGED")) {
        p->forged++;
        return;
    }
    if (sscanf(m->body, "m%d-%d", &from, &k) == 2 && from >= 0 && from < NP &&
        k >= 0 && k < NMSG) {
        p->dups += p->seen[from][k]++ > 0;
        p->delivered++;
    }
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct peer *p = user;

    (void)c;
    p->gaps += e->op == OB_OP_GROUPCAST;
    snprintf(p->last_error, sizeof p->last_error, "%s", e->text);
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .room = on_room,
                                              .groupcast = on_groupcast,
                                              .error = on_error};

static void run(struct world *w, int ms)
{
    it_run_for(w->it.base, ms);
}

/* Runs the loop until pred holds; false after about 60 s (a hang). */
static bool spin(struct world *w, bool (*pred)(void *, void *))
{
    return it_spin(w->it.base, NULL, 3000, 20, pred, w, NULL);
}

static bool all_delivered(void *vw, void *arg)
{
    struct world *w = vw;

    (void)arg;
    for (int i = 0; i < NP; i++)
        if (w->p[i].delivered < NP * NMSG)
            return false;
    return true;
}

static hs_client *raw_client(struct world *w)
{
    char err[1024];
    hs_client *c = hs_client_connect(
        hs_server_host(w->it.s), hs_server_c2s_port(w->it.s),
        hs_server_anon_domain(w->it.s), NULL, T, err, sizeof err);

    cr_assert(c, "%s", err);
    return c;
}

/* mallory joins the room as a plain MUC client and keeps the token of
 * its self-presence. */
static void mallory_joins(struct world *w)
{
    xmpp_ctx_t *ctx = hs_client_ctx(w->mallory);
    xmpp_stanza_t *p = xmpp_presence_new(ctx), *x = xmpp_stanza_new(ctx), *v;
    char to[256];
    const char *tok;

    snprintf(to, sizeof to, "%s/mallory", w->room);
    xmpp_stanza_set_to(p, to);
    xmpp_stanza_set_name(x, "x");
    xmpp_stanza_set_ns(x, UT_NS_MUC);
    xmpp_stanza_add_child(p, x);
    xmpp_stanza_release(x);
    hs_client_send(w->mallory, p);
    xmpp_stanza_release(p);
    p = hs_client_wait_from(w->mallory, "presence", to, T);
    cr_assert(p, "mallory got no self-presence");
    v = xmpp_stanza_get_child_by_name_and_ns(p, "view", UT_NS_XMUC);
    tok = v ? xmpp_stanza_get_attribute(v, "token") : NULL;
    cr_assert(tok && strlen(tok) < sizeof w->mallory_token,
              "mallory's self-presence carries no membership token");
    strcpy(w->mallory_token, tok);
    xmpp_stanza_release(p);
}

static void start(struct world *w, enum hs_kind kind)
{
    char err[2048];
    struct ob_room_config cfg = {.size = sizeof(struct ob_room_config),
                                 .manager = "treegossip",
                                 .groupcast = "pbcast",
                                 .injection_points = K};

    memset(w, 0, sizeof *w);
    it_world_server(&w->it, kind, 1, w->p, NP, sizeof w->p[0]);
    w->it.x = hs_xmucd_start(w->it.s, NULL, err, sizeof err); /* no admin */
    cr_assert(w->it.x, "%s", err);
    cr_assert(w->it.base = event_base_new());
    for (int i = 0; i < NP; i++) {
        struct ob_options o = it_world_options(&w->it, i, &callbacks);

        it_world_connect(&w->it, i, &o);
    }
    cr_assert(spin(w, it_all_connected), "peers did not connect");
    snprintf(w->room, sizeof w->room, "auth@%s", hs_server_component(w->it.s));
    cr_assert_eq(ob_room_create(w->p[0].it.c, w->room, "p0", &cfg, NULL),
                 OB_OK);
    for (int i = 0; i < 100 && !w->p[0].it.joined; i++)
        run(w, 20);
    cr_assert(w->p[0].it.joined, "p0 did not create the room: %s",
              w->p[0].last_error);
    for (int i = 1; i < NP; i++)
        cr_assert_eq(ob_room_join(w->p[i].it.c, w->room, w->p[i].it.nick, NULL),
                     OB_OK);
    cr_assert(spin(w, it_all_joined), "every peer joins");
    w->outsider = raw_client(w);
    w->mallory = raw_client(w);
    mallory_joins(w);
    run(w, 1000); /* views settle */
}

static void stop(struct world *w)
{
    hs_client_close(w->outsider);
    hs_client_close(w->mallory);
    it_world_stop(&w->it, "xmucd");
}

/* ---- records as an attacker writes them ---- */

static void send_record(struct world *w, hs_client *from, int to,
                        const gc_record *rec, const char *token)
{
    xmpp_ctx_t *ctx = hs_client_ctx(from);
    uint8_t buf[GC_WIRE_MAX];
    size_t len;
    char *b64;
    xmpp_stanza_t *m =
        xmpp_message_new(ctx, "normal", ob_client_jid(w->p[to].it.c), NULL);
    xmpp_stanza_t *g = xmpp_stanza_new(ctx), *t = xmpp_stanza_new(ctx);

    cr_assert_eq(gc_wire_encode(rec, buf, sizeof buf, &len), GC_OK);
    cr_assert(b64 = xmpp_base64_encode(ctx, buf, len));
    xmpp_stanza_set_name(g, "gc");
    xmpp_stanza_set_ns(g, UT_NS_XMUC);
    xmpp_stanza_set_attribute(g, "room", w->room);
    xmpp_stanza_set_attribute(g, "mode", "pbcast");
    if (token)
        xmpp_stanza_set_attribute(g, "token", token);
    xmpp_stanza_set_text(t, b64);
    xmpp_stanza_add_child(g, t);
    xmpp_stanza_add_child(m, g);
    hs_client_send(from, m);
    xmpp_stanza_release(t);
    xmpp_stanza_release(g);
    xmpp_stanza_release(m);
    xmpp_free(ctx, b64);
}

/* A message record from origin nick p1 (the room is origin 0). */
static void forge(struct world *w, hs_client *from, int to, uint64_t seq,
                  bool with_sig)
{
    static const char payload[] = "p1\0FORGED";
    uint8_t sig[GC_SIG_LEN];
    gc_record r = {.kind = GC_MSG,
                   .msg = {0, seq, 0, (const uint8_t *)payload,
                           sizeof payload - 1, with_sig ? sig : NULL}};

    for (unsigned i = 0; i < sizeof sig; i++)
        sig[i] = (uint8_t)(rand() & 0xff);
    send_record(w, from, to, &r, NULL);
}

/* A digest of origin 0: "delivered below `next`, holding [hold, hold]".
 * A hold far above what exists makes its receiver push what it holds at
 * once (docs/groupcast.md, the push refinement). */
static void digest(struct world *w, hs_client *from, int to, uint64_t next,
                   uint64_t hold, const char *token)
{
    gc_record r = {.kind = GC_DIGEST};

    r.ranges.round = 0;
    r.ranges.norigins = 1;
    r.ranges.nranges = 1;
    r.ranges.origins[0] = (struct gc_origin_ranges){0, next, 0, 1};
    r.ranges.ranges[0] = (gc_range){hold, hold};
    send_record(w, from, to, &r, token);
}

static void groupcast_all(struct world *w, int pause_ms,
                          void (*between)(struct world *, int))
{
    char body[32];

    for (int k = 0; k < NMSG; k++) {
        if (between)
            between(w, k);
        for (int i = 0; i < NP; i++) {
            snprintf(body, sizeof body, "m%d-%d", i, k);
            cr_assert_eq(ob_groupcast(w->p[i].it.c, w->room, body), OB_OK);
        }
        run(w, pause_ms);
    }
}

/* linger_ms: how long to keep running after the last delivery, for
 * duplicates, gaps and skips to show. */
static void expect_all_delivered(struct world *w, int linger_ms)
{
    spin(w, all_delivered);
    run(w, linger_ms);
    for (int i = 0; i < NP; i++) {
        cr_expect_eq(w->p[i].delivered, NP * NMSG, "%s delivered %d of %d",
                     w->p[i].it.nick, w->p[i].delivered, NP * NMSG);
        cr_expect_eq(w->p[i].gaps, 0, "%s: %s", w->p[i].it.nick,
                     w->p[i].last_error);
        cr_expect_eq(w->p[i].dups, 0, "%s: duplicates", w->p[i].it.nick);
        cr_expect_eq(w->p[i].forged, 0, "%s delivered a forged groupcast",
                     w->p[i].it.nick);
    }
}

static struct ob_stats stats_of(struct world *w, int i)
{
    struct ob_stats st = OB_STATS_INIT;

    cr_assert_eq(ob_client_stats(w->p[i].it.c, &st), OB_OK);
    return st;
}

/* ---- the attacks ---- */

static void forged_records(enum hs_kind kind)
{
    struct world w;

    start(&w, kind);
    for (int i = 0; i < NP; i++)
        for (uint64_t q = 1; q <= 3; q++) {
            forge(&w, w.outsider, i, q, false);
            forge(&w, w.outsider, i, q, true);
            forge(&w, w.mallory, i, q, true); /* a member, as p1 */
        }
    run(&w, 1500);
    groupcast_all(&w, 100, NULL);
    expect_all_delivered(&w, 500);
    for (int i = 0; i < NP; i++)
        cr_expect_geq(stats_of(&w, i).gc_unverified, 9,
                      "%s saw only %llu unverifiable records", w.p[i].it.nick,
                      (unsigned long long)stats_of(&w, i).gc_unverified);
    stop(&w);
}

/* Every third round: a message record with seq 10^9. */
static void silence_seq(struct world *w, int k)
{
    for (int i = 0; k % 3 == 0 && i < NP; i++) {
        forge(w, w->outsider, i, 1000000000, true);
        forge(w, w->mallory, i, 1000000000, true);
    }
}

/* Every third round: digests claiming a watermark of 10^6 (mallory's
 * with its valid token: they reach the engine). */
static void silence_watermark(struct world *w, int k)
{
    for (int i = 0; k % 3 == 0 && i < NP; i++) {
        digest(w, w->outsider, i, 1000000, 1000000, NULL);
        digest(w, w->mallory, i, 1000000, 1000000, w->mallory_token);
    }
}

static void silencing(enum hs_kind kind, void (*attack)(struct world *, int))
{
    struct world w;

    start(&w, kind);
    attack(&w, 0);
    run(&w, 1500);
    /* past the buffer horizon (4 s), when a forged seq or watermark
     * would have made the peers skip */
    groupcast_all(&w, 700, attack);
    expect_all_delivered(&w, 5000);
    stop(&w);
}

/* Whether m is a <gc/> carrying a retransmitted message record: only a
 * digest or a solicit draws one. */
static bool retransmission(hs_client *c, xmpp_stanza_t *m)
{
    xmpp_stanza_t *g =
        xmpp_stanza_get_child_by_name_and_ns(m, "gc", UT_NS_XMUC);
    char *text = g ? xmpp_stanza_get_text(g) : NULL;
    unsigned char *bin = NULL;
    size_t len = 0;
    gc_record r;
    bool yes;

    if (text)
        xmpp_base64_decode_bin(hs_client_ctx(c), text, strlen(text), &bin,
                               &len);
    yes = bin && !gc_wire_decode(bin, len, &r, NULL) && r.kind == GC_MSG &&
          (r.msg.flags & GC_FLAG_RETRANS);
    if (bin)
        xmpp_free(hs_client_ctx(c), bin);
    if (text)
        xmpp_free(hs_client_ctx(c), text);
    return yes;
}

/* What reached c until about 1 s of quiet: <gc/> records in all, and
 * retransmissions among them. */
static void records_back(hs_client *c, int *records, int *retrans)
{
    xmpp_stanza_t *m;

    *records = *retrans = 0;
    hs_client_drain(c, 1000, 4000);
    while ((m = hs_client_take(c, "message"))) {
        *records +=
            xmpp_stanza_get_child_by_name_and_ns(m, "gc", UT_NS_XMUC) != NULL;
        *retrans += retransmission(c, m);
        xmpp_stanza_release(m);
    }
}

/* Right after the groupcasts (the peers' buffers hold them for 4 s),
 * the outsider and mallory send the same digests. */
static void stranger_reads(enum hs_kind kind)
{
    struct world w;
    int records, retrans;

    start(&w, kind);
    groupcast_all(&w, 100, NULL);
    cr_assert(spin(&w, all_delivered), "not every groupcast was delivered");
    for (int i = 0; i < NP; i++) {
        digest(&w, w.outsider, i, 1, 1000000, NULL);
        digest(&w, w.outsider, i, 1, 1000000, "AQAAAABrFq/CADQxeWhu");
        digest(&w, w.outsider, i, 1, 1000000, w.mallory_token); /* stolen */
        digest(&w, w.mallory, i, 1, 1000000, w.mallory_token);  /* control */
    }
    run(&w, 1000);
    records_back(w.outsider, &records, &retrans);
    cr_expect_eq(records, 0, "the outsider read %d records (%d groupcasts)",
                 records, retrans);
    for (int i = 0; i < NP; i++)
        cr_expect_geq(stats_of(&w, i).gc_no_token, 3,
                      "%s ignored %llu "
                      "digests",
                      w.p[i].it.nick,
                      (unsigned long long)stats_of(&w, i).gc_no_token);
    records_back(w.mallory, &records, &retrans);
    cr_expect_gt(retrans, 0,
                 "a member's digest drew no retransmission: the "
                 "test proves nothing");
    expect_all_delivered(&w, 0);
    stop(&w);
}

/* suite-level timeouts: Criterion 2.4 leaks with per-test ones in
 * parallel, and LeakSanitizer fails the program */
TestSuite(prosody, .timeout = 300);
TestSuite(ejabberd, .timeout = 300);
Test(prosody, forged_records)
{
    forged_records(HS_PROSODY);
}
Test(prosody, silencing_seq)
{
    silencing(HS_PROSODY, silence_seq);
}
Test(prosody, silencing_watermark)
{
    silencing(HS_PROSODY, silence_watermark);
}
Test(prosody, stranger_reads)
{
    stranger_reads(HS_PROSODY);
}
Test(ejabberd, forged_records)
{
    forged_records(HS_EJABBERD);
}
Test(ejabberd, silencing_seq)
{
    silencing(HS_EJABBERD, silence_seq);
}
Test(ejabberd, silencing_watermark)
{
    silencing(HS_EJABBERD, silence_watermark);
}
Test(ejabberd, stranger_reads)
{
    stranger_reads(HS_EJABBERD);
}
