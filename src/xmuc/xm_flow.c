/* xm_flow.c -- token buckets, water marks and the memory budget (see
 * xm_flow.h).  Pure arithmetic on the numbers it is given. */
#include "config.h"

#include "xm_flow.h"

void xm_bucket_init(struct xm_bucket *b, double burst, uint64_t now_ms)
{
    b->tokens = burst;
    b->last_ms = now_ms;
}

static void refill(struct xm_bucket *b, double rate_per_s, double burst,
                   uint64_t now_ms)
{
    if (now_ms > b->last_ms)
        b->tokens += (double)(now_ms - b->last_ms) * rate_per_s / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
}

bool xm_bucket_take(struct xm_bucket *b, double cost, double rate_per_s,
                    double burst, uint64_t now_ms)
{
    if (rate_per_s <= 0)
        return true;
    refill(b, rate_per_s, burst, now_ms);
    if (b->tokens < cost && b->tokens < burst)
        return false;
    b->tokens -= cost;
    return true;
}

bool xm_bucket_idle(const struct xm_bucket *b, double rate_per_s, double burst,
                    uint64_t now_ms)
{
    struct xm_bucket copy = *b;

    if (rate_per_s <= 0)
        return true;
    refill(&copy, rate_per_s, burst, now_ms);
    return copy.tokens >= burst;
}

bool xm_mark_update(struct xm_mark *m, size_t level)
{
    if (level >= m->on)
        m->set = true;
    else if (level <= m->off)
        m->set = false;
    return m->set;
}

void xm_budget_split(size_t max_bytes, struct xm_budget *b)
{
    b->queue_cap = max_bytes / 4;
    b->queue_high = max_bytes / 8;
    b->queue_low = max_bytes / 32;
    b->state = max_bytes / 2;
}

bool xm_budget_fits(const struct xm_budget *b, size_t rooms, size_t occupants,
                    size_t rooms_more, size_t occupants_more)
{
    double need = (double)(rooms + rooms_more) * XM_ROOM_BYTES +
                  (double)(occupants + occupants_more) * XM_OCCUPANT_BYTES;

    return need <= (double)b->state;
}
