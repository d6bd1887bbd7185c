/* ob_direct.c -- the direct transport: unicasts over a direct end-to-end
 * stream when one is up with the destination, through the server
 * otherwise, in order either way (ob_order.h).
 *
 * It owns our certificate (e2e_ident), the listener, the session policy
 * (e2e_policy: samples on every unicast, rounds on a libevent timer), the
 * Jingle table (e2e_jingle) and the links (e2e_link).  It registers two
 * stanza handlers with the core: Jingle IQs and probe grants (queued as
 * OBI_JINGLE events, answered by direct_iq from the dispatcher), and
 * relayed unicasts carrying <o/> (ordered with the direct ones, then
 * parsed and queued by obi_take).  What it needs to know of rooms it asks
 * through struct obi_direct_rooms, set from above.  What the policy
 * and the Jingle table ask for is queued too (struct act) and carried out
 * once they have returned, since neither may be re-entered.
 *
 * A session (struct dsess) may receive once its link is trusted: the
 * responder checked the initiator's certificate during TLS; the initiator
 * checks the responder's against session-accept.  It may send once the
 * other side trusts it too: the initiator right after its check, the
 * responder when its session-accept is acknowledged (DO_USE).  Groupcasts
 * go to the relayed transport unchanged. */
#include "config.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "e2e_jingle.h"
#include "e2e_link.h"
#include "e2e_policy.h"
#include "ob_direct_internal.h"
#include "ob_order.h"

/* The largest stanza a direct stream takes, both ways (a server's limit is
 * usually 256 KiB; direct streams exist for bulk data).  Larger unicasts
 * go relayed. */
#define DIRECT_MAX_STANZA (16u << 20)

/* A room's probe grant lets its peer initiate for at most this long
 * (docs/segments.md: the asker answers its probe within 8 s). */
#define GRANT_MS 10000u

struct dsess {
    struct dsess *next;
    struct obi_direct *d;
    char *peer;
    char sid[E2E_JINGLE_SID_MAX + 1];
    e2e_link *link;
    uint64_t tag; /* names the link in the order layer's unacked table */
    bool initiator;
    bool rx, tx;   /* may receive, may send on the link */
    bool used;     /* has carried a unicast */
    bool awaiting; /* initiator: the listener may bring its link */
    char expect[E2E_JINGLE_FPR_LEN + 1]; /* initiator: from session-accept */
};

/* A probe (obi_direct_probe) waiting for its session to come up. */
struct probe {
    struct probe *next;
    uint64_t deadline;
    obi_probe_fn done;
    void *arg;
    char peer[];
};

/* Work the policy or the Jingle table asked for, done after they return. */
struct act {
    struct act *next;
    bool jingle; /* else a policy action */
    enum e2e_policy_action pa;
    struct e2e_jingle_event ev; /* its strings point below */
    struct e2e_jingle_msg msg;
    char sid[E2E_JINGLE_SID_MAX + 1];
    char peer[];
};

struct obi_direct {
    struct obi_transport tp; /* first: what ob_client sees */
    struct obi_transport *relay;
    struct obi_direct_rooms rooms; /* set from above; NULL hooks: no */
    e2e_ident *id;
    e2e_listener *ls;
    e2e_policy *pol;
    e2e_jingle *jt;
    obi_order *ord;
    struct event *round;
    struct dsess *sessions;
    struct act *acts, **acts_tail;
    bool in_acts;
    struct probe *probes;
    int awaiting;  /* sessions awaiting their link: the listener's gate */
    uint64_t tags; /* the last session tag given */
};

static e2e_jingle *table(struct obi_direct *d);

/* ---- the application's direct events ---------------------------------- */

void obi_direct_event(ob_client *c, const char *peer, bool up,
                      const char *reason)
{
    struct obi_ev *ev = obi_ev_new(OBI_DIRECT);

    if (!ev || !(ev->jid = strdup(peer)) || !(ev->text = strdup(reason))) {
        if (ev)
            obi_ev_clear(ev);
        free(ev);
        obi_lost(c, "a direct stream's event");
        return;
    }
    ev->flag = up;
    obi_enqueue(c, ev);
    obi_kick(c);
}

static void on_direct_event(ob_client *c, struct obi_ev *ev)
{
    struct ob_direct_event e = {ev->jid, ev->flag, ev->text};

    if (c->cb.direct)
        c->cb.direct(c, &e, c->user);
}

/* A session's stream up (sending) or down: the application is told. */
static void tell_app(struct obi_direct *d, const char *peer, bool up,
                     const char *reason)
{
    obi_direct_event(d->tp.client, peer, up, reason);
}

/* Answers the probes for peer (all of them when peer is NULL: those past
 * their deadline at now) with ok. */
static void probes_settle(struct obi_direct *d, const char *peer, bool ok,
                          uint64_t now)
{
    struct probe **p = &d->probes, *q;

    while ((q = *p))
        if (peer ? !strcmp(q->peer, peer) : q->deadline <= now) {
            *p = q->next;
            q->done(q->arg, ok);
            free(q);
        } else {
            p = &q->next;
        }
}

static struct obi_direct *of(struct obi_transport *t)
{
    return (struct obi_direct *)t;
}

/* ---- sessions ------------------------------------------------------ */

static struct dsess *sess_find(struct obi_direct *d, const char *peer,
                               const char *sid)
{
    struct dsess *s;

    for (s = d->sessions; s; s = s->next)
        if (!strcmp(s->peer, peer) && (!sid || !strcmp(s->sid, sid)))
            return s;
    return NULL;
}

static struct dsess *sess_sending(struct obi_direct *d, const char *peer)
{
    struct dsess *s;

    for (s = d->sessions; s; s = s->next)
        if (s->tx && !strcmp(s->peer, peer))
            return s;
    return NULL;
}

static struct dsess *sess_new(struct obi_direct *d, const char *peer,
                              const char *sid, bool initiator)
{
    struct dsess *s = calloc(1, sizeof *s);

    if (!s || !(s->peer = strdup(peer))) {
        free(s);
        return NULL;
    }
    snprintf(s->sid, sizeof s->sid, "%s", sid);
    s->tag = ++d->tags;
    s->d = d;
    s->initiator = initiator;
    s->next = d->sessions;
    d->sessions = s;
    return s;
}

/* The listener takes connections only while sessions we initiated wait
 * for their link (docs/security.md). */
static void await_link(struct dsess *s, bool on)
{
    if (s->awaiting == on)
        return;
    s->awaiting = on;
    s->d->awaiting += on ? 1 : -1;
    e2e_listener_expect(s->d->ls, s->d->awaiting);
}

static void sess_free(struct dsess *s)
{
    struct dsess **p = &s->d->sessions;

    while (*p != s)
        p = &(*p)->next;
    *p = s->next;
    await_link(s, false);
    if (s->link)
        e2e_link_free(s->link);
    free(s->peer);
    free(s);
}

/* A unicast the server would refuse (and close our stream for) is lost
 * with its direct link: the application is told, with the peer. */
static void tell_too_big(ob_client *c, xmpp_stanza_t *st)
{
    struct obi_ev *ev = obi_ev_new(OBI_MSG_ERROR);
    const char *to = xmpp_stanza_get_to(st);

    if (!ev || !(ev->from = strdup(to ? to : "")) ||
        !(ev->condition = strdup("policy-violation")) ||
        !(ev->etype = strdup("modify")) ||
        !(ev->text = strdup("a unicast larger than the server takes was lost "
                            "with its direct stream"))) {
        if (ev)
            obi_ev_clear(ev);
        free(ev);
        obi_lost(c, "the bounce of a unicast too large");
        return;
    }
    ev->cond = OB_COND_POLICY_VIOLATION;
    obi_enqueue(c, ev);
}

static void resend_relayed(void *ud, xmpp_stanza_t *st)
{
    ob_client *c = ud;
    int rc =
        obi_fits_relay(c, st, OBI_SIZE_UNKNOWN) ? obi_send(c, st) : OB_ETOOBIG;

    if (rc == OB_OK)
        c->stats.unicasts_resent++;
    else if (rc == OB_ETOOBIG)
        tell_too_big(c, st);
    else if (rc == OB_ENOMEM)
        obi_lost(c, "a unicast resent relayed");
    else
        obi_logf(c, "warn", "a unicast to %s was lost with its direct link",
                 xmpp_stanza_get_to(st));
}

/* Ends s: its unacknowledged stanzas go again relayed, the peer is told
 * (tell), the policy learns whether a session closed or an attempt
 * failed. */
static void sess_end(struct dsess *s, enum e2e_jingle_reason why, bool tell)
{
    struct obi_direct *d = s->d;
    uint64_t now = obi_now_ms();

    if (s->tx)
        tell_app(d, s->peer, false, e2e_jingle_reason_name(why));
    if (s->link) {
        e2e_link_free(s->link);
        s->link = NULL;
    }
    obi_order_link_down(d->ord, s->peer, s->tag, resend_relayed, d->tp.client);
    if (tell && d->jt)
        e2e_jingle_end(d->jt, s->peer, s->sid, why);
    probes_settle(d, s->peer, false, now);
    if (s->rx)
        e2e_policy_closed(d->pol, s->peer, now);
    else
        e2e_policy_failed(d->pol, s->peer, now);
    sess_free(s);
}

/* ---- links ----------------------------------------------------------- */

/* Hands a stanza that came in order to the dispatcher, as the relayed
 * path does. */
static void deliver(void *ud, xmpp_stanza_t *st)
{
    obi_take(ud, st);
}

/* A direct stream carries unicasts only: no presences, no groupchats
 * (a peer must not pose as a room), no errors.  Groupcast engines'
 * records (<gc/>, ob_groupcast.c) are normal messages: they pass. */
static bool unicast(xmpp_stanza_t *st)
{
    const char *type = xmpp_stanza_get_type(st);

    return !strcmp(xmpp_stanza_get_name(st), "message") &&
           (!type || !strcmp(type, "chat") || !strcmp(type, "normal"));
}

static void on_link_stanza(void *ud, e2e_link *l, xmpp_stanza_t *st)
{
    struct dsess *s = ud;
    ob_client *c = s->d->tp.client;

    (void)l;
    if (!s->rx) { /* an initiator's link before session-accept: not yet */
        sess_end(s, E2E_JINGLE_SECURITY_ERROR, true);
        return;
    }
    if (!unicast(st)) {
        obi_logf(c, "warn", "direct link from %s: a %s dropped", s->peer,
                 xmpp_stanza_get_name(st));
        return;
    }
    xmpp_stanza_set_from(st, s->peer); /* the certificate said who */
    if (obi_order_recv(s->d->ord, s->peer, st, obi_now_ms(), deliver, c) < 0)
        obi_lost(c, "a unicast from a direct link");
}

static void on_link_acked(void *ud, e2e_link *l, uint64_t h)
{
    struct dsess *s = ud;

    (void)l;
    obi_order_acked(s->d->ord, s->peer, s->tag, h);
    if (s->d->tp.client->flow_blocked)
        obi_kick(s->d->tp.client); /* the client checks for a drain */
}

static void on_link_down(void *ud, e2e_link *l, const char *reason)
{
    struct dsess *s = ud;

    obi_logf(s->d->tp.client, "info", "direct link to %s down: %s", s->peer,
             reason ? reason : "closed");
    e2e_link_free(l);
    s->link = NULL;
    sess_end(s, E2E_JINGLE_CONNECTIVITY_ERROR, true);
}

/* Responder: connected, and the initiator's certificate was the one
 * offered: accept.  We receive from now on, and send after DO_USE. */
static void on_link_up(void *ud, e2e_link *l)
{
    struct dsess *s = ud;
    struct obi_direct *d = s->d;

    (void)l;
    s->rx = true;
    if (e2e_jingle_connected(d->jt, s->peer, s->sid, obi_now_ms()) < 0 ||
        e2e_policy_opened(d->pol, s->peer, true, obi_now_ms()) < 0)
        sess_end(s, E2E_JINGLE_GENERAL_ERROR, true);
}

static const struct e2e_link_cb link_cb = {on_link_up, on_link_stanza,
                                           on_link_acked, on_link_down};

/* Initiator: both the link and session-accept are here: compare. */
static void check(struct dsess *s)
{
    struct obi_direct *d = s->d;

    if (!s->link || !s->expect[0])
        return;
    if (strcmp(e2e_link_peer_fingerprint(s->link), s->expect)) {
        obi_logf(d->tp.client, "warn", "direct link from %s: wrong certificate",
                 s->peer);
        sess_end(s, E2E_JINGLE_SECURITY_ERROR, true);
        return;
    }
    s->rx = s->tx = true;
    if (e2e_policy_opened(d->pol, s->peer, false, obi_now_ms()) < 0) {
        s->tx = false; /* never told up: no down event either */
        sess_end(s, E2E_JINGLE_SUCCESS, true); /* over the limit after all */
    } else {
        tell_app(d, s->peer, true, "opened");
        probes_settle(d, s->peer, true, 0);
    }
}

/* The listener: a link for a session we initiated, or nothing. */
static void on_incoming(void *ud, e2e_link *l)
{
    struct obi_direct *d = ud;
    struct dsess *s = sess_find(d, e2e_link_peer_jid(l), e2e_link_sid(l));

    if (!s || !s->initiator || s->link) {
        e2e_link_free(l);
        return;
    }
    s->link = l;
    await_link(s, false);
    e2e_link_set_callbacks(l, &link_cb, s);
    check(s);
}

/* ---- opening ---------------------------------------------------------- */

/* The address to listen on: the option, else the local address of the
 * socket to the server (a peer in a network namespace offers its own). */
static int listen_host(ob_client *c, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (c->direct_host) {
        snprintf(buf, len, "%s", c->direct_host);
        return 0;
    }
    if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&ss, &sl))
        return OB_ESTATE;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, len);
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, len);
    return 0;
}

static int listener(struct obi_direct *d, char *host, size_t len)
{
    ob_client *c = d->tp.client;
    struct e2e_listener_params p = {.offer_fi = true,
                                    .gated = true,
                                    .hello_timeout_ms = c->direct_hello_ms,
                                    .max_stanza_bytes = DIRECT_MAX_STANZA};

    if (listen_host(c, host, len))
        return OB_ESTATE;
    if (d->ls)
        return 0;
    p.bind_host = host;
    return e2e_listener_new(c->base, c->ctx, d->id, &p, on_incoming, d, &d->ls)
               ? OB_ECONNECT
               : 0;
}

static void open_to(struct obi_direct *d, const char *peer)
{
    struct e2e_jingle_candidate cand = {.id = "c1", .priority = 1};
    char sid[E2E_JINGLE_SID_MAX + 1];
    struct dsess *s;

    if (table(d) && !sess_find(d, peer, NULL) &&
        listener(d, cand.host, sizeof cand.host) == 0 &&
        (cand.port = e2e_listener_port(d->ls)) > 0 &&
        e2e_jingle_initiate(d->jt, peer, &cand, 1, obi_now_ms(), sid) == 0 &&
        (s = sess_new(d, peer, sid, true))) {
        await_link(s, true);
        return;
    }
    e2e_policy_failed(d->pol, peer, obi_now_ms());
}

/* Responder: connect to what the initiator offered. */
static void connect_to(struct obi_direct *d, const struct e2e_jingle_event *ev)
{
    ob_client *c = d->tp.client;
    struct e2e_candidate cand[E2E_JINGLE_MAX_CANDIDATES];
    struct e2e_link_params p = {.sid = ev->sid,
                                .local_jid = obi_bound_jid(c),
                                .peer_jid = ev->peer,
                                .peer_fingerprint = ev->msg->fingerprint,
                                .offer_fi = true,
                                .max_stanza_bytes = DIRECT_MAX_STANZA};
    struct dsess *s = sess_new(d, ev->peer, ev->sid, false);
    size_t i;

    for (i = 0; i < ev->msg->n_candidates; i++) {
        snprintf(cand[i].host, sizeof cand[i].host, "%s",
                 ev->msg->candidates[i].host);
        cand[i].port = ev->msg->candidates[i].port;
    }
    if (!s) {
        e2e_jingle_end(d->jt, ev->peer, ev->sid, E2E_JINGLE_GENERAL_ERROR);
        e2e_policy_failed(d->pol, ev->peer, obi_now_ms());
    } else if (e2e_link_connect(c->base, c->ctx, d->id, cand, i, &p, &link_cb,
                                s, &s->link)) {
        sess_end(s, E2E_JINGLE_CONNECTIVITY_ERROR, true);
    }
}

/* ---- the queued work ------------------------------------------------------
 */

static struct act *act_new(struct obi_direct *d, const char *peer)
{
    size_t n = strlen(peer) + 1;
    struct act *a = calloc(1, sizeof *a + n);

    if (!a) {
        obi_logf(d->tp.client, "error",
                 "out of memory: a direct-stream "
                 "action for %s was dropped",
                 peer);
        return NULL;
    }
    memcpy(a->peer, peer, n);
    *d->acts_tail = a;
    d->acts_tail = &a->next;
    return a;
}

static void on_policy(void *ud, enum e2e_policy_action pa, const char *peer)
{
    struct act *a = act_new(ud, peer);

    if (a)
        a->pa = pa;
}

static void on_jingle(void *ud, const struct e2e_jingle_event *ev)
{
    struct act *a = act_new(ud, ev->peer);

    if (!a)
        return;
    a->jingle = true;
    a->ev = *ev;
    a->ev.peer = a->peer;
    snprintf(a->sid, sizeof a->sid, "%s", ev->sid);
    a->ev.sid = a->sid;
    if (ev->msg) {
        a->msg = *ev->msg;
        a->ev.msg = &a->msg;
    }
}

static void do_policy(struct obi_direct *d, const struct act *a)
{
    struct dsess *s;

    if (a->pa == E2E_POLICY_OPEN)
        open_to(d, a->peer);
    else if ((s = sess_find(d, a->peer, NULL)))
        sess_end(s, E2E_JINGLE_SUCCESS, true);
}

static void do_jingle(struct obi_direct *d, const struct e2e_jingle_event *ev)
{
    struct dsess *s = sess_find(d, ev->peer, ev->sid);

    switch (ev->what) {
    case E2E_JINGLE_DO_CONNECT: connect_to(d, ev); break;
    case E2E_JINGLE_DO_VERIFY:
        if (s) {
            snprintf(s->expect, sizeof s->expect, "%s", ev->msg->fingerprint);
            check(s);
        }
        break;
    case E2E_JINGLE_DO_USE:
        if (s && s->rx) {
            s->tx = true;
            tell_app(d, s->peer, true, "opened");
            probes_settle(d, s->peer, true, 0);
        }
        break;
    case E2E_JINGLE_DO_CLOSE:
        if (s)
            sess_end(s, ev->reason, false);
        break;
    }
}

static void run_acts(struct obi_direct *d)
{
    struct act *a;

    if (d->in_acts)
        return;
    d->in_acts = true;
    while ((a = d->acts)) {
        if (!(d->acts = a->next))
            d->acts_tail = &d->acts;
        if (a->jingle)
            do_jingle(d, &a->ev);
        else
            do_policy(d, a);
        free(a);
    }
    d->in_acts = false;
}

/* ---- the Jingle table, per session of ours ---------------------------- */

static void jingle_send(void *ud, xmpp_stanza_t *st)
{
    obi_send(((struct obi_direct *)ud)->tp.client, st);
}

/* May jid open a direct session with us (docs/security.md, "Direct
 * streams: who may open one")?  A view neighbour in one of our rooms,
 * someone we wrote to (stanzas stamped for it: the application's
 * unicasts, our groupcast records), or someone we are initiating a
 * session with (both asked at once).  What jid sent us never counts: an
 * empty ordered message made any stranger known.  Holders of a room's
 * probe grant are let in by the Jingle table itself (take_grant). */
static bool known(void *ud, const char *jid)
{
    struct obi_direct *d = ud;
    struct dsess *s;

    if (obi_order_sent_to(d->ord, jid))
        return true;
    for (s = d->sessions; s; s = s->next)
        if (s->initiator && !strcmp(s->peer, jid))
            return true;
    return d->rooms.is_neighbour && d->rooms.is_neighbour(d->tp.client, jid);
}

static bool take(void *ud, const char *peer, uint64_t now)
{
    return e2e_policy_accept(((struct obi_direct *)ud)->pol, peer, now);
}

/* The Jingle table for the current session (our JID is in it), made
 * when first needed, with our certificate: clients that never hold a
 * direct session (most of a swarm) never pay for a key pair. */
static e2e_jingle *table(struct obi_direct *d)
{
    ob_client *c = d->tp.client;
    struct e2e_jingle_params p = {.jid = obi_bound_jid(c),
                                  .max_sessions =
                                      4 * (size_t)c->direct_sessions};
    struct e2e_jingle_io io = {c->ctx, jingle_send, on_jingle, known, take, d};

    if (d->jt || !p.jid)
        return d->jt;
    if ((!d->id && e2e_ident_new(c->jid, &d->id)) ||
        getrandom(&p.seed, sizeof p.seed, 0) != sizeof p.seed)
        return NULL;
    p.fingerprint = e2e_ident_fingerprint(d->id);
    if (e2e_jingle_new(&p, &io, &d->jt))
        d->jt = NULL;
    return d->jt;
}

void obi_direct_new_session(struct obi_direct *d)
{
    while (d->sessions)
        sess_end(d->sessions, E2E_JINGLE_GENERAL_ERROR, false);
    e2e_jingle_free(d->jt);
    d->jt = NULL;
    run_acts(d);
}

/* ---- probe grants ----------------------------------------------------- */

/* The <probe-grant/> of a message (not an error, not a groupchat), or
 * NULL. */
static xmpp_stanza_t *grant_el(xmpp_stanza_t *st)
{
    const char *type = xmpp_stanza_get_type(st),
               *name = xmpp_stanza_get_name(st);

    if (!name || strcmp(name, "message") ||
        (type && (!strcmp(type, "error") || !strcmp(type, "groupchat"))))
        return NULL;
    return xmpp_stanza_get_child_by_name_and_ns(st, "probe-grant", OBI_NS);
}

/* <message from='room'><probe-grant peer= ttl=/></message>: honoured only
 * from the bare JID of a room we are in (the server vouches for the
 * component's from; an occupant speaks as room/nick).  ttl: milliseconds,
 * at most GRANT_MS whatever it says (docs/segments.md). */
static int take_grant(struct obi_direct *d, xmpp_stanza_t *m)
{
    xmpp_stanza_t *g = grant_el(m);
    const char *from = xmpp_stanza_get_from(m);
    const char *peer = xmpp_stanza_get_attribute(g, "peer");
    const char *ttl = xmpp_stanza_get_attribute(g, "ttl");
    uint64_t ms = GRANT_MS;

    if (!from || strchr(from, '/') || !d->rooms.is_room ||
        !d->rooms.is_room(d->tp.client, from) || !peer || !*peer ||
        strlen(peer) > E2E_JINGLE_JID_MAX) {
        obi_logf(d->tp.client, "debug", "a probe grant from %s dropped",
                 from ? from : "?");
        return OB_EINVAL;
    }
    if (ttl && ttl[0] >= '0' && ttl[0] <= '9' && strlen(ttl) < 12)
        ms = strtoull(ttl, NULL, 10);
    if (!table(d))
        return OB_ESTATE;
    return e2e_jingle_grant(d->jt, peer, obi_now_ms(), ms) ? OB_ENOMEM : OB_OK;
}

/* OBI_JINGLE: a Jingle IQ or a probe grant, out of the queue. */
static int direct_iq(struct obi_direct *d, xmpp_stanza_t *iq)
{
    int rc;

    if (grant_el(iq))
        return take_grant(d, iq);
    rc = table(d) ? e2e_jingle_handle(d->jt, iq, obi_now_ms()) : OB_ESTATE;
    run_acts(d);
    return rc;
}

static void on_jingle_event(ob_client *c, struct obi_ev *ev)
{
    if (c->direct)
        direct_iq(c->direct, ev->st);
}

/* Is st a Jingle IQ (or an answer to one of ours), or a message carrying
 * a room's probe grant?  Then it is queued for on_jingle_event. */
static bool wants(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)arg;
    return !c->dying && (e2e_jingle_wants(st) || grant_el(st));
}

static void queue_jingle(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)arg;
    obi_enqueue_stanza(c, st, OBI_JINGLE, "an IQ");
}

/* A unicast numbered for ordering (not an error bounced back)? */
static bool ordered(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    const char *type = xmpp_stanza_get_type(st);

    (void)arg;
    return !c->dying && !(type && !strcmp(type, "error")) &&
           xmpp_stanza_get_child_by_name_and_ns(st, "o", OBI_NS_E2E);
}

/* A relayed unicast carrying <o/>: ordered with the direct ones, then
 * handed to obi_take. */
static void recv_ordered(ob_client *c, xmpp_stanza_t *msg, void *arg)
{
    struct obi_direct *d = arg;
    const char *from = xmpp_stanza_get_from(msg);

    if (from && obi_order_recv(d->ord, from, msg, obi_now_ms(), deliver, c) ==
                    OB_ENOMEM)
        obi_lost(c, "a unicast");
}

void obi_direct_set_rooms(struct obi_direct *d,
                          const struct obi_direct_rooms *rooms)
{
    d->rooms = *rooms;
}

bool obi_direct_up(const struct obi_direct *d, const char *jid)
{
    return sess_sending((struct obi_direct *)d, jid) != NULL;
}

size_t obi_direct_in_flight(const struct obi_direct *d)
{
    size_t n = 0;

    /* once per peer: the order layer counts by destination */
    for (struct dsess *s = d->sessions; s; s = s->next)
        if (sess_sending((struct obi_direct *)d, s->peer) == s)
            n += obi_order_unacked(d->ord, s->peer);
    return n;
}

void obi_direct_pin(struct obi_direct *d, const char *jid, bool pin)
{
    int rc = pin ? e2e_policy_pin(d->pol, jid) : e2e_policy_unpin(d->pol, jid);

    if (rc)
        obi_logf(d->tp.client, "warn",
                 "%s of %s for a direct session failed: %s",
                 pin ? "pin" : "unpin", jid, e2e_policy_strerror(rc));
}

/* ---- the transport -------------------------------------------------- */

static void on_round(evutil_socket_t fd, short what, void *arg)
{
    struct obi_direct *d = arg;
    uint64_t now = obi_now_ms();

    (void)fd;
    (void)what;
    if (d->jt)
        e2e_jingle_tick(d->jt, now);
    if (obi_bound_jid(d->tp.client))
        e2e_policy_round(d->pol, now);
    obi_order_tick(d->ord, now, deliver, d->tp.client);
    run_acts(d);
    probes_settle(d, NULL, false, now);
}

int obi_direct_probe(struct obi_direct *d, const char *peer,
                     uint64_t timeout_ms, obi_probe_fn done, void *arg)
{
    uint64_t now = obi_now_ms();
    size_t n = strlen(peer) + 1;
    struct probe *p;

    if (sess_sending(d, peer)) {
        done(arg, true);
        return OB_OK;
    }
    if (!obi_bound_jid(d->tp.client) ||
        e2e_policy_greylisted(d->pol, peer, now) ||
        !e2e_policy_accept(d->pol, peer, now)) {
        run_acts(d); /* accept may have displaced a session */
        done(arg, false);
        return OB_OK;
    }
    if (!(p = calloc(1, sizeof *p + n))) {
        e2e_policy_failed(d->pol, peer, now);
        free(arg);
        return OB_ENOMEM;
    }
    memcpy(p->peer, peer, n);
    p->deadline = now + timeout_ms;
    p->done = done;
    p->arg = arg;
    p->next = d->probes;
    d->probes = p;
    if (!sess_find(d, peer, NULL))
        open_to(d, peer); /* on failure it reports to the policy; the target
                           * takes us on the room's probe grant */
    if (!sess_find(d, peer, NULL))
        probes_settle(d, peer, false, now);
    run_acts(d);
    return OB_OK;
}

/* Sends m on s's link, kept for a resend until acknowledged; false when
 * it must go relayed.  The first unicast waits until libstrophe's queue
 * is empty: what is still queued for the server would otherwise reach
 * the receiver after the direct ones and be held there, reordered. */
static bool send_direct(struct obi_direct *d, struct dsess *s, xmpp_stanza_t *m)
{
    if ((!s->used && xmpp_conn_send_queue_len(d->tp.client->conn) > 0) ||
        !obi_order_direct_room(d->ord, s->peer) || e2e_link_send(s->link, m))
        return false;
    s->used = true;
    if (obi_order_sent_direct(d->ord, s->peer, s->tag, e2e_link_sent(s->link),
                              m) == 0)
        return true;
    /* the link numbered it but we could not keep it: start over relayed */
    sess_end(s, E2E_JINGLE_GENERAL_ERROR, true);
    return true; /* it may arrive: the receiver drops a second copy */
}

/* Sends m (to set, lent) direct when a session is up with its
 * destination and it fits, else relayed when it fits the server's limit
 * (OB_ETOOBIG otherwise); numbered for ordering either way, and sampled
 * by the session policy (size: its text's size). */
static int direct_stanza(struct obi_transport *t, xmpp_stanza_t *m, size_t size)
{
    struct obi_direct *d = of(t);
    ob_client *c = t->client;
    const char *to = xmpp_stanza_get_to(m);
    struct dsess *s;
    uint64_t seq;
    int rc;

    if (!to)
        return OB_EINVAL;
    if (obi_order_stamp(d->ord, to, m, &seq))
        return OB_ENOMEM;
    e2e_policy_sample(d->pol, to, size + strlen(to) + 96);
    /* what a direct stream would refuse goes relayed (where the server's
     * own limit applies) */
    s = size < DIRECT_MAX_STANZA - 4096 ? sess_sending(d, to) : NULL;
    if (s && obi_bound_jid(c))
        xmpp_stanza_set_from(m, obi_bound_jid(c));
    if (s && send_direct(d, s, m)) {
        c->stats.unicasts_direct++;
        rc = OB_OK;
    } else {
        rc = obi_fits_relay(c, m, size) ? obi_send(c, m) : OB_ETOOBIG;
        c->stats.unicasts_relayed += rc == OB_OK;
    }
    if (rc != OB_OK)
        obi_order_unstamp(d->ord, to, seq); /* not sent: no gap */
    run_acts(d);
    return rc;
}

static int direct_unicast(struct obi_transport *t, const char *to,
                          const char *body, const void *data, size_t len)
{
    xmpp_stanza_t *m = obi_unicast_new(t->client, "chat", to, body, data, len);
    int rc;

    if (!m)
        return OB_ENOMEM;
    rc = direct_stanza(t, m, obi_unicast_text_size(body, len));
    xmpp_stanza_release(m);
    return rc;
}

static int direct_groupcast(struct obi_transport *t, const char *room,
                            const char *body)
{
    struct obi_transport *r = of(t)->relay;

    return r->ops->send_groupcast(r, room, body);
}

static void direct_destroy(struct obi_transport *t)
{
    struct obi_direct *d = of(t);
    struct act *a;

    struct probe *p;

    while (d->sessions)
        sess_free(d->sessions);
    while ((p = d->probes)) { /* dropped unanswered: the asker times out */
        d->probes = p->next;
        free(p->arg);
        free(p);
    }
    while ((a = d->acts)) {
        d->acts = a->next;
        free(a);
    }
    if (d->round)
        event_free(d->round);
    e2e_listener_free(d->ls);
    e2e_jingle_free(d->jt);
    e2e_policy_free(d->pol);
    obi_order_free(d->ord);
    e2e_ident_free(d->id);
    d->relay->ops->destroy(d->relay);
    free(d);
}

static const struct obi_transport_ops direct_ops = {
    "direct", direct_unicast, direct_groupcast, direct_stanza, direct_destroy};

static int make_parts(struct obi_direct *d, ob_client *c)
{
    struct obi_order_params op = {0};
    struct e2e_policy_params pp;
    struct timeval tv = {c->direct_round_ms / 1000,
                         (c->direct_round_ms % 1000) * 1000};

    e2e_policy_defaults(&pp);
    pp.limit = c->direct_sessions;
    pp.round_ms = (uint64_t)c->direct_round_ms;
    while (op.epoch == 0)
        if (getrandom(&op.epoch, sizeof op.epoch, 0) != sizeof op.epoch)
            return OB_EINVAL;
    if (obi_order_new(&op, &d->ord) ||
        e2e_policy_new(&pp, on_policy, d, &d->pol))
        return OB_ENOMEM;
    d->round = event_new(c->base, -1, EV_PERSIST, on_round, d);
    if (!d->round || event_add(d->round, &tv))
        return OB_EEVENT;
    return 0;
}

/* The stanza handlers and the OBI_JINGLE event's (see the top). */
static int attach(struct obi_direct *d, ob_client *c)
{
    const struct obi_handler jingle = {.match = wants, .fn = queue_jingle};
    const struct obi_handler unicast = {
        .name = "message", .match = ordered, .fn = recv_ordered, .arg = d};

    obi_event_on(c, OBI_JINGLE, on_jingle_event);
    obi_event_on(c, OBI_DIRECT, on_direct_event);
    return obi_handler_add(c, &jingle) || obi_handler_add(c, &unicast)
               ? OB_EINVAL
               : OB_OK;
}

int obi_direct_new(ob_client *c, struct obi_transport *relay,
                   struct obi_direct **out)
{
    struct obi_direct *d = calloc(1, sizeof *d);

    *out = NULL;
    if (!d) {
        relay->ops->destroy(relay);
        return OB_ENOMEM;
    }
    d->tp.ops = &direct_ops;
    d->tp.client = c;
    d->relay = relay;
    d->acts_tail = &d->acts;
    if (make_parts(d, c) || attach(d, c)) {
        direct_destroy(&d->tp);
        return OB_ENOMEM; /* as always: whatever failed inside */
    }
    *out = d;
    return OB_OK;
}
