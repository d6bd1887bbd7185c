/* ob_relay.c -- the relayed transport: unicasts and groupcasts through the
 * XMPP server (groupcasts relayed by xmucd, which stamps their sequence
 * numbers), and the small stanza builders the library shares.
 *
 * This is the only implementation of struct obi_transport_ops today;
 * direct streams (src/e2e) and the groupcast engines add their own
 * tables, chosen per destination, behind ob_unicast and ob_groupcast. */
#include "config.h"

#include <stdlib.h>

#include "ob_internal.h"

xmpp_stanza_t *obi_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                      const char *ns)
{
    xmpp_stanza_t *e = xmpp_stanza_new(ctx);

    if (!e)
        return NULL;
    if (xmpp_stanza_set_name(e, name) || (ns && xmpp_stanza_set_ns(e, ns)) ||
        (parent && xmpp_stanza_add_child_ex(parent, e, 0))) {
        xmpp_stanza_release(e);
        return NULL;
    }
    return e; /* when parent is set, the parent holds the only reference */
}

int obi_text_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                const char *text)
{
    xmpp_stanza_t *e = obi_el(ctx, parent, name, NULL), *t;

    if (!e || !(t = xmpp_stanza_new(ctx)))
        return OB_ENOMEM;
    if (xmpp_stanza_set_text(t, text) || xmpp_stanza_add_child_ex(e, t, 0)) {
        xmpp_stanza_release(t);
        return OB_ENOMEM;
    }
    return OB_OK;
}

static int send_message(struct obi_transport *t, const char *type,
                        const char *to, const char *body)
{
    xmpp_ctx_t *ctx = obi_ctx(t->client);
    char id[32];
    xmpp_stanza_t *m = xmpp_message_new(ctx, type, to,
                                        obi_next_id(t->client, id, sizeof id));
    int rc;

    if (!m)
        return OB_ENOMEM;
    rc = xmpp_message_set_body(m, body) ? OB_ENOMEM : obi_send(t->client, m);
    xmpp_stanza_release(m);
    return rc;
}

static int relay_unicast(struct obi_transport *t, const char *to,
                         const char *body)
{
    return send_message(t, "normal", to, body);
}

static int relay_groupcast(struct obi_transport *t, const char *room,
                           const char *body)
{
    return send_message(t, "groupchat", room, body);
}

static int relay_stanza(struct obi_transport *t, xmpp_stanza_t *m, size_t len)
{
    (void)len;
    return obi_send(t->client, m);
}

static void relay_destroy(struct obi_transport *t) { free(t); }

static const struct obi_transport_ops relay_ops = {
    .name = "relay",
    .send_unicast = relay_unicast,
    .send_groupcast = relay_groupcast,
    .send_stanza = relay_stanza,
    .destroy = relay_destroy,
};

struct obi_transport *obi_relay_new(ob_client *c)
{
    struct obi_transport *t = calloc(1, sizeof *t);

    if (t) {
        t->ops = &relay_ops;
        t->client = c;
    }
    return t;
}
