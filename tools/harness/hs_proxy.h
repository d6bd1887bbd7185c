/* hs_proxy.h -- a TCP relay on loopback that can hand a stanza over one
 * byte at a time.
 *
 * Tests put it between a client (liborbweb, libstrophe, xmucd) and a real
 * server, to see what the client's stream parser does with a stanza that
 * arrives in pieces.  It relays both ways in a thread of its own.  Armed
 * with a marker, it keeps the server's bytes until the marker has come,
 * sends what precedes the marker's stanza at once, and then the stanza
 * itself one byte per write, each time waiting until the client has read
 * the byte (its socket's receive queue, read from /proc/net/tcp, is empty),
 * up to the end string that follows the marker.  Then it holds everything
 * else back until hs_proxy_release.  A parser that delivers the stanza
 * while the relay holds did not wait for further bytes. */
#ifndef TOOLS_HARNESS_HS_PROXY_H
#define TOOLS_HARNESS_HS_PROXY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hs_proxy hs_proxy;

enum hs_proxy_result {
    HS_PROXY_OK = 0,
    HS_PROXY_ENOMEM = -1,
    HS_PROXY_ESYS = -2, /* a socket, pipe or thread could not be made */
};

/* Listens on 127.0.0.1 (a free port) and relays every client it accepts
 * to host:port, one at a time.  Returns 0 and sets *out, or a negative
 * HS_PROXY_E* code with *out NULL and the reason in err. */
int hs_proxy_start(const char *host, int port, char *err, size_t errlen,
                   hs_proxy **out);

/* Stops the relay (closing both sides) and frees p.  NULL is a no-op. */
void hs_proxy_stop(hs_proxy *p);

int hs_proxy_port(const hs_proxy *p);

/* Arms the relay: the first stanza of the server's that contains marker
 * goes byte by byte, from a little before the marker (its start tag) to
 * the end of the first `end` after it ("</message>"), then the relay holds.
 * lead is how many bytes before the marker go byte by byte too. */
void hs_proxy_arm(hs_proxy *p, const char *marker, const char *end,
                  size_t lead);

/* True once an armed stanza has been sent and read to its last byte and
 * the relay holds; *bytes (when not NULL) is how many went one by one. */
bool hs_proxy_holding(hs_proxy *p, size_t *bytes);

/* Sends what was held back and relays freely again. */
void hs_proxy_release(hs_proxy *p);

/* Closes the current connection (both sides), as a network failure
 * would, and goes on accepting: the client may reconnect.  With
 * hold_ms > 0, no new connection is taken for that long (connections
 * wait in the listen queue), so the outage lasts at least hold_ms.
 * Returns once the connection is closed, so that what the caller does
 * next happens during the outage. */
void hs_proxy_cut(hs_proxy *p, int hold_ms);

/* Counts needle (at most 63 bytes; "<auth " counts SASL login attempts
 * on an unencrypted stream) in what clients send from now on. */
void hs_proxy_watch(hs_proxy *p, const char *needle);
unsigned hs_proxy_seen(hs_proxy *p);
/* Clients accepted since the start. */
unsigned hs_proxy_accepted(hs_proxy *p);

#endif
