/* xs_jid.h -- canonical JID parts (RFC 6122's stringprep profiles, by
 * libidn): nodeprep for the local part, nameprep for the domain,
 * resourceprep for the resource.  xmucd names rooms and nicks by their
 * canonical forms, and liborbweb matches what servers send against the
 * canonical form of what the application gave, so `CaseRoom@...` and
 * `caseroom@...` are one room everywhere. */
#ifndef SRC_XS_XS_JID_H
#define SRC_XS_XS_JID_H

#include <stddef.h>

/* Longest canonical part, in bytes (RFC 7622 3.1). */
#define XS_JID_PART_MAX 1023

/* Writes the canonical form of in (UTF-8) into out (outlen bytes; out may
 * be in).  0, or -1 when in cannot be one (a prohibited or unassigned
 * character, empty, longer than XS_JID_PART_MAX, or out too small). */
int xs_jid_nodeprep(const char *in, char *out, size_t outlen);
int xs_jid_nameprep(const char *in, char *out, size_t outlen);
int xs_jid_resourceprep(const char *in, char *out, size_t outlen);

/* "node@domain" in canonical form; 0 or -1 as above. */
int xs_jid_bare(const char *in, char *out, size_t outlen);

#endif
