/* xm_http.c -- the metrics and health endpoint (see xm_http.h), on
 * libevent's evhttp.
 *
 * A metric family's samples must be contiguous, while the tables come
 * one at a time from the collect callback; so the sink writes each
 * stanza family into its own evbuffer, the other families (added one
 * after the other) into a third, and the reply concatenates them.  The
 * two exposition formats differ only in the comment lines (OpenMetrics
 * names counter and info families without their sample suffix, has UNIT
 * and ends with # EOF).  Label values (kinds, room names) come from the
 * network and are escaped as both formats require. */
#include "config.h"

#include "xm_http.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_OPENMETRICS                                                         \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum { FAM_STANZAS, FAM_BYTES, FAM_OTHER, FAM_N };

static const struct xm_metric families[FAM_OTHER] = {
    {"xmucd_stanzas", XM_METRIC_COUNTER, NULL,
     "Stanzas received (in) and sent (out), by kind; "
     "room=\"\" is the whole service."},
    {"xmucd_bytes", XM_METRIC_COUNTER, "bytes",
     "Serialized bytes of those stanzas, by kind; "
     "room=\"\" is the whole service."},
};

struct xm_http {
    struct evhttp *http;
    int port;
    bool ready;
    xm_http_collect_fn collect;
    void *ctx;
};

struct xm_http_sink {
    struct evbuffer *fam[FAM_N];
    const char *room;
    const struct xm_metric *last; /* the family FAM_OTHER ends with */
    int om;                       /* OpenMetrics (1) or Prometheus 0.0.4 */
    int rc;
};

int xm_http_is_loopback(const char *addr)
{
    unsigned char a[16];

    if (!addr)
        return 0;
    if (inet_pton(AF_INET, addr, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, addr, a) == 1) {
        static const unsigned char one[16] = {[15] = 1};
        return !memcmp(a, one, sizeof one);
    }
    return 0;
}

/* Appends s as a label value: backslash, double quote and newline are
 * escaped; everything else is copied. */
static int add_label_value(struct evbuffer *b, const char *s)
{
    int rc = 0;

    for (; *s && !rc; s++) {
        if (*s == '\\')
            rc = evbuffer_add(b, "\\\\", 2);
        else if (*s == '"')
            rc = evbuffer_add(b, "\\\"", 2);
        else if (*s == '\n')
            rc = evbuffer_add(b, "\\n", 2);
        else
            rc = evbuffer_add(b, s, 1);
    }
    return rc;
}

static int add_sample(struct evbuffer *b, const char *fam, int dir,
                      const char *kind, const char *room, uint64_t v)
{
    int rc = evbuffer_add_printf(b, "%s_total{direction=\"%s\",kind=\"", fam,
                                 dir == XM_IN ? "in" : "out") < 0;

    rc = rc || add_label_value(b, kind);
    rc = rc || evbuffer_add(b, "\",room=\"", 8);
    rc = rc || add_label_value(b, room);
    rc = rc || evbuffer_add_printf(b, "\"} %" PRIu64 "\n", v) < 0;
    return rc ? -1 : 0;
}

static int sink_counter(void *ctx, const struct xm_counter *c)
{
    xm_http_sink *k = ctx;

    for (int d = XM_IN; d <= XM_OUT; d++)
        if (add_sample(k->fam[FAM_STANZAS], families[FAM_STANZAS].name, d,
                       c->kind, k->room, c->stanzas[d]) ||
            add_sample(k->fam[FAM_BYTES], families[FAM_BYTES].name, d, c->kind,
                       k->room, c->bytes[d]))
            return -1;
    return 0;
}

/* The suffix of a family's samples. */
static const char *sample_suffix(enum xm_metric_type type)
{
    return type == XM_METRIC_COUNTER ? "_total"
           : type == XM_METRIC_INFO  ? "_info"
                                     : "";
}

/* The # HELP, # TYPE (and # UNIT) lines of m. */
static int add_header(struct evbuffer *b, const struct xm_metric *m, int om)
{
    static const char *const types[] = {"gauge", "counter", "info"};
    const char *suffix = om ? "" : sample_suffix(m->type);
    const char *type =
        !om && m->type == XM_METRIC_INFO ? "gauge" : types[m->type];
    int rc = evbuffer_add_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", m->name,
                                 suffix, m->help, m->name, suffix, type) < 0;

    if (!rc && om && m->unit)
        rc = evbuffer_add_printf(b, "# UNIT %s %s\n", m->name, m->unit) < 0;
    return rc ? -1 : 0;
}

/* A value: integers as such, anything else with millisecond precision. */
static int add_value(struct evbuffer *b, double v)
{
    if (v > -9e15 && v < 9e15 && v == (double)(int64_t)v) /* range first */
        return evbuffer_add_printf(b, " %" PRId64 "\n", (int64_t)v) < 0;
    return evbuffer_add_printf(b, " %.3f\n", v) < 0;
}

int xm_http_sink_sample(xm_http_sink *sink, const struct xm_metric *m,
                        const char *label, const char *value, double v)
{
    struct evbuffer *b = sink->fam[FAM_OTHER];
    int rc = sink->rc;

    if (!rc && sink->last != m)
        rc = add_header(b, m, sink->om);
    sink->last = m;
    rc = rc ||
         evbuffer_add_printf(b, "%s%s", m->name, sample_suffix(m->type)) < 0;
    if (!rc && label)
        rc = evbuffer_add_printf(b, "{%s=\"", label) < 0 ||
             add_label_value(b, value ? value : "") ||
             evbuffer_add(b, "\"}", 2);
    rc = rc || add_value(b, v);
    sink->rc = rc ? -1 : 0;
    return sink->rc;
}

int xm_http_sink_table(xm_http_sink *sink, const char *room, const xm_stats *s)
{
    if (sink->rc)
        return -1;
    sink->room = room ? room : "";
    if (xm_stats_each(s, sink_counter, sink))
        sink->rc = -1;
    return sink->rc;
}

/* OpenMetrics unless the client names text/plain and not OpenMetrics
 * (Prometheus asks for OpenMetrics first, with text/plain as fallback). */
static int wants_openmetrics(struct evhttp_request *req)
{
    const char *accept =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");

    return !accept || strstr(accept, "application/openmetrics-text") ||
           !strstr(accept, "text/plain");
}

/* Writes the whole exposition into out; 0, or -1 (answer 500). */
static int render(xm_http *h, struct evbuffer *out, int om)
{
    xm_http_sink sink = {.room = "", .om = om};
    int rc = 0;

    for (int f = 0; f < FAM_N; f++)
        rc = rc || !(sink.fam[f] = evbuffer_new());
    rc = rc || h->collect(h->ctx, &sink) || sink.rc;
    for (int f = 0; f < FAM_OTHER && !rc; f++)
        rc = add_header(out, &families[f], om) ||
             evbuffer_add_buffer(out, sink.fam[f]);
    rc = rc || evbuffer_add_buffer(out, sink.fam[FAM_OTHER]);
    if (om)
        rc = rc || evbuffer_add(out, "# EOF\n", 6);
    for (int f = 0; f < FAM_N; f++)
        if (sink.fam[f])
            evbuffer_free(sink.fam[f]);
    return rc ? -1 : 0;
}

/* Sends out with its type; HEAD gets the headers GET would get, without
 * the body (libevent 2.1 sends whatever body it is given, even to HEAD). */
static void reply(struct evhttp_request *req, int code, const char *reason,
                  const char *type, struct evbuffer *out)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    char len[24];

    evhttp_add_header(hdr, "Content-Type", type);
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        snprintf(len, sizeof len, "%zu", evbuffer_get_length(out));
        evhttp_add_header(hdr, "Content-Length", len);
        evbuffer_drain(out, evbuffer_get_length(out));
    }
    evhttp_send_reply(req, code, reason, out);
}

static void serve_metrics(xm_http *h, struct evhttp_request *req)
{
    struct evbuffer *out = evbuffer_new();
    int om = wants_openmetrics(req);

    if (!out || render(h, out, om))
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    else
        reply(req, HTTP_OK, "OK", om ? CT_OPENMETRICS : CT_PROMETHEUS, out);
    if (out)
        evbuffer_free(out);
}

/* /health and /ready: the link's state; /live: the process answers. */
static void serve_health(xm_http *h, struct evhttp_request *req, bool live)
{
    struct evbuffer *out = evbuffer_new();
    bool ok = live || h->ready;

    if (!out || evbuffer_add_printf(out, "%s\n",
                                    live ? "ok: serving"
                                    : ok ? "ok: component link up"
                                         : "unavailable: component link "
                                           "down") < 0)
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    else
        reply(req, ok ? HTTP_OK : HTTP_SERVUNAVAIL,
              ok ? "OK" : "Service Unavailable", CT_TEXT, out);
    if (out)
        evbuffer_free(out);
}

/* 405 with its Allow header (evhttp_send_error would drop the header). */
static void refuse_method(struct evhttp_request *req)
{
    struct evbuffer *body = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                      "GET, HEAD");
    if (body)
        evbuffer_add_printf(body, "only GET and HEAD\n");
    evhttp_send_reply(req, 405, "Method Not Allowed", body);
    if (body)
        evbuffer_free(body);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    bool metrics = path && !strcmp(path, "/metrics");
    bool live = path && !strcmp(path, "/live");
    bool health = path && (!strcmp(path, "/health") || !strcmp(path, "/ready"));

    if (!metrics && !live && !health)
        evhttp_send_error(req, HTTP_NOTFOUND, NULL);
    else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
        refuse_method(req);
    else if (metrics)
        serve_metrics(arg, req);
    else
        serve_health(arg, req, live);
}

static int bound_port(struct evhttp_bound_socket *bs)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
                    &len))
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int xm_http_start(struct event_base *base, const char *addr, int port,
                  xm_http_collect_fn collect, void *ctx, char *err,
                  size_t errlen, xm_http **out)
{
    xm_http *h;
    struct evhttp_bound_socket *bs;

    *out = NULL;
    if (!xm_http_is_loopback(addr)) {
        snprintf(err, errlen,
                 "metrics address '%s' refused: only a literal loopback "
                 "address (127.0.0.0/8 or ::1) may be bound, the endpoint "
                 "has no authentication",
                 addr ? addr : "");
        return XM_HTTP_EINVAL;
    }
    if (port < 0 || port > 65535 || !collect) {
        snprintf(err, errlen, "metrics port %d out of range 0-65535", port);
        return XM_HTTP_EINVAL;
    }
    if (!(h = calloc(1, sizeof *h)) || !(h->http = evhttp_new(base))) {
        snprintf(err, errlen, "out of memory");
        free(h);
        return XM_HTTP_ENOMEM;
    }
    h->collect = collect;
    h->ctx = ctx;
    evhttp_set_max_headers_size(h->http, 8192);
    evhttp_set_max_body_size(h->http, 0);
    evhttp_set_timeout(h->http, 10);
    evhttp_set_gencb(h->http, on_request, h);
    if (!(bs = evhttp_bind_socket_with_handle(h->http, addr,
                                              (ev_uint16_t)port)) ||
        (h->port = bound_port(bs)) < 0) {
        snprintf(err, errlen, "cannot listen for metrics on %s port %d: %s",
                 addr, port,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        xm_http_free(h);
        return XM_HTTP_ESYS;
    }
    *out = h;
    return XM_HTTP_OK;
}

void xm_http_set_ready(xm_http *h, bool ready)
{
    if (h)
        h->ready = ready;
}

int xm_http_port(const xm_http *h)
{
    return h->port;
}

void xm_http_free(xm_http *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);
    free(h);
}
