/* test_topo.c -- orbweb topo's topology reader and writers: the shapes it
 * accepts, what it refuses and where, the text (sorted, stable) and DOT
 * it writes, --around's neighbourhood against an independent BFS, and
 * the pictures of a 1,000-member room built by the view managers in
 * process (valid XML, bounded, no text on edges, a legend; PNG). */
#include "config.h"

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"
#include "topo_draw.h"
#include "vm.h"

static const char *const rbt3 =
    "{\"manager\":\"rbt\",\"members\":[1,2,3],\"edges\":[\n"
    "{\"from\":2,\"to\":3,\"attrs\":[\"tree\",\"gossip\"]},\n"
    "{\"from\":1,\"to\":2,\"attrs\":[\"tree\"]},\n"
    "{\"from\":2,\"to\":1,\"attrs\":[\"tree\"]}],\n"
    "\"nicks\":{\"3\":\"carol\",\"1\":\"alice\",\"2\":\"bob\"}}\n";

static char *written(const struct cli_topo *t, int dot)
{
    static char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");

    cr_assert(f);
    cr_assert_eq(dot ? cli_topo_write_dot(t, "r@rooms", f)
                     : cli_topo_write_text(t, f),
                 0);
    fclose(f);
    return buf;
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(topo, .timeout = 300);

Test(topo, reads_the_export_shape)
{
    struct cli_topo t;

    cr_assert_eq(cli_topo_parse(rbt3, strlen(rbt3), &t, NULL), 0);
    cr_expect_str_eq(t.manager, "rbt");
    cr_assert_eq(t.nmembers, 3);
    cr_expect_eq(t.members[2], 3);
    cr_assert_eq(t.nedges, 3);
    cr_expect_eq(t.edges[0].from, 1, "edges are sorted");
    cr_expect_str_eq(t.edges[2].attrs, "tree,gossip");
    cr_expect_str_eq(cli_topo_nick(&t, 2), "bob");
    cr_expect_null(cli_topo_nick(&t, 4));
    cr_expect_str_eq(written(&t, 0), "alice -> bob(tree)\n"
                                     "bob -> alice(tree), carol(tree,gossip)\n"
                                     "carol ->\n");
    cli_topo_clear(&t);
}

Test(topo, dot_labels_colours_and_twins)
{
    struct cli_topo t;
    const char *d;

    cr_assert_eq(cli_topo_parse(rbt3, strlen(rbt3), &t, NULL), 0);
    d = written(&t, 1);
    cr_expect(strstr(d, "digraph room {\n"), "%s", d);
    cr_expect(strstr(d, "label=\"r@rooms (rbt, 3 members)\""), "%s", d);
    cr_expect(strstr(d, "  n1 [label=\"alice\"];\n"), "%s", d);
    cr_expect(strstr(d, "  n1 -> n2 [label=\"tree\", color=black, "
                        "fontcolor=black, dir=both];\n"),
              "%s", d);
    cr_expect_null(strstr(d, "n2 -> n1"), "twins are drawn once: %s", d);
    cr_expect(strstr(d, "  n2 -> n3 [label=\"tree,gossip\", color=black"), "%s",
              d);
    cr_expect(d[strlen(d) - 2] == '}');
    cli_topo_clear(&t);
}

Test(topo, hostile_nicks_are_escaped)
{
    const char *j = "{\"members\":[1,2],\"edges\":[{\"from\":1,\"to\":2,"
                    "\"attrs\":[\"x\\u001b\"]}],\"nicks\":{\"1\":"
                    "\"a\\\"]; evil [\\\\\",\"2\":\"\\u001b[2Jb\\n\"}}";
    struct cli_topo t;
    const char *out;

    cr_assert_eq(cli_topo_parse(j, strlen(j), &t, NULL), 0);
    out = written(&t, 0);
    cr_expect_str_eq(out, "?[2Jb? ->\na\"]; evil [\\ -> ?[2Jb?(x?)\n");
    out = written(&t, 1);
    cr_expect(strstr(out, "n1 [label=\"a\\\"]; evil [\\\\\"];"), "%s", out);
    cr_expect_null(strstr(out, "\x1b"));
    cli_topo_clear(&t);
}

Test(topo, unknown_ids_and_keys)
{
    const char *j = "{\"v\":2,\"members\":[5],\"edges\":[{\"from\":5,"
                    "\"to\":6,\"attrs\":[],\"w\":{\"k\":[1.5e-3,true]}}]}";
    struct cli_topo t;

    cr_assert_eq(cli_topo_parse(j, strlen(j), &t, NULL), 0);
    cr_expect_null(t.manager);
    cr_expect_str_eq(written(&t, 0), "#5 -> #6()\n");
    cli_topo_clear(&t);
}

static const struct {
    const char *json;
    int err;
    size_t offset;
} bad[] = {
    {"", CLI_TOPO_ESYNTAX, 0},
    {"[]", CLI_TOPO_ESHAPE, 0},
    {"{\"members\":[1,2}", CLI_TOPO_ESYNTAX, 15},
    {"{\"members\":[1,-2]}", CLI_TOPO_ESHAPE, 14},
    {"{\"members\":[1.5]}", CLI_TOPO_ESHAPE, 12},
    {"{\"members\":[01]}", CLI_TOPO_ESYNTAX, 13},
    {"{\"members\":[4294967296]}", CLI_TOPO_ESHAPE, 12},
    {"{\"members\":[\"1\"]}", CLI_TOPO_ESHAPE, 15},
    {"{\"members\":{}}", CLI_TOPO_ESHAPE, 11},
    {"{\"edges\":[{\"from\":1}]}", CLI_TOPO_ESHAPE, 20},
    {"{\"edges\":[1]}", CLI_TOPO_ESHAPE, 10},
    {"{\"nicks\":{\"x\":\"a\"}}", CLI_TOPO_ESHAPE, 14},
    {"{\"nicks\":{\"1\":2}}", CLI_TOPO_ESHAPE, 14},
    {"{\"manager\":\"a\\u0000\"}", CLI_TOPO_ESHAPE, 19},
    {"{\"manager\":\"\\ud800\"}", CLI_TOPO_ESYNTAX, 18},
    {"{\"manager\":\"\\udc00x\"}", CLI_TOPO_ESYNTAX, 18},
    {"{\"manager\":\"a\nb\"}", CLI_TOPO_ESYNTAX, 14},
    {"{\"manager\":\"\\q\"}", CLI_TOPO_ESYNTAX, 13},
    {"{\"manager\":\"abc", CLI_TOPO_ESYNTAX, 15},
    {"{\"x\":tru}", CLI_TOPO_ESYNTAX, 5},
    {"{\"x\":1} x", CLI_TOPO_ESYNTAX, 8},
    {"{\"x\":1,}", CLI_TOPO_ESYNTAX, 7},
};

Test(topo, refusals_with_offsets)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cli_topo t;
        size_t off = 99;
        int rc = cli_topo_parse(bad[i].json, strlen(bad[i].json), &t, &off);
        cr_expect_eq(rc, bad[i].err, "%s: %d (%s)", bad[i].json, rc,
                     cli_topo_strerror(rc));
        cr_expect_eq(off, bad[i].offset, "%s: offset %zu", bad[i].json, off);
        cr_expect_eq(t.nmembers + t.nedges + t.nnicks, 0);
        cr_expect_null(t.manager);
    }
}

Test(topo, limits)
{
    size_t n = 64 * 1024;
    char *j = malloc(n + 64);
    struct cli_topo t;

    /* too deep */
    strcpy(j, "{\"x\":");
    for (int i = 0; i < 40; i++)
        strcat(j, "[");
    cr_expect_eq(cli_topo_parse(j, strlen(j), &t, NULL), CLI_TOPO_ELIMIT);
    /* too long a string, kept or skipped */
    strcpy(j, "{\"manager\":\"");
    memset(j + 12, 'a', n);
    strcpy(j + 12 + n, "\"}");
    cr_expect_eq(cli_topo_parse(j, strlen(j), &t, NULL), CLI_TOPO_ELIMIT);
    memcpy(j, "{\"skipped\":\"", 12);
    cr_expect_eq(cli_topo_parse(j, strlen(j), &t, NULL), CLI_TOPO_ELIMIT);
    free(j);
}

/* ---- sorted, stable text ------------------------------------------- */

/* The same room twice: other ids, members, edges and nicks in another
 * order.  The text must not change by a byte. */
static const char *const room_a =
    "{\"manager\":\"tapbcast\",\"members\":[1,2,3,4],\"edges\":["
    "{\"from\":1,\"to\":2,\"attrs\":[\"tree\"]},"
    "{\"from\":1,\"to\":4,\"attrs\":[\"gossip\"]},"
    "{\"from\":1,\"to\":3,\"attrs\":[\"ring-next\"]},"
    "{\"from\":3,\"to\":1,\"attrs\":[\"ring-prev\"]}],"
    "\"nicks\":{\"1\":\"dave\",\"2\":\"carol\",\"3\":\"bob\",\"4\":"
    "\"alice\"},\"keys\":{\"1\":\"00000000000000aa\","
    "\"2\":\"9f3a1c2e55555555\"},\"segments\":{\"1\":0,\"2\":0,\"3\":5,"
    "\"4\":5}}";
static const char *const room_b =
    "{\"nicks\":{\"30\":\"carol\",\"10\":\"alice\",\"40\":\"dave\","
    "\"20\":\"bob\"},\"segments\":{\"40\":0,\"10\":5,\"30\":0,\"20\":5},"
    "\"keys\":{\"30\":\"9f3a1c2e55555555\",\"40\":\"00000000000000aa\"},"
    "\"manager\":\"tapbcast\",\"members\":[40,20,30,10],\"edges\":["
    "{\"from\":20,\"to\":40,\"attrs\":[\"ring-prev\"]},"
    "{\"from\":40,\"to\":20,\"attrs\":[\"ring-next\"]},"
    "{\"from\":40,\"to\":10,\"attrs\":[\"gossip\"]},"
    "{\"from\":40,\"to\":30,\"attrs\":[\"tree\"]}]}";

Test(topo, text_is_sorted_by_nick_and_stable)
{
    struct cli_topo a, b;
    char *ta;

    cr_assert_eq(cli_topo_parse(room_a, strlen(room_a), &a, NULL), 0);
    cr_assert_eq(cli_topo_parse(room_b, strlen(room_b), &b, NULL), 0);
    ta = strdup(written(&a, 0));
    cr_expect_str_eq(ta, "alice [segment 5] ->\n"
                         "bob [segment 5] -> dave(ring-prev)\n"
                         "carol [segment 0, key 9f3a1c2e] ->\n"
                         "dave [segment 0, key 00000000] -> alice(gossip), "
                         "bob(ring-next), carol(tree)\n");
    cr_expect_str_eq(written(&b, 0), ta, "other ids and order, same text");
    free(ta);
    cli_topo_clear(&a);
    cli_topo_clear(&b);
}

/* ---- rooms from the view managers ---------------------------------- */

static int mem_write(void *ctx, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ctx) == len ? 0 : -1;
}

/* A room of n members as xmucd would answer it: the manager's export
 * plus nicks peer0001...; members in nseg segments. */
static void room_of(const char *type, unsigned n, unsigned nseg,
                    struct cli_topo *t)
{
    vm_config cfg = {.seed = 7};
    char *exp = NULL, *json = NULL;
    size_t elen = 0, jlen = 0;
    FILE *f;
    vm *v;

    cr_assert_eq(vm_new(type, &cfg, &v), VM_OK);
    for (unsigned i = 1; i <= n; i++) {
        vm_params p = {.segment = i % nseg};
        cr_assert_eq(vm_join(v, i, &p), VM_OK);
    }
    cr_assert((f = open_memstream(&exp, &elen)));
    cr_assert_eq(vm_export(v, VM_FORMAT_JSON, mem_write, f), VM_OK);
    fclose(f);
    vm_free(v);
    while (elen && exp[elen - 1] != '}')
        elen--;
    cr_assert((f = open_memstream(&json, &jlen)));
    fprintf(f, "%.*s,\"nicks\":{", (int)(elen - 1), exp);
    for (unsigned i = 1; i <= n; i++)
        fprintf(f, "%s\"%u\":\"peer%04u\"", i > 1 ? "," : "", i, i);
    fputs("}}", f);
    fclose(f);
    cr_assert_eq(cli_topo_parse(json, jlen, t, NULL), 0, "%.200s", json);
    free(exp);
    free(json);
}

/* The picture of t into a malloc'd buffer. */
static char *drawn(const struct cli_topo *t, enum cli_draw_format fmt,
                   size_t *len)
{
    char err[512] = "", *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    int rc;

    cr_assert(f);
    rc = cli_topo_draw(t, "big@rooms.example", NULL, fmt, f, err, sizeof err);
    fclose(f);
    cr_assert_eq(rc, 0, "%s", err);
    return buf;
}

/* ---- --around against an independent BFS -------------------------- */

#define AROUND_N 200

/* Within-depth sets by repeated relaxation over an adjacency matrix:
 * not the code under test's queue and lists. */
static void reference(const struct cli_topo *t, uint32_t centre, unsigned depth,
                      bool in[AROUND_N + 1])
{
    static bool adj[AROUND_N + 1][AROUND_N + 1];
    bool next[AROUND_N + 1];

    memset(adj, 0, sizeof adj);
    for (size_t i = 0; i < t->nedges; i++)
        adj[t->edges[i].from][t->edges[i].to] =
            adj[t->edges[i].to][t->edges[i].from] = true;
    memset(in, 0, (AROUND_N + 1) * sizeof *in);
    in[centre] = true;
    for (unsigned d = 0; d < depth; d++) {
        memcpy(next, in, sizeof next);
        for (unsigned a = 1; a <= AROUND_N; a++)
            for (unsigned b = 1; a <= AROUND_N && b <= AROUND_N; b++)
                if (in[a] && adj[a][b])
                    next[b] = true;
        memcpy(in, next, sizeof next);
    }
}

Test(topo, around_is_exactly_the_members_within_depth)
{
    struct cli_topo t, part;
    bool want[AROUND_N + 1];
    uint32_t centre;

    room_of("treegossip", AROUND_N, 1, &t);
    cr_assert_eq(cli_topo_find(&t, "peer0042", &centre), 0);
    cr_expect_eq(centre, 42);
    cr_expect_eq(cli_topo_around(&t, 100000, 1, &part), CLI_TOPO_ESHAPE);
    for (unsigned depth = 0; depth <= 3; depth++) {
        size_t count = 0, edges = 0;
        reference(&t, centre, depth, want);
        cr_assert_eq(cli_topo_around(&t, centre, depth, &part), 0);
        for (unsigned id = 1; id <= AROUND_N; id++)
            count += want[id];
        cr_expect_eq(part.nmembers, count, "depth %u: %zu members, want %zu",
                     depth, part.nmembers, count);
        for (size_t i = 0; i < part.nmembers; i++)
            cr_expect(want[part.members[i]], "depth %u: %u is too far", depth,
                      part.members[i]);
        for (size_t i = 0; i < t.nedges; i++)
            edges += want[t.edges[i].from] && want[t.edges[i].to];
        cr_expect_eq(part.nedges, edges, "depth %u: the edges between them",
                     depth);
        cr_expect_eq(part.nnicks, count);
        cr_expect(part.has_center && part.center == centre);
        cli_topo_clear(&part);
    }
    cli_topo_clear(&t);
}

/* ---- pictures ------------------------------------------------------ */

struct svg_facts {
    size_t nodes, edges, edge_texts, texts;
    char legend[4096]; /* the <text> contents, joined */
    char fills[32][8]; /* distinct node fill colours */
    size_t nfills;
    bool keyed; /* a node tooltip names a 16-hex-digit key */
};

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static bool has_class(const xmlNode *n, const char *cls)
{
    xmlChar *c = xmlGetProp(n, (const xmlChar *)"class");
    bool yes = c && !strcmp((const char *)c, cls);
    xmlFree(c);
    return yes;
}

static void note_fill(struct svg_facts *s, const xmlNode *n)
{
    xmlChar *fill = xmlGetProp(n, (const xmlChar *)"fill");

    if (fill && strlen((const char *)fill) == 7) {
        size_t k = 0;
        while (k < s->nfills && strcmp(s->fills[k], (const char *)fill))
            k++;
        if (k == s->nfills && k < 32)
            memcpy(s->fills[s->nfills++], fill, 8);
    }
    xmlFree(fill);
}

static void note_tooltip(struct svg_facts *s, const xmlNode *n)
{
    xmlChar *tip =
        xmlGetNsProp(n, (const xmlChar *)"title",
                     (const xmlChar *)"http://www.w3.org/1999/xlink");
    const char *k = tip ? strstr((const char *)tip, ", key ") : NULL;

    if (k && strspn(k + 6, "0123456789abcdef") == 16)
        s->keyed = true;
    xmlFree(tip);
}

static void walk(struct svg_facts *s, const xmlNode *n, int in_edge,
                 int in_node)
{
    for (; n; n = n->next) {
        int e = in_edge, v = in_node;
        if (is(n, "g") && has_class(n, "edge"))
            s->edges++, e = 1;
        if (is(n, "g") && has_class(n, "node"))
            s->nodes++, v = 1;
        if (is(n, "text")) {
            xmlChar *c = xmlNodeGetContent(n);
            s->texts++;
            s->edge_texts += e;
            if (c &&
                strlen(s->legend) + strlen((char *)c) + 2 < sizeof s->legend) {
                strcat(s->legend, (char *)c);
                strcat(s->legend, "|");
            }
            xmlFree(c);
        }
        if (v && is(n, "ellipse"))
            note_fill(s, n);
        if (v && is(n, "a"))
            note_tooltip(s, n);
        walk(s, n->children, e, v);
    }
}

/* Width and height in points of the <svg> root. */
static void svg_size(const xmlNode *root, double *w, double *h)
{
    xmlChar *ws = xmlGetProp(root, (const xmlChar *)"width");
    xmlChar *hs = xmlGetProp(root, (const xmlChar *)"height");

    cr_assert(ws && hs);
    *w = strtod((const char *)ws, NULL);
    *h = strtod((const char *)hs, NULL);
    cr_expect(strstr((const char *)ws, "pt"), "%s", ws);
    xmlFree(ws);
    xmlFree(hs);
}

/* A thousand members in seven segments (tapbcast: ring, trees, gossip,
 * keys): one readable picture.  Bounds: the drawing is scaled into
 * CLI_DRAW_CANVAS (1,400 pt) and the legend adds four lines under it;
 * the bytes are about 450 a node and 230 an edge, here 2.4 MB. */
Test(topo, a_thousand_members_draw_bounded_with_a_legend)
{
    struct svg_facts s = {0};
    struct cli_topo t;
    size_t len;
    double w, h;
    char *svg;
    xmlDoc *doc;

    room_of("tapbcast", 1000, 7, &t);
    cr_assert_eq(t.nmembers, 1000);
    cr_assert_eq(t.nsegs, 1000);
    cr_assert_eq(t.nkeys, 1000);
    svg = drawn(&t, CLI_DRAW_SVG, &len);
    cr_expect_lt(len, 4u << 20, "%zu bytes", len);
    doc = xmlReadMemory(svg, (int)len, "topo.svg", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert(doc, "the SVG is not well-formed XML");
    svg_size(xmlDocGetRootElement(doc), &w, &h);
    cr_expect(w > 700 && w <= 1500, "width %g pt", w);
    cr_expect(h > 700 && h <= 1600, "height %g pt", h);
    walk(&s, xmlDocGetRootElement(doc), 0, 0);
    cr_expect_eq(s.nodes, 1000);
    cr_expect_gt(s.edges, 5000, "%zu edges drawn", s.edges);
    cr_expect_eq(s.edge_texts, 0, "no text on any edge");
    cr_expect_lt(s.texts, 60, "%zu texts: only the legend", s.texts);
    cr_expect(strstr(s.legend, "edges (A sees B)"), "%s", s.legend);
    cr_expect(strstr(s.legend, "tree "), "%s", s.legend);
    cr_expect(strstr(s.legend, "gossip "), "%s", s.legend);
    cr_expect(strstr(s.legend, "ring "), "%s", s.legend);
    cr_expect(strstr(s.legend, "nodes: segment"), "%s", s.legend);
    cr_expect(strstr(s.legend, "1000 members"), "%s", s.legend);
    cr_expect_geq(s.nfills, 7, "one colour a segment: %zu", s.nfills);
    cr_expect(s.keyed, "node tooltips carry the rbt keys");
    xmlFreeDoc(doc);
    free(svg);
    cli_topo_clear(&t);
}

static unsigned be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (unsigned)u[0] << 24 | (unsigned)u[1] << 16 | (unsigned)u[2] << 8 |
           u[3];
}

/* Around one member: small, so nodes are labelled with nick and short
 * key, and PNG is a PNG of bounded size. */
Test(topo, around_draws_labels_and_png)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    struct cli_topo t, part;
    struct svg_facts s = {0};
    uint32_t centre;
    unsigned pw, ph;
    size_t len;
    char *img;
    xmlDoc *doc;

    room_of("treegossip", 300, 1, &t);
    cr_assert_eq(cli_topo_find(&t, "peer0007", &centre), 0);
    cr_assert_eq(cli_topo_around(&t, centre, 1, &part), 0);
    img = drawn(&part, CLI_DRAW_SVG, &len);
    doc = xmlReadMemory(img, (int)len, "around.svg", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert(doc);
    walk(&s, xmlDocGetRootElement(doc), 0, 0);
    cr_expect_eq(s.nodes, part.nmembers);
    cr_expect_eq(s.edge_texts, 0);
    cr_expect(strstr(s.legend, "peer0007 "), "labelled: %s", s.legend);
    cr_expect(strstr(s.legend, "around peer0007"), "%s", s.legend);
    xmlFreeDoc(doc);
    free(img);

    img = drawn(&t, CLI_DRAW_PNG, &len);
    cr_assert_gt(len, 24);
    cr_expect_eq(memcmp(img, sig, 8), 0, "a PNG signature");
    cr_expect_eq(memcmp(img + 12, "IHDR", 4), 0);
    pw = be32(img + 16);
    ph = be32(img + 20);
    cr_expect(pw > 300 && pw <= 2100, "%u px wide", pw);
    cr_expect(ph > 300 && ph <= 2300, "%u px high", ph);
    free(img);
    cli_topo_clear(&part);
    cli_topo_clear(&t);
}

/* Nicks with markup and control characters stay text in the SVG. */
Test(topo, hostile_nicks_in_pictures)
{
    const char *j = "{\"members\":[1,2],\"edges\":[{\"from\":1,\"to\":2,"
                    "\"attrs\":[\"tree\"]}],\"nicks\":{\"1\":"
                    "\"</text><script>x</script>&amp;\\\"\",\"2\":"
                    "\"\\u001b]0;evil\\u0007\"}}";
    struct cli_topo t;
    struct svg_facts s = {0};
    size_t len;
    char *svg;
    xmlDoc *doc;

    cr_assert_eq(cli_topo_parse(j, strlen(j), &t, NULL), 0);
    svg = drawn(&t, CLI_DRAW_SVG, &len);
    cr_expect_null(memchr(svg, 0x1b, len));
    doc = xmlReadMemory(svg, (int)len, "hostile.svg", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert(doc, "%s", svg);
    walk(&s, xmlDocGetRootElement(doc), 0, 0);
    cr_expect_eq(s.nodes, 2);
    cr_expect(strstr(s.legend, "</text><script>x</script>&amp;\""), "%s",
              s.legend);
    xmlFreeDoc(doc);
    free(svg);
    cli_topo_clear(&t);
}
