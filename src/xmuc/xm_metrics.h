/* xm_metrics.h -- what xmucd exports on /metrics besides the stanza
 * tables: rooms, occupants, the component link's state and reconnects,
 * refusals by condition, the output queue, the process's memory and age,
 * and the build (docs/xmucd.md, "Metrics", lists every family).
 *
 * The daemon keeps one struct xm_metrics, tells it the link's state
 * changes, and passes xm_metrics_collect to xm_http_start with the struct
 * as context. */
#ifndef SRC_XMUC_XM_METRICS_H
#define SRC_XMUC_XM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "xm_http.h"
#include "xm_service.h"

struct xm_metrics {
    xm_service *service;
    size_t (*queued)(void *ctx); /* bytes in the output queue; may be NULL */
    void *queue_ctx;
    bool up;            /* the component link */
    uint64_t ups;       /* handshakes that succeeded */
    double started;     /* Unix time of xm_metrics_init */
    struct timespec t0; /* the same moment, monotonic */
};

/* Starts the clock of uptime and process_start_time_seconds. */
void xm_metrics_init(struct xm_metrics *m, xm_service *service,
                     size_t (*queued)(void *ctx), void *queue_ctx);

/* The link went up or down. */
void xm_metrics_link(struct xm_metrics *m, bool up);

/* An xm_http_collect_fn: ctx is a struct xm_metrics. */
int xm_metrics_collect(void *ctx, xm_http_sink *sink);

/* The process's resident memory in bytes, or 0 when unknown. */
uint64_t xm_metrics_rss(void);

#endif
