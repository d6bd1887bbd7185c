/* it_world.c -- a server, xmucd, an admin and N liborbweb clients for the
 * integration and hostile tests (it_world.h). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_world.h"

#define IT_MAX_EXTRA 12

struct it_peer *it_world_peer(const struct it_world *w, int i)
{
    return (struct it_peer *)((char *)w->peers + (size_t)i * w->stride);
}

void it_world_server(struct it_world *w, enum hs_kind kind, int accounts,
                     void *peers, int n, size_t stride)
{
    char err[2048];
    struct hs_options opt = {.accounts = accounts};

    memset(w, 0, sizeof *w);
    w->peers = peers;
    w->n = n;
    w->stride = stride;
    for (int i = 0; i < n; i++)
        snprintf(it_world_peer(w, i)->nick, sizeof it_world_peer(w, i)->nick,
                 "p%d", i);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
}

void it_world_admin(struct it_world *w, int timeout_ms)
{
    char err[1024], jid[64];

    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(w->s));
    w->admin = hs_client_connect(hs_server_host(w->s), hs_server_c2s_port(w->s),
                                 jid, hs_server_password(w->s), timeout_ms, err,
                                 sizeof err);
    cr_assert(w->admin, "%s", err);
}

void it_world_xmucd(struct it_world *w, char *const *extra, int timeout_ms)
{
    char err[2048], admins[64];
    char *args[IT_MAX_EXTRA + 3] = {"--admins", admins};
    int n = 2;

    snprintf(admins, sizeof admins, "user1@%s", hs_server_domain(w->s));
    for (int i = 0; extra && extra[i]; i++) {
        cr_assert_lt(i, IT_MAX_EXTRA);
        args[n++] = extra[i];
    }
    w->x = hs_xmucd_start(w->s, args, err, sizeof err);
    cr_assert(w->x, "%s", err);
    it_world_admin(w, timeout_ms);
    cr_assert(w->base = event_base_new());
}

struct ob_options it_world_options(struct it_world *w, int i,
                                   const struct ob_callbacks *cb)
{
    return (struct ob_options){.size = sizeof(struct ob_options),
                               .host = hs_server_host(w->s),
                               .port = hs_server_c2s_port(w->s),
                               .jid = hs_server_anon_domain(w->s),
                               .tls = OB_TLS_TRUST,
                               .base = w->base,
                               .cb = cb,
                               .user = it_world_peer(w, i),
                               .log = getenv("OB_TEST_LOG") ? it_log_stderr
                                                            : NULL};
}

void it_world_connect(struct it_world *w, int i, const struct ob_options *o)
{
    struct it_peer *p = it_world_peer(w, i);

    cr_assert_eq(ob_client_new(o, &p->c), OB_OK);
    cr_assert_eq(ob_connect(p->c), OB_OK);
}

void it_world_stop(struct it_world *w, const char *what)
{
    for (int i = 0; i < w->n; i++)
        ob_client_free(it_world_peer(w, i)->c);
    event_base_free(w->base);
    hs_client_close(w->admin);
    cr_expect_eq(hs_xmucd_stop(w->x), 0, "%s did not exit cleanly", what);
    hs_server_stop(w->s);
}

void it_on_state(ob_client *c, enum ob_state st, void *user)
{
    (void)c;
    ((struct it_peer *)user)->state = st;
}

void it_on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    (void)c;
    ((struct it_peer *)user)->joined += ev->change == OB_ROOM_JOINED;
}

void it_log_stderr(void *user, const char *level, const char *area,
                   const char *msg)
{
    fprintf(stderr, "%s %s %s: %s\n", ((struct it_peer *)user)->nick, level,
            area, msg);
}

bool it_all_connected(void *vw, void *arg)
{
    const struct it_world *w = vw;

    (void)arg;
    for (int i = 0; i < w->n; i++)
        if (it_world_peer(w, i)->state != OB_STATE_CONNECTED)
            return false;
    return true;
}

bool it_all_joined(void *vw, void *arg)
{
    const struct it_world *w = vw;
    int want = arg ? *(int *)arg : 1;

    for (int i = 0; i < w->n; i++)
        if (it_world_peer(w, i)->joined < want)
            return false;
    return true;
}

bool it_first_joined(void *vw, void *arg)
{
    (void)arg;
    return it_world_peer(vw, 0)->joined > 0;
}
