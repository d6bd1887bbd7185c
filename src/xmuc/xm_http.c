/* xm_http.c -- the OpenMetrics endpoint (see xm_http.h), on libevent's
 * evhttp.
 *
 * A metric family's samples must be contiguous, while the tables come
 * one at a time from the collect callback; so the sink writes each
 * family into its own evbuffer and the reply concatenates them.  Label
 * values (kinds, room names) come from the network and are escaped as
 * the exposition formats require. */
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
#define CT_OPENMETRICS                                                         \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum { FAM_STANZAS, FAM_BYTES, FAM_N };

static const struct family {
    const char *name, *help;
} families[FAM_N] = {
    {"xmucd_stanzas", "Stanzas received (in) and sent (out), by kind; "
                      "room=\"\" is the whole service."},
    {"xmucd_bytes", "Serialized bytes of those stanzas, by kind; "
                    "room=\"\" is the whole service."},
};

struct xm_http {
    struct evhttp *http;
    int port;
    xm_http_collect_fn collect;
    void *ctx;
};

struct xm_http_sink {
    struct evbuffer *fam[FAM_N];
    const char *room;
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

int xm_http_sink_table(xm_http_sink *sink, const char *room, const xm_stats *s)
{
    if (sink->rc)
        return -1;
    sink->room = room ? room : "";
    if (xm_stats_each(s, sink_counter, sink))
        sink->rc = -1;
    return sink->rc;
}

static int wants_openmetrics(struct evhttp_request *req)
{
    const char *accept =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");

    return accept && strstr(accept, "application/openmetrics-text");
}

/* Writes the whole exposition into out; 0, or -1 (answer 500). */
static int render(xm_http *h, struct evbuffer *out, int openmetrics)
{
    xm_http_sink sink = {{evbuffer_new(), evbuffer_new()}, "", 0};
    int rc =
        !sink.fam[0] || !sink.fam[1] || h->collect(h->ctx, &sink) || sink.rc;

    for (int f = 0; f < FAM_N && !rc; f++) {
        /* Prometheus 0.0.4 names the family after its samples; OpenMetrics
         * names it without the _total suffix. */
        const char *suffix = openmetrics ? "" : "_total";
        rc = evbuffer_add_printf(out, "# HELP %s%s %s\n# TYPE %s%s counter\n",
                                 families[f].name, suffix, families[f].help,
                                 families[f].name, suffix) < 0 ||
             evbuffer_add_buffer(out, sink.fam[f]);
    }
    rc = rc || evbuffer_add(out, "# EOF\n", 6);
    for (int f = 0; f < FAM_N; f++)
        if (sink.fam[f])
            evbuffer_free(sink.fam[f]);
    return rc ? -1 : 0;
}

/* HEAD gets the headers GET would get, without the body (libevent 2.1
 * sends whatever body it is given, even to HEAD). */
static void serve_metrics(xm_http *h, struct evhttp_request *req, int head)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evbuffer_new();
    int om = wants_openmetrics(req);
    char len[24];

    if (!out || render(h, out, om)) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    } else {
        evhttp_add_header(hdr, "Content-Type",
                          om ? CT_OPENMETRICS : CT_PROMETHEUS);
        if (head) {
            snprintf(len, sizeof len, "%zu", evbuffer_get_length(out));
            evhttp_add_header(hdr, "Content-Length", len);
            evbuffer_drain(out, evbuffer_get_length(out));
        }
        evhttp_send_reply(req, HTTP_OK, "OK", out);
    }
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

    if (!path || strcmp(path, "/metrics")) {
        evhttp_send_error(req, HTTP_NOTFOUND, NULL);
    } else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        refuse_method(req);
    } else {
        serve_metrics(arg, req, cmd == EVHTTP_REQ_HEAD);
    }
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
