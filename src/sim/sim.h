/* sim.h -- a deterministic network simulator for sans-I/O protocol cores.
 *
 * Nodes are small integers (0 .. nodes-1).  Time is virtual (ms) and
 * advances only through the event queue, a binary heap ordered by time
 * and then by insertion, so one seed gives one run, bit for bit.  A
 * message sent between nodes is lost with a probability (per link, by
 * callback, or one for all), waits a delay drawn from a distribution
 * (uniform by default, or a callback), and is handed to the receive
 * callback unless its destination is down when it arrives.  Timers call
 * back at a virtual time.  A message in flight still arrives when its
 * sender has gone down since.  Churn schedules take nodes down and up
 * (alternating periods) and tell the owner through a callback.
 *
 * The simulator owns no protocol: the owner keeps its per-node state in
 * arrays indexed by node and drives it from the callbacks.  Payloads are
 * copied bytes, so protocols exercise their real wire encoding.
 *
 * Seeds: ob_test_seed("SIM_SEED") (tests/seed.h) reads the environment,
 * is fixed under CI or draws one, and prints it, so a failing run can be
 * replayed. */
#ifndef SRC_SIM_SIM_H
#define SRC_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t sim_node;
typedef struct sim sim;

/* A message arrives at `to` (which is up).  The bytes are lent. */
typedef void (*sim_recv_fn)(void *ctx, sim_node from, sim_node to,
                            const uint8_t *data, size_t len);
/* A timer fires. */
typedef void (*sim_timer_fn)(void *ctx, uint64_t arg);
/* A node goes down (up false) or comes back (up true). */
typedef void (*sim_churn_fn)(void *ctx, sim_node node, bool up);
/* Loss probability and delay of one message, when the owner wants
 * them per link (else the fixed ones of sim_config apply). */
typedef double (*sim_loss_fn)(void *ctx, sim_node from, sim_node to);
typedef uint64_t (*sim_delay_fn)(void *ctx, sim *s, sim_node from, sim_node to);

typedef struct sim_config {
    uint32_t nodes; /* node ids are 0 .. nodes-1 */
    uint64_t seed;
    double loss;           /* per message, 0..1 */
    uint64_t delay_min_ms; /* uniform delay in [min, max] */
    uint64_t delay_max_ms;
    sim_loss_fn loss_fn;   /* overrides `loss` when set */
    sim_delay_fn delay_fn; /* overrides the uniform delay when set */
    sim_recv_fn recv;      /* required */
    sim_churn_fn churn;    /* may be NULL */
    void *ctx;             /* for every callback */
} sim_config;

typedef struct sim_stats {
    uint64_t sent;      /* sim_send calls */
    uint64_t lost;      /* dropped by the loss draw */
    uint64_t dead;      /* dropped: an end was down */
    uint64_t delivered; /* handed to recv */
    uint64_t bytes;     /* bytes of the messages sent */
    uint64_t events;    /* events run */
} sim_stats;

/* 0 or -1 (out of memory, bad config). */
int sim_new(const sim_config *cfg, sim **out);
void sim_free(sim *s);

uint64_t sim_now(const sim *s);
/* The simulator's PRNG (splitmix64), for the owner's own draws. */
uint64_t sim_rand(sim *s);
/* Uniform in [0, 1). */
double sim_uniform(sim *s);
/* Uniform in [0, n); n > 0. */
uint64_t sim_below(sim *s, uint64_t n);

/* Sends len bytes (copied) from `from` to `to`.  0, or -1 when out of
 * memory.  Loss and a sender that is down drop it silently (counted). */
int sim_send(sim *s, sim_node from, sim_node to, const void *data, size_t len);
/* Calls fn(ctx, arg) at time `at` (not before now).  0 or -1. */
int sim_at(sim *s, uint64_t at, sim_timer_fn fn, void *ctx, uint64_t arg);

bool sim_is_up(const sim *s, sim_node n);
/* Takes a node down or up now (no churn callback). */
void sim_set_up(sim *s, sim_node n, bool up);
/* From time `start`, node n alternates: down for off_ms, up for on_ms,
 * forever; the churn callback runs at each change.  0 or -1. */
int sim_churn(sim *s, sim_node n, uint64_t start, uint64_t off_ms,
              uint64_t on_ms);

/* Runs events until the queue is empty or the next one is after
 * `until`; then the clock reads `until` (if it was not past it). */
void sim_run(sim *s, uint64_t until);

void sim_get_stats(const sim *s, sim_stats *out);

#endif
