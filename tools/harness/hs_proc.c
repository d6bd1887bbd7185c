/* hs_proc.c -- supervised child processes (see hs_proc.h for the idea).
 *
 * Owner and supervisor share a socketpair.  The supervisor sends tagged
 * numbers: 'P' with the program's pid (or a negative errno when exec
 * failed), 'X' with its wait status when it exits.  The owner writes only
 * 'R' (restart the program: stop it, start it again, send 'P'); closing
 * its end, deliberately or by dying, is the order to clean up. */
#define _GNU_SOURCE
#include "config.h"

#include "hs_proc.h"
#include "hs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct hs_proc {
    pid_t supervisor;
    pid_t pid;
    int sock;
    bool exited;
};

enum { SUP_SOCK = 3 };

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void hs_remove_tree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In the program's process, after fork: redirect, exec, report failure. */
static void exec_program(const struct hs_spawn *s, int errpipe)
{
    int null = open("/dev/null", O_RDONLY);
    int log = s->log_path
                  ? open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644)
                  : open("/dev/null", O_WRONLY);
    int e;

    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 ||
        dup2(log, 2) < 0)
        goto fail;
    if (s->cwd && chdir(s->cwd) < 0)
        goto fail;
    for (char *const *e2 = s->env; e2 && *e2; e2++)
        putenv(*e2);
    execv(s->argv[0], s->argv);
fail:
    e = errno;
    if (write(errpipe, &e, sizeof e) < 0)
        _exit(127);
    _exit(127);
}

/* Starts the program; returns its pid or a negative errno. */
static pid_t start_program(const struct hs_spawn *s)
{
    int p[2], e = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        close(p[0]);
        exec_program(s, p[1]);
    }
    setpgid(pid, pid);
    close(p[1]);
    n = read(p[0], &e, sizeof e);
    close(p[0]);
    if (n == sizeof e) {
        waitpid(pid, NULL, 0);
        return -e;
    }
    return pid;
}

struct msg {
    char tag;
    int32_t value;
};

static void send_msg(char tag, int v)
{
    struct msg m = {tag, v};
    if (write(SUP_SOCK, &m, sizeof m) < 0)
        return;
}

/* Terminates the process group: SIGTERM, grace, SIGKILL, reap. */
static int terminate(pid_t pid, int grace_ms, int status, bool exited)
{
    long deadline = now_ms() + grace_ms;

    if (!exited) {
        kill(-pid, SIGTERM);
        while (now_ms() < deadline) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                break;
            }
            usleep(20000);
        }
    }
    kill(-pid, SIGKILL); /* whatever of the group is left */
    if (!exited)
        waitpid(pid, &status, 0);
    return status;
}

static void supervise(const struct hs_spawn *s)
{
    pid_t pid = start_program(s);
    int status = 0, grace = s->grace_ms ? s->grace_ms : 5000;
    bool exited = false;
    char byte;

    send_msg('P', pid);
    if (pid < 0) {
        hs_remove_tree(s->remove_dir);
        _exit(127);
    }
    for (;;) {
        struct pollfd pfd = {.fd = SUP_SOCK, .events = POLLIN};
        int r = poll(&pfd, 1, 100);
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            send_msg('X', status);
        }
        if (r <= 0)
            continue;
        if (read(SUP_SOCK, &byte, 1) <= 0)
            break;
        if (byte == 'R') {
            terminate(pid, grace, status, exited);
            pid = start_program(s);
            exited = pid < 0;
            send_msg('P', pid);
        }
    }
    if (pid > 0)
        status = terminate(pid, grace, status, exited);
    hs_remove_tree(s->remove_dir);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Reads messages until one with the wanted tag; -1 on end of stream. */
static int read_msg(hs_proc *p, char tag, int *v)
{
    struct msg m;
    ssize_t n;

    for (;;) {
        do
            n = read(p->sock, &m, sizeof m);
        while (n < 0 && errno == EINTR);
        if (n != sizeof m)
            return -1;
        if (m.tag == 'X')
            p->exited = true;
        if (m.tag == tag) {
            *v = m.value;
            return 0;
        }
    }
}

hs_proc *hs_proc_spawn(const struct hs_spawn *s, char *err, size_t errlen)
{
    hs_proc *p = calloc(1, sizeof *p);
    int sv[2], pid;

    if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "cannot start %s: %s", s->argv[0],
                 strerror(errno));
        free(p);
        return NULL;
    }
    p->supervisor = fork();
    if (p->supervisor == 0) {
        setsid();
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        if (dup2(sv[1], SUP_SOCK) < 0)
            _exit(127);
        close_range(SUP_SOCK + 1, ~0U, 0);
        supervise(s);
    }
    close(sv[1]);
    p->sock = sv[0];
    if (p->supervisor < 0 || read_msg(p, 'P', &pid) < 0 || pid < 0) {
        snprintf(err, errlen, "cannot start %s: %s", s->argv[0],
                 strerror(pid < 0 ? -pid : errno));
        hs_proc_stop(p);
        return NULL;
    }
    p->pid = pid;
    return p;
}

pid_t hs_proc_pid(const hs_proc *p)
{
    return p->pid;
}

bool hs_proc_running(hs_proc *p)
{
    struct pollfd pfd = {.fd = p->sock, .events = POLLIN};
    int status;

    if (!p->exited && poll(&pfd, 1, 0) > 0 && read_msg(p, 'X', &status) < 0)
        p->exited = true; /* the supervisor is gone */
    return !p->exited;
}

int hs_proc_restart(hs_proc *p)
{
    char r = 'R';
    int pid;

    if (write(p->sock, &r, 1) != 1 || read_msg(p, 'P', &pid) < 0 || pid < 0)
        return -1;
    p->pid = pid;
    p->exited = false;
    return 0;
}

int hs_proc_stop(hs_proc *p)
{
    int status = -1;

    if (!p)
        return -1;
    close(p->sock);
    if (p->supervisor > 0) {
        while (waitpid(p->supervisor, &status, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    free(p);
    return status;
}
