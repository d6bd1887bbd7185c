/* bench_fi.c -- orbweb bench fi: Fast Infoset size and speed against XML.
 *
 * On a corpus of XMPP stanzas (made here by a seeded generator, or the
 * *.xml files of a folder) it reports, in one run: FI bytes over XML
 * bytes per document, for a whole stream, and for a stream with the XMPP
 * vocabulary and typed content, overall and per stanza kind; how many
 * documents per second our decoder parses against expat (the anchor)
 * parsing the same documents' XML, with the same empty callbacks; and
 * how many documents per second the encoder makes from XML. */
#include "config.h"

#include <dirent.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "fi.h"

struct doc {
    char *xml;
    size_t len;
    int kind;
    uint8_t *fi;
    size_t fi_len;
};

static const char *const kinds[] = {"chat", "groupchat", "presence",
                                    "roster", "disco", "base64", "other"};
#define NKINDS 7

/* ---- a deterministic stanza generator ---- */

static uint64_t seed = 42;

static unsigned rnd(unsigned n)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((seed >> 33) % n);
}

static const char *const words[] = {
    "build", "merge", "room", "the", "review", "patch", "later", "coffee",
    "deploy", "client", "server", "link", "file", "video", "thanks",
    "Grüße", "ok", "branch", "release", "meeting", "&amp;", "&lt;b&gt;",
};
static const char *const users[] = {"alice", "bob", "carol", "dave",
                                    "erin", "frank", "grace", "heidi"};

static size_t text(char *o, size_t words_n)
{
    size_t n = 0, i;

    for (i = 0; i < words_n; i++)
        n += (size_t)sprintf(o + n, "%s%s", i ? " " : "",
                             words[rnd(sizeof words / sizeof *words)]);
    return n;
}

#define U users[rnd(8)]

static size_t gen_chat(char *o)
{
    size_t n = (size_t)sprintf(o, "<message xmlns='jabber:client' from='%s@example.org/pc' "
                               "to='%s@example.com' type='chat' id='m%u'><body>",
                               U, U, rnd(100000));
    n += text(o + n, 5 + rnd(30));
    return n + (size_t)sprintf(o + n, "</body><active xmlns='http://jabber.org/"
                               "protocol/chatstates'/></message>");
}

static size_t gen_groupchat(char *o)
{
    size_t n = (size_t)sprintf(o, "<message xmlns='jabber:client' from='room@muc.example.org/%s' "
                               "to='%s@example.com/pc' type='groupchat' id='g%u'><body>",
                               U, U, rnd(100000));
    n += text(o + n, 5 + rnd(25));
    return n + (size_t)sprintf(o + n, "</body><delay xmlns='urn:xmpp:delay' "
                               "from='room@muc.example.org' stamp='2024-09-%02uT%02u:%02u:%02uZ'/></message>",
                               1 + rnd(28), rnd(24), rnd(60), rnd(60));
}

static size_t gen_presence(char *o)
{
    static const char *const aff[] = {"member", "owner", "none", "admin"};
    static const char *const role[] = {"participant", "moderator", "visitor"};

    return (size_t)sprintf(o,
        "<presence xmlns='jabber:client' from='room@muc.example.org/%s' to='%s@example.com/pc'>"
        "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
        "node='https://psi-plus.com' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
        "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='%s' role='%s' "
        "jid='%s@example.com/pc'/>%s</x></presence>",
        U, U, aff[rnd(4)], role[rnd(3)], U, rnd(3) ? "" : "<status code='110'/>");
}

static size_t gen_roster(char *o)
{
    size_t n = (size_t)sprintf(o, "<iq xmlns='jabber:client' type='result' id='r%u' to='%s@example.com/pc'>"
                               "<query xmlns='jabber:iq:roster' ver='ver%u'>", rnd(1000), U, rnd(99));
    unsigned i, k = 3 + rnd(12);

    for (i = 0; i < k; i++)
        n += (size_t)sprintf(o + n, "<item jid='%s%u@example.net' name='%s' subscription='both'>"
                             "<group>Friends</group></item>", U, i, U);
    return n + (size_t)sprintf(o + n, "</query></iq>");
}

static size_t gen_disco(char *o)
{
    static const char *const feat[] = {
        "http://jabber.org/protocol/muc", "http://jabber.org/protocol/disco#info",
        "http://jabber.org/protocol/caps", "urn:xmpp:ping", "urn:xmpp:receipts",
        "jabber:iq:version", "urn:xmpp:jingle:1", "http://jabber.org/protocol/chatstates",
    };
    size_t n = (size_t)sprintf(o, "<iq xmlns='jabber:client' type='result' id='d%u' from='%s@example.com/pc'>"
                               "<query xmlns='http://jabber.org/protocol/disco#info'>"
                               "<identity category='client' type='pc' name='orbweb'/>", rnd(1000), U);
    unsigned i;

    for (i = 0; i < 8; i++)
        n += (size_t)sprintf(o + n, "<feature var='%s'/>", feat[i]);
    return n + (size_t)sprintf(o + n, "</query></iq>");
}

static size_t gen_base64(char *o)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = (size_t)sprintf(o, "<iq xmlns='jabber:client' type='set' id='b%u' to='%s@example.com/pc'>"
                               "<data xmlns='http://jabber.org/protocol/ibb' seq='%u' sid='s%u'>",
                               rnd(1000), U, rnd(100), rnd(100));
    unsigned i, k = 64 * (1 + rnd(40));

    for (i = 0; i < k; i++)
        o[n++] = b64[rnd(64)];
    return n + (size_t)sprintf(o + n, "</data></iq>");
}

static size_t gen_corpus(struct doc **out)
{
    static size_t (*const gen[])(char *) = {gen_chat, gen_groupchat,
                                             gen_presence, gen_roster,
                                             gen_disco, gen_base64};
    static const unsigned weight[] = {25, 20, 35, 8, 7, 5};
    size_t n = 700, i;
    struct doc *d = calloc(n, sizeof *d);
    char buf[8192];

    for (i = 0; i < n; i++) {
        unsigned r = rnd(100), k = 0;
        while (r >= weight[k])
            r -= weight[k++];
        d[i].len = gen[k](buf);
        d[i].xml = strndup(buf, d[i].len);
        d[i].kind = (int)k;
    }
    *out = d;
    return n;
}

/* Writes the generated corpus as DIR/NNNN-KIND.xml (for the tests). */
static int write_corpus(const char *dir)
{
    struct doc *d;
    size_t n = gen_corpus(&d), i;
    int bad = 0;

    for (i = 0; i < n; i++) {
        char path[4096];
        FILE *f;
        snprintf(path, sizeof path, "%s/g%04zu-%s.xml", dir, i, kinds[d[i].kind]);
        f = fopen(path, "wb");
        if (!f || fwrite(d[i].xml, 1, d[i].len, f) != d[i].len)
            bad = 1;
        if (f)
            fclose(f);
        free(d[i].xml);
    }
    free(d);
    if (bad)
        fprintf(stderr, "bench fi: cannot write the corpus in %s\n", dir);
    return bad;
}

static int kind_of(const char *name)
{
    int k;

    if (strstr(name, "groupchat"))
        return 1;
    for (k = 0; k < NKINDS - 1; k++)
        if (strstr(name, kinds[k]))
            return k;
    return NKINDS - 1;
}

static size_t load_dir(const char *dir, struct doc **out)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    struct doc *d = NULL;
    size_t n = 0;

    if (!dd)
        return 0;
    while ((e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        char path[4096];
        FILE *f;
        long sz;
        if (l < 5 || strcmp(e->d_name + l - 4, ".xml"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!(f = fopen(path, "rb")))
            continue;
        fseek(f, 0, SEEK_END);
        sz = ftell(f);
        rewind(f);
        d = realloc(d, (n + 1) * sizeof *d);
        memset(&d[n], 0, sizeof *d);
        d[n].xml = malloc((size_t)sz + 1);
        d[n].len = fread(d[n].xml, 1, (size_t)sz, f);
        d[n].kind = kind_of(e->d_name);
        fclose(f);
        n++;
    }
    closedir(dd);
    *out = d;
    return n;
}

/* ---- sizes ---- */

struct sizes {
    size_t xml[NKINDS], fi[NKINDS];
};

static void size_docs(fi_ctx *ctx, struct doc *d, size_t n, struct sizes *s)
{
    fi_encoder *e = fi_encoder_new(ctx, NULL);
    size_t i;

    for (i = 0; i < n; i++) {
        const uint8_t *p;
        fi_encoder_reset(e);
        fi_xml_to_fi(e, d[i].xml, d[i].len);
        fi_encoder_output(e, &p, &d[i].fi_len);
        d[i].fi = malloc(d[i].fi_len);
        memcpy(d[i].fi, p, d[i].fi_len);
        s->xml[d[i].kind] += d[i].len;
        s->fi[d[i].kind] += d[i].fi_len;
    }
    fi_encoder_free(e);
}

/* Stream mode: frames, counted with their headers, per stanza kind. */
static void size_stream(fi_ctx *ctx, const struct doc *d, size_t n,
                        const struct fi_encoder_options *o, struct sizes *s)
{
    fi_encoder *e = fi_encoder_new(ctx, o);
    size_t i, len;
    const uint8_t *p;

    fi_encoder_start_document(e);
    fi_encoder_output(e, &p, &len);
    s->fi[NKINDS - 1] += len;
    fi_encoder_consume(e, len);
    for (i = 0; i < n; i++) {
        fi_xml_parse(ctx, d[i].xml, d[i].len, fi_encoder_handler(), e, NULL);
        fi_encoder_output(e, &p, &len);
        s->xml[d[i].kind] += d[i].len;
        s->fi[d[i].kind] += len;
        fi_encoder_consume(e, len);
    }
    fi_encoder_free(e);
}

/* ---- speed ---- */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long sink;

static int n_start(void *ud, const struct fi_qname *q, const struct fi_nsdecl *ns,
                   size_t nns, const struct fi_attr *a, size_t na)
{
    (void)ud, (void)ns, (void)a;
    sink += q->local.len + nns + na;
    return 0;
}
static int n_end(void *ud, const struct fi_qname *q)
{
    (void)ud;
    sink += q->local.len;
    return 0;
}
static int n_text(void *ud, const char *s, size_t n)
{
    (void)ud, (void)s;
    sink += n;
    return 0;
}

static void XMLCALL x_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    (void)ud, (void)a;
    sink += name[0];
}
static void XMLCALL x_end(void *ud, const XML_Char *name)
{
    (void)ud;
    sink += name[0];
}
static void XMLCALL x_text(void *ud, const XML_Char *s, int n)
{
    (void)ud, (void)s;
    sink += (unsigned long)n;
}

/* Runs one pass over the corpus until `secs` elapse; returns docs/s. */
static double rate(double secs, void (*pass)(void *, const struct doc *, size_t),
                   void *ctx, const struct doc *d, size_t n)
{
    double t0 = now(), t;
    size_t docs = 0;

    pass(ctx, d, n); /* warm up */
    t0 = now();
    do {
        pass(ctx, d, n);
        docs += n;
        t = now() - t0;
    } while (t < secs);
    return (double)docs / t;
}

static void pass_fi(void *c, const struct doc *d, size_t n)
{
    fi_decoder *dec = c;
    size_t i;

    for (i = 0; i < n; i++) {
        fi_decoder_reset(dec);
        if (fi_decoder_feed(dec, d[i].fi, d[i].fi_len, 1))
            abort();
    }
}

static void pass_expat(void *c, const struct doc *d, size_t n)
{
    XML_Parser p = c;
    size_t i;

    for (i = 0; i < n; i++) {
        XML_ParserReset(p, NULL);
        XML_SetElementHandler(p, x_start, x_end);
        XML_SetCharacterDataHandler(p, x_text);
        if (XML_Parse(p, d[i].xml, (int)d[i].len, 1) != XML_STATUS_OK)
            abort();
    }
}

static void pass_expat_ns(void *c, const struct doc *d, size_t n)
{
    pass_expat(c, d, n);
}

static void pass_encode(void *c, const struct doc *d, size_t n)
{
    fi_encoder *e = c;
    size_t i;

    for (i = 0; i < n; i++) {
        fi_encoder_reset(e);
        if (fi_xml_to_fi(e, d[i].xml, d[i].len))
            abort();
    }
}

/* ---- report ---- */

static void row(int json, int *first, const char *mode, const char *kind,
                size_t xml, size_t fi, double dec, double ex, double enc)
{
    if (!json) {
        printf("  %-22s %-10s %10zu %10zu %6.3f\n", mode, kind, xml, fi,
               xml ? (double)fi / (double)xml : 0);
        return;
    }
    printf("%s\n  {\"mode\": \"%s\", \"kind\": \"%s\", \"xml_bytes\": %zu, "
           "\"fi_bytes\": %zu, \"ratio\": %.4f",
           *first ? "" : ",", mode, kind, xml, fi,
           xml ? (double)fi / (double)xml : 0);
    if (dec > 0)
        printf(", \"decode_docs_s\": %.0f, \"expat_docs_s\": %.0f, "
               "\"libxml2_docs_s\": null, \"encode_docs_s\": %.0f",
               dec, ex, enc);
    printf("}");
    *first = 0;
}

static void report_sizes(int json, int *first, const char *mode,
                         const struct sizes *s)
{
    size_t x = 0, f = 0;
    int k;

    for (k = 0; k < NKINDS; k++) {
        x += s->xml[k];
        f += s->fi[k];
        if (s->xml[k])
            row(json, first, mode, kinds[k], s->xml[k], s->fi[k], 0, 0, 0);
    }
    row(json, first, mode, "all", x, f, 0, 0, 0);
}

int bench_fi(int argc, char **argv)
{
    const char *dir = NULL;
    double secs = 1.0, dec, ex, exns, enc;
    int json = 0, first = 1, i;
    struct doc *d;
    size_t n, k, xml_total = 0;
    struct sizes per_doc = {0}, stream = {0}, stream_voc = {0};
    fi_ctx *ctx;
    fi_decoder *dd;
    fi_encoder *ee;
    XML_Parser xp, xpns;
    static const struct fi_handler nop = {.start_element = n_start,
                                          .end_element = n_end,
                                          .characters = n_text};

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--write-corpus") && i + 1 < argc)
            return write_corpus(argv[i + 1]);
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: orbweb bench fi [--json] [--seconds S] [DIR]\n");
            return 0;
        } else
            dir = argv[i];
    }
    n = dir ? load_dir(dir, &d) : gen_corpus(&d);
    if (!n) {
        fprintf(stderr, "bench fi: no .xml documents in %s\n", dir);
        return 1;
    }
    for (k = 0; k < n; k++)
        xml_total += d[k].len;
    ctx = fi_ctx_new(NULL, NULL);
    size_docs(ctx, d, n, &per_doc);
    size_stream(ctx, d, n, &(struct fi_encoder_options){.stream = 1}, &stream);
    size_stream(ctx, d, n,
                &(struct fi_encoder_options){.stream = 1, .typed = 1,
                                             .vocab = fi_vocab_xmpp()},
                &stream_voc);

    dd = fi_decoder_new(ctx, &nop, NULL, 0);
    ee = fi_encoder_new(ctx, NULL);
    xp = XML_ParserCreate(NULL);
    xpns = XML_ParserCreateNS(NULL, '\x01');
    dec = rate(secs, pass_fi, dd, d, n);
    ex = rate(secs, pass_expat, xp, d, n);
    exns = rate(secs, pass_expat_ns, xpns, d, n);
    enc = rate(secs, pass_encode, ee, d, n);

    if (json) {
        printf("[");
        report_sizes(1, &first, "document", &per_doc);
        report_sizes(1, &first, "stream", &stream);
        report_sizes(1, &first, "stream+xmpp+typed", &stream_voc);
        row(1, &first, "decode", "all", xml_total, 0, dec, exns, enc);
        printf("\n]\n");
    } else {
        bench_print_machine(stdout);
        printf("corpus: %zu documents, %zu bytes of XML (%s)\n", n, xml_total,
               dir ? dir : "generated, seed 42");
        printf("  %-22s %-10s %10s %10s %6s\n", "size: mode", "kind",
               "xml_bytes", "fi_bytes", "ratio");
        report_sizes(0, &first, "document", &per_doc);
        report_sizes(0, &first, "stream", &stream);
        report_sizes(0, &first, "stream+xmpp+typed", &stream_voc);
        printf("decode: ours %.0f docs/s (%.1f MB/s of XML)\n", dec,
               dec * (double)xml_total / (double)n / 1e6);
        printf("        expat, namespaces on %.0f docs/s, off %.0f docs/s\n",
               exns, ex);
        printf("        ratio ours/expat(ns) %.2f, ours/expat(plain) %.2f\n",
               dec / exns, dec / ex);
        printf("encode: XML -> FI through expat %.0f docs/s\n", enc);
    }
    XML_ParserFree(xp);
    XML_ParserFree(xpns);
    fi_decoder_free(dd);
    fi_encoder_free(ee);
    fi_ctx_free(ctx);
    for (k = 0; k < n; k++) {
        free(d[k].xml);
        free(d[k].fi);
    }
    free(d);
    (void)sink;
    return 0;
}
