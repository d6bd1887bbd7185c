/* test_slixmpp.c -- a stock client library we did not write against xmucd.
 *
 * For Prosody and for ejabberd: starts the server and xmucd through the
 * harness, then runs tests/compat/slixmpp_muc.py (python3-slixmpp and its
 * XEP-0045 plugin) against a fresh complete-view room, copies its TAP-like
 * output into the test log, and asserts it exited 0 with "0 failed".
 *
 * The Python is $OB_PYTHON if set, else the first of python3 (PATH) and
 * /usr/bin/python3 that can import slixmpp; with none, the test fails
 * naming the Debian package python3-slixmpp.  Never a skip. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hs_proc.h"
#include "hs_server.h"

#define SCRIPT_TIMEOUT_S 60 /* the script's own global timeout */
#define KILL_AFTER_S 90     /* we kill it if it outlives its own timeout */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv (argv[0] looked up in PATH) with stdout and stderr captured
 * into out (NUL-terminated, truncated to len-1).  Kills its process group
 * after timeout_s.  Returns the waitpid status, or -1 if it could not be
 * started (reason in out). */
static int run_capture(char *const argv[], char *out, size_t len, int timeout_s)
{
    int fd[2], status = -1;
    size_t n = 0;
    double deadline = now_s() + timeout_s;
    bool killed = false;
    pid_t pid;

    out[0] = '\0';
    if (pipe(fd) < 0) {
        snprintf(out, len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(out, len, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(fd[1], STDOUT_FILENO);
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(fd[1]);
    for (;;) {
        struct pollfd p = {.fd = fd[0], .events = POLLIN};
        double left = deadline - now_s();
        char junk[4096];
        ssize_t r;
        int pr;

        if (left <= 0 && !killed) {
            kill(-pid, SIGKILL);
            killed = true;
            deadline = now_s() + 5;
            continue;
        }
        if (left <= 0)
            break;
        pr = poll(&p, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        if (n + 1 < len)
            r = read(fd[0], out + n, len - 1 - n);
        else
            r = read(fd[0], junk, sizeof junk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (n + 1 < len)
            n += (size_t)r;
        out[n] = '\0';
    }
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (killed && n + 64 < len)
        snprintf(out + n, len - n, "\n(killed after %d s)\n", timeout_s);
    return status;
}

/* The last non-empty line of text (cut in place), or NULL. */
static const char *last_line(char *text)
{
    size_t n = strlen(text);
    char *nl;

    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    if (!n)
        return NULL;
    nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

/* A Python that imports slixmpp, or NULL with the reason in why. */
static const char *find_python(char *why, size_t len)
{
    static char chosen[512];
    const char *env = getenv("OB_PYTHON");
    const char *cands[] = {env && *env ? env : "python3", "/usr/bin/python3"};
    size_t off = 0;

    why[0] = '\0';
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
        char out[1024];
        char *argv[] = {(char *)cands[i], "-c",
                        "import slixmpp; print(slixmpp.__version__)", NULL};
        int st = run_capture(argv, out, sizeof out, 30);

        const char *line = last_line(out);

        if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            snprintf(chosen, sizeof chosen, "%s", cands[i]);
            fprintf(stderr, "slixmpp %s with %s\n", line ? line : "?", chosen);
            return chosen;
        }
        if (off < len)
            off += (size_t)snprintf(why + off, len - off, "%s: %.200s; ",
                                    cands[i], line ? line : "");
        if (env && *env)
            break; /* an explicit OB_PYTHON is the only candidate */
    }
    return NULL;
}

/* Copies the last bytes of the server folder's file name into the log. */
static void log_tail(hs_server *s, const char *name)
{
    char path[512], buf[8192];
    FILE *f = fopen(hs_server_path(s, name, path, sizeof path), "r");
    long size;
    size_t n;

    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0,
          SEEK_SET);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "---- tail of %s ----\n%s\n---- end ----\n", path, buf);
}

static void slixmpp_muc(enum hs_kind kind)
{
    char err[2048], why[2048], room[128], hex[13], port[16], script[1024],
        timeout[16];
    static char out[1 << 17];
    const char *srcdir = getenv("OB_SRCDIR");
    const char *python = find_python(why, sizeof why);
    char *args[] = {"--default-manager", "complete", NULL};
    struct hs_options opt = {.accounts = 0};
    struct hs_proc *x;
    hs_server *s;
    int st;

    cr_assert(python,
              "no python3 with slixmpp (%s): install the Debian "
              "package python3-slixmpp (apt-get install python3-slixmpp)",
              why);
    cr_assert(srcdir && *srcdir, "OB_SRCDIR is not set (make check sets it; "
                                 "by hand: export OB_SRCDIR=/path/to/orbweb)");
    snprintf(script, sizeof script, "%s/tests/compat/slixmpp_muc.py", srcdir);
    cr_assert(access(script, R_OK) == 0, "%s: %s", script, strerror(errno));

    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &s), HS_SERVER_OK,
                 "%s did not start: %s", hs_kind_name(kind), err);
    x = hs_xmucd_start(s, args, err, sizeof err);
    cr_assert(x, "xmucd did not start: %s", err);

    hs_random_hex(hex, sizeof hex);
    snprintf(room, sizeof room, "compat-%s@%s", hex, hs_server_component(s));
    snprintf(port, sizeof port, "%d", hs_server_c2s_port(s));
    snprintf(timeout, sizeof timeout, "%d", SCRIPT_TIMEOUT_S);
    {
        char *argv[] = {(char *)python,
                        script,
                        "--host",
                        (char *)hs_server_host(s),
                        "--port",
                        port,
                        "--domain",
                        (char *)hs_server_anon_domain(s),
                        "--room",
                        room,
                        "--timeout",
                        timeout,
                        NULL};

        fprintf(stderr, "%s: %s %s --host %s --port %s --domain %s --room %s\n",
                hs_kind_name(kind), python, script, hs_server_host(s), port,
                hs_server_anon_domain(s), room);
        st = run_capture(argv, out, sizeof out, KILL_AFTER_S);
    }
    fprintf(stderr, "---- slixmpp_muc.py on %s ----\n%s---- end ----\n",
            hs_kind_name(kind), out);

    cr_expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "slixmpp_muc.py on %s: %s %d", hs_kind_name(kind),
              st >= 0 && WIFEXITED(st) ? "exit status" : "signal/status",
              st >= 0 && WIFEXITED(st)     ? WEXITSTATUS(st)
              : st >= 0 && WIFSIGNALED(st) ? WTERMSIG(st)
                                           : st);
    cr_expect(strstr(out, " passed, 0 failed\n") != NULL,
              "slixmpp_muc.py on %s did not end with \"N passed, 0 failed\"",
              hs_kind_name(kind));
    if (!(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
        log_tail(s, "xmucd.log");

    cr_expect(hs_proc_running(x), "xmucd died during the scenario");
    cr_expect_eq(hs_xmucd_stop(x), 0, "xmucd did not exit cleanly on SIGTERM");
    hs_server_stop(s);
}

TestSuite(prosody, .timeout = 240);
TestSuite(ejabberd, .timeout = 240);
Test(prosody, slixmpp_muc)
{
    slixmpp_muc(HS_PROSODY);
}
Test(ejabberd, slixmpp_muc)
{
    slixmpp_muc(HS_EJABBERD);
}
