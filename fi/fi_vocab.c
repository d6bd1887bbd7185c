/* fi_vocab.c -- initial vocabularies, and the built-in XMPP vocabulary.
 *
 * A vocabulary is a set of tables the encoder and decoder both start
 * with, so that their first use of a common name or value is already an
 * index.  The document names it by URI (the "external vocabulary" of
 * X.891); entries are appended after the built-in ones (prefix and
 * namespace entry 1 is always xml), table by table, in the order below.
 * docs/fi.md lists the XMPP vocabulary; `orbweb fi vocab` prints it. */
#include "config.h"

#include <pthread.h>

#include "fi_internal.h"

int fi_vocab_new(fi_ctx *ctx, const char *uri, fi_vocab **out)
{
    struct fi_mem m;
    fi_vocab *v;
    int rc;

    *out = NULL;
    fi_mem_init(&m, ctx);
    v = fi_mem_alloc(&m, sizeof *v);
    if (!v)
        return fi_mem_why(&m, sizeof *v);
    memset(v, 0, sizeof *v);
    v->mem = m;
    if (uri && !(v->uri = fi_arena_dup(&v->mem, &v->arena, uri, strlen(uri)))) {
        rc = fi_mem_why(&v->mem, strlen(uri));
        fi_vocab_free(v);
        return rc;
    }
    *out = v;
    return FI_OK;
}

void fi_vocab_free(fi_vocab *v)
{
    int t;

    if (!v || v->is_static)
        return;
    for (t = 0; t < FI_T_COUNT; t++) {
        fi_mem_free(&v->mem, v->s[t], v->cap[t] * sizeof *v->s[t]);
        fi_mem_free(&v->mem, v->names[t], v->cap[t] * sizeof *v->names[t]);
    }
    fi_arena_free(&v->mem, &v->arena);
    v->mem.a.free(v, v->mem.a.ud);
}

int fi_vocab_add(fi_vocab *v, enum fi_table t, const char *s, size_t len)
{
    struct fi_str e;
    void *arr;

    if (!v || v->is_static || (unsigned)t >= FI_T_ELEMENT || !len)
        return FI_EINVAL;
    if (!fi_utf8_valid((const uint8_t *)s, len))
        return FI_EUTF8;
    if (v->n[t] >= v->mem.lim.max_table_entries)
        return FI_ELIMIT;
    arr = v->s[t];
    if (fi_grow(&v->mem, &arr, &v->cap[t], v->n[t] + 1, sizeof *v->s[t]))
        return FI_ENOMEM;
    v->s[t] = arr;
    e.ptr = fi_arena_dup(&v->mem, &v->arena, s, len);
    if (!e.ptr)
        return fi_mem_why(&v->mem, len);
    e.len = len;
    v->s[t][v->n[t]++] = e;
    return FI_OK;
}

int fi_vocab_add_name(fi_vocab *v, enum fi_table t, unsigned prefix,
                      unsigned ns, unsigned local)
{
    void *arr;

    if (!v || v->is_static || (t != FI_T_ELEMENT && t != FI_T_ATTRIBUTE))
        return FI_EINVAL;
    if (!local || local > v->n[FI_T_LOCAL] || ns > v->n[FI_T_NS] + 1 ||
        prefix > v->n[FI_T_PREFIX] + 1 || (prefix && !ns))
        return FI_EINDEX;
    if (v->n[t] >= v->mem.lim.max_table_entries)
        return FI_ELIMIT;
    arr = v->names[t];
    if (fi_grow(&v->mem, &arr, &v->cap[t], v->n[t] + 1, sizeof *v->names[t]))
        return FI_ENOMEM;
    v->names[t] = arr;
    v->names[t][v->n[t]++] = (struct fi_vname){prefix, ns, local};
    return FI_OK;
}

size_t fi_vocab_count(const fi_vocab *v, enum fi_table t)
{
    return (unsigned)t < FI_T_COUNT ? v->n[t] : 0;
}

struct fi_str fi_vocab_string(const fi_vocab *v, enum fi_table t, size_t i)
{
    struct fi_str none = {"", 0};

    if ((unsigned)t >= FI_T_ELEMENT || i >= v->n[t])
        return none;
    return v->s[t][i];
}

int fi_vocab_name(const fi_vocab *v, enum fi_table t, size_t i,
                  unsigned *prefix, unsigned *ns, unsigned *local)
{
    if ((t != FI_T_ELEMENT && t != FI_T_ATTRIBUTE) || i >= v->n[t])
        return FI_EINVAL;
    *prefix = v->names[t][i].prefix;
    *ns = v->names[t][i].ns;
    *local = v->names[t][i].local;
    return FI_OK;
}

const char *fi_vocab_uri(const fi_vocab *v)
{
    return v->uri;
}

/* ---- the XMPP vocabulary ------------------------------------------------
 * Changing anything here changes the wire format: add a new URI instead. */

static const char *const x_prefixes[] = {"stream", "db", NULL};

static const char *const x_namespaces[] = {
    "jabber:client",
    "jabber:server",
    "jabber:component:accept",
    "http://etherx.jabber.org/streams",
    "urn:ietf:params:xml:ns:xmpp-streams",
    "urn:ietf:params:xml:ns:xmpp-stanzas",
    "urn:ietf:params:xml:ns:xmpp-tls",
    "urn:ietf:params:xml:ns:xmpp-sasl",
    "urn:ietf:params:xml:ns:xmpp-bind",
    "urn:ietf:params:xml:ns:xmpp-session",
    "jabber:iq:roster",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/muc#user",
    "http://jabber.org/protocol/muc#admin",
    "http://jabber.org/protocol/muc#owner",
    "urn:xmpp:delay",
    "http://jabber.org/protocol/chatstates",
    "http://jabber.org/protocol/pubsub",
    "http://jabber.org/protocol/pubsub#event",
    "urn:xmpp:jingle:1",
    "urn:xmpp:ping",
    "jabber:x:data",
    "urn:xmpp:receipts",
    "urn:xmpp:sm:3",
    "http://jabber.org/protocol/ibb",
    "http://jabber.org/protocol/xhtml-im",
    "http://www.w3.org/1999/xhtml",
    "vcard-temp",
    "https://orbweb.dev/ns/xmuc/0",
    NULL,
};

static const char *const x_locals[] = {
    /* elements */
    "stream",
    "features",
    "message",
    "presence",
    "iq",
    "body",
    "subject",
    "thread",
    "error",
    "show",
    "status",
    "priority",
    "x",
    "item",
    "query",
    "feature",
    "identity",
    "c",
    "delay",
    "starttls",
    "mechanisms",
    "mechanism",
    "auth",
    "success",
    "failure",
    "bind",
    "session",
    "resource",
    "active",
    "composing",
    "paused",
    "inactive",
    "gone",
    "pubsub",
    "event",
    "items",
    "publish",
    "subscribe",
    "jingle",
    "content",
    "description",
    "transport",
    "ping",
    "field",
    "value",
    "request",
    "received",
    "actor",
    "reason",
    "text",
    "open",
    "data",
    "close",
    "html",
    "p",
    "bad-request",
    "conflict",
    "forbidden",
    "item-not-found",
    "not-allowed",
    "not-authorized",
    "service-unavailable",
    "feature-not-implemented",
    "internal-server-error",
    "recipient-unavailable",
    "view",
    /* attributes */
    "from",
    "to",
    "id",
    "type",
    "lang",
    "version",
    "jid",
    "affiliation",
    "role",
    "nick",
    "node",
    "ver",
    "hash",
    "name",
    "category",
    "var",
    "code",
    "stamp",
    "subscription",
    "ask",
    "action",
    "sid",
    "seq",
    "stanza",
    "block-size",
    "label",
    "attr",
    NULL,
};

/* "prefix|namespace|local"; empty prefix or namespace: none */
static const char *const x_elements[] = {
    "|jabber:client|message",
    "|jabber:client|presence",
    "|jabber:client|iq",
    "|jabber:client|body",
    "|jabber:client|subject",
    "|jabber:client|thread",
    "|jabber:client|error",
    "|jabber:client|show",
    "|jabber:client|status",
    "|jabber:client|priority",
    "|jabber:server|message",
    "|jabber:server|presence",
    "|jabber:server|iq",
    "|jabber:component:accept|message",
    "|jabber:component:accept|presence",
    "|jabber:component:accept|iq",
    "stream|http://etherx.jabber.org/streams|stream",
    "stream|http://etherx.jabber.org/streams|features",
    "stream|http://etherx.jabber.org/streams|error",
    "|http://jabber.org/protocol/disco#info|query",
    "|http://jabber.org/protocol/disco#info|identity",
    "|http://jabber.org/protocol/disco#info|feature",
    "|http://jabber.org/protocol/disco#items|query",
    "|http://jabber.org/protocol/disco#items|item",
    "|http://jabber.org/protocol/caps|c",
    "|http://jabber.org/protocol/muc|x",
    "|http://jabber.org/protocol/muc#user|x",
    "|http://jabber.org/protocol/muc#user|item",
    "|http://jabber.org/protocol/muc#user|status",
    "|http://jabber.org/protocol/muc#admin|query",
    "|http://jabber.org/protocol/muc#admin|item",
    "|urn:xmpp:delay|delay",
    "|jabber:iq:roster|query",
    "|jabber:iq:roster|item",
    "|http://jabber.org/protocol/chatstates|active",
    "|http://jabber.org/protocol/chatstates|composing",
    "|http://jabber.org/protocol/chatstates|paused",
    "|http://jabber.org/protocol/pubsub|pubsub",
    "|http://jabber.org/protocol/pubsub|items",
    "|http://jabber.org/protocol/pubsub|item",
    "|http://jabber.org/protocol/pubsub|publish",
    "|http://jabber.org/protocol/pubsub#event|event",
    "|http://jabber.org/protocol/pubsub#event|items",
    "|http://jabber.org/protocol/pubsub#event|item",
    "|urn:xmpp:jingle:1|jingle",
    "|urn:xmpp:jingle:1|content",
    "|urn:xmpp:ping|ping",
    "|urn:ietf:params:xml:ns:xmpp-stanzas|text",
    "|urn:xmpp:receipts|request",
    "|urn:xmpp:receipts|received",
    "|https://orbweb.dev/ns/xmuc/0|view",
    NULL,
};

static const char *const x_attributes[] = {
    "||from",
    "||to",
    "||id",
    "||type",
    "xml|http://www.w3.org/XML/1998/namespace|lang",
    "||version",
    "||jid",
    "||affiliation",
    "||role",
    "||nick",
    "||node",
    "||ver",
    "||hash",
    "||name",
    "||category",
    "||var",
    "||code",
    "||stamp",
    "||subscription",
    "||ask",
    "||action",
    "||sid",
    "||seq",
    "||stanza",
    "||block-size",
    NULL,
};

static const char *const x_values[] = {
    "chat",
    "groupchat",
    "headline",
    "normal",
    "error",
    "get",
    "set",
    "result",
    "unavailable",
    "subscribe",
    "subscribed",
    "unsubscribe",
    "unsubscribed",
    "probe",
    "none",
    "member",
    "participant",
    "moderator",
    "visitor",
    "owner",
    "admin",
    "outcast",
    "both",
    "from",
    "to",
    "remove",
    "sha-1",
    "cancel",
    "modify",
    "auth",
    "wait",
    "continue",
    "client",
    "pc",
    "phone",
    "conference",
    "text",
    "en",
    "1.0",
    "110",
    "100",
    "170",
    "201",
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/caps",
    "session-initiate",
    "session-accept",
    "session-terminate",
    "initiator",
    "responder",
    NULL,
};

static const char *const x_chunks[] = {
    "away", "chat", "dnd", "xa", "0", "1", "true", "false", NULL,
};

/* ---- version 2 (urn:xmpp:orbweb:fi:vocab:2): version 1's entries, then
 * these, and three restricted alphabets.  The alphabets are listed twice:
 * as entries 16-18 (X.891 numbers application alphabets from 16) and
 * again as 33-35, because the reference implementation (FastInfoset 1.2)
 * numbers them from 33; entries 19-32 repeat the first.  The encoder uses
 * the last entry of each alphabet (33-35), which X.891 decoders and the
 * reference (whose table, a set, keeps the first three) both read the
 * same way. */

static const char *const x2_namespaces[] = {
    "vcard-temp:x:update",
    "jabber:x:conference",
    "urn:xmpp:hints",
    "urn:xmpp:sid:0",
    "urn:xmpp:chat-markers:0",
    "urn:xmpp:carbons:2",
    "urn:xmpp:forward:0",
    "urn:xmpp:mam:2",
    "http://jabber.org/protocol/nick",
    NULL,
};

static const char *const x2_locals[] = {
    "photo",        "stanza-id",          "origin-id", "by",       "markable",
    "displayed",    "forwarded",          "sent",      "result",   "no-store",
    "store",        "no-permanent-store", "invite",    "password", "destroy",
    "affiliations", "subscriptions",      NULL,
};

static const char *const x2_elements[] = {
    "|vcard-temp:x:update|x",
    "|vcard-temp:x:update|photo",
    "|http://jabber.org/protocol/muc#user|invite",
    "|http://jabber.org/protocol/muc#user|actor",
    "|http://jabber.org/protocol/muc#user|reason",
    "|urn:xmpp:sid:0|stanza-id",
    "|urn:xmpp:sid:0|origin-id",
    "|urn:xmpp:chat-markers:0|markable",
    "|urn:xmpp:chat-markers:0|displayed",
    "|urn:xmpp:chat-markers:0|received",
    "|urn:xmpp:carbons:2|sent",
    "|urn:xmpp:carbons:2|received",
    "|urn:xmpp:forward:0|forwarded",
    "|urn:xmpp:hints|no-store",
    "|http://jabber.org/protocol/nick|nick",
    NULL,
};

static const char *const x2_attributes[] = {
    "||by",
    "||label",
    NULL,
};

static const char *const x2_values[] = {
    "sha-256", "available", "307", "210", "301",
    "303",     "321",       "322", "332", NULL,
};

/* JID characters after stringprep case folding (lower-case letters,
 * digits, @ . / - _ +, and the 21 most common accented Latin letters) in
 * 6 bits; lower-case hexadecimal (SHA-1 photo hashes, ids) in 5; time
 * stamps with fractions of seconds in 4. */
#define X2_JID                                                                 \
    "abcdefghijklmnopqrstuvwxyz0123456789@./-_+"                               \
    "\xc3\xa0\xc3\xa1\xc3\xa2\xc3\xa4\xc3\xa5\xc3\xa6\xc3\xa7"                 \
    "\xc3\xa8\xc3\xa9\xc3\xaa\xc3\xab\xc3\xad\xc3\xae\xc3\xaf"                 \
    "\xc3\xb1\xc3\xb3\xc3\xb4\xc3\xb6\xc3\xb8\xc3\xba\xc3\xbc"
#define X2_HEX "0123456789abcdef"
#define X2_TIME "0123456789-:.TZ"

static const char *const x2_alphabets[] = {
    X2_JID, X2_HEX, X2_TIME, X2_JID, X2_JID, X2_JID, X2_JID,
    X2_JID, X2_JID, X2_JID,                                  /* 19-25 */
    X2_JID, X2_JID, X2_JID,  X2_JID, X2_JID, X2_JID, X2_JID, /* 26-32 */
    X2_JID, X2_HEX, X2_TIME, NULL,
};

#define X_MAX 160

struct x_vocab {
    struct fi_vocab v;
    pthread_once_t once;
    struct fi_str str[FI_T_COUNT][X_MAX];
    struct fi_vname names[2][X_MAX];
};

static struct x_vocab xv[2] = {
    {.once = PTHREAD_ONCE_INIT},
    {.once = PTHREAD_ONCE_INIT},
};

static void fill(struct x_vocab *x, int t, const char *const *list)
{
    size_t n;

    for (n = 0; list[n]; n++)
        x->str[t][x->v.n[t]++] = (struct fi_str){list[n], strlen(list[n])};
    x->v.s[t] = x->str[t];
}

/* Wire index of s in table t (xml entries count as 1), 0 if absent. */
static unsigned find(const struct x_vocab *x, int t, const char *s, size_t len)
{
    size_t i;

    if (!len)
        return 0;
    if (t == FI_T_PREFIX && len == 3 && !memcmp(s, "xml", 3))
        return 1;
    if (t == FI_T_NS && len == 36 &&
        !memcmp(s, "http://www.w3.org/XML/1998/namespace", 36))
        return 1;
    for (i = 0; i < x->v.n[t]; i++)
        if (x->v.s[t][i].len == len && !memcmp(x->v.s[t][i].ptr, s, len))
            return (unsigned)(i + (t == FI_T_LOCAL ? 1 : 2));
    return 0;
}

static void fill_names(struct x_vocab *x, int t, const char *const *list)
{
    size_t n;
    int k = t == FI_T_ELEMENT ? 0 : 1;

    for (n = 0; list[n]; n++) {
        const char *a = list[n], *b = strchr(a, '|') + 1,
                   *c = strchr(b, '|') + 1;
        struct fi_vname *e = &x->names[k][x->v.n[t]++];
        e->prefix = find(x, FI_T_PREFIX, a, (size_t)(b - 1 - a));
        e->ns = find(x, FI_T_NS, b, (size_t)(c - 1 - b));
        e->local = find(x, FI_T_LOCAL, c, strlen(c));
    }
    x->v.names[t] = x->names[k];
}

/* Drops entries of t equal to an earlier one (v2 repeats a few of v1). */
static void dedup(struct x_vocab *x, int t)
{
    size_t i, j, n = 0;

    for (i = 0; i < x->v.n[t]; i++) {
        for (j = 0; j < n; j++)
            if (x->str[t][j].len == x->str[t][i].len &&
                !memcmp(x->str[t][j].ptr, x->str[t][i].ptr, x->str[t][i].len))
                break;
        if (j == n)
            x->str[t][n++] = x->str[t][i];
    }
    x->v.n[t] = n;
}

static void dedup_names(struct x_vocab *x, int t)
{
    int k = t == FI_T_ELEMENT ? 0 : 1;
    size_t i, j, n = 0;

    for (i = 0; i < x->v.n[t]; i++) {
        for (j = 0; j < n; j++)
            if (!memcmp(&x->names[k][j], &x->names[k][i],
                        sizeof x->names[k][i]))
                break;
        if (j == n)
            x->names[k][n++] = x->names[k][i];
    }
    x->v.n[t] = n;
}

static void xmpp_init(struct x_vocab *x, int version)
{
    x->v.uri = version == 1 ? FI_XMPP_VOCAB_URI_1 : FI_XMPP_VOCAB_URI_2;
    x->v.is_static = 1;
    fill(x, FI_T_PREFIX, x_prefixes);
    fill(x, FI_T_NS, x_namespaces);
    fill(x, FI_T_LOCAL, x_locals);
    fill(x, FI_T_VALUE, x_values);
    fill(x, FI_T_CHUNK, x_chunks);
    if (version == 2) {
        fill(x, FI_T_ALPHABET, x2_alphabets);
        fill(x, FI_T_NS, x2_namespaces);
        fill(x, FI_T_LOCAL, x2_locals);
        fill(x, FI_T_VALUE, x2_values);
        dedup(x, FI_T_NS);
        dedup(x, FI_T_LOCAL);
        dedup(x, FI_T_VALUE);
    }
    fill_names(x, FI_T_ELEMENT, x_elements);
    fill_names(x, FI_T_ATTRIBUTE, x_attributes);
    if (version == 2) {
        fill_names(x, FI_T_ELEMENT, x2_elements);
        fill_names(x, FI_T_ATTRIBUTE, x2_attributes);
        dedup_names(x, FI_T_ELEMENT);
        dedup_names(x, FI_T_ATTRIBUTE);
    }
}

static void init1(void)
{
    xmpp_init(&xv[0], 1);
}

static void init2(void)
{
    xmpp_init(&xv[1], 2);
}

const fi_vocab *fi_vocab_xmpp_version(int version)
{
    if (version == 1) {
        pthread_once(&xv[0].once, init1);
        return &xv[0].v;
    }
    if (version == 2) {
        pthread_once(&xv[1].once, init2);
        return &xv[1].v;
    }
    return NULL;
}

const fi_vocab *fi_vocab_xmpp(void)
{
    return fi_vocab_xmpp_version(FI_XMPP_VOCAB_DEFAULT);
}
