/* e2e_fi.h -- one stanza <-> one Fast Infoset document (the XMPP
 * vocabulary), for the framing of direct streams (e2e_fi.c); not
 * installed.  Sits below the reader and the links. */
#ifndef SRC_E2E_E2E_FI_H
#define SRC_E2E_E2E_FI_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "fi.h"
#include "ut_ns.h"

#define E2E_NS_DATA UT_NS_E2E

int e2e_fi_encode(fi_encoder *e, xmpp_ctx_t *ctx, xmpp_stanza_t *st);
typedef struct e2e_fi_dec e2e_fi_dec;
/* 0 or FI_ENOMEM. */
int e2e_fi_dec_new(xmpp_ctx_t *ctx, fi_ctx *fctx, e2e_fi_dec **out);
void e2e_fi_dec_free(e2e_fi_dec *d);
/* A whole document; *out is the caller's (release it).  0 or an fi code. */
int e2e_fi_decode(e2e_fi_dec *d, const uint8_t *data, size_t len,
                  xmpp_stanza_t **out);

#endif
