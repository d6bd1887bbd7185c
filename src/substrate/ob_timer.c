/* ob_timer.c -- timers on the client's event loop (ob_timer_*), for the
 * application and for liborbweb's own modules (RPC timeouts).
 *
 * A timer is a libevent timer on the client's base, kept on the client's
 * list so that ob_client_free frees the ones left.  Its callback runs
 * under the callback contract: the client is marked as dispatching while
 * it runs, so an ob_client_free from inside is deferred to its return,
 * and the timer itself may be freed inside (libevent allows freeing an
 * event from its own callback). */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>

#include "ob_core_internal.h"
#include "ob_timer_internal.h"

struct ob_timer {
    struct ob_timer *next, **prev; /* on c->timers */
    ob_client *c;
    struct event *ev;
    ob_timer_fn fn;
    void *arg;
};

static void on_fire(evutil_socket_t fd, short what, void *arg)
{
    ob_timer *t = arg;
    ob_client *c = t->c;
    bool outer = c->in_dispatch;

    (void)fd;
    (void)what;
    if (c->dying)
        return;
    c->in_dispatch = true;
    t->fn(t, t->arg); /* t may be gone from here on */
    c->in_dispatch = outer;
    if (!outer && c->dying)
        c->destroy(c); /* ob_client_free was called inside */
}

int ob_timer_new(ob_client *c, ob_timer_fn fn, void *arg, ob_timer **out)
{
    ob_timer *t;

    if (!out)
        return OB_EINVAL;
    *out = NULL;
    if (!c || !fn)
        return OB_EINVAL;
    if (!(t = calloc(1, sizeof *t)))
        return OB_ENOMEM;
    if (!(t->ev = evtimer_new(c->base, on_fire, t))) {
        free(t);
        return OB_ENOMEM;
    }
    t->c = c;
    t->fn = fn;
    t->arg = arg;
    t->next = c->timers;
    if (t->next)
        t->next->prev = &t->next;
    t->prev = &c->timers;
    c->timers = t;
    *out = t;
    return OB_OK;
}

int ob_timer_start(ob_timer *t, int64_t ms)
{
    struct timeval tv;

    if (!t || ms < 0)
        return OB_EINVAL;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return evtimer_add(t->ev, &tv) ? OB_EEVENT : OB_OK;
}

void ob_timer_stop(ob_timer *t)
{
    if (t)
        evtimer_del(t->ev);
}

bool ob_timer_pending(const ob_timer *t)
{
    return t && evtimer_pending(t->ev, NULL);
}

void ob_timer_free(ob_timer *t)
{
    if (!t)
        return;
    *t->prev = t->next;
    if (t->next)
        t->next->prev = t->prev;
    event_free(t->ev);
    free(t);
}

void obi_timers_free(ob_client *c)
{
    while (c->timers)
        ob_timer_free(c->timers);
}
