/* test_xs_stream.c -- the stream layer's output side on a socketpair,
 * without a server: writing outside the event loop within a bound (the
 * last words before xmucd exits) and holding input while the output
 * queue drains (xmucd's backpressure).  Timeouts here are hang
 * detectors, never budgets. */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xs_stream.h"

static struct event_base *base;
static xmpp_ctx_t *ctx;
static xs_stream *st;
static int peer, stanzas;

static void on_stanza(void *ud, xmpp_stanza_t *s, size_t bytes)
{
    (void)ud, (void)s, (void)bytes;
    stanzas++;
}

static void on_closed(void *ud, const char *reason)
{
    (void)ud, (void)reason;
}

static void setup(void)
{
    int sv[2];
    struct bufferevent *bev;
    struct xs_stream_callbacks cb = {.on_stanza = on_stanza,
                                     .on_closed = on_closed};
    struct xs_limits lim = {0};

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    base = event_base_new();
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);
    bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    cr_assert_eq(xs_stream_new(ctx, bev, &lim, &cb, NULL, &st), XS_OK);
    cr_assert(st);
    peer = sv[1];
    stanzas = 0;
}

static void teardown(void)
{
    xs_stream_free(st);
    close(peer);
    event_base_free(base);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(xs_stream, .init = setup, .fini = teardown, .timeout = 60);

/* Queues n bytes of text. */
static void queue_bytes(size_t n)
{
    char *buf = malloc(n);

    cr_assert(buf);
    memset(buf, 'a', n);
    cr_assert_eq(xs_stream_send_raw(st, buf, n), 0);
    free(buf);
}

/* Reads and discards what the peer has; returns how much. */
static size_t peer_reads(void)
{
    char buf[65536];
    size_t total = 0;
    ssize_t n;

    while ((n = recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        total += (size_t)n;
    return total;
}

Test(xs_stream, flush_for_writes_outside_the_loop)
{
    queue_bytes(6000);
    cr_expect_eq(xs_stream_flush_for(st, 1000), 0);
    cr_expect_eq(xs_stream_queued(st), 0);
    cr_expect_eq(peer_reads(), 6000, "the peer got what was queued");
}

Test(xs_stream, flush_for_gives_up_when_the_peer_reads_nothing)
{
    queue_bytes(16u << 20);
    cr_expect_eq(xs_stream_flush_for(st, 200), -1,
                 "16 MiB cannot fit in a socketpair nobody reads");
    cr_expect_gt(xs_stream_queued(st), 0);
    cr_expect_lt(xs_stream_queued(st), 16u << 20, "it wrote what fitted");
}

static void run_a_little(void)
{
    struct timeval tv = {0, 20000};

    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

Test(xs_stream, hold_stops_input_until_output_drains)
{
    static const char in[] =
        "<stream:stream xmlns='jabber:component:accept' "
        "xmlns:stream='http://etherx.jabber.org/streams'><message/><message/>";
    time_t end = time(NULL) + 20;

    queue_bytes(8u << 20);
    xs_stream_hold(st, 4096);
    cr_assert(xs_stream_held(st));
    cr_assert_eq(send(peer, in, sizeof in - 1, 0), (ssize_t)(sizeof in - 1));
    for (int i = 0; i < 10; i++)
        run_a_little();
    cr_expect_eq(stanzas, 0, "nothing is read while held");
    while ((stanzas < 2 || xs_stream_held(st)) && time(NULL) < end) {
        peer_reads();
        run_a_little();
    }
    cr_expect_not(xs_stream_held(st), "released once drained");
    cr_expect_eq(stanzas, 2, "then what waited is read (%d stanzas)", stanzas);
}
