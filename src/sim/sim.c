/* sim.c -- the deterministic network simulator: a binary heap of events
 * (message arrivals, timers, churn flips) keyed by (time, insertion
 * number), a splitmix64 PRNG, and a bitmap of nodes that are up.
 * Everything else (protocols, views) belongs to the owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "ut_rand.h"

enum ev_kind { EV_MSG, EV_TIMER, EV_CHURN };

struct ev {
    uint64_t at, order;
    enum ev_kind kind;
    sim_node from, to; /* EV_MSG; EV_CHURN: to */
    uint8_t *data;     /* EV_MSG */
    size_t len;
    sim_timer_fn fn; /* EV_TIMER */
    void *ctx;
    uint64_t arg; /* EV_TIMER; EV_CHURN: off_ms << 32 | on_ms */
};

struct sim {
    sim_config cfg;
    uint64_t now, order, rng;
    struct ev *heap;
    size_t n, cap;
    uint8_t *up; /* one byte per node */
    sim_stats st;
};

int sim_new(const sim_config *cfg, sim **out)
{
    sim *s;

    if (!cfg || !cfg->recv || !cfg->nodes ||
        cfg->delay_max_ms < cfg->delay_min_ms || !(s = calloc(1, sizeof *s)))
        return -1;
    s->cfg = *cfg;
    s->rng = cfg->seed;
    if (!(s->up = malloc(cfg->nodes))) {
        free(s);
        return -1;
    }
    memset(s->up, 1, cfg->nodes);
    *out = s;
    return 0;
}

void sim_free(sim *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->heap[i].data);
    free(s->heap);
    free(s->up);
    free(s);
}

uint64_t sim_now(const sim *s)
{
    return s->now;
}

uint64_t sim_rand(sim *s)
{
    return ut_splitmix64(&s->rng);
}

double sim_uniform(sim *s)
{
    return (double)(sim_rand(s) >> 11) * 0x1.0p-53;
}

uint64_t sim_below(sim *s, uint64_t n)
{
    return sim_rand(s) % n;
}

/* ---- The heap ---- */

static bool before(const struct ev *a, const struct ev *b)
{
    return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void swap(struct ev *a, struct ev *b)
{
    struct ev t = *a;

    *a = *b;
    *b = t;
}

static int push(sim *s, struct ev ev)
{
    size_t i;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        struct ev *p = realloc(s->heap, cap * sizeof *p);

        if (!p)
            return -1;
        s->heap = p;
        s->cap = cap;
    }
    ev.order = s->order++;
    i = s->n++;
    s->heap[i] = ev;
    while (i > 0 && before(&s->heap[i], &s->heap[(i - 1) / 2])) {
        swap(&s->heap[i], &s->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct ev pop(sim *s)
{
    struct ev top = s->heap[0];
    size_t i = 0;

    s->heap[0] = s->heap[--s->n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < s->n && before(&s->heap[l], &s->heap[m]))
            m = l;
        if (r < s->n && before(&s->heap[r], &s->heap[m]))
            m = r;
        if (m == i)
            return top;
        swap(&s->heap[i], &s->heap[m]);
        i = m;
    }
}

/* ---- Sending, timers, churn ---- */

static uint64_t draw_delay(sim *s, sim_node from, sim_node to)
{
    const sim_config *c = &s->cfg;

    if (c->delay_fn)
        return c->delay_fn(c->ctx, s, from, to);
    return c->delay_min_ms +
           sim_below(s, c->delay_max_ms - c->delay_min_ms + 1);
}

int sim_send(sim *s, sim_node from, sim_node to, const void *data, size_t len)
{
    const sim_config *c = &s->cfg;
    double loss = c->loss_fn ? c->loss_fn(c->ctx, from, to) : c->loss;
    struct ev ev = {.kind = EV_MSG, .from = from, .to = to, .len = len};

    s->st.sent++;
    s->st.bytes += len;
    if (from >= c->nodes || to >= c->nodes || !s->up[from]) {
        s->st.dead++;
        return 0;
    }
    if (loss > 0 && sim_uniform(s) < loss) {
        s->st.lost++;
        return 0;
    }
    ev.at = s->now + draw_delay(s, from, to);
    if (!(ev.data = malloc(len ? len : 1)))
        return -1;
    memcpy(ev.data, data, len);
    if (push(s, ev)) {
        free(ev.data);
        return -1;
    }
    return 0;
}

int sim_at(sim *s, uint64_t at, sim_timer_fn fn, void *ctx, uint64_t arg)
{
    struct ev ev = {.kind = EV_TIMER, .fn = fn, .ctx = ctx, .arg = arg};

    ev.at = at < s->now ? s->now : at;
    return push(s, ev);
}

bool sim_is_up(const sim *s, sim_node n)
{
    return n < s->cfg.nodes && s->up[n];
}

void sim_set_up(sim *s, sim_node n, bool up)
{
    if (n < s->cfg.nodes)
        s->up[n] = up;
}

int sim_churn(sim *s, sim_node n, uint64_t start, uint64_t off_ms,
              uint64_t on_ms)
{
    struct ev ev = {.kind = EV_CHURN, .to = n, .at = start};

    if (n >= s->cfg.nodes || off_ms > UINT32_MAX || on_ms > UINT32_MAX)
        return -1;
    ev.arg = off_ms << 32 | on_ms;
    return push(s, ev);
}

/* Flips the node and schedules the next flip. */
static void run_churn(sim *s, struct ev *ev)
{
    bool up = !s->up[ev->to];
    uint64_t off = ev->arg >> 32, on = ev->arg & UINT32_MAX;

    s->up[ev->to] = up;
    ev->at = s->now + (up ? on : off);
    if (s->cfg.churn)
        s->cfg.churn(s->cfg.ctx, ev->to, up);
    if (push(s, *ev))
        fprintf(stderr, "sim: out of memory: node %u stops churning\n", ev->to);
}

static void run_event(sim *s, struct ev *ev)
{
    s->st.events++;
    switch (ev->kind) {
    case EV_MSG:
        if (s->up[ev->to]) {
            s->st.delivered++;
            s->cfg.recv(s->cfg.ctx, ev->from, ev->to, ev->data, ev->len);
        } else {
            s->st.dead++;
        }
        free(ev->data);
        break;
    case EV_TIMER: ev->fn(ev->ctx, ev->arg); break;
    case EV_CHURN: run_churn(s, ev); break;
    }
}

void sim_run(sim *s, uint64_t until)
{
    while (s->n && s->heap[0].at <= until) {
        struct ev ev = pop(s);

        s->now = ev.at;
        run_event(s, &ev);
    }
    if (s->now < until)
        s->now = until;
}

void sim_get_stats(const sim *s, sim_stats *out)
{
    *out = s->st;
}
