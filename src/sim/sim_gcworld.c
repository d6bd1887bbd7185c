/* sim_gcworld.c -- the groupcast world of sim_gcworld.h: peers with
 * real engines and view managers, the server that relays or injects,
 * the source, churn, and what is measured on the stable members. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_gcworld.h"
#include "vm.h"

#define WARMUP_MS 2000
#define INJECT_K_MAX 8
#define LAT_MAX_MS 65536 /* latencies at or above land in the last bucket */

_Static_assert(GC_ATTR_TREE == VM_ATTR_TREE &&
                   GC_ATTR_GOSSIP == VM_ATTR_GOSSIP &&
                   GC_ATTR_RING_NEXT == VM_ATTR_RING_NEXT,
               "gc attributes are the view managers'");

struct peer {
    struct world *w;
    sim_node id;
    gc *e;        /* NULL while offline */
    uint32_t gen; /* engine generation, to drop a dead engine's timer */
    bool churns;
    uint64_t joined; /* start of the current membership */
    uint64_t last;   /* last seq delivered */
    uint64_t got;    /* distinct seqs delivered */
    uint64_t dups, fifo, gaps;
    uint8_t *seen; /* stable peers: a byte per seq */
};

struct world {
    struct gcw_config rc;
    uint64_t seed;
    sim *s;
    vm *v;
    struct peer *p;
    uint64_t seq;
    uint64_t *sent_at;   /* per seq: when the source sent it */
    uint32_t *lat;       /* latency histogram, 1 ms buckets */
    uint64_t injections; /* the server's sends */
    uint64_t injected_bytes;
    int failed; /* an operation failed: out of memory, ... */
};

static void fail(struct world *w, const char *what, int rc)
{
    fprintf(stderr, "sim_gcworld: %s failed (%d), SIM_SEED=%llu\n", what, rc,
            (unsigned long long)w->seed);
    w->failed = 1;
}

/* ---- A ta-pbcast composition (the simulator's own) ----
 *
 * Per segment an rbt ("tree") and a random manager ("gossip"), and one
 * ring ("ring-next"/"ring-prev") holding one member per segment, as in
 * section 8.3 of the Orbweb paper.  The segment comes with the join
 * (vm_params.segment).  When a segment's ring member leaves, another
 * member of the segment takes its place.  xmucd's own manager (with
 * segment detection) is built elsewhere; this one only gives the engines
 * ta-pbcast-shaped views. */
#define SEG_MAX 64

struct tapb {
    uint32_t nseg;
    size_t tree[SEG_MAX], gossip[SEG_MAX];
    vm_id rep[SEG_MAX];
    uint32_t *seg_of; /* member -> segment + 1 (0: not a member) */
    size_t cap;
};

enum { RING };

static int tapb_init(vm *self, void *state)
{
    (void)state;
    return vm_composite_add(self, "ring", NULL, NULL);
}

static int tapb_segment(vm *self, struct tapb *t, uint32_t seg)
{
    vm_config tree = {.attr = VM_ATTR_TREE};
    vm_config gossip = {.attr = VM_ATTR_GOSSIP};
    int rc = VM_OK;

    if (seg >= SEG_MAX)
        return VM_EINVAL;
    while (!rc && t->nseg <= seg) {
        rc = vm_composite_add(self, "rbt", &tree, &t->tree[t->nseg]);
        if (!rc)
            rc = vm_composite_add(self, "random", &gossip, &t->gossip[t->nseg]);
        if (!rc)
            t->rep[t->nseg++] = VM_ID_NONE;
    }
    return rc;
}

static int tapb_reserve(struct tapb *t, vm_id id)
{
    size_t cap = t->cap ? t->cap : 64;
    uint32_t *p;

    if (id < t->cap)
        return VM_OK;
    while (cap <= id)
        cap *= 2;
    if (!(p = realloc(t->seg_of, cap * sizeof *p)))
        return VM_ENOMEM;
    memset(p + t->cap, 0, (cap - t->cap) * sizeof *p);
    t->seg_of = p;
    t->cap = cap;
    return VM_OK;
}

static int tapb_join(vm *self, void *state, vm_id id, const vm_params *p)
{
    struct tapb *t = state;
    uint32_t seg = p ? p->segment : 0;
    int rc = tapb_segment(self, t, seg);

    if (!rc)
        rc = tapb_reserve(t, id);
    if (!rc)
        rc = vm_composite_join(self, t->tree[seg], id, p);
    if (!rc)
        rc = vm_composite_join(self, t->gossip[seg], id, p);
    if (!rc && t->rep[seg] == VM_ID_NONE &&
        !(rc = vm_composite_join(self, RING, id, NULL)))
        t->rep[seg] = id;
    if (!rc)
        t->seg_of[id] = seg + 1;
    return rc;
}

static int first_member(void *ctx, vm_id id)
{
    *(vm_id *)ctx = id;
    return 1;
}

static int tapb_leave(vm *self, void *state, vm_id id)
{
    struct tapb *t = state;
    uint32_t seg;
    vm_id next = VM_ID_NONE;
    int rc;

    if (id >= t->cap || !t->seg_of[id])
        return VM_ENOENT;
    seg = t->seg_of[id] - 1;
    t->seg_of[id] = 0;
    if ((rc = vm_composite_leave(self, t->tree[seg], id)) ||
        (rc = vm_composite_leave(self, t->gossip[seg], id)) ||
        t->rep[seg] != id || (rc = vm_composite_leave(self, RING, id)))
        return rc;
    vm_members_each(vm_composite_child(self, t->tree[seg]), first_member,
                    &next);
    t->rep[seg] = next;
    return next == VM_ID_NONE ? VM_OK
                              : vm_composite_join(self, RING, next, NULL);
}

static void tapb_fini(vm *self, void *state)
{
    (void)self;
    free(((struct tapb *)state)->seg_of);
}

static const vm_composition tapb = {
    .name = "sim-ta-pbcast",
    .state_size = sizeof(struct tapb),
    .init = tapb_init,
    .join = tapb_join,
    .leave = tapb_leave,
    .fini = tapb_fini,
};

/* ---- Engines ---- */

static void count_delivery(struct world *w, struct peer *p, uint64_t seq)
{
    uint64_t ms = sim_now(w->s) - w->sent_at[seq];

    p->got++;
    w->lat[ms < LAT_MAX_MS ? ms : LAT_MAX_MS - 1]++;
}

static int peer_send(void *ctx, gc_peer to, const gc_record *r)
{
    struct peer *p = ctx;
    uint8_t buf[GC_WIRE_MAX];
    size_t len;
    int rc = gc_wire_encode(r, buf, sizeof buf, &len);

    if (rc)
        fail(p->w, "gc_wire_encode", rc);
    return rc ? rc : sim_send(p->w->s, p->id, to, buf, len);
}

static void peer_deliver(void *ctx, uint32_t origin, uint64_t seq,
                         const uint8_t *payload, size_t len)
{
    struct peer *p = ctx;

    (void)origin, (void)payload, (void)len;
    if (!p->seen)
        return;
    if (seq <= p->last)
        p->fifo++;
    p->last = seq;
    if (seq == 0 || seq > p->w->rc.msgs)
        p->fifo++;
    else if (p->seen[seq]++)
        p->dups++;
    else
        count_delivery(p->w, p, seq);
}

static void peer_gap(void *ctx, uint32_t origin, uint64_t first, uint64_t last)
{
    struct peer *p = ctx;

    (void)origin;
    p->gaps += last - first + 1;
}

static void tick(void *ctx, uint64_t arg);

static void schedule_tick(struct peer *p)
{
    uint64_t arg = (uint64_t)p->gen << 32 | p->id;
    int rc = sim_at(p->w->s, gc_next_round(p->e), tick, p->w, arg);

    if (rc)
        fail(p->w, "sim_at", rc);
}

static void tick(void *ctx, uint64_t arg)
{
    struct world *w = ctx;
    struct peer *p = &w->p[(uint32_t)arg];
    int rc;

    if (!p->e || p->gen != arg >> 32)
        return;
    if ((rc = gc_tick(p->e, sim_now(w->s))))
        fail(w, "gc_tick", rc);
    schedule_tick(p);
}

static uint32_t segment(const struct world *w, sim_node n)
{
    return w->rc.segments ? n % w->rc.segments : 0;
}

static void peer_up(struct world *w, struct peer *p)
{
    gc_config cfg = {.engine = w->rc.engine,
                     .round_ms = w->rc.round_ms,
                     /* as liborbweb: digests along tree edges too */
                     .gossip_attrs = GC_ATTR_GOSSIP | GC_ATTR_TREE,
                     .rounds = w->rc.rounds,
                     .seed = w->seed ^ p->id ^ (uint64_t)p->gen << 40,
                     .send = peer_send,
                     .send_ctx = p,
                     .deliver = peer_deliver,
                     .gap = peer_gap,
                     .app_ctx = p};
    int rc = gc_new(&cfg, sim_now(w->s), &p->e);

    if (rc) {
        fail(w, "gc_new", rc);
        return;
    }
    p->joined = sim_now(w->s);
    schedule_tick(p);
    if ((rc = vm_join(w->v, p->id, &(vm_params){.segment = segment(w, p->id)})))
        fail(w, "vm_join", rc);
}

static void peer_down(struct world *w, struct peer *p)
{
    int rc = vm_leave(w->v, p->id);

    if (rc)
        fail(w, "vm_leave", rc);
    gc_free(p->e);
    p->e = NULL;
    p->gen++;
}

/* ---- Views, network, churn ---- */

static void on_delta(void *ctx, const vm_delta *d)
{
    struct world *w = ctx;
    gc *e = w->p[d->observer].e;
    int rc;

    if (d->kind == VM_SEE && (d->attrs & (VM_ATTR_TREE | VM_ATTR_GOSSIP)) &&
        segment(w, d->observer) != segment(w, d->subject))
        fail(w, "a tree or gossip edge across segments", -1);
    if (!e)
        return;
    rc = d->kind == VM_SEE ? gc_neighbour_add(e, d->subject, d->attrs)
                           : gc_neighbour_remove(e, d->subject);
    if (rc)
        fail(w, "neighbour change", rc);
}

static void on_recv(void *ctx, sim_node from, sim_node to, const uint8_t *data,
                    size_t len)
{
    struct world *w = ctx;
    gc_record r;
    int rc;

    if (to == w->rc.peers || !w->p[to].e)
        return;
    if ((rc = gc_wire_decode(data, len, &r, NULL))) {
        fail(w, "gc_wire_decode", rc);
        return;
    }
    if (from == w->rc.peers && w->rc.mode == GCW_RELAY) {
        peer_deliver(&w->p[to], r.msg.origin, r.msg.seq, r.msg.payload,
                     r.msg.len);
        return;
    }
    rc = from == w->rc.peers ? gc_inject(w->p[to].e, &r.msg)
                             : gc_receive(w->p[to].e, from, &r);
    if (rc && rc != GC_ELIMIT)
        fail(w, "gc_receive", rc);
}

static void on_churn(void *ctx, sim_node n, bool up)
{
    struct world *w = ctx;

    if (up)
        peer_up(w, &w->p[n]);
    else
        peer_down(w, &w->p[n]);
}

static double link_loss(void *ctx, sim_node from, sim_node to)
{
    struct world *w = ctx;

    return from == w->rc.peers || to == w->rc.peers ? 0 : w->rc.loss;
}

/* ---- The source and the server ---- */

static uint32_t inject_k(const struct world *w)
{
    uint32_t k = w->rc.inject_k ? w->rc.inject_k : 2;

    return k < INJECT_K_MAX ? k : INJECT_K_MAX;
}

/* The k online members of segment `seg` with the longest continuous
 * membership (all members are in segment 0 without segments). */
static void injection_points(struct world *w, uint32_t seg, uint32_t *pts)
{
    for (uint32_t k = 0; k < inject_k(w); k++)
        pts[k] = UINT32_MAX;
    for (uint32_t i = 0; i < w->rc.peers; i++) {
        uint32_t c = i;

        if (!w->p[i].e || segment(w, i) != seg)
            continue;
        for (uint32_t k = 0; k < inject_k(w); k++)
            if (pts[k] == UINT32_MAX || w->p[c].joined < w->p[pts[k]].joined) {
                uint32_t t = pts[k];

                pts[k] = c;
                if ((c = t) == UINT32_MAX)
                    break;
            }
    }
}

static void server_send(struct world *w, sim_node to, const uint8_t *buf,
                        size_t len)
{
    w->injections++;
    w->injected_bytes += len;
    if (sim_send(w->s, w->rc.peers, to, buf, len))
        fail(w, "sim_send", -1);
}

/* The server's work for one groupcast: k injections per segment, or a
 * copy to every online member when it relays. */
static void inject(struct world *w, const uint8_t *buf, size_t len)
{
    uint32_t pts[INJECT_K_MAX];

    if (w->rc.mode == GCW_RELAY) {
        for (uint32_t i = 0; i < w->rc.peers; i++)
            if (w->p[i].e)
                server_send(w, i, buf, len);
        return;
    }
    for (uint32_t seg = 0; seg < (w->rc.segments ? w->rc.segments : 1); seg++) {
        injection_points(w, seg, pts);
        for (uint32_t k = 0; k < inject_k(w); k++)
            if (pts[k] != UINT32_MAX)
                server_send(w, pts[k], buf, len);
    }
}

static void groupcast(void *ctx, uint64_t arg)
{
    struct world *w = ctx;
    uint8_t payload[256], buf[GC_WIRE_MAX];
    gc_record r = {.kind = GC_MSG};
    size_t len;

    (void)arg;
    memset(payload, 'x', sizeof payload);
    r.msg = (gc_msg){0, ++w->seq, 0, payload, sizeof payload, NULL};
    w->sent_at[w->seq] = sim_now(w->s);
    if (gc_wire_encode(&r, buf, sizeof buf, &len))
        fail(w, "gc_wire_encode", -1);
    inject(w, buf, len);
    if (w->seq < w->rc.msgs &&
        sim_at(w->s, sim_now(w->s) + GCW_PERIOD_MS, groupcast, w, 0))
        fail(w, "sim_at", -1);
}

/* ---- A run ---- */

static int world_init(struct world *w, const struct gcw_config *rc,
                      uint64_t seed)
{
    sim_config sc = {.nodes = rc->peers + 1,
                     .seed = seed,
                     .delay_min_ms = 5,
                     .delay_max_ms = 50,
                     .loss_fn = link_loss,
                     .recv = on_recv,
                     .churn = on_churn,
                     .ctx = w};
    vm_config vc = {.emit = on_delta, .emit_ctx = w, .seed = seed};

    memset(w, 0, sizeof *w);
    w->rc = *rc;
    w->seed = seed;
    if (sim_new(&sc, &w->s) ||
        (rc->segments ? vm_composite_new(&vc, &tapb, &w->v)
                      : vm_treegossip_new(&vc, &w->v)) ||
        !(w->p = calloc(rc->peers, sizeof *w->p)) ||
        !(w->sent_at = calloc(rc->msgs + 1, sizeof *w->sent_at)) ||
        !(w->lat = calloc(LAT_MAX_MS, sizeof *w->lat)))
        return -1;
    for (uint32_t i = 0; i < rc->peers; i++) {
        w->p[i] = (struct peer){.w = w, .id = i};
        /* Every eighth peer churns, from a random phase. */
        w->p[i].churns = rc->churn && i % 8 == 7;
        if (!w->p[i].churns && !(w->p[i].seen = calloc(rc->msgs + 1, 1)))
            return -1;
    }
    return 0;
}

static void world_fini(struct world *w)
{
    for (uint32_t i = 0; w->p && i < w->rc.peers; i++) {
        gc_free(w->p[i].e);
        free(w->p[i].seen);
    }
    free(w->p);
    free(w->sent_at);
    free(w->lat);
    vm_free(w->v);
    sim_free(w->s);
}

static void world_start(struct world *w)
{
    for (uint32_t i = 0; i < w->rc.peers; i++) {
        peer_up(w, &w->p[i]);
        if (w->p[i].churns &&
            sim_churn(w->s, i, WARMUP_MS + sim_below(w->s, 60000), 30000,
                      30000))
            fail(w, "sim_churn", -1);
    }
    if (sim_at(w->s, WARMUP_MS, groupcast, w, 0))
        fail(w, "sim_at", -1);
}

/* The latency at or below which a fraction q of the deliveries came. */
static uint64_t percentile(const struct world *w, uint64_t total, double q)
{
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;

    for (uint64_t ms = 0; ms < LAT_MAX_MS; ms++)
        if ((seen += w->lat[ms]) > want)
            return ms;
    return LAT_MAX_MS;
}

static void world_measure(struct world *w, struct gcw_result *res)
{
    sim_stats st;
    uint64_t got = 0;

    memset(res, 0, sizeof *res);
    for (uint32_t i = 0; i < w->rc.peers; i++) {
        const struct peer *p = &w->p[i];

        if (!p->seen)
            continue;
        res->stable++;
        got += p->got;
        res->dups += p->dups;
        res->fifo += p->fifo;
        res->gaps += p->gaps;
    }
    sim_get_stats(w->s, &st);
    res->ratio = (double)got / ((double)res->stable * w->rc.msgs);
    res->per_peer = (double)st.sent / ((double)w->rc.msgs * w->rc.peers);
    res->server = (double)w->injections / w->rc.msgs;
    res->server_bytes = (double)w->injected_bytes / w->rc.msgs;
    res->lat_p50_ms = percentile(w, got, 0.50);
    res->lat_p99_ms = percentile(w, got, 0.99);
}

int gcw_run(const struct gcw_config *rc, uint64_t seed, struct gcw_result *res)
{
    struct world w;
    uint64_t end = WARMUP_MS + (uint64_t)rc->msgs * GCW_PERIOD_MS + 15000;
    int failed;

    if (world_init(&w, rc, seed)) {
        fprintf(stderr, "sim_gcworld: out of memory\n");
        world_fini(&w);
        return -1;
    }
    world_start(&w);
    sim_run(w.s, end);
    world_measure(&w, res);
    failed = w.failed;
    world_fini(&w);
    return failed ? -1 : 0;
}

const char *gcw_name(const struct gcw_config *c)
{
    if (c->mode == GCW_RELAY)
        return "relay";
    if (c->segments)
        return c->engine == GC_PBCAST ? "ta-pbcast" : "ta-tree";
    return c->engine == GC_PBCAST ? "pbcast" : "tree";
}
