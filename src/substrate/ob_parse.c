/* ob_parse.c -- what a presence or message from the server means to a peer.
 *
 * Pure functions from one libstrophe stanza to one struct obi_ev: room
 * presences (XEP-0045 muc#user plus our <view/> element) become view or
 * self events, groupchat messages with our <groupcast seq=.../> become
 * groupcasts, other messages with a body become unicasts, and error
 * stanzas carry their RFC 6120 condition.  Anything else is OBI_NONE.
 * Whether a room is one of ours is decided later, by the client. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ob_parse_internal.h"

static const char *const cond_names[] = {
    [OB_COND_NONE] = "",
    [OB_COND_BAD_REQUEST] = "bad-request",
    [OB_COND_CONFLICT] = "conflict",
    [OB_COND_FEATURE_NOT_IMPLEMENTED] = "feature-not-implemented",
    [OB_COND_FORBIDDEN] = "forbidden",
    [OB_COND_GONE] = "gone",
    [OB_COND_INTERNAL_SERVER_ERROR] = "internal-server-error",
    [OB_COND_ITEM_NOT_FOUND] = "item-not-found",
    [OB_COND_JID_MALFORMED] = "jid-malformed",
    [OB_COND_NOT_ACCEPTABLE] = "not-acceptable",
    [OB_COND_NOT_ALLOWED] = "not-allowed",
    [OB_COND_NOT_AUTHORIZED] = "not-authorized",
    [OB_COND_POLICY_VIOLATION] = "policy-violation",
    [OB_COND_RECIPIENT_UNAVAILABLE] = "recipient-unavailable",
    [OB_COND_REDIRECT] = "redirect",
    [OB_COND_REGISTRATION_REQUIRED] = "registration-required",
    [OB_COND_REMOTE_SERVER_NOT_FOUND] = "remote-server-not-found",
    [OB_COND_REMOTE_SERVER_TIMEOUT] = "remote-server-timeout",
    [OB_COND_RESOURCE_CONSTRAINT] = "resource-constraint",
    [OB_COND_SERVICE_UNAVAILABLE] = "service-unavailable",
    [OB_COND_SUBSCRIPTION_REQUIRED] = "subscription-required",
    [OB_COND_UNDEFINED_CONDITION] = "undefined-condition",
    [OB_COND_UNEXPECTED_REQUEST] = "unexpected-request",
    [OB_COND_OTHER] = "other",
};

const char *ob_condition_name(enum ob_condition cond)
{
    if ((unsigned)cond >= sizeof cond_names / sizeof cond_names[0])
        return "other";
    return cond_names[cond];
}

enum ob_condition ob_condition_parse(const char *name)
{
    if (!name)
        return OB_COND_NONE;
    for (unsigned i = 1; i < OB_COND_OTHER; i++)
        if (!strcmp(cond_names[i], name))
            return (enum ob_condition)i;
    return OB_COND_OTHER;
}

struct obi_ev *obi_ev_new(enum obi_kind kind)
{
    struct obi_ev *ev = calloc(1, sizeof *ev);

    if (ev)
        ev->kind = kind;
    return ev;
}

void obi_ev_clear(struct obi_ev *ev)
{
    free(ev->room);
    free(ev->nick);
    free(ev->jid);
    free(ev->attrs);
    free(ev->show);
    free(ev->status);
    free(ev->body);
    free(ev->data);
    free(ev->from);
    free(ev->condition);
    free(ev->etype);
    free(ev->text);
    free(ev->auth);
    free(ev->key);
    for (size_t i = 0; i < ev->nitems; i++) {
        free((char *)ev->items[i].jid);
        free((char *)ev->items[i].name);
    }
    free(ev->items);
    if (ev->st)
        xmpp_stanza_release(ev->st);
    memset(ev, 0, sizeof *ev);
}

/* *dst = copy of src (NULL stays NULL); -1 when out of memory. */
static int dup(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

/* *out = the text children of el joined, in our own memory ("" when
 * none): libstrophe's xmpp_stanza_get_text says NULL both for "no text"
 * and "out of memory", and must not be mistaken for the former. */
static int text_dup(xmpp_stanza_t *el, char **out)
{
    xmpp_stanza_t *c;
    size_t len = 0;

    for (c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_text(c))
            len += strlen(xmpp_stanza_get_text_ptr(c));
    if (!(*out = malloc(len + 1)))
        return OB_ENOMEM;
    len = 0;
    for (c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_text(c)) {
            const char *t = xmpp_stanza_get_text_ptr(c);
            size_t n = strlen(t);

            memcpy(*out + len, t, n);
            len += n;
        }
    (*out)[len] = '\0';
    return 0;
}

int obi_split_jid(const char *full, char **bare, char **nick)
{
    const char *slash;

    *bare = *nick = NULL;
    if (!full || !*full)
        return OB_EINVAL;
    slash = strchr(full, '/');
    *bare = slash ? strndup(full, (size_t)(slash - full)) : strdup(full);
    if (!*bare || (slash && dup(nick, slash + 1))) {
        free(*bare);
        *bare = NULL;
        return OB_ENOMEM;
    }
    return 0;
}

/* The first element child of st (skipping text), or NULL. */
static xmpp_stanza_t *first_tag(xmpp_stanza_t *st)
{
    xmpp_stanza_t *c = st ? xmpp_stanza_get_children(st) : NULL;

    while (c && !xmpp_stanza_is_tag(c))
        c = xmpp_stanza_get_next(c);
    return c;
}

int obi_parse_error(xmpp_stanza_t *st, struct obi_ev *ev)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(st, "error"), *c;
    xmpp_stanza_t *text = NULL;
    const char *name = NULL;

    ev->code = OB_ESTANZA;
    for (c = first_tag(e); c; c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_ns(c) : NULL;
        if (!ns || strcmp(ns, OBI_NS_STANZAS))
            continue;
        if (!strcmp(xmpp_stanza_get_name(c), "text")) {
            if (!text)
                text = c;
        } else if (!name) {
            name = xmpp_stanza_get_name(c);
        }
    }
    ev->cond = name ? ob_condition_parse(name) : OB_COND_UNDEFINED_CONDITION;
    if (dup(&ev->condition, name ? name : "undefined-condition") ||
        dup(&ev->etype,
            e && xmpp_stanza_get_type(e) ? xmpp_stanza_get_type(e) : "") ||
        (text && text_dup(text, &ev->text)))
        return OB_ENOMEM;
    if (ev->text && !*ev->text) { /* an empty <text/>: as none */
        free(ev->text);
        ev->text = NULL;
    }
    return ev->text || !dup(&ev->text, ev->condition) ? 0 : OB_ENOMEM;
}

/* True when <x xmlns=muc#user/> carries <status code=code/>. */
static bool has_status(xmpp_stanza_t *x, const char *code)
{
    for (xmpp_stanza_t *c = first_tag(x); c; c = xmpp_stanza_get_next(c)) {
        const char *v;
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "status"))
            continue;
        v = xmpp_stanza_get_attribute(c, "code");
        if (v && !strcmp(v, code))
            return true;
    }
    return false;
}

static enum obi_out out_reason(xmpp_stanza_t *x)
{
    if (has_status(x, "332"))
        return OBI_OUT_RESTART;
    if (has_status(x, "307"))
        return OBI_OUT_KICKED;
    if (has_status(x, "301"))
        return OBI_OUT_BANNED;
    if (xmpp_stanza_get_child_by_name(x, "destroy"))
        return OBI_OUT_DESTROYED;
    if (has_status(x, "321") || has_status(x, "322") || has_status(x, "333"))
        return OBI_OUT_OTHER;
    return OBI_OUT_LEFT;
}

/* A room's groupcast epoch: epoch='<decimal>' on el, 0 when absent or
 * malformed (then epochs are not compared). */
static uint64_t epoch_of(xmpp_stanza_t *el)
{
    const char *s = el ? xmpp_stanza_get_attribute(el, "epoch") : NULL;
    unsigned long long v;
    char *end;

    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    return errno || *end ? 0 : (uint64_t)v;
}

/* The text of st's child name (ob_room_presence's show and status), or
 * NULL when it has none. */
static int child_text(xmpp_stanza_t *st, const char *name, char **out)
{
    xmpp_stanza_t *el = xmpp_stanza_get_child_by_name(st, name);

    *out = NULL;
    return el ? text_dup(el, out) : 0;
}

/* key= and token= of authenticated groupcast (el may be NULL). */
static int parse_credentials(xmpp_stanza_t *el, struct obi_ev *ev)
{
    return el && (dup(&ev->key, xmpp_stanza_get_attribute(el, "key")) ||
                  dup(&ev->auth, xmpp_stanza_get_attribute(el, "token")))
               ? OB_ENOMEM
               : 0;
}

/* A presence from room/nick carrying muc#user (or an error). */
static int parse_presence(xmpp_stanza_t *st, struct obi_ev *ev)
{
    const char *type = xmpp_stanza_get_type(st);
    xmpp_stanza_t *x =
        xmpp_stanza_get_child_by_name_and_ns(st, "x", OBI_NS_MUC_USER);
    xmpp_stanza_t *view =
        xmpp_stanza_get_child_by_name_and_ns(st, "view", OBI_NS);
    xmpp_stanza_t *item = x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
    bool gone = type && !strcmp(type, "unavailable");
    const char *reason =
        view ? xmpp_stanza_get_attribute(view, "reason") : NULL;

    int rc = obi_split_jid(xmpp_stanza_get_from(st), &ev->room, &ev->nick);

    if (rc)
        return rc == OB_ENOMEM ? rc : 0; /* no from: not a room's */
    if (type && !strcmp(type, "error")) {
        ev->kind = OBI_JOIN_ERROR;
        ev->sub = OB_OP_JOIN;
        return obi_parse_error(st, ev);
    }
    if (!x || !ev->nick || (type && !gone))
        return 0;
    if (has_status(x, "110")) {
        ev->kind = gone ? OBI_SELF_OUT : OBI_SELF_IN;
        ev->flag = !gone && has_status(x, "201");
        ev->epoch = gone ? 0 : epoch_of(view);
        ev->sub = gone ? (int)out_reason(x)
                       : obi_gc_mode(
                             view ? xmpp_stanza_get_attribute(view, "groupcast")
                                  : NULL);
        return gone ? 0 : parse_credentials(view, ev);
    }
    ev->kind = gone ? OBI_VIEW_GONE : OBI_VIEW_SET;
    ev->flag = gone && !(reason && !strcmp(reason, "view"));
    if (dup(&ev->jid, item ? xmpp_stanza_get_attribute(item, "jid") : NULL))
        return OB_ENOMEM;
    if (!gone &&
        dup(&ev->attrs, view && xmpp_stanza_get_attribute(view, "attrs")
                            ? xmpp_stanza_get_attribute(view, "attrs")
                            : (view ? "" : "member")))
        return OB_ENOMEM;
    if (!gone && (child_text(st, "show", &ev->show) ||
                  child_text(st, "status", &ev->status)))
        return OB_ENOMEM;
    return 0;
}

static const char *const gc_modes[] = {[OBI_GC_NONE] = "relay",
                                       [OBI_GC_TREE] = "tree",
                                       [OBI_GC_PBCAST] = "pbcast",
                                       [OBI_GC_TAPBCAST] = "tapbcast"};

int obi_gc_mode(const char *name)
{
    for (int m = OBI_GC_TREE; name && m <= OBI_GC_TAPBCAST; m++)
        if (!strcmp(name, gc_modes[m]))
            return m;
    return OBI_GC_NONE;
}

const char *obi_gc_mode_name(int mode)
{
    return mode > OBI_GC_NONE && mode <= OBI_GC_TAPBCAST ? gc_modes[mode]
                                                         : "relay";
}

/* The sequence number in <groupcast seq=.../>, if well formed, its mode
 * (obi_gc_mode; 0 for relay or none) and its signature.  OB_ENOMEM or 0. */
static int parse_seq(xmpp_stanza_t *st, struct obi_ev *ev)
{
    xmpp_stanza_t *g =
        xmpp_stanza_get_child_by_name_and_ns(st, "groupcast", OBI_NS);
    const char *s = g ? xmpp_stanza_get_attribute(g, "seq") : NULL;
    char *end;
    unsigned long long v;

    ev->sub = g ? obi_gc_mode(xmpp_stanza_get_attribute(g, "mode")) : 0;
    if (g && dup(&ev->auth, xmpp_stanza_get_attribute(g, "sig")))
        return OB_ENOMEM;
    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (!errno && !*end) {
        ev->seq = v;
        ev->has_seq = true;
    }
    return 0;
}

/* <gc room= mode= [token=]>base64</gc> in a message that is not a
 * groupchat: a groupcast engine's record from a peer; or, from the room
 * itself, <gc room= mode= key= token=/>, a renewal of our credentials. */
static int parse_record(xmpp_stanza_t *g, struct obi_ev *ev)
{
    const char *room = xmpp_stanza_get_attribute(g, "room");

    if (!room)
        return 0;
    if (dup(&ev->room, room) || text_dup(g, &ev->body) ||
        parse_credentials(g, ev))
        return OB_ENOMEM;
    ev->sub = obi_gc_mode(xmpp_stanza_get_attribute(g, "mode"));
    ev->epoch = epoch_of(g);
    ev->kind = OBI_GC_RECORD;
    return 0;
}

/* Is s[0..n) base64 as libstrophe decodes it (length a multiple of 4,
 * the alphabet, at most two '=' at the end)? */
static bool b64_shaped(const char *s, size_t n)
{
    size_t body = n;

    while (body > 0 && n - body < 2 && s[body - 1] == '=')
        body--;
    return n % 4 == 0 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+/") == body;
}

/* <data xmlns=OBI_NS_E2E>base64</data> into ev->data: 1 when there is
 * such an element with well-formed base64 of at most OBI_MAX_DATA bytes,
 * 0 when there is none (or it is malformed: not a unicast for us),
 * OB_ENOMEM. */
static int parse_data(xmpp_stanza_t *st, struct obi_ev *ev)
{
    xmpp_stanza_t *d =
        xmpp_stanza_get_child_by_name_and_ns(st, "data", OBI_NS_E2E);
    xmpp_stanza_t *t = d ? xmpp_stanza_get_children(d) : NULL;
    xmpp_ctx_t *ctx = xmpp_stanza_get_context(st);
    const char *b64 =
        t && xmpp_stanza_is_text(t) ? xmpp_stanza_get_text_ptr(t) : NULL;
    unsigned char *raw = NULL;
    size_t n = b64 ? strlen(b64) : 0, len = 0;

    if (!n || n > (size_t)OBI_MAX_DATA / 3 * 4 + 4 || xmpp_stanza_get_next(t))
        return 0;
    xmpp_base64_decode_bin(ctx, b64, n, &raw, &len);
    if (!raw && b64_shaped(b64, n))
        return OB_ENOMEM; /* libstrophe says NULL for both */
    if (!raw || !len) {
        xmpp_free(ctx, raw);
        return 0;
    }
    ev->data = malloc(len);
    if (ev->data) {
        memcpy(ev->data, raw, len);
        ev->data_len = len;
    }
    xmpp_free(ctx, raw);
    return ev->data ? 1 : OB_ENOMEM;
}

static int parse_message(xmpp_stanza_t *st, struct obi_ev *ev)
{
    const char *type = xmpp_stanza_get_type(st),
               *from = xmpp_stanza_get_from(st);
    xmpp_stanza_t *b = xmpp_stanza_get_child_by_name(st, "body"), *g;
    int rc;

    if (!from)
        return 0;
    if (dup(&ev->from, from))
        return OB_ENOMEM;
    if (type && !strcmp(type, "error")) {
        ev->kind = OBI_MSG_ERROR;
        ev->sub = OB_OP_SEND;
        return obi_parse_error(st, ev);
    }
    if ((g = xmpp_stanza_get_child_by_name_and_ns(st, "gc", OBI_NS)) &&
        !(type && !strcmp(type, "groupchat")))
        return parse_record(g, ev);
    if (!b && (!type || strcmp(type, "groupchat"))) {
        if ((rc = parse_data(st, ev)) <= 0)
            return rc; /* chat states, receipts, ...: not for us */
        ev->kind = OBI_UNICAST;
        return (ev->body = strdup("")) ? 0 : OB_ENOMEM;
    }
    if (!b)
        return 0; /* a subject: not for us */
    if (text_dup(b, &ev->body))
        return OB_ENOMEM;
    if (type && !strcmp(type, "groupchat")) {
        if (obi_split_jid(from, &ev->room, &ev->nick))
            return OB_ENOMEM;
        if (!ev->nick)
            return 0; /* from the room itself: a notice */
        ev->kind = OBI_GROUPCAST;
        return parse_seq(st, ev);
    }
    ev->kind = OBI_UNICAST;
    return 0;
}

int obi_parse(xmpp_stanza_t *st, struct obi_ev *ev)
{
    const char *name = xmpp_stanza_get_name(st);
    int rc = 0;

    memset(ev, 0, sizeof *ev);
    if (name && !strcmp(name, "presence"))
        rc = parse_presence(st, ev);
    else if (name && !strcmp(name, "message"))
        rc = parse_message(st, ev);
    if (rc)
        obi_ev_clear(ev);
    else if (ev->kind == OBI_NONE)
        obi_ev_clear(ev);
    return rc;
}
