/* it_world.h -- the world of the liborbweb integration and hostile tests
 * (prefix it_, beside it_support.h, which needs no liborbweb): an XMPP
 * server, xmucd with user1 as its admin, the admin's connection and N
 * clients on one event base; the head every test's peer starts with, the
 * state and log callbacks that need no more than that head, and the
 * predicates such worlds wait on.
 *
 * A test's struct world starts with a struct it_world named it, and its
 * struct peer with a struct it_peer named it, so that a pointer to either
 * is also a pointer to its head (it_spin hands the predicates the test's
 * world). */
#ifndef TESTS_INTEGRATION_IT_WORLD_H
#define TESTS_INTEGRATION_IT_WORLD_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "hs_client.h"
#include "hs_server.h"
#include "orbweb.h"

struct it_peer {
    ob_client *c;
    char nick[16];
    enum ob_state state;
    int joined; /* room joins seen (it_on_room or the test's on_room) */
};

struct it_world {
    hs_server *s;
    struct hs_proc *x;
    hs_client *admin;
    struct event_base *base;
    void *peers;   /* the test's array of peers, each starting with it_peer */
    size_t stride; /* sizeof one of them */
    int n;
};

/* Peer i of w. */
struct it_peer *it_world_peer(const struct it_world *w, int i);

/* Zeroes w, names its n peers (stride bytes apart from peers on) and
 * starts a server with that many accounts (user1 ...); fails the test
 * when it cannot. */
void it_world_server(struct it_world *w, enum hs_kind kind, int accounts,
                     void *peers, int n, size_t stride);

/* Starts xmucd with "--admins user1@DOMAIN" and extra (NULL-terminated,
 * at most 12, or NULL), connects the admin (timeout_ms for each wait)
 * and makes the clients' event base; fails the test when it cannot. */
void it_world_xmucd(struct it_world *w, char *const *extra, int timeout_ms);

/* Connects the admin (user1) again, into w->admin. */
void it_world_admin(struct it_world *w, int timeout_ms);

/* The options of peer i (named "p<i>"): an anonymous login with TLS
 * trusted on w's base, cb with the peer as user, it_log_stderr when
 * OB_TEST_LOG is set.  The test adds its own before it_world_connect. */
struct ob_options it_world_options(struct it_world *w, int i,
                                   const struct ob_callbacks *cb);

/* Makes peer i's client from o and starts connecting it. */
void it_world_connect(struct it_world *w, int i, const struct ob_options *o);

/* Frees the clients, the base and the admin's link, stops xmucd (an
 * expectation that it exits cleanly, named what) and the server. */
void it_world_stop(struct it_world *w, const char *what);

/* ob_callbacks.state: records the state in the peer's head. */
void it_on_state(ob_client *c, enum ob_state st, void *user);

/* ob_callbacks.room, for tests that only wait for joins: counts them in
 * the peer's head. */
void it_on_room(ob_client *c, const struct ob_room_event *ev, void *user);

/* ob_options.log: "NICK LEVEL AREA: MSG" on stderr. */
void it_log_stderr(void *user, const char *level, const char *area,
                   const char *msg);

/* it_spin predicates on a world (vw, starting with struct it_world):
 * every peer is connected; every peer joined at least *(int *)arg
 * times (once when arg is NULL); the first peer (the room's creator)
 * joined. */
bool it_all_connected(void *vw, void *arg);
bool it_all_joined(void *vw, void *arg);
bool it_first_joined(void *vw, void *arg);

#endif
