/* gc_engine.c -- one peer's groupcast engine: neighbours, the tree-cast
 * phase (forwarding and duplicate suppression), FIFO delivery with gap
 * reports, and the round clock.  The anti-entropy phase of pbcast lives
 * in gc_gossip.c, the buffer in gc_buffer.c.
 *
 * Every public entry point refuses to run from inside one of the
 * engine's own callbacks (GC_EBUSY), so callbacks never see the engine
 * half-way through a change. */
#include <string.h>

#include "gc_internal.h"
#include "ut_rand.h"

static const gc_config defaults = {
    .engine = GC_PBCAST,
    .forward_attrs = GC_ATTR_TREE,
    .gossip_attrs = GC_ATTR_GOSSIP,
    .round_ms = 500,
    .rounds = 8,
    .retransmit_max = 32,
    .solicit_max = 64,
    .buffer_max = 4096,
    .origins_max = 1024,
};

#define DEFAULT(field)                                                         \
    if (!c->field)                                                             \
    c->field = defaults.field

static void apply_defaults(gc_config *c)
{
    DEFAULT(engine);
    DEFAULT(forward_attrs);
    DEFAULT(gossip_attrs);
    DEFAULT(round_ms);
    DEFAULT(rounds);
    DEFAULT(retransmit_max);
    DEFAULT(solicit_max);
    DEFAULT(buffer_max);
    DEFAULT(origins_max);
    if (!c->window)
        c->window = c->buffer_max;
}

uint64_t gc_rand(gc *e)
{
    return ut_splitmix64(&e->rng);
}

int gc_new(const gc_config *cfg, uint64_t now, gc **out)
{
    gc_allocator a = {0};
    gc *e;

    if (!cfg || !out || !cfg->send ||
        (cfg->engine && cfg->engine != GC_TREECAST && cfg->engine != GC_PBCAST))
        return GC_EINVAL;
    if (cfg->alloc)
        a = *cfg->alloc;
    if (!(e = gc_mem_realloc(&a, NULL, sizeof *e)))
        return GC_ENOMEM;
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    apply_defaults(&e->cfg);
    e->a = a;
    e->rng = cfg->seed;
    gc_buf_init(&e->buf, &a, e->cfg.buffer_max, e->cfg.origins_max);
    e->next_round = now + gc_rand(e) % e->cfg.round_ms + 1;
    e->budget = e->cfg.retransmit_max;
    *out = e;
    return GC_OK;
}

void gc_free(gc *e)
{
    if (!e)
        return;
    gc_buf_fini(&e->buf);
    gc_mem_free(&e->a, e->nb);
    gc_mem_free(&e->a, e);
}

void gc_send_record(gc *e, gc_peer to, const gc_record *r)
{
    if (e->cfg.send(e->cfg.send_ctx, to, r))
        e->st.send_failed++;
}

/* ---- Neighbours ---- */

static struct gc_nb *nb_find(gc *e, gc_peer id)
{
    for (uint32_t i = 0; i < e->nnb; i++)
        if (e->nb[i].id == id)
            return &e->nb[i];
    return NULL;
}

int gc_neighbour_remove(gc *e, gc_peer id)
{
    struct gc_nb *n;

    if (!e)
        return GC_EINVAL;
    if (e->busy)
        return GC_EBUSY;
    if (!(n = nb_find(e, id)))
        return GC_ENOENT;
    *n = e->nb[--e->nnb];
    return GC_OK;
}

int gc_neighbour_add(gc *e, gc_peer id, uint32_t attrs)
{
    struct gc_nb *n;

    if (!e || id == GC_PEER_INJECT)
        return GC_EINVAL;
    if (e->busy)
        return GC_EBUSY;
    if (!attrs)
        return nb_find(e, id) ? gc_neighbour_remove(e, id) : GC_OK;
    if ((n = nb_find(e, id))) {
        n->attrs = attrs;
        return GC_OK;
    }
    if (e->nnb == e->capnb) {
        uint32_t cap = e->capnb ? 2 * e->capnb : 8;
        struct gc_nb *p = gc_mem_realloc(&e->a, e->nb, cap * sizeof *p);

        if (!p)
            return GC_ENOMEM;
        e->nb = p;
        e->capnb = cap;
    }
    e->nb[e->nnb++] = (struct gc_nb){id, attrs};
    return GC_OK;
}

/* ---- Tree cast and delivery ---- */

static void forward(gc *e, gc_peer from, const struct gc_origin *o,
                    const struct gc_entry *m)
{
    gc_record r = {.kind = GC_MSG,
                   .msg = {o->id, m->seq, 0, m->payload, m->len,
                           m->has_sig ? m->sig : NULL}};

    for (uint32_t i = 0; i < e->nnb; i++)
        if (e->nb[i].id != from && (e->nb[i].attrs & e->cfg.forward_attrs)) {
            gc_send_record(e, e->nb[i].id, &r);
            e->st.forwarded++;
        }
}

/* Skips [o->next, upto): reported as a gap unless nothing was delivered
 * yet from this origin (then it is where this peer's stream starts). */
static void skip(gc *e, struct gc_origin *o, uint64_t upto)
{
    if (!o->fresh && e->cfg.gap)
        e->cfg.gap(e->cfg.app_ctx, o->id, o->next, upto - 1);
    if (!o->fresh)
        e->st.gaps += upto - o->next;
    o->next = upto;
}

/* Delivers what FIFO order allows: the next seq when held, or, once the
 * first held message after a gap has waited for the buffer horizon, the
 * gap and what follows it.  Only messages this engine holds (verified,
 * when there is a verifier) and its own horizon move the watermark:
 * nothing another peer says can make it skip. */
static void release(gc *e, struct gc_origin *o)
{
    for (;;) {
        uint32_t i = gc_buf_lower(o, o->next);
        const struct gc_entry *m;

        if (i == o->n)
            return;
        m = &o->held[i];
        if (m->seq != o->next) {
            if (e->round - m->round < e->cfg.rounds)
                return;
            skip(e, o, m->seq);
        }
        o->fresh = false;
        o->next++;
        e->st.delivered++;
        if (e->cfg.deliver)
            e->cfg.deliver(e->cfg.app_ctx, o->id, m->seq, m->payload, m->len);
    }
}

static bool forwards_from(gc *e, gc_peer from, const gc_msg *m)
{
    const struct gc_nb *n;

    if (m->flags & GC_FLAG_RETRANS)
        return false;
    if (from == GC_PEER_INJECT)
        return true;
    n = nb_find(e, from);
    return n && (n->attrs & e->cfg.forward_attrs);
}

/* The window: a seq more than cfg.window above where this origin's
 * stream stands is refused.  The stream stands at the watermark once
 * something was delivered, else at the oldest message held; an origin
 * with neither takes any seq (a member joining mid-stream, or back after
 * a long absence, sees the room's current numbers). */
static bool in_window(const gc *e, const struct gc_origin *o, uint64_t seq)
{
    uint64_t base;

    if (!o || (o->fresh && !o->n))
        return true;
    base = o->fresh ? o->held[0].seq : o->next;
    return seq <= base || seq - base <= e->cfg.window;
}

/* Asks the owner whether m is authentic (once per message: duplicates
 * never get here).  GC_ENOMEM: undecided, nothing counted. */
static int authentic(gc *e, const gc_msg *m)
{
    int rc;

    if (!e->cfg.verify)
        return GC_OK;
    if ((rc = e->cfg.verify(e->cfg.app_ctx, m)) == GC_ENOMEM)
        return GC_ENOMEM;
    if (rc) {
        e->st.unverified++;
        return GC_EAUTH;
    }
    e->st.verified++;
    return GC_OK;
}

static int on_msg(gc *e, gc_peer from, const gc_msg *m)
{
    struct gc_origin *o;
    int rc;

    if (m->seq == 0 || m->len > GC_PAYLOAD_MAX || (m->len && !m->payload))
        return GC_EINVAL;
    o = gc_buf_origin(&e->buf, m->origin);
    if (o && (m->seq < o->next || gc_buf_holds(o, m->seq))) {
        e->st.duplicates++;
        return GC_OK;
    }
    if (!in_window(e, o, m->seq)) {
        e->st.out_of_window++;
        return GC_ELIMIT;
    }
    if ((rc = authentic(e, m)))
        return rc;
    if ((rc = gc_buf_origin_get(&e->buf, m->origin, e->round, &o)) ||
        (rc = gc_buf_insert(&e->buf, o, m, e->round))) {
        e->st.refused++;
        return rc;
    }
    if (forwards_from(e, from, m))
        forward(e, from, o, &o->held[gc_buf_lower(o, m->seq)]);
    release(e, o);
    return GC_OK;
}

int gc_inject(gc *e, const gc_msg *m)
{
    gc_record r;

    if (!m)
        return GC_EINVAL;
    r.kind = GC_MSG;
    r.msg = *m;
    r.msg.flags = 0;
    return gc_receive(e, GC_PEER_INJECT, &r);
}

int gc_receive(gc *e, gc_peer from, const gc_record *r)
{
    int rc = GC_OK;

    if (!e || !r)
        return GC_EINVAL;
    if (e->busy)
        return GC_EBUSY;
    e->busy = true;
    if (r->kind == GC_MSG)
        rc = on_msg(e, from, &r->msg);
    else if (r->kind == GC_DIGEST && e->cfg.engine == GC_PBCAST)
        gc_gossip_on_digest(e, from, &r->ranges);
    else if (r->kind == GC_SOLICIT && e->cfg.engine == GC_PBCAST)
        gc_gossip_on_solicit(e, from, &r->ranges);
    else if (r->kind != GC_DIGEST && r->kind != GC_SOLICIT)
        rc = GC_EINVAL;
    e->busy = false;
    return rc;
}

int gc_resume(gc *e, uint32_t origin, uint64_t next)
{
    struct gc_origin *o;
    int rc;

    if (!e || !next)
        return GC_EINVAL;
    if (e->busy)
        return GC_EBUSY;
    if ((rc = gc_buf_origin_get(&e->buf, origin, e->round, &o)))
        return rc;
    e->busy = true;
    if (o->next < next)
        o->next = next;
    release(e, o);
    e->busy = false;
    return GC_OK;
}

/* ---- Rounds ---- */

static void run_round(gc *e)
{
    e->round++;
    e->budget = e->cfg.retransmit_max;
    for (uint32_t i = 0; i < e->buf.norigins; i++)
        release(e, &e->buf.origins[i]);
    gc_buf_expire(&e->buf, e->round, e->cfg.rounds);
    if (e->cfg.engine == GC_PBCAST)
        gc_gossip_digest(e);
}

int gc_tick(gc *e, uint64_t now)
{
    if (!e)
        return GC_EINVAL;
    if (e->busy)
        return GC_EBUSY;
    if (now < e->next_round)
        return GC_OK;
    e->busy = true;
    run_round(e);
    e->next_round += e->cfg.round_ms;
    if (e->next_round <= now)
        e->next_round = now + e->cfg.round_ms;
    e->busy = false;
    return GC_OK;
}

uint64_t gc_next_round(const gc *e)
{
    return e ? e->next_round : UINT64_MAX;
}

void gc_get_stats(const gc *e, gc_stats *out)
{
    if (!e || !out)
        return;
    *out = e->st;
    out->buffered = e->buf.total;
    out->origins = e->buf.norigins;
    out->neighbours = e->nnb;
    out->round = e->round;
}
