/* test_ob_order.c -- ordering unicasts across paths: scripted
 * interleavings (relayed then direct, a link dying with stanzas it did
 * not acknowledge, duplicates, the bounds, new epochs) and a seeded random
 * simulation of two paths with links coming and going, checking that every
 * stanza arrives exactly once and in order (OB_ORDER_SEED=... to replay). */
#include "config.h"
#include "../seed.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ob_order.h"
#include "orbweb.h"
#include "ut_rand.h"

#define A "alice@example.org/a"
#define B "bob@example.org/b"
#define MAX_GOT 4096

static xmpp_ctx_t *ctx;

/* What the receiving owner got: each stanza's body, as a number. */
static long got[MAX_GOT];
static size_t n_got;

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    n_got = 0;
}

static void teardown(void)
{
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(ob_order, .init = setup, .fini = teardown, .timeout = 300);

static void on_deliver(void *ud, xmpp_stanza_t *st)
{
    char *body = xmpp_message_get_body(st);

    (void)ud;
    cr_assert_not_null(body);
    cr_assert_lt(n_got, MAX_GOT);
    got[n_got++] = strtol(body, NULL, 10);
    xmpp_free(ctx, body);
}

static obi_order *order_new(uint64_t epoch, size_t max_held, uint64_t hold_ms)
{
    struct obi_order_params p = {.epoch = epoch,
                                 .max_held = max_held,
                                 .max_held_bytes = 1u << 30,
                                 .hold_ms = hold_ms,
                                 .max_unacked = 3000};
    obi_order *o;

    cr_assert_eq(obi_order_new(&p, &o), 0);
    return o;
}

/* A unicast to B with body n, stamped by the sender. */
static xmpp_stanza_t *unicast(obi_order *snd, long n)
{
    char body[24];
    xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", B, NULL);

    snprintf(body, sizeof body, "%ld", n);
    xmpp_message_set_body(m, body);
    cr_assert_eq(obi_order_stamp(snd, B, m, NULL), 0);
    return m;
}

/* Stamps n unicasts 1..n (the caller releases them). */
static void stamp_all(obi_order *snd, xmpp_stanza_t **m, long n)
{
    for (long i = 0; i < n; i++)
        m[i] = unicast(snd, i + 1);
}

/* m[from..to) go out on direct link `link`, numbered on it from n. */
static void send_on(obi_order *snd, uint64_t link, uint64_t n,
                    xmpp_stanza_t **m, long from, long to)
{
    for (long i = from; i < to; i++)
        cr_assert_eq(obi_order_sent_direct(snd, B, link, n++, m[i]), 0);
}

static void recv_one(obi_order *rcv, xmpp_stanza_t *st, uint64_t now)
{
    cr_assert_geq(obi_order_recv(rcv, A, st, now, on_deliver, NULL), 0);
}

static void expect_got(long first, long last)
{
    cr_assert_eq(n_got, (size_t)(last - first + 1), "got %zu", n_got);
    for (size_t i = 0; i < n_got; i++)
        cr_assert_eq(got[i], first + (long)i, "position %zu", i);
}

static void release_all(xmpp_stanza_t **m, long n)
{
    for (long i = 0; i < n; i++)
        xmpp_stanza_release(m[i]);
}

Test(ob_order, stamps_count_per_destination)
{
    obi_order *o = order_new(77, 0, 0);
    xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", B, NULL);
    uint64_t seq;
    char *text;
    size_t len;

    cr_assert_eq(obi_order_stamp(o, B, m, &seq), 0);
    cr_assert_eq(seq, 1);
    xmpp_stanza_to_text(m, &text, &len);
    cr_assert(strstr(text, "<o ") &&
                  strstr(text, "xmlns=\"https://orbweb.dev/ns/e2e/0\""),
              "%s", text);
    cr_assert(strstr(text, "e=\"77\"") && strstr(text, "s=\"1\""), "%s", text);
    xmpp_free(ctx, text);
    xmpp_stanza_release(m);
    m = xmpp_message_new(ctx, "chat", A, NULL);
    cr_assert_eq(obi_order_stamp(o, A, m, &seq), 0);
    cr_assert_eq(seq, 1, "another destination counts on its own");
    xmpp_stanza_release(m);
    obi_order_free(o);
}

/* Only what we stamped makes a destination: a sender of stamped stanzas
 * does not become one by writing to us (who may open a direct session
 * with us is decided on what we sent, docs/security.md). */
Test(ob_order, only_what_we_sent_makes_a_destination)
{
    obi_order *snd = order_new(5, 0, 0), *rcv = order_new(6, 0, 0);
    xmpp_stanza_t *m = unicast(snd, 1);

    cr_assert(obi_order_sent_to(snd, B));
    cr_assert_not(obi_order_sent_to(rcv, A));
    recv_one(rcv, m, 0);
    cr_assert_not(obi_order_sent_to(rcv, A), "a sender became a destination");
    cr_assert_not(obi_order_sent_to(rcv, B));
    cr_assert_not(obi_order_sent_to(rcv, NULL));
    xmpp_stanza_release(m);
    obi_order_free(snd);
    obi_order_free(rcv);
}

/* Relayed 1..10 are slow; the direct path comes up and 11..20 overtake. */
Test(ob_order, switch_from_relayed_to_direct_mid_stream)
{
    obi_order *snd = order_new(5, 0, 0), *rcv = order_new(9, 0, 0);
    xmpp_stanza_t *m[20];
    long i;

    stamp_all(snd, m, 20);
    recv_one(rcv, m[0], 0); /* the first relayed one is in time */
    for (i = 10; i < 20; i++) {
        cr_assert_eq(obi_order_sent_direct(snd, B, 1, (uint64_t)i - 9, m[i]),
                     0);
        recv_one(rcv, m[i], 0);
    }
    expect_got(1, 1);
    cr_assert_eq(obi_order_held(rcv), 10);
    for (i = 1; i < 10; i++)
        recv_one(rcv, m[i], 0);
    expect_got(1, 20);
    cr_assert_eq(obi_order_held(rcv), 0);
    obi_order_acked(snd, B, 1, 10);
    cr_assert_eq(obi_order_unacked(snd, B), 0);
    release_all(m, 20);
    obi_order_free(snd);
    obi_order_free(rcv);
}

struct resent {
    obi_order *rcv;
    int n;
};

static void resend_relayed(void *ud, xmpp_stanza_t *st)
{
    struct resent *r = ud;

    r->n++;
    recv_one(r->rcv, st, 0);
}

/* A sender and a receiver; what the sender resends reaches the receiver. */
struct pair {
    obi_order *snd, *rcv;
    struct resent r;
    xmpp_stanza_t *m[130]; /* m[0..n), stamped 1..n for B */
    long n;
};

static void pair_new(struct pair *p, long n)
{
    p->snd = order_new(5, 0, 0);
    p->rcv = order_new(9, 0, 0);
    p->r = (struct resent){p->rcv, 0};
    p->n = n;
    stamp_all(p->snd, p->m, n);
}

static void pair_free(struct pair *p)
{
    release_all(p->m, p->n);
    obi_order_free(p->snd);
    obi_order_free(p->rcv);
}

/* The link delivered 1..7, acknowledged 4, and died with 8..10 in flight. */
Test(ob_order, a_dead_link_s_unacked_stanzas_go_again_relayed)
{
    struct pair p;
    xmpp_stanza_t **m = p.m;
    long i;

    pair_new(&p, 12);
    send_on(p.snd, 1, 1, m, 0, 10);
    for (i = 0; i < 7; i++)
        recv_one(p.rcv, m[i], 0);
    obi_order_acked(p.snd, B, 1, 4);
    cr_assert_eq(obi_order_unacked(p.snd, B), 6);
    obi_order_acked(p.snd, B, 1, 3); /* old news */
    cr_assert_eq(obi_order_unacked(p.snd, B), 6);
    cr_assert_eq(obi_order_link_down(p.snd, B, 1, resend_relayed, &p.r), 6);
    cr_assert_eq(p.r.n, 6);
    cr_assert_eq(obi_order_unacked(p.snd, B), 0);
    recv_one(p.rcv, m[10], 0); /* the rest goes relayed */
    recv_one(p.rcv, m[11], 0);
    expect_got(1, 12); /* 5..7 came twice, delivered once */

    /* a new link counts its acknowledgements from 0 */
    xmpp_stanza_t *more = unicast(p.snd, 13);
    cr_assert_eq(obi_order_sent_direct(p.snd, B, 2, 1, more), 0);
    obi_order_acked(p.snd, B, 2, 1);
    cr_assert_eq(obi_order_unacked(p.snd, B), 0);
    xmpp_stanza_release(more);
    pair_free(&p);
}

Test(ob_order, duplicates_are_dropped)
{
    obi_order *snd = order_new(5, 0, 0), *rcv = order_new(9, 0, 0);
    xmpp_stanza_t *m[4];

    stamp_all(snd, m, 4);
    recv_one(rcv, m[0], 0); /* the first one sets the SEQ expected */
    recv_one(rcv, m[3], 0);
    recv_one(rcv, m[3], 0); /* held once */
    cr_assert_eq(obi_order_held(rcv), 1);
    recv_one(rcv, m[0], 0);
    recv_one(rcv, m[2], 0);
    recv_one(rcv, m[1], 0);
    recv_one(rcv, m[1], 0);
    recv_one(rcv, m[3], 0);
    expect_got(1, 4);
    release_all(m, 4);
    obi_order_free(snd);
    obi_order_free(rcv);
}

/* Seq 1 and 2 never come; at max_held early arrivals the receiver stops
 * waiting; a late 2 is then dropped. */
Test(ob_order, at_the_bound_the_gap_is_skipped)
{
    obi_order *snd = order_new(5, 0, 0), *rcv = order_new(9, 4, 0);
    xmpp_stanza_t *m[8];

    stamp_all(snd, m, 8);
    recv_one(rcv, m[0], 0);
    for (int i = 2; i < 6; i++)
        recv_one(rcv, m[i], 0);
    expect_got(1, 1);
    cr_assert_eq(obi_order_held(rcv), 4);
    recv_one(rcv, m[7], 0); /* a fifth early arrival: give up on 2 */
    cr_assert_eq(n_got, 5);
    cr_assert_eq(got[1], 3);
    cr_assert_eq(got[4], 6);
    cr_assert_eq(obi_order_held(rcv), 1); /* 8 waits for 7 */
    recv_one(rcv, m[1], 0);               /* too late */
    recv_one(rcv, m[6], 0);
    cr_assert_eq(n_got, 7);
    cr_assert_eq(got[5], 7);
    cr_assert_eq(got[6], 8);
    release_all(m, 8);
    obi_order_free(snd);
    obi_order_free(rcv);
}

Test(ob_order, the_bytes_held_are_bounded_too)
{
    struct obi_order_params p = {.epoch = 9, .max_held_bytes = 3 * 257};
    obi_order *snd = order_new(5, 0, 0), *rcv;
    xmpp_stanza_t *m[6];

    cr_assert_eq(obi_order_new(&p, &rcv), 0);
    stamp_all(snd, m, 6);
    recv_one(rcv, m[0], 0);
    for (int i = 2; i < 5; i++) /* three bodies of one byte: 3 * 257 */
        recv_one(rcv, m[i], 0);
    cr_assert_eq(obi_order_held(rcv), 3);
    recv_one(rcv, m[5], 0); /* one more is too much: stop waiting for 2 */
    cr_assert_eq(n_got, 5);
    cr_assert_eq(got[0], 1);
    cr_assert_eq(got[1], 3);
    cr_assert_eq(got[4], 6);
    release_all(m, 6);
    obi_order_free(snd);
    obi_order_free(rcv);
}

Test(ob_order, a_gap_is_skipped_after_hold_ms)
{
    obi_order *snd = order_new(5, 0, 0), *rcv = order_new(9, 0, 100);
    xmpp_stanza_t *m[3];

    stamp_all(snd, m, 3);
    recv_one(rcv, m[0], 1000);
    recv_one(rcv, m[2], 1010);
    cr_assert_eq(obi_order_tick(rcv, 1109, on_deliver, NULL), 0);
    cr_assert_eq(obi_order_tick(rcv, 1110, on_deliver, NULL), 1);
    cr_assert_eq(n_got, 2);
    cr_assert_eq(got[1], 3);
    recv_one(rcv, m[1], 1200);
    cr_assert_eq(n_got, 2, "a skipped SEQ is dropped when it comes at last");
    release_all(m, 3);
    obi_order_free(snd);
    obi_order_free(rcv);
}

/* The sender restarted: a new epoch flushes the old one's early arrivals;
 * a straggler of the old epoch is dropped. */
Test(ob_order, a_new_epoch_starts_over)
{
    obi_order *old = order_new(5, 0, 0), *now = order_new(6000, 0, 0);
    obi_order *rcv = order_new(9, 0, 0);
    xmpp_stanza_t *m[4], *n[2];

    stamp_all(old, m, 4);
    stamp_all(now, n, 2);
    recv_one(rcv, m[0], 0);
    recv_one(rcv, m[2], 0); /* held: 2 is missing */
    recv_one(rcv, n[0], 0);
    recv_one(rcv, m[3], 0); /* the epoch before: dropped */
    recv_one(rcv, n[1], 0);
    cr_assert_eq(n_got, 4);
    cr_assert_eq(got[0], 1);
    cr_assert_eq(got[1], 3);
    cr_assert_eq(got[2], 1);
    cr_assert_eq(got[3], 2);
    cr_assert_eq(obi_order_held(rcv), 0);
    release_all(m, 4);
    release_all(n, 2);
    obi_order_free(old);
    obi_order_free(now);
    obi_order_free(rcv);
}

Test(ob_order, unordered_and_malformed_stanzas_are_delivered_at_once)
{
    obi_order *rcv = order_new(9, 0, 0);
    const char *texts[] = {
        "<message from='" A "'><body>1</body></message>",
        "<message from='" A "'><body>2</body>"
        "<o xmlns='https://orbweb.dev/ns/e2e/0' e='x' s='1'/></message>",
        "<message from='" A "'><body>3</body>"
        "<o xmlns='https://orbweb.dev/ns/e2e/0' e='1' s='0'/></message>",
        "<message from='" A "'><body>4</body>"
        "<o xmlns='https://orbweb.dev/ns/e2e/0' e='99999999999999999999' "
        "s='1'/>"
        "</message>",
    };

    for (size_t i = 0; i < 4; i++) {
        xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, texts[i]);
        cr_assert_eq(obi_order_recv(rcv, A, st, 0, on_deliver, NULL), 1);
        xmpp_stanza_release(st);
    }
    expect_got(1, 4);
    obi_order_free(rcv);
}

/* Issue 16: both ends opened a session at once, so two links to B are
 * up.  Link 1 carried 1..64 and acknowledged them; the unicasts moved to
 * link 2, whose acknowledgements count from 0 again.  They used to be
 * taken for old news of link 1 (h <= 64): 65..128 stayed unacknowledged
 * for as long as the link lived, and flow control stalled.  When link 1
 * then goes down, only what it did not acknowledge goes again relayed. */
Test(ob_order, each_link_s_acknowledgements_count_its_own_stanzas)
{
    struct pair p;

    pair_new(&p, 130);
    send_on(p.snd, 1, 1, p.m, 0, 64);
    obi_order_acked(p.snd, B, 1, 64);
    cr_assert_eq(obi_order_unacked(p.snd, B), 0);
    send_on(p.snd, 2, 1, p.m, 64, 128);
    obi_order_acked(p.snd, B, 2, 64);
    cr_assert_eq(obi_order_unacked(p.snd, B), 0, "link 2's acks were ignored");

    /* interleaved: 129 on link 1 (its 65th), 130 on link 2 (its 65th) */
    send_on(p.snd, 1, 65, p.m, 128, 129);
    send_on(p.snd, 2, 65, p.m, 129, 130);
    obi_order_acked(p.snd, B, 2, 65);
    cr_assert_eq(obi_order_unacked(p.snd, B), 1);
    for (long i = 0; i < 128; i++)
        recv_one(p.rcv, p.m[i], 0);
    cr_assert_eq(obi_order_link_down(p.snd, B, 1, resend_relayed, &p.r), 1);
    cr_assert_eq(p.r.n, 1);
    cr_assert_eq(obi_order_unacked(p.snd, B), 0);
    recv_one(p.rcv, p.m[129], 0);
    expect_got(1, 130);
    pair_free(&p);
}

Test(ob_order, limits)
{
    struct obi_order_params p = {.epoch = 3, .max_unacked = 2, .max_peers = 2};
    obi_order *o;
    xmpp_stanza_t *m[3];
    uint64_t seq;

    cr_assert_eq(obi_order_new(&(struct obi_order_params){0}, &o), OB_EINVAL);
    cr_assert_eq(obi_order_new(&p, &o), 0);
    stamp_all(o, m, 3);
    cr_assert_eq(obi_order_sent_direct(o, B, 1, 1, m[0]), 0);
    cr_assert_eq(obi_order_sent_direct(o, B, 1, 2, m[1]), 0);
    cr_assert_not(obi_order_direct_room(o, B));
    cr_assert_eq(obi_order_sent_direct(o, B, 1, 3, m[2]), OB_ESTATE);
    cr_assert_eq(obi_order_sent_direct(o, "nobody@x/y", 1, 1, m[2]), OB_EINVAL);

    /* a third destination forgets the least recently used, B: when B
     * comes back it gets a new epoch and counts from 1 again */
    xmpp_stanza_t *x = xmpp_message_new(ctx, "chat", "c@x/1", NULL);
    cr_assert_eq(obi_order_stamp(o, "c@x/1", x, &seq), 0);
    cr_assert_eq(obi_order_stamp(o, "d@x/1", x, &seq), 0);
    cr_assert_eq(obi_order_unacked(o, B), 0);
    cr_assert_not(obi_order_sent_to(o, B));
    cr_assert(obi_order_sent_to(o, "d@x/1"));
    cr_assert_eq(obi_order_stamp(o, B, x, &seq), 0);
    cr_assert_eq(seq, 1);
    obi_order_unstamp(o, B, 7); /* not the last: nothing */
    cr_assert_eq(obi_order_stamp(o, B, x, &seq), 0);
    cr_assert_eq(seq, 2);
    obi_order_unstamp(o, B, 2); /* the last: given again */
    cr_assert_eq(obi_order_stamp(o, B, x, &seq), 0);
    cr_assert_eq(seq, 2);
    xmpp_stanza_release(x);
    release_all(m, 3);
    obi_order_free(o);
}

/* ---- Two paths, links that come and go, a seeded schedule ---- */

#define N_MSG 2000
#define QCAP (2 * N_MSG + 64)

struct fifo {
    xmpp_stanza_t *v[QCAP];
    size_t head, tail;
};

static void push(struct fifo *f, xmpp_stanza_t *st)
{
    cr_assert_lt(f->tail, QCAP);
    f->v[f->tail++] = xmpp_stanza_clone(st);
}

static xmpp_stanza_t *pop(struct fifo *f)
{
    return f->head < f->tail ? f->v[f->head++] : NULL;
}

static void clear(struct fifo *f)
{
    xmpp_stanza_t *st;

    while ((st = pop(f)))
        xmpp_stanza_release(st);
}

struct sim {
    obi_order *snd, *rcv;
    struct fifo relay, direct;
    bool up;
    uint64_t link, link_sent; /* the link's tag, stanzas sent on it */
    uint64_t link_recv;       /* stanzas the receiver got on this link */
    uint64_t rng, now;
    size_t downs, resent, n_direct; /* to check the schedule did its job */
};

static void to_relay(void *ud, xmpp_stanza_t *st)
{
    push(&((struct sim *)ud)->relay, st);
}

static void sim_send(struct sim *s, long n)
{
    xmpp_stanza_t *m = unicast(s->snd, n);

    if (s->up &&
        obi_order_sent_direct(s->snd, B, s->link, s->link_sent + 1, m) == 0) {
        s->link_sent++;
        push(&s->direct, m);
    } else
        push(&s->relay, m);
    xmpp_stanza_release(m);
}

static void sim_deliver(struct sim *s, struct fifo *f, bool direct)
{
    xmpp_stanza_t *st = pop(f);

    if (!st)
        return;
    s->link_recv += direct;
    s->n_direct += direct;
    cr_assert_geq(obi_order_recv(s->rcv, A, st, s->now, on_deliver, NULL), 0);
    xmpp_stanza_release(st);
}

/* The link dies: what is in flight on it is lost; the sender resends
 * what was not acknowledged. */
static void sim_link_down(struct sim *s)
{
    clear(&s->direct);
    s->up = false;
    s->link_recv = s->link_sent = 0;
    s->resent += obi_order_link_down(s->snd, B, s->link, to_relay, s);
    s->downs++;
}

static void sim_step(struct sim *s, long *next)
{
    uint64_t r = ut_splitmix64(&s->rng) % 100;

    s->now += 1;
    if (r < 30 && *next <= N_MSG)
        sim_send(s, (*next)++);
    else if (r < 55)
        sim_deliver(s, &s->relay, false);
    else if (r < 85 && s->up)
        sim_deliver(s, &s->direct, true);
    else if (r < 95 && s->up)
        obi_order_acked(s->snd, B, s->link,
                        s->link_recv -
                            ut_splitmix64(&s->rng) % (s->link_recv + 1) / 4);
    else if (r < 97 && s->up)
        sim_link_down(s);
    else if (r < 99 && n_got > 0 && !s->up) {
        s->up = true; /* negotiated over the relayed path, behind unicasts */
        s->link++;
    }
}

Test(ob_order, two_paths_exactly_once_in_order)
{
    static struct sim s;
    uint64_t seed = ob_fixed_seed("OB_ORDER_SEED", 0x0bde7);
    long next = 1;

    memset(&s, 0, sizeof s);
    s.snd = order_new(11, 0, 0);
    s.rcv = order_new(12, QCAP, UINT64_MAX / 2);
    s.rng = seed;
    while (next <= N_MSG)
        sim_step(&s, &next);
    while (s.direct.head < s.direct.tail || s.relay.head < s.relay.tail)
        sim_step(&s, &next);
    if (s.up)
        sim_link_down(&s);
    while (s.relay.head < s.relay.tail)
        sim_deliver(&s, &s.relay, false);
    cr_assert_eq(n_got, N_MSG, "OB_ORDER_SEED=%#" PRIx64 ": %zu delivered",
                 seed, n_got);
    for (size_t i = 0; i < n_got; i++)
        cr_assert_eq(got[i], (long)i + 1, "OB_ORDER_SEED=%#" PRIx64 " at %zu",
                     seed, i);
    cr_assert_eq(obi_order_held(s.rcv), 0);
    cr_assert(s.downs > 5 && s.resent > 5 && s.n_direct > N_MSG / 4,
              "a dull schedule: %zu link deaths, %zu resent, %zu direct",
              s.downs, s.resent, s.n_direct);
    obi_order_free(s.snd);
    obi_order_free(s.rcv);
}
