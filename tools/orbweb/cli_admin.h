/* cli_admin.h -- what orbweb's admin commands (traffic, topo) share:
 * the login options, logging in, and one admin query to xmucd with its
 * errors turned into one line a person can act on. */
#ifndef TOOLS_ORBWEB_CLI_ADMIN_H
#define TOOLS_ORBWEB_CLI_ADMIN_H

#include <signal.h>
#include <stddef.h>
#include <strophe.h>

#include "hs_client.h"
#include "ut_ns.h"

struct cli_admin {
    const char *server;        /* HOST:PORT or [V6]:PORT of the c2s port */
    const char *jid;           /* an admin JID of xmucd */
    const char *password_file; /* first line is the password */
    const char *component;     /* default: "rooms." + the JID's domain */
    int timeout_ms;            /* login and each query */
};

/* Splits HOST:PORT or [V6]:PORT into host (len bytes) and *port;
 * -1 when malformed. */
int cli_split_server(const char *s, char *host, size_t len, int *port);

/* The first line of path, without its line end, into buf; -1 with a
 * reason in err (unreadable or empty file). */
int cli_read_password(const char *path, char *buf, size_t len, char *err,
                      size_t errlen);

/* Checks the options and logs in.  Returns the client, or NULL with one
 * line (starting with cmd, e.g. "orbweb traffic: ") on stderr. */
hs_client *cli_admin_login(const char *cmd, const struct cli_admin *a);

/* The component domain to query (a->component or its default), written
 * into buf; NULL when the JID has no domain. */
const char *cli_admin_component(const struct cli_admin *a, char *buf,
                                size_t len);

/* Sends <iq type='get' to=to><elem xmlns=UT_NS_XMUC/></iq> and waits
 * for the answer, giving up early when *stop becomes nonzero.  Returns 0
 * with the answer's <elem/> in *payload (release it), 1 when stopped, or
 * -1 with one line in err (the error condition in words, or a timeout). */
int cli_admin_query(hs_client *c, const char *to, const char *elem,
                    int timeout_ms, volatile sig_atomic_t *stop,
                    xmpp_stanza_t **payload, char *err, size_t errlen);

/* The whole topology of room, read page by page (docs/protocol.md,
 * "Topology"), again from the start if the room changed meanwhile (up to
 * five times).  0 with the JSON in *json (free it), 1 when stopped, or -1
 * with one line in err. */
int cli_admin_topology(hs_client *c, const char *room, int timeout_ms,
                       volatile sig_atomic_t *stop, char **json, char *err,
                       size_t errlen);

#endif
