/* e2e_reader.h -- the incoming side of a direct stream, sans-I/O
 * (e2e_reader.c): the XML stream header, then XML stanzas or
 * length-prefixed FI documents (a zero length ends the stream); not
 * installed.  Sits on e2e_fi, below the links. */
#ifndef SRC_E2E_E2E_READER_H
#define SRC_E2E_E2E_READER_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#define E2E_MAX_HEADER 4096

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
    E2E_READ_ESYNTAX = -3,   /* not well-formed XML or bad FI */
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

#endif
