/* hs_netns.c -- network segments for tests (see hs_netns.h).
 *
 * Everything is done with iproute2's ip, run without a shell; the
 * namespaces' names start with "ob<pid><letter>", so two tests never
 * collide and nothing else is touched.  A supervised sh whose only job is
 * to delete them on its way out covers a test that dies. */
#define _GNU_SOURCE
#include "config.h"

#include "hs_netns.h"
#include "hs_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IP "/usr/bin/ip"
#define NAME_LEN 32 /* what we write is shorter: interface names are <= 15 */

struct hs_netns {
    int n;
    char prefix[12];
    char name[HS_NETNS_MAX + 1][NAME_LEN];
    char core_addr[HS_NETNS_MAX + 1][20], seg_addr[HS_NETNS_MAX + 1][20];
    int fd[HS_NETNS_MAX + 1]; /* /run/netns/NAME, -1 when not made */
    int home;                 /* the creating thread's namespace */
    hs_proc *guard;
};

/* Runs ip with the given arguments (NULL-terminated); 0, or -1 with the
 * command and what it printed in err. */
static int run_ip(char *err, size_t errlen, ...)
{
    char *argv[16] = {IP}, out[512] = "";
    int n = 1, pipefd[2], status;
    ssize_t got = 0, r;
    va_list ap;
    pid_t pid;

    va_start(ap, errlen);
    while (n < 15 && (argv[n] = va_arg(ap, char *)))
        n++;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(pipefd) < 0 || (pid = fork()) < 0) {
        snprintf(err, errlen, "cannot run ip: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execv(IP, argv);
        _exit(127);
    }
    close(pipefd[1]);
    while ((r = read(pipefd[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
        got += r;
    close(pipefd[0]);
    out[got] = '\0';
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
        return 0;
    snprintf(err, errlen, "ip");
    for (int i = 1; argv[i]; i++)
        snprintf(err + strlen(err), errlen - strlen(err), " %s", argv[i]);
    snprintf(err + strlen(err), errlen - strlen(err), " failed: %s",
             got ? out : "(no output)");
    return -1;
}

/* The supervisor that deletes our namespaces if this process dies. */
static int start_guard(hs_netns *ns, char *err, size_t errlen)
{
    char script[1024] = "trap '";
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct hs_spawn spec = {
        .argv = argv, .log_path = "/dev/null", .grace_ms = 2000};

    for (int i = 0; i <= ns->n; i++)
        snprintf(script + strlen(script), sizeof script - strlen(script),
                 IP " netns del %s 2>/dev/null; ", ns->name[i]);
    snprintf(script + strlen(script), sizeof script - strlen(script),
             "exit 0' TERM INT HUP; while :; do sleep 3600 & wait $!; done");
    ns->guard = hs_proc_spawn(&spec, err, errlen);
    return ns->guard ? 0 : -1;
}

static int make_segment(hs_netns *ns, int k, char *err, size_t errlen)
{
    char a[NAME_LEN], b[NAME_LEN], core[24], seg[24];
    const char *c = ns->name[0], *s = ns->name[k];

    snprintf(a, sizeof a, "%sa%d", ns->prefix, k);
    snprintf(b, sizeof b, "%sb%d", ns->prefix, k);
    snprintf(core, sizeof core, "%s/24", ns->core_addr[k]);
    snprintf(seg, sizeof seg, "%s/24", ns->seg_addr[k]);
    return run_ip(err, errlen, "netns", "add", s, NULL) ||
                   run_ip(err, errlen, "link", "add", a, "type", "veth", "peer",
                          "name", b, NULL) ||
                   run_ip(err, errlen, "link", "set", a, "netns", c, NULL) ||
                   run_ip(err, errlen, "link", "set", b, "netns", s, NULL) ||
                   run_ip(err, errlen, "-n", c, "addr", "add", core, "dev", a,
                          NULL) ||
                   run_ip(err, errlen, "-n", s, "addr", "add", seg, "dev", b,
                          NULL) ||
                   run_ip(err, errlen, "-n", c, "link", "set", a, "up", NULL) ||
                   run_ip(err, errlen, "-n", s, "link", "set", b, "up", NULL) ||
                   run_ip(err, errlen, "-n", s, "link", "set", "lo", "up", NULL)
               ? -1
               : 0;
}

static int open_fds(hs_netns *ns, char *err, size_t errlen)
{
    char path[64];

    for (int i = 0; i <= ns->n; i++) {
        snprintf(path, sizeof path, "/run/netns/%s", ns->name[i]);
        if ((ns->fd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void write_no_forward(void *arg)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "w");
    int *ok = arg;

    *ok = f && fputs("0\n", f) >= 0;
    if (f && fclose(f) != 0)
        *ok = 0;
}

/* The core must not forward between segments: switched off explicitly,
 * whatever a new namespace inherited. */
static int no_forwarding(hs_netns *ns, char *err, size_t errlen)
{
    int ok = 0;

    if (hs_netns_call(ns, 0, write_no_forward, &ok) < 0) {
        snprintf(err, errlen, "cannot enter %s: %s", ns->name[0],
                 strerror(errno));
        return -1;
    }
    if (!ok)
        snprintf(err, errlen, "cannot switch forwarding off in %s",
                 ns->name[0]);
    return ok ? 0 : -1;
}

static void name_all(hs_netns *ns)
{
    static unsigned made;

    snprintf(ns->prefix, sizeof ns->prefix, "ob%ld%c",
             (long)getpid() % 10000000, 'a' + (char)(made++ % 26));
    snprintf(ns->name[0], NAME_LEN, "%sc", ns->prefix);
    for (int k = 1; k <= ns->n; k++) {
        snprintf(ns->name[k], NAME_LEN, "%ss%d", ns->prefix, k);
        snprintf(ns->core_addr[k], sizeof ns->core_addr[k], "10.213.%d.1", k);
        snprintf(ns->seg_addr[k], sizeof ns->seg_addr[k], "10.213.%d.2", k);
    }
}

int hs_netns_new(int n, char *err, size_t errlen, hs_netns **out)
{
    hs_netns *ns;

    *out = NULL;
    if (n < 1 || n > HS_NETNS_MAX) {
        snprintf(err, errlen, "1 to %d segments, not %d", HS_NETNS_MAX, n);
        return HS_NETNS_EINVAL;
    }
    if (geteuid() != 0 || access(IP, X_OK) != 0) {
        snprintf(err, errlen,
                 "network segments need root and %s "
                 "(apt-get install iproute2)",
                 IP);
        return HS_NETNS_EPERM;
    }
    if (!(ns = calloc(1, sizeof *ns))) {
        snprintf(err, errlen, "out of memory");
        return HS_NETNS_ENOMEM;
    }
    ns->n = n;
    for (int i = 0; i <= HS_NETNS_MAX; i++)
        ns->fd[i] = -1;
    name_all(ns);
    if ((ns->home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) <
            0 ||
        start_guard(ns, err, errlen) < 0 ||
        run_ip(err, errlen, "netns", "add", ns->name[0], NULL) < 0 ||
        run_ip(err, errlen, "-n", ns->name[0], "link", "set", "lo", "up",
               NULL) < 0)
        goto fail;
    for (int k = 1; k <= n; k++)
        if (make_segment(ns, k, err, errlen) < 0)
            goto fail;
    if (open_fds(ns, err, errlen) < 0 || no_forwarding(ns, err, errlen) < 0)
        goto fail;
    *out = ns;
    return HS_NETNS_OK;
fail:
    hs_netns_free(ns);
    return HS_NETNS_ESYS;
}

void hs_netns_free(hs_netns *ns)
{
    char err[256];

    if (!ns)
        return;
    for (int i = 0; i <= HS_NETNS_MAX; i++)
        if (ns->fd[i] >= 0)
            close(ns->fd[i]);
    for (int i = ns->n; i >= 0; i--)
        run_ip(err, sizeof err, "netns", "del", ns->name[i], NULL);
    if (ns->guard)
        hs_proc_stop(ns->guard);
    if (ns->home >= 0)
        close(ns->home);
    free(ns);
}

int hs_netns_segments(const hs_netns *ns)
{
    return ns->n;
}

const char *hs_netns_name(const hs_netns *ns, int seg)
{
    return seg >= 0 && seg <= ns->n ? ns->name[seg] : "";
}

const char *hs_netns_core_addr(const hs_netns *ns, int seg)
{
    return seg >= 1 && seg <= ns->n ? ns->core_addr[seg] : "";
}

const char *hs_netns_seg_addr(const hs_netns *ns, int seg)
{
    return seg >= 1 && seg <= ns->n ? ns->seg_addr[seg] : "";
}

int hs_netns_enter(const hs_netns *ns, int seg)
{
    if (seg < 0 || seg > ns->n || ns->fd[seg] < 0) {
        errno = EINVAL;
        return -1;
    }
    return setns(ns->fd[seg], CLONE_NEWNET);
}

int hs_netns_leave(const hs_netns *ns)
{
    return setns(ns->home, CLONE_NEWNET);
}

struct call {
    const hs_netns *ns;
    int seg, rc;
    void (*fn)(void *);
    void *arg;
};

struct link_bytes {
    char ifname[NAME_LEN];
    unsigned long long rx, tx;
    int rc;
};

/* In the core: the interface's line of /proc/thread-self/net/dev (this
 * thread's namespace; /sys would show the mount's). */
static void read_link_bytes(void *arg)
{
    struct link_bytes *lb = arg;
    FILE *f = fopen("/proc/thread-self/net/dev", "r");
    char line[512], name[NAME_LEN + 2];
    unsigned long long v[9];

    lb->rc = -1;
    if (!f)
        return;
    while (lb->rc && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon || sscanf(line, " %17[^:]", name) != 1 ||
            strcmp(name, lb->ifname) ||
            sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                   &v[8]) != 9)
            continue;
        lb->rx = v[0];
        lb->tx = v[8];
        lb->rc = 0;
    }
    fclose(f);
}

int hs_netns_link_bytes(const hs_netns *ns, int seg, unsigned long long *to_seg,
                        unsigned long long *from_seg)
{
    struct link_bytes lb = {.rc = -1};

    if (seg < 1 || seg > ns->n)
        return -1;
    snprintf(lb.ifname, sizeof lb.ifname, "%sa%d", ns->prefix, seg);
    if (hs_netns_call(ns, 0, read_link_bytes, &lb) || lb.rc)
        return -1;
    *to_seg = lb.tx;
    *from_seg = lb.rx;
    return 0;
}

static void *call_thread(void *p)
{
    struct call *c = p;

    if ((c->rc = hs_netns_enter(c->ns, c->seg)) == 0)
        c->fn(c->arg);
    return NULL;
}

int hs_netns_call(const hs_netns *ns, int seg, void (*fn)(void *), void *arg)
{
    struct call c = {ns, seg, -1, fn, arg};
    pthread_t t;

    if (pthread_create(&t, NULL, call_thread, &c) != 0)
        return -1;
    pthread_join(t, NULL);
    return c.rc;
}
