/* xmucd.c -- the X-MUC component daemon: settings, event loop, signals. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strophe.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "xm_config.h"
#include "xm_link.h"
#include "xm_log.h"
#include "xm_service.h"

struct daemon {
    struct event_base *base;
    xm_link *link;
    xm_service *service;
};

static void on_stanza(void *owner, xmpp_stanza_t *stanza)
{
    struct daemon *d = owner;
    xm_service_handle(d->service, d->link, stanza);
}

static void on_state(void *owner, bool up)
{
    (void)owner;
    if (!up)
        xm_warn("lost the server; rooms stay in memory until it is back");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;

    (void)what;
    xm_info("got %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(d->base);
}

static int run(const struct xm_config *cfg)
{
    struct daemon d = {0};
    struct event *sigint = NULL, *sigterm = NULL;
    struct xm_link_params p = {
        .host = cfg->server_host, .port = cfg->server_port,
        .domain = cfg->domain, .secret = cfg->secret,
        .reconnect_min_ms = cfg->reconnect_min_ms,
        .reconnect_max_ms = cfg->reconnect_max_ms,
        .on_stanza = on_stanza, .on_state = on_state, .owner = &d,
    };
    int rc = 1;

    d.base = event_base_new();
    d.service = xm_service_new(cfg->domain);
    d.link = d.base ? xm_link_new(d.base, &p) : NULL;
    if (d.base) {
        sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
        sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
    }
    if (!d.link || !d.service || !sigint || !sigterm ||
        evsignal_add(sigint, NULL) < 0 || evsignal_add(sigterm, NULL) < 0) {
        xm_error("out of memory while starting");
        goto done;
    }
    xm_link_start(d.link);
    event_base_dispatch(d.base);
    xm_link_stop(d.link);
    xm_info("stopped");
    rc = 0;
done:
    xm_link_free(d.link);
    xm_service_free(d.service);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (d.base)
        event_base_free(d.base);
    return rc;
}

int main(int argc, char **argv)
{
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
