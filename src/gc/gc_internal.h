/* gc_internal.h -- what the groupcast engine's files share: the message
 * buffer (per origin, the messages held, sorted by seq, and the
 * delivery watermark) and the engine's layout. */
#ifndef SRC_GC_GC_INTERNAL_H
#define SRC_GC_GC_INTERNAL_H

#include <stdbool.h>

#include "gc.h"

/* One held message.  Entries below their origin's `next` have been
 * delivered and stay for retransmission; the others wait for FIFO. */
struct gc_entry {
    uint64_t seq;
    uint32_t round; /* the engine's round when it arrived */
    uint32_t len;
    uint8_t *payload; /* NULL when len is 0 */
    bool has_sig;     /* verified (or no verifier): sig travels with it */
    uint8_t sig[GC_SIG_LEN];
};

struct gc_origin {
    uint32_t id;
    uint64_t next;         /* the next seq to deliver; below: seen */
    uint32_t last_round;   /* last arrival, to evict idle origins */
    bool fresh;            /* nothing delivered yet: a start, not a gap */
    struct gc_entry *held; /* sorted by seq */
    uint32_t n, cap;
};

struct gc_buf {
    gc_allocator a;
    struct gc_origin *origins; /* sorted by id */
    uint32_t norigins, cap;
    uint32_t total; /* entries held, all origins */
    uint32_t buffer_max, origins_max;
};

void *gc_mem_realloc(const gc_allocator *a, void *p, size_t size);
void gc_mem_free(const gc_allocator *a, void *p);

void gc_buf_init(struct gc_buf *b, const gc_allocator *a, uint32_t buffer_max,
                 uint32_t origins_max);
void gc_buf_fini(struct gc_buf *b);
/* The origin record of `id`, or NULL. */
struct gc_origin *gc_buf_origin(struct gc_buf *b, uint32_t id);
/* Finds or creates it (creating may evict the idle origin heard least
 * recently; GC_ELIMIT when none is idle, GC_ENOMEM). */
int gc_buf_origin_get(struct gc_buf *b, uint32_t id, uint32_t round,
                      struct gc_origin **out);
/* The index of the first entry of o with seq >= seq. */
uint32_t gc_buf_lower(const struct gc_origin *o, uint64_t seq);
bool gc_buf_holds(const struct gc_origin *o, uint64_t seq);
/* Stores a copy of the message (not held yet).  When the buffer is full
 * the oldest delivered entry makes room; GC_ELIMIT if there is none. */
int gc_buf_insert(struct gc_buf *b, struct gc_origin *o, const gc_msg *m,
                  uint32_t round);
/* Drops delivered entries that arrived `rounds` or more rounds ago. */
uint32_t gc_buf_expire(struct gc_buf *b, uint32_t round, uint32_t rounds);

struct gc_nb {
    gc_peer id;
    uint32_t attrs;
};

struct gc {
    gc_config cfg;
    gc_allocator a;
    struct gc_buf buf;
    struct gc_nb *nb;
    uint32_t nnb, capnb;
    uint64_t rng;
    uint64_t next_round;
    uint32_t round;
    uint32_t budget; /* retransmissions left this round */
    bool busy;
    gc_stats st;
};

/* gc_engine.c */
void gc_send_record(gc *e, gc_peer to, const gc_record *r);
uint64_t gc_rand(gc *e);

/* gc_gossip.c: the anti-entropy phase of pbcast. */
void gc_gossip_digest(gc *e);
void gc_gossip_on_digest(gc *e, gc_peer from, const gc_ranges *d);
void gc_gossip_on_solicit(gc *e, gc_peer from, const gc_ranges *s);

#endif
