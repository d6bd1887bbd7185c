/* test_netns.c -- the network segments the topology tests stand on
 * (tools/harness/hs_netns): a segment reaches the core and its server,
 * not another segment (and fails at once trying); a real Prosody in the
 * core serves logins from every segment; nothing is left afterwards,
 * even when the test process is killed. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_netns.h"
#include "hs_server.h"

static hs_netns *make(int n)
{
    char err[1024];
    hs_netns *ns;

    cr_assert_eq(hs_netns_new(n, err, sizeof err, &ns), HS_NETNS_OK, "%s", err);
    cr_assert(ns, "%s", err);
    return ns;
}

/* A listening socket on 0.0.0.0 in the calling thread's namespace. */
static int listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 8), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* connect() to host:port; 0 or the errno. */
static int try_connect(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), r;

    inet_pton(AF_INET, host, &a.sin_addr);
    r = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
    close(fd);
    return r;
}

struct job {
    hs_netns *ns;
    int seg;
    const char *host;
    int port;
    int result, fd;
    char err[2048];
    hs_server *server;
};

static void connect_job(void *arg)
{
    struct job *j = arg;

    j->result = try_connect(j->host, j->port);
}

static void login_job(void *arg)
{
    struct job *j = arg;

    j->result = hs_probe_login(j->host, j->port, "anon.localhost", NULL, 10000,
                               j->err, sizeof j->err);
}

static void listen_job(void *arg)
{
    struct job *j = arg;

    j->fd = listener(&j->port);
}

static void server_job(void *arg)
{
    struct job *j = arg;
    struct hs_options opt = {.listen = "0.0.0.0"};

    hs_server_start(HS_PROSODY, &opt, j->err, sizeof j->err, &j->server);
}

/* Runs fn in segment j->seg; its result. */
static int run(void (*fn)(void *), struct job *j)
{
    j->result = -1;
    cr_assert_eq(hs_netns_call(j->ns, j->seg, fn, j), 0, "cannot enter %d",
                 j->seg);
    return j->result;
}

static bool listed(const char *name)
{
    char line[256];
    FILE *p = popen("/usr/bin/ip netns list", "r");
    bool found = false;

    cr_assert(p);
    while (fgets(line, sizeof line, p))
        found |= !strncmp(line, name, strlen(name)) &&
                 (line[strlen(name)] == ' ' || line[strlen(name)] == '\n');
    pclose(p);
    return found;
}

static void segments_reach_the_core_not_each_other(void)
{
    hs_netns *ns = make(3);
    char core[32], seg3[32];
    int cport, sport, cfd, sfd;
    struct job j = {.ns = ns};

    snprintf(core, sizeof core, "%s", hs_netns_name(ns, 0));
    snprintf(seg3, sizeof seg3, "%s", hs_netns_name(ns, 3));
    cr_assert(listed(core) && listed(seg3));
    run(listen_job, &j);
    cfd = j.fd, cport = j.port;
    j.seg = 2;
    run(listen_job, &j);
    sfd = j.fd, sport = j.port;
    for (int k = 1; k <= 3; k++) {
        j.seg = k;
        j.host = hs_netns_core_addr(ns, k);
        j.port = cport;
        cr_expect_eq(run(connect_job, &j), 0,
                     "segment %d cannot reach the core", k);
    }
    j.seg = 2, j.host = hs_netns_seg_addr(ns, 2), j.port = sport;
    cr_expect_eq(run(connect_job, &j), 0, "segment 2 cannot reach itself");
    j.seg = 1;
    cr_expect_eq(run(connect_job, &j), ENETUNREACH,
                 "segment 1 reached segment 2 (or did not fail at once): %s",
                 strerror(j.result));
    j.seg = 3, j.host = hs_netns_core_addr(ns, 2), j.port = cport;
    cr_expect_neq(run(connect_job, &j), 0,
                  "segment 3 reached the core through segment 2's link");
    close(cfd);
    close(sfd);
    hs_netns_free(ns);
    cr_expect(!listed(core) && !listed(seg3), "namespaces left behind");
}

static void a_server_in_the_core_serves_every_segment(void)
{
    hs_netns *ns = make(2);
    hs_server *s;
    struct job j = {.ns = ns};

    run(server_job, &j);
    cr_assert((s = j.server), "%s", j.err);
    for (int k = 1; k <= 2; k++) {
        j.seg = k;
        j.host = hs_netns_core_addr(ns, k);
        j.port = hs_server_c2s_port(s);
        cr_expect_eq(run(login_job, &j), 0, "segment %d: %s", k, j.err);
    }
    hs_server_stop(s);
    hs_netns_free(ns);
}

static void removed_when_the_test_dies(void)
{
    int fds[2], status;
    char name[32] = "";
    pid_t pid;

    cr_assert_eq(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        char err[1024];
        hs_netns *ns;
        if (hs_netns_new(1, err, sizeof err, &ns) != HS_NETNS_OK)
            _exit(1);
        if (write(fds[1], hs_netns_name(ns, 1), strlen(hs_netns_name(ns, 1))) <
            0)
            _exit(1);
        close(fds[1]);
        pause();
        _exit(0);
    }
    close(fds[1]);
    cr_assert_gt(read(fds[0], name, sizeof name - 1), 0, "no namespace made");
    close(fds[0]);
    cr_assert(listed(name));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    for (int i = 0; i < 100 && listed(name); i++)
        usleep(100000);
    cr_expect(!listed(name), "%s outlived its test", name);
}

/* One test running the three in turn: with Criterion 2.4's parallel
 * workers, its runner leaked 48 bytes of its own when a test here ran
 * beside another, which LeakSanitizer rightly fails. */
Test(netns, segments, .timeout = 240)
{
    segments_reach_the_core_not_each_other();
    a_server_in_the_core_serves_every_segment();
    removed_when_the_test_dies();
}
