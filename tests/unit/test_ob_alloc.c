/* test_ob_alloc.c -- liborbweb's sans-I/O cores under failing allocations:
 * every allocation of a scenario fails in turn, alone (FA_ONCE) and with
 * every later one (FA_FROM), and each run must return the documented
 * out-of-memory code, leak nothing, and -- once allocations work again --
 * retry the failed call and end exactly as the run without failures.
 * Allocations are counted and failed through the linker's --wrap (see
 * fail_alloc.h); FA_INDEX=n replays one index. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fail_alloc.h"
#include "gc.h"

/* Runs `call` (an int result); when it fails with `enomem` the run's
 * allocations recover and it runs again.  An out-of-memory code with no
 * allocation failed, or any other failure, is a bug. */
#define RETRY(call, enomem)                                                  \
    do {                                                                     \
        int rc_ = (call);                                                    \
        if (rc_ == (enomem)) {                                               \
            cr_assert_gt(fa_failed(), 0, "%s: out of memory without a "      \
                         "failed allocation", #call);                        \
            fa_stop_failing();                                               \
            rc_ = (call);                                                    \
        }                                                                    \
        cr_assert_eq(rc_, 0, "%s: %d (allocation %ld failing)", #call, rc_, \
                     fa_at());                                               \
    } while (0)

static const struct fa_plan every = {0, 0};

static void exhaust(const char *name, fa_scenario s, void *ud)
{
    cr_assert_gt(fa_exhaust(name, s, ud, FA_ONCE, &every), 0);
    cr_assert_gt(fa_exhaust(name, s, ud, FA_FROM, &every), 0);
}

/* ---- gc: two pbcast engines, tree cast with losses, gossip repair ---- */

#define GC_A 1u
#define GC_B 2u
#define GC_ORIGINS 12u
#define GC_SEQS 6u
#define GC_QCAP 256

struct gc_wired {
    gc *e[3];                   /* by peer id: GC_A, GC_B */
    struct gc_q {
        gc_peer from, to;
        gc_record r;
        uint8_t payload[1];
    } q[GC_QCAP];
    size_t nq;
    uint64_t next[3][GC_ORIGINS + 1]; /* next seq expected per origin */
    size_t delivered[3];
};

static struct gc_wired W;
static gc_peer gc_sender; /* whose engine is calling send */

static int gc_cap_send(void *ctx, gc_peer to, const gc_record *r)
{
    struct gc_wired *w = ctx;
    struct gc_q *m;

    if (to != GC_A && to != GC_B)
        return 0; /* the other neighbours are not simulated */
    cr_assert_lt(w->nq, GC_QCAP);
    m = &w->q[w->nq++];
    *m = (struct gc_q){.from = gc_sender, .to = to, .r = *r};
    if (r->kind == GC_MSG) {
        cr_assert_eq(r->msg.len, 1);
        m->payload[0] = r->msg.payload[0];
        m->r.msg.payload = m->payload;
    }
    return 0;
}

static void gc_cap_deliver(void *ctx, uint32_t origin, uint64_t seq,
                           const uint8_t *payload, size_t len)
{
    gc_peer *self = ctx;

    cr_assert(origin >= 1 && origin <= GC_ORIGINS && len == 1);
    cr_assert_eq(payload[0], (uint8_t)(origin * 16 + seq));
    cr_assert_eq(seq, W.next[*self][origin], "peer %u: origin %u seq %lu "
                 "out of order", *self, origin, (unsigned long)seq);
    W.next[*self][origin]++;
    W.delivered[*self]++;
}

static gc_peer gc_ids[3] = {0, GC_A, GC_B};

static void gc_make(gc_peer id)
{
    gc_config cfg = {.engine = GC_PBCAST, .rounds = 3, .seed = id,
                     .send = gc_cap_send, .send_ctx = &W,
                     .deliver = gc_cap_deliver, .app_ctx = &gc_ids[id]};

    RETRY(gc_new(&cfg, 0, &W.e[id]), GC_ENOMEM);
}

/* Hands every queued record to its destination (B loses seq 3 of every
 * origin on the tree). */
static void gc_drain(void)
{
    for (size_t i = 0; i < W.nq; i++) {
        struct gc_q m = W.q[i];

        if (m.r.kind == GC_MSG && m.to == GC_B && m.r.msg.seq == 3 &&
            !(m.r.msg.flags & GC_FLAG_RETRANS))
            continue;
        gc_sender = m.to;
        RETRY(gc_receive(W.e[m.to], m.from, &m.r), GC_ENOMEM);
    }
    W.nq = 0;
}

static void gc_scenario(void *ud)
{
    uint8_t pay[1];

    (void)ud;
    memset(&W, 0, sizeof W);
    for (uint32_t o = 1; o <= GC_ORIGINS; o++)
        W.next[GC_A][o] = W.next[GC_B][o] = 1;
    gc_make(GC_A);
    gc_make(GC_B);
    for (gc_peer p = 3; p <= 8; p++)
        RETRY(gc_neighbour_add(W.e[GC_A], p, GC_ATTR_TREE), GC_ENOMEM);
    RETRY(gc_neighbour_add(W.e[GC_A], GC_B, GC_ATTR_TREE | GC_ATTR_GOSSIP),
          GC_ENOMEM);
    RETRY(gc_neighbour_add(W.e[GC_B], GC_A, GC_ATTR_GOSSIP), GC_ENOMEM);
    for (uint64_t q = 1; q <= GC_SEQS; q++)
        for (uint32_t o = 1; o <= GC_ORIGINS; o++) {
            gc_msg m = {o, q, 0, pay, 1};

            pay[0] = (uint8_t)(o * 16 + q);
            gc_sender = GC_A;
            RETRY(gc_inject(W.e[GC_A], &m), GC_ENOMEM);
            gc_drain();
        }
    for (int round = 0; round < 4; round++)
        for (gc_peer p = GC_A; p <= GC_B; p++) {
            gc_sender = p;
            RETRY(gc_tick(W.e[p], gc_next_round(W.e[p])), GC_ENOMEM);
            gc_drain();
        }
    cr_assert_eq(W.delivered[GC_A], GC_ORIGINS * GC_SEQS);
    cr_assert_eq(W.delivered[GC_B], GC_ORIGINS * GC_SEQS,
                 "B got %zu: a loss was not repaired (allocation %ld)",
                 W.delivered[GC_B], fa_at());
    RETRY(gc_neighbour_remove(W.e[GC_A], GC_B), GC_ENOMEM);
    gc_free(W.e[GC_A]);
    gc_free(W.e[GC_B]);
}

Test(ob_alloc, gc_engines) { exhaust("gc", gc_scenario, NULL); }
