/* cmd_fi.c -- orbweb fi: convert XML to Fast Infoset and back, dump the
 * items of an FI document with their offsets, print canonical infosets
 * and the built-in XMPP vocabulary. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fi.h"

struct fi_opts {
    struct fi_encoder_options enc;
    unsigned dec_flags;
    const char *in, *out;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: orbweb fi encode [--vocab xmpp|xmpp1|xmpp2|--xmpp-vocab] "
        "[--typed] "
        "[--words] [--utf16] [--stream] [--index-limit N] IN.xml [OUT.fi]\n"
        "       orbweb fi decode IN.fi [OUT.xml]\n"
        "       orbweb fi dump IN.fi        items with byte offsets (and "
        "frames)\n"
        "       orbweb fi infoset FILE      canonical infoset of .xml or .fi\n"
        "       orbweb fi vocab [1|2]       a built-in XMPP vocabulary "
        "(default 2)\n"
        "       orbweb fi bench [DIR]       same as orbweb bench fi\n"
        "       orbweb fi batch FILE        one of the above per line\n"
        "Without OUT, output goes to standard output.\n");
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t cap = 65536, n = 0, k;
    char *b = malloc(cap);

    if (!f || !b) {
        fprintf(stderr, "orbweb fi: cannot read %s\n", path);
        free(b);
        return NULL;
    }
    while ((k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return b;
}

static int spill(const char *path, const void *p, size_t n)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    int ok = f && fwrite(p, 1, n, f) == n;

    if (f && f != stdout)
        ok = !fclose(f) && ok;
    if (!ok)
        fprintf(stderr, "orbweb fi: cannot write %s\n", path ? path : "stdout");
    return ok ? 0 : 1;
}

static int parse_opts(int argc, char **argv, struct fi_opts *o)
{
    int i;

    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--xmpp-vocab"))
            o->enc.vocab = fi_vocab_xmpp();
        else if (!strcmp(a, "--vocab") && i + 1 < argc &&
                 !strcmp(argv[i + 1], "xmpp"))
            o->enc.vocab = fi_vocab_xmpp(), i++;
        else if (!strcmp(a, "--vocab") && i + 1 < argc &&
                 !strcmp(argv[i + 1], "xmpp1"))
            o->enc.vocab = fi_vocab_xmpp_version(1), i++;
        else if (!strcmp(a, "--vocab") && i + 1 < argc &&
                 !strcmp(argv[i + 1], "xmpp2"))
            o->enc.vocab = fi_vocab_xmpp_version(2), i++;
        else if (!strcmp(a, "--typed"))
            o->enc.typed = 1;
        else if (!strcmp(a, "--words"))
            o->enc.words = 1;
        else if (!strcmp(a, "--utf16"))
            o->enc.utf16 = 1;
        else if (!strcmp(a, "--stream"))
            o->enc.stream = 1;
        else if (!strcmp(a, "--index-limit") && i + 1 < argc)
            o->enc.index_limit = (unsigned)atoi(argv[++i]);
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "orbweb fi: unknown option %s\n", a);
            return -1;
        } else if (!o->in)
            o->in = a;
        else if (!o->out)
            o->out = a;
        else
            return -1;
    }
    return o->in ? 0 : -1;
}

static int do_encode(const struct fi_opts *o)
{
    fi_ctx *ctx = NULL;
    fi_encoder *e = NULL;
    size_t n;
    char *xml = slurp(o->in, &n);
    const uint8_t *p;
    size_t pn;
    int r = 1, rc;

    if (fi_ctx_new(NULL, NULL, &ctx) == FI_OK)
        fi_encoder_new(ctx, &o->enc, &e);
    if (xml && e) {
        rc = fi_xml_to_fi(e, xml, n);
        if (rc) {
            fprintf(stderr, "orbweb fi: %s: %s\n", o->in, fi_strerror(rc));
        } else {
            fi_encoder_output(e, &p, &pn);
            r = spill(o->out, p, pn);
        }
    }
    free(xml);
    fi_encoder_free(e);
    fi_ctx_free(ctx);
    return r;
}

static int do_decode(const struct fi_opts *o)
{
    fi_ctx *ctx;
    size_t n, xl;
    char *fi = slurp(o->in, &n), *xml = NULL;
    uint64_t off = 0;
    int r = 1, rc;

    fi_ctx_new(NULL, NULL, &ctx);
    if (fi && ctx) {
        rc = fi_fi_to_xml(ctx, NULL, fi, n, &xml, &xl, &off);
        if (rc)
            fprintf(stderr, "orbweb fi: %s: %s at byte %" PRIu64 "\n", o->in,
                    fi_strerror(rc), off);
        else
            r = spill(o->out, xml, xl);
    }
    fi_free(ctx, xml);
    free(fi);
    fi_ctx_free(ctx);
    return r;
}

/* ---- dump: one line per event with the offset of its item ---- */

struct dumper {
    fi_decoder *d;
    size_t depth;
    uint64_t shift; /* frame header octets before the current item */
    struct dref {
        int t, how;
        uint32_t i;
    } refs[64];
    size_t nrefs, next; /* collected, printed */
};

static const char *const table_names[FI_T_COUNT] = {
    "alphabet", "algorithm", "prefix", "ns",    "local",   "ncname",
    "uri",      "value",     "chunk",  "other", "element", "attribute",
};

static int d_ref(void *ud, int t, uint32_t i, int how)
{
    struct dumper *u = ud;

    if (u->nrefs < sizeof u->refs / sizeof u->refs[0])
        u->refs[u->nrefs++] = (struct dref){t, how, i};
    return 0;
}

/* Prints the collected table references up to and including the first
 * one of table `until` (-1: all): " [element#3 value+41 chunk=lit]". */
static void pr_refs(struct dumper *u, int until)
{
    int open = 0;

    while (u->next < u->nrefs) {
        const struct dref *r = &u->refs[u->next++];
        printf("%s%s", open++ ? " " : "  [", table_names[r->t]);
        if (r->how == FI_REF_INDEX)
            printf("#%" PRIu32, r->i);
        else if (r->how == FI_REF_ADDED)
            printf("+%" PRIu32, r->i);
        else
            printf("=lit");
        if (r->t == until)
            break;
    }
    if (open)
        printf("]");
    if (until < 0 || u->next == u->nrefs)
        u->nrefs = u->next = 0;
}

static void indent(struct dumper *u, const char *what)
{
    printf("%8" PRIu64 "  %*s%s", fi_decoder_offset(u->d) + u->shift,
           (int)(2 * u->depth), "", what);
}

static void pr(struct fi_str s)
{
    printf("%.*s", (int)s.len, s.ptr ? s.ptr : "");
}

static void pr_qname(const struct fi_qname *q)
{
    if (q->ns.len) {
        printf("{");
        pr(q->ns);
        printf("}");
    }
    if (q->prefix.len) {
        pr(q->prefix);
        printf(":");
    }
    pr(q->local);
}

static int d_start(void *ud, const struct fi_qname *name,
                   const struct fi_nsdecl *ns, size_t nns,
                   const struct fi_attr *attrs, size_t nattrs)
{
    struct dumper *u = ud;
    size_t i;

    indent(u, "element ");
    pr_qname(name);
    pr_refs(u, FI_T_ELEMENT);
    printf("\n");
    for (i = 0; i < nns; i++) {
        printf("%8s  %*s  xmlns:", "", (int)(2 * u->depth), "");
        pr(ns[i].prefix);
        printf(" = ");
        pr(ns[i].ns);
        printf("\n");
    }
    for (i = 0; i < nattrs; i++) {
        printf("%8s  %*s  @", "", (int)(2 * u->depth), "");
        pr_qname(&attrs[i].name);
        printf(" = \"");
        pr(attrs[i].value);
        printf("\"");
        pr_refs(u, FI_T_VALUE);
        printf("\n");
    }
    pr_refs(u, -1);
    u->depth++;
    return 0;
}

static int d_end(void *ud, const struct fi_qname *name)
{
    struct dumper *u = ud;

    u->depth--;
    indent(u, "end ");
    pr_qname(name);
    printf("\n");
    return 0;
}

static int d_text(void *ud, const char *s, size_t n)
{
    indent(ud, "chars ");
    printf("(%zu) \"%.*s\"", n, (int)(n > 60 ? 60 : n), s);
    pr_refs(ud, -1);
    printf("\n");
    return 0;
}

static int d_comment(void *ud, const char *s, size_t n)
{
    indent(ud, "comment ");
    printf("\"%.*s\"", (int)n, s);
    pr_refs(ud, -1);
    printf("\n");
    return 0;
}

static int d_pi(void *ud, struct fi_str t, struct fi_str data)
{
    indent(ud, "pi ");
    pr(t);
    printf(" \"");
    pr(data);
    printf("\"");
    pr_refs(ud, -1);
    printf("\n");
    return 0;
}

static int d_octets(void *ud, unsigned alg, const uint8_t *p, size_t n)
{
    (void)p;
    indent(ud, "octets ");
    printf("algorithm %u, %zu octets\n", alg, n);
    return 0;
}

static int d_doc(void *ud)
{
    indent(ud, "document\n");
    return 0;
}

static int d_enddoc(void *ud)
{
    indent(ud, "end of document\n");
    return 0;
}

/* A stream-mode file: a frame header, then a frame starting with the
 * Fast Infoset identification E0 00 00 01. */
static int is_framed(const uint8_t *p, size_t n)
{
    size_t fl;
    int h = fi_frame_header(p, n, &fl);

    return n && p[0] != 0xE0 && h > 0 && fl >= 4 && n - (size_t)h >= 4 &&
           !memcmp(p + h, "\xE0\x00\x00\x01", 4);
}

/* Feeds the frames one by one to a stream decoder, each announced with
 * its file offset; event offsets are file offsets too. */
static int dump_frames(struct dumper *u, const uint8_t *p, size_t n,
                       uint64_t *err_off)
{
    size_t off = 0, k = 0, fl;
    int h, rc = FI_OK;

    while (off < n) {
        h = fi_frame_header(p + off, n - off, &fl);
        if (h <= 0 || fl > n - off - (size_t)h) {
            *err_off = off;
            return h < 0 ? h : FI_ETRUNCATED;
        }
        printf("%8zu  frame %zu: %zu octets%s\n", off, k, fl,
               k ? "" : " (header)");
        u->shift += (uint64_t)h;
        rc = fi_decoder_feed(u->d, p + off + h, fl, 0);
        if (rc < 0)
            break;
        off += (size_t)h + fl;
        k++;
    }
    if (rc >= 0)
        rc = fi_decoder_feed(u->d, p + n, 0, 1);
    *err_off = fi_decoder_offset(u->d) + u->shift;
    if (!rc)
        printf("%8zu  (%zu frames, %zu octets)\n", n, k, n);
    return rc;
}

static int do_dump(const struct fi_opts *o)
{
    static const struct fi_handler h = {
        .start_document = d_doc,
        .end_document = d_enddoc,
        .start_element = d_start,
        .end_element = d_end,
        .characters = d_text,
        .comment = d_comment,
        .pi = d_pi,
        .octets = d_octets,
        .ref = d_ref,
    };
    struct dumper u = {0};
    fi_ctx *ctx = NULL;
    size_t n;
    char *fi = slurp(o->in, &n);
    int rc = FI_ENOMEM, framed = fi && is_framed((const uint8_t *)fi, n);
    uint64_t off = 0;

    if (fi_ctx_new(NULL, NULL, &ctx) == FI_OK)
        fi_decoder_new(ctx, &h, &u, framed ? FI_DEC_STREAM : 0, &u.d);
    if (fi && u.d && framed)
        rc = dump_frames(&u, (const uint8_t *)fi, n, &off);
    else if (fi && u.d) {
        rc = fi_decoder_feed(u.d, fi, n, 1);
        off = fi_decoder_offset(u.d);
        if (!rc)
            printf("%8zu  (%zu octets)\n", n, n);
    }
    if (rc)
        fprintf(stderr, "orbweb fi: %s: %s at byte %" PRIu64 "\n", o->in,
                fi_strerror(rc), off);
    fi_decoder_free(u.d);
    free(fi);
    fi_ctx_free(ctx);
    return rc ? 1 : 0;
}

static int do_infoset(const struct fi_opts *o)
{
    fi_ctx *ctx = NULL;
    fi_infoset *s = NULL;
    size_t n, l = strlen(o->in), tl;
    char *data = slurp(o->in, &n);
    const char *t;
    int rc = FI_ENOMEM;

    if (fi_ctx_new(NULL, NULL, &ctx) == FI_OK)
        fi_infoset_new(ctx, &s);
    if (s && data && l > 4 && !strcmp(o->in + l - 4, ".xml")) {
        size_t line = 0;
        rc = fi_xml_parse(ctx, data, n, fi_infoset_handler(), s, &line);
        if (rc)
            fprintf(stderr, "orbweb fi: %s:%zu: %s\n", o->in, line,
                    fi_strerror(rc));
    } else if (s && data) {
        fi_decoder *d;
        rc = fi_decoder_new(ctx, fi_infoset_handler(), s, 0, &d);
        if (!rc)
            rc = fi_decoder_feed(d, data, n, 1);
        if (rc)
            fprintf(stderr, "orbweb fi: %s: %s at byte %" PRIu64 "\n", o->in,
                    fi_strerror(rc), d ? fi_decoder_offset(d) : 0);
        fi_decoder_free(d);
    }
    if (!rc) {
        fi_infoset_output(s, &t, &tl);
        rc = spill(o->out, t, tl) ? FI_EIO : 0;
    }
    free(data);
    fi_infoset_free(s);
    fi_ctx_free(ctx);
    return rc ? 1 : 0;
}

/* One line per entry: TABLE INDEX VALUE, or for names TABLE INDEX
 * PREFIX NS LOCAL as strings ("" when absent). */
static int do_vocab(int version)
{
    static const char *const names[FI_T_COUNT] = {
        "alphabet", "algorithm", "prefix", "ns",    "local",   "ncname",
        "uri",      "value",     "chunk",  "other", "element", "attribute",
    };
    const fi_vocab *v = fi_vocab_xmpp_version(version);
    int t;
    size_t i;

    if (!v) {
        fprintf(stderr, "orbweb fi vocab: no XMPP vocabulary version %d\n",
                version);
        return 2;
    }
    printf("uri %s\n", fi_vocab_uri(v));
    for (t = 0; t < FI_T_ELEMENT; t++)
        for (i = 0; i < fi_vocab_count(v, t); i++) {
            struct fi_str s = fi_vocab_string(v, t, i);
            size_t first = t == FI_T_ALPHABET                 ? 16
                           : t == FI_T_ALGORITHM              ? 32
                           : t == FI_T_PREFIX || t == FI_T_NS ? 2
                                                              : 1;
            printf("%s %zu %.*s\n", names[t], i + first, (int)s.len, s.ptr);
        }
    for (t = FI_T_ELEMENT; t <= FI_T_ATTRIBUTE; t++)
        for (i = 0; i < fi_vocab_count(v, t); i++) {
            unsigned p, n, l;
            struct fi_str ps = {"xml", 3}, ns = {"", 0}, ls;
            fi_vocab_name(v, t, i, &p, &n, &l);
            if (p > 1)
                ps = fi_vocab_string(v, FI_T_PREFIX, p - 2);
            if (n == 1)
                ns =
                    (struct fi_str){"http://www.w3.org/XML/1998/namespace", 36};
            else if (n > 1)
                ns = fi_vocab_string(v, FI_T_NS, n - 2);
            ls = fi_vocab_string(v, FI_T_LOCAL, l - 1);
            printf("%s %zu %.*s %.*s %.*s\n", names[t], i + 1,
                   p ? (int)ps.len : 2, p ? ps.ptr : "\"\"",
                   n ? (int)ns.len : 2, n ? ns.ptr : "\"\"", (int)ls.len,
                   ls.ptr);
        }
    return 0;
}

static int run_line(char *line)
{
    char *argv[16], *save = NULL, *tok;
    int argc = 0;

    argv[argc++] = "fi";
    for (tok = strtok_r(line, " \t\n", &save); tok && argc < 15;
         tok = strtok_r(NULL, " \t\n", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (argc < 2 || !strcmp(argv[1], "batch"))
        return 0;
    return cli_fi(argc, argv);
}

/* Runs one `orbweb fi` command per line of a file: many conversions in
 * one process.  Returns 1 if any failed. */
static int do_batch(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int bad = 0;

    if (!f) {
        fprintf(stderr, "orbweb fi: cannot read %s\n", path);
        return 1;
    }
    while (fgets(line, sizeof line, f))
        bad |= run_line(line) != 0;
    fclose(f);
    return bad;
}

int cli_fi(int argc, char **argv)
{
    struct fi_opts o;
    const char *cmd = argc > 1 ? argv[1] : "";

    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "vocab"))
        return do_vocab(argc > 2 ? atoi(argv[2]) : FI_XMPP_VOCAB_DEFAULT);
    if (!strcmp(cmd, "bench"))
        return bench_fi(argc - 1, argv + 1);
    if (!strcmp(cmd, "batch") && argc == 3)
        return do_batch(argv[2]);
    if (parse_opts(argc - 1, argv + 1, &o)) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "encode"))
        return do_encode(&o);
    if (!strcmp(cmd, "decode"))
        return do_decode(&o);
    if (!strcmp(cmd, "dump"))
        return do_dump(&o);
    if (!strcmp(cmd, "infoset"))
        return do_infoset(&o);
    usage(stderr);
    return 2;
}
