/* gc_buffer.c -- the groupcast message buffer: per origin, the messages
 * held (sorted by seq) and the delivery watermark that doubles as the
 * duplicate-suppression memory.
 *
 * Memory is bounded twice: at most buffer_max messages in all (a full
 * buffer drops its oldest delivered message, else refuses) and at most
 * origins_max origins (a new origin replaces the idle one heard least
 * recently, else is refused).  A watermark per origin makes duplicate
 * suppression O(origins), whatever the stream's length. */
#include <stdlib.h>
#include <string.h>

#include "gc_internal.h"
#include "ut_search.h"

void *gc_mem_realloc(const gc_allocator *a, void *p, size_t size)
{
    return a->realloc ? a->realloc(a->ctx, p, size) : realloc(p, size);
}

void gc_mem_free(const gc_allocator *a, void *p)
{
    if (a->free)
        a->free(a->ctx, p);
    else
        free(p);
}

void gc_buf_init(struct gc_buf *b, const gc_allocator *a, uint32_t buffer_max,
                 uint32_t origins_max)
{
    memset(b, 0, sizeof *b);
    b->a = *a;
    b->buffer_max = buffer_max;
    b->origins_max = origins_max;
}

static void origin_clear(struct gc_buf *b, struct gc_origin *o)
{
    for (uint32_t i = 0; i < o->n; i++)
        gc_mem_free(&b->a, o->held[i].payload);
    gc_mem_free(&b->a, o->held);
    b->total -= o->n;
}

void gc_buf_fini(struct gc_buf *b)
{
    for (uint32_t i = 0; i < b->norigins; i++)
        origin_clear(b, &b->origins[i]);
    gc_mem_free(&b->a, b->origins);
    memset(b, 0, sizeof *b);
}

/* Index of the first origin with id >= id. */
static uint32_t origin_lower(const struct gc_buf *b, uint32_t id)
{
    return (uint32_t)ut_lower_bound_u32(b->origins, b->norigins,
                                        sizeof *b->origins,
                                        offsetof(struct gc_origin, id), id);
}

struct gc_origin *gc_buf_origin(struct gc_buf *b, uint32_t id)
{
    uint32_t i = origin_lower(b, id);

    return i < b->norigins && b->origins[i].id == id ? &b->origins[i] : NULL;
}

static void origin_remove_at(struct gc_buf *b, uint32_t i)
{
    origin_clear(b, &b->origins[i]);
    memmove(&b->origins[i], &b->origins[i + 1],
            (b->norigins - i - 1) * sizeof *b->origins);
    b->norigins--;
}

/* Makes room for one origin: evicts the idle one heard least recently. */
static int origin_evict(struct gc_buf *b)
{
    uint32_t best = UINT32_MAX;

    for (uint32_t i = 0; i < b->norigins; i++)
        if (b->origins[i].n == 0 &&
            (best == UINT32_MAX ||
             b->origins[i].last_round < b->origins[best].last_round))
            best = i;
    if (best == UINT32_MAX)
        return GC_ELIMIT;
    origin_remove_at(b, best);
    return GC_OK;
}

int gc_buf_origin_get(struct gc_buf *b, uint32_t id, uint32_t round,
                      struct gc_origin **out)
{
    uint32_t i;
    int rc;

    if ((*out = gc_buf_origin(b, id)))
        return GC_OK;
    if (b->norigins >= b->origins_max && (rc = origin_evict(b)))
        return rc;
    if (b->norigins == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 4;
        struct gc_origin *p =
            gc_mem_realloc(&b->a, b->origins, cap * sizeof *p);

        if (!p)
            return GC_ENOMEM;
        b->origins = p;
        b->cap = cap;
    }
    i = origin_lower(b, id);
    memmove(&b->origins[i + 1], &b->origins[i],
            (b->norigins - i) * sizeof *b->origins);
    b->norigins++;
    b->origins[i] = (struct gc_origin){
        .id = id, .next = 1, .last_round = round, .fresh = true};
    *out = &b->origins[i];
    return GC_OK;
}

uint32_t gc_buf_lower(const struct gc_origin *o, uint64_t seq)
{
    return (uint32_t)ut_lower_bound_u64(o->held, o->n, sizeof *o->held,
                                        offsetof(struct gc_entry, seq), seq);
}

bool gc_buf_holds(const struct gc_origin *o, uint64_t seq)
{
    uint32_t i = gc_buf_lower(o, seq);

    return i < o->n && o->held[i].seq == seq;
}

static void entry_remove_at(struct gc_buf *b, struct gc_origin *o, uint32_t i)
{
    gc_mem_free(&b->a, o->held[i].payload);
    memmove(&o->held[i], &o->held[i + 1], (o->n - i - 1) * sizeof *o->held);
    o->n--;
    b->total--;
}

/* Drops the delivered entry that arrived first, anywhere. */
static int entry_evict(struct gc_buf *b)
{
    struct gc_origin *best = NULL;
    uint32_t at = 0;

    for (uint32_t i = 0; i < b->norigins; i++) {
        struct gc_origin *o = &b->origins[i];

        for (uint32_t j = 0; j < o->n && o->held[j].seq < o->next; j++)
            if (!best || o->held[j].round < best->held[at].round) {
                best = o;
                at = j;
            }
    }
    if (!best)
        return GC_ELIMIT;
    entry_remove_at(b, best, at);
    return GC_OK;
}

static int entries_reserve(struct gc_buf *b, struct gc_origin *o)
{
    uint32_t cap;
    struct gc_entry *p;

    if (o->n < o->cap)
        return GC_OK;
    cap = o->cap ? 2 * o->cap : 8;
    if (!(p = gc_mem_realloc(&b->a, o->held, cap * sizeof *p)))
        return GC_ENOMEM;
    o->held = p;
    o->cap = cap;
    return GC_OK;
}

int gc_buf_insert(struct gc_buf *b, struct gc_origin *o, const gc_msg *m,
                  uint32_t round)
{
    uint8_t *copy = NULL;
    uint32_t i;
    int rc;

    if (b->total >= b->buffer_max && (rc = entry_evict(b)))
        return rc;
    if ((rc = entries_reserve(b, o)))
        return rc;
    if (m->len && !(copy = gc_mem_realloc(&b->a, NULL, m->len)))
        return GC_ENOMEM;
    if (m->len)
        memcpy(copy, m->payload, m->len);
    i = gc_buf_lower(o, m->seq);
    memmove(&o->held[i + 1], &o->held[i], (o->n - i) * sizeof *o->held);
    o->held[i] = (struct gc_entry){m->seq, round,          (uint32_t)m->len,
                                   copy,   m->sig != NULL, {0}};
    if (m->sig)
        memcpy(o->held[i].sig, m->sig, GC_SIG_LEN);
    o->n++;
    o->last_round = round;
    b->total++;
    return GC_OK;
}

uint32_t gc_buf_expire(struct gc_buf *b, uint32_t round, uint32_t rounds)
{
    uint32_t dropped = 0;

    for (uint32_t i = 0; i < b->norigins; i++) {
        struct gc_origin *o = &b->origins[i];

        for (uint32_t j = 0; j < o->n && o->held[j].seq < o->next;)
            if (round - o->held[j].round >= rounds) {
                entry_remove_at(b, o, j);
                dropped++;
            } else {
                j++;
            }
    }
    return dropped;
}
