/* fi_text.c -- character strings: UTF-8 checks, UTF-16, restricted
 * alphabets, the built-in encoding algorithms, and the string hash map.
 *
 * Everything that turns octets into text lives here, so the decoder only
 * has to know which transformation a string asked for.  All input is
 * hostile: every function checks lengths and bit patterns. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fi_internal.h"
#include "ut_hash.h"

/* ---- UTF-8 ---- */

static size_t ascii_run(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i + 16 <= n) {
        uint64_t w, v;
        memcpy(&w, p + i, 8);
        memcpy(&v, p + i + 8, 8);
        if ((w | v) & 0x8080808080808080ull)
            break;
        i += 16;
    }
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w &= 0x8080808080808080ull;
        if (w) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + ((size_t)__builtin_ctzll(w) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

/* Length of the valid sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];

    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

int fi_utf8_check(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t k;
        i += ascii_run(p + i, n - i);
        /* non-ASCII text (Hebrew, Korean, ...) runs of sequences */
        while (i < n && p[i] >= 0x80) {
            if (!(k = utf8_seq(p + i, n - i)))
                return 0;
            i += k;
        }
    }
    return 1;
}

/* ---- UTF-16 ---- */

static size_t put_utf8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (uint8_t)(0xC0 | (c >> 6));
        o[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (c >> 12));
        o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (c >> 18));
    o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

int fi_utf16_to_utf8(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                     size_t n)
{
    size_t i;
    int r;

    if (n % 2)
        return FI_EUTF16;
    /* 2 octets of UTF-16 give at most 3 of UTF-8 */
    if ((r = fi_buf_reserve(m, b, n / 2 * 3)))
        return r;
    for (i = 0; i < n; i += 2) {
        uint32_t c = (uint32_t)p[i] << 8 | p[i + 1];
        if (c >= 0xDC00 && c <= 0xDFFF)
            return FI_EUTF16;
        if (c >= 0xD800 && c <= 0xDBFF) {
            uint32_t d;
            if (i + 4 > n)
                return FI_EUTF16;
            d = (uint32_t)p[i + 2] << 8 | p[i + 3];
            if (d < 0xDC00 || d > 0xDFFF)
                return FI_EUTF16;
            c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
            i += 2;
        }
        b->len += put_utf8(b->p + b->len, c);
    }
    return FI_OK;
}

/* Decodes one valid UTF-8 sequence (validated beforehand). */
static uint32_t get_utf8(const uint8_t *p, size_t *k)
{
    if (p[0] < 0x80) {
        *k = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *k = 2;
        return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (p[0] < 0xF0) {
        *k = 3;
        return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 |
               (p[2] & 0x3F);
    }
    *k = 4;
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
           (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

int fi_utf8_to_utf16(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                     size_t n)
{
    size_t i = 0, k;
    int r;

    if (!fi_utf8_valid(p, n))
        return FI_EUTF8;
    if ((r = fi_buf_reserve(m, b, n * 2)))
        return r;
    while (i < n) {
        uint32_t c = get_utf8(p + i, &k);
        uint8_t *o = b->p + b->len;
        i += k;
        if (c >= 0x10000) {
            uint32_t hi = 0xD800 + ((c - 0x10000) >> 10);
            uint32_t lo = 0xDC00 + ((c - 0x10000) & 0x3FF);
            o[0] = (uint8_t)(hi >> 8), o[1] = (uint8_t)hi;
            o[2] = (uint8_t)(lo >> 8), o[3] = (uint8_t)lo;
            b->len += 4;
        } else {
            o[0] = (uint8_t)(c >> 8), o[1] = (uint8_t)c;
            b->len += 2;
        }
    }
    return FI_OK;
}

/* ---- restricted alphabets ---- */

const struct fi_str fi_builtin_alphabets[2] = {
    {"0123456789-+.E ", 15},
    {"0123456789-:TZ ", 15},
};

/* Splits an alphabet into characters: offs[i]..offs[i+1] is char i. */
static int alphabet_split(struct fi_mem *m, struct fi_str chars,
                          uint32_t **offs, size_t *count)
{
    const uint8_t *p = (const uint8_t *)chars.ptr;
    size_t i = 0, c = 0, k;
    uint32_t *o;

    if (!fi_utf8_valid(p, chars.len) || chars.len < 2)
        return FI_EALPHABET;
    o = fi_mem_alloc(m, (chars.len + 1) * sizeof *o);
    if (!o)
        return fi_mem_why(m, (chars.len + 1) * sizeof *o);
    while (i < chars.len) {
        get_utf8(p + i, &k);
        o[c++] = (uint32_t)i;
        i += k;
    }
    o[c] = (uint32_t)i;
    *offs = o;
    *count = c;
    return FI_OK;
}

static unsigned alphabet_bits(size_t count)
{
    unsigned k = 1;

    while (((size_t)1 << k) <= count) /* all-ones must stay free */
        k++;
    return k;
}

static int alphabet_emit(struct fi_mem *m, struct fi_buf *b,
                         struct fi_str chars, const uint32_t *offs,
                         size_t count, unsigned k, const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    unsigned have = 0;
    uint32_t pad = ((uint32_t)1 << k) - 1;
    size_t i;
    int r;

    for (i = 0; i < n; i++) {
        acc = acc << 8 | p[i];
        have += 8;
        while (have >= k) {
            uint32_t v = (uint32_t)(acc >> (have - k)) & pad;
            have -= k;
            if (v == pad) {
                /* padding: only ones, only to the end of the last octet */
                if (i + 1 != n || (acc & (((uint64_t)1 << have) - 1)) !=
                                      (((uint64_t)1 << have) - 1))
                    return FI_EALPHABET;
                return FI_OK;
            }
            if (v >= count)
                return FI_EALPHABET;
            r = fi_buf_append(m, b, chars.ptr + offs[v], offs[v + 1] - offs[v]);
            if (r)
                return r;
        }
    }
    if (have &&
        (acc & (((uint64_t)1 << have) - 1)) != (((uint64_t)1 << have) - 1))
        return FI_EALPHABET;
    return FI_OK;
}

int fi_alphabet_decode(struct fi_mem *m, struct fi_buf *b, struct fi_str chars,
                       const uint8_t *p, size_t n)
{
    uint32_t *offs;
    size_t count;
    int r = alphabet_split(m, chars, &offs, &count);

    if (r)
        return r;
    r = alphabet_emit(m, b, chars, offs, count, alphabet_bits(count), p, n);
    fi_mem_free(m, offs, (chars.len + 1) * sizeof *offs);
    return r;
}

static int alphabet_index(struct fi_str chars, const uint32_t *offs,
                          size_t count, const char *s, size_t k)
{
    size_t i;

    for (i = 0; i < count; i++)
        if (offs[i + 1] - offs[i] == k && !memcmp(chars.ptr + offs[i], s, k))
            return (int)i;
    return -1;
}

static int alphabet_pack(struct fi_mem *m, struct fi_buf *b,
                         struct fi_str chars, const uint32_t *offs,
                         size_t count, const char *s, size_t n)
{
    unsigned k = alphabet_bits(count), have = 0;
    uint64_t acc = 0;
    size_t i = 0, cl;
    int r;

    while (i < n) {
        int v;
        get_utf8((const uint8_t *)s + i, &cl);
        v = alphabet_index(chars, offs, count, s + i, cl);
        if (v < 0)
            return FI_EALPHABET;
        i += cl;
        acc = acc << k | (unsigned)v;
        have += k;
        while (have >= 8) {
            uint8_t o = (uint8_t)(acc >> (have - 8));
            have -= 8;
            if ((r = fi_buf_append(m, b, &o, 1)))
                return r;
        }
    }
    if (have) {
        uint8_t o = (uint8_t)((acc << (8 - have)) | ((1u << (8 - have)) - 1));
        return fi_buf_append(m, b, &o, 1);
    }
    return FI_OK;
}

int fi_alphabet_encode(struct fi_mem *m, struct fi_buf *b, struct fi_str chars,
                       const char *s, size_t n)
{
    uint32_t *offs;
    size_t count;
    int r;

    if (!fi_utf8_valid((const uint8_t *)s, n))
        return FI_EUTF8;
    if ((r = alphabet_split(m, chars, &offs, &count)))
        return r;
    r = alphabet_pack(m, b, chars, offs, count, s, n);
    fi_mem_free(m, offs, (chars.len + 1) * sizeof *offs);
    return r;
}

/* ---- encoding algorithms (X.891 clause 10) ---- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int alg_hex(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                   size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;
    int r = fi_buf_reserve(m, b, n * 2);

    for (i = 0; !r && i < n; i++) {
        b->p[b->len++] = (uint8_t)hx[p[i] >> 4];
        b->p[b->len++] = (uint8_t)hx[p[i] & 15];
    }
    return r;
}

static int alg_base64(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                      size_t n)
{
    size_t i;
    int r = fi_buf_reserve(m, b, (n + 2) / 3 * 4);

    if (r)
        return r;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        uint8_t *o = b->p + b->len;
        o[0] = (uint8_t)b64[v >> 18], o[1] = (uint8_t)b64[(v >> 12) & 63];
        o[2] = (uint8_t)b64[(v >> 6) & 63], o[3] = (uint8_t)b64[v & 63];
        b->len += 4;
    }
    if (i < n) {
        uint32_t v =
            (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        uint8_t *o = b->p + b->len;
        o[0] = (uint8_t)b64[v >> 18], o[1] = (uint8_t)b64[(v >> 12) & 63];
        o[2] = i + 1 < n ? (uint8_t)b64[(v >> 6) & 63] : '=';
        o[3] = '=';
        b->len += 4;
    }
    return FI_OK;
}

static int b64_val(int c)
{
    const char *q = c ? strchr(b64, c) : NULL;

    return q ? (int)(q - b64) : -1;
}

int fi_base64_decode(struct fi_mem *m, struct fi_buf *b, const char *s,
                     size_t n)
{
    size_t i, pad = 0;
    int r;

    if (n == 0 || n % 4)
        return 1;
    if (s[n - 1] == '=')
        pad = s[n - 2] == '=' ? 2 : 1;
    if ((r = fi_buf_reserve(m, b, n / 4 * 3)))
        return r;
    for (i = 0; i < n; i += 4) {
        int v[4], j;
        uint32_t w;
        for (j = 0; j < 4; j++) {
            int last = i + 4 == n;
            v[j] = last && j >= 4 - (int)pad ? 0
                                             : b64_val((unsigned char)s[i + j]);
            if (v[j] < 0)
                return 1;
        }
        w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
            (uint32_t)v[3];
        if (i + 4 == n && pad && (w & (pad == 2 ? 0xFFFF : 0xFF)))
            return 1; /* not canonical: unused bits set */
        b->p[b->len++] = (uint8_t)(w >> 16);
        if (!(i + 4 == n && pad == 2))
            b->p[b->len++] = (uint8_t)(w >> 8);
        if (!(i + 4 == n && pad))
            b->p[b->len++] = (uint8_t)w;
    }
    return 0;
}

static int put_text(struct fi_mem *m, struct fi_buf *b, int sep, const char *s)
{
    int r = 0;

    if (sep)
        r = fi_buf_append(m, b, " ", 1);
    return r ? r : fi_buf_append(m, b, s, strlen(s));
}

static uint64_t be(const uint8_t *p, size_t k)
{
    uint64_t v = 0;

    while (k--)
        v = v << 8 | *p++;
    return v;
}

static int alg_ints(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                    size_t n, size_t k)
{
    char t[32];
    size_t i;
    int r = 0;

    if (n % k)
        return FI_EALGORITHM;
    for (i = 0; !r && i < n; i += k) {
        uint64_t v = be(p + i, k);
        int64_t s = k == 2 ? (int16_t)v : k == 4 ? (int32_t)v : (int64_t)v;
        snprintf(t, sizeof t, "%lld", (long long)s);
        r = put_text(m, b, i > 0, t);
    }
    return r;
}

static int alg_bool(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                    size_t n)
{
    unsigned unused = p[0] >> 4;
    size_t bits, i;
    int r = 0;

    if (unused > 7 || n * 8 < 4 + unused)
        return FI_EALGORITHM;
    bits = n * 8 - 4 - unused;
    for (i = 0; !r && i < bits; i++) {
        size_t bit = i + 4;
        int v = p[bit / 8] >> (7 - bit % 8) & 1;
        r = put_text(m, b, i > 0, v ? "true" : "false");
    }
    return r;
}

/* XML Schema 1.0 canonical float/double: one non-zero digit before the
 * point, at least one after it, no trailing zeros, "E" and the exponent
 * without "+" or leading zeros ("1.0E0", "-2.5E-3"); 0.0E0 (and -0.0E0
 * for negative zero, as XML Schema 1.1), INF, -INF, NaN.  The digits are
 * the fewest that read back as the same float or double. */
static void xsd_float(char *t, size_t tn, double v, int is_float)
{
    char e[40], *q, *m;
    int prec, max = is_float ? 9 : 17, x;
    size_t k = 0, end;

    if (isnan(v)) {
        snprintf(t, tn, "NaN");
        return;
    }
    if (v == 0) {
        snprintf(t, tn, "%s0.0E0", signbit(v) ? "-" : "");
        return;
    }
    if (isinf(v)) {
        snprintf(t, tn, "%s", v > 0 ? "INF" : "-INF");
        return;
    }
    for (prec = 1; prec < max; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (is_float ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof e, "%.*e", prec - 1, v);
    /* e: [-]D[.DDD]e[+-]XX, the point as the locale writes it */
    m = e;
    if (*m == '-')
        t[k++] = *m++;
    t[k++] = *m++;
    t[k++] = '.';
    q = strchr(m, 'e');
    x = atoi(q + 1);
    while (m < q && !(*m >= '0' && *m <= '9'))
        m++; /* the decimal point */
    end = (size_t)(q - m);
    while (end > 0 && m[end - 1] == '0')
        end--;
    if (!end)
        t[k++] = '0';
    memcpy(t + k, m, end);
    k += end;
    snprintf(t + k, tn - k, "E%d", x);
}

static int alg_float(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                     size_t n, size_t k)
{
    char t[48];
    size_t i;
    int r = 0;

    if (n % k)
        return FI_EALGORITHM;
    for (i = 0; !r && i < n; i += k) {
        uint64_t v = be(p + i, k);
        if (k == 4) {
            uint32_t w = (uint32_t)v;
            float f;
            memcpy(&f, &w, 4);
            xsd_float(t, sizeof t, (double)f, 1);
        } else {
            double d;
            memcpy(&d, &v, 8);
            xsd_float(t, sizeof t, d, 0);
        }
        r = put_text(m, b, i > 0, t);
    }
    return r;
}

static int alg_uuid(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                    size_t n)
{
    char t[40];
    size_t i;
    int r = 0;

    if (n % 16)
        return FI_EALGORITHM;
    for (i = 0; !r && i < n; i += 16) {
        const uint8_t *u = p + i;
        snprintf(t, sizeof t,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
                 u[10], u[11], u[12], u[13], u[14], u[15]);
        r = put_text(m, b, i > 0, t);
    }
    return r;
}

int fi_algorithm_to_text(struct fi_mem *m, struct fi_buf *b, unsigned alg,
                         const uint8_t *p, size_t n)
{
    switch (alg) {
    case 1: return alg_hex(m, b, p, n);
    case 2: return alg_base64(m, b, p, n);
    case 3: return alg_ints(m, b, p, n, 2);
    case 4: return alg_ints(m, b, p, n, 4);
    case 5: return alg_ints(m, b, p, n, 8);
    case 6: return alg_bool(m, b, p, n);
    case 7: return alg_float(m, b, p, n, 4);
    case 8: return alg_float(m, b, p, n, 8);
    case 9: return alg_uuid(m, b, p, n);
    case 10:
        if (!fi_utf8_valid(p, n))
            return FI_EUTF8;
        return fi_buf_append(m, b, p, n);
    }
    return FI_EALGORITHM;
}

/* ---- hash map ---- */

uint32_t fi_hash(const void *k, size_t n)
{
    uint32_t h = ut_fnv1a32(k, n);

    return h ? h : 1;
}

static struct fi_map_slot *map_find(const struct fi_map *m, const void *k,
                                    size_t n, uint32_t h)
{
    size_t mask = m->cap - 1, i = h & mask;

    for (;; i = (i + 1) & mask) {
        struct fi_map_slot *s = &m->s[i];
        if (!s->hash)
            return s;
        if (s->hash == h && s->klen == n && !memcmp(s->k, k, n))
            return s;
    }
}

uint32_t fi_map_get(const struct fi_map *m, const void *k, size_t n)
{
    if (!m->n)
        return 0;
    return map_find(m, k, n, fi_hash(k, n))->idx;
}

static int map_rehash(struct fi_mem *mem, struct fi_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64, i;
    struct fi_map_slot *old = m->s, *s;
    size_t ocap = m->cap;

    s = fi_mem_alloc(mem, ncap * sizeof *s);
    if (!s)
        return fi_mem_why(mem, ncap * sizeof *s);
    memset(s, 0, ncap * sizeof *s);
    m->s = s;
    m->cap = ncap;
    for (i = 0; i < ocap; i++)
        if (old[i].hash)
            *map_find(m, old[i].k, old[i].klen, old[i].hash) = old[i];
    fi_mem_free(mem, old, ocap * sizeof *old);
    return FI_OK;
}

int fi_map_put(struct fi_mem *mem, struct fi_arena *a, struct fi_map *m,
               const void *k, size_t n, uint32_t idx)
{
    struct fi_map_slot *s;
    uint32_t h = fi_hash(k, n);
    int r;

    if ((m->n + 1) * 4 > m->cap * 3 && (r = map_rehash(mem, m)))
        return r;
    s = map_find(m, k, n, h);
    if (s->hash)
        return FI_OK; /* keep the first index */
    s->k = fi_arena_dup(mem, a, k, n);
    if (!s->k)
        return fi_mem_why(mem, n + 1);
    s->klen = (uint32_t)n;
    s->hash = h;
    s->idx = idx;
    m->n++;
    return FI_OK;
}

void fi_map_clear(struct fi_map *m)
{
    if (m->s)
        memset(m->s, 0, m->cap * sizeof *m->s);
    m->n = 0;
}

int fi_map_copy(struct fi_mem *mem, struct fi_map *dst,
                const struct fi_map *src)
{
    fi_map_free(mem, dst);
    if (!src->cap)
        return FI_OK;
    if (!(dst->s = fi_mem_alloc(mem, src->cap * sizeof *dst->s)))
        return fi_mem_why(mem, src->cap * sizeof *dst->s);
    memcpy(dst->s, src->s, src->cap * sizeof *dst->s);
    dst->cap = src->cap;
    dst->n = src->n;
    return FI_OK;
}

void fi_map_restore(struct fi_map *m, const struct fi_map *snap)
{
    if (m->cap == snap->cap) {
        if (m->cap)
            memcpy(m->s, snap->s, m->cap * sizeof *m->s);
        m->n = snap->n;
        return;
    }
    /* m grew since: its larger array takes the snapshot's entries again */
    fi_map_clear(m);
    for (size_t i = 0; i < snap->cap; i++)
        if (snap->s[i].hash)
            *map_find(m, snap->s[i].k, snap->s[i].klen, snap->s[i].hash) =
                snap->s[i];
    m->n = snap->n;
}

void fi_map_free(struct fi_mem *mem, struct fi_map *m)
{
    fi_mem_free(mem, m->s, m->cap * sizeof *m->s);
    m->s = NULL;
    m->cap = m->n = 0;
}
