/* link_support.h -- what the component-link attack tests share (prefix
 * lk_): a server with xmucd, anonymous clients, raw stanzas, and the
 * questions those tests ask (did a join succeed, with which statuses;
 * does groupchat still flow). */
#ifndef TESTS_HOSTILE_LINK_SUPPORT_H
#define TESTS_HOSTILE_LINK_SUPPORT_H

#include <stdbool.h>
#include <strophe.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "it_support.h"

#define LK_T 10000 /* ms: a hang detector for every wait */

struct lk_world {
    hs_server *s;
    struct hs_proc *x;
};

/* Starts a server of kind and xmucd with extra_args (NULL-terminated or
 * NULL); fails the test when either cannot start. */
void lk_start(struct lk_world *w, enum hs_kind kind, char *const *extra_args);
/* Stops xmucd (it must exit cleanly) and the server. */
void lk_stop(struct lk_world *w);

/* Anonymous clients and raw stanzas: it_anon(w->s, LK_T), it_send_xml
 * (tests/integration/it_support.h). */

/* The condition of st's <error/>, or "(no error)". */
const char *lk_condition(xmpp_stanza_t *st);

/* Whether st's muc#user <x/> carries <status code=code/>. */
bool lk_has_status(xmpp_stanza_t *st, int code);

/* Sends a join for room/nick (extra: more children, may be NULL) and
 * returns the answer: the self-presence or the error (release it);
 * fails the test when nothing comes. */
xmpp_stanza_t *lk_join(hs_client *c, const char *room, const char *nick,
                       const char *extra);

/* Sends groupchat body from a to room and checks that b receives it. */
void lk_groupchat_flows(hs_client *a, hs_client *b, const char *room,
                        const char *body);

/* Waits until xmucd answers probe's disco#info again (after a link
 * loss); fails the test after about 30 s. */
void lk_wait_for_xmucd(struct lk_world *w, hs_client *probe);

/* The room JID name@component of w's xmucd, into buf; returns buf. */
char *lk_room(struct lk_world *w, const char *name, char *buf, size_t len);

#endif
