/* ob_groupcast.c -- groupcast engines through liborbweb (internals
 * obi_gc_): one gc engine (gc.h) per room whose groupcasts arrive with
 * mode tree, pbcast or tapbcast, its neighbours kept in step with the
 * room's view, its records carried as <gc/> messages through the
 * client's transport (direct when a session is up), its deliveries and
 * gaps queued as events for the dispatcher.  The rooms (below) feed it
 * through the hooks obi_gc_attach sets (struct obi_room_engine); it
 * registers the segment probes' stanza and event handlers with the core.
 *
 * xmucd numbers a room's groupcasts contiguously, so the engine's single
 * origin is the room (origin 0) and its sequence numbers are the room's;
 * the sender's nick and the body travel in the payload ("nick\0body").
 * A neighbour is numbered (struct obi_nb.id) when it enters the view;
 * numbers are never reused within a room.  Engines never call the
 * application: deliveries become OBI_GROUPCAST events (mode 0, as a
 * relayed groupcast), gaps OBI_GC_GAP events.  One libevent timer per
 * client runs every engine's rounds.  See docs/groupcast.md, "Through
 * liborbweb".
 *
 * Authenticated groupcast (docs/security.md): the room's public key and
 * our membership token come with our self-presence (and renewals from
 * the room).  The engine asks verify() once per new message: the room's
 * signature over (room, seq, nick, body) must hold, else the record is
 * dropped before it is buffered, forwarded or delivered.  Digests and
 * solicits are taken only from senders whose membership token (issued by
 * the room for their own JID, not expired) comes with them; a verified
 * token is remembered per sender, so it costs one verification. */
#include "config.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gc.h"
#include "gc_sig.h"
#include "ob_groupcast_internal.h"

/* The hooks the rooms call (struct obi_room_engine). */
static void engine_view(struct obi_room *r, struct obi_nb *n, bool gone);
static void engine_prepare(struct obi_room *r, int mode);
static void engine_reset(struct obi_room *r);
static void engine_credentials(struct obi_room *r, const struct obi_ev *ev);
static void engine_unpin(struct obi_room *r, struct obi_nb *n);
static void engine_free(struct obi_gc *g);
static void engine_inject(ob_client *c, struct obi_room *r,
                          const struct obi_ev *ev);
static void engine_record(ob_client *c, struct obi_room *r,
                          const struct obi_ev *ev);

#define NICK_MAX 1023u
/* base64 of the largest record, and a little slack for line breaks */
#define TEXT_MAX (4u * ((GC_WIRE_MAX + 2u) / 3u) + 64u)

/* A peer that sent us records without being in our view: one that has
 * us as a gossip contact (those edges are one-way).  Numbered from the
 * room's counter, like neighbours. */
struct stranger {
    char *jid;
    uint32_t id;
};

#define STRANGERS 64 /* per room; the oldest is replaced */

/* A membership token that verified, as its sender presented it. */
struct member_token {
    char *jid;
    char *token; /* base64 */
    uint64_t expiry;
};

#define TOKENS 64 /* per room; the oldest is replaced */
#define TOKEN_TEXT_MAX (4u * ((GC_SIG_TOKEN_MAX + 2u) / 3u))

struct obi_gc {
    gc *e;
    struct obi_room *r;
    int mode;           /* enum obi_gc_mode */
    uint64_t delivered; /* the room's last seq handed to the application */
    struct stranger str[STRANGERS];
    size_t nstr, next_str; /* used entries; the next one to replace */
    gc_sig_key *key;       /* the room's public key; NULL until we have it */
    uint8_t pub[GC_SIG_KEY_LEN];
    char *token; /* our membership token (base64), or NULL */
    struct member_token tok[TOKENS];
    size_t ntok, next_tok;
};

/* A room left: the next seq its stream owes us.  A few are kept per
 * client, the oldest forgotten first. */
struct obi_gc_mark {
    char *room;
    uint64_t next;
    uint64_t epoch; /* the room's epoch then (0: unknown) */
};

#define GC_MARKS 16

/* ---- the payload ----------------------------------------------------- */

int obi_gc_payload_encode(const char *nick, const char *body, uint8_t **out,
                          size_t *len)
{
    size_t ln = strlen(nick), lb = strlen(body);

    *out = NULL;
    if (!ln || ln > NICK_MAX || lb > GC_PAYLOAD_MAX - ln - 1)
        return OB_EINVAL;
    if (!(*out = malloc(ln + 1 + lb + 1)))
        return OB_ENOMEM;
    memcpy(*out, nick, ln + 1);
    memcpy(*out + ln + 1, body, lb + 1);
    *len = ln + 1 + lb; /* the body's NUL does not travel */
    return OB_OK;
}

int obi_gc_payload_decode(const uint8_t *p, size_t len, char **nick,
                          char **body)
{
    const uint8_t *z = memchr(p, 0, len < NICK_MAX + 1 ? len : NICK_MAX + 1);
    size_t ln = z ? (size_t)(z - p) : 0;

    *nick = *body = NULL;
    if (!z || !ln || memchr(z + 1, 0, len - ln - 1))
        return OB_EINVAL;
    if (!(*nick = strndup((const char *)p, ln)) ||
        !(*body = strndup((const char *)z + 1, len - ln - 1))) {
        free(*nick);
        *nick = NULL;
        return OB_ENOMEM;
    }
    return OB_OK;
}

/* ---- neighbours ------------------------------------------------------- */

uint32_t obi_gc_attrs(const char *list)
{
    static const char *const names[] = {"member", "tree", "gossip", "ring-next",
                                        "ring-prev"};
    uint32_t bits = 0;

    while (list && *list) {
        size_t n = strcspn(list, ",");
        for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
            if (strlen(names[i]) == n && !strncmp(list, names[i], n))
                bits |= 1u << i; /* GC_ATTR_* are the view bits */
        list += n + (list[n] == ',');
    }
    return bits;
}

static const struct obi_nb *nb_by_id(const struct obi_room *r, uint32_t id)
{
    for (size_t i = 0; i < r->nnb; i++)
        if (r->nb[i].id == id)
            return &r->nb[i];
    return NULL;
}

static const struct obi_nb *nb_by_jid(const struct obi_room *r, const char *jid)
{
    for (size_t i = 0; i < r->nnb; i++)
        if (r->nb[i].jid && !strcmp(r->nb[i].jid, jid))
            return &r->nb[i];
    return NULL;
}

/* The engine's number for a sender outside our view (a new one the
 * first time), or UINT32_MAX when out of memory. */
static uint32_t stranger_id(struct obi_gc *g, const char *jid)
{
    struct stranger *s;
    char *copy;

    for (size_t i = 0; i < g->nstr; i++)
        if (!strcmp(g->str[i].jid, jid))
            return g->str[i].id;
    if (!(copy = strdup(jid)))
        return UINT32_MAX;
    if (g->nstr < STRANGERS)
        s = &g->str[g->nstr++];
    else {
        s = &g->str[g->next_str++ % STRANGERS];
        free(s->jid);
    }
    *s = (struct stranger){copy, g->r->next_id++};
    return s->id;
}

/* The JID of the engine's peer `id`: a neighbour or a stranger. */
static const char *peer_jid(const struct obi_gc *g, gc_peer id)
{
    const struct obi_nb *n = nb_by_id(g->r, id);

    for (size_t i = 0; !n && i < g->nstr; i++)
        if (g->str[i].id == id)
            return g->str[i].jid;
    return n ? n->jid : NULL;
}

static void engine_unpin(struct obi_room *r, struct obi_nb *n)
{
    if (n->pinned && r->c->direct)
        obi_direct_pin(r->c->direct, n->pinned, false);
    free(n->pinned);
    n->pinned = NULL;
}

/* A neighbour the engine forwards to or gossips with gets a direct
 * session whatever its traffic: 256 bytes five times a second would
 * never ask for one (docs/e2e-policy.md, "Pins"). */
static void pin(struct obi_room *r, struct obi_nb *n, uint32_t attrs)
{
    bool want =
        (attrs & (GC_ATTR_TREE | GC_ATTR_GOSSIP)) && n->jid && r->c->direct;

    if (n->pinned && (!want || strcmp(n->pinned, n->jid)))
        engine_unpin(r, n);
    if (want && !n->pinned && (n->pinned = strdup(n->jid)))
        obi_direct_pin(r->c->direct, n->pinned, true);
}

static void engine_view(struct obi_room *r, struct obi_nb *n, bool gone)
{
    uint32_t attrs = gone ? 0 : obi_gc_attrs(n->attrs);

    if (!r->gc)
        return;
    if (attrs)
        gc_neighbour_add(r->gc->e, n->id, attrs);
    else
        gc_neighbour_remove(r->gc->e, n->id); /* ENOENT: never had one */
    pin(r, n, attrs);
}

/* ---- what the engine asks for ------------------------------------------ */

/* epoch= on a <gc/>: records of an older stream of the room (xmucd
 * restarted without its state) are dropped by their receiver. */
static int set_epoch(xmpp_stanza_t *el, uint64_t epoch)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%" PRIu64, epoch);
    return xmpp_stanza_set_attribute(el, "epoch", buf);
}

static int send_record(void *ctx, gc_peer to, const gc_record *rec)
{
    struct obi_gc *g = ctx;
    ob_client *c = g->r->c;
    const char *jid = peer_jid(g, to);
    uint8_t *buf = malloc(GC_WIRE_MAX);
    size_t len = 0;
    char id[32], *text = NULL;
    xmpp_stanza_t *m = NULL, *el, *t;
    int rc = -1;

    if (!jid || !buf || gc_wire_encode(rec, buf, GC_WIRE_MAX, &len) ||
        !(text = xmpp_base64_encode(c->ctx, buf, len)) ||
        !(m = xmpp_message_new(c->ctx, "normal", jid,
                               obi_next_id(c, id, sizeof id))) ||
        !(el = obi_el(c->ctx, m, "gc", OBI_NS)) ||
        xmpp_stanza_set_attribute(el, "room", g->r->jid) ||
        xmpp_stanza_set_attribute(el, "mode", obi_gc_mode_name(g->mode)) ||
        (g->r->epoch && set_epoch(el, g->r->epoch)) ||
        (rec->kind != GC_MSG && g->token &&
         xmpp_stanza_set_attribute(el, "token", g->token)) ||
        !(t = xmpp_stanza_new(c->ctx)))
        goto out;
    if (xmpp_stanza_set_text(t, text) || xmpp_stanza_add_child_ex(el, t, 0))
        xmpp_stanza_release(t);
    else
        rc = c->tp->ops->send_stanza(c->tp, m, strlen(text));
out:
    if (m)
        xmpp_stanza_release(m);
    if (text)
        xmpp_free(c->ctx, text);
    free(buf);
    return rc;
}

static void deliver(void *ctx, uint32_t origin, uint64_t seq,
                    const uint8_t *payload, size_t len)
{
    struct obi_gc *g = ctx;
    ob_client *c = g->r->c;
    struct obi_ev *ev = obi_ev_new(OBI_GROUPCAST);
    int rc = ev ? obi_gc_payload_decode(payload, len, &ev->nick, &ev->body)
                : OB_ENOMEM;

    (void)origin;
    if (rc == OB_OK &&
        (!(ev->room = strdup(g->r->jid)) ||
         !(ev->from = malloc(strlen(ev->room) + strlen(ev->nick) + 2))))
        rc = OB_ENOMEM;
    if (rc) {
        if (rc == OB_ENOMEM)
            obi_lost(c, "a groupcast");
        else
            obi_logf(c, "warn",
                     "groupcast %" PRIu64 " of %s dropped "
                     "(malformed payload)",
                     seq, g->r->jid);
        if (ev)
            obi_ev_clear(ev);
        free(ev);
        return;
    }
    sprintf(ev->from, "%s/%s", ev->room, ev->nick);
    g->delivered = seq;
    ev->seq = seq;
    ev->has_seq = true;
    obi_enqueue(c, ev);
}

static void gap(void *ctx, uint32_t origin, uint64_t first, uint64_t last)
{
    struct obi_gc *g = ctx;
    struct obi_ev *ev;
    char text[96];

    (void)origin;
    snprintf(text, sizeof text,
             "groupcasts %" PRIu64 "..%" PRIu64 " will never be delivered",
             first, last);
    if (!(ev = obi_ev_new(OBI_GC_GAP)) || !(ev->room = strdup(g->r->jid)) ||
        !(ev->text = strdup(text))) {
        if (ev)
            obi_ev_clear(ev);
        free(ev);
        obi_lost(g->r->c, "a groupcast gap");
        return;
    }
    ev->seq = first;
    obi_enqueue(g->r->c, ev);
}

/* ---- authentication ---------------------------------------------------- */

static struct obi_gc *engine(struct obi_room *r, int mode);

/* The engine's verifier: the room signed (room, seq, nick, body).
 * GC_ENOMEM when it could not tell (the engine then says so). */
static int verify(void *ctx, const gc_msg *m)
{
    struct obi_gc *g = ctx;
    char *nick = NULL, *body = NULL;
    int rc = !g->key || !m->sig
                 ? GC_EAUTH
                 : obi_gc_payload_decode(m->payload, m->len, &nick, &body);

    if (rc == OB_OK) {
        gc_sig_msg sm = {g->r->jid, m->seq, nick, (const uint8_t *)body,
                         strlen(body)};
        rc = gc_sig_msg_verify(g->key, &sm, m->sig);
    } else if (rc != OB_ENOMEM)
        rc = GC_EAUTH; /* a malformed payload */
    free(nick);
    free(body);
    if (rc == GC_OK)
        g->r->c->stats.gc_verified++;
    else if (rc != GC_ENOMEM)
        g->r->c->stats.gc_unverified++;
    return rc;
}

/* The raw bytes of base64 text s: exactly `want` of them (0: any number
 * up to max), else NULL.  xmpp_free() them. */
static unsigned char *unb64(ob_client *c, const char *s, size_t want,
                            size_t max, size_t *len)
{
    unsigned char *bin = NULL;
    size_t n = s ? strlen(s) : 0;

    *len = 0;
    if (!n || n > 4 * ((max + 2) / 3))
        return NULL;
    xmpp_base64_decode_bin(c->ctx, s, n, &bin, len);
    if (bin && want && *len != want) {
        xmpp_free(c->ctx, bin);
        bin = NULL;
    }
    return bin;
}

static void tokens_forget(struct obi_gc *g)
{
    for (size_t i = 0; i < g->ntok; i++) {
        free(g->tok[i].jid);
        free(g->tok[i].token);
        g->tok[i] = (struct member_token){0};
    }
    g->ntok = g->next_tok = 0;
}

/* OB_ENOMEM, or OB_OK (a malformed key is logged and ignored). */
static int set_key(struct obi_gc *g, const char *key)
{
    ob_client *c = g->r->c;
    size_t len;
    unsigned char *pub = unb64(c, key, GC_SIG_KEY_LEN, GC_SIG_KEY_LEN, &len);
    gc_sig_key *k = NULL;
    int rc = OB_OK;

    /* libstrophe says NULL for "malformed" and "out of memory" alike */
    if (!pub && strlen(key) == 4 * ((GC_SIG_KEY_LEN + 2) / 3))
        rc = OB_ENOMEM;
    else if (!pub)
        obi_logf(c, "warn", "a malformed key for %s ignored", g->r->jid);
    else if ((!g->key || memcmp(pub, g->pub, GC_SIG_KEY_LEN)) &&
             (rc = gc_sig_key_from_public(pub, &k)) == GC_OK) {
        gc_sig_key_free(g->key);
        g->key = k;
        memcpy(g->pub, pub, GC_SIG_KEY_LEN);
        tokens_forget(g); /* verified under the old key */
    }
    if (pub)
        xmpp_free(c->ctx, pub);
    return rc == GC_ENOMEM ? OB_ENOMEM : OB_OK;
}

/* The room's key and our token, from our self-presence or a renewal;
 * g NULL (no engine: out of memory) is reported like a failure, since
 * without the key every groupcast of the room would be dropped. */
static void set_credentials(ob_client *c, struct obi_gc *g, const char *key,
                            const char *token)
{
    char *t = NULL;

    if ((!key && !token) ||
        (g && (!key || set_key(g, key) == OB_OK) &&
         (!token || strlen(token) > TOKEN_TEXT_MAX || (t = strdup(token))))) {
        if (t) {
            free(g->token);
            g->token = t;
        }
        return;
    }
    obi_lost(c, "a room's groupcast key or membership token (its "
                "groupcasts are dropped until they come again)");
}

static void engine_credentials(struct obi_room *r, const struct obi_ev *ev)
{
    if (ev->sub != OBI_GC_NONE)
        set_credentials(r->c, engine(r, ev->sub), ev->key, ev->auth);
}

/* Caches a verified token at entry `at` (ntok: a new entry). */
static void token_remember(struct obi_gc *g, size_t at, const char *jid,
                           const char *token, uint64_t expiry)
{
    char *j = strdup(jid), *t = strdup(token);
    struct member_token *m;

    if (!j || !t) {
        free(j);
        free(t);
        return; /* verified again next time */
    }
    if (at == g->ntok)
        at = g->ntok < TOKENS ? g->ntok++ : g->next_tok++ % TOKENS;
    m = &g->tok[at];
    free(m->jid); /* NULL for a new entry */
    free(m->token);
    *m = (struct member_token){j, t, expiry};
}

/* Whether `token` is the room's membership token for `jid` (the stanza's
 * sender) and not expired: from the cache when it was seen before. */
static bool member(struct obi_gc *g, const char *jid, const char *token)
{
    ob_client *c = g->r->c;
    uint64_t now = (uint64_t)time(NULL), exp = 0;
    size_t at = 0, len;
    unsigned char *bin;
    int rc;

    while (at < g->ntok && strcmp(g->tok[at].jid, jid))
        at++;
    if (at < g->ntok && token && !strcmp(g->tok[at].token, token))
        return g->tok[at].expiry > now;
    if (!g->key || !(bin = unb64(c, token, 0, GC_SIG_TOKEN_MAX, &len)))
        return false;
    rc = gc_sig_token_verify(g->key, g->r->jid, jid, now, bin, len, &exp);
    xmpp_free(c->ctx, bin);
    if (rc == GC_OK)
        token_remember(g, at, jid, token, exp);
    return rc == GC_OK;
}

/* ---- engines and the timer --------------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

/* Sets the client's timer to the earliest round due. */
static void arm(ob_client *c)
{
    uint64_t next = UINT64_MAX, now = obi_now_ms();
    struct timeval tv;

    for (struct obi_room *r = c->rooms; r; r = r->next)
        if (r->gc && gc_next_round(r->gc->e) < next)
            next = gc_next_round(r->gc->e);
    if (next == UINT64_MAX)
        return;
    if (!c->ev_gc && !(c->ev_gc = evtimer_new(c->base, on_timer, c)))
        return; /* out of memory: rounds resume with the next record */
    next = next > now ? next - now : 0;
    tv.tv_sec = (time_t)(next / 1000);
    tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
    evtimer_add(c->ev_gc, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    ob_client *c = arg;
    uint64_t now = obi_now_ms();

    (void)fd;
    (void)what;
    for (struct obi_room *r = c->rooms; r; r = r->next)
        if (r->gc && gc_next_round(r->gc->e) <= now)
            gc_tick(r->gc->e, now);
    arm(c);
}

static void mark_drop(ob_client *c, size_t i)
{
    free(c->gc_marks[i].room);
    memmove(&c->gc_marks[i], &c->gc_marks[i + 1],
            (--c->n_gc_marks - i) * sizeof *c->gc_marks);
}

static void mark_save(ob_client *c, const char *room, uint64_t next,
                      uint64_t epoch)
{
    char *copy;

    if (!c->gc_marks)
        c->gc_marks = calloc(GC_MARKS, sizeof *c->gc_marks);
    if (!c->gc_marks || !(copy = strdup(room))) {
        obi_logf(c, "warn",
                 "out of memory: where %s's groupcasts stood is "
                 "forgotten (duplicates if we come back)",
                 room);
        return;
    }
    if (c->n_gc_marks == GC_MARKS)
        mark_drop(c, 0);
    c->gc_marks[c->n_gc_marks++] = (struct obi_gc_mark){copy, next, epoch};
}

/* Back in a room we left: its stream resumes where it stood. */
static void mark_resume(ob_client *c, struct obi_gc *g)
{
    for (size_t i = 0; i < c->n_gc_marks; i++)
        if (!strcmp(c->gc_marks[i].room, g->r->jid)) {
            uint64_t then = c->gc_marks[i].epoch, now = g->r->epoch;
            if ((!then || !now || then == now) && /* else a new stream */
                gc_resume(g->e, 0, c->gc_marks[i].next) == GC_OK)
                g->delivered = c->gc_marks[i].next - 1;
            mark_drop(c, i);
            return;
        }
}

/* r's engine, made for mode on first use (with every view neighbour). */
static struct obi_gc *engine(struct obi_room *r, int mode)
{
    struct obi_gc *g;
    /* digests go along tree edges too: a <gc/> is taken only from a
     * view neighbour, and random gossip edges are one-way (the contact
     * does not see us), while tree edges are seen from both ends */
    gc_config cfg = {.engine = mode == OBI_GC_TREE ? GC_TREECAST : GC_PBCAST,
                     .gossip_attrs = GC_ATTR_GOSSIP | GC_ATTR_TREE,
                     .send = send_record,
                     .deliver = deliver,
                     .gap = gap,
                     .verify = verify};

    if (r->gc)
        return r->gc;
    if (!(g = calloc(1, sizeof *g)))
        return NULL;
    g->r = r;
    g->mode = mode;
    cfg.send_ctx = cfg.app_ctx = g;
    if (getrandom(&cfg.seed, sizeof cfg.seed, 0) != sizeof cfg.seed ||
        gc_new(&cfg, obi_now_ms(), &g->e)) {
        free(g);
        return NULL;
    }
    r->gc = g;
    mark_resume(r->c, g);
    for (size_t i = 0; i < r->nnb; i++)
        engine_view(r, &r->nb[i], false);
    return g;
}

static void engine_prepare(struct obi_room *r, int mode)
{
    if (mode != OBI_GC_NONE && !engine(r, mode))
        obi_logf(r->c, "warn",
                 "out of memory: the groupcast engine of %s "
                 "waits for the first groupcast",
                 r->jid);
}

static void engine_free(struct obi_gc *g)
{
    if (g && g->delivered && !g->r->c->dying)
        mark_save(g->r->c, g->r->jid, g->delivered + 1, g->r->epoch);
    if (g) {
        gc_free(g->e);
        for (size_t i = 0; i < g->nstr; i++)
            free(g->str[i].jid);
        tokens_forget(g);
        gc_sig_key_free(g->key);
        free(g->token);
    }
    free(g);
}

static void engine_reset(struct obi_room *r)
{
    ob_client *c = r->c;

    for (size_t i = c->n_gc_marks; i-- > 0;)
        if (!strcmp(c->gc_marks[i].room, r->jid))
            mark_drop(c, i);
    if (!r->gc)
        return;
    r->gc->delivered = 0; /* nothing to remember: the stream is over */
    for (size_t i = 0; i < r->nnb; i++)
        engine_unpin(r, &r->nb[i]);
    engine_free(r->gc);
    r->gc = NULL;
}

void obi_gc_client_free(ob_client *c)
{
    while (c->n_gc_marks)
        mark_drop(c, c->n_gc_marks - 1);
    free(c->gc_marks);
    c->gc_marks = NULL;
    if (c->ev_gc)
        event_free(c->ev_gc);
    c->ev_gc = NULL;
}

static void engine_inject(ob_client *c, struct obi_room *r,
                          const struct obi_ev *ev)
{
    struct obi_gc *g = engine(r, ev->sub);
    uint8_t *p = NULL;
    gc_msg m = {.origin = 0, .seq = ev->seq};
    size_t slen;
    unsigned char *sig = unb64(c, ev->auth, GC_SIG_LEN, GC_SIG_LEN, &slen);
    int rc =
        g ? obi_gc_payload_encode(ev->nick, ev->body, &p, &m.len) : OB_ENOMEM;

    /* libstrophe says NULL both for "malformed" and "out of memory": a
     * signature of the right length that did not decode was most likely
     * the latter (xmucd sends no other), and must not pass for forged */
    if (rc == OB_OK && !sig && ev->auth &&
        strlen(ev->auth) == 4 * ((GC_SIG_LEN + 2) / 3))
        rc = OB_ENOMEM;

    if (rc == OB_OK) {
        m.payload = p;
        m.sig = sig; /* none: the verifier drops it */
        rc = ev->seq ? gc_inject(g->e, &m) : OB_EINVAL; /* seq 0: malformed */
    }
    if (sig)
        xmpp_free(c->ctx, sig);
    _Static_assert((int)GC_ENOMEM == (int)OB_ENOMEM, "one out-of-memory code");
    if (rc == OB_ENOMEM)
        obi_lost(c, "a groupcast");
    else if (rc == GC_EAUTH)
        obi_logf(c, "warn",
                 "groupcast %" PRIu64 " of %s dropped: the "
                 "room's signature does not hold",
                 ev->seq, r->jid);
    else if (rc)
        obi_logf(c, "warn",
                 "groupcast %" PRIu64 " of %s not injected "
                 "(malformed or over a bound: %d)",
                 ev->seq, r->jid, rc);
    free(p);
    arm(c);
}

/* Digests and solicits are answered only for members: true (and
 * counted) when rec is one and its sender showed no valid token. */
static bool no_token(struct obi_gc *g, const struct obi_ev *ev,
                     const gc_record *rec)
{
    if (rec->kind == GC_MSG || member(g, ev->from, ev->auth))
        return false;
    g->r->c->stats.gc_no_token++;
    obi_logf(g->r->c, "debug",
             "a %s from %s for %s ignored: no valid "
             "membership token",
             rec->kind == GC_DIGEST ? "digest" : "solicit", ev->from,
             g->r->jid);
    return true;
}

static void engine_record(ob_client *c, struct obi_room *r,
                          const struct obi_ev *ev)
{
    const struct obi_nb *n = nb_by_jid(r, ev->from);
    size_t tlen = ev->body ? strlen(ev->body) : 0, len = 0;
    unsigned char *bin = NULL;
    gc_record rec;
    struct obi_gc *g;
    uint32_t id;

    if (ev->key) { /* a renewal of our credentials: only from the room */
        if (!strcmp(ev->from, r->jid) && ev->sub)
            set_credentials(c, engine(r, ev->sub), ev->key, ev->auth);
        arm(c);
        return;
    }
    if (!tlen || tlen > TEXT_MAX || !ev->sub) {
        obi_logf(c, "debug", "a <gc/> from %s for %s dropped", ev->from,
                 r->jid);
        return;
    }
    xmpp_base64_decode_bin(c->ctx, ev->body, tlen, &bin, &len);
    if (bin && !gc_wire_decode(bin, len, &rec, NULL) &&
        (g = engine(r, ev->sub)) && !no_token(g, ev, &rec) &&
        (id = n ? n->id : stranger_id(g, ev->from)) != UINT32_MAX)
        gc_receive(g->e, id, &rec);
    if (bin)
        xmpp_free(c->ctx, bin);
    arm(c);
}

/* ---- segment probes ---------------------------------------------------- */

#define PROBE_TIMEOUT_MS 8000u

/* The answer a probe owes: one block (obi_direct_probe frees it). */
struct probe_answer {
    ob_client *c;
    char id[128];
    char to[];
};

/* Is st an <iq type=get><probe/> from one of our rooms? */
static bool probe_wants(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    const char *type = xmpp_stanza_get_type(st),
               *from = xmpp_stanza_get_from(st);

    (void)arg;
    return !c->dying && type && !strcmp(type, "get") && from &&
           obi_room_find(c, from) &&
           xmpp_stanza_get_child_by_name_and_ns(st, "probe", OBI_NS);
}

static void probe_done(void *arg, bool ok)
{
    struct probe_answer *a = arg;
    xmpp_stanza_t *iq = xmpp_iq_new(a->c->ctx, "result", a->id), *p;

    if (iq && !xmpp_stanza_set_to(iq, a->to) &&
        (p = obi_el(a->c->ctx, iq, "probe", OBI_NS)) &&
        !xmpp_stanza_set_attribute(p, "ok", ok ? "true" : "false"))
        obi_send(a->c, iq); /* not connected: the room times it out */
    if (iq)
        xmpp_stanza_release(iq);
    free(a);
}

static void probe_queue(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)arg;
    obi_enqueue_stanza(c, st, OBI_PROBE, "an IQ");
}

/* OBI_PROBE, out of the queue: answered through the direct transport. */
static void on_probe(ob_client *c, struct obi_ev *ev)
{
    xmpp_stanza_t *iq = ev->st;
    xmpp_stanza_t *p =
        xmpp_stanza_get_child_by_name_and_ns(iq, "probe", OBI_NS);
    const char *from = xmpp_stanza_get_from(iq), *id = xmpp_stanza_get_id(iq);
    const char *target = xmpp_stanza_get_attribute(p, "target");
    struct obi_room *r = from ? obi_room_find(c, from) : NULL;
    struct probe_answer *a;

    if (!r || !id || strlen(id) >= sizeof a->id || !target || !*target ||
        strlen(target) > 3071) { /* the room left meanwhile, or malformed */
        obi_logf(c, "debug", "a probe from %s dropped", from ? from : "?");
        return; /* the room's own timeout answers for us */
    }
    if (!(a = calloc(1, sizeof *a + strlen(from) + 1)))
        return;
    a->c = c;
    strcpy(a->id, id);
    strcpy(a->to, from);
    if (!c->direct)
        probe_done(a, false);
    else
        obi_direct_probe(c->direct, target, PROBE_TIMEOUT_MS, probe_done, a);
}

int obi_gc_attach(ob_client *c)
{
    static const struct obi_room_engine hooks = {
        engine_view,  engine_prepare, engine_reset,  engine_credentials,
        engine_unpin, engine_free,    engine_inject, engine_record,
    };
    const struct obi_handler probe = {
        .name = "iq", .match = probe_wants, .fn = probe_queue};

    obi_room_set_engine(c, &hooks);
    obi_event_on(c, OBI_PROBE, on_probe);
    return obi_handler_add(c, &probe);
}
