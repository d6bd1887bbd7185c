/* test_tapbcast_segments.c -- topology-aware bimodal multicast across
 * real network segments, through liborbweb.
 *
 * Three segments (network namespaces, tools/harness/hs_netns.h) of three
 * liborbweb peers each; Prosody and xmucd run in the core.  A tapbcast
 * room (manager and groupcast mode tapbcast).  xmucd's segment detection
 * probes through the peers (ob_groupcast.c answers by trying a direct
 * session); once an admin's topology query shows three ring members and
 * tree edges only inside segments, every peer groupcasts GC_N messages.
 * Asserted: every peer delivers every groupcast exactly once, FIFO per
 * sender, xmucd sent one message stanza per segment per groupcast (the
 * probe grants aside: one message per probe, counted by the probes), and
 * the core's side of each segment's link (its interface counters: what
 * the server really sent) carried about one stanza per groupcast into
 * the segment, not one per peer.
 * Waits are bounded only to catch hangs; no duration is asserted. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_client.h"
#include "hs_netns.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "orbweb.h"
#include "it_support.h"
#include "it_world.h"
#include "topo.h"
#include "ut_ns.h"

#define NSEG 3
#define PPS 3 /* peers per segment */
#define NP (NSEG * PPS)
#define GC_N 10                        /* groupcasts per peer */
#define PROBES "iq:" UT_NS_XMUC ":get" /* xmucd's stats kind of its probes */

struct peer {
    struct it_peer it; /* c, state (first: it_on_state sees the peer so) */
    struct world *w;
    int idx, seg;
    bool joined;
    int last[NP]; /* per sender: the last message index delivered */
    int delivered, disorder, errors;
};

struct world {
    hs_netns *ns;
    hs_server *s;
    struct hs_proc *x;
    hs_client *admin;
    char err[2048], room[256];
    atomic_int created, ready, converged, direct, go, finished, settled,
        measured;
    struct peer p[NP];
};

/* ---- the core: server, xmucd and an admin (its socket stays there) ---- */

static void start_core(void *arg)
{
    struct world *w = arg;
    struct hs_options opt = {.listen = "0.0.0.0", .accounts = 1};
    char admins[64], jid[64];
    char *args[] = {"--admins", admins, NULL};

    if (hs_server_start(HS_PROSODY, &opt, w->err, sizeof w->err, &w->s) < 0)
        return;
    snprintf(admins, sizeof admins, "user1@%s", hs_server_domain(w->s));
    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(w->s));
    if (!(w->x = hs_xmucd_start(w->s, args, w->err, sizeof w->err)))
        return;
    w->admin = hs_client_connect(hs_server_host(w->s), hs_server_c2s_port(w->s),
                                 jid, hs_server_password(w->s), 10000, w->err,
                                 sizeof w->err);
}

/* The peer index of a nick "s<seg>p<i>", or -1. */
static int peer_of(const char *nick)
{
    int s, i;

    if (!nick || sscanf(nick, "s%dp%d", &s, &i) != 2 || s < 1 || s > NSEG ||
        i < 0 || i >= PPS)
        return -1;
    return (s - 1) * PPS + i;
}

static bool has_attr(const struct cli_topo_edge *e, const char *attr)
{
    size_t n = strlen(attr);

    for (const char *a = e->attrs; a && *a;
         a += strcspn(a, ",") + (a[strcspn(a, ",")] == ','))
        if (strcspn(a, ",") == n && !strncmp(a, attr, n))
            return true;
    return false;
}

/* Segment detection has converged: every member is in, one ring member
 * per segment, and tree edges join only (and all) members of a segment. */
static bool converged(struct world *w, char *why, size_t len)
{
    xmpp_stanza_t *r = it_admin_query(w->admin, w->room, "topology", w->err,
                                      sizeof w->err),
                  *q;
    struct cli_topo t;
    char *json = NULL;
    bool ok = false;

    snprintf(why, len, "%.200s", r ? "a topology that does not parse" : w->err);
    if (r &&
        (q = xmpp_stanza_get_child_by_name_and_ns(r, "topology", UT_NS_XMUC)))
        json = xmpp_stanza_get_text(q);
    if (json && cli_topo_parse(json, strlen(json), &t, NULL) == 0) {
        int ring[NP] = {0}, tree[NP] = {0}, cross = 0, nring = 0;
        for (size_t e = 0; e < t.nedges; e++) {
            const char *a = cli_topo_nick(&t, t.edges[e].from);
            const char *b = cli_topo_nick(&t, t.edges[e].to);
            int ia = peer_of(a), ib = peer_of(b);
            if (ia < 0 || ib < 0)
                continue;
            if (has_attr(&t.edges[e], "ring-next") && !ring[ia]++)
                nring++; /* one per ring member */
            if (has_attr(&t.edges[e], "tree")) {
                cross += ia / PPS != ib / PPS;
                tree[ia]++;
            }
        }
        int bare = 0;
        for (int i = 0; i < NP; i++)
            bare += !tree[i];
        ok = t.nmembers == NP && nring == NSEG && !cross && !bare;
        snprintf(why, len,
                 "%zu members, %d ring members, %d tree edges across, "
                 "%d members without tree edges",
                 t.nmembers, nring, cross, bare);
        if (!ok && getenv("OB_TEST_LOG"))
            cli_topo_write_text(&t, stderr);
        cli_topo_clear(&t);
    }
    if (json)
        xmpp_free(hs_client_ctx(w->admin), json);
    if (r)
        xmpp_stanza_release(r);
    return ok;
}

/* ---- one segment's peers, in a thread inside the segment -------------- */

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    struct peer *p = user;

    (void)c;
    if (ev->change == OB_ROOM_JOINED) {
        p->joined = true;
        atomic_store(&p->w->created, 1);
    }
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    struct peer *p = user;
    int from, k;

    (void)c;
    if (sscanf(m->body, "g%d-%d", &from, &k) != 2 || from < 0 || from >= NP ||
        k < 0 || k >= GC_N) {
        p->disorder++;
        return;
    }
    p->disorder += k != p->last[from] + 1;
    p->last[from] = k;
    p->delivered++;
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    (void)c;
    (void)e;
    ((struct peer *)user)->errors++;
}

static const struct ob_callbacks callbacks = {.size =
                                                  sizeof(struct ob_callbacks),
                                              .state = it_on_state,
                                              .room = on_room,
                                              .groupcast = on_groupcast,
                                              .error = on_error};

/* Runs the loop until every peer of the segment satisfies pred (or the
 * deadline); false on timeout. */
static bool wait_all(struct event_base *base, struct peer **ps,
                     bool (*pred)(struct peer *), double seconds)
{
    double end = it_now_ms() + seconds * 1e3;

    for (;;) {
        bool all = true;
        for (int i = 0; i < PPS; i++)
            all &= pred(ps[i]);
        if (all)
            return true;
        if (it_now_ms() > end)
            return false;
        it_run_for(base, 20);
    }
}

static bool connected(struct peer *p)
{
    return p->it.state == OB_STATE_CONNECTED;
}
static bool joined(struct peer *p)
{
    return p->joined;
}
static bool all_delivered(struct peer *p)
{
    return p->delivered >= NP * GC_N;
}

/* Peer 0 creates the room; the others join once it exists. */
static bool join(struct world *w, struct event_base *base, struct peer *p,
                 int i)
{
    struct ob_room_config cfg = {.size = sizeof(struct ob_room_config),
                                 .manager = "tapbcast",
                                 .groupcast = "tapbcast"};
    struct ob_join_params jp = {.size = sizeof(struct ob_join_params),
                                .has_segment = true,
                                .segment = (uint32_t)p->seg};
    char nick[16];

    snprintf(nick, sizeof nick, "s%dp%d", p->seg, i);
    if (p->idx == 0)
        return ob_room_create(p->it.c, w->room, nick, &cfg, &jp) == OB_OK;
    while (!atomic_load(&w->created))
        it_run_for(base, 20);
    return ob_room_join(p->it.c, w->room, nick, &jp) == OB_OK;
}

/* Whether every tree and gossip neighbour of a peer is reached by a
 * direct session (liborbweb pins them: docs/e2e-policy.md, "Pins"). */
struct edges {
    struct peer *p;
    bool direct;
};

static void edge_direct(const struct ob_view_event *n, void *arg)
{
    struct edges *e = arg;

    if ((strstr(n->attrs, "tree") || strstr(n->attrs, "gossip")) &&
        ob_distance(e->p->it.c, n->jid) != 1)
        e->direct = false;
}

static bool edges_direct(struct peer *p)
{
    struct edges e = {p, true};

    ob_room_view(p->it.c, p->w->room, edge_direct, &e);
    return e.direct;
}

static void segment(void *arg)
{
    struct peer *first = arg, *ps[PPS];
    struct world *w = first->w;
    struct event_base *base = event_base_new();
    char body[32];
    bool counted = false;

    for (int i = 0; i < PPS; i++) {
        struct peer *p = ps[i] = first + i;
        struct ob_options o = {.size = sizeof(struct ob_options),
                               .host = hs_netns_core_addr(w->ns, p->seg),
                               .port = hs_server_c2s_port(w->s),
                               .jid = hs_server_anon_domain(w->s),
                               .tls = OB_TLS_TRUST,
                               .base = base,
                               .cb = &callbacks,
                               .user = p};
        if (ob_client_new(&o, &p->it.c) || ob_connect(p->it.c))
            goto out;
    }
    if (!wait_all(base, ps, connected, 30))
        goto out;
    for (int i = 0; i < PPS; i++)
        if (!join(w, base, ps[i], i))
            goto out;
    if (!wait_all(base, ps, joined, 30))
        goto out;
    atomic_fetch_add(&w->ready, PPS);
    while (!atomic_load(&w->converged)) /* probes are answered meanwhile */
        it_run_for(base, 20);
    wait_all(base, ps, edges_direct, 30); /* the wire check tells */
    atomic_fetch_add(&w->direct, PPS);
    while (!atomic_load(&w->go))
        it_run_for(base, 20);
    for (int k = 0; k < GC_N; k++) {
        for (int i = 0; i < PPS; i++) {
            snprintf(body, sizeof body, "g%d-%d", ps[i]->idx, k);
            ob_groupcast(ps[i]->it.c, w->room, body);
        }
        it_run_for(base, 20);
    }
    wait_all(base, ps, all_delivered, 60);
    atomic_fetch_add(&w->finished, PPS);
    while (atomic_load(&w->finished) < NP) /* keep forwarding for others */
        it_run_for(base, 20);
    it_run_for(base, 500); /* a late duplicate would show */
    counted = true;
    atomic_fetch_add(&w->settled, PPS);
    for (int i = 0; i < 500 && !atomic_load(&w->measured); i++)
        it_run_for(base, 20); /* connected while the counters are read */
out:
    if (!counted) { /* failed early: others must not wait for us */
        atomic_fetch_add(&w->finished, PPS);
        atomic_fetch_add(&w->settled, PPS);
        atomic_fetch_add(&w->direct, PPS);
    }
    for (int i = 0; i < PPS; i++)
        ob_client_free(first[i].it.c);
    event_base_free(base);
}

struct seg_job {
    struct world *w;
    int seg;
};

static void *segment_thread(void *arg)
{
    struct seg_job *j = arg;

    if (hs_netns_call(j->w->ns, j->seg, segment, &j->w->p[(j->seg - 1) * PPS]) <
        0)
        fprintf(stderr, "cannot enter segment %d\n", j->seg);
    return NULL;
}

TestSuite(tapbcast_segments, .timeout = 300);

/* Bytes the core sent to each segment's link. */
static void link_bytes(struct world *w, unsigned long long *to_seg)
{
    unsigned long long from;

    for (int k = 0; k < NSEG; k++)
        cr_assert_eq(hs_netns_link_bytes(w->ns, k + 1, &to_seg[k], &from), 0,
                     "cannot read segment %d's link counters", k + 1);
}

/* On the wire: what the core sent into each segment during the
 * groupcasts is about one stanza per groupcast, far from the PPS copies
 * a relaying server sends (the stanza's size is xmucd's own count; the
 * allowance of WIRE_EXTRA bytes per stanza covers the TLS record, TCP/IP
 * headers, acknowledgements of the segment's own uploads and the room's
 * other traffic). */
#define WIRE_EXTRA 100
static void expect_wire(const unsigned long long *before,
                        const unsigned long long *after,
                        unsigned long long stanzas, unsigned long long bytes)
{
    double per_stanza = (double)bytes / (double)stanzas;
    int n = NP * GC_N;

    for (int k = 0; k < NSEG; k++) {
        double per_gc = (double)(after[k] - before[k]) / n;

        fprintf(stderr,
                "segment %d: %.0f bytes into the segment per "
                "groupcast; one stanza is %.0f bytes, relay would send %d\n",
                k + 1, per_gc, per_stanza, PPS);
        cr_expect(per_gc >= per_stanza,
                  "segment %d got %.0f bytes per groupcast, less than one "
                  "%.0f-byte stanza",
                  k + 1, per_gc, per_stanza);
        cr_expect(per_gc < 2 * (per_stanza + WIRE_EXTRA),
                  "segment %d got %.0f bytes per groupcast: more than two "
                  "%.0f-byte stanzas and their overhead (relay sends %d)",
                  k + 1, per_gc, per_stanza, PPS);
    }
}

Test(tapbcast_segments, one_stanza_per_segment)
{
    static struct world w;
    pthread_t t[NSEG];
    struct seg_job jobs[NSEG];
    static const char *const kinds[] = {"message", PROBES};
    unsigned long long before = 0, after, bytes0 = 0, bytes1, grants0 = 0;
    unsigned long long n0[2], b0[2], n1[2], b1[2];
    unsigned long long wire0[NSEG] = {0}, wire1[NSEG];
    char why[256] = "";
    double end;
    bool conv = false;

    cr_assert_eq(hs_netns_new(NSEG, w.err, sizeof w.err, &w.ns), HS_NETNS_OK,
                 "%s", w.err);
    cr_assert(w.ns, "%s", w.err);
    cr_assert_eq(hs_netns_call(w.ns, 0, start_core, &w), 0);
    cr_assert(w.s && w.x && w.admin, "%s", w.err);
    snprintf(w.room, sizeof w.room, "grid@%s", hs_server_component(w.s));
    for (int i = 0; i < NP; i++) {
        w.p[i].w = &w;
        w.p[i].idx = i;
        w.p[i].seg = 1 + i / PPS;
        for (int s = 0; s < NP; s++)
            w.p[i].last[s] = -1;
    }
    for (int k = 0; k < NSEG; k++) {
        jobs[k] = (struct seg_job){&w, k + 1};
        cr_assert_eq(pthread_create(&t[k], NULL, segment_thread, &jobs[k]), 0);
    }
    end = it_now_ms() + 60e3;
    while (atomic_load(&w.ready) < NP && it_now_ms() < end)
        hs_client_drain(w.admin, 0, 50);
    end = it_now_ms() + 120e3;
    while (atomic_load(&w.ready) == NP &&
           !(conv = converged(&w, why, sizeof why)) && it_now_ms() < end) {
        if (getenv("OB_TEST_LOG"))
            fprintf(stderr, "%.0f ms: %s\n", it_now_ms(), why);
        hs_client_drain(w.admin, 0, 500);
    }
    atomic_store(&w.converged, 1);
    end = it_now_ms() + 60e3;
    while (conv && atomic_load(&w.direct) < NP && it_now_ms() < end)
        hs_client_drain(w.admin, 0, 50);
    if (conv) {
        it_stanzas_out(w.admin, w.room, kinds, 2, n0, b0);
        before = n0[0], bytes0 = b0[0], grants0 = n0[1];
        link_bytes(&w, wire0);
    }
    atomic_store(&w.go, 1);
    end = it_now_ms() + 180e3;
    while (atomic_load(&w.settled) < NP && it_now_ms() < end)
        hs_client_drain(w.admin, 0, 50);
    link_bytes(&w, wire1);
    it_stanzas_out(w.admin, w.room, kinds, 2, n1, b1);
    /* one probe grant (a message) went out with each probe meanwhile */
    after = n1[0] - (n1[1] - grants0), bytes1 = b1[0];
    atomic_store(&w.measured, 1);
    for (int k = 0; k < NSEG; k++)
        pthread_join(t[k], NULL);
    cr_assert_eq(atomic_load(&w.ready), NP, "not every peer joined");
    cr_assert(conv, "segment detection did not converge: %s", why);
    for (int i = 0; i < NP; i++) {
        cr_expect_eq(w.p[i].delivered, NP * GC_N, "peer %d delivered %d of %d",
                     i, w.p[i].delivered, NP * GC_N);
        cr_expect_eq(w.p[i].disorder, 0, "peer %d: %d out of order or twice", i,
                     w.p[i].disorder);
        cr_expect_eq(w.p[i].errors, 0, "peer %d: %d errors", i, w.p[i].errors);
    }
    cr_expect_eq(after - before, (unsigned long long)NSEG * NP * GC_N,
                 "xmucd sent %llu message stanzas for %d groupcasts",
                 after - before, NP * GC_N);
    expect_wire(wire0, wire1, after - before, bytes1 - bytes0);
    hs_client_close(w.admin);
    cr_expect_eq(hs_xmucd_stop(w.x), 0, "xmucd did not exit cleanly");
    hs_server_stop(w.s);
    hs_netns_free(w.ns);
}
