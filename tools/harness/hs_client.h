/* hs_client.h -- a small synchronous XMPP client for tests and tools.
 *
 * Each client has its own libstrophe context and is pumped only while
 * one of its calls waits; the server buffers what arrives meanwhile.
 * Incoming stanzas are queued and taken in order by hs_client_wait();
 * iq replies are matched by id.  Connecting ignores SIGPIPE in the
 * process.  Not for production peers: liborbweb is. */
#ifndef TOOLS_HARNESS_HS_CLIENT_H
#define TOOLS_HARNESS_HS_CLIENT_H

#include <stdarg.h>
#include <strophe.h>

typedef struct hs_client hs_client;

/* Logs in (SASL ANONYMOUS when pass is NULL; jid is then the domain).
 * TLS is used when offered, trusting the throwaway certificate.
 * NULL on failure or timeout, with the reason in err. */
hs_client *hs_client_connect(const char *host, int port, const char *jid,
                             const char *pass, int timeout_ms, char *err,
                             size_t errlen);

/* Closes the stream politely and frees c.  NULL is a no-op. */
void hs_client_close(hs_client *c);

xmpp_ctx_t *hs_client_ctx(hs_client *c);

/* The full JID the server bound. */
const char *hs_client_jid(hs_client *c);

/* Sends a stanza (the caller keeps its reference). */
void hs_client_send(hs_client *c, xmpp_stanza_t *stanza);

/* Sends the stanza written by fmt and ap (vprintf), parsed by libstrophe.
 * 0, or -1 when the text is not one well-formed element (nothing sent). */
int hs_client_send_xmlv(hs_client *c, const char *fmt, va_list ap);

/* Sends an iq get/set and waits for its result or error.  Returns the
 * reply (release it) or NULL on timeout. */
xmpp_stanza_t *hs_client_iq(hs_client *c, xmpp_stanza_t *iq, int timeout_ms);

/* Waits for the next queued stanza named name ("message", "presence",
 * "iq", or NULL for any), skipping none: others stay queued.  Returns it
 * (release it) or NULL on timeout. */
xmpp_stanza_t *hs_client_wait(hs_client *c, const char *name, int timeout_ms);

/* Like hs_client_wait, but for the first queued stanza named name (or
 * any, when NULL) whose from is `from` (any, when NULL). */
xmpp_stanza_t *hs_client_wait_from(hs_client *c, const char *name,
                                   const char *from, int timeout_ms);

/* Reads whatever arrives until quiet_ms pass without a new stanza (or
 * max_ms in all).  Returns the number of stanzas queued. */
size_t hs_client_drain(hs_client *c, int quiet_ms, int max_ms);

/* Takes the first queued stanza named name (any when NULL) without
 * reading from the network; NULL when there is none.  Release it. */
xmpp_stanza_t *hs_client_take(hs_client *c, const char *name);

/* Builds <iq type=TYPE to=TO id=auto><query xmlns=NS/></iq>; release it. */
xmpp_stanza_t *hs_iq_query(xmpp_ctx_t *ctx, const char *type, const char *to,
                           const char *elem, const char *ns);

#endif
