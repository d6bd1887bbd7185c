/* ob_relay.c -- the relayed transport: unicasts and groupcasts through the
 * XMPP server (groupcasts relayed by xmucd, which stamps their sequence
 * numbers), over the core's obi_send.
 *
 * One implementation of struct obi_transport_ops; the direct transport
 * (ob_direct.c) wraps this one and falls back on it. */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "ob_relay_internal.h"
#include "xs_stream.h"

/* <data xmlns=OBI_NS_E2E>base64</data> under m; 0 or OB_ENOMEM. */
static int add_data(xmpp_ctx_t *ctx, xmpp_stanza_t *m, const void *data,
                    size_t len)
{
    xmpp_stanza_t *d = obi_el(ctx, m, "data", OBI_NS_E2E), *t;
    char *b64 = d ? xmpp_base64_encode(ctx, data, len) : NULL;
    int rc = OB_ENOMEM;

    if (b64 && (t = xmpp_stanza_new(ctx))) {
        if (!xmpp_stanza_set_text(t, b64) && !xmpp_stanza_add_child_ex(d, t, 0))
            rc = OB_OK;
        else
            xmpp_stanza_release(t);
    }
    if (b64)
        xmpp_free(ctx, b64);
    return rc;
}

xmpp_stanza_t *obi_unicast_new(ob_client *c, const char *type, const char *to,
                               const char *body, const void *data, size_t len)
{
    xmpp_ctx_t *ctx = obi_ctx(c);
    char id[32];
    xmpp_stanza_t *m =
        xmpp_message_new(ctx, type, to, obi_next_id(c, id, sizeof id));

    if (m && (body ? xmpp_message_set_body(m, body) != 0
                   : add_data(ctx, m, data, len) != OB_OK)) {
        xmpp_stanza_release(m);
        return NULL;
    }
    return m;
}

bool obi_fits_relay(ob_client *c, xmpp_stanza_t *st, size_t text_bytes)
{
    struct evbuffer *b;
    long n;

    if (text_bytes != OBI_SIZE_UNKNOWN && text_bytes + 4096 <= c->relay_max)
        return true; /* headers and escaping cannot make up the rest */
    if ((text_bytes != OBI_SIZE_UNKNOWN && text_bytes > c->relay_max) ||
        !(b = evbuffer_new()))
        return false;
    n = xs_write_stanza(b, st);
    evbuffer_free(b);
    return n >= 0 && (size_t)n <= c->relay_max;
}

size_t obi_unicast_text_size(const char *body, size_t len)
{
    return body ? strlen(body) : (len + 2) / 3 * 4;
}

/* m (to set, lent), through the server when it fits its limit. */
static int relay_stanza(struct obi_transport *t, xmpp_stanza_t *m, size_t size)
{
    return obi_fits_relay(t->client, m, size) ? obi_send(t->client, m)
                                              : OB_ETOOBIG;
}

static int send_message(struct obi_transport *t, const char *type,
                        const char *to, const char *body, const void *data,
                        size_t len)
{
    xmpp_stanza_t *m = obi_unicast_new(t->client, type, to, body, data, len);
    int rc;

    if (!m)
        return OB_ENOMEM;
    rc = relay_stanza(t, m, obi_unicast_text_size(body, len));
    xmpp_stanza_release(m);
    return rc;
}

/* Counts a unicast or a groupcast engine's record that left. */
static int counted(struct obi_transport *t, int rc)
{
    if (rc == OB_OK)
        t->client->stats.unicasts_relayed++;
    return rc;
}

static int relay_unicast(struct obi_transport *t, const char *to,
                         const char *body, const void *data, size_t len)
{
    return counted(t, send_message(t, "normal", to, body, data, len));
}

static int relay_record(struct obi_transport *t, xmpp_stanza_t *m, size_t size)
{
    return counted(t, relay_stanza(t, m, size));
}

static int relay_groupcast(struct obi_transport *t, const char *room,
                           const char *body)
{
    return send_message(t, "groupchat", room, body, NULL, 0);
}

static void relay_destroy(struct obi_transport *t)
{
    free(t);
}

static const struct obi_transport_ops relay_ops = {
    .name = "relay",
    .send_unicast = relay_unicast,
    .send_groupcast = relay_groupcast,
    .send_stanza = relay_record,
    .destroy = relay_destroy,
};

int obi_relay_new(ob_client *c, struct obi_transport **out)
{
    struct obi_transport *t = calloc(1, sizeof *t);

    *out = t;
    if (!t)
        return OB_ENOMEM;
    t->ops = &relay_ops;
    t->client = c;
    return OB_OK;
}

int obi_send_data(ob_client *c, const char *jid, const void *data, size_t len)
{
    if (!jid || !*jid || !data || !len || len > OBI_MAX_DATA)
        return OB_EINVAL;
    return c->tp->ops->send_unicast(c->tp, jid, NULL, data, len);
}
