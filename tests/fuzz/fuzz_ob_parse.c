/* fuzz_ob_parse.c -- libFuzzer harness for liborbweb's reading of the
 * presences and messages a room sends (obi_parse). */
#include <stdint.h>

#include "ob_parse_internal.h"
#include "stanzas.h"

static void parse(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    struct obi_ev ev;

    (void)ud, (void)bytes;
    if (obi_parse(st, &ev) == 0)
        obi_ev_clear(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stanzas(data, size, parse, NULL);
    return 0;
}
