/* e2e_jingle.h -- Jingle (XEP-0166) negotiation of direct streams: our
 * profile's stanzas (builder and hostile-input parser) and a table of
 * sessions driven by the caller.
 *
 * Sans-I/O: the table is given the time (now_ms) on every call, a seed for
 * its session ids, and a small table of callbacks (struct e2e_jingle_io):
 * what to send (IQs, lent), what to do (connect to candidates, verify a
 * certificate fingerprint, close a link), and two questions (is this JID
 * someone we know, do we take one more session).  It never touches a
 * socket; the direct streams themselves are e2e_link's.
 *
 * Roles (docs/protocol.md, "Direct streams (Jingle)"): the INITIATOR
 * listens and offers candidates and its certificate fingerprint in
 * session-initiate; the RESPONDER connects, verifies the initiator's
 * certificate, then answers session-accept with its own fingerprint,
 * which the initiator checks against the certificate its listener saw.
 *
 * Results: 0 (E2E_JINGLE_OK) or a negative enum e2e_jingle_result;
 * e2e_jingle_strerror() names them and e2e_jingle_condition() gives the
 * RFC 6120 stanza error each one is answered with. */
#ifndef SRC_E2E_E2E_JINGLE_H
#define SRC_E2E_E2E_JINGLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>
#include "ut_ns.h"

#define E2E_NS_JINGLE "urn:xmpp:jingle:1"
#define E2E_NS_JINGLE_ERRORS "urn:xmpp:jingle:errors:1"
#define E2E_NS_XMLSTREAM "urn:xmpp:jingle:apps:xmlstream:0"
#define E2E_NS_DTLS "urn:xmpp:jingle:apps:dtls:0"

#define E2E_JINGLE_MAX_CANDIDATES 8
#define E2E_JINGLE_SID_MAX 64   /* session ids, content names: [A-Za-z0-9._-] */
#define E2E_JINGLE_CID_MAX 16   /* candidate ids, same characters */
#define E2E_JINGLE_HOST_MAX 64  /* an IPv4 or IPv6 literal, NUL included */
#define E2E_JINGLE_FPR_LEN 95   /* "AB:CD:..": 32 bytes of SHA-256 */
#define E2E_JINGLE_JID_MAX 3071 /* RFC 7622 */

enum e2e_jingle_result {
    E2E_JINGLE_OK = 0,
    E2E_JINGLE_ENOMEM = -1,
    E2E_JINGLE_EINVAL = -2,         /* a caller's mistake (bad argument) */
    E2E_JINGLE_ENOTJINGLE = -3,     /* not a Jingle IQ nor an answer to ours */
    E2E_JINGLE_EBADREQ = -4,        /* malformed: bad-request */
    E2E_JINGLE_ENOTACCEPTABLE = -5, /* well formed, not our profile */
    E2E_JINGLE_EPOLICY = -6,        /* above a limit of the format */
    E2E_JINGLE_EUNKNOWN = -7,       /* no such session */
    E2E_JINGLE_EFORBIDDEN = -8,     /* a stranger */
    E2E_JINGLE_ELIMIT = -9,         /* too many sessions or negotiations */
    E2E_JINGLE_EORDER = -10,       /* action not valid in the session's state */
    E2E_JINGLE_ECONFLICT = -11,    /* session id already in use */
    E2E_JINGLE_EUNSUPPORTED = -12, /* a Jingle action outside our profile */
};

const char *e2e_jingle_strerror(int code);

/* The stanza error a result is answered with: type ("modify", "cancel",
 * "auth", "wait"), RFC 6120 condition, and Jingle's own condition from
 * urn:xmpp:jingle:errors:1 (NULL when none).  False for results that are
 * not answered with an error (OK, EINVAL, ENOTJINGLE). */
bool e2e_jingle_condition(int code, const char **type, const char **cond,
                          const char **jingle_cond);

enum e2e_jingle_action {
    E2E_JINGLE_INITIATE,
    E2E_JINGLE_ACCEPT,
    E2E_JINGLE_TERMINATE,
};

/* session-terminate reasons (XEP-0166 section 7.4), our subset. */
enum e2e_jingle_reason {
    E2E_JINGLE_SUCCESS,
    E2E_JINGLE_DECLINE,
    E2E_JINGLE_BUSY,
    E2E_JINGLE_CONNECTIVITY_ERROR,
    E2E_JINGLE_SECURITY_ERROR,
    E2E_JINGLE_TIMEOUT,
    E2E_JINGLE_GENERAL_ERROR,
};

/* The element name of a reason ("success", "connectivity-error", ...). */
const char *e2e_jingle_reason_name(enum e2e_jingle_reason r);

/* Framings of the XML stream, a bit set. */
#define E2E_FRAMING_XML 1u
#define E2E_FRAMING_FI 2u

struct e2e_jingle_candidate {
    char id[E2E_JINGLE_CID_MAX + 1];
    char host[E2E_JINGLE_HOST_MAX];
    int port;          /* 1..65535 */
    uint32_t priority; /* higher first; 0..2^31-1 */
};

/* One Jingle payload of our profile, as parsed or to be built.  Which
 * fields matter depends on the action: initiate (framing, candidates,
 * fingerprint), accept (framing, fingerprint: candidates in an accept
 * are ignored), terminate (reason). */
struct e2e_jingle_msg {
    enum e2e_jingle_action action;
    char sid[E2E_JINGLE_SID_MAX + 1];
    unsigned framing;    /* E2E_FRAMING_* offered */
    size_t n_candidates; /* sorted: priority descending, then document order */
    struct e2e_jingle_candidate candidates[E2E_JINGLE_MAX_CANDIDATES];
    char fingerprint[E2E_JINGLE_FPR_LEN + 1]; /* uppercase hex with colons */
    enum e2e_jingle_reason reason;
};

/* Reads the <jingle/> child of an IQ set (the stanza itself is not
 * checked beyond that).  Input is hostile: counts, lengths and formats are
 * bounded (at most E2E_JINGLE_MAX_CANDIDATES candidates, hosts must be IP
 * literals, ports 1..65535, sids of E2E_JINGLE_SID_MAX characters at most
 * from [A-Za-z0-9._-], a SHA-256 fingerprint).  Returns 0, ENOTJINGLE
 * (no <jingle/> child), EBADREQ, ENOTACCEPTABLE (another application,
 * transport, hash, or no framing we know), EPOLICY (too many
 * candidates or framings), EUNSUPPORTED (another Jingle action) or
 * ENOMEM (the stanza may be fine: we could not read it). */
int e2e_jingle_parse(xmpp_stanza_t *iq, struct e2e_jingle_msg *out);

/* Builds <iq type='set' to=to id=id> carrying m; party is our JID (the
 * initiator attribute of session-initiate, responder of session-accept).
 * The caller releases *out.  EINVAL when m is not buildable (a bad sid or
 * fingerprint, no candidate in an initiate). */
int e2e_jingle_build(xmpp_ctx_t *ctx, const char *to, const char *id,
                     const char *party, const struct e2e_jingle_msg *m,
                     xmpp_stanza_t **out);

/* ---- The session table ---- */

typedef struct e2e_jingle e2e_jingle;

enum e2e_jingle_role { E2E_JINGLE_INITIATOR, E2E_JINGLE_RESPONDER };

/* ENDED is what e2e_jingle_state() says of a session the table does not
 * hold: ended sessions are removed at once. */
enum e2e_jingle_state {
    E2E_JINGLE_PENDING, /* initiator: session-initiate not yet acknowledged */
    E2E_JINGLE_CONNECTING, /* initiator: acknowledged; responder: connecting */
    E2E_JINGLE_ACTIVE,     /* accepted */
    E2E_JINGLE_ENDED,
};

enum e2e_jingle_do {
    /* Responder: connect to m->candidates in order, check the peer's
     * certificate against m->fingerprint, then call e2e_jingle_connected
     * or e2e_jingle_end. */
    E2E_JINGLE_DO_CONNECT,
    /* Initiator: the responder accepted; the client certificate of the
     * link carrying this sid must have m->fingerprint, else end the
     * session with E2E_JINGLE_SECURITY_ERROR. */
    E2E_JINGLE_DO_VERIFY,
    /* Responder: the initiator acknowledged session-accept (it has
     * checked our certificate by now): the link may carry our stanzas. */
    E2E_JINGLE_DO_USE,
    /* The session ended by the peer's doing, a timeout or an error:
     * close the link with this sid, if any.  `was` tells whether it had
     * been accepted (ACTIVE) or failed while negotiating. */
    E2E_JINGLE_DO_CLOSE,
};

struct e2e_jingle_event {
    enum e2e_jingle_do what;
    const char *peer, *sid;
    enum e2e_jingle_role role;
    enum e2e_jingle_state was;        /* DO_CLOSE: the state before */
    enum e2e_jingle_reason reason;    /* DO_CLOSE */
    const struct e2e_jingle_msg *msg; /* DO_CONNECT, DO_VERIFY */
};

/* The table's outside world.  Callbacks get pointers lent for the call;
 * they must not call back into the table (queue the work instead). */
struct e2e_jingle_io {
    xmpp_ctx_t *ctx;                           /* to build stanzas */
    void (*send)(void *ud, xmpp_stanza_t *st); /* st lent */
    void (*act)(void *ud, const struct e2e_jingle_event *ev);
    /* NULL: everyone is known.  A stranger's session-initiate gets
     * forbidden, unless the stranger holds a grant (e2e_jingle_grant). */
    bool (*known)(void *ud, const char *peer);
    /* NULL: yes.  The session policy's answer (e2e_policy_accept); no
     * gets resource-constraint. */
    bool (*accept)(void *ud, const char *peer, uint64_t now_ms);
    void *ud;
};

struct e2e_jingle_params {
    const char *jid; /* our full JID (required) */
    const char
        *fingerprint; /* our certificate's (required, E2E_JINGLE_FPR_LEN) */
    unsigned framing; /* what we offer; 0: E2E_FRAMING_FI | E2E_FRAMING_XML */
    size_t max_sessions;     /* held in all states; 0: 64 */
    size_t max_pending;      /* negotiating, in total; 0: 16 */
    size_t max_pending_peer; /* negotiating, per peer; 0: 2 */
    uint64_t timeout_ms;     /* negotiation deadline; 0: 20000 */
    uint64_t seed;           /* session ids */
    size_t max_grants;       /* grants held (e2e_jingle_grant); 0: 16 */
    uint64_t max_grant_ms;   /* a grant's life at most; 0: 10000 */
};

int e2e_jingle_new(const struct e2e_jingle_params *p,
                   const struct e2e_jingle_io *io, e2e_jingle **out);
void e2e_jingle_free(e2e_jingle *t);

/* Starts a session with peer (a full JID) offering candidates (tried by
 * the peer in the order given) and our fingerprint: sends
 * session-initiate, and writes the new session id to sid.  ELIMIT when
 * the table is full; on ENOMEM nothing was sent and nothing is kept. */
int e2e_jingle_initiate(e2e_jingle *t, const char *peer,
                        const struct e2e_jingle_candidate *c, size_t n,
                        uint64_t now_ms, char sid[E2E_JINGLE_SID_MAX + 1]);

/* An IQ received from the XMPP server (lent).  Jingle sets are answered
 * (result, or the error of the returned code); results and errors
 * answering our own sets move their session on.  Returns 0, ENOTJINGLE
 * (not for us: pass it on), or the error the stanza was refused with. */
int e2e_jingle_handle(e2e_jingle *t, xmpp_stanza_t *iq, uint64_t now_ms);

/* Is iq for the table: a Jingle get or set, or a result or error whose id
 * is one of ours?  (Lets the caller queue it for e2e_jingle_handle.) */
bool e2e_jingle_wants(xmpp_stanza_t *iq);

/* A grant (a probe grant from a room, docs/segments.md): peer, a
 * stranger to io.known, may have one session-initiate of its taken until
 * now_ms + ttl_ms (ttl_ms capped at max_grant_ms).  The grant is used up
 * by the first session-initiate from peer that is taken.  A second grant
 * for peer extends the first.  When max_grants are held, the new grant
 * replaces the one that ends first (expired ones first), so memory is
 * bounded whatever the rate of grants.  EINVAL for a bad peer, ENOMEM. */
int e2e_jingle_grant(e2e_jingle *t, const char *peer, uint64_t now_ms,
                     uint64_t ttl_ms);

/* Grants held and not yet expired at now_ms (tests, statistics). */
size_t e2e_jingle_grants(const e2e_jingle *t, uint64_t now_ms);

/* Responder: the link is up and the initiator's certificate verified:
 * sends session-accept; the session is ACTIVE. */
int e2e_jingle_connected(e2e_jingle *t, const char *peer, const char *sid,
                         uint64_t now_ms);

/* Ends a session of ours (a link closed, a failed connect, a wrong
 * certificate): sends session-terminate with reason and forgets the
 * session (no DO_CLOSE event). */
int e2e_jingle_end(e2e_jingle *t, const char *peer, const char *sid,
                   enum e2e_jingle_reason reason);

/* Ends negotiations past their deadline (session-terminate with timeout,
 * and a DO_CLOSE event each).  Returns how many ended. */
int e2e_jingle_tick(e2e_jingle *t, uint64_t now_ms);

enum e2e_jingle_state e2e_jingle_state(const e2e_jingle *t, const char *peer,
                                       const char *sid);
size_t e2e_jingle_sessions(const e2e_jingle *t); /* all states */
size_t e2e_jingle_pending(const e2e_jingle *t);  /* PENDING + CONNECTING */

#endif
