/* fi_bits.c -- writing X.891 integers and lengths (annex C.21-C.29).
 *
 * Fast Infoset packs small integers into the unused low bits of the octet
 * that announces an item; which bit a number starts on decides how many
 * forms it has.  Each function gets the already-set high bits in `first`
 * and appends the whole encoding.  The decoder reads the same forms in
 * fi_decode.c. */
#include "config.h"

#include "fi_internal.h"

static int put(struct fi_mem *m, struct fi_buf *b, const uint8_t *o, size_t n)
{
    return fi_buf_append(m, b, o, n);
}

int fi_put_int2(struct fi_mem *m, struct fi_buf *b, uint8_t first, uint32_t i)
{
    uint8_t o[3];

    if (i <= 64) {
        o[0] = (uint8_t)(first | (i - 1));
        return put(m, b, o, 1);
    }
    if (i <= 8256) {
        i -= 65;
        o[0] = (uint8_t)(first | 0x40 | (i >> 8)), o[1] = (uint8_t)i;
        return put(m, b, o, 2);
    }
    i -= 8257;
    o[0] = (uint8_t)(first | 0x60 | (i >> 16));
    o[1] = (uint8_t)(i >> 8), o[2] = (uint8_t)i;
    return put(m, b, o, 3);
}

int fi_put_int3(struct fi_mem *m, struct fi_buf *b, uint8_t first, uint32_t i)
{
    uint8_t o[4];

    if (i <= 32) {
        o[0] = (uint8_t)(first | (i - 1));
        return put(m, b, o, 1);
    }
    if (i <= 2080) {
        i -= 33;
        o[0] = (uint8_t)(first | 0x20 | (i >> 8)), o[1] = (uint8_t)i;
        return put(m, b, o, 2);
    }
    if (i <= 526368) {
        i -= 2081;
        o[0] = (uint8_t)(first | 0x28 | (i >> 16));
        o[1] = (uint8_t)(i >> 8), o[2] = (uint8_t)i;
        return put(m, b, o, 3);
    }
    i -= 526369;
    o[0] = (uint8_t)(first | 0x30), o[1] = (uint8_t)((i >> 16) & 0x0F);
    o[2] = (uint8_t)(i >> 8), o[3] = (uint8_t)i;
    return put(m, b, o, 4);
}

int fi_put_int4(struct fi_mem *m, struct fi_buf *b, uint8_t first, uint32_t i)
{
    uint8_t o[4];

    if (i <= 16) {
        o[0] = (uint8_t)(first | (i - 1));
        return put(m, b, o, 1);
    }
    if (i <= 1040) {
        i -= 17;
        o[0] = (uint8_t)(first | 0x10 | (i >> 8)), o[1] = (uint8_t)i;
        return put(m, b, o, 2);
    }
    if (i <= 263184) {
        i -= 1041;
        o[0] = (uint8_t)(first | 0x14 | (i >> 16));
        o[1] = (uint8_t)(i >> 8), o[2] = (uint8_t)i;
        return put(m, b, o, 3);
    }
    i -= 263185;
    o[0] = (uint8_t)(first | 0x18), o[1] = (uint8_t)((i >> 16) & 0x0F);
    o[2] = (uint8_t)(i >> 8), o[3] = (uint8_t)i;
    return put(m, b, o, 4);
}

static int put_len32(struct fi_mem *m, struct fi_buf *b, uint8_t o0, uint32_t v)
{
    uint8_t o[5] = {o0, (uint8_t)(v >> 24), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 8), (uint8_t)v};

    return put(m, b, o, 5);
}

int fi_put_len2(struct fi_mem *m, struct fi_buf *b, uint8_t first, size_t n)
{
    uint8_t o[2];

    if (n <= 64) {
        o[0] = (uint8_t)(first | (n - 1));
        return put(m, b, o, 1);
    }
    if (n <= 320) {
        o[0] = (uint8_t)(first | 0x40), o[1] = (uint8_t)(n - 65);
        return put(m, b, o, 2);
    }
    return put_len32(m, b, (uint8_t)(first | 0x60), (uint32_t)(n - 321));
}

int fi_put_len5(struct fi_mem *m, struct fi_buf *b, uint8_t first, size_t n)
{
    uint8_t o[2];

    if (n <= 8) {
        o[0] = (uint8_t)(first | (n - 1));
        return put(m, b, o, 1);
    }
    if (n <= 264) {
        o[0] = (uint8_t)(first | 0x08), o[1] = (uint8_t)(n - 9);
        return put(m, b, o, 2);
    }
    return put_len32(m, b, (uint8_t)(first | 0x0C), (uint32_t)(n - 265));
}

int fi_put_len7(struct fi_mem *m, struct fi_buf *b, uint8_t first, size_t n)
{
    uint8_t o[2];

    if (n <= 2) {
        o[0] = (uint8_t)(first | (n - 1));
        return put(m, b, o, 1);
    }
    if (n <= 258) {
        o[0] = (uint8_t)(first | 0x02), o[1] = (uint8_t)(n - 3);
        return put(m, b, o, 2);
    }
    return put_len32(m, b, (uint8_t)(first | 0x03), (uint32_t)(n - 259));
}

/* ---- stream framing: unsigned LEB128 lengths ---- */

int fi_frame_header(const uint8_t *buf, size_t len, size_t *frame_len)
{
    uint32_t v = 0;
    size_t i;

    for (i = 0; i < 5; i++) {
        if (i >= len)
            return 0;
        v |= (uint32_t)(buf[i] & 0x7F) << (7 * i);
        if (!(buf[i] & 0x80))
            break;
    }
    if (i == 5 || v > FI_FRAME_MAX || (i > 0 && buf[i] == 0))
        return FI_EFRAME; /* too long, too big, or not minimal */
    *frame_len = v;
    return (int)i + 1;
}

size_t fi_frame_put(uint8_t out[5], size_t frame_len)
{
    size_t i = 0;

    do {
        out[i] = (uint8_t)(frame_len & 0x7F);
        frame_len >>= 7;
        if (frame_len)
            out[i] |= 0x80;
        i++;
    } while (frame_len && i < 5);
    return i;
}
