/* e2e_link_internal.h -- internals shared by the files of the link
 * module (e2e_ident.c, e2e_link.c, e2e_listener.c); not installed.  The
 * links sit on the reader (e2e_reader.h) and the FI framing (e2e_fi.h),
 * which know nothing of them. */
#ifndef SRC_E2E_E2E_LINK_INTERNAL_H
#define SRC_E2E_E2E_LINK_INTERNAL_H

#include <openssl/ssl.h>

#include "e2e_link.h"
#include "e2e_fi.h"
#include "e2e_reader.h"
#include "ut_ns.h"

#define E2E_NS_SM "urn:xmpp:sm:3"
#define E2E_NS_STREAMS "http://etherx.jabber.org/streams"
#define E2E_FP_LEN 96 /* 32 octets as "XX:" minus the last colon, NUL */
#define E2E_DEFAULT_MAX_STANZA 262144

/* e2e_ident.c */
int e2e_fingerprint(X509 *cert, char out[E2E_FP_LEN]);
SSL_CTX *e2e_ident_tls(const e2e_ident *id, bool server);

/* e2e_link.c, for the listener: a link on an accepted socket (closed on
 * failure), pending until its header arrives */
int e2e_link_accept(e2e_listener *ls, struct event_base *base, xmpp_ctx_t *ctx,
                    SSL_CTX *tls, evutil_socket_t fd,
                    const struct e2e_listener_params *p, e2e_link **out);
void e2e_link_detach(e2e_link *l); /* no longer the listener's */

/* e2e_listener.c, for pending links: the header is answered (hand it to
 * the owner), the handshake failed (free it), the link is being freed */
void e2e_listener_ready(e2e_listener *ls, e2e_link *l);
void e2e_listener_drop(e2e_listener *ls, e2e_link *l);
void e2e_listener_forget(e2e_listener *ls, e2e_link *l);

#endif
