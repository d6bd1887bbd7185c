/* test_ob_expat.c -- liborbweb's XML_Parse (src/substrate/ob_expat.c):
 * while liborbweb runs libstrophe, a stream fed one byte per call reports
 * each element with its last byte; outside, expat is unchanged (and, on
 * an expat that defers reparsing, late: what the interposition is for). */
#include "config.h"

#include <criterion/criterion.h>
#include <expat.h>
#include <string.h>

#include "ob_expat_internal.h"

#define ID                                                                     \
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
static const char stream[] =
    "<stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams'>"
    "<message to='a@b/c' id='" ID "'><body>hello</body></message>"
    "<presence from='x@y/z' id='" ID ID "'/>"
    "<iq type='result' id='1'><query xmlns='urn:q'>&amp;</query></iq>";

struct count {
    int ends, depth; /* top-level elements ended; current depth */
};

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
    (void)name, (void)attrs;
    ((struct count *)ud)->depth++;
}

static void XMLCALL on_end(void *ud, const char *name)
{
    struct count *c = ud;

    (void)name;
    if (--c->depth == 1)
        c->ends++;
}

static XML_Parser counting_parser(struct count *c)
{
    XML_Parser x = XML_ParserCreate(NULL);

    cr_assert(x);
    *c = (struct count){0};
    XML_SetUserData(x, c);
    XML_SetElementHandler(x, on_start, on_end);
    return x;
}

/* Top-level elements (below the root) that end within the first n bytes:
 * what a fresh parser reports when given them in one call. */
static int ended_in(size_t n)
{
    struct count c;
    XML_Parser x = counting_parser(&c);

    cr_assert_eq(XML_Parse(x, stream, (int)n, 0), XML_STATUS_OK);
    XML_ParserFree(x);
    return c.ends;
}

/* Feeds stream one byte per XML_Parse call, inside liborbweb's run of
 * libstrophe or not; returns how many bytes an element was reported late. */
static int late_bytes(bool inside)
{
    struct count c;
    XML_Parser x = counting_parser(&c);
    int late = 0;

    for (size_t i = 0; i < strlen(stream); i++) {
        if (inside)
            obi_expat_enter();
        cr_assert_eq(XML_Parse(x, stream + i, 1, 0), XML_STATUS_OK, "byte %zu",
                     i);
        if (inside)
            obi_expat_leave();
        late += c.ends < ended_in(i + 1);
    }
    XML_ParserFree(x);
    return late;
}

TestSuite(ob_expat, .timeout = 300);

Test(ob_expat, inside_liborbweb_every_element_comes_with_its_last_byte)
{
    cr_assert_eq(ended_in(strlen(stream)), 3);
    cr_expect_eq(late_bytes(true), 0);
    cr_expect(obi_expat_routed(),
              "libstrophe's calls would not reach liborbweb's");
}

Test(ob_expat, outside_liborbweb_expat_is_unchanged)
{
    int late = late_bytes(false);

#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED
    cr_expect_gt(late, 0,
                 "this expat does not defer: ob_expat.c has nothing to do");
#else
    cr_expect_eq(late, 0);
#endif
}
