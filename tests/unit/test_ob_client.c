/* test_ob_client.c -- liborbweb's client without a server: argument
 * checks, calls in the wrong state, a refused connection reported and
 * closed when reconnection is off, freeing the client from its own
 * callback, distances and the direct-stream options, the per-path
 * counters of a client that sent nothing, and the FD_SETSIZE
 * guard (a socket numbered 1024 or more is refused instead of letting
 * libstrophe's select() abort the process). */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "orbweb.h"

/* A port on which nothing listens: bound, never listened to. */
static int dead_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    *fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(*fd >= 0 && !bind(*fd, (struct sockaddr *)&a, sizeof a) &&
              !getsockname(*fd, (struct sockaddr *)&a, &len));
    return ntohs(a.sin_port);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(ob_client, .timeout = 300);

Test(ob_client, bad_arguments)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = "127.0.0.1",
                           .jid = "anon.localhost"};
    ob_client *c = (ob_client *)1;

    cr_expect_eq(ob_client_new(NULL, &c), OB_EINVAL);
    cr_expect_null(c);
    cr_expect_eq(ob_client_new(&o, NULL), OB_EINVAL);
    o.host = "localhost"; /* a name would need a blocking DNS lookup */
    cr_expect_eq(ob_client_new(&o, &c), OB_EINVAL);
    o.host = "::1";
    o.jid = "user@localhost"; /* a node without a password */
    cr_expect_eq(ob_client_new(&o, &c), OB_EINVAL);
    o.password = "x";
    o.port = 70000;
    cr_expect_eq(ob_client_new(&o, &c), OB_EINVAL);
    o.port = 0;
    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    cr_expect_eq(ob_client_state(c), OB_STATE_IDLE);
    cr_expect_null(ob_client_jid(c));
    cr_expect_eq(ob_unicast(c, "a@b/c", "x"), OB_ESTATE);
    cr_expect_eq(ob_groupcast(c, "r@rooms.localhost", "x"), OB_ENOTFOUND);
    cr_expect_eq(ob_room_join(c, "r@rooms.localhost", "n", NULL), OB_ESTATE);
    cr_expect_eq(ob_room_join(c, "no-at-sign", "n", NULL), OB_EINVAL);
    cr_expect_eq(ob_room_join(c, "r@rooms.localhost/x", "n", NULL), OB_EINVAL);
    cr_expect_eq(ob_room_leave(c, "r@rooms.localhost"), OB_ENOTFOUND);
    cr_expect_eq(ob_room_view(c, "r@rooms.localhost", NULL, NULL),
                 OB_ENOTFOUND);
    cr_expect_eq(ob_disconnect(c), OB_ESTATE);
    cr_expect_eq(ob_rooms_list(c, "rooms.localhost", NULL, NULL), OB_EINVAL);
    ob_client_free(c);
    ob_client_free(NULL);
}

/* The per-path counters start at zero and count only what left: a
 * unicast refused before sending counts nowhere, with direct streams on
 * or off.  What does leave, and by which path, is checked on real
 * servers (tests/integration/test_ob_direct). */
Test(ob_client, stats_count_only_what_left)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = "127.0.0.1",
                           .jid = "anon.localhost"};
    struct ob_stats st;
    ob_client *c;

    for (int off = 0; off < 2; off++) {
        o.direct_off = off;
        cr_assert_eq(ob_client_new(&o, &c), OB_OK);
        cr_expect_eq(ob_client_stats(NULL, &st), OB_EINVAL);
        cr_expect_eq(ob_client_stats(c, NULL), OB_EINVAL);
        cr_expect_eq(ob_unicast(c, "a@b/c", "x"), OB_ESTATE);
        cr_expect_eq(ob_unicast_data(c, "a@b/c", "x", 1), OB_ESTATE);
        memset(&st, 0xff, sizeof st);
        st.size = sizeof st;
        cr_assert_eq(ob_client_stats(c, &st), OB_OK);
        cr_expect(!st.unicasts_direct && !st.unicasts_relayed &&
                      !st.unicasts_resent,
                  "direct_off %d", off);
        ob_client_free(c);
    }
}

struct seen {
    int errors, closed;
    int last_code;
    bool free_on_error;
};

/* Before any session, distances are judged from the configured JID. */
Test(ob_client, distance_and_direct_options)
{
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = "127.0.0.1",
                           .jid = "anon.localhost",
                           .direct_host = "example.org"};
    ob_client *c;

    cr_assert_eq(ob_client_new(&o, &c), OB_EINVAL, "direct_host must be an IP");
    o.direct_host = "127.0.0.1";
    o.direct_sessions = 2;
    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    cr_expect_eq(ob_distance(c, NULL), OB_EINVAL);
    cr_expect_eq(ob_distance(NULL, "a@b/c"), OB_EINVAL);
    cr_expect_eq(ob_distance(c, "anon.localhost"), 0);
    cr_expect_eq(ob_distance(c, "peer@anon.localhost/r"), 2);
    cr_expect_eq(ob_distance(c, "peer@ANON.localhost"), 2,
                 "domains ignore case");
    cr_expect_eq(ob_distance(c, "peer@localhost/r"), 3);
    cr_expect_eq(ob_distance(c, "peer@anon.localhost.evil/r"), 3);
    ob_client_free(c);
    o.direct_off = true;
    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    cr_expect_eq(ob_distance(c, "peer@anon.localhost/r"), 2);
    ob_client_free(c);
}

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    struct seen *s = user;

    if (st == OB_STATE_CLOSED) {
        s->closed++;
        ob_stop(c);
    }
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    struct seen *s = user;

    s->errors++;
    s->last_code = e->code;
    cr_expect_eq(e->op, OB_OP_CONNECT);
    cr_expect_str_eq(e->condition, "");
    if (s->free_on_error) {
        ob_client_free(c); /* allowed: freed when we return */
        s->closed++;
    }
}

static void refused(bool free_on_error)
{
    static const struct ob_callbacks cb = {.size = sizeof(struct ob_callbacks),
                                           .state = on_state,
                                           .error = on_error};
    struct seen s = {.free_on_error = free_on_error};
    struct event_base *base = event_base_new();
    int lfd, port = dead_port(&lfd);
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = "127.0.0.1",
                           .port = port,
                           .jid = "anon.localhost",
                           .reconnect_max_ms = -1,
                           .cb = &cb,
                           .user = &s,
                           .base = base};
    ob_client *c;
    int rc;

    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    rc = ob_connect(c);
    if (rc == OB_ECONNECT) { /* refused at once: nothing more will happen */
        ob_client_free(c);
    } else {
        cr_assert_eq(rc, OB_OK, "%s", ob_strerror(rc));
        cr_expect_eq(ob_connect(c), OB_ESTATE);
        for (int i = 0; i < 200 && !s.closed; i++) {
            struct timeval tv = {0, 50000};
            event_base_loopexit(base, &tv);
            event_base_dispatch(base);
        }
        cr_expect_eq(s.closed, 1);
        cr_expect_geq(s.errors, 1);
        cr_expect_eq(s.last_code, OB_EREFUSED, "%s", ob_strerror(s.last_code));
        if (!free_on_error)
            ob_client_free(c);
    }
    close(lfd);
    event_base_free(base);
}

Test(ob_client, refused_connection_is_reported)
{
    refused(false);
}
Test(ob_client, free_from_callback)
{
    refused(true);
}

Test(ob_client, socket_above_fd_setsize_is_refused)
{
    struct rlimit rl;
    int lfd, port = dead_port(&lfd), fd = -1, first = -1;
    struct ob_options o = {.size = sizeof(struct ob_options),
                           .host = "127.0.0.1",
                           .port = port,
                           .jid = "anon.localhost"};
    ob_client *c;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < FD_SETSIZE + 64) {
        rl.rlim_cur =
            rl.rlim_max < FD_SETSIZE + 64 ? rl.rlim_max : FD_SETSIZE + 64;
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    cr_assert_geq(rl.rlim_cur, FD_SETSIZE + 8, "need %d descriptors",
                  FD_SETSIZE + 8);
    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    /* fill every descriptor below FD_SETSIZE */
    while ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd < FD_SETSIZE - 1)
        if (first < 0)
            first = fd;
    cr_assert_geq(fd, FD_SETSIZE - 1);
    cr_expect_eq(ob_connect(c), OB_EFDLIMIT);
    cr_expect_eq(ob_client_state(c), OB_STATE_IDLE);
    for (int i = first; i <= fd; i++)
        close(i);
    ob_client_free(c);
    close(lfd);
}
