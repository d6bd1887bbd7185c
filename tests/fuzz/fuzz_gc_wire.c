/* fuzz_gc_wire.c -- libFuzzer harness for the groupcast wire decoder;
 * what it accepts must encode back to the same bytes (the encoding is
 * canonical: minimal varints, one layout) and go through an engine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, gc_peer to, const gc_record *r)
{
    (void)ctx, (void)to, (void)r;
    return 0;
}

static void feed(const gc_record *r)
{
    gc_config cfg = {.send = sink, .rounds = 2};
    gc *e;

    if (gc_new(&cfg, 0, &e))
        return;
    gc_neighbour_add(e, 1, GC_ATTR_TREE | GC_ATTR_GOSSIP);
    gc_receive(e, 1, r);
    gc_tick(e, gc_next_round(e));
    gc_receive(e, 1, r);
    gc_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[GC_WIRE_MAX];
    gc_record r;
    size_t off, len;

    if (gc_wire_decode(data, size, &r, &off)) {
        if (off > size)
            abort();
        return 0;
    }
    if (off != size || gc_wire_encode(&r, out, sizeof out, &len) ||
        len != size || memcmp(out, data, size))
        abort();
    feed(&r);
    return 0;
}
