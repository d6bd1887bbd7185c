/* test_gc.c -- the groupcast engines on exact small scenarios: the wire
 * codec (round trips, hostile inputs), tree forwarding and duplicate
 * suppression, FIFO hold and release, gap reports, digest, solicit and
 * retransmission limits, buffer expiry and bounds, re-entrancy, the
 * ta-pbcast neighbour attributes, and failure of the Nth allocation. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

#define CAP 256

struct sent {
    gc_peer to;
    gc_record r;
    uint8_t payload[16];
};

struct cap {
    struct sent sent[CAP];
    size_t nsent;
    uint64_t deliv[CAP]; /* origin << 32 | seq */
    size_t ndeliv;
    uint64_t gaps[CAP][2];
    size_t ngaps;
    gc *reenter; /* deliver calls gc_tick on it */
    int reenter_rc;
};

static struct cap C;

static int cap_send(void *ctx, gc_peer to, const gc_record *r)
{
    struct cap *c = ctx;
    struct sent *s = &c->sent[c->nsent++];

    cr_assert_leq(c->nsent, CAP);
    s->to = to;
    s->r = *r;
    if (r->kind == GC_MSG) {
        cr_assert_leq(r->msg.len, sizeof s->payload);
        if (r->msg.len)
            memcpy(s->payload, r->msg.payload, r->msg.len);
        s->r.msg.payload = s->payload;
    }
    return 0;
}

static void cap_deliver(void *ctx, uint32_t origin, uint64_t seq,
                        const uint8_t *payload, size_t len)
{
    struct cap *c = ctx;

    cr_assert_eq(len, 1);
    cr_assert_eq(payload[0], (uint8_t)seq);
    c->deliv[c->ndeliv++] = (uint64_t)origin << 32 | seq;
    if (c->reenter)
        c->reenter_rc = gc_tick(c->reenter, UINT64_MAX);
}

static void cap_gap(void *ctx, uint32_t origin, uint64_t first, uint64_t last)
{
    struct cap *c = ctx;

    (void)origin;
    c->gaps[c->ngaps][0] = first;
    c->gaps[c->ngaps++][1] = last;
}

static gc_config config(enum gc_engine engine)
{
    return (gc_config){.engine = engine,
                       .rounds = 3,
                       .seed = 7,
                       .send = cap_send,
                       .send_ctx = &C,
                       .deliver = cap_deliver,
                       .gap = cap_gap,
                       .app_ctx = &C};
}

static gc *make_cfg(const gc_config *cfg)
{
    gc *e = NULL;

    memset(&C, 0, sizeof C);
    cr_assert_eq(gc_new(cfg, 0, &e), GC_OK);
    return e;
}

static gc *make(enum gc_engine engine)
{
    gc_config cfg = config(engine);

    return make_cfg(&cfg);
}

/* The payload of seq n is one byte, n. */
static uint8_t bytes[256];

__attribute__((constructor)) static void init_bytes(void)
{
    for (int i = 0; i < 256; i++)
        bytes[i] = (uint8_t)i;
}

static gc_record msg(uint32_t origin, uint64_t seq, uint8_t flags)
{
    return (gc_record){.kind = GC_MSG,
                       .msg = {origin, seq, flags, &bytes[seq & 0xff], 1}};
}

static void recv_msg(gc *e, gc_peer from, uint64_t seq)
{
    gc_record r = msg(9, seq, 0);

    cr_assert_eq(gc_receive(e, from, &r), GC_OK);
}

static void rounds(gc *e, int k)
{
    while (k--)
        cr_assert_eq(gc_tick(e, gc_next_round(e)), GC_OK);
}

static void expect_delivered(const uint64_t *seqs, size_t n)
{
    cr_assert_eq(C.ndeliv, n, "delivered %zu, expected %zu", C.ndeliv, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(C.deliv[i], (uint64_t)9 << 32 | seqs[i], "at %zu", i);
}

static gc_stats stats(const gc *e)
{
    gc_stats s;

    gc_get_stats(e, &s);
    return s;
}

/* ---- Wire ---- */

static void roundtrip(const gc_record *in, gc_record *out)
{
    uint8_t buf[GC_WIRE_MAX];
    size_t len, off;

    cr_assert_eq(gc_wire_encode(in, buf, sizeof buf, &len), GC_OK);
    cr_assert_eq(gc_wire_decode(buf, len, out, &off), GC_OK);
    cr_assert_eq(off, len);
    for (size_t cut = 0; cut < len; cut++)
        cr_assert_neq(gc_wire_decode(buf, cut, out, NULL), GC_OK, "cut %zu",
                      cut);
    cr_assert_eq(gc_wire_decode(buf, len, out, NULL), GC_OK);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(gc_wire, .timeout = 300);

Test(gc_wire, message_roundtrip)
{
    gc_record in = msg(70000, 300, GC_FLAG_RETRANS), out;

    roundtrip(&in, &out);
    cr_assert_eq(out.kind, GC_MSG);
    cr_assert_eq(out.msg.origin, 70000);
    cr_assert_eq(out.msg.seq, 300);
    cr_assert_eq(out.msg.flags, GC_FLAG_RETRANS);
    cr_assert_eq(out.msg.len, 1);
    cr_assert_eq(out.msg.payload[0], 300 & 0xff);
}

/* A signed record carries its 64 bytes after the payload; the flag is
 * the encoder's to set, and a truncated signature does not decode
 * (roundtrip cuts every byte). */
Test(gc_wire, signed_message_roundtrip)
{
    uint8_t sig[GC_SIG_LEN];
    gc_record in = msg(0, 42, GC_FLAG_RETRANS), out;

    for (unsigned i = 0; i < GC_SIG_LEN; i++)
        sig[i] = (uint8_t)(i * 7);
    in.msg.sig = sig;
    roundtrip(&in, &out);
    cr_assert_eq(out.msg.flags, GC_FLAG_RETRANS | GC_FLAG_SIGNED);
    cr_assert_not_null(out.msg.sig);
    cr_assert_eq(memcmp(out.msg.sig, sig, GC_SIG_LEN), 0);
    in.msg.sig = NULL;
    in.msg.flags = GC_FLAG_SIGNED; /* no signature: the flag is dropped */
    roundtrip(&in, &out);
    cr_assert_eq(out.msg.flags, 0);
    cr_assert_null(out.msg.sig);
}

Test(gc_wire, digest_roundtrip)
{
    gc_record in = {.kind = GC_SOLICIT}, out;
    gc_ranges *g = &in.ranges;

    g->round = 12;
    g->norigins = 2;
    g->nranges = 3;
    g->origins[0] = (struct gc_origin_ranges){5, 1000, 0, 2};
    g->origins[1] = (struct gc_origin_ranges){6, 0, 2, 1};
    g->ranges[0] = (gc_range){10, 12};
    g->ranges[1] = (gc_range){1, 1};
    g->ranges[2] = (gc_range){UINT64_MAX - 1, UINT64_MAX};
    roundtrip(&in, &out);
    cr_assert_eq(out.kind, GC_SOLICIT);
    cr_assert_eq(out.ranges.round, 12);
    cr_assert_eq(out.ranges.norigins, 2);
    cr_assert_eq(out.ranges.nranges, 3);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(out.ranges.origins[i].origin, g->origins[i].origin);
        cr_assert_eq(out.ranges.origins[i].next, g->origins[i].next);
        cr_assert_eq(out.ranges.origins[i].first, g->origins[i].first);
        cr_assert_eq(out.ranges.origins[i].count, g->origins[i].count);
    }
    cr_assert_eq(memcmp(out.ranges.ranges, g->ranges, 3 * sizeof *g->ranges),
                 0);
}

struct bad {
    const char *name;
    const uint8_t *b;
    size_t n;
    int rc;
};

#define BAD(name, rc, ...)                                                     \
    {                                                                          \
        name, (const uint8_t[]){__VA_ARGS__},                                  \
            sizeof((uint8_t[]){__VA_ARGS__}), rc                               \
    }

static const struct bad bads[] = {
    BAD("kind 0", GC_EDECODE, 0),
    BAD("kind 4", GC_ELIMIT, 4),
    BAD("seq 0", GC_EDECODE, 1, 0, 1, 0, 0),
    BAD("payload past end", GC_EDECODE, 1, 0, 1, 1, 2, 'x'),
    BAD("trailing byte", GC_EDECODE, 1, 0, 1, 1, 0, 0),
    BAD("flags over a byte", GC_ELIMIT, 1, 0x80, 2, 1, 1, 0),
    BAD("payload over the limit", GC_ELIMIT, 1, 0, 1, 1, 0x81, 0x80, 0x04),
    BAD("varint of 11 bytes", GC_EDECODE, 1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0),
    BAD("varint not minimal", GC_EDECODE, 1, 0, 1, 0x81, 0x00, 0),
    BAD("varint over 64 bits", GC_EDECODE, 1, 0, 1, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0),
    BAD("origin over 32 bits", GC_ELIMIT, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 1,
        0),
    BAD("65 origins", GC_ELIMIT, 2, 0, 65),
    BAD("range lo 0", GC_EDECODE, 2, 0, 1, 5, 1, 1, 0, 0),
    BAD("range wraps", GC_EDECODE, 2, 0, 1, 5, 1, 1, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1),
    BAD("257 ranges", GC_ELIMIT, 3, 0, 1, 5, 0, 0x81, 0x02),
    BAD("origins missing", GC_EDECODE, 2, 0, 2, 5, 1, 0),
    BAD("signature short", GC_EDECODE, 1, 2, 0, 1, 1, 'x', 1, 2, 3),
};

Test(gc_wire, hostile)
{
    gc_record r;

    for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
        size_t off = 999;

        cr_assert_eq(gc_wire_decode(bads[i].b, bads[i].n, &r, &off), bads[i].rc,
                     "%s", bads[i].name);
        cr_assert_leq(off, bads[i].n, "%s", bads[i].name);
    }
}

Test(gc_wire, encode_limits)
{
    gc_record r = msg(1, 1, 0);
    uint8_t buf[4];
    size_t len;

    cr_assert_eq(gc_wire_encode(&r, buf, 3, &len), GC_ESPACE);
    r.msg.seq = 0;
    cr_assert_eq(gc_wire_encode(&r, buf, sizeof buf, &len), GC_EINVAL);
    r = (gc_record){.kind = GC_DIGEST};
    r.ranges.norigins = 1;
    r.ranges.origins[0].count = 1;
    r.ranges.nranges = 1;
    r.ranges.ranges[0] = (gc_range){3, 2};
    cr_assert_eq(gc_wire_encode(&r, buf, sizeof buf, &len), GC_EINVAL);
    cr_assert_str_eq(gc_strerror(GC_ELIMIT), "limit exceeded");
    cr_assert_str_eq(gc_strerror(-99), "unknown error");
}

TestSuite(gc_tree, .timeout = 300);

/* ---- Tree cast ---- */

Test(gc_tree, forwards_except_sender_and_drops_duplicates)
{
    gc *e = make(GC_TREECAST);

    cr_assert_eq(gc_neighbour_add(e, 1, GC_ATTR_TREE), GC_OK);
    cr_assert_eq(gc_neighbour_add(e, 2, GC_ATTR_TREE | GC_ATTR_GOSSIP), 0);
    cr_assert_eq(gc_neighbour_add(e, 3, GC_ATTR_GOSSIP), GC_OK);
    recv_msg(e, 1, 1);
    cr_assert_eq(C.nsent, 1);
    cr_assert_eq(C.sent[0].to, 2);
    cr_assert_eq(C.sent[0].r.msg.seq, 1);
    cr_assert_eq(C.sent[0].r.msg.flags, 0);
    recv_msg(e, 2, 1);
    cr_assert_eq(C.nsent, 1, "a duplicate is not forwarded");
    expect_delivered((uint64_t[]){1}, 1);
    cr_assert_eq(stats(e).duplicates, 1);
    gc_free(e);
}

Test(gc_tree, injection_goes_to_every_tree_neighbour)
{
    gc *e = make(GC_TREECAST);
    gc_record r = msg(9, 1, 0);

    gc_neighbour_add(e, 1, GC_ATTR_TREE);
    gc_neighbour_add(e, 2, GC_ATTR_TREE);
    cr_assert_eq(gc_inject(e, &r.msg), GC_OK);
    cr_assert_eq(C.nsent, 2);
    cr_assert_eq(stats(e).forwarded, 2);
    gc_free(e);
}

Test(gc_tree, no_forwarding_of_retransmissions_or_strangers)
{
    gc *e = make(GC_PBCAST);
    gc_record r = msg(9, 1, GC_FLAG_RETRANS);

    gc_neighbour_add(e, 1, GC_ATTR_TREE);
    gc_neighbour_add(e, 2, GC_ATTR_TREE);
    cr_assert_eq(gc_receive(e, 1, &r), GC_OK);
    recv_msg(e, 3, 2); /* 3: gossip contact or stale view */
    cr_assert_eq(C.nsent, 0);
    expect_delivered((uint64_t[]){1, 2}, 2);
    gc_free(e);
}

/* ta-pbcast: a ring member gets the injection and forwards it to its
 * segment's tree only; ring edges carry no forwarding. */
Test(gc_tree, ta_pbcast_ring_member)
{
    gc *e = make(GC_PBCAST);
    gc_record r = msg(9, 1, 0);

    gc_neighbour_add(e, 1, GC_ATTR_RING_NEXT);
    gc_neighbour_add(e, 2, GC_ATTR_RING_PREV);
    gc_neighbour_add(e, 3, GC_ATTR_TREE);
    gc_neighbour_add(e, 4, GC_ATTR_TREE | GC_ATTR_GOSSIP);
    cr_assert_eq(gc_inject(e, &r.msg), GC_OK);
    cr_assert_eq(C.nsent, 2);
    cr_assert_eq(C.sent[0].to + C.sent[1].to, 7);
    gc_free(e);
}

Test(gc_tree, neighbour_changes)
{
    gc *e = make(GC_TREECAST);

    cr_assert_eq(gc_neighbour_add(e, 1, GC_ATTR_TREE), GC_OK);
    cr_assert_eq(gc_neighbour_add(e, 1, GC_ATTR_GOSSIP), GC_OK);
    recv_msg(e, 2, 1);
    cr_assert_eq(C.nsent, 0, "1 is no longer a tree neighbour");
    cr_assert_eq(gc_neighbour_add(e, 1, 0), GC_OK);
    cr_assert_eq(stats(e).neighbours, 0);
    cr_assert_eq(gc_neighbour_remove(e, 1), GC_ENOENT);
    cr_assert_eq(gc_neighbour_add(e, GC_PEER_INJECT, 1), GC_EINVAL);
    gc_free(e);
}

TestSuite(gc_deliver, .timeout = 300);

/* ---- Delivery ---- */

Test(gc_deliver, fifo_hold_and_release)
{
    gc *e = make(GC_TREECAST);

    recv_msg(e, 1, 1);
    recv_msg(e, 1, 3);
    recv_msg(e, 1, 4);
    expect_delivered((uint64_t[]){1}, 1);
    recv_msg(e, 1, 2);
    expect_delivered((uint64_t[]){1, 2, 3, 4}, 4);
    cr_assert_eq(C.ngaps, 0);
    gc_free(e);
}

Test(gc_deliver, gap_reported_once_after_the_horizon)
{
    gc *e = make(GC_TREECAST); /* rounds = 3 */

    recv_msg(e, 1, 1);
    recv_msg(e, 1, 4);
    rounds(e, 2);
    expect_delivered((uint64_t[]){1}, 1);
    cr_assert_eq(C.ngaps, 0);
    rounds(e, 1);
    expect_delivered((uint64_t[]){1, 4}, 2);
    cr_assert_eq(C.ngaps, 1);
    cr_assert_eq(C.gaps[0][0], 2);
    cr_assert_eq(C.gaps[0][1], 3);
    recv_msg(e, 1, 2); /* too late: skipped for good */
    rounds(e, 5);
    cr_assert_eq(C.ndeliv, 2);
    cr_assert_eq(C.ngaps, 1);
    cr_assert_eq(stats(e).gaps, 2);
    cr_assert_eq(stats(e).duplicates, 1);
    gc_free(e);
}

/* A peer that joins mid-stream starts at the oldest message it gets
 * within the horizon; what came before it is not a gap. */
Test(gc_deliver, mid_stream_start_is_not_a_gap)
{
    gc *e = make(GC_TREECAST);

    recv_msg(e, 1, 50);
    rounds(e, 1);
    recv_msg(e, 1, 49);
    rounds(e, 2);
    expect_delivered(NULL, 0);
    rounds(e, 1);
    expect_delivered((uint64_t[]){49, 50}, 2);
    cr_assert_eq(C.ngaps, 0);
    gc_free(e);
}

Test(gc_deliver, buffer_expiry)
{
    gc *e = make(GC_TREECAST);

    recv_msg(e, 1, 1);
    recv_msg(e, 1, 2);
    cr_assert_eq(stats(e).buffered, 2);
    rounds(e, 2);
    cr_assert_eq(stats(e).buffered, 2);
    rounds(e, 1);
    cr_assert_eq(stats(e).buffered, 0);
    recv_msg(e, 1, 2); /* the watermark still knows it */
    cr_assert_eq(C.ndeliv, 2);
    gc_free(e);
}

static int recv_from(gc *e, uint32_t origin, uint64_t seq)
{
    gc_record r = msg(origin, seq, 0);

    return gc_receive(e, 1, &r);
}

Test(gc_deliver, bounded_buffer)
{
    gc_config cfg = config(GC_TREECAST);
    gc *e;

    cfg.buffer_max = 2;
    cfg.window = 100; /* the buffer's bound, not the window's */
    e = make_cfg(&cfg);
    recv_msg(e, 1, 1);
    recv_msg(e, 1, 2);
    cr_assert_eq(recv_from(e, 9, 3), GC_OK, "delivered ones make room");
    cr_assert_eq(recv_from(e, 9, 5), GC_OK);
    cr_assert_eq(recv_from(e, 9, 6), GC_OK);
    cr_assert_eq(stats(e).buffered, 2);
    cr_assert_eq(recv_from(e, 9, 7), GC_ELIMIT, "full of undelivered");
    cr_assert_eq(stats(e).refused, 1);
    rounds(e, 3);
    expect_delivered((uint64_t[]){1, 2, 3, 5, 6}, 5);
    cr_assert_eq(C.ngaps, 1);
    gc_free(e);
}

Test(gc_deliver, bounded_origins)
{
    gc_config cfg = config(GC_TREECAST);
    gc *e;

    cfg.origins_max = 2;
    e = make_cfg(&cfg);
    cr_assert_eq(recv_from(e, 1, 1), GC_OK);
    cr_assert_eq(recv_from(e, 2, 1), GC_OK);
    cr_assert_eq(recv_from(e, 3, 1), GC_ELIMIT, "no idle origin");
    rounds(e, 3);
    cr_assert_eq(stats(e).buffered, 0);
    cr_assert_eq(recv_from(e, 3, 1), GC_OK, "an idle origin is evicted");
    cr_assert_eq(stats(e).origins, 2);
    cr_assert_eq(recv_from(e, 2, 1), GC_OK, "2 was still known");
    cr_assert_eq(stats(e).duplicates, 1);
    gc_free(e);
}

Test(gc_deliver, callbacks_cannot_reenter)
{
    gc *e = make(GC_TREECAST);

    C.reenter = e;
    recv_msg(e, 1, 1);
    cr_assert_eq(C.reenter_rc, GC_EBUSY);
    gc_free(e);
}

TestSuite(gc_gossip, .timeout = 300);

/* ---- Anti-entropy ---- */

Test(gc_gossip, digest_most_recent_first)
{
    gc *e = make(GC_PBCAST);

    gc_neighbour_add(e, 1, GC_ATTR_TREE);
    gc_neighbour_add(e, 5, GC_ATTR_GOSSIP);
    for (uint64_t s = 1; s <= 3; s++)
        recv_msg(e, 1, s);
    recv_msg(e, 1, 5);
    rounds(e, 1);
    cr_assert_eq(C.nsent, 1);
    cr_assert_eq(C.sent[0].to, 5);
    cr_assert_eq(C.sent[0].r.kind, GC_DIGEST);
    cr_assert_eq(C.sent[0].r.ranges.round, 1);
    cr_assert_eq(C.sent[0].r.ranges.norigins, 1);
    cr_assert_eq(C.sent[0].r.ranges.origins[0].origin, 9);
    cr_assert_eq(C.sent[0].r.ranges.origins[0].next, 4);
    cr_assert_eq(C.sent[0].r.ranges.nranges, 2);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].lo, 5);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].hi, 5);
    cr_assert_eq(C.sent[0].r.ranges.ranges[1].lo, 1);
    cr_assert_eq(C.sent[0].r.ranges.ranges[1].hi, 3);
    gc_free(e);
}

Test(gc_gossip, tree_engine_does_not_gossip)
{
    gc *e = make(GC_TREECAST);

    gc_neighbour_add(e, 5, GC_ATTR_GOSSIP);
    recv_msg(e, 1, 1);
    rounds(e, 2);
    cr_assert_eq(C.nsent, 0);
    gc_free(e);
}

static gc_record digest(uint32_t round, uint64_t next, uint64_t lo, uint64_t hi)
{
    gc_record d = {.kind = GC_DIGEST};

    d.ranges.round = round;
    d.ranges.norigins = 1;
    d.ranges.nranges = 1;
    d.ranges.origins[0] = (struct gc_origin_ranges){9, next, 0, 1};
    d.ranges.ranges[0] = (gc_range){lo, hi};
    return d;
}

/* Nothing a peer says makes us skip (issue 14): a digest whose
 * watermark is far ahead (10^6, the attack) or just ahead costs no
 * message.  Skips come only from what we hold: the gap before a held
 * message is reported once it has waited the horizon. */
Test(gc_gossip, digest_watermark_never_skips)
{
    gc *e = make(GC_PBCAST);
    gc_record d;

    for (uint64_t q = 1; q <= 4; q++)
        recv_msg(e, 1, q);
    d = digest(0, 1000000, 9, 9);
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    d = digest(0, UINT64_MAX / 2, 1, 1);
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    rounds(e, 6);
    cr_assert_eq(C.ngaps, 0);
    for (uint64_t q = 5; q <= 8; q++)
        recv_msg(e, 1, q);
    expect_delivered((uint64_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
    recv_msg(e, 1, 10); /* 9 is lost: reported a horizon later */
    rounds(e, 3);
    cr_assert_eq(C.ngaps, 1);
    cr_assert_eq(C.gaps[0][0], 9);
    cr_assert_eq(C.gaps[0][1], 9);
    expect_delivered((uint64_t[]){1, 2, 3, 4, 5, 6, 7, 8, 10}, 9);
    gc_free(e);
}

/* A seq more than one window above the watermark is refused (the forged
 * seq 10^9 of issue 14), and the messages that follow it are delivered;
 * a member's first message may be anywhere (joining mid-stream). */
Test(gc_engine, seq_beyond_the_window_is_refused)
{
    gc_config cfg = config(GC_PBCAST);
    gc_record r = msg(9, 1000000000, 0);
    gc *e;

    cfg.window = 16;
    e = make_cfg(&cfg);
    recv_msg(e, 1, 1);
    cr_assert_eq(gc_receive(e, 1, &r), GC_ELIMIT);
    r = msg(9, 19, 0); /* the watermark is 2: 2 + 16 is the edge */
    cr_assert_eq(gc_receive(e, 1, &r), GC_ELIMIT);
    cr_assert_eq(stats(e).out_of_window, 2);
    for (uint64_t q = 2; q <= 5; q++)
        recv_msg(e, 1, q);
    rounds(e, 6);
    expect_delivered((uint64_t[]){1, 2, 3, 4, 5}, 5);
    cr_assert_eq(C.ngaps, 0);
    r = msg(9, 22, 0); /* 5 delivered: 22 = 6 + 16 is in */
    cr_assert_eq(gc_receive(e, 1, &r), GC_OK);
    r = msg(3, 1000000000, 0); /* a new origin: anywhere */
    cr_assert_eq(gc_receive(e, 1, &r), GC_OK);
    r = msg(3, 2000000000, 0); /* but then within a window of it */
    cr_assert_eq(gc_receive(e, 1, &r), GC_ELIMIT);
    gc_free(e);
}

/* The verifier decides before anything is buffered, forwarded or
 * delivered, once per message: a refused copy leaves the slot free for
 * the authentic one, and copies of a held message are not verified
 * again.  The signature travels with forwards and retransmissions. */
static int verify_calls;

static int verify_odd_sig(void *ctx, const gc_msg *m)
{
    (void)ctx;
    verify_calls++;
    return m->sig && m->sig[0] == 1 ? 0 : 1; /* refused (not GC_ENOMEM) */
}

Test(gc_engine, verify_once_before_buffering)
{
    gc_config cfg = config(GC_PBCAST);
    static const uint8_t good[GC_SIG_LEN] = {1}, bad[GC_SIG_LEN] = {2};
    gc_record r = msg(9, 1, 0);
    gc *e;

    cfg.verify = verify_odd_sig;
    e = make_cfg(&cfg);
    verify_calls = 0;
    cr_assert_eq(gc_neighbour_add(e, 2, GC_ATTR_TREE), GC_OK);
    r.msg.sig = bad;
    cr_assert_eq(gc_receive(e, 1, &r), GC_EAUTH);
    r.msg.sig = NULL;
    cr_assert_eq(gc_receive(e, 1, &r), GC_EAUTH);
    cr_assert_eq(C.ndeliv, 0);
    cr_assert_eq(C.nsent, 0);
    cr_assert_eq(stats(e).buffered, 0);
    r.msg.sig = good;
    cr_assert_eq(gc_inject(e, &r.msg), GC_OK);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(gc_receive(e, 1, &r), GC_OK);
    cr_assert_eq(verify_calls, 3);
    cr_assert_eq(stats(e).verified, 1);
    cr_assert_eq(stats(e).unverified, 2);
    cr_assert_eq(C.ndeliv, 1);
    cr_assert_eq(C.nsent, 1);
    cr_assert_not_null(C.sent[0].r.msg.sig);
    cr_assert_eq(C.sent[0].r.msg.sig[0], 1);
    gc_free(e);
}

Test(gc_gossip, solicit_what_is_missing_most_recent_first)
{
    gc_config cfg = config(GC_PBCAST);
    gc *e;
    gc_record d = digest(4, 7, 1, 6);

    cfg.solicit_max = 3;
    e = make_cfg(&cfg);
    recv_msg(e, 1, 1);
    recv_msg(e, 1, 3);
    recv_msg(e, 1, 6);
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    cr_assert_eq(C.nsent, 1);
    cr_assert_eq(C.sent[0].to, 7);
    cr_assert_eq(C.sent[0].r.kind, GC_SOLICIT);
    cr_assert_eq(C.sent[0].r.ranges.round, 4);
    cr_assert_eq(C.sent[0].r.ranges.nranges, 2);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].lo, 4);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].hi, 5);
    cr_assert_eq(C.sent[0].r.ranges.ranges[1].lo, 2);
    cr_assert_eq(C.sent[0].r.ranges.ranges[1].hi, 2);
    cr_assert_eq(stats(e).solicited, 3);
    d = digest(5, 2, 1, 1); /* delivered already: nothing to ask */
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    cr_assert_eq(C.nsent, 1);
    gc_free(e);
}

/* The push refinement: what the digest's sender has not seen (at or
 * above its watermark, outside its ranges) goes to it unasked; newer
 * than its newest only once it cannot be in flight any more. */
Test(gc_gossip, push_what_the_digest_lacks)
{
    gc *e = make(GC_PBCAST);
    gc_record d = digest(0, 2, 4, 4);

    for (uint64_t q = 1; q <= 5; q++)
        recv_msg(e, 1, q);
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    cr_assert_eq(C.nsent, 2);
    cr_assert_eq(C.sent[0].r.msg.seq, 3);
    cr_assert_eq(C.sent[1].r.msg.seq, 2);
    cr_assert_eq(C.sent[1].to, 7);
    cr_assert_eq(C.sent[1].r.msg.flags, GC_FLAG_RETRANS);
    rounds(e, 2);
    C.nsent = 0;
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    cr_assert_eq(C.nsent, 3);
    cr_assert_eq(C.sent[0].r.msg.seq, 5);
    cr_assert_eq(stats(e).pushed, 5);
    gc_free(e);
}

Test(gc_gossip, hostile_range_costs_the_budget_only)
{
    gc *e = make(GC_PBCAST); /* solicit_max 64 */
    gc_record d = digest(1, 0, 1, UINT64_MAX);

    recv_msg(e, 1, UINT64_MAX);
    cr_assert_eq(gc_receive(e, 7, &d), GC_OK);
    cr_assert_eq(C.nsent, 1);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].hi, UINT64_MAX - 1);
    cr_assert_eq(C.sent[0].r.ranges.ranges[0].lo, UINT64_MAX - 64);
    gc_free(e);
}

Test(gc_gossip, retransmit_bounded_per_round_and_stale_ignored)
{
    gc_config cfg = config(GC_PBCAST);
    gc *e;
    gc_record s = digest(0, 0, 1, 10);

    cfg.retransmit_max = 3;
    cfg.rounds = 20;
    e = make_cfg(&cfg);
    for (uint64_t q = 1; q <= 10; q++)
        recv_msg(e, 1, q);
    s.kind = GC_SOLICIT;
    cr_assert_eq(gc_receive(e, 7, &s), GC_OK);
    cr_assert_eq(C.nsent, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(C.sent[i].to, 7);
        cr_assert_eq(C.sent[i].r.msg.seq, 10 - i);
        cr_assert_eq(C.sent[i].r.msg.flags, GC_FLAG_RETRANS);
        cr_assert_eq(C.sent[i].r.msg.payload[0], 10 - i);
    }
    cr_assert_eq(stats(e).budget_dropped, 7);
    cr_assert_eq(gc_receive(e, 7, &s), GC_OK);
    cr_assert_eq(C.nsent, 3, "budget spent for this round");
    rounds(e, 1); /* round 1: a solicit for round 0 is still fresh */
    C.nsent = 0;
    cr_assert_eq(gc_receive(e, 7, &s), GC_OK);
    cr_assert_eq(C.nsent, 3);
    rounds(e, 1);
    C.nsent = 0;
    cr_assert_eq(gc_receive(e, 7, &s), GC_OK);
    cr_assert_eq(C.nsent, 0, "stale");
    cr_assert_eq(stats(e).stale, 1);
    gc_free(e);
}

/* Two engines wired back to back: a loss on the tree is repaired. */
Test(gc_gossip, repair_between_two_engines)
{
    gc *a = make(GC_PBCAST), *b;
    gc_config cfg = config(GC_PBCAST);
    struct cap ca;

    gc_neighbour_add(a, 2, GC_ATTR_GOSSIP);
    for (uint64_t q = 1; q <= 3; q++)
        recv_msg(a, 1, q);
    cr_assert_eq(gc_new(&cfg, 0, &b), GC_OK);
    recv_msg(b, 1, 1);
    recv_msg(b, 1, 3);
    rounds(a, 1); /* a's digest to 2 (b) */
    ca = C;
    cr_assert_eq(ca.sent[0].r.kind, GC_DIGEST);
    C.ndeliv = C.nsent = 0;
    cr_assert_eq(gc_receive(b, 1, &ca.sent[0].r), GC_OK);
    cr_assert_eq(C.sent[0].r.kind, GC_SOLICIT);
    ca = C;
    C.nsent = 0;
    cr_assert_eq(gc_receive(a, 2, &ca.sent[0].r), GC_OK);
    cr_assert_eq(C.nsent, 1);
    ca = C;
    C.nsent = 0;
    cr_assert_eq(gc_receive(b, 1, &ca.sent[0].r), GC_OK);
    expect_delivered((uint64_t[]){2, 3}, 2);
    gc_free(a);
    gc_free(b);
}

/* A peer whose tree neighbours forward nothing (a member that drops
 * what it should forward) holds nothing, yet digests every round; the
 * receiver of a digest that names no origin pushes it what it holds, so
 * the peer is repaired.  Once its buffer has expired, its digests name
 * each origin with its watermark alone. */
Test(gc_gossip, empty_buffer_digests_and_is_pushed)
{
    gc *starved = make(GC_PBCAST), *a;
    gc_config cfg = config(GC_PBCAST);
    struct cap cs, ca;

    gc_neighbour_add(starved, 2, GC_ATTR_GOSSIP);
    rounds(starved, 1);
    cr_assert_eq(C.nsent, 1, "a peer holding nothing still digests");
    cr_assert_eq(C.sent[0].to, 2);
    cr_assert_eq(C.sent[0].r.kind, GC_DIGEST);
    cr_assert_eq(C.sent[0].r.ranges.norigins, 0);
    cs = C;
    cr_assert_eq(gc_new(&cfg, 0, &a), GC_OK);
    for (uint64_t q = 1; q <= 3; q++)
        recv_msg(a, 1, q);
    rounds(a, 2); /* no longer in flight along the tree */
    C.nsent = C.ndeliv = 0;
    cr_assert_eq(gc_receive(a, 3, &cs.sent[0].r), GC_OK);
    cr_assert_eq(C.nsent, 3, "everything held is pushed");
    ca = C;
    C.nsent = C.ndeliv = 0;
    for (size_t i = 0; i < ca.nsent; i++) {
        ca.sent[i].r.msg.payload = ca.sent[i].payload;
        cr_assert_eq(gc_receive(starved, 2, &ca.sent[i].r), GC_OK);
    }
    expect_delivered((uint64_t[]){1, 2, 3}, 3);
    rounds(starved, 4); /* past the horizon (3 rounds): nothing held */
    C.nsent = 0;
    rounds(starved, 1);
    cr_assert_eq(C.nsent, 1);
    cr_assert_eq(C.sent[0].r.ranges.norigins, 1);
    cr_assert_eq(C.sent[0].r.ranges.origins[0].origin, 9);
    cr_assert_eq(C.sent[0].r.ranges.origins[0].next, 4);
    cr_assert_eq(C.sent[0].r.ranges.origins[0].count, 0);
    gc_free(a);
    gc_free(starved);
}

/* ---- Allocation failures ---- */

static long alloc_left;

static void *failing_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (alloc_left-- <= 0)
        return NULL;
    return realloc(p, n);
}

static void plain_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* Returns how many operations failed; after a failed receive the
 * allocator recovers and the same message must go through, so a failure
 * leaves nothing half-done.  Every message is delivered in the end. */
static int scenario(gc_config *cfg)
{
    gc *e = NULL;
    int failed = 0;

    memset(&C, 0, sizeof C);
    if (gc_new(cfg, 0, &e) == GC_ENOMEM)
        return 1;
    cr_assert_not_null(e);
    for (gc_peer p = 1; p <= 20; p++) {
        int rc = gc_neighbour_add(e, p, GC_ATTR_TREE | GC_ATTR_GOSSIP);

        cr_assert(rc == GC_OK || rc == GC_ENOMEM);
        failed += rc != GC_OK;
    }
    for (uint32_t o = 1; o <= 12; o++)
        for (uint64_t q = 1; q <= 12; q++) {
            gc_record r = msg(o, q, 0);
            int rc = gc_receive(e, 99, &r);

            cr_assert(rc == GC_OK || rc == GC_ENOMEM, "rc %d", rc);
            if (rc == GC_ENOMEM) {
                failed++;
                alloc_left = 1L << 40;
                cr_assert_eq(gc_receive(e, 99, &r), GC_OK);
            }
        }
    cr_assert_eq(C.ndeliv, 144);
    gc_free(e);
    return failed;
}

TestSuite(gc_alloc, .timeout = 300);

Test(gc_alloc, nth_allocation_fails)
{
    gc_allocator al = {failing_realloc, plain_free, NULL};
    gc_config cfg = config(GC_PBCAST);
    long n;

    cfg.alloc = &al;
    for (n = 0;; n++) {
        alloc_left = n;
        if (scenario(&cfg) == 0)
            break;
    }
    cr_assert_gt(n, 20, "the scenario allocates");
}

TestSuite(gc_api, .timeout = 300);

Test(gc_api, bad_arguments)
{
    gc_config cfg = config(GC_PBCAST);
    gc *e = NULL;
    gc_record r = msg(1, 0, 0);

    cfg.send = NULL;
    cr_assert_eq(gc_new(&cfg, 0, &e), GC_EINVAL);
    cfg = config((enum gc_engine)9);
    cr_assert_eq(gc_new(&cfg, 0, &e), GC_EINVAL);
    e = make(GC_PBCAST);
    cr_assert_eq(gc_receive(e, 1, &r), GC_EINVAL, "seq 0");
    r.kind = (enum gc_kind)7;
    cr_assert_eq(gc_receive(e, 1, &r), GC_EINVAL);
    cr_assert_eq(gc_tick(NULL, 0), GC_EINVAL);
    cr_assert_eq(gc_next_round(NULL), UINT64_MAX);
    gc_free(e);
    gc_free(NULL);
}
