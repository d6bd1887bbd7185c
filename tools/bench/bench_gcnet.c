/* bench_gcnet.c -- peer-to-peer legs of the groupcast benchmark: records
 * between bench peers over kernel socket pairs (see bench_gcnet.h).
 *
 * Each peer keeps a small table of its open pairs (the other peer, the
 * pair, when it was last used); pairs are found by a walk of the
 * sender's table, which holds at most about per_peer entries. */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_gcnet.h"
#include "gc.h"

struct pair;

struct end {
    struct pair *p;
    int side;
};

struct pair {
    bgn_net *n;
    int peer[2];
    struct bufferevent *bev[2];
    struct end end[2];
    int busy;  /* inside its read callback: not to be freed */
    bool dead; /* to be closed when no longer busy */
};

struct link {
    int other;
    struct pair *p;
    uint64_t used;
};

struct table {
    struct link *v;
    int n, cap;
};

struct bgn_net {
    struct event_base *base;
    struct table *t;
    int npeers, per_peer;
    uint64_t clock; /* one tick per send: the LRU order */
    bgn_recv_fn fn;
    void *ud;
    struct bgn_stats st;
    uint8_t buf[GC_WIRE_MAX];
};

/* ---- tables -------------------------------------------------------------- */

static struct link *find(bgn_net *n, int a, int b)
{
    struct table *t = &n->t[a];

    for (int i = 0; i < t->n; i++)
        if (t->v[i].other == b)
            return &t->v[i];
    return NULL;
}

static int add_link(bgn_net *n, int a, int b, struct pair *p)
{
    struct table *t = &n->t[a];

    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 8;
        struct link *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (struct link){.other = b, .p = p, .used = n->clock};
    return 0;
}

static void remove_link(bgn_net *n, int a, int b)
{
    struct table *t = &n->t[a];
    struct link *l = find(n, a, b);

    if (l)
        *l = t->v[--t->n];
}

/* ---- pairs ----------------------------------------------------------------
 */

static void pair_close(struct pair *p)
{
    bgn_net *n = p->n;

    remove_link(n, p->peer[0], p->peer[1]);
    remove_link(n, p->peer[1], p->peer[0]);
    for (int i = 0; i < 2; i++)
        if (p->bev[i])
            bufferevent_free(p->bev[i]);
    free(p);
    n->st.open--;
}

static bool side_idle(struct bufferevent *bev)
{
    int unread = 0;

    return !evbuffer_get_length(bufferevent_get_output(bev)) &&
           !evbuffer_get_length(bufferevent_get_input(bev)) &&
           ioctl(bufferevent_getfd(bev), FIONREAD, &unread) == 0 && !unread;
}

static bool idle(const struct pair *p)
{
    return !p->busy && !p->dead && side_idle(p->bev[0]) && side_idle(p->bev[1]);
}

/* Makes room in a's table: closes its least recently used idle pair. */
static void make_room(bgn_net *n, int a)
{
    struct table *t = &n->t[a];
    struct pair *lru = NULL;
    uint64_t oldest = UINT64_MAX;

    if (t->n < n->per_peer)
        return;
    for (int i = 0; i < t->n; i++)
        if (t->v[i].used < oldest && idle(t->v[i].p)) {
            oldest = t->v[i].used;
            lru = t->v[i].p;
        }
    if (lru) {
        pair_close(lru);
        n->st.evicted++;
    } else {
        n->st.over++;
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct end *e = arg;
    struct pair *p = e->p;
    bgn_net *n = p->n;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t h[4];
    uint32_t len;

    p->busy++;
    while (!p->dead && evbuffer_copyout(in, h, 4) == 4) {
        len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
              (uint32_t)h[2] << 8 | h[3];
        if (len > GC_WIRE_MAX) {
            n->st.hostile++;
            p->dead = true;
            break;
        }
        if (evbuffer_get_length(in) < 4 + (size_t)len)
            break;
        evbuffer_drain(in, 4);
        evbuffer_remove(in, n->buf, len);
        n->fn(n->ud, p->peer[e->side], p->peer[!e->side], n->buf, len);
    }
    if (!--p->busy && p->dead)
        pair_close(p);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct end *e = arg;

    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (e->p->busy)
            e->p->dead = true;
        else
            pair_close(e->p);
    }
}

static struct pair *pair_open(bgn_net *n, int a, int b)
{
    struct pair *p;
    int fd[2];

    make_room(n, a);
    make_room(n, b);
    if (!(p = calloc(1, sizeof *p)))
        return NULL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) <
        0) {
        free(p);
        return NULL;
    }
    p->n = n;
    p->peer[0] = a;
    p->peer[1] = b;
    for (int i = 0; i < 2; i++) {
        p->end[i] = (struct end){.p = p, .side = i};
        p->bev[i] =
            bufferevent_socket_new(n->base, fd[i], BEV_OPT_CLOSE_ON_FREE);
        if (!p->bev[i]) {
            close(fd[i]);
            continue;
        }
        bufferevent_setcb(p->bev[i], on_read, NULL, on_event, &p->end[i]);
        bufferevent_enable(p->bev[i], EV_READ | EV_WRITE);
    }
    n->st.open++;
    if (!p->bev[0] || !p->bev[1] || add_link(n, a, b, p) < 0) {
        pair_close(p);
        return NULL;
    }
    if (add_link(n, b, a, p) < 0) {
        pair_close(p);
        return NULL;
    }
    n->st.opened++;
    return p;
}

/* a's end of its pair with b (opened if needed), or NULL. */
static struct bufferevent *end_of(bgn_net *n, int a, int b)
{
    struct link *l;
    struct pair *p;

    if (a < 0 || b < 0 || a >= n->npeers || b >= n->npeers || a == b)
        return NULL;
    n->clock++;
    if ((l = find(n, a, b)) && !l->p->dead) {
        l->used = n->clock;
        find(n, b, a)->used = n->clock;
        p = l->p;
    } else if (l || !(p = pair_open(n, a, b))) {
        return NULL;
    }
    return p->bev[p->peer[0] == a ? 0 : 1];
}

/* ---- the interface ---------------------------------------------------------
 */

int bgn_new(struct event_base *base, int npeers, int per_peer, bgn_recv_fn fn,
            void *ud, bgn_net **out)
{
    bgn_net *n;

    *out = NULL;
    if (npeers <= 0)
        return BGN_EINVAL;
    n = calloc(1, sizeof *n);
    if (!n || !(n->t = calloc((size_t)npeers, sizeof *n->t))) {
        free(n);
        return BGN_ENOMEM;
    }
    n->base = base;
    n->npeers = npeers;
    n->per_peer = per_peer > 0 ? per_peer : 8;
    n->fn = fn;
    n->ud = ud;
    *out = n;
    return BGN_OK;
}

void bgn_free(bgn_net *n)
{
    if (!n)
        return;
    for (int a = 0; a < n->npeers; a++) {
        while (n->t[a].n)
            pair_close(n->t[a].v[0].p);
        free(n->t[a].v);
    }
    free(n->t);
    free(n);
}

int bgn_send(bgn_net *n, int from, int to, const uint8_t *rec, size_t len)
{
    struct bufferevent *bev = len <= GC_WIRE_MAX ? end_of(n, from, to) : NULL;
    uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                    (uint8_t)(len >> 8), (uint8_t)len};
    struct evbuffer *b = evbuffer_new();
    int rc = -1;

    /* prefix and record enter the stream together or not at all */
    if (bev && b && !evbuffer_add(b, h, 4) && !evbuffer_add(b, rec, len) &&
        !bufferevent_write_buffer(bev, b)) {
        n->st.records++;
        n->st.bytes += 4 + len;
        rc = 0;
    } else {
        n->st.failed++;
    }
    if (b)
        evbuffer_free(b);
    return rc;
}

int bgn_reach(bgn_net *n, int from, int to)
{
    return end_of(n, from, to) ? 0 : -1;
}

struct bgn_stats bgn_get_stats(const bgn_net *n)
{
    return n->st;
}
