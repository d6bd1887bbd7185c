/* ob_expat.c -- libstrophe's stream parser never holds a stanza back.
 *
 * libstrophe 0.12 feeds each read of the client connection to its own
 * expat parser with XML_Parse.  expat 2.6.0, and Debian 12's backport of
 * its fix for CVE-2023-52425, defers reparsing a token that arrived split
 * over several calls until the input has about doubled: the tail of a
 * stanza that came in its own TCP segment then waits inside libstrophe
 * until the server happens to send more bytes (tests/integration/
 * test_split shows it on Prosody and ejabberd).  libstrophe gives no
 * access to its parser, so liborbweb interposes XML_Parse, narrowly:
 * while liborbweb runs libstrophe on this thread (between
 * obi_expat_enter and obi_expat_leave, around xmpp_run_once), a call
 * that is not final parses all but its last byte as asked and the last
 * byte with deferral off, as src/xs/xs_parser.c does with its own
 * parser: when the call returns, every complete token has been reported,
 * at the cost of at most one rescan of an unfinished tag per read.  Any
 * other call, from any other code or thread, is expat's XML_Parse
 * unchanged.  Why this and not a C2S stream of our own: docs/architecture.md.
 *
 * Built only where expat has XML_SetReparseDeferralEnabled; with an
 * older expat there is nothing to undo. */
#include "config.h"

#include "ob_expat_internal.h"

#ifdef HAVE_XML_SETREPARSEDEFERRALENABLED

#include <dlfcn.h>
#include <expat.h>

typedef enum XML_Status (*parse_fn)(XML_Parser, const char *, int, int);

static __thread int inside;           /* liborbweb is running libstrophe */
static __thread unsigned long parsed; /* calls that came through inside */

static parse_fn real_parse(void)
{
    static parse_fn fn;
    parse_fn f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);

    if (!f) {
        f = (parse_fn)dlsym(RTLD_NEXT, "XML_Parse");
        __atomic_store_n(&fn, f, __ATOMIC_RELEASE);
    }
    return f;
}

/* Exported, so that libstrophe's calls bind here (liborbweb comes before
 * libexpat in the process's symbol search order). */
__attribute__((visibility("default"))) enum XML_Status
XML_Parse(XML_Parser p, const char *s, int len, int isFinal)
{
    parse_fn parse = real_parse();
    enum XML_Status st;

    if (!parse)
        return XML_STATUS_ERROR;
    if (!inside || isFinal || len <= 0)
        return parse(p, s, len, isFinal);
    parsed++;
    if (len > 1 && (st = parse(p, s, len - 1, 0)) != XML_STATUS_OK)
        return st;
    XML_SetReparseDeferralEnabled(p, XML_FALSE);
    st = parse(p, s + len - 1, 1, 0);
    XML_SetReparseDeferralEnabled(p, XML_TRUE);
    return st;
}

void obi_expat_enter(void)
{
    inside++;
}

void obi_expat_leave(void)
{
    inside--;
}

bool obi_expat_routed(void)
{
    return parsed > 0;
}

unsigned long obi_expat_parsed(void)
{
    return parsed;
}

#else

void obi_expat_enter(void)
{
}

void obi_expat_leave(void)
{
}

bool obi_expat_routed(void)
{
    return true; /* no deferral to undo */
}

unsigned long obi_expat_parsed(void)
{
    return 0; /* not counted */
}

#endif
