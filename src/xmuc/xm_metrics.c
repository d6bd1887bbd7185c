/* xm_metrics.c -- the daemon's metric families (see xm_metrics.h): a
 * table of families, each with a function that adds its samples. */
#include "config.h"

#include "xm_metrics.h"
#include "xm_refusal.h"

#include <stdio.h>
#include <unistd.h>

static const struct xm_metric
    rooms = {"xmucd_rooms", XM_METRIC_GAUGE, NULL, "Rooms that exist now."},
    occupants = {"xmucd_occupants", XM_METRIC_GAUGE, NULL,
                 "Occupants across all rooms now."},
    link_up = {"xmucd_link_up", XM_METRIC_GAUGE, NULL,
               "1 while the component link to the XMPP server is up, 0 "
               "while it is down."},
    reconnects = {"xmucd_link_reconnects", XM_METRIC_COUNTER, NULL,
                  "Times the component link came back up after it was "
                  "lost (successful handshakes after the first)."},
    refusals = {"xmucd_refusals", XM_METRIC_COUNTER, NULL,
                "Error replies sent to users, by RFC 6120 condition."},
    suppressed = {"xmucd_refusal_log_suppressed", XM_METRIC_COUNTER, NULL,
                  "Refusal log lines left out by the log rate limit."},
    queue = {"xmucd_queue_bytes", XM_METRIC_GAUGE, "bytes",
             "Bytes waiting in the output queue to the XMPP server."},
    rss = {"process_resident_memory_bytes", XM_METRIC_GAUGE, "bytes",
           "Resident memory of the xmucd process."},
    start = {"process_start_time_seconds", XM_METRIC_GAUGE, "seconds",
             "When xmucd started, in seconds since the Unix epoch."},
    uptime = {"xmucd_uptime_seconds", XM_METRIC_GAUGE, "seconds",
              "Seconds since xmucd started."},
    build = {"xmucd_build", XM_METRIC_INFO, NULL,
             "The version of xmucd that runs."};

static double since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) +
           (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

void xm_metrics_init(struct xm_metrics *m, xm_service *service,
                     size_t (*queued)(void *ctx), void *queue_ctx)
{
    struct timespec wall;

    *m = (struct xm_metrics){
        .service = service, .queued = queued, .queue_ctx = queue_ctx};
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &m->t0);
    m->started = (double)wall.tv_sec + (double)(wall.tv_nsec / 1000000) / 1e3;
}

void xm_metrics_link(struct xm_metrics *m, bool up)
{
    if (up && !m->up)
        m->ups++;
    m->up = up;
}

uint64_t xm_metrics_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    int n;

    if (!f)
        return 0;
    n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return n == 2 && page > 0 ? resident * (uint64_t)page : 0;
}

static int add_room(void *sink, xm_room *r)
{
    return xm_http_sink_table(sink, xm_room_name(r), xm_room_stats(r));
}

static int add_refusal(void *sink, const char *condition, uint64_t n)
{
    return xm_http_sink_sample(sink, &refusals, "reason", condition, (double)n);
}

/* The gauges and counters of the service and the link. */
static int add_service(const struct xm_metrics *m, xm_http_sink *k)
{
    const xm_refusals *rf = xm_service_refusals(m->service);
    size_t q = m->queued ? m->queued(m->queue_ctx) : 0;

    return xm_http_sink_sample(k, &rooms, NULL, NULL,
                               (double)xm_service_rooms(m->service)) ||
           xm_http_sink_sample(k, &occupants, NULL, NULL,
                               (double)xm_service_occupants(m->service)) ||
           xm_http_sink_sample(k, &link_up, NULL, NULL, m->up ? 1 : 0) ||
           xm_http_sink_sample(k, &reconnects, NULL, NULL,
                               m->ups > 1 ? (double)(m->ups - 1) : 0) ||
           xm_refusals_each(rf, add_refusal, k) ||
           xm_http_sink_sample(k, &suppressed, NULL, NULL,
                               (double)xm_refusals_suppressed(rf)) ||
           xm_http_sink_sample(k, &queue, NULL, NULL, (double)q);
}

/* The process: memory, age, build. */
static int add_process(const struct xm_metrics *m, xm_http_sink *k)
{
    uint64_t mem = xm_metrics_rss();

    return (mem && xm_http_sink_sample(k, &rss, NULL, NULL, (double)mem)) ||
           xm_http_sink_sample(k, &start, NULL, NULL, m->started) ||
           xm_http_sink_sample(k, &uptime, NULL, NULL, since(&m->t0)) ||
           xm_http_sink_sample(k, &build, "version", PACKAGE_VERSION, 1);
}

int xm_metrics_collect(void *ctx, xm_http_sink *sink)
{
    const struct xm_metrics *m = ctx;

    return xm_http_sink_table(sink, NULL, xm_service_stats(m->service)) ||
           xm_service_each_room(m->service, add_room, sink) ||
           add_service(m, sink) || add_process(m, sink);
}
