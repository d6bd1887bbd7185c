/* xm_service.c -- the service's own answers: XEP-0030 disco#info and
 * disco#items, XEP-0199 ping, and RFC 6120 errors for everything else. */
#include "config.h"

#include "xm_service.h"
#include "xm_log.h"

#include <stdlib.h>
#include <string.h>

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

struct xm_service {
    char *domain;
};

static const char *const features[] = {
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_MUC, XM_NS_ORBWEB, NULL,
};

xm_service *xm_service_new(const char *domain)
{
    xm_service *s = calloc(1, sizeof *s);

    if (s && !(s->domain = strdup(domain))) {
        free(s);
        return NULL;
    }
    return s;
}

void xm_service_free(xm_service *s)
{
    if (s)
        free(s->domain);
    free(s);
}

static xmpp_stanza_t *child(xmpp_ctx_t *ctx, xmpp_stanza_t *parent,
                            const char *name, const char *ns)
{
    xmpp_stanza_t *c = xmpp_stanza_new(ctx);

    if (!c)
        return NULL;
    xmpp_stanza_set_name(c, name);
    if (ns)
        xmpp_stanza_set_ns(c, ns);
    xmpp_stanza_add_child(parent, c);
    xmpp_stanza_release(c); /* the parent holds it now */
    return c;
}

/* A reply to stanza, addressed both ways: a component must stamp its own
 * "from" (the server answers improper-addressing otherwise). */
static xmpp_stanza_t *reply_to(xmpp_stanza_t *stanza)
{
    xmpp_stanza_t *reply = xmpp_stanza_reply(stanza);
    const char *to = xmpp_stanza_get_to(stanza);

    if (reply && to && xmpp_stanza_set_from(reply, to) != XMPP_EOK) {
        xmpp_stanza_release(reply);
        return NULL;
    }
    return reply;
}

/* Sends the error reply to stanza with the given RFC 6120 condition;
 * an error is never answered with an error (RFC 6120 8.3.1). */
static void send_condition(xm_link *l, xmpp_stanza_t *stanza, const char *etype,
                           const char *condition)
{
    xmpp_ctx_t *ctx = xm_link_ctx(l);
    xmpp_stanza_t *reply, *error;
    const char *stype = xmpp_stanza_get_type(stanza);

    if (stype && !strcmp(stype, "error"))
        return; /* never answer an error with an error */
    reply = reply_to(stanza);
    if (!reply)
        return;
    xmpp_stanza_set_type(reply, "error");
    error = child(ctx, reply, "error", NULL);
    if (error) {
        xmpp_stanza_set_attribute(error, "type", etype);
        child(ctx, error, condition, NS_STANZAS);
    }
    xm_link_send(l, reply);
    xmpp_stanza_release(reply);
}

static void answer_disco_info(xm_link *l, xmpp_stanza_t *iq)
{
    xmpp_ctx_t *ctx = xm_link_ctx(l);
    xmpp_stanza_t *reply = reply_to(iq), *q, *id;

    if (!reply)
        return;
    xmpp_stanza_set_type(reply, "result");
    q = child(ctx, reply, "query", NS_DISCO_INFO);
    id = q ? child(ctx, q, "identity", NULL) : NULL;
    if (id) {
        xmpp_stanza_set_attribute(id, "category", "conference");
        xmpp_stanza_set_attribute(id, "type", "text");
        xmpp_stanza_set_attribute(id, "name", "orbweb extensible rooms");
    }
    for (int i = 0; q && features[i]; i++) {
        xmpp_stanza_t *f = child(ctx, q, "feature", NULL);
        if (f)
            xmpp_stanza_set_attribute(f, "var", features[i]);
    }
    xm_link_send(l, reply);
    xmpp_stanza_release(reply);
}

static void answer_empty(xm_link *l, xmpp_stanza_t *iq, const char *name,
                         const char *ns)
{
    xmpp_stanza_t *reply = reply_to(iq);

    if (!reply)
        return;
    xmpp_stanza_set_type(reply, "result");
    if (name)
        child(xm_link_ctx(l), reply, name, ns);
    xm_link_send(l, reply);
    xmpp_stanza_release(reply);
}

/* An iq get/set to the service itself. */
static void handle_service_iq(xm_link *l, xmpp_stanza_t *iq, const char *type)
{
    xmpp_stanza_t *payload = xmpp_stanza_get_children(iq);
    const char *ns;

    while (payload && !xmpp_stanza_is_tag(payload))
        payload = xmpp_stanza_get_next(payload);
    ns = payload ? xmpp_stanza_get_ns(payload) : NULL;
    if (!ns)
        send_condition(l, iq, "modify", "bad-request");
    else if (!strcmp(type, "get") && !strcmp(ns, NS_DISCO_INFO))
        answer_disco_info(l, iq);
    else if (!strcmp(type, "get") && !strcmp(ns, NS_DISCO_ITEMS))
        answer_empty(l, iq, "query", NS_DISCO_ITEMS);
    else if (!strcmp(type, "get") && !strcmp(ns, NS_PING))
        answer_empty(l, iq, NULL, NULL);
    else
        send_condition(l, iq, "cancel", "service-unavailable");
}

static void handle_iq(xm_service *s, xm_link *l, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    const char *to = xmpp_stanza_get_to(iq);

    if (!type || !xmpp_stanza_get_id(iq)) {
        send_condition(l, iq, "modify", "bad-request");
        return;
    }
    if (!strcmp(type, "result") || !strcmp(type, "error"))
        return;
    if (strcmp(type, "get") && strcmp(type, "set")) {
        send_condition(l, iq, "modify", "bad-request");
        return;
    }
    if (to && !strcmp(to, s->domain))
        handle_service_iq(l, iq, type);
    else
        send_condition(l, iq, "cancel", "item-not-found");
}

void xm_service_handle(xm_service *s, xm_link *l, xmpp_stanza_t *stanza)
{
    const char *name = xmpp_stanza_get_name(stanza);

    xm_debug("stanza <%s> from %s to %s", name,
             xmpp_stanza_get_from(stanza) ? xmpp_stanza_get_from(stanza) : "?",
             xmpp_stanza_get_to(stanza) ? xmpp_stanza_get_to(stanza) : "?");
    if (!xmpp_stanza_get_from(stanza))
        return; /* the server always stamps from; nothing to answer to */
    if (!strcmp(name, "iq"))
        handle_iq(s, l, stanza);
    else if (!strcmp(name, "message") ||
             (!strcmp(name, "presence") && !xmpp_stanza_get_type(stanza)))
        send_condition(l, stanza, "cancel", "service-unavailable");
}
