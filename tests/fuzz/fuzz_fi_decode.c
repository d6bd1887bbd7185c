/* fuzz_fi_decode.c -- libFuzzer harness for the Fast Infoset decoder.
 *
 * The first input octet picks the decoder flags and a chunk size; the
 * rest is fed in chunks of that size, so the incremental paths are
 * fuzzed as well as whole-buffer decoding.  Small limits make limit
 * handling reachable.  Decoded documents are also re-encoded, which
 * exercises the encoder on whatever names and strings the decoder let
 * through. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "fi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fi_limits lim = {.max_depth = 64,
                                         .max_string = 1 << 16,
                                         .max_table_entries = 4096,
                                         .max_memory = 8 << 20};
    fi_ctx *ctx;
    fi_encoder *e;
    fi_decoder *d;
    size_t chunk, off = 0;
    unsigned flags;
    int r = FI_MORE;

    if (size < 1)
        return 0;
    flags = data[0] & 3;
    chunk = (data[0] >> 2) ? (size_t)(data[0] >> 2) : size;
    data++, size--;
    fi_ctx_new(NULL, &lim, &ctx);
    fi_encoder_new(ctx,
                   &(struct fi_encoder_options){.typed = flags & 1,
                                                .stream = (flags & 2) != 0},
                   &e);
    fi_decoder_new(ctx, fi_encoder_handler(), e, flags, &d);
    while (r == FI_MORE && off <= size) {
        size_t n = size - off < chunk ? size - off : chunk;
        r = fi_decoder_feed(d, data + off, n, off + n == size);
        off += n;
        if (n == 0)
            break;
    }
    (void)fi_decoder_offset(d);
    fi_decoder_free(d);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
    return 0;
}
