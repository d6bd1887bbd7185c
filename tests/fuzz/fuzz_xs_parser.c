/* fuzz_xs_parser.c -- libFuzzer harness for the XMPP stream parser.
 * The input is split at a position taken from its first byte, so chunk
 * boundaries are explored too; stanzas are serialized back to text.  Odd
 * sizes take rejections (stanzas over a limit are skipped), even ones not. */
#include <stdint.h>
#include <stdlib.h>
#include <strophe.h>

#include "xs_parser.h"

static xmpp_ctx_t *ctx;

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    char *buf;
    size_t len;

    (void)ud, (void)bytes;
    if (xmpp_stanza_to_text(st, &buf, &len) == 0)
        xmpp_free(ctx, buf);
}

/* Rejected stanzas are skipped, and the parser carries on. */
static void on_reject(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes)
{
    (void)ud, (void)top, (void)code, (void)why, (void)bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xs_callbacks cb = {.on_stanza = on_stanza,
                              .on_reject = size % 2 ? on_reject : NULL};
    struct xs_limits lim = {.max_stanza_bytes = 4096,
                            .max_depth = 16,
                            .max_attrs = 8,
                            .max_elements = 64,
                            .max_skip_depth = 256};
    xs_parser *p;
    size_t cut;

    if (!ctx)
        ctx = xmpp_ctx_new(NULL, NULL);
    if (size == 0)
        return 0;
    cut = size > 1 ? 1 + data[0] % (size - 1) : 1;
    if (xs_parser_new(ctx, &lim, &cb, NULL, &p) != XS_OK)
        return 0;
    if (xs_parser_feed(p, (const char *)data + 1, cut - 1) == XS_OK)
        xs_parser_feed(p, (const char *)data + cut, size - cut);
    xs_parser_free(p);
    return 0;
}
