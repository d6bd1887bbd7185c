/* e2e_internal.h -- internals shared by the direct-link files (e2e_ident.c,
 * e2e_fi.c, e2e_reader.c, e2e_link.c, e2e_listener.c); not installed. */
#ifndef SRC_E2E_E2E_INTERNAL_H
#define SRC_E2E_E2E_INTERNAL_H

#include <openssl/ssl.h>

#include "e2e_link.h"
#include "fi.h"
#include "ut_ns.h"

#define E2E_NS_DATA UT_NS_E2E
#define E2E_NS_SM "urn:xmpp:sm:3"
#define E2E_NS_STREAMS "http://etherx.jabber.org/streams"
#define E2E_FP_LEN 96 /* 32 octets as "XX:" minus the last colon, NUL */
#define E2E_MAX_HEADER 4096
#define E2E_DEFAULT_MAX_STANZA 262144

/* e2e_ident.c */
int e2e_fingerprint(X509 *cert, char out[E2E_FP_LEN]);
SSL_CTX *e2e_ident_tls(const e2e_ident *id, bool server);

/* e2e_fi.c: one stanza <-> one Fast Infoset document (XMPP vocabulary) */
int e2e_fi_encode(fi_encoder *e, xmpp_ctx_t *ctx, xmpp_stanza_t *st);
typedef struct e2e_fi_dec e2e_fi_dec;
int e2e_fi_dec_new(xmpp_ctx_t *ctx, fi_ctx *fctx, e2e_fi_dec **out);
void e2e_fi_dec_free(e2e_fi_dec *d);
/* A whole document; *out is the caller's (release it).  0 or an fi code. */
int e2e_fi_decode(e2e_fi_dec *d, const uint8_t *data, size_t len,
                  xmpp_stanza_t **out);

/* e2e_reader.c: the incoming side of a direct stream, sans-I/O: the XML
 * stream header, then XML stanzas or length-prefixed FI documents (a
 * zero length ends the stream). */
typedef struct e2e_reader e2e_reader;
struct e2e_reader_cb {
    /* the header's attributes (xs_parser form); the callee may call
     * e2e_reader_use_fi or e2e_reader_stop from here */
    void (*on_header)(void *ud, const char **attrs);
    void (*on_stanza)(void *ud, xmpp_stanza_t *st); /* lent */
    void (*on_close)(void *ud);                     /* the peer's end */
};
enum e2e_reader_result {
    E2E_READ_OK = 0,
    E2E_READ_ENOMEM = -1,
    E2E_READ_ETOOBIG = -2,   /* header, stanza or frame above its limit */
    E2E_READ_ESYNTAX = -3,    /* not well-formed XML or bad FI */
    E2E_READ_ENOTSTREAM = -4 /* the root is not <stream:stream> */
};
int e2e_reader_new(xmpp_ctx_t *ctx, size_t max_stanza,
                   const struct e2e_reader_cb *cb, void *ud, e2e_reader **out);
void e2e_reader_free(e2e_reader *r);
void e2e_reader_use_fi(e2e_reader *r);
/* No more callbacks: the current feed returns at once. */
void e2e_reader_stop(e2e_reader *r);
/* Takes all len bytes (keeping partial frames).  0 or a sticky error. */
int e2e_reader_feed(e2e_reader *r, const uint8_t *data, size_t len);
/* The RFC 6120 stream error condition for an error, and a sentence. */
const char *e2e_reader_condition(int code);
const char *e2e_reader_error_text(const e2e_reader *r);

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
