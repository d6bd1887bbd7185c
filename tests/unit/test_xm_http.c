/* test_xm_http.c -- the OpenMetrics endpoint: started on a free loopback
 * port of an event base, fetched with a plain socket from the test (the
 * base is pumped while the test waits), answers for /metrics in both
 * exposition formats, 404 and 405, and the refusal of other addresses. */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
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
};

static int collect(void *arg, xm_http_sink *sink)
{
    struct tables *t = arg;

    if (t->fail)
        return 1;
    if (xm_http_sink_table(sink, NULL, t->service) ||
        xm_http_sink_table(sink, "lobby \"1\"", t->room))
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

Test(xm_http, metrics_prometheus_text)
{
    const char *r = fetch(base, xm_http_port(http), GET("/metrics", ""));
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
        "# EOF\n";

    cr_assert(!strncmp(r, "HTTP/1.1 200", 12), "%s", r);
    cr_expect(strstr(r, "Content-Type: text/plain; version=0.0.4"), "%s", r);
    cr_expect_str_eq(body_of(r), expected);
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
    r = fetch(base, xm_http_port(http), GET("/metrics", ""));
    cr_expect(strstr(r, "kind=\"message\",room=\"lobby \\\"1\\\"\"} 8\n"), "%s",
              r);
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
    static const char *const paths[] = {"/", "/metrics/", "/metric",
                                        "/metrics/x", "/favicon.ico"};
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
