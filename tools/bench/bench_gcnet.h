/* bench_gcnet.h -- the peer-to-peer legs of `orbweb bench groupcast`
 * (prefix bgn_): groupcast wire records between two peers of one bench
 * process over a kernel socket pair (socketpair(AF_UNIX, SOCK_STREAM)),
 * never through the XMPP server.
 *
 * It stands in for liborbweb's direct streams (TLS + Fast Infoset over
 * TCP, measured on their own by `orbweb bench e2e`).  A pair is opened
 * the first time one of its peers sends to the other, as two
 * bufferevents on the pool's event base; each record travels with a
 * 4-byte big-endian length prefix, at most GC_WIRE_MAX bytes (a longer
 * prefix is hostile: the pair is closed).  Like liborbweb's session
 * limit, a peer holds at most `per_peer` pairs: opening one more closes
 * that peer's least recently used idle pair (nothing buffered on either
 * side); when none is idle the limit is exceeded (counted). */
#ifndef TOOLS_BENCH_BENCH_GCNET_H
#define TOOLS_BENCH_BENCH_GCNET_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bgn_net bgn_net;

/* A record for peer `to` from peer `from`; lent for the call.  It may
 * call bgn_send (any pair), never bgn_free. */
typedef void (*bgn_recv_fn)(void *ud, int to, int from, const uint8_t *rec,
                            size_t len);

struct bgn_stats {
    uint64_t opened;  /* pairs opened */
    uint64_t evicted; /* pairs closed to stay within per_peer */
    uint64_t over;    /* pairs opened past per_peer (none idle) */
    uint64_t records; /* records sent */
    uint64_t bytes;   /* their bytes, prefixes included */
    uint64_t failed;  /* sends that failed (no descriptor, memory) */
    uint64_t hostile; /* pairs closed for a bad length prefix */
    uint64_t open;    /* pairs open now */
};

enum bgn_result { BGN_OK = 0, BGN_ENOMEM = -1, BGN_EINVAL = -2 };

/* Peers are 0..npeers-1.  Returns BGN_OK and sets *out, or with *out
 * NULL: BGN_EINVAL when npeers < 1, BGN_ENOMEM when out of memory. */
int bgn_new(struct event_base *base, int npeers, int per_peer, bgn_recv_fn fn,
            void *ud, bgn_net **out);
/* Closes every pair. */
void bgn_free(bgn_net *n);

/* Queues one record (len <= GC_WIRE_MAX) from `from` to `to`, opening
 * their pair if needed.  0, or -1 (bad arguments, no descriptor left,
 * out of memory). */
int bgn_send(bgn_net *n, int from, int to, const uint8_t *rec, size_t len);
/* Whether from can reach to: opens (or finds) their pair.  0 or -1. */
int bgn_reach(bgn_net *n, int from, int to);

struct bgn_stats bgn_get_stats(const bgn_net *n);

#endif
