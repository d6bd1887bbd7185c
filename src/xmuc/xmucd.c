/* xmucd.c -- the X-MUC component daemon: settings, event loop, signals,
 * and the glue between the link (I/O) and the service (logic). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "xm_config.h"
#include "xm_flow.h"
#include "xm_http.h"
#include "xm_link.h"
#include "xm_log.h"
#include "xm_service.h"

struct daemon {
    struct event_base *base;
    xm_link *link;
    xm_service *service;
    xm_http *http;
    struct xm_out out;
};

static size_t send_on_link(void *ctx, xmpp_stanza_t *st)
{
    struct daemon *d = ctx;
    return xm_link_send(d->link, st);
}

static size_t queued_on_link(void *ctx)
{
    struct daemon *d = ctx;
    return xm_link_queued(d->link);
}

static uint64_t now_ms(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_stanza(void *owner, xmpp_stanza_t *stanza, size_t bytes)
{
    struct daemon *d = owner;
    xm_service_handle(d->service, stanza, bytes);
}

static void on_reject(void *owner, xmpp_stanza_t *top, const char *why)
{
    struct daemon *d = owner;
    xm_service_reject(d->service, top, why);
}

static void on_state(void *owner, bool up)
{
    struct daemon *d = owner;

    if (up) {
        xm_service_link_up(d->service);
        return;
    }
    xm_warn("lost the server; rooms and occupants are kept for the grace "
            "period while reconnecting");
    xm_service_link_down(d->service);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;

    (void)what;
    xm_info("got %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(d->base);
}

static int tick_room(void *ctx, xm_room *r)
{
    (void)ctx;
    xm_room_tick(r);
    return 0;
}

/* Once a second: the service's clock work (link grace, live state),
 * then rooms with work of their own (segment probes of tapbcast rooms)
 * do it even when no stanza arrives. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;

    (void)fd, (void)what;
    xm_service_tick(d->service);
    xm_service_each_room(d->service, tick_room, NULL);
}

static xm_service *make_service(const struct xm_config *cfg, struct daemon *d)
{
    struct xm_service_config sc = {
        .domain = cfg->domain,
        .max_rooms = cfg->max_rooms,
        .max_occupants = cfg->max_occupants,
        .max_stanza_bytes = cfg->max_stanza_bytes,
        .rate_per_s = cfg->rate_per_s,
        .rate_burst = cfg->rate_burst,
        .admins = (const char *const *)cfg->admins,
        .data_dir = cfg->data_dir,
        .default_manager = cfg->default_manager,
        .now_ms = now_ms,
        .seed = (uint64_t)time(NULL) ^ (uint64_t)getpid(),
        .link_grace_ms = (uint64_t)cfg->link_grace_s * 1000u,
        .max_memory = (size_t)cfg->max_memory_mb << 20,
        .out_bytes_per_s = cfg->out_kb_per_s * 1024u,
        .out_bytes_burst = cfg->out_kb_burst * 1024u,
        .rooms_per_jid = cfg->rooms_per_jid,
        .rooms_per_min = cfg->rooms_per_min,
        .queued = queued_on_link,
        .queue_ctx = d,
    };
    char err[512];
    xm_service *s;

    if (xm_service_new(&sc, &d->out, err, sizeof err, &s) != XM_OK)
        xm_error("%s", err);
    return s;
}

static int add_room(void *sink, xm_room *r)
{
    return xm_http_sink_table(sink, xm_room_name(r), xm_room_stats(r));
}

static int collect(void *ctx, xm_http_sink *sink)
{
    xm_service *s = ctx;

    return xm_http_sink_table(sink, NULL, xm_service_stats(s)) ||
           xm_service_each_room(s, add_room, sink);
}

/* Starts the OpenMetrics endpoint when configured; -1 if it cannot. */
static int start_metrics(const struct xm_config *cfg, struct daemon *d)
{
    struct xm_config where = {0};
    char err[256];
    int rc;

    if (!cfg->metrics)
        return 0;
    xm_config_set_server(&where, cfg->metrics);
    rc = xm_http_start(d->base, where.server_host, where.server_port, collect,
                       d->service, err, sizeof err, &d->http);
    free(where.server_host);
    if (rc < 0) {
        xm_error("%s", err);
        return -1;
    }
    xm_info("metrics at http://%s/metrics", cfg->metrics);
    return 0;
}

static int run(const struct xm_config *cfg)
{
    struct daemon d = {0};
    struct event *sigint = NULL, *sigterm = NULL, *tick = NULL;
    struct timeval second = {1, 0};
    struct xm_link_params p = {
        .host = cfg->server_host,
        .port = cfg->server_port,
        .domain = cfg->domain,
        .secret = cfg->secret,
        .reconnect_min_ms = cfg->reconnect_min_ms,
        .reconnect_max_ms = cfg->reconnect_max_ms,
        .on_stanza = on_stanza,
        .on_state = on_state,
        .owner = &d,
        .max_stanza_bytes = cfg->max_stanza_bytes,
        .on_reject = on_reject,
    };
    struct xm_budget b;
    int rc = 1;

    xm_budget_split((size_t)cfg->max_memory_mb << 20, &b);
    p.max_queue = b.queue_cap;
    p.resume_queue = b.queue_low;
    d.base = event_base_new();
    if (d.base)
        xm_link_new(d.base, &p, &d.link);
    d.out =
        (struct xm_out){send_on_link, &d, d.link ? xm_link_ctx(d.link) : NULL};
    if (d.base) {
        sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
        sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
        tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
    }
    if (!d.link || !sigint || !sigterm || !tick ||
        evsignal_add(sigint, NULL) < 0 || evsignal_add(sigterm, NULL) < 0 ||
        event_add(tick, &second) < 0) {
        xm_error("out of memory while starting");
        goto done;
    }
    if (!(d.service = make_service(cfg, &d)) || start_metrics(cfg, &d) < 0)
        goto done;
    xm_link_start(d.link);
    event_base_dispatch(d.base);
    xm_service_shutdown(d.service);
    xm_link_stop(d.link);
    xm_info("stopped");
    rc = 0;
done:
    xm_http_free(d.http);
    xm_service_free(d.service);
    xm_link_free(d.link);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (tick)
        event_free(tick);
    if (d.base)
        event_base_free(d.base);
    return rc;
}

/* --check-config (anywhere on the command line): loads the settings as a
 * start would (file, options, secret) and exits without connecting: 0
 * with one line saying what would be served, or 2 with the reason.
 * Returns only when the option is absent.  xmucd.service runs it before
 * a reload, so a broken file never reaches the running daemon. */
static void check_config_only(int argc, char **argv)
{
    char **rest, err[512];
    struct xm_config cfg;
    int n = 0, r;

    for (int i = 1; i < argc && !n; i++)
        n = !strcmp(argv[i], "--check-config");
    if (!n)
        return;
    if (!(rest = calloc((size_t)argc, sizeof *rest)))
        exit(1);
    n = 0;
    for (int i = 0; i < argc; i++)
        if (i == 0 || strcmp(argv[i], "--check-config"))
            rest[n++] = argv[i];
    r = xm_config_load(&cfg, n, rest, err, sizeof err);
    if (r < 0)
        fprintf(stderr, "xmucd: %s\n", err);
    else if (r == 0)
        printf("xmucd: configuration OK: %s for %s:%d\n", cfg.domain,
               cfg.server_host, cfg.server_port);
    xm_config_clear(&cfg);
    free(rest);
    exit(r < 0 ? 2 : 0);
}

int main(int argc, char **argv)
{
    check_config_only(argc, argv);
    struct xm_config cfg;
    char err[512];
    int r = xm_config_load(&cfg, argc, argv, err, sizeof err);

    if (r != 0) {
        if (r < 0)
            fprintf(stderr, "xmucd: %s\n", err);
        xm_config_clear(&cfg);
        return r < 0 ? 2 : 0;
    }
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)time(NULL) ^ (unsigned)getpid()); /* backoff jitter */
    xm_log_set_level(cfg.log_level);
    xmpp_initialize();
    r = run(&cfg);
    xmpp_shutdown();
    xm_config_clear(&cfg);
    return r;
}
