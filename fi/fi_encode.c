/* fi_encode.c -- the Fast Infoset encoder.
 *
 * The encoder mirrors the decoder's tables: every string it sends as a
 * literal with the add-to-table bit gets the next index in a hash map, and
 * later uses of it are sent as that index.  Names are indexed twice, as
 * strings (prefix, namespace, local name) and as name surrogates.
 *
 * Terminators are four bits in X.891; two in a row share an octet (FF).
 * e->term counts a terminator nibble still to be written, so the next
 * item either completes it to F0 or another terminator makes it FF.
 * Character data is collected until the next structural event and sent
 * as one chunk, which is both smaller and lets typed content be chosen
 * for the whole text. */
#include "config.h"

#include "fi_internal.h"

#define NAME_KEY 12
#define MAX_ALPHAS 8

/* A restricted alphabet the encoder may use: the built-in ones and those
 * of the initial vocabulary (each at its last entry, see fi_vocab.c). */
struct enc_alpha {
    struct fi_str chars;
    unsigned idx;      /* table index, 1..256 */
    unsigned bits;     /* per character */
    uint64_t ascii[2]; /* which ASCII characters are in it */
    int wide;          /* has characters outside ASCII */
};

struct fi_encoder {
    struct fi_mem mem;
    struct fi_encoder_options opt;
    struct fi_buf out;
    struct fi_map map[FI_T_COUNT];
    uint32_t count[FI_T_COUNT];
    struct fi_arena keys; /* strings added by the current document */
    /* the tables as every document starts them (the built-in entries and
     * the initial vocabulary), restored by fi_encoder_reset */
    struct fi_map base[FI_T_COUNT];
    uint32_t base_count[FI_T_COUNT];
    struct fi_arena base_keys;
    int term;
    size_t depth;
    int started, err;
    size_t frame_start;
    struct fi_buf text;
    struct fi_buf tmp;
    struct enc_alpha alpha[MAX_ALPHAS];
    size_t nalpha;
};

#define TRY(x)                                                                 \
    do {                                                                       \
        int try_r_ = (x);                                                      \
        if (try_r_)                                                            \
            return try_r_;                                                     \
    } while (0)

static int out(fi_encoder *e, const void *p, size_t n)
{
    return fi_buf_append(&e->mem, &e->out, p, n);
}

static int out8(fi_encoder *e, uint8_t b)
{
    return out(e, &b, 1);
}

/* ---- tables ---- */

/* Adds a string or name to table t, its key copied into arena a. */
static int table_put(fi_encoder *e, struct fi_arena *a, int t, const void *k,
                     size_t n)
{
    if (e->count[t] >= e->mem.lim.max_table_entries)
        return FI_OK; /* full: the decoder still counts, we stop using it */
    e->count[t]++;
    return fi_map_put(&e->mem, a, &e->map[t], k, n, e->count[t]);
}

static int table_add(fi_encoder *e, int t, const void *k, size_t n)
{
    return table_put(e, &e->keys, t, k, n);
}

static void name_key(uint8_t k[NAME_KEY], uint32_t p, uint32_t n, uint32_t l)
{
    memcpy(k, &p, 4);
    memcpy(k + 4, &n, 4);
    memcpy(k + 8, &l, 4);
}

static int load_vocab(fi_encoder *e, const fi_vocab *v)
{
    uint8_t k[NAME_KEY];
    size_t i;
    int t;

    for (t = 0; t < FI_T_ELEMENT; t++)
        for (i = 0; i < v->n[t]; i++)
            TRY(table_put(e, &e->base_keys, t, v->s[t][i].ptr, v->s[t][i].len));
    for (t = FI_T_ELEMENT; t <= FI_T_ATTRIBUTE; t++)
        for (i = 0; i < v->n[t]; i++) {
            name_key(k, v->names[t][i].prefix, v->names[t][i].ns,
                     v->names[t][i].local);
            TRY(table_put(e, &e->base_keys, t, k, NAME_KEY));
        }
    return FI_OK;
}

/* Builds the tables every document starts with, once, and keeps a copy:
 * a reset restores the copy instead of loading the vocabulary again (for
 * one-stanza documents on a direct stream that reload was two thirds of
 * the encoding time). */
static int tables_init(fi_encoder *e)
{
    int t;

    TRY(table_put(e, &e->base_keys, FI_T_PREFIX, "xml", 3));
    TRY(table_put(e, &e->base_keys, FI_T_NS,
                  "http://www.w3.org/XML/1998/namespace", 36));
    if (e->opt.vocab)
        TRY(load_vocab(e, e->opt.vocab));
    for (t = 0; t < FI_T_COUNT; t++) {
        TRY(fi_map_copy(&e->mem, &e->base[t], &e->map[t]));
        e->base_count[t] = e->count[t];
    }
    return FI_OK;
}

static void tables_restore(fi_encoder *e)
{
    for (int t = 0; t < FI_T_COUNT; t++) {
        fi_map_restore(&e->map[t], &e->base[t]);
        e->count[t] = e->base_count[t];
    }
    fi_arena_reset(&e->mem, &e->keys);
}

/* ---- strings ---- */

/* IdentifyingStringOrIndex on the first bit; returns its index in *idx. */
static int put_ident(fi_encoder *e, int t, struct fi_str s, uint32_t *idx)
{
    uint32_t i = fi_map_get(&e->map[t], s.ptr, s.len);

    if (i) {
        if (idx)
            *idx = i;
        return fi_put_int2(&e->mem, &e->out, 0x80, i);
    }
    if (!s.len)
        return FI_EINVAL;
    if (!fi_utf8_valid((const uint8_t *)s.ptr, s.len))
        return FI_EUTF8;
    TRY(fi_put_len2(&e->mem, &e->out, 0x00, s.len));
    TRY(out(e, s.ptr, s.len));
    TRY(table_add(e, t, s.ptr, s.len));
    if (idx)
        *idx = fi_map_get(&e->map[t], s.ptr, s.len);
    return FI_OK;
}

static void alpha_add(fi_encoder *e, struct fi_str chars, unsigned idx)
{
    struct enc_alpha *a;
    size_t i, count = 0;

    for (i = 0; i < e->nalpha; i++)
        if (e->alpha[i].chars.len == chars.len &&
            !memcmp(e->alpha[i].chars.ptr, chars.ptr, chars.len)) {
            e->alpha[i].idx = idx; /* the last entry wins */
            return;
        }
    if (e->nalpha == MAX_ALPHAS || chars.len < 2 ||
        !fi_utf8_valid((const uint8_t *)chars.ptr, chars.len))
        return;
    a = &e->alpha[e->nalpha++];
    memset(a, 0, sizeof *a);
    a->chars = chars;
    a->idx = idx;
    for (i = 0; i < chars.len; i++) {
        uint8_t c = (uint8_t)chars.ptr[i];
        if (c < 0x80)
            a->ascii[c >> 6] |= (uint64_t)1 << (c & 63);
        else
            a->wide = 1;
        if ((c & 0xC0) != 0x80)
            count++;
    }
    a->bits = 1;
    while (((size_t)1 << a->bits) <= count)
        a->bits++;
}

/* Sorted by bits per character, the built-in ones first among equals. */
static void alphas_init(fi_encoder *e)
{
    const fi_vocab *v = e->opt.vocab;
    size_t i, j;

    e->nalpha = 0;
    alpha_add(e, fi_builtin_alphabets[0], 1);
    alpha_add(e, fi_builtin_alphabets[1], 2);
    for (i = 0; v && i < v->n[FI_T_ALPHABET] && i + 16 <= 256; i++)
        alpha_add(e, v->s[FI_T_ALPHABET][i], (unsigned)(i + 16));
    for (i = 1; i < e->nalpha; i++)
        for (j = i; j > 0 && e->alpha[j - 1].bits > e->alpha[j].bits; j--) {
            struct enc_alpha t = e->alpha[j];
            e->alpha[j] = e->alpha[j - 1];
            e->alpha[j - 1] = t;
        }
}

static int alpha_fits(const struct enc_alpha *a, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x80) {
            if (!(a->ascii[c >> 6] >> (c & 63) & 1))
                return 0;
            i++;
        } else {
            size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, j;
            if (!a->wide || i + k > n)
                return 0;
            for (j = 0; j + k <= a->chars.len; j++)
                if (!memcmp(a->chars.ptr + j, s + i, k))
                    break;
            if (j + k > a->chars.len)
                return 0;
            i += k;
        }
    }
    return 1;
}

/* Which restricted alphabet fits s (the fewest bits per character) when
 * typed output is on, or NULL. */
static const struct enc_alpha *pick_alphabet(const fi_encoder *e, const char *s,
                                             size_t n)
{
    size_t i;

    if (!e->opt.typed || n < 4)
        return NULL;
    for (i = 0; i < e->nalpha; i++)
        if (alpha_fits(&e->alpha[i], s, n))
            return &e->alpha[i];
    return NULL;
}

/* The octets of a literal string: UTF-8, UTF-16 or alphabet `alpha`. */
static int literal_octets(fi_encoder *e, const struct enc_alpha *alpha,
                          const char *s, size_t n, const uint8_t **p,
                          size_t *len)
{
    e->tmp.len = 0;
    if (alpha)
        TRY(fi_alphabet_encode(&e->mem, &e->tmp, alpha->chars, s, n));
    else if (e->opt.utf16)
        TRY(fi_utf8_to_utf16(&e->mem, &e->tmp, (const uint8_t *)s, n));
    else {
        *p = (const uint8_t *)s;
        *len = n;
        return FI_OK;
    }
    *p = e->tmp.p;
    *len = e->tmp.len;
    return FI_OK;
}

static int indexable(const fi_encoder *e, int t, size_t n)
{
    unsigned lim = e->opt.index_limit ? e->opt.index_limit : 32;

    if (t == FI_T_VALUE && e->opt.value_limit)
        lim = e->opt.value_limit;
    return n < lim && e->count[t] < e->mem.lim.max_table_entries;
}

/* typed: an attribute value of 24 or more characters in canonical
 * base64 (a caps hash, say) goes as its octets with the base64 algorithm,
 * added to the table as its text when short enough. */
static int put_value_base64(fi_encoder *e, struct fi_str s, int *done)
{
    struct fi_buf raw = {0};
    int r;

    *done = 0;
    int add = indexable(e, FI_T_VALUE, s.len);

    r = fi_base64_decode(&e->mem, &raw, s.ptr, s.len);
    if (r == 0) {
        /* literal, encoding algorithm, added like a short text */
        r = out8(e, add ? 0x70 : 0x30);
        if (!r && add)
            r = table_add(e, FI_T_VALUE, s.ptr, s.len);
        if (!r)
            r = fi_put_len5(&e->mem, &e->out, 0x10, raw.len); /* base64: 2 */
        if (!r)
            r = out(e, raw.p, raw.len);
        *done = 1;
    } else if (r > 0) {
        r = FI_OK;
    }
    fi_buf_free(&e->mem, &raw);
    return r;
}

/* NonIdentifyingStringOrIndex on the first bit (attribute values,
 * comments, PI data). */
static int put_nonid1(fi_encoder *e, int t, struct fi_str s)
{
    const struct enc_alpha *alpha;
    uint32_t i;
    const uint8_t *p;
    size_t n;
    int add;

    if (!s.len)
        return out8(e, 0xFF);
    if ((i = fi_map_get(&e->map[t], s.ptr, s.len)))
        return fi_put_int2(&e->mem, &e->out, 0x80, i);
    if (!fi_utf8_valid((const uint8_t *)s.ptr, s.len))
        return FI_EUTF8;
    alpha = t == FI_T_VALUE ? pick_alphabet(e, s.ptr, s.len) : NULL;
    /* base64 octets take 6 bits per character: better unless an alphabet
     * takes fewer */
    if (t == FI_T_VALUE && e->opt.typed && s.len >= 24 &&
        (!alpha || alpha->bits >= 6)) {
        int done;
        TRY(put_value_base64(e, s, &done));
        if (done)
            return FI_OK;
    }
    add = indexable(e, t, s.len);
    TRY(literal_octets(e, alpha, s.ptr, s.len, &p, &n));
    if (alpha) {
        unsigned a = alpha->idx - 1;
        TRY(out8(e, (uint8_t)((add ? 0x40 : 0) | 0x20 | (a >> 4))));
        TRY(fi_put_len5(&e->mem, &e->out, (uint8_t)((a & 15) << 4), n));
    } else {
        uint8_t first = (uint8_t)((add ? 0x40 : 0) | (e->opt.utf16 ? 0x10 : 0));
        TRY(fi_put_len5(&e->mem, &e->out, first, n));
    }
    TRY(out(e, p, n));
    return add ? table_add(e, t, s.ptr, s.len) : FI_OK;
}

/* A character chunk as an encoded literal (alphabet or algorithm). */
static int put_chunk_encoded(fi_encoder *e, unsigned enc, unsigned idx, int add,
                             const uint8_t *p, size_t n)
{
    uint8_t first =
        (uint8_t)(0x80 | (add ? 0x10 : 0) | enc << 2 | ((idx - 1) >> 6));

    TRY(out8(e, first));
    TRY(fi_put_len7(&e->mem, &e->out, (uint8_t)(((idx - 1) & 0x3F) << 2), n));
    return out(e, p, n);
}

static int put_chunk_base64(fi_encoder *e, const char *s, size_t n, int *done)
{
    struct fi_buf raw = {0};
    int r;

    *done = 0;
    if (!e->opt.typed || n < 64)
        return FI_OK;
    r = fi_base64_decode(&e->mem, &raw, s, n);
    if (r == 0) {
        r = put_chunk_encoded(e, 3, 2, 0, raw.p, raw.len);
        *done = 1;
    } else if (r > 0) {
        r = FI_OK;
    }
    fi_buf_free(&e->mem, &raw);
    return r;
}

/* A character chunk as a literal, or an index when already in the table. */
static int put_chunk_text(fi_encoder *e, const char *s, size_t n, int alpha_ok)
{
    const struct enc_alpha *alpha;
    uint32_t i;
    const uint8_t *p;
    size_t len;
    int add;

    if ((i = fi_map_get(&e->map[FI_T_CHUNK], s, n)))
        return fi_put_int4(&e->mem, &e->out, 0xA0, i);
    add = indexable(e, FI_T_CHUNK, n);
    alpha = alpha_ok ? pick_alphabet(e, s, n) : NULL;
    TRY(literal_octets(e, alpha, s, n, &p, &len));
    if (alpha)
        TRY(put_chunk_encoded(e, 2, alpha->idx, add, p, len));
    else {
        uint8_t first =
            (uint8_t)(0x80 | (add ? 0x10 : 0) | (e->opt.utf16 ? 0x04 : 0));
        TRY(fi_put_len7(&e->mem, &e->out, first, len));
        TRY(out(e, p, len));
    }
    return add ? table_add(e, FI_T_CHUNK, s, n) : FI_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* `words`: a text too long to be indexed whole is sent as one chunk per
 * word (the word and the white space after it), so that words repeated
 * across stanzas become indices; a word too long to be indexed joins the
 * literal that follows it.  The decoder sees the same characters (X.891
 * chunk boundaries carry no meaning). */
static int put_chunk_words(fi_encoder *e, const char *s, size_t n)
{
    unsigned lim = e->opt.index_limit ? e->opt.index_limit : 32;
    size_t i = 0, lit = 0, lit_len = 0;

    while (i < n) {
        size_t j = i;
        while (j < n && !is_space(s[j]))
            j++;
        while (j < n && is_space(s[j]))
            j++;
        if (j - i >= lim) {
            if (!lit_len)
                lit = i;
            lit_len = j - lit;
        } else {
            if (lit_len)
                TRY(put_chunk_text(e, s + lit, lit_len, 0));
            lit_len = 0;
            TRY(put_chunk_text(e, s + i, j - i, 0));
        }
        i = j;
    }
    return lit_len ? put_chunk_text(e, s + lit, lit_len, 0) : FI_OK;
}

static int put_chunk(fi_encoder *e, const char *s, size_t n)
{
    unsigned lim = e->opt.index_limit ? e->opt.index_limit : 32;
    const struct enc_alpha *alpha;
    int done;

    if (fi_map_get(&e->map[FI_T_CHUNK], s, n))
        return put_chunk_text(e, s, n, 1);
    if (!fi_utf8_valid((const uint8_t *)s, n))
        return FI_EUTF8;
    alpha = pick_alphabet(e, s, n);
    if (!alpha || alpha->bits >= 6) {
        TRY(put_chunk_base64(e, s, n, &done));
        if (done)
            return FI_OK;
    }
    if (e->opt.words && n >= lim && !alpha)
        return put_chunk_words(e, s, n);
    return put_chunk_text(e, s, n, 1);
}

/* ---- structure ---- */

static int flush_term(fi_encoder *e)
{
    if (!e->term)
        return FI_OK;
    e->term = 0;
    return out8(e, 0xF0);
}

static int put_term(fi_encoder *e)
{
    if (e->term) {
        e->term = 0;
        return out8(e, 0xFF);
    }
    e->term = 1;
    return FI_OK;
}

static int flush_text(fi_encoder *e)
{
    int r;

    if (!e->text.len)
        return FI_OK;
    TRY(flush_term(e));
    r = put_chunk(e, (const char *)e->text.p, e->text.len);
    e->text.len = 0;
    return r;
}

/* Before any item: pending text, then a pending terminator. */
static int prepare(fi_encoder *e)
{
    if (e->err)
        return e->err;
    if (!e->started)
        return FI_ESTATE;
    TRY(flush_text(e));
    return flush_term(e);
}

/* Name as index or literal; `first` holds the bits before it, `bit` is 2
 * (attributes) or 3 (elements). */
static int put_qname(fi_encoder *e, int t, const struct fi_qname *q,
                     uint8_t first, int bit)
{
    uint32_t pi = 0, ni = 0, li, i;
    uint8_t k[NAME_KEY];

    if (q->prefix.len && !q->ns.len)
        return FI_EINVAL;
    if (!q->local.len)
        return FI_EINVAL;
    li = fi_map_get(&e->map[FI_T_LOCAL], q->local.ptr, q->local.len);
    if (q->prefix.len)
        pi = fi_map_get(&e->map[FI_T_PREFIX], q->prefix.ptr, q->prefix.len);
    if (q->ns.len)
        ni = fi_map_get(&e->map[FI_T_NS], q->ns.ptr, q->ns.len);
    name_key(k, pi, ni, li);
    if (li && (pi || !q->prefix.len) && (ni || !q->ns.len) &&
        (i = fi_map_get(&e->map[t], k, NAME_KEY)))
        return bit == 2 ? fi_put_int2(&e->mem, &e->out, first, i)
                        : fi_put_int3(&e->mem, &e->out, first, i);
    TRY(out8(e, (uint8_t)(first | (bit == 2 ? 0x78 : 0x3C) |
                          (q->prefix.len ? 2 : 0) | (q->ns.len ? 1 : 0))));
    if (q->prefix.len)
        TRY(put_ident(e, FI_T_PREFIX, q->prefix, &pi));
    if (q->ns.len)
        TRY(put_ident(e, FI_T_NS, q->ns, &ni));
    TRY(put_ident(e, FI_T_LOCAL, q->local, &li));
    name_key(k, pi, ni, li);
    if (fi_map_get(&e->map[t], k, NAME_KEY))
        return FI_OK;
    return table_add(e, t, k, NAME_KEY);
}

static int put_nsdecls(fi_encoder *e, const struct fi_nsdecl *ns, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t b = (uint8_t)(0xCC | (ns[i].prefix.len ? 2 : 0) |
                              (ns[i].ns.len ? 1 : 0));
        TRY(out8(e, b));
        if (ns[i].prefix.len)
            TRY(put_ident(e, FI_T_PREFIX, ns[i].prefix, NULL));
        if (ns[i].ns.len)
            TRY(put_ident(e, FI_T_NS, ns[i].ns, NULL));
    }
    return out8(e, 0xF0);
}

static int open_frame(fi_encoder *e)
{
    static const uint8_t gap[5];

    e->frame_start = e->out.len;
    return out(e, gap, sizeof gap);
}

static void close_frame(fi_encoder *e)
{
    size_t body = e->out.len - e->frame_start - 5;
    uint8_t h[5];
    size_t k = fi_frame_put(h, body);

    memcpy(e->out.p + e->frame_start, h, k);
    memmove(e->out.p + e->frame_start + k, e->out.p + e->frame_start + 5, body);
    e->out.len -= 5 - k;
}

static int start_element(fi_encoder *e, const struct fi_qname *name,
                         const struct fi_nsdecl *ns, size_t nns,
                         const struct fi_attr *attrs, size_t nattrs)
{
    uint8_t first = nattrs ? 0x40 : 0;
    size_t i;

    TRY(prepare(e));
    if (e->depth >= e->mem.lim.max_depth)
        return FI_ELIMIT;
    if (e->opt.stream && !e->depth)
        TRY(open_frame(e));
    if (nns) {
        TRY(out8(e, (uint8_t)(first | 0x38)));
        TRY(put_nsdecls(e, ns, nns));
        first = 0;
    }
    TRY(put_qname(e, FI_T_ELEMENT, name, first, 3));
    for (i = 0; i < nattrs; i++) {
        TRY(put_qname(e, FI_T_ATTRIBUTE, &attrs[i].name, 0, 2));
        TRY(put_nonid1(e, FI_T_VALUE, attrs[i].value));
    }
    if (nattrs)
        e->term = 1;
    e->depth++;
    return FI_OK;
}

static int end_element(fi_encoder *e)
{
    if (e->err)
        return e->err;
    if (!e->depth)
        return FI_ESTATE;
    TRY(flush_text(e));
    TRY(put_term(e));
    e->depth--;
    if (e->opt.stream && !e->depth) {
        TRY(flush_term(e));
        close_frame(e);
    }
    return FI_OK;
}

/* Records the first error: the encoder refuses to go on after it. */
static int sticky(fi_encoder *e, int r)
{
    if (r < 0 && !e->err)
        e->err = r;
    return r;
}

int fi_encoder_start_element(fi_encoder *e, const struct fi_qname *name,
                             const struct fi_nsdecl *ns, size_t nns,
                             const struct fi_attr *attrs, size_t nattrs)
{
    return sticky(e, start_element(e, name, ns, nns, attrs, nattrs));
}

int fi_encoder_end_element(fi_encoder *e)
{
    return sticky(e, end_element(e));
}

int fi_encoder_characters(fi_encoder *e, const char *text, size_t len)
{
    if (e->err)
        return e->err;
    if (!e->started || (!e->depth && !e->opt.stream))
        return len ? sticky(e, FI_ESTATE) : FI_OK;
    if (!e->depth)
        return FI_OK; /* stream mode: white space between stanzas */
    if (e->text.len + len > e->mem.lim.max_string)
        return sticky(e, FI_ELIMIT);
    return sticky(e, fi_buf_append(&e->mem, &e->text, text, len));
}

/* In stream mode a top-level item other than an element is a frame of
 * its own. */
static int begin_item(fi_encoder *e)
{
    TRY(prepare(e));
    return e->opt.stream && !e->depth ? open_frame(e) : FI_OK;
}

static int end_item(fi_encoder *e, int r)
{
    if (!r && e->opt.stream && !e->depth)
        close_frame(e);
    return sticky(e, r);
}

int fi_encoder_octets(fi_encoder *e, const uint8_t *data, size_t len)
{
    int r;

    if (!e->depth)
        return sticky(e, FI_ESTATE);
    r = prepare(e);
    if (!r && len)
        r = put_chunk_encoded(e, 3, 2, 0, data, len);
    return sticky(e, r);
}

int fi_encoder_comment(fi_encoder *e, const char *text, size_t len)
{
    int r = begin_item(e);

    if (!r)
        r = out8(e, 0xE2);
    if (!r)
        r = put_nonid1(e, FI_T_OTHER, (struct fi_str){text, len});
    return end_item(e, r);
}

int fi_encoder_pi(fi_encoder *e, struct fi_str target, struct fi_str data)
{
    int r = begin_item(e);

    if (!r)
        r = out8(e, 0xE1);
    if (!r)
        r = put_ident(e, FI_T_NCNAME, target, NULL);
    if (!r)
        r = put_nonid1(e, FI_T_OTHER, data);
    return end_item(e, r);
}

static int put_header(fi_encoder *e)
{
    static const uint8_t id[4] = {0xE0, 0x00, 0x00, 0x01};
    const char *uri = e->opt.vocab ? fi_vocab_uri(e->opt.vocab) : NULL;

    TRY(out(e, id, 4));
    if (!uri)
        return out8(e, 0x00);
    TRY(out8(e, 0x20));         /* initial vocabulary present */
    TRY(out(e, "\x10\x00", 2)); /* ... with an external vocabulary only */
    TRY(fi_put_len2(&e->mem, &e->out, 0x00, strlen(uri)));
    return out(e, uri, strlen(uri));
}

int fi_encoder_start_document(fi_encoder *e)
{
    int r;

    if (e->err)
        return e->err;
    if (e->started)
        return FI_ESTATE;
    if (e->opt.stream && (r = open_frame(e)))
        return sticky(e, r);
    if ((r = put_header(e)))
        return sticky(e, r);
    if (e->opt.stream)
        close_frame(e);
    e->started = 1;
    return FI_OK;
}

int fi_encoder_end_document(fi_encoder *e)
{
    int r;

    if (e->err)
        return e->err;
    if (!e->started || e->depth)
        return FI_ESTATE;
    if ((r = flush_text(e)))
        return sticky(e, r);
    if (e->opt.stream && (r = open_frame(e)))
        return sticky(e, r);
    r = put_term(e);
    if (!r)
        r = flush_term(e);
    if (!r && e->opt.stream)
        close_frame(e);
    e->started = 0;
    return sticky(e, r);
}

void fi_encoder_output(const fi_encoder *e, const uint8_t **data, size_t *len)
{
    *data = e->out.p;
    *len = e->out.len;
}

void fi_encoder_consume(fi_encoder *e, size_t n)
{
    if (n > e->out.len)
        n = e->out.len;
    memmove(e->out.p, e->out.p + n, e->out.len - n);
    e->out.len -= n;
}

void fi_encoder_reset(fi_encoder *e)
{
    e->out.len = e->text.len = 0;
    e->term = 0;
    e->depth = 0;
    e->started = 0;
    e->err = 0;
    tables_restore(e);
}

int fi_encoder_new(fi_ctx *ctx, const struct fi_encoder_options *opt,
                   fi_encoder **out)
{
    struct fi_mem m;
    fi_encoder *e;
    int rc;

    *out = NULL;
    fi_mem_init(&m, ctx);
    e = fi_mem_alloc(&m, sizeof *e);
    if (!e)
        return fi_mem_why(&m, sizeof *e);
    memset(e, 0, sizeof *e);
    e->mem = m;
    if (opt)
        e->opt = *opt;
    alphas_init(e);
    if ((rc = tables_init(e)) != FI_OK) {
        fi_encoder_free(e);
        return rc;
    }
    *out = e;
    return FI_OK;
}

void fi_encoder_free(fi_encoder *e)
{
    int t;

    if (!e)
        return;
    for (t = 0; t < FI_T_COUNT; t++) {
        fi_map_free(&e->mem, &e->map[t]);
        fi_map_free(&e->mem, &e->base[t]);
    }
    fi_arena_free(&e->mem, &e->keys);
    fi_arena_free(&e->mem, &e->base_keys);
    fi_buf_free(&e->mem, &e->out);
    fi_buf_free(&e->mem, &e->text);
    fi_buf_free(&e->mem, &e->tmp);
    e->mem.a.free(e, e->mem.a.ud);
}

/* ---- the encoder as an event handler ---- */

static int h_start_document(void *ud)
{
    return fi_encoder_start_document(ud) != 0;
}
static int h_end_document(void *ud)
{
    return fi_encoder_end_document(ud) != 0;
}
static int h_start_element(void *ud, const struct fi_qname *name,
                           const struct fi_nsdecl *ns, size_t nns,
                           const struct fi_attr *attrs, size_t nattrs)
{
    return fi_encoder_start_element(ud, name, ns, nns, attrs, nattrs) != 0;
}
static int h_end_element(void *ud, const struct fi_qname *name)
{
    (void)name;
    return fi_encoder_end_element(ud) != 0;
}
static int h_characters(void *ud, const char *s, size_t n)
{
    return fi_encoder_characters(ud, s, n) != 0;
}
static int h_comment(void *ud, const char *s, size_t n)
{
    return fi_encoder_comment(ud, s, n) != 0;
}
static int h_pi(void *ud, struct fi_str target, struct fi_str data)
{
    return fi_encoder_pi(ud, target, data) != 0;
}

static const struct fi_handler encoder_handler = {
    .start_document = h_start_document,
    .end_document = h_end_document,
    .start_element = h_start_element,
    .end_element = h_end_element,
    .characters = h_characters,
    .comment = h_comment,
    .pi = h_pi,
};

const struct fi_handler *fi_encoder_handler(void)
{
    return &encoder_handler;
}

int fi_encoder_error(const fi_encoder *e)
{
    return e->err;
}

void fi_encoder_ctx(const fi_encoder *e, fi_ctx *out)
{
    out->a = e->mem.a;
    out->lim = e->mem.lim;
}
