/* ob_relay_internal.h -- the send path (struct obi_transport) and its
 * relayed transport (ob_relay.c): unicasts and groupcasts through the XMPP
 * server, over the core's obi_send. */
#ifndef SRC_SUBSTRATE_OB_RELAY_INTERNAL_H
#define SRC_SUBSTRATE_OB_RELAY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "ob_core_internal.h"

/* The send path: one table per transport, the relayed one here, the
 * direct one (ob_direct_internal.h) over it. */
struct obi_transport;
struct obi_transport_ops {
    const char *name;
    /* a unicast: body (text), or data/len (binary) when body is NULL */
    int (*send_unicast)(struct obi_transport *t, const char *to,
                        const char *body, const void *data, size_t len);
    int (*send_groupcast)(struct obi_transport *t, const char *room,
                          const char *body);
    /* A message built by the caller (type, to, content set; lent) whose
     * text is about `size` bytes; OB_ETOOBIG as send_unicast. */
    int (*send_stanza)(struct obi_transport *t, xmpp_stanza_t *m, size_t size);
    void (*destroy)(struct obi_transport *t);
};
struct obi_transport {
    const struct obi_transport_ops *ops;
    ob_client *client;
};

/* The relayed transport: messages through the XMPP server (and xmucd
 * for groupcasts).  0 with *out set, or OB_ENOMEM. */
int obi_relay_new(ob_client *c, struct obi_transport **out);
/* Sends len bytes (1..OBI_MAX_DATA) to jid on c's transport, as
 * ob_unicast_data does for the application and RPC for its frames.
 * OB_EINVAL, or what the transport returns. */
int obi_send_data(ob_client *c, const char *jid, const void *data, size_t len);

/* A unicast message to `to` of the given type, with a fresh id: its body,
 * or (body NULL) <data xmlns=OBI_NS_E2E> holding data in base64.  NULL
 * when out of memory. */
xmpp_stanza_t *obi_unicast_new(ob_client *c, const char *type, const char *to,
                               const char *body, const void *data, size_t len);
/* The size of a unicast's text: its body, or its data once in base64 (what
 * obi_fits_relay and the session policy weigh). */
size_t obi_unicast_text_size(const char *body, size_t len);

/* Whether st may go through the server: its serialized size is at most
 * relay_max_bytes.  text_bytes, the size of its text, spares measuring
 * small stanzas; OBI_SIZE_UNKNOWN always measures. */
#define OBI_SIZE_UNKNOWN ((size_t)-1)
bool obi_fits_relay(ob_client *c, xmpp_stanza_t *st, size_t text_bytes);

#endif
