/* stanzas.c -- feeding fuzz input to stanza consumers (see stanzas.h). */
#include "stanzas.h"

#include "xs_parser.h"

static const char header[] =
    "<stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='fuzz'>";

xmpp_ctx_t *fuzz_ctx(void)
{
    static xmpp_ctx_t *ctx;

    if (!ctx)
        ctx = xmpp_ctx_new(NULL, NULL);
    return ctx;
}

void fuzz_stanzas(const uint8_t *data, size_t size,
                  void (*fn)(void *ud, xmpp_stanza_t *st, size_t bytes),
                  void *ud)
{
    struct xs_callbacks cb = {.on_stanza = fn};
    struct xs_limits lim = {.max_stanza_bytes = 65536, .max_depth = 32};
    xs_parser *p;

    if (xs_parser_new(fuzz_ctx(), &lim, &cb, ud, &p) != XS_OK)
        return;
    if (xs_parser_feed(p, header, sizeof header - 1) == XS_OK)
        xs_parser_feed(p, (const char *)data, size);
    xs_parser_free(p);
}
