/* xm_quota.c -- per-JID room creation rate and quota (see xm_quota.h).
 *
 * Two maps: creators (bare JID -> struct creator) and rooms (room name
 * -> the creator's entry).  A creator is forgotten once it holds no room
 * and its bucket is full again; the walk that forgets them runs when the
 * table has doubled since the last one, so its cost is amortised. */
#include "config.h"

#include "xm_quota.h"
#include "xm_flow.h"
#include "ut_map.h"

#include <stdlib.h>
#include <string.h>

#define SWEEP_MIN 256

struct creator {
    char *bare;
    struct xm_bucket rate;
    uint32_t held;
};

struct xm_quota {
    uint32_t per_jid, per_min;
    ut_map *creators; /* bare JID -> struct creator */
    ut_map *rooms;    /* room name -> struct creator (lent) */
    size_t sweep_at;
};

int xm_quota_new(uint32_t per_jid, uint32_t per_min, xm_quota **out)
{
    xm_quota *q = calloc(1, sizeof *q);

    if (!q || ut_map_new(&q->creators) || ut_map_new(&q->rooms)) {
        xm_quota_free(q);
        *out = NULL;
        return XM_ENOMEM;
    }
    q->per_jid = per_jid;
    q->per_min = per_min;
    q->sweep_at = SWEEP_MIN;
    *out = q;
    return XM_OK;
}

void xm_quota_set_limits(xm_quota *q, uint32_t per_jid, uint32_t per_min)
{
    q->per_jid = per_jid;
    q->per_min = per_min;
}

static int free_creator(void *ctx, const char *key, void *value)
{
    struct creator *c = value;

    (void)ctx, (void)key;
    free(c->bare);
    free(c);
    return 0;
}

void xm_quota_free(xm_quota *q)
{
    if (!q)
        return;
    if (q->creators) {
        ut_map_each(q->creators, free_creator, NULL);
        ut_map_free(q->creators);
    }
    ut_map_free(q->rooms);
    free(q);
}

static double rate_per_s(const xm_quota *q)
{
    return q->per_min / 60.0;
}

struct sweep {
    xm_quota *q;
    uint64_t now;
    struct creator **idle;
    size_t n;
};

static int find_idle(void *ctx, const char *key, void *value)
{
    struct sweep *w = ctx;
    struct creator *c = value;

    (void)key;
    if (!c->held &&
        xm_bucket_idle(&c->rate, rate_per_s(w->q), w->q->per_min, w->now))
        w->idle[w->n++] = c;
    return 0;
}

/* Forgets creators that hold nothing and whose rate has recovered. */
static void sweep(xm_quota *q, uint64_t now)
{
    struct sweep w = {q, now,
                      calloc(ut_map_size(q->creators) + 1, sizeof *w.idle), 0};

    if (!w.idle)
        return;
    ut_map_each(q->creators, find_idle, &w);
    for (size_t i = 0; i < w.n; i++) {
        ut_map_del(q->creators, w.idle[i]->bare);
        free_creator(NULL, NULL, w.idle[i]);
    }
    free(w.idle);
    q->sweep_at = ut_map_size(q->creators) * 2 > SWEEP_MIN
                      ? ut_map_size(q->creators) * 2
                      : SWEEP_MIN;
}

static struct creator *creator_get(xm_quota *q, const char *bare, uint64_t now)
{
    struct creator *c = ut_map_get(q->creators, bare);

    if (c)
        return c;
    if (ut_map_size(q->creators) >= q->sweep_at)
        sweep(q, now);
    if (!(c = calloc(1, sizeof *c)) || !(c->bare = strdup(bare)) ||
        ut_map_put(q->creators, bare, c) < 0) {
        if (c)
            free(c->bare);
        free(c);
        return NULL;
    }
    xm_bucket_init(&c->rate, q->per_min, now);
    return c;
}

int xm_quota_create(xm_quota *q, const char *bare, const char *room,
                    uint64_t now_ms)
{
    struct creator *c = creator_get(q, bare, now_ms);

    if (!c)
        return XM_QUOTA_ENOMEM;
    if (q->per_jid && c->held >= q->per_jid)
        return XM_QUOTA_EHELD;
    if (!xm_bucket_take(&c->rate, 1.0, rate_per_s(q), q->per_min, now_ms))
        return XM_QUOTA_ERATE;
    if (ut_map_put(q->rooms, room, c) < 0)
        return XM_QUOTA_ENOMEM;
    c->held++;
    return XM_QUOTA_OK;
}

void xm_quota_gone(xm_quota *q, const char *room)
{
    struct creator *c = ut_map_del(q->rooms, room);

    if (c && c->held)
        c->held--;
}

uint32_t xm_quota_held(const xm_quota *q, const char *bare)
{
    const struct creator *c = ut_map_get(q->creators, bare);

    return c ? c->held : 0;
}

size_t xm_quota_size(const xm_quota *q)
{
    return ut_map_size(q->creators);
}
