/* e2e_listener.c -- accepts direct links: a TCP listener whose accepted
 * sockets become pending links (TLS handshake and stream header in
 * progress), at most max_pending at a time; a connection beyond that is
 * closed at once.  A pending link whose header is answered is handed to
 * the owner's function and forgotten here. */
#include "config.h"

#include "e2e_int.h"

#include <arpa/inet.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_PENDING 32
#define DEFAULT_HANDSHAKE_MS 3000

struct e2e_listener {
    struct event_base *base;
    xmpp_ctx_t *ctx;
    SSL_CTX *tls;
    struct evconnlistener *lev;
    struct e2e_listener_params p;
    e2e_listener_fn fn;
    void *ud;
    e2e_link **pending;
    int npending;
};

void e2e_listener_forget(e2e_listener *ls, e2e_link *l)
{
    for (int i = 0; i < ls->npending; i++)
        if (ls->pending[i] == l) {
            ls->pending[i] = ls->pending[--ls->npending];
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

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *ud)
{
    e2e_listener *ls = ud;
    e2e_link *l;

    (void)lev, (void)sa, (void)salen;
    if (ls->npending >= ls->p.max_pending) {
        evutil_closesocket(fd);
        return;
    }
    if (e2e_link_accept(ls, ls->base, ls->ctx, ls->tls, fd, &ls->p, &l) == 0)
        ls->pending[ls->npending++] = l;
}

static int bind_addr(const struct e2e_listener_params *p,
                     struct sockaddr_storage *ss, int *len)
{
    struct sockaddr_in *v4 = (void *)ss;
    struct sockaddr_in6 *v6 = (void *)ss;
    const char *host = p->bind_host ? p->bind_host : "0.0.0.0";

    memset(ss, 0, sizeof *ss);
    if (p->port < 0 || p->port > 65535)
        return E2E_LINK_ERR_ARG;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p->port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p->port);
        *len = sizeof *v6;
    } else
        return E2E_LINK_ERR_ARG;
    return 0;
}

int e2e_listener_new(struct event_base *base, xmpp_ctx_t *ctx, e2e_ident *id,
                     const struct e2e_listener_params *p, e2e_listener_fn fn,
                     void *ud, e2e_listener **out)
{
    struct sockaddr_storage ss;
    e2e_listener *ls;
    int len, r;

    if (!base || !ctx || !id || !p || !fn || !out || p->max_pending < 0)
        return E2E_LINK_ERR_ARG;
    if ((r = bind_addr(p, &ss, &len)))
        return r;
    if (!(ls = calloc(1, sizeof *ls)))
        return E2E_LINK_ERR_NOMEM;
    ls->base = base;
    ls->ctx = ctx;
    ls->p = *p;
    ls->p.bind_host = NULL; /* not kept */
    if (!ls->p.max_pending)
        ls->p.max_pending = DEFAULT_MAX_PENDING;
    if (ls->p.handshake_timeout_ms <= 0)
        ls->p.handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
    ls->fn = fn;
    ls->ud = ud;
    ls->tls = e2e_ident_tls(id, true);
    if (!SSL_CTX_up_ref(ls->tls) ||
        !(ls->pending =
              calloc((size_t)ls->p.max_pending, sizeof *ls->pending))) {
        free(ls);
        return E2E_LINK_ERR_NOMEM;
    }
    ls->lev = evconnlistener_new_bind(
        base, on_accept, ls,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
        (struct sockaddr *)&ss, len);
    if (!ls->lev) {
        e2e_listener_free(ls);
        return E2E_LINK_ERR_SOCKET;
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
        e2e_listener_drop(ls, ls->pending[0]);
    if (ls->lev)
        evconnlistener_free(ls->lev);
    SSL_CTX_free(ls->tls);
    free(ls->pending);
    free(ls);
}
