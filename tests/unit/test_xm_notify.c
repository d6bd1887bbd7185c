/* test_xm_notify.c -- systemd's notification datagrams (xm_notify.c),
 * received on a datagram socket of our own as systemd would. */
#include "config.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xm_notify.h"

/* A datagram socket bound to path (or to the abstract name when path
 * starts with '@'), its name in $NOTIFY_SOCKET. */
static int listen_at(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    socklen_t len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));

    cr_assert_geq(fd, 0);
    memcpy(sa.sun_path, path, strlen(path));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    else
        unlink(path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
    setenv("NOTIFY_SOCKET", path, 1);
    return fd;
}

static void expect_datagram(int fd, const char *want)
{
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

    cr_assert_gt(n, 0, "nothing was sent");
    buf[n] = '\0';
    cr_expect(!strncmp(buf, want, strlen(want)), "got '%s', want '%s'", buf,
              want);
}

Test(xm_notify, sends_to_a_path_socket)
{
    char path[64];
    int fd;

    snprintf(path, sizeof path, "/tmp/xm_notify_%d.sock", (int)getpid());
    fd = listen_at(path);
    cr_expect_eq(xm_notify("READY=1"), 0);
    expect_datagram(fd, "READY=1");
    cr_expect_eq(xm_notify_reloading(), 0);
    expect_datagram(fd, "RELOADING=1\nMONOTONIC_USEC=");
    close(fd);
    unlink(path);
}

Test(xm_notify, sends_to_an_abstract_socket)
{
    char name[64];
    int fd;

    snprintf(name, sizeof name, "@xm_notify_%d", (int)getpid());
    fd = listen_at(name);
    cr_expect_eq(xm_notify("STOPPING=1"), 0);
    expect_datagram(fd, "STOPPING=1");
    close(fd);
}

Test(xm_notify, nothing_outside_systemd)
{
    unsetenv("NOTIFY_SOCKET");
    cr_expect_eq(xm_notify("READY=1"), 1);
    setenv("NOTIFY_SOCKET", "relative", 1);
    cr_expect_eq(xm_notify("READY=1"), -1);
}

Test(xm_notify, watchdog_interval_is_ours_only)
{
    char pid[32];

    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "3000000", 1);
    cr_expect_eq(xm_notify_watchdog_usec(), 3000000);
    snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    cr_expect_eq(xm_notify_watchdog_usec(), 0, "another process's watchdog");
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    cr_expect_eq(xm_notify_watchdog_usec(), 3000000);
    setenv("WATCHDOG_USEC", "12x", 1);
    cr_expect_eq(xm_notify_watchdog_usec(), 0);
}
