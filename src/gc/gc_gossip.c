/* gc_gossip.c -- the anti-entropy phase of pbcast (Bimodal Multicast).
 *
 * Each round the engine sends a digest of its buffer (per origin, the
 * ranges of seqs held, most recent first) to one random gossip
 * neighbour.  The receiver solicits, from the digest's sender only, the
 * seqs it lacks and has not yet delivered or skipped: at most
 * solicit_max, most recent first.  The digest's sender answers a solicit
 * only for its current or previous round (older ones are stale: the
 * asker has likely been served by someone else) and retransmits at most
 * retransmit_max messages per round, most recent first; retransmissions
 * are flagged and never forwarded along the tree.  Refinement (push, as
 * in push-pull anti-entropy): a digest also carries its sender's
 * delivery watermark per origin, and its receiver sends, from the same
 * budget, what it holds that the digest's sender has not seen.  Walks
 * over a range are bounded by the messages held plus the solicit
 * budget, so a hostile range [1, 2^64) costs no more than an honest
 * one. */
#include <string.h>

#include "gc_internal.h"

/* Adds seq to the ranges being built for origin `or` (the last one of
 * g), seqs coming in descending order.  False at the wire limit. */
static bool ranges_add(gc_ranges *g, struct gc_origin_ranges * or, uint64_t seq)
{
    if (or->count && g->ranges[g->nranges - 1].lo == seq + 1) {
        g->ranges[g->nranges - 1].lo = seq;
        return true;
    }
    if (g->nranges == GC_WIRE_RANGES_MAX)
        return false;
    g->ranges[g->nranges++] = (gc_range){seq, seq};
    or->count++;
    return true;
}

/* Appends the ranges of o's held seqs, most recent first, to g;
 * stops at the wire limit. */
static void digest_origin(gc_ranges *g, const struct gc_origin *o)
{
    struct gc_origin_ranges * or = &g->origins[g->norigins];

    or->origin = o->id;
    or->next = o->next;
    or->first = g->nranges;
    or->count = 0;
    for (uint32_t i = o->n; i > 0; i--)
        if (!ranges_add(g, or, o->held[i - 1].seq))
            break;
    if (or->count || !o->n) /* nothing held: the watermark says it all */
        g->norigins++;
}

static gc_peer gossip_target(gc *e)
{
    uint32_t n = 0, pick;

    for (uint32_t i = 0; i < e->nnb; i++)
        n += (e->nb[i].attrs & e->cfg.gossip_attrs) != 0;
    if (!n)
        return GC_PEER_INJECT;
    pick = (uint32_t)(gc_rand(e) % n);
    for (uint32_t i = 0;; i++)
        if ((e->nb[i].attrs & e->cfg.gossip_attrs) && pick-- == 0)
            return e->nb[i].id;
}

/* Origins start at a rotating index, so that more origins than one
 * digest holds are all covered over successive rounds.  A peer that
 * holds nothing digests too: its forwarding neighbours may be members
 * that forward nothing, and only a digest draws what it lacks (the
 * pushes below). */
void gc_gossip_digest(gc *e)
{
    gc_record r = {.kind = GC_DIGEST};
    gc_peer to;
    uint32_t n = e->buf.norigins;

    if ((to = gossip_target(e)) == GC_PEER_INJECT)
        return;
    r.ranges.round = e->round;
    for (uint32_t k = 0; k < n && r.ranges.norigins < GC_WIRE_ORIGINS_MAX &&
                         r.ranges.nranges < GC_WIRE_RANGES_MAX;
         k++)
        digest_origin(&r.ranges, &e->buf.origins[(e->round + k) % n]);
    gc_send_record(e, to, &r);
    e->st.digests++;
}

/* Walks range rg from its top down, beside the held entries below it,
 * adding what is neither held nor below the watermark.  `left` is the
 * solicit budget. */
static void solicit_range(gc_ranges *s, struct gc_origin_ranges * or,
                          const struct gc_origin *o, gc_range rg,
                          uint32_t *left)
{
    uint64_t lo = o && o->next > rg.lo ? o->next : rg.lo;
    uint64_t seq = rg.hi;
    uint32_t i = !o ? 0 : seq == UINT64_MAX ? o->n : gc_buf_lower(o, seq + 1);

    while (*left && seq >= lo) {
        if (i > 0 && o->held[i - 1].seq == seq)
            i--;
        else if (ranges_add(s, or, seq))
            --*left;
        else
            return;
        if (seq-- == lo)
            return;
    }
}

static bool covered(const gc_ranges *d, const struct gc_origin_ranges *dr,
                    uint64_t seq)
{
    for (uint32_t j = dr->first; j < dr->first + dr->count; j++)
        if (d->ranges[j].lo <= seq && seq <= d->ranges[j].hi)
            return true;
    return false;
}

static void send_retrans(gc *e, gc_peer to, const struct gc_origin *o,
                         const struct gc_entry *m)
{
    gc_record r = {.kind = GC_MSG,
                   .msg = {o->id, m->seq, GC_FLAG_RETRANS, m->payload, m->len,
                           m->has_sig ? m->sig : NULL}};

    gc_send_record(e, to, &r);
    e->budget--;
    e->st.retransmitted++;
}

/* Push: the messages held here that the digest's sender has not seen
 * (at or above its watermark, in none of its ranges) go to it unasked,
 * most recent first, from the per-round retransmission budget; except
 * those above its newest that arrived here less than two rounds ago,
 * which may still be on their way to it along the tree. */
static void push_missing(gc *e, gc_peer to, const gc_ranges *d,
                         const struct gc_origin_ranges *dr)
{
    const struct gc_origin *o = gc_buf_origin(&e->buf, dr->origin);
    uint64_t hi = 0;

    for (uint32_t j = dr->first; j < dr->first + dr->count; j++)
        hi = d->ranges[j].hi > hi ? d->ranges[j].hi : hi;
    for (uint32_t i = o ? o->n : 0; i > 0 && e->budget; i--) {
        const struct gc_entry *m = &o->held[i - 1];

        if (m->seq < dr->next)
            break;
        if ((m->seq < hi || e->round - m->round >= 2) &&
            !covered(d, dr, m->seq)) {
            send_retrans(e, to, o, m);
            e->st.pushed++;
        }
    }
}

/* A digest that names no origin comes from a peer that has heard of
 * none (it just came, or its tree neighbours forward nothing): it gets
 * what is held here of every origin, as from a watermark of 0. */
static void push_all(gc *e, gc_peer to, const gc_ranges *d)
{
    for (uint32_t k = 0; k < e->buf.norigins && e->budget; k++) {
        struct gc_origin_ranges none = {e->buf.origins[k].id, 0, 0, 0};
        push_missing(e, to, d, &none);
    }
}

void gc_gossip_on_digest(gc *e, gc_peer from, const gc_ranges *d)
{
    gc_record r = {.kind = GC_SOLICIT};
    gc_ranges *s = &r.ranges;
    uint32_t left = e->cfg.solicit_max, asked;

    s->round = d->round;
    for (uint32_t k = 0; k < d->norigins && left; k++) {
        const struct gc_origin_ranges *dr = &d->origins[k];
        const struct gc_origin *o = gc_buf_origin(&e->buf, dr->origin);
        struct gc_origin_ranges * or = &s->origins[s->norigins];

        * or = (struct gc_origin_ranges){dr->origin, 0, s->nranges, 0};
        for (uint32_t j = 0; j < dr->count && left; j++)
            solicit_range(s, or, o, d->ranges[dr->first + j], &left);
        if (or->count)
            s->norigins++;
    }
    for (uint32_t k = 0; k < d->norigins && e->budget; k++)
        push_missing(e, from, d, &d->origins[k]);
    if (!d->norigins)
        push_all(e, from, d);
    if (!s->norigins)
        return;
    asked = e->cfg.solicit_max - left;
    e->st.solicits++;
    e->st.solicited += asked;
    gc_send_record(e, from, &r);
}

/* Retransmits o's held entries within rg, most recent first. */
static void retransmit_range(gc *e, gc_peer to, const struct gc_origin *o,
                             gc_range rg)
{
    uint32_t i = gc_buf_lower(o, rg.lo), end = i;

    while (end < o->n && o->held[end].seq <= rg.hi)
        end++;
    for (; end > i; end--) {
        if (!e->budget) {
            e->st.budget_dropped += end - i;
            return;
        }
        send_retrans(e, to, o, &o->held[end - 1]);
    }
}

void gc_gossip_on_solicit(gc *e, gc_peer from, const gc_ranges *s)
{
    if (s->round > e->round || e->round - s->round > 1) {
        e->st.stale++;
        return;
    }
    for (uint32_t k = 0; k < s->norigins; k++) {
        const struct gc_origin_ranges *sr = &s->origins[k];
        const struct gc_origin *o = gc_buf_origin(&e->buf, sr->origin);

        for (uint32_t j = 0; o && j < sr->count; j++)
            retransmit_range(e, from, o, s->ranges[sr->first + j]);
    }
}
