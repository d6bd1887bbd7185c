/* test_fi.c -- the Fast Infoset codec: reference vectors, incremental
 * feeding, encoder round trips (per document and stream mode), built-in
 * alphabets and algorithms, hostile input, limits, allocation failures. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fi.h"
#include "test_fi_util.h"

static struct tf_file *files;
static size_t nfiles;

static void load(void)
{
    nfiles = tf_load_xml(&files);
    cr_assert_gt(nfiles, 10, "no test vectors in tests/data/fi (OB_SRCDIR?)");
}

static void unload(void)
{
    tf_free_files(files, nfiles);
}

TestSuite(fi, .init = load, .fini = unload, .timeout = 480);

static const char *const variants[] = {".fi", ".typed.fi", ".utf16.fi"};

/* Decodes data in chunks and checks the infoset against want. */
static void check_decode(const char *what, const void *fi, size_t len,
                         size_t chunk, const char *want)
{
    int err = 0;
    char *got = tf_infoset_fi(fi, len, chunk, 0, &err);

    cr_assert_eq(err, FI_OK, "%s (chunk %zu): %s", what, chunk,
                 fi_strerror(err));
    cr_assert_str_eq(got, want, "%s (chunk %zu): infoset differs", what, chunk);
    free(got);
}

Test(fi, reference_vectors_whole_and_bytewise)
{
    size_t i, v, count = 0;

    for (i = 0; i < nfiles; i++) {
        char *want = tf_infoset_xml(files[i].xml, files[i].xml_len);
        cr_assert(want, "%s.xml does not parse", files[i].name);
        for (v = 0; v < 3; v++) {
            size_t n;
            char *fi = tf_slurp(tf_path(files[i].name, variants[v]), &n);
            if (!fi)
                continue;
            check_decode(files[i].name, fi, n, 0, want);
            check_decode(files[i].name, fi, n, 1, want);
            check_decode(files[i].name, fi, n, 7, want);
            free(fi);
            count++;
        }
        free(want);
    }
    cr_assert_gt(count, nfiles);
}

/* Two feeds, split at every byte boundary. */
Test(fi, reference_vectors_every_split)
{
    size_t i, k;

    for (i = 0; i < nfiles; i++) {
        size_t n;
        char *fi = tf_slurp(tf_path(files[i].name, ".fi"), &n);
        char *want = tf_infoset_xml(files[i].xml, files[i].xml_len);
        fi_ctx *ctx;
        fi_infoset *s;
        fi_decoder *d;

        cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
        cr_assert_eq(fi_infoset_new(ctx, &s), FI_OK);
        cr_assert_eq(fi_decoder_new(ctx, fi_infoset_handler(), s, 0, &d),
                     FI_OK);
        for (k = 0; fi && k <= n; k++) {
            const char *t;
            size_t tl;
            int r1, r2;
            fi_decoder_reset(d);
            fi_infoset_reset(s);
            r1 = fi_decoder_feed(d, fi, k, 0);
            r2 = fi_decoder_feed(d, fi + k, n - k, 1);
            cr_assert(r1 == FI_MORE || (k == n && r1 == FI_OK),
                      "%s split %zu: %d", files[i].name, k, r1);
            cr_assert_eq(r2, FI_OK, "%s split %zu: %s", files[i].name, k,
                         fi_strerror(r2));
            fi_infoset_output(s, &t, &tl);
            cr_assert(tl == strlen(want) && !memcmp(t, want, tl),
                      "%s split %zu: infoset differs", files[i].name, k);
        }
        fi_decoder_free(d);
        fi_infoset_free(s);
        fi_ctx_free(ctx);
        free(fi);
        free(want);
    }
}

/* ---- encoder ---- */

static uint8_t *encode(const char *xml, size_t len,
                       const struct fi_encoder_options *o, size_t *out_len)
{
    fi_ctx *ctx;
    fi_encoder *e;
    const uint8_t *p;
    uint8_t *r;
    int rc;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_encoder_new(ctx, o, &e), FI_OK);
    rc = fi_xml_to_fi(e, xml, len);
    cr_assert_eq(rc, FI_OK, "encode: %s", fi_strerror(rc));
    fi_encoder_output(e, &p, out_len);
    r = malloc(*out_len);
    memcpy(r, p, *out_len);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
    return r;
}

/* A reset encoder encodes a document exactly as a new one does: the
 * tables go back to the built-in entries and the vocabulary, whatever the
 * document before added (here enough names to grow every table). */
Test(fi, reset_encoder_equals_a_new_one)
{
    struct fi_encoder_options o = {.vocab = fi_vocab_xmpp()};
    const char *b = "<message xmlns='jabber:client' to='a@b/c' type='chat'>"
                    "<body>hello</body><x xmlns='urn:y' k='v'>w</x></message>";
    char big[65536] = "<r xmlns='jabber:client'>";
    fi_ctx *ctx;
    fi_encoder *e;
    size_t want_len, got_len;
    uint8_t *want = encode(b, strlen(b), &o, &want_len);
    const uint8_t *got;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_encoder_new(ctx, &o, &e), FI_OK);
    for (int i = 0; i < 600; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big),
                 "<e%d xmlns='urn:n%d' a%d='v%d'>t%d</e%d>", i, i, i, i, i, i);
    strcat(big, "</r>");
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(fi_xml_to_fi(e, big, strlen(big)), FI_OK);
        fi_encoder_reset(e);
        cr_assert_eq(fi_xml_to_fi(e, b, strlen(b)), FI_OK);
        fi_encoder_output(e, &got, &got_len);
        cr_assert_eq(got_len, want_len, "round %d", round);
        cr_assert_eq(memcmp(got, want, want_len), 0, "round %d", round);
        fi_encoder_reset(e);
    }
    free(want);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
}

Test(fi, encoder_round_trip_all_options)
{
    struct fi_encoder_options opts[] = {
        {0},
        {.typed = 1},
        {.vocab = fi_vocab_xmpp()},
        {.utf16 = 1},
        {.vocab = fi_vocab_xmpp(), .typed = 1, .index_limit = 64},
        {.vocab = fi_vocab_xmpp(), .typed = 1, .words = 1},
        {.words = 1, .index_limit = 4},
    };
    size_t i, o;

    for (i = 0; i < nfiles; i++) {
        char *want = tf_infoset_xml(files[i].xml, files[i].xml_len);
        for (o = 0; o < sizeof opts / sizeof opts[0]; o++) {
            size_t n;
            uint8_t *fi = encode(files[i].xml, files[i].xml_len, &opts[o], &n);
            check_decode(files[i].name, fi, n, 0, want);
            check_decode(files[i].name, fi, n, 1, want);
            free(fi);
        }
        free(want);
    }
}

/* Stream mode: all documents as stanzas of one framed stream. */
Test(fi, stream_mode_frames)
{
    struct fi_encoder_options o = {
        .vocab = fi_vocab_xmpp(), .typed = 1, .stream = 1, .words = 1};
    fi_ctx *ctx;
    fi_encoder *e;
    fi_infoset *s;
    fi_decoder *d;
    size_t want_len = 0, i, n, pos = 0, frames = 0;
    char *want = calloc(1, 1);
    const uint8_t *p;
    const char *t;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_encoder_new(ctx, &o, &e), FI_OK);
    cr_assert_eq(fi_infoset_new(ctx, &s), FI_OK);
    cr_assert_eq(
        fi_decoder_new(ctx, fi_infoset_handler(), s, FI_DEC_STREAM, &d), FI_OK);
    cr_assert_eq(fi_encoder_start_document(e), FI_OK);
    for (i = 0; i < nfiles; i++) {
        char *w = tf_infoset_xml(files[i].xml, files[i].xml_len);
        cr_assert_eq(fi_xml_parse(ctx, files[i].xml, files[i].xml_len,
                                  fi_encoder_handler(), e, NULL),
                     FI_OK);
        want = realloc(want, want_len + strlen(w) + 1);
        strcpy(want + want_len, w);
        want_len += strlen(w);
        free(w);
    }
    cr_assert_eq(fi_encoder_end_document(e), FI_OK);
    fi_encoder_output(e, &p, &n);
    while (pos < n) {
        size_t flen;
        int h = fi_frame_header(p + pos, n - pos, &flen);
        int r;
        cr_assert_gt(h, 0, "frame header at %zu", pos);
        pos += (size_t)h;
        cr_assert_leq(flen, n - pos);
        r = fi_decoder_feed(d, p + pos, flen, 0);
        cr_assert(r == FI_MORE || r == FI_OK, "frame %zu: %s", frames,
                  fi_strerror(r));
        pos += flen;
        frames++;
    }
    cr_assert_geq(frames, nfiles + 2); /* header, stanzas, comments, end */
    cr_assert_eq(fi_decoder_feed(d, NULL, 0, 1), FI_OK);
    fi_infoset_output(s, &t, &n);
    cr_assert(n == want_len && !memcmp(t, want, n), "stream infoset differs");
    free(want);
    fi_decoder_free(d);
    fi_infoset_free(s);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
}

Test(fi, stream_mode_is_smaller_than_documents)
{
    struct fi_encoder_options o = {.vocab = fi_vocab_xmpp(), .stream = 1};
    fi_ctx *ctx;
    fi_encoder *e;
    size_t i, docs = 0, xml = 0, n;
    const uint8_t *p;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_encoder_new(ctx, &o, &e), FI_OK);
    fi_encoder_start_document(e);
    for (i = 0; i < nfiles; i++) {
        size_t dn;
        free(encode(files[i].xml, files[i].xml_len,
                    &(struct fi_encoder_options){0}, &dn));
        docs += dn;
        xml += files[i].xml_len;
        fi_xml_parse(ctx, files[i].xml, files[i].xml_len, fi_encoder_handler(),
                     e, NULL);
    }
    fi_encoder_end_document(e);
    fi_encoder_output(e, &p, &n);
    cr_assert_lt(n, docs);
    cr_assert_lt(docs, xml);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
}

/* words: a long text becomes one chunk per word, repeated words are
 * indices; typed: a long canonical base64 attribute value goes as octets. */
Test(fi, words_and_base64_values)
{
    const char *xml =
        "<m v='n3CnFbCfgiI2FeCILjspOEQgaHg='><b>the build is the build and "
        "the build  is\tgreen\n</b><b>the build is the build and the build "
        "is green again, again</b></m>";
    size_t plain_n, n;
    uint8_t *plain =
        encode(xml, strlen(xml), &(struct fi_encoder_options){0}, &plain_n);
    uint8_t *fi =
        encode(xml, strlen(xml),
               &(struct fi_encoder_options){.words = 1, .typed = 1}, &n);
    char *want = tf_infoset_xml(xml, strlen(xml));

    check_decode("words", fi, n, 0, want);
    check_decode("words", fi, n, 1, want);
    cr_assert_lt(n, plain_n, "words: %zu vs %zu octets", n, plain_n);
    /* the value: literal, added, algorithm 2 (base64), 20 octets */
    cr_assert(memmem(fi, n, "\x70\x18\x0b\x9f\x70", 5) != NULL);
    free(want);
    free(fi);
    free(plain);
}

/* Many distinct names and values: every integer form of every width. */
Test(fi, large_tables_use_every_index_form)
{
    size_t cap = 1 << 22, len = 0, i, n;
    char *xml = malloc(cap);
    uint8_t *fi;
    char *want;
    int rep;

    len += (size_t)sprintf(xml + len, "<r>");
    for (rep = 0; rep < 2; rep++)
        for (i = 0; i < 9000; i++)
            len += (size_t)sprintf(xml + len, "<e%zu a%zu='v%zu'>t%zu</e%zu>",
                                   i % 3000, i, i, i, i % 3000);
    len += (size_t)sprintf(xml + len, "</r>");
    want = tf_infoset_xml(xml, len);
    fi = encode(xml, len, &(struct fi_encoder_options){0}, &n);
    check_decode("large", fi, n, 0, want);
    check_decode("large", fi, n, 4093, want);
    free(fi);
    free(want);
    free(xml);
}

/* ---- handmade documents: algorithms, alphabets, errors ---- */

struct doc {
    uint8_t b[512];
    size_t n;
};

static void put(struct doc *d, const void *p, size_t n)
{
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

/* <a>CHUNK</a>: header, literal name "a", the chunk bytes, FF. */
static void doc_with_chunk(struct doc *d, const uint8_t *chunk, size_t n)
{
    static const uint8_t head[] = {0xE0, 0, 0, 1, 0, 0x3C, 0x00, 'a'};

    d->n = 0;
    put(d, head, sizeof head);
    put(d, chunk, n);
    put(d, "\xFF", 1);
}

/* A chunk literal in encoding `enc` (2 alphabet, 3 algorithm). */
static void encoded_chunk(struct doc *d, unsigned enc, unsigned idx,
                          const uint8_t *data, size_t n)
{
    uint8_t c[300];
    size_t k = 0;

    c[k++] = (uint8_t)(0x80 | enc << 2 | (idx - 1) >> 6);
    if (n <= 2)
        c[k++] = (uint8_t)(((idx - 1) & 0x3F) << 2 | (n - 1));
    else {
        c[k++] = (uint8_t)(((idx - 1) & 0x3F) << 2 | 2);
        c[k++] = (uint8_t)(n - 3);
    }
    memcpy(c + k, data, n);
    doc_with_chunk(d, c, k + n);
}

struct algo_case {
    unsigned enc, idx;
    const char *data;
    size_t n;
    int err;
    const char *text;
};

static const struct algo_case algo_cases[] = {
    {3, 1, "\x12\xAB", 2, 0, "12AB"},
    {3, 2, "hello", 5, 0, "aGVsbG8="},
    {3, 3, "\xFF\xFE\x00\x05", 4, 0, "-2 5"},
    {3, 3, "\xFF\xFE\x00", 3, FI_EALGORITHM, NULL},
    {3, 4, "\x00\x00\x01\x00", 4, 0, "256"},
    {3, 5, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8, 0, "-1"},
    {3, 6, "\x3A", 1, 0, "true"},
    {3, 6, "\x04", 1, 0, "false true false false"},
    {3, 6, "\xF0", 1, FI_EALGORITHM, NULL},
    /* float and double: XML Schema canonical form */
    {3, 7, "\x3F\x80\x00\x00", 4, 0, "1.0E0"},
    {3, 7, "\x42\xC8\x00\x00", 4, 0, "1.0E2"},
    {3, 7, "\x3D\xCC\xCC\xCD", 4, 0, "1.0E-1"},
    {3, 7, "\xC0\x20\x00\x00\x3F\xC0\x00\x00", 8, 0, "-2.5E0 1.5E0"},
    {3, 7, "\x7F\x7F\xFF\xFF", 4, 0, "3.4028235E38"},
    {3, 7, "\x00\x00\x00\x01", 4, 0, "1.0E-45"},
    {3, 7, "\x00\x00\x00\x00\x80\x00\x00\x00", 8, 0, "0.0E0 -0.0E0"},
    {3, 7, "\x7F\x80\x00\x00\xFF\x80\x00\x00\x7F\xC0\x00\x00", 12, 0,
     "INF -INF NaN"},
    {3, 7, "\x3F\x80\x00", 3, FI_EALGORITHM, NULL},
    {3, 8, "\x40\x00\x00\x00\x00\x00\x00\x00", 8, 0, "2.0E0"},
    {3, 8, "\x3F\xB9\x99\x99\x99\x99\x99\x9A", 8, 0, "1.0E-1"},
    {3, 8, "\x41\x9D\x6F\x34\x54\x80\x00\x00", 8, 0, "1.23456789125E8"},
    {3, 8, "\x00\x00\x00\x00\x00\x00\x00\x01", 8, 0, "5.0E-324"},
    {3, 8, "\x7F\xEF\xFF\xFF\xFF\xFF\xFF\xFF", 8, 0, "1.7976931348623157E308"},
    {3, 8, "\xC0\x5E\xDD\x2F\x1A\x9F\xBE\x77", 8, 0, "-1.23456E2"},
    {3, 8, "\x7F\xF8\x00\x00\x00\x00\x00\x00\xFF\xF0\x00\x00\x00\x00\x00\x00",
     16, 0, "NaN -INF"},
    {3, 9, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
     16, 0, "00010203-0405-0607-0809-0a0b0c0d0e0f"},
    {3, 10, "a<b", 3, 0, "a<b"},
    {3, 10, "\xC3\x28", 2, FI_EUTF8, NULL},
    {3, 11, "xx", 2, FI_EALGORITHM, NULL},
    {3, 32, "xx", 2, FI_EALGORITHM, NULL},
    {2, 1, "\x12\xC5", 2, 0, "12.5"},
    {2, 2, "\x20\x24\xC1\x2D", 4, 0, "2024T12Z"},
    {2, 1, "\x1F\x2F", 2, FI_EALPHABET, NULL},
    {2, 3, "\x12", 1, FI_EALPHABET, NULL},
    {2, 16, "\x12", 1, FI_EALPHABET, NULL},
};

Test(fi, builtin_algorithms_and_alphabets)
{
    size_t i;

    for (i = 0; i < sizeof algo_cases / sizeof algo_cases[0]; i++) {
        const struct algo_case *c = &algo_cases[i];
        struct doc d;
        int err;
        char *got, want[256];

        encoded_chunk(&d, c->enc, c->idx, (const uint8_t *)c->data, c->n);
        got = tf_infoset_fi(d.b, d.n, 0, 0, &err);
        if (c->err) {
            cr_assert_eq(err, c->err, "case %zu: got %s", i, fi_strerror(err));
            continue;
        }
        cr_assert_eq(err, FI_OK, "case %zu: %s", i, fi_strerror(err));
        snprintf(want, sizeof want, "E \"\" a \"\"\nT %s\n/\n", c->text);
        if (strchr(c->text, ' ')) {
            char esc[200];
            size_t k = 0;
            for (const char *s = c->text; *s; s++)
                k += (size_t)(*s == ' ' ? sprintf(esc + k, "\\s")
                                        : sprintf(esc + k, "%c", *s));
            snprintf(want, sizeof want, "E \"\" a \"\"\nT %s\n/\n", esc);
        }
        cr_assert_str_eq(got, want, "case %zu", i);
        free(got);
    }
}

/* An application alphabet declared in the document's initial vocabulary. */
Test(fi, application_alphabet_from_initial_vocabulary)
{
    static const uint8_t doc[] = {
        0xE0, 0,    0,    1,   0x20, /* initial vocabulary present */
        0x08, 0x00,                  /* ... restricted alphabets */
        0x00, 0x01, 'a',  'b',       /* one: "ab" */
        0x3C, 0x00, 'x',             /* <x> */
        0x88, 0x3C, 0x14,            /* alphabet 16, 1 octet: abba */
        0xFF,
    };
    int err;
    char *got = tf_infoset_fi(doc, sizeof doc, 1, 0, &err);

    cr_assert_eq(err, FI_OK, "%s", fi_strerror(err));
    cr_assert_str_eq(got, "E \"\" x \"\"\nT abba\n/\n");
    free(got);
}

struct octets_seen {
    unsigned alg;
    size_t n;
};

static int on_octets(void *ud, unsigned alg, const uint8_t *data, size_t n)
{
    struct octets_seen *s = ud;

    s->alg = alg;
    s->n += n;
    return data[0] != 0xFB; /* the first octet of the payload below */
}

Test(fi, base64_payload_travels_as_octets)
{
    char xml[512];
    struct fi_encoder_options o = {.typed = 1};
    struct fi_handler h = {.octets = on_octets};
    struct octets_seen seen = {0};
    fi_ctx *ctx;
    fi_decoder *d;
    uint8_t *fi;
    size_t n;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_decoder_new(ctx, &h, &seen, 0, &d), FI_OK);
    /* 96 base64 characters of 72 octets 0xFB.. */
    snprintf(xml, sizeof xml, "<data xmlns='urn:x'>%s</data>",
             "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7"
             "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7");
    fi = encode(xml, strlen(xml), &o, &n);
    cr_assert_lt(n, strlen(xml) - 20);
    cr_assert_eq(fi_decoder_feed(d, fi, n, 1), FI_OK);
    cr_assert_eq(seen.alg, 2);
    cr_assert_eq(seen.n, 72);
    free(fi);
    fi_decoder_free(d);
    fi_ctx_free(ctx);
}

struct bad_case {
    const char *name;
    const char *bytes;
    size_t n;
    int err;
    uint64_t offset;
};

static const struct bad_case bad_cases[] = {
    {"bad magic", "\xE0\x00\x00\x02\x00", 5, FI_ESYNTAX, 0},
    {"no element", "\xE0\x00\x00\x01\x00\xF0", 6, FI_ESYNTAX, 5},
    {"element index out of range", "\xE0\x00\x00\x01\x00\x04\xF0", 7, FI_EINDEX,
     5},
    {"local name index 0 range", "\xE0\x00\x00\x01\x00\x3C\x85\xF0", 8,
     FI_EINDEX, 5},
    {"bad utf-8 name", "\xE0\x00\x00\x01\x00\x3C\x00\xC3\xFF", 9, FI_EUTF8, 5},
    {"odd utf-16", "\xE0\x00\x00\x01\x00\x3C\x00x\x84\x00\x41\xFF", 12,
     FI_EUTF16, 8},
    {"truncated", "\xE0\x00\x00\x01\x00\x3C\x00", 7, FI_ETRUNCATED, 7},
    {"huge length", "\xE0\x00\x00\x01\x00\x3C\x60\x7F\xFF\xFF\xFF", 11,
     FI_ELIMIT, 5},
    {"trailing", "\xE0\x00\x00\x01\x00\x3C\x00x\xFF\x00", 10, FI_ETRAILING, 9},
    {"unknown vocabulary", "\xE0\x00\x00\x01\x20\x10\x00\x02urn", 11, FI_EVOCAB,
     7},
    {"text at top", "\xE0\x00\x00\x01\x00\x80\x41", 7, FI_ESYNTAX, 5},
    {"two roots", "\xE0\x00\x00\x01\x00\x3C\x00x\xF0\x00\xF0", 11, FI_ESYNTAX,
     9},
    {"prefix without namespace", "\xE0\x00\x00\x01\x00\x3E\x00p\x00x\xFF", 11,
     FI_ESYNTAX, 5},
    /* <x b="v" b="v"/>: the second attribute literal, then indexed */
    {"duplicate attribute",
     "\xE0\x00\x00\x01\x00\x7C\x00x\x78\x00"
     "b\x00v\x78\x00"
     "b\x00v\xF0\xFF",
     20, FI_EDUPLICATE, 13},
    {"duplicate attribute by index",
     "\xE0\x00\x00\x01\x00\x7C\x00x\x78\x00"
     "b\x00v\x00\x00w\xF0\xFF",
     18, FI_EDUPLICATE, 13},
    /* b and {urn:n}b are different names; then {urn:n}b again */
    {"duplicate namespaced attribute",
     "\xE0\x00\x00\x01\x00\x7C\x00x\x78\x00"
     "b\x00v"
     "\x79\x04urn:n\x00"
     "b\x00v\x01\x00w\xF0\xFF",
     29, FI_EDUPLICATE, 24},
};

Test(fi, hostile_documents_fail_with_offset_and_stick)
{
    size_t i;

    for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        fi_ctx *ctx;
        fi_decoder *d;
        int r;

        cr_assert_eq(
            fi_ctx_new(NULL, &(struct fi_limits){.max_string = 1000}, &ctx),
            FI_OK);
        cr_assert_eq(fi_decoder_new(ctx, NULL, NULL, 0, &d), FI_OK);
        r = fi_decoder_feed(d, c->bytes, c->n, 1);
        cr_assert_eq(r, c->err, "%s: got %s", c->name, fi_strerror(r));
        cr_assert_eq(fi_decoder_offset(d), c->offset, "%s: offset %llu",
                     c->name, (unsigned long long)fi_decoder_offset(d));
        cr_assert_eq(fi_decoder_feed(d, "\xF0", 1, 1), c->err, "%s sticks",
                     c->name);
        fi_decoder_free(d);
        fi_ctx_free(ctx);
    }
}

Test(fi, every_truncation_and_mutation_is_safe)
{
    size_t i, k;

    for (i = 0; i < nfiles; i += 4) {
        size_t n;
        uint8_t *fi = (uint8_t *)tf_slurp(tf_path(files[i].name, ".fi"), &n);
        fi_ctx *ctx;
        fi_decoder *d;

        cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
        cr_assert_eq(fi_decoder_new(ctx, NULL, NULL, FI_DEC_JOIN_TEXT, &d),
                     FI_OK);
        for (k = 0; fi && k < n; k++) {
            static const uint8_t flips[] = {0x00, 0xFF, 0x80, 0x40, 0x3F};
            uint8_t saved = fi[k];
            size_t f;
            fi_decoder_reset(d);
            cr_assert_lt(fi_decoder_feed(d, fi, k, 1), 0, "%s prefix %zu",
                         files[i].name, k);
            for (f = 0; f < sizeof flips; f++) {
                fi[k] = flips[f];
                fi_decoder_reset(d);
                fi_decoder_feed(d, fi, n, 1);
            }
            fi[k] = saved;
        }
        fi_decoder_free(d);
        fi_ctx_free(ctx);
        free(fi);
    }
}

Test(fi, limits_are_enforced)
{
    static const struct {
        struct fi_limits lim;
        const char *xml;
    } cases[] = {
        {{.max_depth = 3}, "<a><b><c><d/></c></b></a>"},
        {{.max_string = 8}, "<a>0123456789</a>"},
        {{.max_table_entries = 4}, "<a><b/><c/><d/><e/><f/></a>"},
        {{.max_attributes = 2}, "<a x='1' y='2' z='3'/>"},
        {{.max_memory = 2048}, "<a>x</a>"},
    };
    size_t i, n;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *fi = encode(cases[i].xml, strlen(cases[i].xml),
                             &(struct fi_encoder_options){0}, &n);
        fi_ctx *ctx;
        fi_decoder *d;
        int r;

        cr_assert_eq(fi_ctx_new(NULL, &cases[i].lim, &ctx), FI_OK);
        r = fi_decoder_new(ctx, NULL, NULL, 0, &d);
        if (r == FI_OK)
            r = fi_decoder_feed(d, fi, n, 1);
        else
            cr_assert_null(d);

        cr_assert_eq(r, FI_ELIMIT, "case %zu: %s", i, fi_strerror(r));
        fi_decoder_free(d);
        fi_ctx_free(ctx);
        free(fi);
    }
}

/* Every allocation, failed in turn, gives an error and leaks nothing. */
Test(fi, every_allocation_failure_is_an_error)
{
    size_t n;
    const struct tf_file *f = &files[1];
    uint8_t *fi =
        encode(f->xml, f->xml_len,
               &(struct fi_encoder_options){.vocab = fi_vocab_xmpp()}, &n);
    long k;

    for (k = 0;; k++) {
        struct tf_alloc st = {k, 0, 0};
        struct fi_allocator a = tf_allocator(&st);
        fi_ctx *ctx = NULL;
        fi_infoset *s = NULL;
        fi_decoder *d = NULL;
        fi_encoder *e = NULL;
        int r = fi_ctx_new(&a, NULL, &ctx);

        if (r == FI_OK)
            r = fi_infoset_new(ctx, &s);
        if (r == FI_OK)
            r = fi_decoder_new(ctx, fi_infoset_handler(), s, 0, &d);
        if (r == FI_OK)
            r = fi_encoder_new(
                ctx, &(struct fi_encoder_options){.vocab = fi_vocab_xmpp()},
                &e);
        if (r == FI_OK)
            r = fi_decoder_feed(d, fi, n, 1);

        if (r == FI_OK)
            r = fi_xml_to_fi(e, f->xml, f->xml_len);
        if (r == FI_EABORTED && fi_infoset_error(s))
            r = fi_infoset_error(s);
        fi_encoder_free(e);
        fi_decoder_free(d);
        fi_infoset_free(s);
        fi_ctx_free(ctx);
        cr_assert_eq(st.live, 0, "allocation %ld: %ld blocks leaked", k,
                     st.live);
        if (st.count <= k) {
            cr_assert_eq(r, FI_OK, "no failure injected, still %s",
                         fi_strerror(r));
            break;
        }
        cr_assert(r == FI_ENOMEM || r == FI_EABORTED,
                  "allocation %ld failed: got %s", k, fi_strerror(r));
    }
    cr_assert_gt(k, 10);
    free(fi);
}

Test(fi, custom_external_vocabulary)
{
    fi_ctx *ctx;
    fi_vocab *v;
    const char *xml = "<doc xmlns='urn:t'><w>hello</w><w>hello</w></doc>";
    char *want = tf_infoset_xml(xml, strlen(xml));
    fi_infoset *s;
    fi_decoder *d;
    uint8_t *fi;
    size_t n;
    const char *t;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    cr_assert_eq(fi_vocab_new(ctx, "urn:test:vocab", &v), FI_OK);
    cr_assert_eq(fi_infoset_new(ctx, &s), FI_OK);
    cr_assert_eq(fi_vocab_add(v, FI_T_NS, "urn:t", 5), FI_OK);
    cr_assert_eq(fi_vocab_add(v, FI_T_LOCAL, "doc", 3), FI_OK);
    cr_assert_eq(fi_vocab_add(v, FI_T_LOCAL, "w", 1), FI_OK);
    cr_assert_eq(fi_vocab_add(v, FI_T_CHUNK, "hello", 5), FI_OK);
    cr_assert_eq(fi_vocab_add_name(v, FI_T_ELEMENT, 0, 2, 1), FI_OK);
    cr_assert_eq(fi_vocab_add_name(v, FI_T_ELEMENT, 0, 2, 2), FI_OK);
    cr_assert_eq(fi_vocab_add_name(v, FI_T_ELEMENT, 0, 9, 2), FI_EINDEX);
    fi = encode(xml, strlen(xml), &(struct fi_encoder_options){.vocab = v}, &n);
    cr_assert_eq(fi_decoder_new(ctx, fi_infoset_handler(), s, 0, &d), FI_OK);
    cr_assert_eq(fi_decoder_feed(d, fi, n, 1), FI_EVOCAB);
    fi_decoder_free(d);
    fi_infoset_reset(s);
    cr_assert_eq(fi_decoder_new(ctx, fi_infoset_handler(), s, 0, &d), FI_OK);
    cr_assert_eq(fi_decoder_add_vocab(d, v), FI_OK);
    cr_assert_eq(fi_decoder_feed(d, fi, n, 1), FI_OK);
    fi_infoset_output(s, &t, &n);
    cr_assert(n == strlen(want) && !memcmp(t, want, n));
    fi_decoder_free(d);
    fi_infoset_free(s);
    fi_vocab_free(v);
    fi_ctx_free(ctx);
    free(fi);
    free(want);
}

static void check_vocab(const fi_vocab *v)
{
    int t;
    size_t i, j;

    /* alphabets repeat on purpose (fi_vocab.c) */
    for (t = FI_T_ALGORITHM; t < FI_T_ELEMENT; t++)
        for (i = 0; i < fi_vocab_count(v, t); i++)
            for (j = 0; j < i; j++) {
                struct fi_str a = fi_vocab_string(v, t, i),
                              b = fi_vocab_string(v, t, j);
                cr_assert(a.len != b.len || memcmp(a.ptr, b.ptr, a.len),
                          "table %d: duplicate %.*s", t, (int)a.len, a.ptr);
            }
    for (t = FI_T_ELEMENT; t <= FI_T_ATTRIBUTE; t++)
        for (i = 0; i < fi_vocab_count(v, t); i++) {
            unsigned p, n, l;
            fi_vocab_name(v, t, i, &p, &n, &l);
            cr_assert(l > 0, "table %d entry %zu: unknown local name", t, i);
            cr_assert(!p || n, "table %d entry %zu: prefix without ns", t, i);
            for (j = 0; j < i; j++) {
                unsigned p2, n2, l2;
                fi_vocab_name(v, t, j, &p2, &n2, &l2);
                cr_assert(p != p2 || n != n2 || l != l2,
                          "table %d: duplicate name %zu", t, i);
            }
        }
}

Test(fi, xmpp_vocabulary_is_consistent)
{
    const fi_vocab *v1 = fi_vocab_xmpp_version(1),
                   *v2 = fi_vocab_xmpp_version(2);
    int t;
    size_t i;

    cr_assert_eq(fi_vocab_xmpp(), fi_vocab_xmpp_version(FI_XMPP_VOCAB_DEFAULT));
    cr_assert_null(fi_vocab_xmpp_version(3));
    cr_assert_str_eq(fi_vocab_uri(v1), FI_XMPP_VOCAB_URI_1);
    cr_assert_str_eq(fi_vocab_uri(v2), FI_XMPP_VOCAB_URI_2);
    check_vocab(v1);
    check_vocab(v2);
    /* version 2 extends version 1: same entries at the same indices */
    for (t = FI_T_PREFIX; t < FI_T_ELEMENT; t++)
        for (i = 0; i < fi_vocab_count(v1, t); i++) {
            struct fi_str a = fi_vocab_string(v1, t, i),
                          b = fi_vocab_string(v2, t, i);
            cr_assert(a.len == b.len && !memcmp(a.ptr, b.ptr, a.len));
        }
    cr_assert_eq(fi_vocab_count(v1, FI_T_ALPHABET), 0);
    /* the alphabets the encoder uses (33-35) are the reference's 1-3 */
    cr_assert_eq(fi_vocab_count(v2, FI_T_ALPHABET), 20);
    for (i = 0; i < 3; i++) {
        struct fi_str a = fi_vocab_string(v2, FI_T_ALPHABET, i),
                      b = fi_vocab_string(v2, FI_T_ALPHABET, i + 17);
        cr_assert(a.len == b.len && !memcmp(a.ptr, b.ptr, a.len));
    }
}

/* Version 2's alphabets with --typed: JIDs, hex and time stamps leave
 * as alphabet literals (entries 33-35) and come back unchanged. */
Test(fi, xmpp2_alphabets_round_trip)
{
    static const char xml[] =
        "<presence xmlns='jabber:client' from='juliet@capulet.lit/balcony'"
        " to='rom\xc3\xa9o@montague.lit'><x xmlns='vcard-temp:x:update'>"
        "<photo>dfdc7ffa1eb0f3279804c26e8c4afa4fbb48c9f4</photo></x>"
        "<delay xmlns='urn:xmpp:delay' stamp='2023-11-18T10:41:00.123Z'/>"
        "</presence>";
    fi_ctx *ctx;
    int v;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    for (v = 1; v <= 2; v++) {
        struct fi_encoder_options o = {.vocab = fi_vocab_xmpp_version(v),
                                       .typed = 1};
        fi_encoder *e;
        const uint8_t *p;
        size_t n, i, hits = 0;
        char *want = tf_infoset_xml(xml, sizeof xml - 1), *got;

        cr_assert_eq(fi_encoder_new(ctx, &o, &e), FI_OK);
        cr_assert_eq(fi_xml_to_fi(e, xml, sizeof xml - 1), FI_OK);
        fi_encoder_output(e, &p, &n);
        got = tf_infoset_fi(p, n, 0, 0, NULL);
        cr_assert_not_null(got);
        cr_assert_str_eq(got, want);
        /* 0x22 or 0x62 (added), then 0x0?, 0x1? or 0x2?: a literal in
         * restricted alphabet 33, 34 or 35 */
        for (i = 0; i + 1 < n; i++)
            if ((p[i] & 0xBF) == 0x22 && (p[i + 1] >> 4) <= 2)
                hits++;
        if (v == 2)
            cr_assert_geq(hits, 2, "JID and stamp as alphabet literals");
        free(want);
        free(got);
        fi_encoder_free(e);
    }
    fi_ctx_free(ctx);
}

Test(fi, fi_to_xml_writer_keeps_the_infoset)
{
    size_t i;
    fi_ctx *ctx;

    cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
    for (i = 0; i < nfiles; i++) {
        size_t n, xl;
        char *fi = tf_slurp(tf_path(files[i].name, ".fi"), &n);
        char *want = tf_infoset_xml(files[i].xml, files[i].xml_len), *xml, *got;
        uint64_t off;

        cr_assert_eq(fi_fi_to_xml(ctx, NULL, fi, n, &xml, &xl, &off), FI_OK);
        got = tf_infoset_xml(xml, xl);
        cr_assert(got, "%s: writer output does not parse:\n%s", files[i].name,
                  xml);
        cr_assert_str_eq(got, want, "%s", files[i].name);
        fi_free(ctx, xml);
        free(got);
        free(want);
        free(fi);
    }
    fi_ctx_free(ctx);
}

Test(fi, frame_headers)
{
    uint8_t h[5];
    size_t len, k;
    static const size_t sizes[] = {0,   1,     127,   128,
                                   300, 16383, 16384, FI_FRAME_MAX};

    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = fi_frame_put(h, sizes[k]);
        cr_assert_eq(fi_frame_header(h, n, &len), (int)n);
        cr_assert_eq(len, sizes[k]);
        cr_assert_eq(fi_frame_header(h, n - 1, &len), 0);
    }
    cr_assert_eq(
        fi_frame_header((const uint8_t *)"\xFF\xFF\xFF\xFF\x7F", 5, &len),
        FI_EFRAME);
    cr_assert_eq(fi_frame_header((const uint8_t *)"\x80\x00", 2, &len),
                 FI_EFRAME);
}

Test(fi, strerror_names_every_code)
{
    int c;

    for (c = FI_EDUPLICATE; c <= FI_MORE; c++)
        cr_assert_str_neq(fi_strerror(c), "unknown error");
}

/* Literal names of 1 to 40 octets, each with one non-ASCII octet in turn
 * (the ASCII test reads words, and the tail as overlapping words): a lone
 * 0x80 is invalid UTF-8 wherever it is, a valid "é" (C3 A9) is accepted;
 * both in one whole last feed (strings point into the input) and byte by
 * byte (strings copied). */
Test(fi, utf8_check_at_every_position)
{
    size_t n, k, i;

    for (n = 1; n <= 40; n++)
        for (k = 0; k < n; k++) {
            uint8_t doc[64];
            size_t len = 0;
            int good, r;

            for (good = 0; good < 2; good++) {
                fi_ctx *ctx;
                fi_decoder *d;

                if (good && k + 1 >= n)
                    continue;
                len = 0;
                memcpy(doc, "\xE0\x00\x00\x01\x00\x3C", 6);
                len = 6;
                doc[len++] = (uint8_t)(n - 1);
                for (i = 0; i < n; i++)
                    doc[len++] = 'a';
                doc[7 + k] = good ? 0xC3 : 0x80;
                if (good)
                    doc[8 + k] = 0xA9;
                doc[len++] = 0xFF;
                cr_assert_eq(fi_ctx_new(NULL, NULL, &ctx), FI_OK);
                cr_assert_eq(fi_decoder_new(ctx, NULL, NULL, 0, &d), FI_OK);
                r = fi_decoder_feed(d, doc, len, 1);
                cr_assert_eq(r, good ? FI_OK : FI_EUTF8,
                             "n %zu k %zu good %d: %s", n, k, good,
                             fi_strerror(r));
                fi_decoder_reset(d);
                for (i = 0; i < len; i++) {
                    r = fi_decoder_feed(d, doc + i, 1, i + 1 == len);
                    if (r != FI_MORE)
                        break;
                }
                cr_assert_eq(r, good ? FI_OK : FI_EUTF8,
                             "bytewise n %zu k %zu good %d: %s", n, k, good,
                             fi_strerror(r));
                fi_decoder_free(d);
                fi_ctx_free(ctx);
            }
        }
}
