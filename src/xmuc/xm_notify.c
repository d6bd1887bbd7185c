/* xm_notify.c -- sd_notify(3)'s datagrams, written out (see xm_notify.h).
 *
 * The protocol is a single AF_UNIX datagram of "KEY=VALUE" lines sent to
 * the socket named by $NOTIFY_SOCKET; a leading '@' means the abstract
 * namespace.  A socket is opened per message: xmucd sends a handful.
 * Sending never blocks (the event loop must not wait on a reader that
 * does not read): a message the reader has no room for is lost. */
#include "config.h"

#include "xm_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fills sa from $NOTIFY_SOCKET; its length, 0 without one, -1 if bad. */
static int notify_addr(struct sockaddr_un *sa)
{
    const char *path = getenv("NOTIFY_SOCKET");
    size_t len;

    if (!path || !*path)
        return 0;
    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa->sun_path)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, len);
    if (path[0] == '@')
        sa->sun_path[0] = '\0';
    return (int)(offsetof(struct sockaddr_un, sun_path) + len +
                 (path[0] == '/'));
}

int xm_notify(const char *state)
{
    struct sockaddr_un sa;
    int len = notify_addr(&sa), fd, rc;

    if (len <= 0)
        return len == 0 ? 1 : -1;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                (socklen_t)len) < 0
             ? -1
             : 0;
    close(fd);
    return rc;
}

int xm_notify_reloading(void)
{
    struct timespec ts;
    char msg[80];

    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull +
                 (unsigned long long)ts.tv_nsec / 1000u);
    return xm_notify(msg);
}

uint64_t xm_notify_watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char *end;
    unsigned long long v;

    if (!usec || !*usec)
        return 0;
    if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    errno = 0;
    v = strtoull(usec, &end, 10);
    return errno || *end ? 0 : (uint64_t)v;
}
