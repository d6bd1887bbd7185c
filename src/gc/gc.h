/* gc.h -- groupcast engines (prefix gc_): tree cast and bimodal multicast.
 *
 * One engine (a gc) is one peer's groupcast state in one room.  It is
 * sans-I/O: the owner pushes in the peer's view neighbours with their
 * attributes, the records that arrive, the current time (ms) and a seed;
 * the engine answers through callbacks: records to send to a neighbour,
 * messages delivered to the application, gaps.  It never reads a clock,
 * opens a socket or runs a loop.
 *
 *  - Tree cast: a message from the injection (the server) or from a
 *    neighbour carrying a forwarding attribute ("tree" by default) is
 *    delivered and forwarded to every forwarding neighbour except the one
 *    it came from.  (origin, seq) duplicates are dropped.
 *  - pbcast (Bimodal Multicast): tree cast as the first phase; every round
 *    a digest of the message buffer goes to one random "gossip"
 *    neighbour, which solicits what it lacks; the digest's sender
 *    retransmits, at most retransmit_max messages per round, most recent
 *    first.  Messages leave the buffer after `rounds` rounds.
 *  - ta-pbcast is pbcast whose views come from the topology-aware view
 *    manager: the server injects at ring members, which forward to their
 *    segment's tree; tree and gossip edges stay inside a segment.  The
 *    engine needs nothing more (see docs/groupcast.md).
 *
 * Delivery: FIFO per origin, no duplicates; a missing sequence number is
 * reported once (gap callback) when the message after it has been held
 * for the buffer horizon (`rounds` rounds).  Sequence numbers start at 1
 * per origin (xmucd stamps them).
 *
 * Authenticity (issue 14): with a verify callback, each new message is
 * checked once before it is buffered, forwarded or delivered; its
 * signature (gc_sig.h) travels with it.  A seq more than `window` above
 * the watermark is refused, and nothing another peer says (a digest's
 * watermark or ranges) makes the engine skip: only what it holds and
 * its own horizon do.
 *
 * Wire records (message, digest, solicit) are C structs with a compact
 * binary encoding (gc_wire_encode / gc_wire_decode), bounded and safe on
 * hostile input, so the XMPP integration only wraps the bytes.
 *
 * Results: 0 (GC_OK) or a negative enum gc_result; gc_strerror() names
 * them.  Out of memory is returned, never aborted on. */
#ifndef SRC_GC_GC_H
#define SRC_GC_GC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum gc_result {
    GC_OK = 0,
    GC_ENOMEM = -1,  /* an allocation failed; state is still consistent */
    GC_EINVAL = -2,  /* bad argument or configuration */
    GC_ENOENT = -3,  /* unknown neighbour */
    GC_EDECODE = -4, /* malformed wire record */
    GC_ELIMIT = -5,  /* a bound was hit (buffer, origins, wire limits) */
    GC_EBUSY = -6,   /* called from inside this engine's own callback */
    GC_ESPACE = -7,  /* encode: the output buffer is too small */
    GC_EAUTH = -8,   /* a signature or token does not verify (gc_sig.h) */
};

/* Words for a result code; never NULL. */
const char *gc_strerror(int code);

/* Neighbour attributes: the same bits as the view managers' enum
 * vm_attr (src/views/vm.h), so the owner passes view attributes through
 * unchanged.  Declared here because gc depends on nothing. */
#define GC_ATTR_MEMBER (1u << 0)
#define GC_ATTR_TREE (1u << 1)
#define GC_ATTR_GOSSIP (1u << 2)
#define GC_ATTR_RING_NEXT (1u << 3)
#define GC_ATTR_RING_PREV (1u << 4)

/* A peer as the owner numbers it (a view-manager member id). */
typedef uint32_t gc_peer;
/* `from` of a message handed in by the server (an injection point). */
#define GC_PEER_INJECT UINT32_MAX

/* ---- Wire records ------------------------------------------------ */

/* Wire limits: a decoder refuses anything beyond them. */
#define GC_PAYLOAD_MAX 65536u   /* bytes of one message's payload */
#define GC_WIRE_ORIGINS_MAX 64u /* origins in one digest or solicit */
#define GC_WIRE_RANGES_MAX 256u /* ranges in one digest or solicit */
#define GC_SIG_LEN 64u          /* an Ed25519 signature (gc_sig.h) */
#define GC_WIRE_MAX (GC_PAYLOAD_MAX + 32u + GC_SIG_LEN) /* any record */

enum gc_kind { GC_MSG = 1, GC_DIGEST = 2, GC_SOLICIT = 3 };

/* Message flags. */
#define GC_FLAG_RETRANS 0x01u /* a pbcast retransmission: never forwarded */
#define GC_FLAG_SIGNED                                                         \
    0x02u /* the record carries the room's signature;                          \
           * set by the encoder iff msg.sig is set */

typedef struct gc_msg {
    uint32_t origin;        /* the sending occupant */
    uint64_t seq;           /* per origin, from 1 */
    uint8_t flags;          /* GC_FLAG_* */
    const uint8_t *payload; /* lent: valid for the call only */
    size_t len;             /* <= GC_PAYLOAD_MAX */
    const uint8_t *sig;     /* GC_SIG_LEN bytes, lent, or NULL: the room's
                               signature (gc_sig.h), carried untouched */
} gc_msg;

/* An inclusive range of sequence numbers, 1 <= lo <= hi. */
typedef struct gc_range {
    uint64_t lo, hi;
} gc_range;

/* Digest ("I hold these") and solicit ("send me these"): per origin, its
 * ranges are ranges[first .. first + count). */
typedef struct gc_ranges {
    uint32_t round; /* the digest's round; a solicit echoes it */
    uint32_t norigins;
    uint32_t nranges;
    struct gc_origin_ranges {
        uint32_t origin;
        uint64_t next; /* digest: its sender delivers from here on (it
                        * has seen everything below); solicit: 0 */
        uint32_t first, count;
    } origins[GC_WIRE_ORIGINS_MAX];
    gc_range ranges[GC_WIRE_RANGES_MAX];
} gc_ranges;

typedef struct gc_record {
    enum gc_kind kind;
    gc_msg msg;       /* GC_MSG */
    gc_ranges ranges; /* GC_DIGEST, GC_SOLICIT */
} gc_record;

/* Encodes r into out[0..cap); sets *len.  GC_ESPACE when cap is too
 * small (GC_WIRE_MAX always suffices), GC_EINVAL when r breaks a limit. */
int gc_wire_encode(const gc_record *r, uint8_t *out, size_t cap, size_t *len);
/* Decodes one record of exactly `len` bytes.  A message's payload points
 * into `buf`.  GC_EDECODE (malformed, trailing bytes) or GC_ELIMIT (over
 * a wire limit); *offset (may be NULL) is then the byte where it failed. */
int gc_wire_decode(const uint8_t *buf, size_t len, gc_record *r,
                   size_t *offset);

/* ---- Engines ----------------------------------------------------- */

enum gc_engine { GC_TREECAST = 1, GC_PBCAST = 2 };

/* Sends a record to neighbour `to`.  The record and its payload are lent
 * for the call.  Returns 0, or nonzero when it could not send (the engine
 * counts it; groupcast is unreliable).  Must not call the engine. */
typedef int (*gc_send_fn)(void *ctx, gc_peer to, const gc_record *r);
/* Hands a message to the application, in FIFO order per origin. */
typedef void (*gc_deliver_fn)(void *ctx, uint32_t origin, uint64_t seq,
                              const uint8_t *payload, size_t len);
/* Reports that seqs first..last of origin will never be delivered. */
typedef void (*gc_gap_fn)(void *ctx, uint32_t origin, uint64_t first,
                          uint64_t last);

/* Decides whether a new message is authentic (the room signed it; the
 * owner knows the key, gc_sig.h).  Called once per message, before it is
 * buffered, forwarded or delivered; never for a duplicate of one already
 * held or delivered, so a message costs one verification however many
 * copies arrive.  Returns 0 to accept, GC_ENOMEM when it could not
 * decide (the message is then not taken, and the engine returns
 * GC_ENOMEM: the same message may come again), anything else to refuse.
 * Must not call the engine. */
typedef int (*gc_verify_fn)(void *ctx, const gc_msg *m);

/* Optional allocator, as the view managers': NULL members mean libc's. */
typedef struct gc_allocator {
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} gc_allocator;

/* Zero means "default" for every number. */
typedef struct gc_config {
    enum gc_engine engine;   /* default GC_PBCAST */
    uint32_t forward_attrs;  /* forwarding edges; default GC_ATTR_TREE */
    uint32_t gossip_attrs;   /* digest targets; default GC_ATTR_GOSSIP */
    uint64_t round_ms;       /* gossip round period; default 500 */
    uint32_t rounds;         /* buffer horizon in rounds; default 8 */
    uint32_t retransmit_max; /* retransmissions per round; default 32 */
    uint32_t solicit_max;    /* seqs asked per digest; default 64 */
    uint32_t buffer_max;     /* messages held, all origins; default 4096 */
    uint32_t origins_max;    /* origins tracked; default 1024 */
    uint64_t seed;           /* the engine's PRNG (gossip targets, phase) */
    gc_send_fn send;         /* required */
    void *send_ctx;
    gc_deliver_fn deliver;     /* may be NULL */
    gc_gap_fn gap;             /* may be NULL */
    void *app_ctx;             /* for deliver, gap and verify */
    gc_verify_fn verify;       /* NULL: every message is taken as authentic */
    uint64_t window;           /* a seq more than this above the origin's
                                  watermark is refused; default buffer_max */
    const gc_allocator *alloc; /* copied; NULL for libc's */
} gc_config;

typedef struct gc gc;

/* Creates an engine at time `now`; its first round is due at a random
 * phase within one period.  *out is set only on GC_OK. */
int gc_new(const gc_config *cfg, uint64_t now, gc **out);
/* Frees the engine; calls nothing.  NULL is accepted. */
void gc_free(gc *e);

/* Adds neighbour `id` or replaces its attributes (a VM_SEE).  attrs 0
 * removes it. */
int gc_neighbour_add(gc *e, gc_peer id, uint32_t attrs);
/* Removes neighbour `id` (a VM_UNSEE); GC_ENOENT if unknown. */
int gc_neighbour_remove(gc *e, gc_peer id);

/* A message handed in by the server (from GC_PEER_INJECT).  Arrivals
 * need no time: the buffer ages in rounds (gc_tick). */
int gc_inject(gc *e, const gc_msg *m);
/* A record received from neighbour `from` (any peer may send digests and
 * retransmissions; only forwarding neighbours' messages are forwarded).
 * Duplicates and stale records are not errors: they are counted. */
int gc_receive(gc *e, gc_peer from, const gc_record *r);
/* The application already has origin's messages below `next` (a member
 * back in its room, with a new engine): they are dropped as duplicates
 * and never solicited, and the stream starts at `next` or, as any fresh
 * start, at the first later message once it has waited the horizon.
 * GC_EINVAL for next 0; GC_ENOMEM or GC_ELIMIT as for an arrival. */
int gc_resume(gc *e, uint32_t origin, uint64_t next);
/* Runs the round that is due, if any (release of held messages, buffer
 * expiry, the digest).  Call it at gc_next_round(). */
int gc_tick(gc *e, uint64_t now);
/* When the next round is due (ms, the owner's clock). */
uint64_t gc_next_round(const gc *e);

typedef struct gc_stats {
    uint64_t delivered;      /* to the application */
    uint64_t duplicates;     /* messages dropped as already seen */
    uint64_t gaps;           /* seqs reported missing */
    uint64_t forwarded;      /* tree sends */
    uint64_t digests;        /* digests sent */
    uint64_t solicits;       /* solicits sent */
    uint64_t solicited;      /* seqs asked for in them */
    uint64_t retransmitted;  /* retransmissions sent (pushed included) */
    uint64_t pushed;         /* of which unasked, into a digest's hole */
    uint64_t budget_dropped; /* solicited but over the round's budget */
    uint64_t stale;          /* solicits for an old round, ignored */
    uint64_t refused;        /* messages refused (limits) */
    uint64_t send_failed;    /* send callback failures */
    uint64_t verified;       /* messages the verify callback accepted */
    uint64_t unverified;     /* messages it refused (dropped) */
    uint64_t out_of_window;  /* messages refused: seq beyond the window */
    uint32_t buffered;       /* messages held now */
    uint32_t origins;        /* origins tracked now */
    uint32_t neighbours;     /* neighbours now */
    uint32_t round;          /* rounds run */
} gc_stats;

void gc_get_stats(const gc *e, gc_stats *out);

#ifdef __cplusplus
}
#endif

#endif
