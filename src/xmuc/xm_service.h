/* xm_service.h -- what xmucd answers as a service: disco, ping, errors.
 *
 * The service receives every stanza addressed to the component (its
 * domain and any JID under it) and answers those addressed to the
 * service itself; anything it does not offer gets the RFC 6120 error
 * that fits. Rooms plug in here in a later stage. */
#ifndef SRC_XMUC_XM_SERVICE_H
#define SRC_XMUC_XM_SERVICE_H

#include "xm_link.h"

/* Our own namespace, for our child elements; see docs/protocol.md. */
#define XM_NS_ORBWEB "https://orbweb.dev/ns/xmuc/0"

typedef struct xm_service xm_service;

xm_service *xm_service_new(const char *domain);
void xm_service_free(xm_service *s);

/* Handles one stanza received on link l. */
void xm_service_handle(xm_service *s, xm_link *l, xmpp_stanza_t *stanza);

#endif
