/* bench_fi.c -- orbweb bench fi: Fast Infoset size and speed against XML.
 *
 * On a corpus of XMPP stanzas (made here by a seeded generator, or the
 * *.xml files of a folder) it reports, in one run: FI bytes over XML
 * bytes per document, for a whole stream, and for a stream with the XMPP
 * vocabulary and typed content, overall and per stanza kind; how many
 * documents per second our decoder parses against expat and libxml2's
 * SAX2 push parser (the anchors) parsing the same documents' XML, and
 * against the Java reference FI parser (tests/compat/FiCompat.java, when
 * java and the jar are installed) parsing the same FI documents, all with
 * empty callbacks; and how many documents per second the encoder makes
 * from events recorded beforehand (no XML parsing in the figure). */
#include "config.h"

#include <dirent.h>
#include <expat.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static const char *const kinds[] = {"chat",  "groupchat", "presence", "roster",
                                    "disco", "base64",    "other"};
#define NKINDS 7

/* ---- a deterministic stanza generator ---- */

static uint64_t seed = 42;

static unsigned rnd(unsigned n)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((seed >> 33) % n);
}

static const char *const words[] = {
    "build",   "merge",   "room",   "the",       "review", "patch",
    "later",   "coffee",  "deploy", "client",    "server", "link",
    "file",    "video",   "thanks", "Grüße",     "ok",     "branch",
    "release", "meeting", "&amp;",  "&lt;b&gt;",
};
static const char *const users[] = {"alice", "bob",   "carol", "dave",
                                    "erin",  "frank", "grace", "heidi"};

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
    size_t n = (size_t)sprintf(
        o,
        "<message xmlns='jabber:client' from='%s@example.org/pc' "
        "to='%s@example.com' type='chat' id='m%u'><body>",
        U, U, rnd(100000));
    n += text(o + n, 5 + rnd(30));
    return n + (size_t)sprintf(o + n, "</body><active xmlns='http://jabber.org/"
                                      "protocol/chatstates'/></message>");
}

static size_t gen_groupchat(char *o)
{
    size_t n = (size_t)sprintf(
        o,
        "<message xmlns='jabber:client' from='room@muc.example.org/%s' "
        "to='%s@example.com/pc' type='groupchat' id='g%u'><body>",
        U, U, rnd(100000));
    n += text(o + n, 5 + rnd(25));
    return n +
           (size_t)sprintf(o + n,
                           "</body><delay xmlns='urn:xmpp:delay' "
                           "from='room@muc.example.org' "
                           "stamp='2024-09-%02uT%02u:%02u:%02uZ'/></message>",
                           1 + rnd(28), rnd(24), rnd(60), rnd(60));
}

static size_t gen_presence(char *o)
{
    static const char *const aff[] = {"member", "owner", "none", "admin"};
    static const char *const role[] = {"participant", "moderator", "visitor"};

    return (size_t)sprintf(
        o,
        "<presence xmlns='jabber:client' from='room@muc.example.org/%s' "
        "to='%s@example.com/pc'>"
        "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
        "node='https://psi-plus.com' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
        "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='%s' "
        "role='%s' "
        "jid='%s@example.com/pc'/>%s</x></presence>",
        U, U, aff[rnd(4)], role[rnd(3)], U,
        rnd(3) ? "" : "<status code='110'/>");
}

static size_t gen_roster(char *o)
{
    size_t n = (size_t)sprintf(o,
                               "<iq xmlns='jabber:client' type='result' "
                               "id='r%u' to='%s@example.com/pc'>"
                               "<query xmlns='jabber:iq:roster' ver='ver%u'>",
                               rnd(1000), U, rnd(99));
    unsigned i, k = 3 + rnd(12);

    for (i = 0; i < k; i++)
        n += (size_t)sprintf(
            o + n,
            "<item jid='%s%u@example.net' name='%s' subscription='both'>"
            "<group>Friends</group></item>",
            U, i, U);
    return n + (size_t)sprintf(o + n, "</query></iq>");
}

static size_t gen_disco(char *o)
{
    static const char *const feat[] = {
        "http://jabber.org/protocol/muc",
        "http://jabber.org/protocol/disco#info",
        "http://jabber.org/protocol/caps",
        "urn:xmpp:ping",
        "urn:xmpp:receipts",
        "jabber:iq:version",
        "urn:xmpp:jingle:1",
        "http://jabber.org/protocol/chatstates",
    };
    size_t n =
        (size_t)sprintf(o,
                        "<iq xmlns='jabber:client' type='result' id='d%u' "
                        "from='%s@example.com/pc'>"
                        "<query xmlns='http://jabber.org/protocol/disco#info'>"
                        "<identity category='client' type='pc' name='orbweb'/>",
                        rnd(1000), U);
    unsigned i;

    for (i = 0; i < 8; i++)
        n += (size_t)sprintf(o + n, "<feature var='%s'/>", feat[i]);
    return n + (size_t)sprintf(o + n, "</query></iq>");
}

static size_t gen_base64(char *o)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = (size_t)sprintf(
        o,
        "<iq xmlns='jabber:client' type='set' id='b%u' to='%s@example.com/pc'>"
        "<data xmlns='http://jabber.org/protocol/ibb' seq='%u' sid='s%u'>",
        rnd(1000), U, rnd(100), rnd(100));
    unsigned i, k = 64 * (1 + rnd(40));

    for (i = 0; i < k; i++)
        o[n++] = b64[rnd(64)];
    return n + (size_t)sprintf(o + n, "</data></iq>");
}

static size_t gen_corpus(struct doc **out)
{
    static size_t (*const gen[])(char *) = {gen_chat,     gen_groupchat,
                                            gen_presence, gen_roster,
                                            gen_disco,    gen_base64};
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
        snprintf(path, sizeof path, "%s/g%04zu-%s.xml", dir, i,
                 kinds[d[i].kind]);
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
    fi_encoder *e;
    size_t i;

    if (fi_encoder_new(ctx, NULL, &e))
        abort();
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
    fi_encoder *e;
    size_t i, len;
    const uint8_t *p;

    if (fi_encoder_new(ctx, o, &e))
        abort();
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

static int n_start(void *ud, const struct fi_qname *q,
                   const struct fi_nsdecl *ns, size_t nns,
                   const struct fi_attr *a, size_t na)
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
static double rate(double secs,
                   void (*pass)(void *, const struct doc *, size_t), void *ctx,
                   const struct doc *d, size_t n)
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

/* libxml2's SAX2 push parser, reused with xmlCtxtResetPush. */
static void lx_start(void *ud, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nns, const xmlChar **ns,
                     int nattrs, int ndef, const xmlChar **attrs)
{
    (void)ud, (void)prefix, (void)uri, (void)ns, (void)ndef, (void)attrs;
    sink += local[0] + (unsigned)nns + (unsigned)nattrs;
}
static void lx_end(void *ud, const xmlChar *local, const xmlChar *prefix,
                   const xmlChar *uri)
{
    (void)ud, (void)prefix, (void)uri;
    sink += local[0];
}
static void lx_text(void *ud, const xmlChar *s, int n)
{
    (void)ud, (void)s;
    sink += (unsigned long)n;
}
static void lx_quiet(void *ud, const xmlError *err)
{
    (void)ud, (void)err;
}

static xmlParserCtxtPtr lx_new(void)
{
    xmlSAXHandler sax;

    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = lx_start;
    sax.endElementNs = lx_end;
    sax.characters = lx_text;
    sax.serror = (xmlStructuredErrorFunc)lx_quiet;
    return xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
}

static void pass_libxml2(void *c, const struct doc *d, size_t n)
{
    xmlParserCtxtPtr p = c;
    size_t i;

    for (i = 0; i < n; i++) {
        xmlCtxtResetPush(p, NULL, 0, NULL, NULL);
        if (xmlParseChunk(p, d[i].xml, (int)d[i].len, 1) || !p->wellFormed)
            abort();
    }
}

/* ---- encoding from recorded events ---- */

enum { R_START, R_END, R_TEXT, R_COMMENT, R_PI };

struct rec_ev {
    int type;
    struct fi_qname name;
    struct fi_nsdecl *ns;
    struct fi_attr *attrs;
    size_t nns, nattrs;
    struct fi_str a, b; /* text, or PI target and data */
};

struct rec {
    struct rec_ev *ev;
    size_t n, cap;
};

static struct fi_str rec_str(struct fi_str s)
{
    char *p = malloc(s.len + 1);

    if (!p)
        abort();
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return (struct fi_str){p, s.len};
}

static struct rec_ev *rec_push(struct rec *r, int type)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        if (!r->ev)
            abort();
    }
    memset(&r->ev[r->n], 0, sizeof *r->ev);
    r->ev[r->n].type = type;
    return &r->ev[r->n++];
}

static struct fi_qname rec_qname(const struct fi_qname *q)
{
    return (struct fi_qname){rec_str(q->prefix), rec_str(q->ns),
                             rec_str(q->local)};
}

static int r_start(void *ud, const struct fi_qname *q,
                   const struct fi_nsdecl *ns, size_t nns,
                   const struct fi_attr *a, size_t na)
{
    struct rec_ev *e = rec_push(ud, R_START);
    size_t i;

    e->name = rec_qname(q);
    e->ns = calloc(nns + 1, sizeof *e->ns);
    e->attrs = calloc(na + 1, sizeof *e->attrs);
    if (!e->ns || !e->attrs)
        abort();
    for (i = 0; i < nns; i++)
        e->ns[i] = (struct fi_nsdecl){rec_str(ns[i].prefix), rec_str(ns[i].ns)};
    for (i = 0; i < na; i++)
        e->attrs[i] =
            (struct fi_attr){rec_qname(&a[i].name), rec_str(a[i].value)};
    e->nns = nns;
    e->nattrs = na;
    return 0;
}
static int r_end(void *ud, const struct fi_qname *q)
{
    (void)q;
    rec_push(ud, R_END);
    return 0;
}
static int r_text(void *ud, const char *s, size_t n)
{
    struct rec *r = ud;

    if (r->n && r->ev[r->n - 1].type == R_TEXT) { /* expat splits text */
        struct fi_str *t = &r->ev[r->n - 1].a;
        char *p = realloc((char *)t->ptr, t->len + n + 1);
        if (!p)
            abort();
        memcpy(p + t->len, s, n);
        t->ptr = p;
        t->len += n;
        return 0;
    }
    rec_push(ud, R_TEXT)->a = rec_str((struct fi_str){s, n});
    return 0;
}
static int r_comment(void *ud, const char *s, size_t n)
{
    rec_push(ud, R_COMMENT)->a = rec_str((struct fi_str){s, n});
    return 0;
}
static int r_pi(void *ud, struct fi_str t, struct fi_str data)
{
    struct rec_ev *e = rec_push(ud, R_PI);

    e->a = rec_str(t);
    e->b = rec_str(data);
    return 0;
}

static const struct fi_handler recorder = {
    .start_element = r_start,
    .end_element = r_end,
    .characters = r_text,
    .comment = r_comment,
    .pi = r_pi,
};

static void free_qname(struct fi_qname *q)
{
    free((char *)q->prefix.ptr);
    free((char *)q->ns.ptr);
    free((char *)q->local.ptr);
}

static void rec_free(struct rec *r)
{
    size_t i, k;

    for (i = 0; i < r->n; i++) {
        struct rec_ev *e = &r->ev[i];
        if (e->type == R_START) {
            free_qname(&e->name);
            for (k = 0; k < e->nns; k++) {
                free((char *)e->ns[k].prefix.ptr);
                free((char *)e->ns[k].ns.ptr);
            }
            for (k = 0; k < e->nattrs; k++) {
                free_qname(&e->attrs[k].name);
                free((char *)e->attrs[k].value.ptr);
            }
            free(e->ns);
            free(e->attrs);
        }
        free((char *)e->a.ptr);
        free((char *)e->b.ptr);
    }
    free(r->ev);
}

static int replay(fi_encoder *e, const struct rec *r)
{
    size_t i;
    int rc = fi_encoder_start_document(e);

    for (i = 0; i < r->n && !rc; i++) {
        const struct rec_ev *v = &r->ev[i];
        switch (v->type) {
        case R_START:
            rc = fi_encoder_start_element(e, &v->name, v->ns, v->nns, v->attrs,
                                          v->nattrs);
            break;
        case R_END: rc = fi_encoder_end_element(e); break;
        case R_TEXT: rc = fi_encoder_characters(e, v->a.ptr, v->a.len); break;
        case R_COMMENT: rc = fi_encoder_comment(e, v->a.ptr, v->a.len); break;
        default: rc = fi_encoder_pi(e, v->a, v->b);
        }
    }
    return rc ? rc : fi_encoder_end_document(e);
}

struct enc_pass {
    fi_encoder *e;
    const struct rec *recs;
};

static void pass_encode(void *c, const struct doc *d, size_t n)
{
    struct enc_pass *p = c;
    size_t i;

    (void)d;
    for (i = 0; i < n; i++) {
        fi_encoder_reset(p->e);
        if (replay(p->e, &p->recs[i]))
            abort();
    }
}

/* ---- the Java reference parser, through tests/compat/FiCompat.java ---- */

/* Where FiCompat.java is: $OB_SRCDIR, the current folder, or the source
 * folder named in the Makefile of the build tree holding this program. */
static int find_java_src(char *out, size_t len)
{
    const char *rel = "tests/compat/FiCompat.java";
    const char *env = getenv("OB_SRCDIR");
    char exe[4096], mk[4200], line[4096];
    struct stat st;
    ssize_t k;
    FILE *f;

    if (env && (size_t)snprintf(out, len, "%s/%s", env, rel) < len &&
        !stat(out, &st))
        return 0;
    if ((size_t)snprintf(out, len, "%s", rel) < len && !stat(out, &st))
        return 0;
    k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return -1;
    exe[k] = 0;
    if (strrchr(exe, '/'))
        *strrchr(exe, '/') = 0; /* BUILD/tools/orbweb */
    snprintf(mk, sizeof mk, "%s/../../Makefile", exe);
    if (!(f = fopen(mk, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "abs_top_srcdir = ", 17)) {
            int w;
            line[strcspn(line, "\n")] = 0;
            fclose(f);
            w = snprintf(out, len, "%s/%s", line + 17, rel);
            return w < 0 || (size_t)w >= len || stat(out, &st) ? -1 : 0;
        }
    fclose(f);
    return -1;
}

static int rm_tree(const char *dir)
{
    char cmd[4200];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* Runs the reference parser over the documents' FI for about `secs`
 * seconds (after as long a warm-up); returns docs/s, or 0 with *why set. */
static double java_rate(const struct doc *d, size_t n, double secs,
                        const char **why)
{
    const char *jar =
        getenv("FI_JAR") ? getenv("FI_JAR") : "/usr/share/java/FastInfoset.jar";
    char src[4096], tmp[] = "/tmp/orbweb-bench-fi-XXXXXX", cmd[16384];
    char path[4200], line[256];
    struct stat st;
    double r = 0;
    size_t i;
    FILE *f;

    if (system("command -v java >/dev/null 2>&1 && command -v javac >/dev/null "
               "2>&1")) {
        *why = "java or javac not installed";
        return 0;
    }
    if (stat(jar, &st)) {
        *why = "FastInfoset.jar not installed (libfastinfoset-java)";
        return 0;
    }
    if (find_java_src(src, sizeof src)) {
        *why = "tests/compat/FiCompat.java not found (set OB_SRCDIR)";
        return 0;
    }
    if (!mkdtemp(tmp)) {
        *why = "cannot make a temporary folder";
        return 0;
    }
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%05zu.fi", tmp, i);
        if (!(f = fopen(path, "wb")) ||
            fwrite(d[i].fi, 1, d[i].fi_len, f) != d[i].fi_len) {
            if (f)
                fclose(f);
            *why = "cannot write the documents";
            goto out;
        }
        fclose(f);
    }
    snprintf(cmd, sizeof cmd,
             "javac -nowarn -cp '%s' -d '%s' '%s' >/dev/null 2>&1 && "
             "java -cp '%s:%s' FiCompat --bench %.1f '%s' 2>/dev/null",
             jar, tmp, src, tmp, jar, secs, tmp);
    *why = "the Java bench failed";
    if (!(f = popen(cmd, "r")))
        goto out;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "docs_s ", 7))
            r = atof(line + 7);
    if (pclose(f))
        r = 0;
out:
    rm_tree(tmp);
    return r;
}

#ifndef VALUE_LIMIT
#define VALUE_LIMIT 64
#endif
/* The third size mode: what an XMPP stream would use (--vocab N picks
 * the XMPP vocabulary's version, default fi_vocab_xmpp()). */
static int vocab_version = FI_XMPP_VOCAB_DEFAULT;

static const struct fi_encoder_options *xmpp_stream_options(void)
{
    static struct fi_encoder_options o;

    o.stream = 1;
    o.typed = 1;
    o.words = 1;
    o.value_limit = VALUE_LIMIT;
    o.vocab = fi_vocab_xmpp_version(vocab_version);
    return &o;
}

/* ---- report ---- */

struct speed {
    double dec, ex, exns, lx, java, enc;
    const char *java_why;
};

static void row(int json, int *first, const char *mode, const char *kind,
                size_t xml, size_t fi, const struct speed *sp)
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
    if (sp) {
        printf(", \"decode_docs_s\": %.0f, \"expat_docs_s\": %.0f, "
               "\"expat_plain_docs_s\": %.0f, \"libxml2_docs_s\": %.0f, ",
               sp->dec, sp->exns, sp->ex, sp->lx);
        if (sp->java > 0)
            printf("\"java_docs_s\": %.0f, ", sp->java);
        else
            printf("\"java_docs_s\": null, \"java_not_measured\": \"%s\", ",
                   sp->java_why);
        printf("\"encode_docs_s\": %.0f", sp->enc);
    }
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
            row(json, first, mode, kinds[k], s->xml[k], s->fi[k], NULL);
    }
    row(json, first, mode, "all", x, f, NULL);
}

int bench_fi(int argc, char **argv)
{
    const char *dir = NULL;
    double secs = 1.0;
    int json = 0, first = 1, no_java = 0, i;
    struct doc *d;
    size_t n, k, xml_total = 0;
    struct sizes per_doc = {0}, stream = {0}, stream_voc = {0};
    struct speed sp = {0};
    struct rec *recs;
    struct enc_pass ep;
    fi_ctx *ctx;
    fi_decoder *dd;
    XML_Parser xp, xpns;
    xmlParserCtxtPtr lx;
    static const struct fi_handler nop = {
        .start_element = n_start, .end_element = n_end, .characters = n_text};

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-java"))
            no_java = 1;
        else if (!strcmp(argv[i], "--vocab") && i + 1 < argc) {
            vocab_version = atoi(argv[++i]);
            if (!fi_vocab_xmpp_version(vocab_version)) {
                fprintf(stderr, "bench fi: no XMPP vocabulary version %s\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--write-corpus") && i + 1 < argc)
            return write_corpus(argv[i + 1]);
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: orbweb bench fi [--json] [--seconds S] [--no-java] "
                   "[--vocab 1|2] [DIR]\n");
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
    if (fi_ctx_new(NULL, NULL, &ctx))
        abort();
    size_docs(ctx, d, n, &per_doc);
    size_stream(ctx, d, n, &(struct fi_encoder_options){.stream = 1}, &stream);
    size_stream(ctx, d, n, xmpp_stream_options(), &stream_voc);

    recs = calloc(n, sizeof *recs);
    if (!recs)
        abort();
    for (k = 0; k < n; k++)
        if (fi_xml_parse(ctx, d[k].xml, d[k].len, &recorder, &recs[k], NULL))
            abort();
    fi_decoder_new(ctx, &nop, NULL, 0, &dd);
    fi_encoder_new(ctx, NULL, &ep.e);
    ep.recs = recs;
    xp = XML_ParserCreate(NULL);
    xpns = XML_ParserCreateNS(NULL, '\x01');
    lx = lx_new();
    if (!dd || !ep.e || !xp || !xpns || !lx)
        abort();
    sp.dec = rate(secs, pass_fi, dd, d, n);
    sp.ex = rate(secs, pass_expat, xp, d, n);
    sp.exns = rate(secs, pass_expat_ns, xpns, d, n);
    sp.lx = rate(secs, pass_libxml2, lx, d, n);
    sp.enc = rate(secs, pass_encode, &ep, d, n);
    sp.java_why = "--no-java";
    if (!no_java)
        sp.java = java_rate(d, n, secs, &sp.java_why);

    if (json) {
        printf("[");
        report_sizes(1, &first, "document", &per_doc);
        report_sizes(1, &first, "stream", &stream);
        report_sizes(1, &first, "stream+xmpp+typed", &stream_voc);
        row(1, &first, "decode", "all", xml_total, 0, &sp);
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
        printf("decode: ours %.0f docs/s (%.1f MB/s of XML)\n", sp.dec,
               sp.dec * (double)xml_total / (double)n / 1e6);
        printf("        expat, namespaces on %.0f docs/s, off %.0f docs/s\n",
               sp.exns, sp.ex);
        printf("        libxml2 SAX2 push %.0f docs/s\n", sp.lx);
        if (sp.java > 0)
            printf("        Java reference FI parser %.0f docs/s\n", sp.java);
        else
            printf("        Java reference FI parser: not measured: %s\n",
                   sp.java_why);
        printf("        ratio ours/expat(ns) %.2f, ours/expat(plain) %.2f, "
               "ours/libxml2 %.2f",
               sp.dec / sp.exns, sp.dec / sp.ex, sp.dec / sp.lx);
        if (sp.java > 0)
            printf(", ours/java %.2f", sp.dec / sp.java);
        printf(
            "\nencode: recorded events -> FI %.0f docs/s (%.1f MB/s of XML)\n",
            sp.enc, sp.enc * (double)xml_total / (double)n / 1e6);
    }
    XML_ParserFree(xp);
    XML_ParserFree(xpns);
    xmlFreeParserCtxt(lx);
    fi_decoder_free(dd);
    fi_encoder_free(ep.e);
    fi_ctx_free(ctx);
    for (k = 0; k < n; k++) {
        free(d[k].xml);
        free(d[k].fi);
        rec_free(&recs[k]);
    }
    free(recs);
    free(d);
    (void)sink;
    return 0;
}
