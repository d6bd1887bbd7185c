/* test_topo.c -- orbweb topo's topology reader and writers: the shapes it
 * accepts, what it refuses and where, and the text and DOT it writes. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

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
    cr_expect_str_eq(out, "a\"]; evil [\\ -> ?[2Jb?(x?)\n?[2Jb? ->\n");
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
