/* xm_http.h -- the optional metrics and health endpoint on a loopback
 * port.
 *
 * GET /metrics answers OpenMetrics 1.0 text (the default, and whenever
 * the Accept header names application/openmetrics-text), or the older
 * Prometheus text format (version 0.0.4) when Accept asks for text/plain
 * only.  Two counter families come from xm_stats tables:
 *
 *   xmucd_stanzas_total{direction="in",kind="presence",room="r1"} 12
 *   xmucd_bytes_total{direction="out",kind="message",room=""} 3456
 *
 * The service's own table has room="" (every stanza is counted there);
 * each room's table carries the room's name.  Every other family (gauges,
 * counters, the build info) is added sample by sample with
 * xm_http_sink_sample; docs/xmucd.md lists them.
 *
 * GET /health and /ready answer 200 "ok" while the owner says it is
 * ready (xm_http_set_ready: the component link is up) and 503 otherwise;
 * /live answers 200 whenever the process serves requests.  HEAD works on
 * every path; anything but GET or HEAD gets 405, any other path 404.
 * Only loopback addresses may be bound: the endpoint has no
 * authentication. */
#ifndef SRC_XMUC_XM_HTTP_H
#define SRC_XMUC_XM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>

#include "xm_stats.h"

typedef struct xm_http xm_http;
typedef struct xm_http_sink xm_http_sink;

/* Called on every GET /metrics to enumerate the tables to export: it
 * calls xm_http_sink_table once per table.  Returns 0, or nonzero to
 * answer 500 instead. */
typedef int (*xm_http_collect_fn)(void *ctx, xm_http_sink *sink);

/* Adds the counters of one table, labelled room=ROOM (NULL or "" for the
 * service).  0, or -1 when out of memory (then return nonzero from the
 * collect function). */
int xm_http_sink_table(xm_http_sink *sink, const char *room, const xm_stats *s);

enum xm_metric_type { XM_METRIC_GAUGE, XM_METRIC_COUNTER, XM_METRIC_INFO };

/* A metric family.  name is the family's name: a counter's samples are
 * name_total, an info's name_info (value 1), a gauge's name.  unit, when
 * not NULL, is OpenMetrics' UNIT and must end name (e.g. "bytes"). */
struct xm_metric {
    const char *name;
    enum xm_metric_type type;
    const char *unit;
    const char *help;
};

/* Adds one sample of m with at most one label (label NULL: none; value
 * is escaped).  The samples of one family must be added one after the
 * other.  0, or -1 when out of memory. */
int xm_http_sink_sample(xm_http_sink *sink, const struct xm_metric *m,
                        const char *label, const char *value, double v);

enum xm_http_result {
    XM_HTTP_OK = 0,
    XM_HTTP_ENOMEM = -1,
    XM_HTTP_EINVAL = -2, /* not a loopback address, or port out of range */
    XM_HTTP_ESYS = -3,   /* cannot listen there */
};

/* Listens on addr:port (port 0 picks a free port, see xm_http_port).
 * addr must be a literal loopback address, 127.0.0.0/8 or ::1.  Returns
 * 0 and sets *out, or a negative XM_HTTP_E* code with *out NULL and a
 * one-line reason in err.  collect and ctx must outlive the endpoint. */
int xm_http_start(struct event_base *base, const char *addr, int port,
                  xm_http_collect_fn collect, void *ctx, char *err,
                  size_t errlen, xm_http **out);

/* Whether /health and /ready answer 200 (ready) or 503; a new endpoint
 * is not ready. */
void xm_http_set_ready(xm_http *h, bool ready);

/* The port actually bound. */
int xm_http_port(const xm_http *h);

/* Stops listening and frees h (requests in flight are dropped).  NULL is
 * a no-op. */
void xm_http_free(xm_http *h);

/* 1 when addr is a literal loopback address (127.0.0.0/8 or ::1). */
int xm_http_is_loopback(const char *addr);

#endif
