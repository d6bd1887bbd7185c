/* xs_jid.c -- canonical JID parts through libidn's stringprep (see
 * xs_jid.h).  Unassigned code points are refused (room names and nicks
 * are stored strings, RFC 3454 7). */
#include "config.h"

#include "xs_jid.h"

#include <stdio.h>
#include <string.h>
#include <stringprep.h>

static int prep(const char *in, char *out, size_t outlen,
                const Stringprep_profile *profile)
{
    size_t n = strlen(in);

    if (!n || n >= outlen)
        return -1;
    memmove(out, in, n + 1);
    if (stringprep(out, outlen, STRINGPREP_NO_UNASSIGNED, profile) !=
            STRINGPREP_OK ||
        !out[0] || strlen(out) > XS_JID_PART_MAX)
        return -1;
    return 0;
}

int xs_jid_nodeprep(const char *in, char *out, size_t outlen)
{
    return prep(in, out, outlen, stringprep_xmpp_nodeprep);
}

int xs_jid_nameprep(const char *in, char *out, size_t outlen)
{
    return prep(in, out, outlen, stringprep_nameprep);
}

int xs_jid_resourceprep(const char *in, char *out, size_t outlen)
{
    return prep(in, out, outlen, stringprep_xmpp_resourceprep);
}

int xs_jid_bare(const char *in, char *out, size_t outlen)
{
    const char *at = strchr(in, '@');
    char node[XS_JID_PART_MAX + 1], domain[XS_JID_PART_MAX + 1];
    size_t nlen = at ? (size_t)(at - in) : 0;
    int n;

    if (!at || strchr(in, '/') || nlen > XS_JID_PART_MAX)
        return -1;
    memcpy(node, in, nlen);
    node[nlen] = '\0';
    if (xs_jid_nodeprep(node, node, sizeof node) < 0 ||
        xs_jid_nameprep(at + 1, domain, sizeof domain) < 0)
        return -1;
    n = snprintf(out, outlen, "%s@%s", node, domain);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
