/* ob_wait.c -- the client from programs that do not run libevent
 * themselves: wait-style helpers (ob_wait_connected, ob_wait_joined,
 * ob_run_for) that turn the client's base until a condition holds, and
 * the poll-loop accessors (ob_poll_fd, ob_poll_timeout, ob_poll_work).
 *
 * The poll loop: libevent keeps its back end's descriptor private, so
 * the library owns an epoll descriptor of its own (Linux) that mirrors
 * the descriptors the client's base watches.  ob_poll_timeout walks the
 * base's events (event_base_foreach_event), brings the epoll set up to
 * date (EPOLL_CTL_MOD, or ADD when the descriptor is new or was closed
 * and reused; DEL for those gone) and returns the delay to the earliest
 * timer, 0 when an event is already active (a kick, a deferred callback
 * of a direct stream).  ob_poll_work runs one non-blocking turn of the
 * base (EVLOOP_NONBLOCK).  The set is level-triggered, so what libevent
 * has not consumed keeps the descriptor readable. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include "ob_core_internal.h"
#include "ob_room_internal.h"
#include "ob_wait_internal.h"

#define POLL_IDLE_MS 60000 /* ob_poll_timeout with no timer at all */

/* ---- waiting ---------------------------------------------------------- */

typedef int (*wait_fn)(ob_client *c, const void *arg); /* 1 done, 0 not yet,
                                                           <0 failed */

static void on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(bool *)arg = true;
}

/* Turns c's base until done says so, the timer fires (OB_ETIMEDOUT;
 * timeout_ms < 0: never) or ob_stop breaks the loop (OB_ESTATE).  From
 * inside the loop (a callback) it would re-enter libevent: OB_ESTATE
 * (libevent 2.1's event_base_get_running_event cannot tell us first: it
 * crashes outside a callback, so the loop's own refusal says it). */
static int wait_until(ob_client *c, wait_fn done, const void *arg,
                      int timeout_ms)
{
    bool fired = false, broke = false;
    struct event *t;
    int rc;

    if (!c || c->dying)
        return OB_EINVAL;
    if (c->in_dispatch || c->in_pump)
        return OB_ESTATE;
    if (!(t = evtimer_new(c->base, on_wait_timer, &fired)))
        return OB_ENOMEM;
    if (timeout_ms >= 0) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        evtimer_add(t, &tv);
    }
    while ((rc = done(c, arg)) == 0) {
        if (fired || broke) {
            rc = fired ? OB_ETIMEDOUT : OB_ESTATE;
            break;
        }
        if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
            rc = OB_ESTATE; /* libevent refuses to re-enter its loop */
            break;
        }
        broke = event_base_got_break(c->base);
    }
    event_free(t);
    return rc < 0 ? rc : OB_OK;
}

static int is_connected(ob_client *c, const void *arg)
{
    (void)arg;
    switch (c->state) {
    case OB_STATE_CONNECTED:
    case OB_STATE_RESUMED:
    case OB_STATE_RECONNECTED: return 1;
    case OB_STATE_CLOSED: return OB_ECONNECT;
    case OB_STATE_IDLE: return OB_ESTATE;
    default: return 0;
    }
}

int ob_wait_connected(ob_client *c, int timeout_ms)
{
    return wait_until(c, is_connected, NULL, timeout_ms);
}

static int is_joined(ob_client *c, const void *arg)
{
    struct obi_room *r = obi_room_find(c, arg);

    if (!r)
        return c->state == OB_STATE_CLOSED ? OB_ECONNECT : OB_ENOTFOUND;
    return r->st == OBI_R_IN;
}

int ob_wait_joined(ob_client *c, const char *room, int timeout_ms)
{
    if (!room)
        return OB_EINVAL;
    return wait_until(c, is_joined, room, timeout_ms);
}

static int never(ob_client *c, const void *arg)
{
    (void)c;
    (void)arg;
    return 0;
}

int ob_run_for(ob_client *c, int ms)
{
    int rc;

    if (ms < 0)
        return OB_EINVAL;
    if (c && (c->in_dispatch || c->in_pump))
        return OB_ESTATE;
    rc = wait_until(c, never, NULL, ms);
    return rc == OB_ETIMEDOUT || rc == OB_ESTATE ? OB_OK : rc;
}

/* ---- the poll loop ------------------------------------------------------ */

#ifdef __linux__

struct obi_poll {
    int epfd;
    int *fds; /* registered last time */
    size_t n, cap;
    int *want; /* this time: fd, events pairs */
    size_t nwant, capwant;
    int64_t next_ms; /* earliest timer, -1: none */
    bool active;
    int err;
};

void obi_poll_free(ob_client *c)
{
    struct obi_poll *p = c->poll;

    if (!p)
        return;
    close(p->epfd);
    free(p->fds);
    free(p->want);
    free(p);
    c->poll = NULL;
}

int ob_poll_fd(ob_client *c)
{
    struct obi_poll *p;

    if (!c || c->dying)
        return OB_EINVAL;
    if (!c->own_base)
        return OB_ESTATE;
    if (c->poll)
        return c->poll->epfd;
    if (!(p = calloc(1, sizeof *p)))
        return OB_ENOMEM;
    if ((p->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        free(p);
        return errno == ENOMEM ? OB_ENOMEM : OB_EEVENT;
    }
    c->poll = p;
    return p->epfd;
}

static int want_add(struct obi_poll *p, int fd, int events)
{
    for (size_t i = 0; i < p->nwant; i += 2)
        if (p->want[i] == fd) {
            p->want[i + 1] |= events;
            return 0;
        }
    if (p->nwant + 2 > p->capwant) {
        size_t cap = p->capwant ? p->capwant * 2 : 16;
        int *w = realloc(p->want, cap * sizeof *w);
        if (!w)
            return -1;
        p->want = w;
        p->capwant = cap;
    }
    p->want[p->nwant++] = fd;
    p->want[p->nwant++] = events;
    return 0;
}

static int64_t tv_ms(const struct timeval *tv)
{
    return (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

/* One event of the base: its descriptor and interest, its timeout. */
static int each_event(const struct event_base *b, const struct event *ev,
                      void *arg)
{
    struct obi_poll *p = arg;
    struct timeval tv = {0, 0}, now;
    short what = event_get_events(ev);
    int fd = event_get_fd(ev), events = 0;

    (void)b;
    if (fd >= 0 && !(what & EV_SIGNAL)) {
        events |= what & EV_READ ? EPOLLIN : 0;
        events |= what & EV_WRITE ? EPOLLOUT : 0;
        if (events && want_add(p, fd, events) < 0)
            p->err = OB_ENOMEM;
    }
    if (event_pending(ev, EV_TIMEOUT, &tv)) {
        int64_t left;
        evutil_gettimeofday(&now, NULL);
        left = tv.tv_sec >= 0 && tv.tv_sec < INT32_MAX
                   ? tv_ms(&tv) - tv_ms(&now)
                   : 0;                 /* (an active event's: now) */
        left = left < 0 ? 0 : left + 1; /* rounded up: never early */
        if (p->next_ms < 0 || left < p->next_ms)
            p->next_ms = left;
    }
    return 0;
}

static bool wanted(const struct obi_poll *p, int fd)
{
    for (size_t i = 0; i < p->nwant; i += 2)
        if (p->want[i] == fd)
            return true;
    return false;
}

/* The epoll set becomes p->want; p->fds remembers it. */
static int sync_set(struct obi_poll *p)
{
    size_t n = p->nwant / 2;

    for (size_t i = 0; i < p->n; i++)
        if (!wanted(p, p->fds[i])) /* gone, or closed: ENOENT is fine */
            epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->fds[i], NULL);
    if (n > p->cap) {
        int *f = realloc(p->fds, n * sizeof *f);
        if (!f)
            return OB_ENOMEM;
        p->fds = f;
        p->cap = n;
    }
    p->n = 0;
    for (size_t i = 0; i < p->nwant; i += 2) {
        struct epoll_event e = {.events = (uint32_t)p->want[i + 1],
                                .data.fd = p->want[i]};
        if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, e.data.fd, &e) < 0 &&
            (errno != ENOENT ||
             epoll_ctl(p->epfd, EPOLL_CTL_ADD, e.data.fd, &e) < 0))
            return OB_EEVENT;
        p->fds[p->n++] = e.data.fd;
    }
    return OB_OK;
}

int ob_poll_timeout(ob_client *c)
{
    struct obi_poll *p;

    if (!c || !(p = c->poll))
        return 0;
    p->nwant = 0;
    p->next_ms = -1;
    p->err = OB_OK;
    event_base_foreach_event(c->base, each_event, p);
    if (p->err || sync_set(p) != OB_OK)
        return 0; /* poll returns at once; ob_poll_work tries again */
    if (event_base_get_num_events(c->base, EVENT_BASE_COUNT_ACTIVE) > 0)
        return 0;
    if (p->next_ms < 0 || p->next_ms > POLL_IDLE_MS)
        return POLL_IDLE_MS;
    return (int)p->next_ms;
}

#else /* no epoll: the accessors are not available */

void obi_poll_free(ob_client *c)
{
    (void)c;
}

int ob_poll_fd(ob_client *c)
{
    (void)c;
    return OB_EEVENT;
}

int ob_poll_timeout(ob_client *c)
{
    (void)c;
    return 0;
}

#endif

int ob_poll_work(ob_client *c)
{
    if (!c || c->dying)
        return OB_EINVAL;
    if (!c->own_base)
        return OB_ESTATE;
    if (c->in_dispatch || c->in_pump)
        return OB_ESTATE;
    return event_base_loop(c->base, EVLOOP_NONBLOCK) < 0 ? OB_ESTATE : OB_OK;
}
