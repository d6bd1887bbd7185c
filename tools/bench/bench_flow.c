/* bench_flow.c -- orbweb bench flow: what a burst of unicasts costs the
 * sender's memory, with and without liborbweb's high-water mark
 * (ob_options.send_high_water, docs/api.md "Flow control").
 *
 * A throwaway Prosody (or ejabberd); a receiver, a liborbweb client in a
 * child process (so that its memory is not counted), and the sender, a
 * liborbweb client in this process, both relayed (direct streams off,
 * STARTTLS trusted).  The sender sends --count unicasts of --size bytes
 * as fast as it can: without a mark in one loop (everything is queued
 * at once, as issue 16 saw); with one, until OB_EAGAIN, then it runs the
 * loop until the drained callback.  Reported: the peak of ob_in_flight,
 * the sender's peak RSS above its RSS before the burst (VmHWM - VmRSS,
 * /proc/self/status), and the time until the receiver had them all.
 * Not a test: never timed in make check. */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "orbweb.h"

struct flow {
    struct event_base *base;
    ob_client *c;
    enum ob_state state;
    long count, got;
    bool drained;
    size_t peak;
};

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    struct flow *f = user;

    (void)c;
    f->state = st;
}

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct flow *f = user;

    (void)c;
    (void)m;
    if (++f->got == f->count)
        event_base_loopbreak(f->base);
}

static void on_drained(ob_client *c, void *user)
{
    struct flow *f = user;

    (void)c;
    f->drained = true;
}

static const struct ob_callbacks callbacks = {
    .size = sizeof callbacks, .state = on_state, .unicast = on_unicast};

/* A client of srv on f->base; 0 once connected, or -1. */
static int client(struct flow *f, hs_server *srv, int high)
{
    struct ob_options o = {.size = sizeof o,
                           .host = hs_server_host(srv),
                           .port = hs_server_c2s_port(srv),
                           .jid = hs_server_anon_domain(srv),
                           .tls = OB_TLS_TRUST,
                           .base = f->base,
                           .cb = &callbacks,
                           .user = f,
                           .direct_off = true,
                           .send_high_water = high,
                           .drained = on_drained};
    struct timeval tick = {0, 20000};

    if (!(f->base = event_base_new()))
        return -1;
    o.base = f->base;
    if (ob_client_new(&o, &f->c) || ob_connect(f->c))
        return -1;
    for (int i = 0; i < 1000 && f->state != OB_STATE_CONNECTED; i++) {
        event_base_loopexit(f->base, &tick);
        event_base_dispatch(f->base);
    }
    return f->state == OB_STATE_CONNECTED ? 0 : -1;
}

/* The child: receives count unicasts, writes its JID, then "1" when it
 * has them all, on fd. */
static void receiver(hs_server *srv, long count, int fd)
{
    struct flow f = {.count = count};
    const char *jid;

    if (client(&f, srv, 0) || !(jid = ob_client_jid(f.c)) ||
        write(fd, jid, strlen(jid) + 1) < 0)
        _exit(1);
    event_base_dispatch(f.base); /* until the last one */
    _exit(write(fd, "1", 1) == 1 && f.got == count ? 0 : 1);
}

static long status_kb(const char *key)
{
    FILE *p = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    while (p && fgets(line, sizeof line, p))
        if (!strncmp(line, key, strlen(key)))
            kb = strtol(line + strlen(key), NULL, 10);
    if (p)
        fclose(p);
    return kb;
}

static void note_peak(struct flow *f)
{
    size_t n = ob_in_flight(f->c);

    if (n > f->peak)
        f->peak = n;
}

/* Sends count unicasts of body to jid, waiting for the drain on
 * OB_EAGAIN; -1 on another error. */
static int burst(struct flow *f, const char *jid, const char *body)
{
    for (long i = 0; i < f->count;) {
        int rc = ob_unicast(f->c, jid, body);

        note_peak(f);
        if (rc == OB_OK) {
            i++;
            continue;
        }
        if (rc != OB_EAGAIN)
            return -1;
        f->drained = false;
        while (!f->drained)
            event_base_loop(f->base, EVLOOP_ONCE);
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: orbweb bench flow [--server prosody|ejabberd] "
                    "[--count N] [--size BYTES] [--high-water N]\n");
    return 2;
}

int bench_flow(int argc, char **argv)
{
    static const struct option opts[] = {{"server", 1, NULL, 's'},
                                         {"count", 1, NULL, 'n'},
                                         {"size", 1, NULL, 'b'},
                                         {"high-water", 1, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    enum hs_kind kind = HS_PROSODY;
    struct bench_system sys;
    struct flow f = {.count = 16000};
    int size = 100, high = 0, fds[2], ch, st = 1;
    char jid[512] = "", *body, done;
    long rss0;
    double t0;
    pid_t pid;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 's' && !hs_kind_parse(optarg, &kind))
            continue;
        if (ch == 'n' && (f.count = atol(optarg)) > 0)
            continue;
        if (ch == 'b' && (size = atoi(optarg)) > 0 && size < 60000)
            continue;
        if (ch == 'w' && (high = atoi(optarg)) >= 0)
            continue;
        return usage();
    }
    if (!(body = malloc((size_t)size + 1)))
        return 1;
    memset(body, 'x', (size_t)size);
    body[size] = '\0';
    bench_print_machine(stdout);
    if (bench_system_start(&sys, kind, false, "bench flow") || pipe(fds)) {
        free(body);
        return 1;
    }
    if ((pid = fork()) == 0)
        receiver(sys.srv, f.count, fds[1]);
    if (pid < 0 || read(fds[0], jid, sizeof jid - 1) <= 0 ||
        client(&f, sys.srv, high))
        goto out;
    rss0 = status_kb("VmRSS:");
    t0 = bench_now_s();
    if (burst(&f, jid, body))
        goto out;
    while (ob_in_flight(f.c) > 0) {
        event_base_loop(f.base, EVLOOP_ONCE);
        note_peak(&f);
    }
    if (read(fds[0], &done, 1) == 1) {
        printf("%s: %ld unicasts of %d bytes, high-water %d: peak in flight "
               "%zu, sender's peak RSS +%ld KiB, all received in %.2f s\n",
               hs_kind_name(kind), f.count, size, high, f.peak,
               status_kb("VmHWM:") - rss0, bench_now_s() - t0);
        st = 0;
    }
out:
    if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0)
        kill(pid, SIGTERM);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    ob_client_free(f.c);
    if (f.base)
        event_base_free(f.base);
    bench_system_stop(&sys);
    free(body);
    return st;
}
