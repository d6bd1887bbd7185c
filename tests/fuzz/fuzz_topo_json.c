/* fuzz_topo_json.c -- libFuzzer harness for orbweb topo's reader of
 * xmucd's topology JSON; what it accepts is also written as text and
 * DOT, so hostile nicks and attributes go through the writers too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    struct cli_topo t;
    size_t offset;

    if (!sink && !(sink = fopen("/dev/null", "w")))
        abort();
    if (cli_topo_parse((const char *)data, size, &t, &offset) == 0) {
        cli_topo_write_text(&t, sink);
        cli_topo_write_dot(&t, "fuzz@rooms", sink);
        cli_topo_clear(&t);
    } else if (offset > size) {
        abort();
    }
    return 0;
}
