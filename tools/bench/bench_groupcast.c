/* bench_groupcast.c -- orbweb bench groupcast: Fig. 18 of the Orbweb
 * paper on this machine, with real peers.
 *
 * A master (member 0) groupcasts 256-byte payloads into a room of N
 * members, five times a second, for each system on a fresh server: the
 * XMPP server's own MUC (the anchor: plain groupchat), and xmucd rooms
 * in groupcast mode relay, tree, (pbcast) and tapbcast.  Members are one
 * bench_peers pool.  In tree, pbcast and tapbcast rooms every member
 * owns one groupcast engine (src/gc/gc.h) fed as liborbweb feeds
 * it (ob_groupcast.c): its view neighbours with their attributes from
 * xmucd's presences, the groupcasts xmucd injects, the records of other
 * members, the time; records between members travel over kernel socket
 * pairs (bench_gcnet.h), never through the server.  Segment probes are
 * answered ok when the two members can open a pair (always, here).
 *
 * Per point (N, static or volatile, or flood): server-side CPU (server +
 * xmucd, /proc) and bytes and stanzas the server delivered to the
 * members, per groupcast; latency from the send call to delivery at
 * every member (p50, p99); delivery ratio over stable members;
 * duplicates.  One room per system grows through the sizes.  Not a
 * timed test.
 *
 * Authenticated groupcast is on, as in liborbweb: xmucd signs each
 * injection, every member's engine verifies each new message with the
 * room's key from its self-presence (gc_sig.h) before buffering it; the
 * members' verification time is summed and printed per system. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

#include "bench.h"
#include "bench_gcnet.h"
#include "bench_gcsim.h"
#include "bench_peers.h"
#include "cli.h"
#include "gc.h"
#include "gc_sig.h"
#include "ob_groupcast_internal.h"

#define PAYLOAD 256
#define MAX_SIZES 16
#define CFG_ID "gcb-cfg"
#define NS_DELAY "urn:xmpp:delay"

enum sys { SYS_TAPBCAST, SYS_TREE, SYS_PBCAST, SYS_RELAY, SYS_MUC, NSYS };
enum kind { K_STATIC, K_VOLATILE, K_FLOOD, NKIND };

static const char *const kind_name[NKIND] = {"static", "volatile", "flood"};

struct opts {
    enum hs_kind server;
    bool json, quick, vol, flood;
    bool sim, real; /* the simulator's rows; the real peers' */
    bool run[NSYS];
    int sizes[MAX_SIZES], nsizes, max_n, count, window;
    double rate, off_s, vol_s, drain_s, flood_timeout_s, converge_s;
    uint64_t seed;
    const char *machine;
};

struct result {
    bool done;
    int n, sent, stable;
    double server_ms, xmucd_ms, kb, stanzas; /* per groupcast */
    double p50, p99, ratio, gps, conv_s, idle_ms_per_s;
    uint64_t dups, gaps;
};

struct nb {
    int idx;
    uint32_t attrs;
};

struct bench;

struct member {
    struct bench *b;
    int idx;
    gc *e; /* NULL until the first injection or record */
    struct event *timer;
    struct nb *view;
    int nview, vcap, ring, tree; /* ring, tree: neighbours with those */
    int seen_point;              /* the last point it delivered from */
    bool in_churn, churned, stable;
    double phase;    /* volatile: first leave, s after the point began */
    uint64_t gen;    /* engines made so far (their seeds differ) */
    gc_sig_key *key; /* the room's, from the self-presence */
};

struct bench {
    const struct opts *o;
    enum sys sys;
    const char *name;
    struct bench_system bs;
    struct event_base *base;
    bp_pool *pool;
    bgn_net *net;
    char room[160], prefix[168], extra[200];
    size_t prefix_len;
    struct member *m;
    int npeers, n, next_join, cfg; /* cfg: 0 waiting, 1 done, -1 refused */
    /* the point */
    int point, cap, sent, count, ncomplete, nstable;
    enum kind kind;
    bool measuring;
    uint8_t *got; /* member x seq bits */
    size_t row;
    int *got_n;
    double *sent_at, *done_at;
    double *lat;
    size_t nlat, lat_cap;
    uint64_t dups, gaps, stable_got;
    uint64_t sent_kind[4]; /* records sent, by gc_kind */
    uint64_t dropped[4];   /* records refused, by gc_kind; [0]: undecodable
                            * records and injections that failed */
    double t0, last_send, last_report;
    uint64_t rng;
    uint64_t verified, unverified; /* members' signature checks */
    double verify_s;               /* their time, in all */
};

static const char *sys_name(const struct opts *o, enum sys s)
{
    static const char *const names[NSYS] = {
        "xmucd-tapbcast", "xmucd-tree", "xmucd-pbcast", "xmucd-relay", NULL};

    if (s == SYS_MUC)
        return o->server == HS_EJABBERD ? "ejabberd-muc" : "prosody-muc";
    return names[s];
}

/* --systems names; for xmucd, the room's groupcast mode. */
static const char *const short_names[NSYS] = {"tapbcast", "tree", "pbcast",
                                              "relay", "muc"};

static bool engines(const struct bench *b)
{
    return b->sys == SYS_TAPBCAST || b->sys == SYS_TREE || b->sys == SYS_PBCAST;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
    return now_ns() / 1000000u;
}

static uint64_t rnd(struct bench *b)
{
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return b->rng;
}

static bp_peer *peer(struct bench *b, int i)
{
    return bp_pool_peer(b->pool, i);
}

static bool joined(struct bench *b, int i)
{
    return bp_peer_room(peer(b, i)) == BP_ROOM_JOINED;
}

/* ---- deliveries -----------------------------------------------------------
 */

/* A payload reached member mb's application. */
static void delivered(struct bench *b, struct member *mb, const char *body)
{
    int pt, seq;
    unsigned long long t;
    uint8_t *bits;

    if (sscanf(body, "gcb %d %d %llu", &pt, &seq, &t) != 3 || pt != b->point ||
        seq < 0 || seq >= b->sent)
        return; /* a straggler of an earlier point */
    mb->seen_point = pt;
    if (!b->measuring)
        return;
    bits = b->got + (size_t)mb->idx * b->row;
    if (bits[seq / 8] & (1u << (seq % 8))) {
        b->dups++;
        return;
    }
    bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
    b->got_n[seq]++;
    b->stable_got += mb->stable;
    if (b->nlat == b->lat_cap) {
        size_t cap = b->lat_cap ? 2 * b->lat_cap : 4096;
        double *v = realloc(b->lat, cap * sizeof *v);
        if (!v)
            return; /* the sample is lost, not the delivery */
        b->lat = v;
        b->lat_cap = cap;
    }
    b->lat[b->nlat++] = (double)(now_ns() - t) / 1e6;
}

/* ---- engines, fed as liborbweb feeds them -----------------------------------
 */

static void arm(struct member *mb)
{
    uint64_t next, now = now_ms();
    struct timeval tv;

    if (!mb->e || !mb->timer)
        return;
    next = gc_next_round(mb->e);
    next = next > now ? next - now : 0;
    tv.tv_sec = (time_t)(next / 1000);
    tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
    evtimer_add(mb->timer, &tv);
}

static void on_round(evutil_socket_t fd, short what, void *arg)
{
    struct member *mb = arg;

    (void)fd;
    (void)what;
    if (mb->e)
        gc_tick(mb->e, now_ms());
    arm(mb);
}

/* Seqs the engine gave up on (after its buffer horizon), at members
 * present for the whole point. */
static void on_gap(void *ctx, uint32_t origin, uint64_t first, uint64_t last)
{
    struct member *mb = ctx;

    (void)origin;
    if (mb->b->measuring && mb->stable)
        mb->b->gaps += last - first + 1;
}

static int send_record(void *ctx, gc_peer to, const gc_record *r)
{
    struct member *mb = ctx;
    static uint8_t buf[GC_WIRE_MAX];
    size_t len;

    if (gc_wire_encode(r, buf, sizeof buf, &len))
        return -1;
    mb->b->sent_kind[r->kind <= GC_SOLICIT ? r->kind : 0]++;
    return bgn_send(mb->b->net, mb->idx, (int)to, buf, len);
}

static void on_deliver(void *ctx, uint32_t origin, uint64_t seq,
                       const uint8_t *payload, size_t len)
{
    struct member *mb = ctx;
    char *nick, *body;

    (void)origin;
    (void)seq;
    if (obi_gc_payload_decode(payload, len, &nick, &body))
        return;
    delivered(mb->b, mb, body);
    free(nick);
    free(body);
}

/* The engine's verifier, as liborbweb's: the room signed (room, seq,
 * nick, body); its CPU time is summed. */
static int on_verify(void *ctx, const gc_msg *m)
{
    struct member *mb = ctx;
    double t0 = bench_thread_cpu_s();
    char *nick = NULL, *body = NULL;
    int rc = -1;

    if (mb->key && m->sig &&
        !obi_gc_payload_decode(m->payload, m->len, &nick, &body)) {
        gc_sig_msg sm = {mb->b->room, m->seq, nick, (const uint8_t *)body,
                         strlen(body)};
        rc = gc_sig_msg_verify(mb->key, &sm, m->sig);
    }
    free(nick);
    free(body);
    mb->b->verify_s += bench_thread_cpu_s() - t0;
    mb->b->verified += rc == 0;
    mb->b->unverified += rc != 0;
    return rc;
}

static void set_key(struct member *mb, xmpp_ctx_t *ctx, const char *b64)
{
    unsigned char *pub = NULL;
    size_t len = 0;

    if (b64)
        xmpp_base64_decode_bin(ctx, b64, strlen(b64), &pub, &len);
    if (pub && len == GC_SIG_KEY_LEN) {
        gc_sig_key_free(mb->key);
        mb->key = NULL;
        gc_sig_key_from_public(pub, &mb->key);
    }
    if (pub)
        xmpp_free(ctx, pub);
}

/* mb's engine, made on first use with every view neighbour; NULL when
 * out of memory. */
static gc *engine(struct member *mb)
{
    struct bench *b = mb->b;
    gc_config cfg = {
        .engine = b->sys == SYS_TREE ? GC_TREECAST : GC_PBCAST,
        .gossip_attrs = GC_ATTR_GOSSIP | GC_ATTR_TREE, /* as liborbweb */
        .send = send_record,
        .send_ctx = mb,
        .deliver = on_deliver,
        .gap = on_gap,
        .app_ctx = mb,
        .verify = on_verify,
        .seed = b->o->seed ^ ((uint64_t)mb->idx * 0x9e3779b97f4a7c15u) ^
                (mb->gen << 48)};

    if (mb->e)
        return mb->e;
    if (!mb->timer && !(mb->timer = evtimer_new(b->base, on_round, mb)))
        return NULL;
    if (gc_new(&cfg, now_ms(), &mb->e))
        return NULL;
    mb->gen++;
    for (int i = 0; i < mb->nview; i++)
        gc_neighbour_add(mb->e, (gc_peer)mb->view[i].idx, mb->view[i].attrs);
    return mb->e;
}

/* Leaving the room frees the engine and the view, as liborbweb does. */
static void member_out(struct member *mb)
{
    gc_free(mb->e);
    mb->e = NULL;
    if (mb->timer)
        evtimer_del(mb->timer);
    mb->nview = mb->ring = mb->tree = 0;
}

static void on_record(void *ud, int to, int from, const uint8_t *rec,
                      size_t len)
{
    struct bench *b = ud;
    struct member *mb = &b->m[to];
    gc_record r;

    /* from anyone, as liborbweb (gossip edges are one-way); not for a
     * member out of the room */
    if (!joined(b, to) || gc_wire_decode(rec, len, &r, NULL) || !engine(mb)) {
        b->dropped[len && rec[0] <= GC_SOLICIT ? rec[0] : 0]++;
        return;
    }
    gc_receive(mb->e, (gc_peer)from, &r);
    arm(mb);
}

static void inject(struct member *mb, const char *nick, const char *seq,
                   const char *body, const uint8_t *sig)
{
    uint8_t *p = NULL;
    gc_msg m = {
        .origin = 0, .seq = seq ? strtoull(seq, NULL, 10) : 0, .sig = sig};

    if (!m.seq || !engine(mb) ||
        obi_gc_payload_encode(nick, body, &p, &m.len)) {
        mb->b->dropped[0]++;
        free(p);
        return;
    }
    m.payload = p;
    gc_inject(mb->e, &m);
    free(p);
    arm(mb);
}

/* ---- views ------------------------------------------------------------------
 */

static void count_attrs(struct member *mb, uint32_t attrs, int sign)
{
    mb->ring += sign * !!(attrs & (GC_ATTR_RING_NEXT | GC_ATTR_RING_PREV));
    mb->tree += sign * !!(attrs & GC_ATTR_TREE);
}

static void view_set(struct member *mb, int idx, uint32_t attrs)
{
    struct nb *e = NULL;

    for (int i = 0; i < mb->nview && !e; i++)
        if (mb->view[i].idx == idx)
            e = &mb->view[i];
    if (e) {
        count_attrs(mb, e->attrs, -1);
    } else {
        if (mb->nview == mb->vcap) {
            int cap = mb->vcap ? 2 * mb->vcap : 8;
            struct nb *v = realloc(mb->view, (size_t)cap * sizeof *v);
            if (!v)
                return; /* out of memory: the neighbour stays unknown */
            mb->view = v;
            mb->vcap = cap;
        }
        e = &mb->view[mb->nview++];
        e->idx = idx;
    }
    e->attrs = attrs;
    count_attrs(mb, attrs, 1);
    if (mb->e)
        gc_neighbour_add(mb->e, (gc_peer)idx, attrs);
}

static void view_del(struct member *mb, int idx)
{
    for (int i = 0; i < mb->nview; i++)
        if (mb->view[i].idx == idx) {
            count_attrs(mb, mb->view[i].attrs, -1);
            mb->view[i] = mb->view[--mb->nview];
            if (mb->e)
                gc_neighbour_remove(mb->e, (gc_peer)idx);
            return;
        }
}

/* ---- what members receive --------------------------------------------------
 */

static int nick_index(const struct bench *b, const char *nick)
{
    char *end;
    long i;

    if (!nick || nick[0] != 'm')
        return -1;
    i = strtol(nick + 1, &end, 10);
    return *end || end == nick + 1 || i < 0 || i >= b->npeers ? -1 : (int)i;
}

static void on_presence(struct bench *b, struct member *mb, xmpp_stanza_t *st,
                        const char *nick)
{
    const char *type = xmpp_stanza_get_type(st);
    bool gone = type && !strcmp(type, "unavailable");
    int idx = nick_index(b, nick);
    xmpp_stanza_t *v;

    if (idx < 0 || (type && !gone))
        return;
    if (idx == mb->idx) {
        if (gone)
            member_out(mb);
        else if ((v = xmpp_stanza_get_child_by_name_and_ns(st, "view", OBI_NS)))
            set_key(mb, xmpp_stanza_get_context(st),
                    xmpp_stanza_get_attribute(v, "key"));
    } else if (gone) {
        view_del(mb, idx);
    } else if ((v = xmpp_stanza_get_child_by_name_and_ns(st, "view", OBI_NS))) {
        view_set(mb, idx, obi_gc_attrs(xmpp_stanza_get_attribute(v, "attrs")));
    }
}

/* An injection with the room's signature (sig=, base64), if any. */
static void inject_signed(struct member *mb, const char *nick, xmpp_stanza_t *g,
                          const char *text)
{
    const char *b64 = xmpp_stanza_get_attribute(g, "sig");
    xmpp_ctx_t *ctx = xmpp_stanza_get_context(g);
    unsigned char *sig = NULL;
    size_t len = 0;

    if (b64)
        xmpp_base64_decode_bin(ctx, b64, strlen(b64), &sig, &len);
    inject(mb, nick, xmpp_stanza_get_attribute(g, "seq"), text,
           sig && len == GC_SIG_LEN ? sig : NULL);
    if (sig)
        xmpp_free(ctx, sig);
}

static void on_groupchat(struct bench *b, struct member *mb, xmpp_stanza_t *st,
                         const char *nick)
{
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(st, "body");
    xmpp_stanza_t *g =
        xmpp_stanza_get_child_by_name_and_ns(st, "groupcast", OBI_NS);
    const char *text =
        body ? xmpp_stanza_get_text_ptr(xmpp_stanza_get_children(body)) : NULL;
    const char *mode = g ? xmpp_stanza_get_attribute(g, "mode") : NULL;

    if (!text || xmpp_stanza_get_child_by_name_and_ns(st, "delay", NS_DELAY))
        return; /* not a groupcast, or history */
    if (mode && engines(b))
        inject_signed(mb, nick, g, text);
    else
        delivered(b, mb, text);
}

/* A segment probe: ok when the two members can open a socket pair. */
static void on_probe(struct bench *b, struct member *mb, xmpp_stanza_t *iq,
                     xmpp_stanza_t *probe)
{
    const char *id = xmpp_stanza_get_id(iq), *from = xmpp_stanza_get_from(iq);
    int target = nick_index(b, xmpp_stanza_get_attribute(probe, "nick"));
    char xml[512];

    if (!id || !from || strpbrk(id, "'<&") || strpbrk(from, "'<&") ||
        strlen(id) + strlen(from) > 300)
        return; /* malformed: xmucd's own timeout answers for us */
    snprintf(xml, sizeof xml,
             "<iq type='result' id='%s' to='%s'><probe xmlns='" OBI_NS
             "' ok='%s'/></iq>",
             id, from,
             target >= 0 && bgn_reach(b->net, mb->idx, target) == 0 ? "true"
                                                                    : "false");
    bp_send(peer(b, mb->idx), xml);
}

static void on_stanza(void *ud, bp_peer *p, xmpp_stanza_t *st)
{
    struct bench *b = ud;
    struct member *mb = &b->m[bp_peer_index(p)];
    const char *name = xmpp_stanza_get_name(st);
    const char *type = xmpp_stanza_get_type(st);
    const char *from = xmpp_stanza_get_from(st);
    const char *nick = from && !strncmp(from, b->prefix, b->prefix_len)
                           ? from + b->prefix_len
                           : NULL;
    const char *id = xmpp_stanza_get_id(st);
    xmpp_stanza_t *probe;

    if (!name)
        return;
    if (!strcmp(name, "iq")) {
        if (id && !strcmp(id, CFG_ID))
            b->cfg = type && !strcmp(type, "result") ? 1 : -1;
        else if (type && !strcmp(type, "get") && from &&
                 !strcmp(from, b->room) &&
                 (probe = xmpp_stanza_get_child_by_name_and_ns(st, "probe",
                                                               OBI_NS)))
            on_probe(b, mb, st, probe);
    } else if (!strcmp(name, "presence") && nick && engines(b)) {
        on_presence(b, mb, st, nick);
    } else if (!strcmp(name, "message") && nick && type &&
               !strcmp(type, "groupchat")) {
        on_groupchat(b, mb, st, nick);
    } else if (!strcmp(name, "message") && from && !strcmp(from, b->room) &&
               (probe =
                    xmpp_stanza_get_child_by_name_and_ns(st, "gc", OBI_NS))) {
        /* credentials renewed by the room (the creator got none in its
         * self-presence: the room was still relay then) */
        set_key(mb, xmpp_stanza_get_context(st),
                xmpp_stanza_get_attribute(probe, "key"));
    }
}

/* ---- growing the room
 * -------------------------------------------------------- */

static bool logins_done(void *ud)
{
    struct bench *b = ud;

    return bp_pool_ready(b->pool) + bp_pool_failed(b->pool) >=
           bp_pool_size(b->pool);
}

static bool cfg_answered(void *ud)
{
    return ((struct bench *)ud)->cfg != 0;
}

static bool master_in(void *ud)
{
    enum bp_room s = bp_peer_room(peer(ud, 0));
    return s == BP_ROOM_JOINED || s == BP_ROOM_ERROR;
}

static int join(struct bench *b, int i)
{
    char nick[32];

    snprintf(nick, sizeof nick, "m%d", i);
    return bp_join(peer(b, i), b->room, nick, b->extra[0] ? b->extra : NULL);
}

/* The master creates the room and, in xmucd, sets its groupcast mode. */
static int create_room(struct bench *b)
{
    char xml[1024];

    if (join(b, 0) < 0 || bp_pool_run_until(b->pool, master_in, b, 30000) ||
        !joined(b, 0)) {
        fprintf(stderr, "[%s] the master could not create %s\n", b->name,
                b->room);
        return -1;
    }
    b->next_join = 1;
    if (b->sys == SYS_MUC)
        return 0;
    snprintf(xml, sizeof xml,
             "<iq type='set' id='" CFG_ID
             "' to='%s'><query xmlns='" OBI_NS_MUC_OWNER
             "'><x xmlns='" OBI_NS_DATA "' type='submit'>"
             "<field var='FORM_TYPE'><value>"
             "http://jabber.org/protocol/muc#roomconfig</value></field>"
             "<field var='" OBI_NS "#view_manager'><value>%s</value></field>"
             "<field var='" OBI_NS "#groupcast'><value>%s</value></field>"
             "</x></query></iq>",
             b->room, b->sys == SYS_TAPBCAST ? "tapbcast" : "treegossip",
             short_names[b->sys]);
    b->cfg = 0;
    if (bp_send(peer(b, 0), xml) < 0 ||
        bp_pool_run_until(b->pool, cfg_answered, b, 30000) || b->cfg < 0) {
        fprintf(stderr, "[%s] the room refused groupcast %s\n", b->name,
                short_names[b->sys]);
        return -1;
    }
    return 0;
}

static bool fill_step(void *ud)
{
    struct bench *b = ud;
    int joining = bp_pool_count_room(b->pool, BP_ROOM_JOINING);

    while (b->next_join < b->n && joining < 64)
        joining += join(b, b->next_join++) == 0;
    return bp_pool_count_room(b->pool, BP_ROOM_JOINED) >= b->n ||
           bp_pool_count_room(b->pool, BP_ROOM_ERROR);
}

static int grow(struct bench *b, int n)
{
    double t0 = bench_now_s();

    if (bp_pool_size(b->pool) < n) {
        if (bp_pool_add(b->pool, n - bp_pool_size(b->pool)) < 0)
            return -1;
        bp_pool_run_until(b->pool, logins_done, b, 0);
        if (bp_pool_failed(b->pool)) {
            fprintf(stderr, "[%s] %d logins failed: %s\n", b->name,
                    bp_pool_failed(b->pool), bp_pool_last_error(b->pool));
            return -1;
        }
    }
    if (b->next_join == 0 && create_room(b) < 0)
        return -1;
    b->n = n;
    if (bp_pool_run_until(b->pool, fill_step, b, 600000) ||
        bp_pool_count_room(b->pool, BP_ROOM_ERROR)) {
        fprintf(stderr, "[%s] %d members could not join\n", b->name, n);
        return -1;
    }
    fprintf(stderr, "[%s] %d members in %.1f s\n", b->name, n,
            bench_now_s() - t0);
    return 0;
}

/* tapbcast: one segment (no ring edges, every member on the tree). */
static bool converged(void *ud)
{
    struct bench *b = ud;
    int ring = 0, bare = 0;

    for (int i = 0; i < b->n; i++) {
        ring += b->m[i].ring;
        bare += !b->m[i].tree;
    }
    if (bench_now_s() - b->last_report >= 10) {
        b->last_report = bench_now_s();
        fprintf(stderr,
                "[%s] converging: %d ring edges, %d members off the "
                "tree (%.0f s)\n",
                b->name, ring, bare, b->last_report - b->t0);
    }
    return !ring && (!bare || b->n < 2);
}

/* ---- points
 * ------------------------------------------------------------------- */

static int send_one(struct bench *b)
{
    char body[PAYLOAD + 1], xml[PAYLOAD + 256];
    uint64_t t = now_ns();
    int len = snprintf(body, sizeof body, "gcb %d %d %" PRIu64 " ", b->point,
                       b->sent, t);

    memset(body + len, 'x', (size_t)(PAYLOAD - len));
    body[PAYLOAD] = '\0';
    snprintf(xml, sizeof xml,
             "<message type='groupchat' to='%s'><body>%s"
             "</body></message>",
             b->room, body);
    if (bp_send(peer(b, 0), xml) < 0)
        return -1;
    b->sent_at[b->sent++] = bench_now_s();
    b->last_send = bench_now_s();
    return 0;
}

static void start_point(struct bench *b, enum kind k, int count, bool measure)
{
    b->point++;
    b->kind = k;
    b->count = count < b->cap ? count : b->cap;
    b->sent = b->ncomplete = 0;
    b->measuring = measure;
    memset(b->got, 0, b->row * (size_t)b->npeers);
    memset(b->got_n, 0, (size_t)b->cap * sizeof *b->got_n);
    memset(b->done_at, 0, (size_t)b->cap * sizeof *b->done_at);
    b->nlat = 0;
    b->dups = b->gaps = b->stable_got = 0;
    b->nstable = 0;
    for (int i = 0; i < b->n; i++) {
        struct member *mb = &b->m[i];
        mb->stable = !mb->in_churn;
        mb->churned = false;
        b->nstable += mb->stable;
    }
    b->t0 = b->last_report = b->last_send = bench_now_s();
}

/* Flood: seq s is complete at 99% of the members or after the timeout. */
static void flood_progress(struct bench *b, double t)
{
    int need = (int)ceil(0.99 * b->n);

    for (int s = 0; s < b->sent; s++)
        if (!b->done_at[s] && (b->got_n[s] >= need ||
                               t - b->sent_at[s] >= b->o->flood_timeout_s)) {
            b->done_at[s] = t;
            b->ncomplete++;
        }
}

/* Volatile: a churned member is offline for off_s from its phase, then
 * online for off_s, and so on, while groupcasts are being sent. */
static void churn_step(struct bench *b, double el)
{
    double off = b->o->off_s;

    for (int i = 1; i < b->n; i++) {
        struct member *mb = &b->m[i];
        bool online;
        enum bp_room s;
        if (!mb->in_churn)
            continue;
        online = el < mb->phase || ((long)((el - mb->phase) / off)) % 2;
        s = bp_peer_room(peer(b, i));
        if (!online && s == BP_ROOM_JOINED) {
            member_out(mb);
            bp_leave(peer(b, i));
            mb->churned = true;
        } else if (online && s == BP_ROOM_NONE) {
            join(b, i);
        }
    }
}

static bool all_stable_got_all(const struct bench *b)
{
    return b->stable_got >= (uint64_t)b->nstable * (uint64_t)b->sent;
}

static bool point_step(void *ud)
{
    struct bench *b = ud;
    double t = bench_now_s(), el = t - b->t0;

    if (b->kind == K_FLOOD) {
        flood_progress(b, t);
        while (b->sent < b->count && b->sent - b->ncomplete < b->o->window)
            if (send_one(b) < 0)
                return true;
    } else {
        while (b->sent < b->count && el * b->o->rate >= b->sent)
            if (send_one(b) < 0)
                return true;
    }
    if (b->kind == K_VOLATILE && b->sent < b->count)
        churn_step(b, el);
    if (b->sent < b->count)
        return false;
    if (!b->measuring) /* warm-up: until everyone delivered one */
        return true;
    return all_stable_got_all(b) || t - b->last_send >= b->o->drain_s;
}

static bool warm_step(void *ud)
{
    struct bench *b = ud;
    int behind = 0;

    for (int i = 0; i < b->n; i++)
        behind += b->m[i].seen_point != b->point;
    if (!behind || b->sent >= b->count)
        return true;
    point_step(b);
    return false;
}

static bool elapsed(void *ud)
{
    return bench_now_s() >= *(double *)ud;
}

/* Server-side CPU per second with members in the room and no groupcast
 * (timers, probes, keep-alives): what every point pays besides its
 * groupcasts. */
static double idle_cpu(struct bench *b, double seconds)
{
    double t0 = bench_now_s(), end = t0 + seconds;
    double c0 =
        bench_sched_ms(b->bs.server_pid) + bench_sched_ms(b->bs.xmucd_pid);

    bp_pool_run_until(b->pool, elapsed, &end, 0);
    return (bench_sched_ms(b->bs.server_pid) + bench_sched_ms(b->bs.xmucd_pid) -
            c0) /
           (bench_now_s() - t0);
}

/* Runs one measured point; fills res. */
static void measure(struct bench *b, enum kind k, int count, struct result *res)
{
    double s0 = bench_sched_ms(b->bs.server_pid),
           x0 = bench_sched_ms(b->bs.xmucd_pid);
    struct bp_counters c0 = bp_pool_counters(b->pool), c1;
    double end, last_done = 0;

    start_point(b, k, count, true);
    bp_pool_run_until(b->pool, point_step, b, 0);
    end = bench_now_s();
    c1 = bp_pool_counters(b->pool);
    res->n = b->n;
    res->sent = b->sent;
    res->stable = b->nstable;
    res->server_ms = (bench_sched_ms(b->bs.server_pid) - s0) / b->sent;
    res->xmucd_ms = (bench_sched_ms(b->bs.xmucd_pid) - x0) / b->sent;
    res->kb = (double)(c1.bytes - c0.bytes) / 1024.0 / b->sent;
    res->stanzas = (double)(c1.stanzas - c0.stanzas) / b->sent;
    res->p50 = bench_percentile(b->lat, b->nlat, 0.5);
    res->p99 = bench_percentile(b->lat, b->nlat, 0.99);
    res->ratio =
        b->nstable ? (double)b->stable_got / ((double)b->nstable * b->sent) : 0;
    res->dups = b->dups;
    res->gaps = b->gaps;
    for (int s = 0; s < b->sent; s++)
        if (b->done_at[s] > last_done)
            last_done = b->done_at[s];
    res->gps = b->sent /
               ((k == K_FLOOD && last_done > b->t0 ? last_done : end) - b->t0);
    res->done = true;
}

static bool all_back(void *ud)
{
    struct bench *b = ud;

    for (int i = 0; i < b->n; i++)
        if (bp_peer_room(peer(b, i)) == BP_ROOM_NONE)
            join(b, i);
    return bp_pool_count_room(b->pool, BP_ROOM_JOINED) >= b->n ||
           bp_pool_count_room(b->pool, BP_ROOM_ERROR);
}

static void pick_churn(struct bench *b)
{
    int k = (b->n - 1 + 4) / 8; /* 12.5% of the members, never the master */

    for (int i = 0; i < b->n; i++)
        b->m[i].in_churn = false;
    for (int c = 0; c < k;) {
        int i = 1 + (int)(rnd(b) % (uint64_t)(b->n - 1));
        if (b->m[i].in_churn)
            continue;
        b->m[i].in_churn = true;
        b->m[i].phase = (double)(rnd(b) % 1000000u) / 1e6 *
                        (b->o->off_s < b->o->vol_s ? b->o->off_s : b->o->vol_s);
        c++;
    }
}

/* ---- report
 * --------------------------------------------------------------------- */

static void print_point(const struct opts *o, const char *sys, enum kind k,
                        const struct result *r)
{
    if (o->json) {
        printf("{\"system\":\"%s\",\"n\":%d,\"volatile\":%s,\"flood\":%s,"
               "\"groupcasts\":%d,\"server_cpu_ms_per_msg\":%.3f,"
               "\"xmpp_server_cpu_ms_per_msg\":%.3f,"
               "\"xmucd_cpu_ms_per_msg\":%.3f,\"server_kb_per_msg\":%.3f,"
               "\"server_stanzas_per_msg\":%.2f,\"latency_ms_p50\":%.3f,"
               "\"latency_ms_p99\":%.3f,\"delivery_ratio\":%.6f,"
               "\"stable_members\":%d,\"duplicates\":%" PRIu64 ","
               "\"gaps\":%" PRIu64 ",\"groupcasts_per_s\":%.2f,"
               "\"convergence_s\":%.1f,\"idle_cpu_ms_per_s\":%.2f,"
               "\"machine\":\"%s\"}\n",
               sys, r->n, k == K_VOLATILE ? "true" : "false",
               k == K_FLOOD ? "true" : "false", r->sent,
               r->server_ms + r->xmucd_ms, r->server_ms, r->xmucd_ms, r->kb,
               r->stanzas, r->p50, r->p99, r->ratio, r->stable, r->dups,
               r->gaps, r->gps, r->conv_s, r->idle_ms_per_s, o->machine);
    } else {
        char idle[16] = "-";
        if (k == K_STATIC)
            snprintf(idle, sizeof idle, "%.2f", r->idle_ms_per_s);
        printf("%-15s %5d %-8s %5d %9.2f %9.2f %9.2f %8.2f %8.1f %8.2f %8.2f "
               "%9.5f %4" PRIu64 " %5" PRIu64 " %7.1f %7s\n",
               sys, r->n, kind_name[k], r->sent, r->server_ms, r->xmucd_ms,
               r->server_ms + r->xmucd_ms, r->kb, r->stanzas, r->p50, r->p99,
               r->ratio, r->dups, r->gaps, r->gps, idle);
    }
    fflush(stdout);
}

/* ---- one system
 * ------------------------------------------------------------------- */

static int alloc_points(struct bench *b)
{
    b->m = calloc((size_t)b->npeers, sizeof *b->m);
    b->row = (size_t)(b->cap + 7) / 8;
    b->got = calloc((size_t)b->npeers, b->row);
    b->got_n = calloc((size_t)b->cap, sizeof *b->got_n);
    b->sent_at = calloc((size_t)b->cap, sizeof *b->sent_at);
    b->done_at = calloc((size_t)b->cap, sizeof *b->done_at);
    if (!b->m || !b->got || !b->got_n || !b->sent_at || !b->done_at)
        return -1;
    for (int i = 0; i < b->npeers; i++)
        b->m[i] = (struct member){.b = b, .idx = i, .seen_point = -1};
    return 0;
}

static void free_points(struct bench *b)
{
    for (int i = 0; b->m && i < b->npeers; i++) {
        gc_free(b->m[i].e);
        gc_sig_key_free(b->m[i].key);
        if (b->m[i].timer)
            event_free(b->m[i].timer);
        free(b->m[i].view);
    }
    free(b->m);
    free(b->got);
    free(b->got_n);
    free(b->sent_at);
    free(b->done_at);
    free(b->lat);
}

/* The points at one size: settle, warm up, static, flood, volatile. */
static int run_size(struct bench *b, int si, bool largest,
                    struct result res[][NKIND])
{
    const struct opts *o = b->o;
    double conv = 0, idle;

    if (b->sys == SYS_TAPBCAST) {
        b->t0 = b->last_report = bench_now_s();
        if (bp_pool_run_until(b->pool, converged, b,
                              (int)(o->converge_s * 1000)) == 0)
            conv = bench_now_s() - b->t0;
        else
            conv = -1;
        fprintf(stderr, "[%s] %d members: %s after %.1f s\n", b->name, b->n,
                conv >= 0 ? "one segment" : "NOT converged",
                bench_now_s() - b->t0);
    }
    start_point(b, K_STATIC, (int)(o->rate * (o->quick ? 15 : 30)), false);
    bp_pool_run_until(b->pool, warm_step, b, 0);
    idle = idle_cpu(b, o->quick ? 1 : 5);
    measure(b, K_STATIC, o->count, &res[si][K_STATIC]);
    res[si][K_STATIC].idle_ms_per_s = idle;
    res[si][K_STATIC].conv_s = conv;
    print_point(o, b->name, K_STATIC, &res[si][K_STATIC]);
    if (largest && o->flood) {
        measure(b, K_FLOOD, 2 * o->count, &res[si][K_FLOOD]);
        res[si][K_FLOOD].conv_s = conv;
        print_point(o, b->name, K_FLOOD, &res[si][K_FLOOD]);
    }
    if (o->vol && (!o->quick || largest) && b->n >= 8) {
        pick_churn(b);
        measure(b, K_VOLATILE, (int)(o->rate * o->vol_s + 0.5),
                &res[si][K_VOLATILE]);
        res[si][K_VOLATILE].conv_s = conv;
        print_point(o, b->name, K_VOLATILE, &res[si][K_VOLATILE]);
        for (int i = 0; i < b->n; i++)
            b->m[i].in_churn = false;
        bp_pool_run_until(b->pool, all_back, b, 120000);
    }
    return 0;
}

static int run_system(const struct opts *o, enum sys sys, long nofile,
                      struct event_base *base, struct result res[][NKIND])
{
    struct bench b = {.o = o,
                      .sys = sys,
                      .name = sys_name(o, sys),
                      .base = base,
                      .rng = o->seed ^ (0x51ed27u * (sys + 1))};
    int top = 0, rc = 0;

    for (int i = 0; i < o->nsizes; i++)
        if (o->sizes[i] <= o->max_n && o->sizes[i] > top)
            top = o->sizes[i];
    b.npeers = top;
    b.cap = (int)(o->rate * (o->vol_s + 30)) + 2 * o->count + 16;
    if (bench_system_start(&b.bs, o->server, sys != SYS_MUC, b.name) < 0)
        return -1;
    snprintf(b.room, sizeof b.room, "fig18@%s",
             sys == SYS_MUC ? hs_server_muc(b.bs.srv)
                            : hs_server_component(b.bs.srv));
    snprintf(b.prefix, sizeof b.prefix, "%s/", b.room);
    b.prefix_len = strlen(b.prefix);
    if (sys != SYS_MUC)
        snprintf(b.extra, sizeof b.extra,
                 "<join xmlns='" OBI_NS "' manager='%s'/>",
                 sys == SYS_TAPBCAST ? "tapbcast" : "treegossip");
    /* each member holds at most this many socket pairs (2 descriptors
     * each), so the pairs fit beside the XMPP sockets */
    int per_peer = (int)((nofile - top - 256) / (top > 0 ? top : 1));
    bp_pool_new(base,
                &(struct bp_config){.host = hs_server_host(b.bs.srv),
                                    .port = hs_server_c2s_port(b.bs.srv),
                                    .domain = hs_server_anon_domain(b.bs.srv)},
                &b.pool);
    bgn_new(base, top, per_peer < 32 ? per_peer : 32, on_record, &b, &b.net);
    if (!b.pool || !b.net || alloc_points(&b) < 0 || per_peer < 4) {
        fprintf(stderr, "[%s] out of memory or descriptors\n", b.name);
        rc = -1;
        goto out;
    }
    bp_pool_set_stanza_hook(b.pool, on_stanza, &b);
    for (int i = 0; i < o->nsizes && rc == 0; i++) {
        if (o->sizes[i] > o->max_n)
            continue;
        if (grow(&b, o->sizes[i]) < 0)
            rc = -1;
        else
            rc = run_size(&b, i, o->sizes[i] == top, res);
    }
    if (b.net) {
        struct bgn_stats s = bgn_get_stats(b.net);
        fprintf(stderr,
                "[%s] socket pairs: %" PRIu64 " opened, %" PRIu64
                " closed to stay within %d per member, %" PRIu64
                " over; %" PRIu64 " records, %" PRIu64 " failed\n",
                b.name, s.opened, s.evicted, per_peer < 32 ? per_peer : 32,
                s.over, s.records, s.failed);
        fprintf(stderr,
                "[%s] records sent: %" PRIu64 " messages, %" PRIu64
                " digests, %" PRIu64 " solicits; refused by their "
                "receiver (sender not in its view, or receiver not "
                "in the room): %" PRIu64 ", %" PRIu64 ", %" PRIu64 "; %" PRIu64
                " undecodable or not injected\n",
                b.name, b.sent_kind[GC_MSG], b.sent_kind[GC_DIGEST],
                b.sent_kind[GC_SOLICIT], b.dropped[GC_MSG],
                b.dropped[GC_DIGEST], b.dropped[GC_SOLICIT], b.dropped[0]);
        fprintf(stderr,
                "[%s] signatures: %" PRIu64 " verified, %" PRIu64
                " refused by the members, %.1f us of CPU each "
                "(%.2f s in all)\n",
                b.name, b.verified, b.unverified,
                b.verified + b.unverified
                    ? b.verify_s * 1e6 / (double)(b.verified + b.unverified)
                    : 0.0,
                b.verify_s);
    }
out:
    /* freeing the pool runs the loop (its goodbyes): first nothing of
     * ours may be called back any more */
    if (b.pool)
        bp_pool_set_stanza_hook(b.pool, NULL, NULL);
    bgn_free(b.net);
    free_points(&b);
    bp_pool_free(b.pool);
    bench_system_stop(&b.bs);
    fprintf(stderr, "[%s] done\n", b.name);
    return rc;
}

/* ---- goals
 * -------------------------------------------------------------------- */

static double side(const struct result *r)
{
    return r->server_ms + r->xmucd_ms;
}

static void goals(const struct opts *o,
                  struct result res[NSYS][MAX_SIZES][NKIND])
{
    const char *anchor = sys_name(o, SYS_MUC);
    int ns[MAX_SIZES], from, to, big = -1;
    double v[MAX_SIZES], flat_ratio, cheaper = 0, worst = 2;
    bool have[MAX_SIZES], flat;

    for (int i = 0; i < o->nsizes; i++) {
        ns[i] = o->sizes[i];
        have[i] = res[SYS_TAPBCAST][i][K_STATIC].done;
        v[i] = side(&res[SYS_TAPBCAST][i][K_STATIC]);
        if (have[i] && res[SYS_MUC][i][K_STATIC].done &&
            (big < 0 || ns[i] > ns[big]))
            big = i;
        for (int k = K_STATIC; k <= K_VOLATILE; k++)
            if (res[SYS_TAPBCAST][i][k].done &&
                res[SYS_TAPBCAST][i][k].ratio < worst)
                worst = res[SYS_TAPBCAST][i][k].ratio;
    }
    flat =
        bench_flat(ns, v, have, (size_t)o->nsizes, 64, &flat_ratio, &from, &to);
    if (big >= 0 && v[big] > 0)
        cheaper = side(&res[SYS_MUC][big][K_STATIC]) / v[big];
    if (o->json) {
        printf("{\"summary\":{\"anchor\":\"%s\",\"machine\":\"%s\","
               "\"tapbcast_flat_from\":%d,\"tapbcast_flat_to\":%d,"
               "\"tapbcast_flat_ratio\":%.2f,\"flat\":%s,"
               "\"cheaper_at_n\":%d,\"anchor_over_tapbcast\":%.1f,"
               "\"tapbcast_min_delivery\":%.6f}}\n",
               anchor, o->machine, from, to, flat_ratio,
               flat ? "true" : "false", big >= 0 ? ns[big] : 0, cheaper,
               worst <= 1 ? worst : 0);
        return;
    }
    if (from && to > from)
        printf("goal: ta-pbcast server-side CPU flat (within 2x) from %d to "
               "%d: max/min %.2f, %s\n",
               from, to, flat_ratio, flat ? "met" : "NOT met");
    if (big >= 0)
        printf("goal: ta-pbcast >= 100x cheaper than %s at %d: %.0fx, %s\n",
               anchor, ns[big], cheaper, cheaper >= 100 ? "met" : "NOT met");
    if (worst <= 1)
        printf("goal: ta-pbcast delivery >= 99.99%% to stable members (no "
               "loss injected here; 5%% loss is the simulator's): lowest "
               "%.5f%%, %s\n",
               100 * worst, worst >= 0.9999 ? "met" : "NOT met");
}

/* ---- options
 * -------------------------------------------------------------------- */

static int usage(FILE *f, int rc)
{
    fprintf(
        f,
        "usage: orbweb bench groupcast [--json] [--server prosody|ejabberd]\n"
        "         [--sizes N,N,...] [--max-n N] [--count C] [--rate R]\n"
        "         [--systems muc,relay,tree,pbcast,tapbcast] [--no-volatile]\n"
        "         [--no-flood] [--volatile-seconds S] [--seed S] [--quick]\n"
        "         [--no-sim | --sim-only]\n"
        "  Fig. 18 of the Orbweb paper: a master groupcasts 256-byte payloads\n"
        "  R times a second (default 5) into rooms of N real peers (default\n"
        "  16,64,256,640,1000); per groupcast: server-side CPU (server +\n"
        "  xmucd), KB and stanzas the server delivered, latency p50/p99,\n"
        "  delivery to stable members.  Static points send C groupcasts\n"
        "  (default 100); volatile points (12.5%% of the members 30 s off,\n"
        "  30 s on) last S seconds (default 60); a flood point at the largest\n"
        "  N sends 2C as fast as a window of 8 allows.  Systems (default\n"
        "  muc,relay,tree,tapbcast): the server's own MUC and xmucd rooms.\n"
        "  Then the simulator's rows (16 to 10,000 members, 5%% loss on peer\n"
        "  links; up to 256 with --quick), unless --no-sim; --sim-only runs\n"
        "  only those.\n");
    return rc;
}

static int parse_sizes(const char *v, struct opts *o)
{
    char *end;

    o->nsizes = 0;
    while (*v && o->nsizes < MAX_SIZES) {
        long n = strtol(v, &end, 10);
        if (end == v || n < 2 || n > 100000 || (*end && *end != ','))
            return -1;
        o->sizes[o->nsizes++] = (int)n;
        v = *end ? end + 1 : end;
    }
    return o->nsizes ? 0 : -1;
}

static int parse_systems(const char *v, struct opts *o)
{
    for (int s = 0; s < NSYS; s++)
        o->run[s] = false;
    while (*v) {
        size_t len = strcspn(v, ",");
        bool found = false;
        for (int s = 0; s < NSYS; s++)
            if (strlen(short_names[s]) == len &&
                !strncmp(v, short_names[s], len))
                found = o->run[s] = true;
        if (!found)
            return -1;
        v += len + (v[len] == ',');
    }
    return 0;
}

/* An option with a value; false when unknown or out of range. */
static bool value_opt(const char *a, const char *v, struct opts *o)
{
    if (!strcmp(a, "--server"))
        return hs_kind_parse(v, &o->server) == 0;
    if (!strcmp(a, "--sizes"))
        return parse_sizes(v, o) == 0;
    if (!strcmp(a, "--systems"))
        return parse_systems(v, o) == 0;
    if (!strcmp(a, "--max-n"))
        return (o->max_n = atoi(v)) > 1;
    if (!strcmp(a, "--count"))
        return (o->count = atoi(v)) > 0 && o->count <= 100000;
    if (!strcmp(a, "--rate"))
        return (o->rate = atof(v)) > 0 && o->rate <= 10000;
    if (!strcmp(a, "--volatile-seconds"))
        return (o->vol_s = atof(v)) > 0 && o->vol_s <= 3600;
    if (!strcmp(a, "--seed")) {
        o->seed = strtoull(v, NULL, 0);
        return true;
    }
    return false;
}

/* 0 to run, 1 after --help, 2 on a bad command line. */
static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--quick"))
            o->quick = true;
        else if (!strcmp(a, "--no-volatile"))
            o->vol = false;
        else if (!strcmp(a, "--no-flood"))
            o->flood = false;
        else if (!strcmp(a, "--no-sim"))
            o->sim = false;
        else if (!strcmp(a, "--sim-only"))
            o->real = false;
        else if (!strcmp(a, "--help"))
            return usage(stdout, 1);
        else if (i + 1 >= argc || !value_opt(a, argv[i + 1], o))
            return usage(stderr, 2);
        else
            i++;
    }
    return 0;
}

int bench_groupcast(int argc, char **argv)
{
    struct opts o = {.server = HS_PROSODY,
                     .vol = true,
                     .flood = true,
                     .sim = true,
                     .real = true,
                     .run = {[SYS_TAPBCAST] = true,
                             [SYS_TREE] = true,
                             [SYS_RELAY] = true,
                             [SYS_MUC] = true},
                     .sizes = {16, 64, 256, 640, 1000},
                     .nsizes = 5,
                     .max_n = 100000,
                     .count = 100,
                     .window = 8,
                     .rate = 5,
                     .off_s = 30,
                     .vol_s = 60,
                     .drain_s = 6,
                     .flood_timeout_s = 2,
                     .converge_s = 900};
    static struct result res[NSYS][MAX_SIZES][NKIND];
    static const enum sys order[NSYS] = {SYS_TAPBCAST, SYS_TREE, SYS_PBCAST,
                                         SYS_RELAY, SYS_MUC};
    char machine[256];
    struct event_base *base;
    const char *env = getenv("BENCH_GC_SEED");
    long nofile;
    int rc;

    o.seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    if ((rc = parse(argc, argv, &o)))
        return rc == 1 ? 0 : rc;
    if (o.quick) {
        o.nsizes = 2;
        o.sizes[0] = 16;
        o.sizes[1] = 64;
        if (o.count == 100)
            o.count = 10;
        o.off_s = 2;
        o.vol_s = 4;
        o.converge_s = 120;
    }
    if ((nofile = bp_raise_nofile()) < 0) {
        perror("bench groupcast: RLIMIT_NOFILE");
        return 1;
    }
    bench_machine(machine, sizeof machine);
    o.machine = machine;
    if (!(base = event_base_new()))
        return 1;
    fprintf(stderr, "bench groupcast: seed %" PRIu64 " (BENCH_GC_SEED)\n",
            o.seed);
    if (!o.json && o.real) {
        bench_print_machine(stdout);
        printf("server: %s; %d-byte payloads at %.1f/s; %d groupcasts per "
               "static point; volatile: 12.5%% of members %.0f s off / %.0f s "
               "on for %.0f s; seed %" PRIu64 "\n",
               hs_kind_name(o.server), PAYLOAD, o.rate, o.count, o.off_s,
               o.off_s, o.vol_s, o.seed);
        printf("%-15s %5s %-8s %5s %9s %9s %9s %8s %8s %8s %8s %9s %4s %5s "
               "%7s %7s\n",
               "system", "n", "point", "gcs", "server", "xmucd", "side", "KB",
               "stanzas", "p50", "p99", "delivery", "dups", "gaps", "gc/s",
               "idle");
        printf("%-15s %5s %-8s %5s %9s %9s %9s %8s %8s %8s %8s %9s %4s %5s "
               "%7s %7s\n",
               "", "", "", "", "ms/gc", "ms/gc", "ms/gc", "/gc", "/gc", "ms",
               "ms", "stable", "", "", "", "ms/s");
    }
    rc = 0;
    for (int k = 0; k < NSYS && rc == 0 && o.real; k++)
        if (o.run[order[k]] &&
            run_system(&o, order[k], nofile, base, res[order[k]]) < 0)
            rc = 1;
    if (o.real)
        goals(&o, res);
    event_base_free(base);
    if (o.sim && bench_gcsim(stdout, o.json, o.quick, o.seed))
        rc = 1;
    return rc;
}
