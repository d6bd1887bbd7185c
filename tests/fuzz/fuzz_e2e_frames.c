/* fuzz_e2e_frames.c -- libFuzzer harness for the incoming direct stream
 * reader (e2e_reader), after the stream header.  The first input byte
 * picks the framing (bit 0: Fast Infoset, else XML) and a cut point, so
 * chunk boundaries are explored too; the rest is the stream body.
 * Stanzas are serialized back to text, as the link's owner would. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "e2e_reader.h"

static xmpp_ctx_t *ctx;

static const char header[] =
    "<stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:e2e='https://orbweb.dev/ns/e2e/0' from='b@x/y' to='a@x/z' "
    "version='1.0' e2e:sid='s' e2e:framing='fi xml'>";

struct run {
    e2e_reader *r;
    bool fi;
};

static void on_header(void *ud, const char **attrs)
{
    struct run *run = ud;

    (void)attrs;
    if (run->fi)
        e2e_reader_use_fi(run->r);
}

static void on_stanza(void *ud, xmpp_stanza_t *st)
{
    char *buf;
    size_t len;

    (void)ud;
    if (xmpp_stanza_to_text(st, &buf, &len) == 0)
        xmpp_free(ctx, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct e2e_reader_cb cb = {on_header, on_stanza, NULL};
    struct run run;
    size_t cut;

    if (!ctx)
        ctx = xmpp_ctx_new(NULL, NULL);
    if (size == 0)
        return 0;
    run.fi = data[0] & 1;
    cut = size > 1 ? 1 + (data[0] >> 1) % (size - 1) : 1;
    if (e2e_reader_new(ctx, 4096, &cb, &run, &run.r) != 0)
        return 0;
    if (e2e_reader_feed(run.r, (const uint8_t *)header, strlen(header)) == 0 &&
        e2e_reader_feed(run.r, data + 1, cut - 1) == 0)
        e2e_reader_feed(run.r, data + cut, size - cut);
    e2e_reader_free(run.r);
    return 0;
}
