/* test_xs_jid.c -- canonical JID parts: case folded in nodes and domains
 * (not in resources), compatibility forms mapped, and what stringprep
 * prohibits refused. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "xs_jid.h"

struct prep_case {
    const char *in, *out; /* out NULL: refused */
};

typedef int (*prep_fn)(const char *in, char *out, size_t outlen);

static void check(prep_fn fn, const char *name, const struct prep_case *cases,
                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[XS_JID_PART_MAX + 8];
        int r = fn(cases[i].in, out, sizeof out);
        if (!cases[i].out)
            cr_expect_eq(r, -1, "%s('%s') accepted as '%s'", name, cases[i].in,
                         out);
        else {
            cr_expect_eq(r, 0, "%s('%s') refused", name, cases[i].in);
            cr_expect(!r && !strcmp(out, cases[i].out),
                      "%s('%s') = '%s', not '%s'", name, cases[i].in,
                      r ? "" : out, cases[i].out);
        }
    }
}

Test(xs_jid, nodeprep)
{
    static const struct prep_case cases[] = {
        {"CaseRoom", "caseroom"},
        {"grid", "grid"},
        {"\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* Été -> été */
        {"\xef\xbc\xa1", "a"},                      /* fullwidth A */
        {"a b", NULL},
        {"a@b", NULL},
        {"a/b", NULL},
        {"a:b", NULL},
        {"a'b", NULL},
        {"a\"b", NULL},
        {"a<b", NULL},
        {"a&b", NULL},
        {"a\x01", NULL},
        {"", NULL},
        {"\xf3\xa0\x80\x81", NULL}, /* language tag, prohibited */
    };
    check(xs_jid_nodeprep, "nodeprep", cases, sizeof cases / sizeof cases[0]);
}

Test(xs_jid, resourceprep_keeps_case_and_spaces)
{
    static const struct prep_case cases[] = {
        {"Peer 17", "Peer 17"},
        {"caf\x65\xcc\x81", "caf\xc3\xa9"}, /* NFKC: e + combining acute */
        {"", NULL},
        {"a\x01", NULL},
    };
    check(xs_jid_resourceprep, "resourceprep", cases,
          sizeof cases / sizeof cases[0]);
}

Test(xs_jid, bare_jids_and_limits)
{
    char out[64], big[2100];

    cr_expect_eq(xs_jid_bare("CaseRoom@Rooms.Localhost", out, sizeof out), 0);
    cr_expect_str_eq(out, "caseroom@rooms.localhost");
    cr_expect_eq(xs_jid_bare("room@rooms.localhost/nick", out, sizeof out), -1);
    cr_expect_eq(xs_jid_bare("no-at-sign", out, sizeof out), -1);
    cr_expect_eq(xs_jid_bare("@domain", out, sizeof out), -1);
    cr_expect_eq(xs_jid_bare("a@", out, sizeof out), -1);
    cr_expect_eq(
        xs_jid_bare("averyveryverylongroomname@rooms.example.org", out, 16), -1,
        "out too small");
    memset(big, 'a', 1024);
    big[1024] = '\0';
    cr_expect_eq(xs_jid_nodeprep(big, big, sizeof big), -1, "1024 bytes");
    big[1023] = '\0';
    cr_expect_eq(xs_jid_nodeprep(big, big, sizeof big), 0, "1023 bytes");
}
