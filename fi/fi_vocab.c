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

#include "fi-internal.h"

fi_vocab *fi_vocab_new(fi_ctx *ctx, const char *uri)
{
    struct fi_mem m;
    fi_vocab *v;

    fi_mem_init(&m, ctx);
    v = fi_mem_alloc(&m, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->mem = m;
    if (uri && !(v->uri = fi_arena_dup(&v->mem, &v->arena, uri, strlen(uri)))) {
        fi_vocab_free(v);
        return NULL;
    }
    return v;
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
        return FI_E_ARG;
    if (!fi_utf8_valid((const uint8_t *)s, len))
        return FI_E_UTF8;
    if (v->n[t] >= v->mem.lim.max_table_entries)
        return FI_E_LIMIT;
    arr = v->s[t];
    if (fi_grow(&v->mem, &arr, &v->cap[t], v->n[t] + 1, sizeof *v->s[t]))
        return FI_E_NOMEM;
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
        return FI_E_ARG;
    if (!local || local > v->n[FI_T_LOCAL] || ns > v->n[FI_T_NS] + 1 ||
        prefix > v->n[FI_T_PREFIX] + 1 || (prefix && !ns))
        return FI_E_INDEX;
    if (v->n[t] >= v->mem.lim.max_table_entries)
        return FI_E_LIMIT;
    arr = v->names[t];
    if (fi_grow(&v->mem, &arr, &v->cap[t], v->n[t] + 1, sizeof *v->names[t]))
        return FI_E_NOMEM;
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
        return FI_E_ARG;
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
    "stream", "features", "message", "presence", "iq", "body", "subject",
    "thread", "error", "show", "status", "priority", "x", "item", "query",
    "feature", "identity", "c", "delay", "starttls", "mechanisms",
    "mechanism", "auth", "success", "failure", "bind", "session",
    "resource", "active", "composing", "paused", "inactive", "gone",
    "pubsub", "event", "items", "publish", "subscribe", "jingle",
    "content", "description", "transport", "ping", "field", "value",
    "request", "received", "actor", "reason", "text", "open", "data",
    "close", "html", "p", "bad-request", "conflict", "forbidden",
    "item-not-found", "not-allowed", "not-authorized",
    "service-unavailable", "feature-not-implemented",
    "internal-server-error", "recipient-unavailable", "view",
    /* attributes */
    "from", "to", "id", "type", "lang", "version", "jid", "affiliation",
    "role", "nick", "node", "ver", "hash", "name", "category", "var",
    "code", "stamp", "subscription", "ask", "action", "sid", "seq",
    "stanza", "block-size", "label", "attr",
    NULL,
};

/* "prefix|namespace|local"; empty prefix or namespace: none */
static const char *const x_elements[] = {
    "|jabber:client|message", "|jabber:client|presence",
    "|jabber:client|iq", "|jabber:client|body", "|jabber:client|subject",
    "|jabber:client|thread", "|jabber:client|error", "|jabber:client|show",
    "|jabber:client|status", "|jabber:client|priority",
    "|jabber:server|message", "|jabber:server|presence",
    "|jabber:server|iq",
    "|jabber:component:accept|message", "|jabber:component:accept|presence",
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
    "|jabber:iq:roster|query", "|jabber:iq:roster|item",
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
    "|urn:xmpp:jingle:1|jingle", "|urn:xmpp:jingle:1|content",
    "|urn:xmpp:ping|ping",
    "|urn:ietf:params:xml:ns:xmpp-stanzas|text",
    "|urn:xmpp:receipts|request", "|urn:xmpp:receipts|received",
    "|https://orbweb.dev/ns/xmuc/0|view",
    NULL,
};

static const char *const x_attributes[] = {
    "||from", "||to", "||id", "||type", "xml|http://www.w3.org/XML/1998/namespace|lang",
    "||version", "||jid", "||affiliation", "||role", "||nick", "||node",
    "||ver", "||hash", "||name", "||category", "||var", "||code",
    "||stamp", "||subscription", "||ask", "||action", "||sid", "||seq",
    "||stanza", "||block-size",
    NULL,
};

static const char *const x_values[] = {
    "chat", "groupchat", "headline", "normal", "error", "get", "set",
    "result", "unavailable", "subscribe", "subscribed", "unsubscribe",
    "unsubscribed", "probe", "none", "member", "participant", "moderator",
    "visitor", "owner", "admin", "outcast", "both", "from", "to", "remove",
    "sha-1", "cancel", "modify", "auth", "wait", "continue", "client",
    "pc", "phone", "conference", "text", "en", "1.0", "110", "100", "170",
    "201", "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/caps", "session-initiate",
    "session-accept", "session-terminate", "initiator", "responder",
    NULL,
};

static const char *const x_chunks[] = {
    "away", "chat", "dnd", "xa", "0", "1", "true", "false", NULL,
};

static struct fi_vocab xmpp;
static pthread_once_t xmpp_once = PTHREAD_ONCE_INIT;

#define X_MAX 128
static struct fi_str x_str[FI_T_COUNT][X_MAX];
static struct fi_vname x_names[2][X_MAX];

static size_t fill(int t, const char *const *list)
{
    size_t n = 0;

    for (; list[n]; n++)
        x_str[t][n] = (struct fi_str){list[n], strlen(list[n])};
    xmpp.s[t] = x_str[t];
    xmpp.n[t] = n;
    return n;
}

/* Wire index of s in table t (xml entries count as 1), 0 if absent. */
static unsigned find(int t, const char *s, size_t len)
{
    size_t i;

    if (!len)
        return 0;
    if (t == FI_T_PREFIX && len == 3 && !memcmp(s, "xml", 3))
        return 1;
    if (t == FI_T_NS && len == 36 &&
        !memcmp(s, "http://www.w3.org/XML/1998/namespace", 36))
        return 1;
    for (i = 0; i < xmpp.n[t]; i++)
        if (xmpp.s[t][i].len == len && !memcmp(xmpp.s[t][i].ptr, s, len))
            return (unsigned)(i + (t == FI_T_LOCAL ? 1 : 2));
    return 0;
}

static void fill_names(int t, int k, const char *const *list)
{
    size_t n;

    for (n = 0; list[n]; n++) {
        const char *a = list[n], *b = strchr(a, '|') + 1,
                   *c = strchr(b, '|') + 1;
        x_names[k][n].prefix = find(FI_T_PREFIX, a, (size_t)(b - 1 - a));
        x_names[k][n].ns = find(FI_T_NS, b, (size_t)(c - 1 - b));
        x_names[k][n].local = find(FI_T_LOCAL, c, strlen(c));
    }
    xmpp.names[t] = x_names[k];
    xmpp.n[t] = n;
}

static void xmpp_init(void)
{
    xmpp.uri = FI_XMPP_VOCAB_URI;
    xmpp.is_static = 1;
    fill(FI_T_PREFIX, x_prefixes);
    fill(FI_T_NS, x_namespaces);
    fill(FI_T_LOCAL, x_locals);
    fill(FI_T_VALUE, x_values);
    fill(FI_T_CHUNK, x_chunks);
    fill_names(FI_T_ELEMENT, 0, x_elements);
    fill_names(FI_T_ATTRIBUTE, 1, x_attributes);
}

const fi_vocab *fi_vocab_xmpp(void)
{
    pthread_once(&xmpp_once, xmpp_init);
    return &xmpp;
}
