/* ob_order.c -- per-destination ordering of unicasts across the relayed
 * and direct paths (see ob_order.h for the protocol and its bounds).
 *
 * Two tables keyed by JID, each a search tree (tsearch) plus a list in
 * least-recently-used order to forget the oldest entry beyond max_peers:
 * destinations (our epoch and SEQ for them, stanzas a direct link has not
 * acknowledged) and senders (the SEQ expected, early arrivals held sorted
 * by SEQ).  A destination forgotten and seen again gets a new epoch, so
 * its receiver starts over instead of taking new stanzas for duplicates. */
#include "config.h"

#include "ob_order.h"

#include <inttypes.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbweb.h"
#include "ut_ns.h"
#include "ut_search.h"

/* A stanza and its SEQ (held), or its number on the link that carries
 * it (unacked). */
struct ent {
    uint64_t seq;
    xmpp_stanza_t *st;
    size_t bytes;
    uint64_t link; /* unacked: the link's tag */
};

struct queue {
    struct ent *v;
    size_t n, cap, bytes;
};

/* The head of an entry of either table. */
struct node {
    char *jid;
    struct node *prev, *next; /* LRU order, most recent first */
};

struct table {
    void *root;      /* tsearch tree of struct node * */
    struct node lru; /* sentinel of the LRU list */
    size_t n, max;
};

struct dest {
    struct node node;
    uint64_t epoch, sent; /* sent: the last SEQ given */
    struct queue unacked; /* in send order, the links' interleaved */
};

struct sender {
    struct node node;
    uint64_t epoch, old_epoch, next;
    bool started;
    struct queue held; /* sorted by SEQ, all above next */
    uint64_t gap_since;
};

struct obi_order {
    struct obi_order_params p;
    uint64_t next_epoch;
    struct table dests, senders;
};

/* ---- Queues ---- */

static int queue_insert(struct queue *q, size_t at, uint64_t seq,
                        xmpp_stanza_t *st, size_t bytes)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 16;
        struct ent *v = realloc(q->v, cap * sizeof *v);
        if (!v)
            return OB_ENOMEM;
        q->v = v;
        q->cap = cap;
    }
    memmove(q->v + at + 1, q->v + at, (q->n - at) * sizeof *q->v);
    q->v[at].seq = seq;
    q->v[at].st = xmpp_stanza_clone(st);
    q->v[at].bytes = bytes;
    q->v[at].link = 0;
    q->bytes += bytes;
    q->n++;
    return 0;
}

/* Releases the first k entries. */
static void queue_drop(struct queue *q, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        q->bytes -= q->v[i].bytes;
        xmpp_stanza_release(q->v[i].st);
    }
    q->n -= k;
    if (k && q->n)
        memmove(q->v, q->v + k, q->n * sizeof *q->v);
}

static void queue_free(struct queue *q)
{
    queue_drop(q, q->n);
    free(q->v);
}

/* ---- Tables ---- */

static int by_jid(const void *a, const void *b)
{
    return strcmp(((const struct node *)a)->jid, ((const struct node *)b)->jid);
}

static void table_init(struct table *t, size_t max)
{
    t->root = NULL;
    t->lru.prev = t->lru.next = &t->lru;
    t->n = 0;
    t->max = max;
}

static void lru_unlink(struct node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static void lru_push(struct table *t, struct node *n)
{
    n->next = t->lru.next;
    n->prev = &t->lru;
    t->lru.next->prev = n;
    t->lru.next = n;
}

/* The entry for jid, now the most recently used, or NULL. */
static struct node *table_find(struct table *t, const char *jid)
{
    struct node key = {.jid = (char *)jid};
    struct node **hit = tfind(&key, &t->root, by_jid);

    if (!hit)
        return NULL;
    lru_unlink(*hit);
    lru_push(t, *hit);
    return *hit;
}

/* Adds n (its jid is set) as the most recently used entry. */
static int table_add(struct table *t, struct node *n)
{
    if (!tsearch(n, &t->root, by_jid))
        return OB_ENOMEM;
    lru_push(t, n);
    t->n++;
    return 0;
}

/* Unlinks n (the caller frees it). */
static void table_remove(struct table *t, struct node *n)
{
    tdelete(n, &t->root, by_jid);
    lru_unlink(n);
    t->n--;
}

/* The least recently used entry when the table is full, else NULL. */
static struct node *table_victim(struct table *t)
{
    return t->n >= t->max ? t->lru.prev : NULL;
}

/* Allocates an entry of size bytes for jid, zeroed but for its jid. */
static struct node *node_new(size_t size, const char *jid)
{
    struct node *n = calloc(1, size);

    if (n && !(n->jid = strdup(jid))) {
        free(n);
        return NULL;
    }
    return n;
}

/* ---- The object ---- */

int obi_order_new(const struct obi_order_params *p, obi_order **out)
{
    obi_order *o;

    *out = NULL;
    if (!p || p->epoch == 0)
        return OB_EINVAL;
    if (!(o = calloc(1, sizeof *o)))
        return OB_ENOMEM;
    o->p = *p;
    o->p.max_held = p->max_held ? p->max_held : 4096;
    o->p.max_held_bytes = p->max_held_bytes ? p->max_held_bytes : 8u << 20;
    o->p.max_unacked = p->max_unacked ? p->max_unacked : OBI_ORDER_MAX_UNACKED;
    o->p.max_peers = p->max_peers ? p->max_peers : 4096;
    o->p.hold_ms = p->hold_ms ? p->hold_ms : 10000;
    o->next_epoch = p->epoch;
    table_init(&o->dests, o->p.max_peers);
    table_init(&o->senders, o->p.max_peers);
    *out = o;
    return 0;
}

static void dest_free(obi_order *o, struct dest *d)
{
    table_remove(&o->dests, &d->node);
    queue_free(&d->unacked);
    free(d->node.jid);
    free(d);
}

static void sender_free(obi_order *o, struct sender *s)
{
    table_remove(&o->senders, &s->node);
    queue_free(&s->held);
    free(s->node.jid);
    free(s);
}

void obi_order_free(obi_order *o)
{
    if (!o)
        return;
    while (o->dests.n)
        dest_free(o, (struct dest *)o->dests.lru.next);
    while (o->senders.n)
        sender_free(o, (struct sender *)o->senders.lru.next);
    free(o);
}

/* ---- Sending ---- */

static struct dest *dest_get(obi_order *o, const char *to, bool create)
{
    struct dest *d = (struct dest *)table_find(&o->dests, to);
    struct node *old;

    if (d || !create)
        return d;
    if ((old = table_victim(&o->dests)))
        dest_free(o, (struct dest *)old);
    if (!(d = (struct dest *)node_new(sizeof *d, to)))
        return NULL;
    if (o->next_epoch == 0) /* wrapped */
        o->next_epoch = 1;
    d->epoch = o->next_epoch++;
    if (table_add(&o->dests, &d->node)) {
        free(d->node.jid);
        free(d);
        return NULL;
    }
    return d;
}

int obi_order_stamp(obi_order *o, const char *to, xmpp_stanza_t *st,
                    uint64_t *seq)
{
    struct dest *d;
    xmpp_stanza_t *el;
    char e[24], s[24];

    if (!o || !to || !st)
        return OB_EINVAL;
    if (!(d = dest_get(o, to, true)) ||
        !(el = xmpp_stanza_new(xmpp_stanza_get_context(st))))
        return OB_ENOMEM;
    snprintf(e, sizeof e, "%" PRIu64, d->epoch);
    snprintf(s, sizeof s, "%" PRIu64, d->sent + 1);
    if (xmpp_stanza_set_name(el, "o") || xmpp_stanza_set_ns(el, UT_NS_E2E) ||
        xmpp_stanza_set_attribute(el, "e", e) ||
        xmpp_stanza_set_attribute(el, "s", s) ||
        xmpp_stanza_add_child_ex(st, el, 0)) {
        xmpp_stanza_release(el);
        return OB_ENOMEM;
    }
    d->sent++;
    if (seq)
        *seq = d->sent;
    return 0;
}

void obi_order_unstamp(obi_order *o, const char *to, uint64_t seq)
{
    struct dest *d = o && to ? dest_get(o, to, false) : NULL;

    if (d && seq == d->sent && seq > 0)
        d->sent--;
}

int obi_order_sent_direct(obi_order *o, const char *to, uint64_t link,
                          uint64_t n, xmpp_stanza_t *st)
{
    struct dest *d = o && to ? dest_get(o, to, false) : NULL;
    int rc;

    if (!d)
        return OB_EINVAL; /* never stamped for `to` */
    if (d->unacked.n >= o->p.max_unacked)
        return OB_ESTATE;
    if ((rc = queue_insert(&d->unacked, d->unacked.n, n, st, 0)) == 0)
        d->unacked.v[d->unacked.n - 1].link = link;
    return rc;
}

/* Takes out of q the entries of link (all, or those numbered up to h),
 * in order, calling fn(ud, st) for each when fn is not NULL.  Returns
 * how many. */
static size_t queue_take_link(struct queue *q, uint64_t link, bool all,
                              uint64_t h, obi_order_fn fn, void *ud)
{
    size_t i, k = 0;

    for (i = 0; i < q->n; i++) {
        struct ent *e = &q->v[i];
        if (e->link == link && (all || e->seq <= h)) {
            if (fn)
                fn(ud, e->st);
            q->bytes -= e->bytes;
            xmpp_stanza_release(e->st);
        } else {
            q->v[k++] = *e;
        }
    }
    i = q->n - k;
    q->n = k;
    return i;
}

void obi_order_acked(obi_order *o, const char *to, uint64_t link, uint64_t h)
{
    struct dest *d = o && to ? dest_get(o, to, false) : NULL;

    if (d)
        queue_take_link(&d->unacked, link, false, h, NULL, NULL);
}

size_t obi_order_link_down(obi_order *o, const char *to, uint64_t link,
                           obi_order_fn resend, void *ud)
{
    struct dest *d = o && to ? dest_get(o, to, false) : NULL;

    return d ? queue_take_link(&d->unacked, link, true, 0, resend, ud) : 0;
}

/* The destination record for to, without touching the LRU order. */
/* The entry for jid in t, without touching the LRU order, or NULL. */
static const struct node *node_peek(const struct table *t, const char *jid)
{
    struct node key = {.jid = (char *)jid};
    struct node **hit = jid ? tfind(&key, &t->root, by_jid) : NULL;

    return hit ? *hit : NULL;
}

static const struct dest *dest_peek(const obi_order *o, const char *to)
{
    return o ? (const struct dest *)node_peek(&o->dests, to) : NULL;
}

size_t obi_order_unacked(const obi_order *o, const char *to)
{
    const struct dest *d = dest_peek(o, to);

    return d ? d->unacked.n : 0;
}

bool obi_order_sent_to(const obi_order *o, const char *jid)
{
    return dest_peek(o, jid) != NULL;
}

bool obi_order_direct_room(const obi_order *o, const char *to)
{
    const struct dest *d = dest_peek(o, to);

    return d && d->unacked.n < o->p.max_unacked;
}

/* ---- Receiving ---- */

/* Reads a strict decimal of at most 20 digits. */
static bool u64_attr(xmpp_stanza_t *el, const char *name, uint64_t *out)
{
    const char *v = xmpp_stanza_get_attribute(el, name);
    size_t n = v ? strspn(v, "0123456789") : 0;
    char *end;

    if (n == 0 || n > 20 || v[n])
        return false;
    *out = strtoull(v, &end, 10);
    return *end == '\0' && !(n == 20 && strcmp(v, "18446744073709551615") > 0);
}

/* Finds <o e s/>: false when absent or malformed (then unordered). */
static bool order_of(xmpp_stanza_t *st, uint64_t *epoch, uint64_t *seq)
{
    xmpp_stanza_t *el =
        xmpp_stanza_get_child_by_name_and_ns(st, "o", UT_NS_E2E);

    return el && u64_attr(el, "e", epoch) && u64_attr(el, "s", seq) &&
           *epoch != 0 && *seq != 0;
}

/* Delivers the held stanzas that are now next in line. */
static size_t drain(struct sender *s, uint64_t now_ms, obi_order_fn deliver,
                    void *ud)
{
    size_t k = 0;

    while (k < s->held.n && s->held.v[k].seq == s->next) {
        deliver(ud, s->held.v[k].st);
        s->next++;
        k++;
    }
    queue_drop(&s->held, k);
    if (k)
        s->gap_since = now_ms;
    return k;
}

/* Stops waiting for the SEQs below the first one held. */
static size_t skip_gap(struct sender *s, uint64_t now_ms, obi_order_fn deliver,
                       void *ud)
{
    if (s->held.n == 0)
        return 0;
    s->next = s->held.v[0].seq;
    return drain(s, now_ms, deliver, ud);
}

/* A new epoch: what is held of the old one goes out in order. */
static size_t restart(struct sender *s, uint64_t epoch, uint64_t seq,
                      uint64_t now_ms, obi_order_fn deliver, void *ud)
{
    size_t n = 0;

    while (s->held.n)
        n += skip_gap(s, now_ms, deliver, ud);
    if (s->started)
        s->old_epoch = s->epoch;
    s->epoch = epoch;
    s->next = seq;
    s->started = true;
    s->gap_since = now_ms;
    return n;
}

static struct sender *sender_get(obi_order *o, const char *from,
                                 uint64_t now_ms, obi_order_fn deliver,
                                 void *ud, size_t *n)
{
    struct sender *s = (struct sender *)table_find(&o->senders, from);
    struct node *old;

    if (s)
        return s;
    if ((old = table_victim(&o->senders))) {
        struct sender *v = (struct sender *)old;
        while (v->held.n)
            *n += skip_gap(v, now_ms, deliver, ud);
        sender_free(o, v);
    }
    if (!(s = (struct sender *)node_new(sizeof *s, from)))
        return NULL;
    if (table_add(&o->senders, &s->node)) {
        free(s->node.jid);
        free(s);
        return NULL;
    }
    return s;
}

/* Where seq goes in the held queue; false when it is already there. */
static bool held_slot(const struct sender *s, uint64_t seq, size_t *at)
{
    size_t lo = ut_lower_bound_u64(s->held.v, s->held.n, sizeof *s->held.v,
                                   offsetof(struct ent, seq), seq);

    *at = lo;
    return lo == s->held.n || s->held.v[lo].seq != seq;
}

/* What holding st costs: its body's bytes and 256 for the rest. */
static size_t weight(xmpp_stanza_t *st)
{
    xmpp_stanza_t *b = xmpp_stanza_get_child_by_name(st, "body");
    xmpp_stanza_t *t = b ? xmpp_stanza_get_children(b) : NULL;

    return 256 + (t && xmpp_stanza_is_text(t)
                      ? strlen(xmpp_stanza_get_text_ptr(t))
                      : 0);
}

/* An ordered stanza of the current epoch. */
static int take(obi_order *o, struct sender *s, xmpp_stanza_t *st, uint64_t seq,
                uint64_t now_ms, obi_order_fn deliver, void *ud)
{
    size_t at, n = 0;

    if (seq < s->next || !held_slot(s, seq, &at))
        return 0; /* a duplicate, or a SEQ we gave up on */
    if (seq == s->next) {
        deliver(ud, st);
        s->next++;
        s->gap_since = now_ms;
        return (int)(1 + drain(s, now_ms, deliver, ud));
    }
    if (s->held.n == 0)
        s->gap_since = now_ms;
    if (queue_insert(&s->held, at, seq, st, weight(st)))
        return OB_ENOMEM;
    while (s->held.n > o->p.max_held || s->held.bytes > o->p.max_held_bytes)
        n += skip_gap(s, now_ms, deliver, ud);
    return (int)n;
}

int obi_order_recv(obi_order *o, const char *from, xmpp_stanza_t *st,
                   uint64_t now_ms, obi_order_fn deliver, void *ud)
{
    struct sender *s;
    uint64_t epoch, seq;
    size_t n = 0;
    int rc;

    if (!o || !from || !st || !deliver)
        return OB_EINVAL;
    if (!order_of(st, &epoch, &seq)) {
        deliver(ud, st);
        return 1;
    }
    if (!(s = sender_get(o, from, now_ms, deliver, ud, &n)))
        return OB_ENOMEM;
    if (s->started && epoch == s->old_epoch && epoch != s->epoch)
        return (int)n; /* a straggler of the epoch before */
    if (!s->started || epoch != s->epoch)
        n += restart(s, epoch, seq, now_ms, deliver, ud);
    rc = take(o, s, st, seq, now_ms, deliver, ud);
    return rc < 0 ? rc : (int)n + rc;
}

size_t obi_order_tick(obi_order *o, uint64_t now_ms, obi_order_fn deliver,
                      void *ud)
{
    struct node *it;
    size_t n = 0;

    for (it = o ? o->senders.lru.next : NULL; it && it != &o->senders.lru;
         it = it->next) {
        struct sender *s = (struct sender *)it;
        if (s->held.n && now_ms - s->gap_since >= o->p.hold_ms)
            n += skip_gap(s, now_ms, deliver, ud);
    }
    return n;
}

size_t obi_order_held(const obi_order *o)
{
    const struct node *it;
    size_t n = 0;

    for (it = o ? o->senders.lru.next : NULL; it && it != &o->senders.lru;
         it = it->next)
        n += ((const struct sender *)it)->held.n;
    return n;
}
