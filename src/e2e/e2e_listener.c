/* e2e_listener.c -- accepts direct links: a TCP listener whose accepted
 * sockets become pending links (TLS handshake and stream header in
 * progress).  A pending link whose header is answered is handed to the
 * owner's function and forgotten here.
 *
 * Who gets a pending slot (docs/security.md, "Direct streams: who may
 * open one"): a gated listener takes connections only while its owner
 * expects links; one source (an IPv4 address, an IPv6 /64) holds at most
 * max_pending_source slots; when all max_pending slots are taken, a
 * newcomer from a source holding fewer than the biggest holder minus one
 * takes back that holder's oldest slot, else it is closed at once.  So a
 * few sources cannot hold the listener against others.  A slot first
 * waits for the connection's first octet (hello_timeout_ms), without TLS
 * state; only then does the handshake start (e2e_link_accept). */
#include "config.h"

#include "e2e_link_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_MAX_PENDING 32
#define DEFAULT_MAX_PENDING_SOURCE 8
#define DEFAULT_HELLO_MS 2000
#define DEFAULT_HANDSHAKE_MS 3000

/* One pending connection: waiting for its first octet (l NULL: fd and
 * wait are ours), then a pending link (the link owns the socket). */
struct pend {
    e2e_listener *ls;
    e2e_link *l;
    evutil_socket_t fd;
    struct event *wait;
    uint8_t src[17]; /* the source: family, then address or /64 */
    uint64_t age;    /* accept order, for taking back the oldest */
};

struct e2e_listener {
    struct event_base *base;
    xmpp_ctx_t *ctx;
    SSL_CTX *tls;
    struct evconnlistener *lev;
    struct e2e_listener_params p;
    e2e_listener_fn fn;
    void *ud;
    struct pend **pending;
    int npending;
    int expect;
    uint64_t accepted;
    unsigned long refused;
};

/* Removes slot i (its socket and link are someone else's by now). */
static void slot_remove(e2e_listener *ls, int i)
{
    struct pend *q = ls->pending[i];

    if (q->wait)
        event_free(q->wait);
    ls->pending[i] = ls->pending[--ls->npending];
    free(q);
}

/* Closes a connection still waiting for its first octet. */
static void slot_close(e2e_listener *ls, int i)
{
    evutil_socket_t fd = ls->pending[i]->fd;

    slot_remove(ls, i);
    evutil_closesocket(fd);
    ls->refused++;
}

void e2e_listener_forget(e2e_listener *ls, e2e_link *l)
{
    for (int i = 0; i < ls->npending; i++)
        if (ls->pending[i]->l == l) {
            slot_remove(ls, i);
            return;
        }
}

void e2e_listener_ready(e2e_listener *ls, e2e_link *l)
{
    e2e_listener_forget(ls, l);
    e2e_link_detach(l);
    ls->fn(ls->ud, l);
}

void e2e_listener_drop(e2e_listener *ls, e2e_link *l)
{
    e2e_listener_forget(ls, l);
    e2e_link_detach(l);
    e2e_link_free(l);
}

/* Ends slot i whatever its stage. */
static void slot_end(e2e_listener *ls, int i)
{
    if (ls->pending[i]->l) {
        e2e_listener_drop(ls, ls->pending[i]->l);
        ls->refused++;
    } else {
        slot_close(ls, i);
    }
}

static int slot_index(const e2e_listener *ls, const struct pend *q)
{
    for (int i = 0; i < ls->npending; i++)
        if (ls->pending[i] == q)
            return i;
    return -1;
}

/* The source key of an address: IPv4 (IPv4-mapped IPv6 alike) by
 * address, IPv6 by its /64 (one host usually has a whole /64). */
static void source_of(const struct sockaddr *sa, uint8_t key[17])
{
    memset(key, 0, 17);
    if (sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;
        bool v4 = IN6_IS_ADDR_V4MAPPED(a);
        key[0] = v4 ? 4 : 6;
        memcpy(key + 1, v4 ? a->s6_addr + 12 : a->s6_addr, v4 ? 4 : 8);
    }
}

static int count_source(const e2e_listener *ls, const uint8_t key[17])
{
    int k = 0;

    for (int i = 0; i < ls->npending; i++)
        k += !memcmp(ls->pending[i]->src, key, 17);
    return k;
}

/* All slots taken: takes back the oldest slot of the source holding the
 * most, when that source holds at least two more than key's.  True when
 * a slot is free now. */
static bool take_back(e2e_listener *ls, const uint8_t key[17])
{
    int big = -1, most = 0, oldest = -1;

    for (int i = 0; i < ls->npending; i++) {
        int k = count_source(ls, ls->pending[i]->src);
        if (k > most) {
            most = k;
            big = i;
        }
    }
    if (big < 0 || most < count_source(ls, key) + 2)
        return false;
    for (int i = 0; i < ls->npending; i++)
        if (!memcmp(ls->pending[i]->src, ls->pending[big]->src, 17) &&
            (oldest < 0 || ls->pending[i]->age < ls->pending[oldest]->age))
            oldest = i;
    slot_end(ls, oldest);
    return true;
}

/* The first octet, or the hello timeout: start the handshake, or close. */
static void on_hello(evutil_socket_t fd, short what, void *arg)
{
    struct pend *q = arg;
    e2e_listener *ls = q->ls;
    int i = slot_index(ls, q);
    char c;
    ssize_t n = (what & EV_READ) ? recv(fd, &c, 1, MSG_PEEK) : 0;

    if (i < 0)
        return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return; /* spurious: still waiting (the event is persistent) */
    if (n <= 0) {
        slot_close(ls, i);
        return;
    }
    event_free(q->wait);
    q->wait = NULL;
    if (e2e_link_accept(ls, ls->base, ls->ctx, ls->tls, fd, &ls->p, &q->l) &&
        (i = slot_index(ls, q)) >= 0)
        slot_remove(ls, i); /* the socket is closed */
}

/* A new slot for fd from key, waiting for its first octet; false when
 * the socket had to be closed. */
static bool slot_add(e2e_listener *ls, evutil_socket_t fd,
                     const uint8_t key[17])
{
    struct pend *q = calloc(1, sizeof *q);
    struct timeval tv = {ls->p.hello_timeout_ms / 1000,
                         (ls->p.hello_timeout_ms % 1000) * 1000};

    if (q)
        q->wait = event_new(ls->base, fd, EV_READ | EV_PERSIST, on_hello, q);
    if (!q || !q->wait || event_add(q->wait, &tv)) {
        if (q && q->wait)
            event_free(q->wait);
        free(q);
        return false;
    }
    q->ls = ls;
    q->fd = fd;
    memcpy(q->src, key, 17);
    q->age = ls->accepted++;
    ls->pending[ls->npending++] = q;
    return true;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *ud)
{
    e2e_listener *ls = ud;
    uint8_t key[17];

    (void)lev, (void)salen;
    source_of(sa, key);
    if ((ls->p.gated && ls->expect <= 0) ||
        count_source(ls, key) >= ls->p.max_pending_source ||
        (ls->npending >= ls->p.max_pending && !take_back(ls, key)) ||
        evutil_make_socket_nonblocking(fd) || !slot_add(ls, fd, key)) {
        evutil_closesocket(fd);
        ls->refused++;
    }
}

void e2e_listener_expect(e2e_listener *ls, int n)
{
    if (ls)
        ls->expect = n;
}

unsigned long e2e_listener_refused(const e2e_listener *ls)
{
    return ls ? ls->refused : 0;
}

static int bind_addr(const struct e2e_listener_params *p,
                     struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in *v4 = (void *)ss;
    struct sockaddr_in6 *v6 = (void *)ss;
    const char *host = p->bind_host ? p->bind_host : "0.0.0.0";

    memset(ss, 0, sizeof *ss);
    if (p->port < 0 || p->port > 65535)
        return E2E_LINK_EINVAL;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p->port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p->port);
        *len = sizeof *v6;
    } else
        return E2E_LINK_EINVAL;
    return 0;
}

int e2e_listener_new(struct event_base *base, xmpp_ctx_t *ctx, e2e_ident *id,
                     const struct e2e_listener_params *p, e2e_listener_fn fn,
                     void *ud, e2e_listener **out)
{
    struct sockaddr_storage ss;
    e2e_listener *ls;
    int len, r;

    if (!base || !ctx || !id || !p || !fn || !out || p->max_pending < 0 ||
        p->max_pending_source < 0)
        return E2E_LINK_EINVAL;
    if ((r = bind_addr(p, &ss, &len)))
        return r;
    if (!(ls = calloc(1, sizeof *ls)))
        return E2E_LINK_ENOMEM;
    ls->base = base;
    ls->ctx = ctx;
    ls->p = *p;
    ls->p.bind_host = NULL; /* not kept */
    if (!ls->p.max_pending)
        ls->p.max_pending = DEFAULT_MAX_PENDING;
    if (!ls->p.max_pending_source)
        ls->p.max_pending_source = DEFAULT_MAX_PENDING_SOURCE;
    if (ls->p.hello_timeout_ms <= 0)
        ls->p.hello_timeout_ms = DEFAULT_HELLO_MS;
    if (ls->p.handshake_timeout_ms <= 0)
        ls->p.handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
    ls->fn = fn;
    ls->ud = ud;
    ls->tls = e2e_ident_tls(id, true);
    if (!SSL_CTX_up_ref(ls->tls) ||
        !(ls->pending =
              calloc((size_t)ls->p.max_pending, sizeof *ls->pending))) {
        free(ls);
        return E2E_LINK_ENOMEM;
    }
    ls->lev = evconnlistener_new_bind(
        base, on_accept, ls,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
        (struct sockaddr *)&ss, len);
    if (!ls->lev) {
        e2e_listener_free(ls);
        return E2E_LINK_ESOCKET;
    }
    *out = ls;
    return 0;
}

int e2e_listener_port(const e2e_listener *ls)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    evutil_socket_t fd = evconnlistener_get_fd(ls->lev);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int e2e_listener_pending(const e2e_listener *ls)
{
    return ls->npending;
}

void e2e_listener_free(e2e_listener *ls)
{
    if (!ls)
        return;
    while (ls->npending)
        if (ls->pending[0]->l)
            e2e_listener_drop(ls, ls->pending[0]->l);
        else
            slot_close(ls, 0);
    if (ls->lev)
        evconnlistener_free(ls->lev);
    SSL_CTX_free(ls->tls);
    free(ls->pending);
    free(ls);
}
