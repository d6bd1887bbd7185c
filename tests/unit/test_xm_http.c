/* test_xm_http.c -- the metrics and health endpoint: started on a free
 * loopback port of an event base, fetched with a plain socket from the
 * test (the base is pumped while the test waits), answers for /metrics in
 * both exposition formats (checked by the Prometheus project's own
 * parser too, tests/unit/om_parse.py), /health, /ready and /live, 404 and
 * 405, and the refusal of other addresses. */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xm_http.h"

struct tables {
    xm_stats *service, *room;
    int fail;
    double rooms;
};

static const struct xm_metric
    g_rooms = {"t_rooms", XM_METRIC_GAUGE, NULL, "Rooms."},
    c_refused = {"t_refusals", XM_METRIC_COUNTER, NULL, "Refusals."},
    g_mem = {"t_memory_bytes", XM_METRIC_GAUGE, "bytes", "Memory."},
    g_start = {"t_start_time_seconds", XM_METRIC_GAUGE, "seconds", "Start."},
    i_build = {"t_build", XM_METRIC_INFO, NULL, "Build."};

/* One family of each type, odd label values included. */
static int add_families(struct tables *t, xm_http_sink *sink)
{
    return xm_http_sink_sample(sink, &g_rooms, NULL, NULL, t->rooms) ||
           xm_http_sink_sample(sink, &c_refused, "reason", "conflict", 3) ||
           xm_http_sink_sample(sink, &c_refused, "reason", "a\"b\\c\nd", 0) ||
           xm_http_sink_sample(sink, &g_mem, NULL, NULL, 12345678) ||
           xm_http_sink_sample(sink, &g_start, NULL, NULL, 1765000000.25) ||
           xm_http_sink_sample(sink, &i_build, "version", "0.1.0", 1);
}

static int collect(void *arg, xm_http_sink *sink)
{
    struct tables *t = arg;

    if (t->fail)
        return 1;
    if (xm_http_sink_table(sink, NULL, t->service) ||
        xm_http_sink_table(sink, "lobby \"1\"", t->room) ||
        add_families(t, sink))
        return 1;
    return 0;
}

/* Sends request to 127.0.0.1:port and returns the whole reply (until the
 * server closes), pumping base meanwhile. */
static char *fetch(struct event_base *base, int port, const char *request)
{
    static char reply[65536];
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), rounds = 0;
    size_t n = 0;
    ssize_t k;

    cr_assert(fd >= 0);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s",
                 strerror(errno));
    cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (;;) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        k = read(fd, reply + n, sizeof reply - 1 - n);
        if (k == 0)
            break;
        if (k > 0) {
            n += (size_t)k;
            cr_assert_lt(n, sizeof reply - 1, "reply too long");
            continue;
        }
        cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "%s",
                  strerror(errno));
        /* a safety net against a hang, not a timing assertion */
        cr_assert_lt(++rounds, 500000, "no reply");
        usleep(100);
    }
    close(fd);
    reply[n] = 0;
    return reply;
}

static struct event_base *base;
static xm_http *http;
static struct tables tables;

static void setup(void)
{
    char err[256];

    base = event_base_new();
    cr_assert(base);
    cr_assert_eq(xm_stats_new(&tables.service), XM_STATS_OK);
    cr_assert_eq(xm_stats_new(&tables.room), XM_STATS_OK);
    xm_stats_add(tables.service, "presence", XM_IN, 5, 500);
    xm_stats_add(tables.service, "iq:urn:xmpp:ping:get", XM_OUT, 2, 80);
    xm_stats_add(tables.room, "message", XM_OUT, 7, 700);
    cr_assert_eq(xm_http_start(base, "127.0.0.1", 0, collect, &tables, err,
                               sizeof err, &http),
                 XM_HTTP_OK, "%s", err);
    cr_assert(http);
    cr_assert_gt(xm_http_port(http), 0);
}

static void teardown(void)
{
    xm_http_free(http);
    xm_stats_free(tables.service);
    xm_stats_free(tables.room);
    event_base_free(base);
}

TestSuite(xm_http, .init = setup, .fini = teardown, .timeout = 300);

#define GET(path, extra)                                                       \
    "GET " path " HTTP/1.1\r\nHost: localhost\r\n" extra                       \
    "Connection: close\r\n\r\n"

static const char *body_of(const char *reply)
{
    const char *b = strstr(reply, "\r\n\r\n");
    cr_assert(b, "%s", reply);
    return b + 4;
}

Test(xm_http, metrics_prometheus_text_when_asked)
{
    const char *r = fetch(base, xm_http_port(http),
                          GET("/metrics", "Accept: text/plain\r\n"));
    const char *expected =
        "# HELP xmucd_stanzas_total Stanzas received (in) and sent (out), by "
        "kind; room=\"\" is the whole service.\n"
        "# TYPE xmucd_stanzas_total counter\n"
        "xmucd_stanzas_total{direction=\"in\",kind=\"iq:urn:xmpp:ping:get\","
        "room=\"\"} 0\n"
        "xmucd_stanzas_total{direction=\"out\",kind=\"iq:urn:xmpp:ping:get\","
        "room=\"\"} 2\n"
        "xmucd_stanzas_total{direction=\"in\",kind=\"presence\",room=\"\"} 5\n"
        "xmucd_stanzas_total{direction=\"out\",kind=\"presence\",room=\"\"} 0\n"
        "xmucd_stanzas_total{direction=\"in\",kind=\"message\","
        "room=\"lobby \\\"1\\\"\"} 0\n"
        "xmucd_stanzas_total{direction=\"out\",kind=\"message\","
        "room=\"lobby \\\"1\\\"\"} 7\n"
        "# HELP xmucd_bytes_total Serialized bytes of those stanzas, by kind; "
        "room=\"\" is the whole service.\n"
        "# TYPE xmucd_bytes_total counter\n"
        "xmucd_bytes_total{direction=\"in\",kind=\"iq:urn:xmpp:ping:get\","
        "room=\"\"} 0\n"
        "xmucd_bytes_total{direction=\"out\",kind=\"iq:urn:xmpp:ping:get\","
        "room=\"\"} 80\n"
        "xmucd_bytes_total{direction=\"in\",kind=\"presence\",room=\"\"} 500\n"
        "xmucd_bytes_total{direction=\"out\",kind=\"presence\",room=\"\"} 0\n"
        "xmucd_bytes_total{direction=\"in\",kind=\"message\","
        "room=\"lobby \\\"1\\\"\"} 0\n"
        "xmucd_bytes_total{direction=\"out\",kind=\"message\","
        "room=\"lobby \\\"1\\\"\"} 700\n"
        "# HELP t_rooms Rooms.\n# TYPE t_rooms gauge\nt_rooms 0\n"
        "# HELP t_refusals_total Refusals.\n"
        "# TYPE t_refusals_total counter\n"
        "t_refusals_total{reason=\"conflict\"} 3\n"
        "t_refusals_total{reason=\"a\\\"b\\\\c\\nd\"} 0\n"
        "# HELP t_memory_bytes Memory.\n# TYPE t_memory_bytes gauge\n"
        "t_memory_bytes 12345678\n"
        "# HELP t_start_time_seconds Start.\n"
        "# TYPE t_start_time_seconds gauge\n"
        "t_start_time_seconds 1765000000.250\n"
        "# HELP t_build_info Build.\n# TYPE t_build_info gauge\n"
        "t_build_info{version=\"0.1.0\"} 1\n";

    cr_assert(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
    cr_expect(strstr(r, "Content-Type: text/plain; version=0.0.4"), "%s", r);
    cr_expect_str_eq(body_of(r), expected);
}

Test(xm_http, metrics_openmetrics_by_default)
{
    static const char *const accepts[] = {
        "", "Accept: */*\r\n",
        /* what Prometheus 2 sends */
        "Accept: application/openmetrics-text;version=1.0.0,application/"
        "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
        "q=0.5,*/*;q=0.1\r\n"};
    char req[512];
    const char *r;

    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        snprintf(req, sizeof req, GET("/metrics", "%s"), accepts[i]);
        r = fetch(base, xm_http_port(http), req);
        cr_expect(strstr(r, "Content-Type: application/openmetrics-text; "
                            "version=1.0.0; charset=utf-8\r\n"),
                  "%s", r);
        cr_expect(strstr(r, "\n# TYPE t_build info\n"
                            "t_build_info{version=\"0.1.0\"} 1\n# EOF\n"),
                  "%s", r);
        cr_expect(strstr(r, "\n# TYPE t_memory_bytes gauge\n"
                            "# UNIT t_memory_bytes bytes\n"),
                  "%s", r);
    }
}

/* Debian's Python, where python3-prometheus-client installs (a python3
 * earlier in PATH may be another one); $OB_PYTHON overrides. */
static const char *python(void)
{
    const char *env = getenv("OB_PYTHON");

    if (env && *env)
        return env;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                 : "python3";
}

/* Runs tests/unit/om_parse.py (the Prometheus project's parsers) on the
 * body of reply; returns its output (a new string), or fails. */
static char *parsed(const char *reply, const char *format)
{
    char out[16384];
    const char *src = getenv("OB_SRCDIR");
    char path[] = "/tmp/om_XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    FILE *p;
    size_t n;
    int status;

    cr_assert(src && *src, "OB_SRCDIR is not set (make check sets it)");
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, body_of(reply), strlen(body_of(reply))),
                 (ssize_t)strlen(body_of(reply)));
    close(fd);
    snprintf(cmd, sizeof cmd, "%s %s/tests/unit/om_parse.py %s %s 2>&1",
             python(), src, format, path);
    cr_assert((p = popen(cmd, "r")));
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    status = pclose(p);
    unlink(path);
    cr_assert_eq(status, 0, "%s", out);
    return strdup(out);
}

Test(xm_http, both_formats_parse_with_prometheus_client)
{
    char *om = parsed(fetch(base, xm_http_port(http), GET("/metrics", "")),
                      "openmetrics");
    char *pr = parsed(fetch(base, xm_http_port(http),
                            GET("/metrics", "Accept: text/plain\r\n")),
                      "prometheus");

    cr_expect(strstr(om, "family xmucd_stanzas counter -\n"), "%s", om);
    cr_expect(strstr(om, "family xmucd_bytes counter bytes\n"), "%s", om);
    cr_expect(strstr(om, "sample xmucd_bytes_total{direction=out,kind=message,"
                         "room=lobby \"1\"} 700.0\n"),
              "%s", om);
    cr_expect(strstr(om, "family t_refusals counter -\n"
                         "sample t_refusals_total{reason=conflict} 3.0\n"
                         "sample t_refusals_total{reason=a\"b\\c\nd} 0.0\n"),
              "%s", om);
    cr_expect(strstr(om, "family t_memory_bytes gauge bytes\n"), "%s", om);
    cr_expect(strstr(om, "sample t_start_time_seconds{} 1765000000.25\n"), "%s",
              om);
    cr_expect(strstr(om, "family t_build info -\n"
                         "sample t_build_info{version=0.1.0} 1.0\n"),
              "%s", om);
    cr_expect(strstr(pr, "family xmucd_stanzas counter -\n"), "%s", pr);
    cr_expect(strstr(pr, "sample t_refusals_total{reason=conflict} 3.0\n"),
              "%s", pr);
    cr_expect(strstr(pr, "sample t_build_info{version=0.1.0} 1.0\n"), "%s", pr);
    free(om);
    free(pr);
}

Test(xm_http, health_follows_ready)
{
    static const char *const paths[] = {"/health", "/ready"};
    const char *r;

    for (size_t i = 0; i < 2; i++) {
        char req[256];
        snprintf(req, sizeof req, GET("%s", ""), paths[i]);
        r = fetch(base, xm_http_port(http), req);
        cr_expect(!strncmp(r, "HTTP/1.1 503", 12), "%s: %s", paths[i], r);
        cr_expect_str_eq(body_of(r), "unavailable: component link down\n");
        xm_http_set_ready(http, true);
        r = fetch(base, xm_http_port(http), req);
        cr_expect(!strncmp(r, "HTTP/1.1 200", 12), "%s: %s", paths[i], r);
        cr_expect_str_eq(body_of(r), "ok: component link up\n");
        r = fetch(base, xm_http_port(http),
                  i ? "HEAD /ready HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n"
                    : "HEAD /health HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n");
        cr_expect(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
        cr_expect(strstr(r, "Content-Length: 22\r\n"), "%s", r);
        cr_expect_str_eq(body_of(r), "");
        xm_http_set_ready(http, false);
    }
    /* /live does not depend on the link */
    r = fetch(base, xm_http_port(http), GET("/live", ""));
    cr_expect(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
}

Test(xm_http, metrics_openmetrics_when_asked)
{
    const char *r =
        fetch(base, xm_http_port(http),
              GET("/metrics?x=1", "Accept: application/openmetrics-text; "
                                  "version=1.0.0,text/plain;q=0.5\r\n"));

    cr_assert(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
    cr_expect(strstr(r, "Content-Type: application/openmetrics-text; "
                        "version=1.0.0"),
              "%s", r);
    cr_expect(strstr(r, "\n# TYPE xmucd_stanzas counter\n"), "%s", r);
    cr_expect(strstr(r, "\n# TYPE xmucd_bytes counter\n"), "%s", r);
    cr_expect(strstr(r, "\nxmucd_bytes_total{direction=\"in\",kind="
                        "\"presence\",room=\"\"} 500\n"),
              "%s", r);
    cr_expect(strlen(r) > 6 && !strcmp(r + strlen(r) - 6, "# EOF\n"));
}

Test(xm_http, counters_move_between_requests)
{
    const char *r;

    xm_stats_add(tables.room, "message", XM_OUT, 1, 1);
    tables.rooms = 4;
    r = fetch(base, xm_http_port(http), GET("/metrics", ""));
    cr_expect(strstr(r, "kind=\"message\",room=\"lobby \\\"1\\\"\"} 8\n"), "%s",
              r);
    cr_expect(strstr(r, "\nt_rooms 4\n"), "%s", r);
}

Test(xm_http, head_has_no_body)
{
    const char *r = fetch(base, xm_http_port(http),
                          "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n\r\n");

    cr_assert(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
    cr_expect_str_eq(body_of(r), "");
}

Test(xm_http, other_paths_and_methods)
{
    static const char *const paths[] = {
        "/",        "/metrics/", "/metric", "/metrics/x", "/favicon.ico",
        "/health/", "/healthz"};
    char req[256];
    const char *r;

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                 paths[i]);
        r = fetch(base, xm_http_port(http), req);
        cr_expect(!strncmp(r, "HTTP/1.1 404", 12), "%s: %s", paths[i], r);
    }
    r = fetch(base, xm_http_port(http),
              "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n");
    cr_expect(!strncmp(r, "HTTP/1.1 405", 12), "%s", r);
    cr_expect(strstr(r, "Allow: GET, HEAD"), "%s", r);
    r = fetch(base, xm_http_port(http),
              "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n");
    cr_expect(!strncmp(r, "HTTP/1.1 405", 12), "%s", r);
}

Test(xm_http, collect_failure_is_500)
{
    const char *r;

    tables.fail = 1;
    r = fetch(base, xm_http_port(http), GET("/metrics", ""));
    tables.fail = 0;
    cr_expect(!strncmp(r, "HTTP/1.1 500", 12), "%s", r);
}

Test(xm_http, only_loopback_is_bound)
{
    static const char *const refused[] = {
        "0.0.0.0",   "::",        "192.168.1.10",
        "10.0.0.1",  "localhost", "::ffff:127.0.0.1",
        "128.0.0.1", "",          "127.0.0.1 ",
        "::2",
    };
    char err[256];
    xm_http *h;

    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err[0] = 0;
        h = http;
        cr_expect_eq(xm_http_start(base, refused[i], 0, collect, &tables, err,
                                   sizeof err, &h),
                     XM_HTTP_EINVAL, "%s", refused[i]);
        cr_expect_null(h, "%s", refused[i]);
        cr_expect(strstr(err, "127.0.0.0/8 or ::1"), "%s", err);
    }
    h = http;
    cr_expect_eq(
        xm_http_start(base, NULL, 0, collect, &tables, err, sizeof err, &h),
        XM_HTTP_EINVAL);
    cr_expect_null(h);
    cr_expect(xm_http_is_loopback("127.255.0.3"));
    cr_expect(xm_http_is_loopback("::1"));
    cr_expect(xm_http_is_loopback("0:0::1"));
}

Test(xm_http, busy_port_is_a_clear_error)
{
    char err[256];
    xm_http *h = http;

    cr_expect_eq(xm_http_start(base, "127.0.0.1", xm_http_port(http), collect,
                               &tables, err, sizeof err, &h),
                 XM_HTTP_ESYS);
    cr_expect_null(h);
    cr_expect(strstr(err, "cannot listen for metrics on 127.0.0.1 port"), "%s",
              err);
}
