/* e2e_jingle.c -- Jingle negotiation of direct streams (see e2e_jingle.h).
 *
 * Three parts: reading our profile's <jingle/> payload (every byte of it
 * hostile), building it, and the session table: a small array of
 * sessions keyed by (peer, sid), scanned linearly (it holds at most
 * max_sessions entries, 64 by default).  IQs we send carry the id
 * "j<i|a|t>-<sid>", so a result or error answering one finds its session
 * without another table.  Who may open a session with us is the caller's
 * question (io.known) plus the grants: a fixed array of max_grants
 * strangers, each allowed one session-initiate until its grant ends. */
#include "config.h"

#include "e2e_jingle.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut_rand.h"
#include "ut_ns.h"

#define MAX_FRAMINGS 8 /* <framing/> elements in one description */

/* ---- Results ---- */

struct cond {
    const char *type, *cond, *jingle;
};

static const struct cond *cond_of(int code)
{
    static const struct cond conds[] = {
        [-E2E_JINGLE_ENOMEM] = {"wait", "resource-constraint", NULL},
        [-E2E_JINGLE_EBADREQ] = {"modify", "bad-request", NULL},
        [-E2E_JINGLE_ENOTACCEPTABLE] = {"cancel", "not-acceptable", NULL},
        [-E2E_JINGLE_EPOLICY] = {"modify", "policy-violation", NULL},
        [-E2E_JINGLE_EUNKNOWN] = {"cancel", "item-not-found",
                                  "unknown-session"},
        [-E2E_JINGLE_EFORBIDDEN] = {"auth", "forbidden", NULL},
        [-E2E_JINGLE_ELIMIT] = {"wait", "resource-constraint", NULL},
        [-E2E_JINGLE_EORDER] = {"cancel", "unexpected-request", "out-of-order"},
        [-E2E_JINGLE_ECONFLICT] = {"cancel", "conflict", NULL},
        [-E2E_JINGLE_EUNSUPPORTED] = {"cancel", "feature-not-implemented",
                                      "unsupported-info"},
    };

    if (code >= 0 || -code >= (int)(sizeof conds / sizeof conds[0]))
        return NULL;
    return conds[-code].cond ? &conds[-code] : NULL;
}

bool e2e_jingle_condition(int code, const char **type, const char **cond,
                          const char **jingle_cond)
{
    const struct cond *c = cond_of(code);

    if (!c)
        return false;
    *type = c->type;
    *cond = c->cond;
    *jingle_cond = c->jingle;
    return true;
}

const char *e2e_jingle_strerror(int code)
{
    static const char *const msgs[] = {
        [-E2E_JINGLE_OK] = "success",
        [-E2E_JINGLE_ENOMEM] = "out of memory",
        [-E2E_JINGLE_EINVAL] = "invalid argument",
        [-E2E_JINGLE_ENOTJINGLE] = "not a Jingle stanza",
        [-E2E_JINGLE_EBADREQ] = "malformed Jingle request",
        [-E2E_JINGLE_ENOTACCEPTABLE] =
            "application, transport or framing not offered",
        [-E2E_JINGLE_EPOLICY] = "above a limit of the format",
        [-E2E_JINGLE_EUNKNOWN] = "unknown session",
        [-E2E_JINGLE_EFORBIDDEN] = "request from a stranger",
        [-E2E_JINGLE_ELIMIT] = "too many sessions",
        [-E2E_JINGLE_EORDER] = "action out of order",
        [-E2E_JINGLE_ECONFLICT] = "session id in use",
        [-E2E_JINGLE_EUNSUPPORTED] = "Jingle action not supported",
    };

    if (code > 0 || -code >= (int)(sizeof msgs / sizeof msgs[0]))
        return "unknown error";
    return msgs[-code];
}

static const char *const reason_names[] = {
    [E2E_JINGLE_SUCCESS] = "success",
    [E2E_JINGLE_DECLINE] = "decline",
    [E2E_JINGLE_BUSY] = "busy",
    [E2E_JINGLE_CONNECTIVITY_ERROR] = "connectivity-error",
    [E2E_JINGLE_SECURITY_ERROR] = "security-error",
    [E2E_JINGLE_TIMEOUT] = "timeout",
    [E2E_JINGLE_GENERAL_ERROR] = "general-error",
};
#define N_REASONS (sizeof reason_names / sizeof reason_names[0])

const char *e2e_jingle_reason_name(enum e2e_jingle_reason r)
{
    return (size_t)r < N_REASONS ? reason_names[r] : "general-error";
}

static const char *const action_names[] = {
    [E2E_JINGLE_INITIATE] = "session-initiate",
    [E2E_JINGLE_ACCEPT] = "session-accept",
    [E2E_JINGLE_TERMINATE] = "session-terminate",
};
#define N_ACTIONS (sizeof action_names / sizeof action_names[0])

/* ---- Lexical checks ---- */

/* 1..max characters of [A-Za-z0-9._-]. */
static bool token_ok(const char *s, size_t max)
{
    size_t n =
        s ? strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789._-")
          : 0;

    return n > 0 && n <= max && s[n] == '\0';
}

/* A decimal of at most 10 digits, no sign, no blanks, at most max. */
static bool decimal(const char *s, unsigned long max, unsigned long *out)
{
    size_t n = s ? strspn(s, "0123456789") : 0;

    if (n == 0 || n > 10 || s[n] != '\0')
        return false;
    *out = strtoul(s, NULL, 10);
    return *out <= max;
}

static bool ip_literal(const char *s)
{
    unsigned char buf[16];

    return s && strlen(s) < E2E_JINGLE_HOST_MAX &&
           (inet_pton(AF_INET, s, buf) == 1 ||
            inet_pton(AF_INET6, s, buf) == 1);
}

/* "AB:CD:...": 32 hex pairs joined by colons, copied uppercase to out. */
static bool fingerprint_norm(const char *s, char out[E2E_JINGLE_FPR_LEN + 1])
{
    size_t i;

    if (!s || strlen(s) != E2E_JINGLE_FPR_LEN)
        return false;
    for (i = 0; i < E2E_JINGLE_FPR_LEN; i++) {
        bool colon = i % 3 == 2;
        if (colon ? s[i] != ':' : !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
        out[i] = (s[i] >= 'a' && s[i] <= 'f') ? (char)(s[i] - 'a' + 'A') : s[i];
    }
    out[i] = '\0';
    return true;
}

static bool candidate_ok(const struct e2e_jingle_candidate *c)
{
    return token_ok(c->id, E2E_JINGLE_CID_MAX) && ip_literal(c->host) &&
           c->port >= 1 && c->port <= 65535 && c->priority <= INT32_MAX;
}

/* ---- Reading ---- */

/* Does element el (whose parent's namespace is parent_ns) have name and
 * namespace ns?  Children inherit their parent's namespace when they
 * carry no xmlns of their own. */
static bool is(xmpp_stanza_t *el, const char *parent_ns, const char *name,
               const char *ns)
{
    const char *own;

    if (!xmpp_stanza_is_tag(el) || strcmp(xmpp_stanza_get_name(el), name))
        return false;
    own = xmpp_stanza_get_ns(el);
    own = own ? own : parent_ns;
    return own && !strcmp(own, ns);
}

static const char *ns_in(xmpp_stanza_t *el, const char *parent_ns)
{
    const char *own = xmpp_stanza_get_ns(el);
    return own ? own : parent_ns;
}

/* The only child named name in ns: *out NULL when there is none;
 * EBADREQ when there are several. */
static int only_child(xmpp_stanza_t *el, const char *el_ns, const char *name,
                      const char *ns, xmpp_stanza_t **out)
{
    xmpp_stanza_t *c;

    *out = NULL;
    for (c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c)) {
        if (!is(c, el_ns, name, ns))
            continue;
        if (*out)
            return E2E_JINGLE_EBADREQ;
        *out = c;
    }
    return 0;
}

static int parse_candidate(xmpp_stanza_t *el, struct e2e_jingle_msg *m)
{
    struct e2e_jingle_candidate *c = &m->candidates[m->n_candidates];
    const char *id = xmpp_stanza_get_attribute(el, "id");
    const char *host = xmpp_stanza_get_attribute(el, "host");
    const char *prio = xmpp_stanza_get_attribute(el, "priority");
    unsigned long port, pr = 0;
    size_t i;

    if (m->n_candidates == E2E_JINGLE_MAX_CANDIDATES)
        return E2E_JINGLE_EPOLICY;
    if (!token_ok(id, E2E_JINGLE_CID_MAX) || !ip_literal(host) ||
        !decimal(xmpp_stanza_get_attribute(el, "port"), 65535, &port) ||
        port == 0 || (prio && !decimal(prio, INT32_MAX, &pr)))
        return E2E_JINGLE_EBADREQ;
    for (i = 0; i < m->n_candidates; i++)
        if (!strcmp(m->candidates[i].id, id))
            return E2E_JINGLE_EBADREQ;
    strcpy(c->id, id);
    strcpy(c->host, host);
    c->port = (int)port;
    c->priority = (uint32_t)pr;
    m->n_candidates++;
    return 0;
}

/* Stable sort by priority, highest first (at most 8 entries). */
static void sort_candidates(struct e2e_jingle_msg *m)
{
    size_t i, j;

    for (i = 1; i < m->n_candidates; i++) {
        struct e2e_jingle_candidate c = m->candidates[i];
        for (j = i; j > 0 && m->candidates[j - 1].priority < c.priority; j--)
            m->candidates[j] = m->candidates[j - 1];
        m->candidates[j] = c;
    }
}

/* Does el hold any text?  (xmpp_stanza_get_text says NULL both for none
 * and when out of memory.) */
static bool has_text(xmpp_stanza_t *el)
{
    xmpp_stanza_t *c;

    for (c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_text(c) && *xmpp_stanza_get_text_ptr(c))
            return true;
    return false;
}

static int parse_fingerprint(xmpp_stanza_t *el, struct e2e_jingle_msg *m)
{
    const char *hash = xmpp_stanza_get_attribute(el, "hash");
    xmpp_ctx_t *ctx = xmpp_stanza_get_context(el);
    char *text;
    bool ok;

    if (!hash)
        return E2E_JINGLE_EBADREQ;
    if (strcmp(hash, "sha-256"))
        return E2E_JINGLE_ENOTACCEPTABLE;
    if (!(text = xmpp_stanza_get_text(el)) && has_text(el))
        return E2E_JINGLE_ENOMEM; /* not the peer's mistake */
    ok = fingerprint_norm(text, m->fingerprint);
    if (text)
        xmpp_free(ctx, text);
    return ok ? 0 : E2E_JINGLE_EBADREQ;
}

static int parse_transport(xmpp_stanza_t *tr, const char *ns,
                           struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *c, *fpr;
    int rc;

    if (strcmp(ns, UT_NS_E2E_TCP))
        return E2E_JINGLE_ENOTACCEPTABLE;
    for (c = xmpp_stanza_get_children(tr);
         c && m->action == E2E_JINGLE_INITIATE; c = xmpp_stanza_get_next(c))
        if (is(c, ns, "candidate", UT_NS_E2E_TCP) &&
            (rc = parse_candidate(c, m)) < 0)
            return rc;
    if (m->action == E2E_JINGLE_INITIATE && m->n_candidates == 0)
        return E2E_JINGLE_EBADREQ;
    sort_candidates(m);
    if ((rc = only_child(tr, ns, "fingerprint", E2E_NS_DTLS, &fpr)) < 0)
        return rc;
    return fpr ? parse_fingerprint(fpr, m) : E2E_JINGLE_EBADREQ;
}

/* No <framing/> at all means plain XML, as XEP-0247 has it. */
static int parse_description(xmpp_stanza_t *d, const char *ns,
                             struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *c;
    int seen = 0;

    if (strcmp(ns, E2E_NS_XMLSTREAM))
        return E2E_JINGLE_ENOTACCEPTABLE;
    for (c = xmpp_stanza_get_children(d); c; c = xmpp_stanza_get_next(c)) {
        const char *name;
        if (!is(c, ns, "framing", UT_NS_E2E))
            continue;
        if (++seen > MAX_FRAMINGS)
            return E2E_JINGLE_EPOLICY;
        name = xmpp_stanza_get_attribute(c, "name");
        if (!name)
            return E2E_JINGLE_EBADREQ;
        m->framing |= !strcmp(name, "xml")  ? E2E_FRAMING_XML
                      : !strcmp(name, "fi") ? E2E_FRAMING_FI
                                            : 0u;
    }
    if (!seen)
        m->framing = E2E_FRAMING_XML;
    return m->framing ? 0 : E2E_JINGLE_ENOTACCEPTABLE;
}

/* Returns the child element of content named name, whatever its
 * namespace (that is checked by the caller), and its namespace. */
static int app_child(xmpp_stanza_t *content, const char *cns, const char *name,
                     xmpp_stanza_t **out, const char **ns)
{
    xmpp_stanza_t *c;

    *out = NULL;
    for (c = xmpp_stanza_get_children(content); c;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), name))
            continue;
        if (*out)
            return E2E_JINGLE_EBADREQ;
        *out = c;
    }
    if (!*out)
        return E2E_JINGLE_EBADREQ;
    *ns = ns_in(*out, cns);
    return *ns ? 0 : E2E_JINGLE_EBADREQ;
}

static int parse_content(xmpp_stanza_t *jingle, struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *content = NULL, *desc, *tr, *c;
    const char *creator, *dns, *tns;
    int rc, n = 0;

    for (c = xmpp_stanza_get_children(jingle); c; c = xmpp_stanza_get_next(c))
        if (is(c, E2E_NS_JINGLE, "content", E2E_NS_JINGLE) && ++n == 1)
            content = c;
    if (n != 1) /* one stream per session */
        return n ? E2E_JINGLE_ENOTACCEPTABLE : E2E_JINGLE_EBADREQ;
    creator = xmpp_stanza_get_attribute(content, "creator");
    if (!token_ok(xmpp_stanza_get_attribute(content, "name"),
                  E2E_JINGLE_SID_MAX) ||
        (creator && strcmp(creator, "initiator")))
        return E2E_JINGLE_EBADREQ;
    if ((rc = app_child(content, E2E_NS_JINGLE, "description", &desc, &dns)) <
            0 ||
        (rc = app_child(content, E2E_NS_JINGLE, "transport", &tr, &tns)) < 0 ||
        (rc = parse_description(desc, dns, m)) < 0)
        return rc;
    return parse_transport(tr, tns, m);
}

/* An unknown or missing condition reads as general-error. */
static void parse_reason(xmpp_stanza_t *jingle, struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *r, *c;
    size_t i;

    m->reason = E2E_JINGLE_GENERAL_ERROR;
    if (only_child(jingle, E2E_NS_JINGLE, "reason", E2E_NS_JINGLE, &r) < 0 ||
        !r)
        return;
    for (c = xmpp_stanza_get_children(r); c; c = xmpp_stanza_get_next(c))
        for (i = 0; i < N_REASONS; i++)
            if (is(c, E2E_NS_JINGLE, reason_names[i], E2E_NS_JINGLE)) {
                m->reason = (enum e2e_jingle_reason)i;
                return;
            }
}

static int parse_action(const char *a, enum e2e_jingle_action *out)
{
    size_t i;

    if (!a)
        return E2E_JINGLE_EBADREQ;
    for (i = 0; i < N_ACTIONS; i++)
        if (!strcmp(a, action_names[i])) {
            *out = (enum e2e_jingle_action)i;
            return 0;
        }
    return E2E_JINGLE_EUNSUPPORTED;
}

static xmpp_stanza_t *jingle_of(xmpp_stanza_t *iq)
{
    xmpp_stanza_t *c;

    for (c = xmpp_stanza_get_children(iq); c; c = xmpp_stanza_get_next(c))
        if (is(c, NULL, "jingle", E2E_NS_JINGLE))
            return c;
    return NULL;
}

int e2e_jingle_parse(xmpp_stanza_t *iq, struct e2e_jingle_msg *out)
{
    xmpp_stanza_t *j = jingle_of(iq);
    const char *sid;
    int rc;

    memset(out, 0, sizeof *out);
    if (!j)
        return E2E_JINGLE_ENOTJINGLE;
    sid = xmpp_stanza_get_attribute(j, "sid");
    if (!token_ok(sid, E2E_JINGLE_SID_MAX))
        return E2E_JINGLE_EBADREQ;
    strcpy(out->sid, sid);
    if ((rc = parse_action(xmpp_stanza_get_attribute(j, "action"),
                           &out->action)) < 0)
        return rc;
    if (out->action == E2E_JINGLE_TERMINATE) {
        parse_reason(j, out);
        return 0;
    }
    return parse_content(j, out);
}

/* ---- Building ---- */

/* Adds a new element to parent (owned by it) and returns it, or NULL. */
static xmpp_stanza_t *add(xmpp_stanza_t *parent, const char *name,
                          const char *ns)
{
    xmpp_stanza_t *el = xmpp_stanza_new(xmpp_stanza_get_context(parent));

    if (!el)
        return NULL;
    if (xmpp_stanza_set_name(el, name) || (ns && xmpp_stanza_set_ns(el, ns)) ||
        xmpp_stanza_add_child_ex(parent, el, 0)) {
        xmpp_stanza_release(el);
        return NULL;
    }
    return el;
}

static int add_text(xmpp_stanza_t *parent, const char *text)
{
    xmpp_stanza_t *t = xmpp_stanza_new(xmpp_stanza_get_context(parent));

    if (!t)
        return E2E_JINGLE_ENOMEM;
    if (xmpp_stanza_set_text(t, text) ||
        xmpp_stanza_add_child_ex(parent, t, 0)) {
        xmpp_stanza_release(t);
        return E2E_JINGLE_ENOMEM;
    }
    return 0;
}

static int set(xmpp_stanza_t *el, const char *name, const char *value)
{
    return xmpp_stanza_set_attribute(el, name, value) ? E2E_JINGLE_ENOMEM : 0;
}

static int build_candidate(xmpp_stanza_t *tr,
                           const struct e2e_jingle_candidate *c)
{
    xmpp_stanza_t *el = add(tr, "candidate", NULL);
    char port[8], prio[12];

    if (!el)
        return E2E_JINGLE_ENOMEM;
    snprintf(port, sizeof port, "%d", c->port);
    snprintf(prio, sizeof prio, "%lu", (unsigned long)c->priority);
    if (set(el, "id", c->id) || set(el, "host", c->host) ||
        set(el, "port", port) || set(el, "priority", prio))
        return E2E_JINGLE_ENOMEM;
    return 0;
}

static int build_description(xmpp_stanza_t *content, unsigned framing)
{
    xmpp_stanza_t *d = add(content, "description", E2E_NS_XMLSTREAM), *f;

    if (!d)
        return E2E_JINGLE_ENOMEM;
    if ((framing & E2E_FRAMING_FI) &&
        (!(f = add(d, "framing", UT_NS_E2E)) || set(f, "name", "fi")))
        return E2E_JINGLE_ENOMEM;
    if ((framing & E2E_FRAMING_XML) &&
        (!(f = add(d, "framing", UT_NS_E2E)) || set(f, "name", "xml")))
        return E2E_JINGLE_ENOMEM;
    return 0;
}

static int build_content(xmpp_stanza_t *j, const struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *content = add(j, "content", NULL), *tr, *fpr;
    size_t i;

    if (!content || set(content, "creator", "initiator") ||
        set(content, "name", "xs") || build_description(content, m->framing) ||
        !(tr = add(content, "transport", UT_NS_E2E_TCP)))
        return E2E_JINGLE_ENOMEM;
    for (i = 0; m->action == E2E_JINGLE_INITIATE && i < m->n_candidates; i++)
        if (build_candidate(tr, &m->candidates[i]))
            return E2E_JINGLE_ENOMEM;
    if (!(fpr = add(tr, "fingerprint", E2E_NS_DTLS)) ||
        set(fpr, "hash", "sha-256") || add_text(fpr, m->fingerprint))
        return E2E_JINGLE_ENOMEM;
    return 0;
}

static int build_reason(xmpp_stanza_t *j, enum e2e_jingle_reason r)
{
    xmpp_stanza_t *el = add(j, "reason", NULL);

    return el && add(el, e2e_jingle_reason_name(r), NULL) ? 0
                                                          : E2E_JINGLE_ENOMEM;
}

static bool buildable(const struct e2e_jingle_msg *m)
{
    char fpr[E2E_JINGLE_FPR_LEN + 1];
    size_t i;

    if (!token_ok(m->sid, E2E_JINGLE_SID_MAX) || (size_t)m->action >= N_ACTIONS)
        return false;
    if (m->action == E2E_JINGLE_TERMINATE)
        return true;
    if (!fingerprint_norm(m->fingerprint, fpr) ||
        !(m->framing & (E2E_FRAMING_XML | E2E_FRAMING_FI)))
        return false;
    if (m->action == E2E_JINGLE_INITIATE &&
        (m->n_candidates == 0 || m->n_candidates > E2E_JINGLE_MAX_CANDIDATES))
        return false;
    for (i = 0; m->action == E2E_JINGLE_INITIATE && i < m->n_candidates; i++)
        if (!candidate_ok(&m->candidates[i]))
            return false;
    return true;
}

static int build_jingle(xmpp_stanza_t *iq, const char *party,
                        const struct e2e_jingle_msg *m)
{
    xmpp_stanza_t *j = add(iq, "jingle", E2E_NS_JINGLE);

    if (!j || set(j, "action", action_names[m->action]) ||
        set(j, "sid", m->sid))
        return E2E_JINGLE_ENOMEM;
    if (m->action == E2E_JINGLE_TERMINATE)
        return build_reason(j, m->reason);
    if (set(j, m->action == E2E_JINGLE_INITIATE ? "initiator" : "responder",
            party))
        return E2E_JINGLE_ENOMEM;
    return build_content(j, m);
}

int e2e_jingle_build(xmpp_ctx_t *ctx, const char *to, const char *id,
                     const char *party, const struct e2e_jingle_msg *m,
                     xmpp_stanza_t **out)
{
    xmpp_stanza_t *iq;
    int rc;

    *out = NULL;
    if (!ctx || !to || !id || !party || !m || !buildable(m))
        return E2E_JINGLE_EINVAL;
    if (!(iq = xmpp_iq_new(ctx, "set", id)))
        return E2E_JINGLE_ENOMEM;
    if ((rc = set(iq, "to", to)) < 0 || (rc = build_jingle(iq, party, m)) < 0) {
        xmpp_stanza_release(iq);
        return rc;
    }
    *out = iq;
    return 0;
}

/* ---- The session table ---- */

struct session {
    char sid[E2E_JINGLE_SID_MAX + 1];
    char *peer;
    enum e2e_jingle_role role;
    enum e2e_jingle_state state;
    uint64_t deadline;
};

/* A stranger allowed one session-initiate until `until` (peer NULL: a
 * free slot). */
struct grant {
    char *peer;
    uint64_t until;
};

struct e2e_jingle {
    struct e2e_jingle_params p;
    struct e2e_jingle_io io;
    char *jid;
    char fingerprint[E2E_JINGLE_FPR_LEN + 1];
    struct session *s; /* max_sessions entries */
    size_t n;
    struct grant *g; /* max_grants entries */
    uint64_t rng;
};

/* The iq id prefixes of our sets, by action. */
static const char id_tag[] = {'i', 'a', 't'};

int e2e_jingle_new(const struct e2e_jingle_params *p,
                   const struct e2e_jingle_io *io, e2e_jingle **out)
{
    e2e_jingle *t;

    *out = NULL;
    if (!p || !io || !io->ctx || !io->send || !io->act || !p->jid ||
        strlen(p->jid) > E2E_JINGLE_JID_MAX)
        return E2E_JINGLE_EINVAL;
    if (!(t = calloc(1, sizeof *t)))
        return E2E_JINGLE_ENOMEM;
    t->p = *p;
    t->io = *io;
    t->p.framing = p->framing ? p->framing : E2E_FRAMING_FI | E2E_FRAMING_XML;
    t->p.max_sessions = p->max_sessions ? p->max_sessions : 64;
    t->p.max_pending = p->max_pending ? p->max_pending : 16;
    t->p.max_pending_peer = p->max_pending_peer ? p->max_pending_peer : 2;
    t->p.timeout_ms = p->timeout_ms ? p->timeout_ms : 20000;
    t->p.max_grants = p->max_grants ? p->max_grants : 16;
    t->p.max_grant_ms = p->max_grant_ms ? p->max_grant_ms : 10000;
    t->rng = p->seed;
    if (!fingerprint_norm(p->fingerprint, t->fingerprint)) {
        free(t);
        return E2E_JINGLE_EINVAL;
    }
    t->jid = strdup(p->jid);
    t->s = calloc(t->p.max_sessions, sizeof *t->s);
    t->g = calloc(t->p.max_grants, sizeof *t->g);
    if (!t->jid || !t->s || !t->g) {
        e2e_jingle_free(t);
        return E2E_JINGLE_ENOMEM;
    }
    *out = t;
    return 0;
}

void e2e_jingle_free(e2e_jingle *t)
{
    size_t i;

    if (!t)
        return;
    for (i = 0; i < t->n; i++)
        free(t->s[i].peer);
    for (i = 0; t->g && i < t->p.max_grants; i++)
        free(t->g[i].peer);
    free(t->g);
    free(t->s);
    free(t->jid);
    free(t);
}

static struct session *find(const e2e_jingle *t, const char *peer,
                            const char *sid)
{
    size_t i;

    for (i = 0; peer && sid && i < t->n; i++)
        if (!strcmp(t->s[i].sid, sid) && !strcmp(t->s[i].peer, peer))
            return &t->s[i];
    return NULL;
}

static void forget(e2e_jingle *t, struct session *s)
{
    free(s->peer);
    *s = t->s[--t->n];
}

static size_t pending_with(const e2e_jingle *t, const char *peer)
{
    size_t i, k = 0;

    for (i = 0; i < t->n; i++)
        k += t->s[i].state != E2E_JINGLE_ACTIVE &&
             (!peer || !strcmp(t->s[i].peer, peer));
    return k;
}

/* Room for one more negotiation with peer? */
static int room_for(const e2e_jingle *t, const char *peer)
{
    if (t->n == t->p.max_sessions ||
        pending_with(t, NULL) >= t->p.max_pending ||
        pending_with(t, peer) >= t->p.max_pending_peer)
        return E2E_JINGLE_ELIMIT;
    return 0;
}

static struct session *add_session(e2e_jingle *t, const char *peer,
                                   const char *sid, enum e2e_jingle_role role,
                                   uint64_t now_ms)
{
    struct session *s = &t->s[t->n];

    if (!(s->peer = strdup(peer)))
        return NULL;
    snprintf(s->sid, sizeof s->sid, "%s", sid);
    s->role = role;
    s->state = role == E2E_JINGLE_INITIATOR ? E2E_JINGLE_PENDING
                                            : E2E_JINGLE_CONNECTING;
    s->deadline = now_ms + t->p.timeout_ms;
    t->n++;
    return s;
}

/* Sends a Jingle set about s; its id names the action and the sid. */
static int send_msg(e2e_jingle *t, const char *peer, struct e2e_jingle_msg *m)
{
    char id[E2E_JINGLE_SID_MAX + 4];
    xmpp_stanza_t *iq;
    int rc;

    snprintf(id, sizeof id, "j%c-%s", id_tag[m->action], m->sid);
    m->framing = t->p.framing;
    memcpy(m->fingerprint, t->fingerprint, sizeof m->fingerprint);
    if ((rc = e2e_jingle_build(t->io.ctx, peer, id, t->jid, m, &iq)) < 0)
        return rc;
    t->io.send(t->io.ud, iq);
    xmpp_stanza_release(iq);
    return 0;
}

static int send_terminate(e2e_jingle *t, const char *peer, const char *sid,
                          enum e2e_jingle_reason r)
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_TERMINATE, .reason = r};

    snprintf(m.sid, sizeof m.sid, "%s", sid);
    return send_msg(t, peer, &m);
}

static void new_sid(e2e_jingle *t, const char *peer, char *sid)
{
    do {
        snprintf(sid, E2E_JINGLE_SID_MAX + 1, "%016llx",
                 (unsigned long long)ut_splitmix64(&t->rng));
    } while (find(t, peer, sid));
}

int e2e_jingle_initiate(e2e_jingle *t, const char *peer,
                        const struct e2e_jingle_candidate *c, size_t n,
                        uint64_t now_ms, char sid[E2E_JINGLE_SID_MAX + 1])
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_INITIATE,
                               .n_candidates = n};
    struct session *s;
    int rc;

    if (!t || !peer || !c || n == 0 || n > E2E_JINGLE_MAX_CANDIDATES ||
        strlen(peer) > E2E_JINGLE_JID_MAX)
        return E2E_JINGLE_EINVAL;
    if ((rc = room_for(t, peer)) < 0)
        return rc;
    memcpy(m.candidates, c, n * sizeof *c);
    new_sid(t, peer, m.sid);
    /* the session first: a failure then leaves nothing on either side */
    if (!(s = add_session(t, peer, m.sid, E2E_JINGLE_INITIATOR, now_ms)))
        return E2E_JINGLE_ENOMEM;
    if ((rc = send_msg(t, peer, &m)) < 0) {
        forget(t, s);
        return rc;
    }
    memcpy(sid, m.sid, sizeof m.sid);
    return 0;
}

static void emit(e2e_jingle *t, enum e2e_jingle_do what,
                 const struct session *s, const struct e2e_jingle_msg *m,
                 enum e2e_jingle_reason why)
{
    struct e2e_jingle_event ev = {what,     s->peer, s->sid, s->role,
                                  s->state, why,     m};

    t->io.act(t->io.ud, &ev);
}

/* The session ended by the peer or by time: tell the owner, forget it. */
static void closed(e2e_jingle *t, struct session *s, enum e2e_jingle_reason why)
{
    emit(t, E2E_JINGLE_DO_CLOSE, s, NULL, why);
    forget(t, s);
}

/* Answers iq (type result when code is 0, else the code's error). */
static void answer(e2e_jingle *t, xmpp_stanza_t *iq, int code)
{
    const char *type, *cond, *jcond = NULL;
    bool err = e2e_jingle_condition(code, &type, &cond, &jcond);
    xmpp_stanza_t *r = xmpp_iq_new(t->io.ctx, err ? "error" : "result",
                                   xmpp_stanza_get_id(iq));
    xmpp_stanza_t *e;

    if (!r)
        return;
    if (!set(r, "to", xmpp_stanza_get_from(iq)) &&
        (!err || ((e = add(r, "error", NULL)) && !set(e, "type", type) &&
                  add(e, cond, UT_NS_STANZAS) &&
                  (!jcond || add(e, jcond, E2E_NS_JINGLE_ERRORS)))))
        t->io.send(t->io.ud, r);
    xmpp_stanza_release(r);
}

/* ---- grants ---- */

static struct grant *grant_of(const e2e_jingle *t, const char *peer)
{
    for (size_t i = 0; i < t->p.max_grants; i++)
        if (t->g[i].peer && !strcmp(t->g[i].peer, peer))
            return &t->g[i];
    return NULL;
}

/* The slot a new grant takes: a free one, else the one ending first. */
static struct grant *grant_slot(const e2e_jingle *t)
{
    struct grant *best = &t->g[0];

    for (size_t i = 0; i < t->p.max_grants; i++)
        if (!t->g[i].peer)
            return &t->g[i];
        else if (t->g[i].until < best->until)
            best = &t->g[i];
    return best;
}

int e2e_jingle_grant(e2e_jingle *t, const char *peer, uint64_t now_ms,
                     uint64_t ttl_ms)
{
    struct grant *g;
    char *copy;

    if (!t || !peer || !*peer || strlen(peer) > E2E_JINGLE_JID_MAX)
        return E2E_JINGLE_EINVAL;
    if (ttl_ms > t->p.max_grant_ms)
        ttl_ms = t->p.max_grant_ms;
    if ((g = grant_of(t, peer))) {
        if (g->until < now_ms + ttl_ms)
            g->until = now_ms + ttl_ms;
        return 0;
    }
    if (!(copy = strdup(peer)))
        return E2E_JINGLE_ENOMEM;
    g = grant_slot(t);
    free(g->peer);
    g->peer = copy;
    g->until = now_ms + ttl_ms;
    return 0;
}

size_t e2e_jingle_grants(const e2e_jingle *t, uint64_t now_ms)
{
    size_t k = 0;

    for (size_t i = 0; t && i < t->p.max_grants; i++)
        k += t->g[i].peer && now_ms < t->g[i].until;
    return k;
}

/* May peer initiate: known, or holding a grant that has not ended? */
static bool may_initiate(const e2e_jingle *t, const char *peer, uint64_t now_ms)
{
    const struct grant *g;

    if (!t->io.known || t->io.known(t->io.ud, peer))
        return true;
    return (g = grant_of(t, peer)) && now_ms < g->until;
}

/* A grant is good for one session: gone once it is taken. */
static void grant_used(e2e_jingle *t, const char *peer)
{
    struct grant *g = grant_of(t, peer);

    if (g) {
        free(g->peer);
        g->peer = NULL;
    }
}

static int on_initiate(e2e_jingle *t, const char *from,
                       const struct e2e_jingle_msg *m, uint64_t now_ms,
                       struct session **out)
{
    int rc;

    if (find(t, from, m->sid))
        return E2E_JINGLE_ECONFLICT;
    if (!(m->framing & t->p.framing))
        return E2E_JINGLE_ENOTACCEPTABLE;
    if ((rc = room_for(t, from)) < 0)
        return rc;
    if (t->io.accept && !t->io.accept(t->io.ud, from, now_ms))
        return E2E_JINGLE_ELIMIT;
    if (!(*out = add_session(t, from, m->sid, E2E_JINGLE_RESPONDER, now_ms)))
        return E2E_JINGLE_ENOMEM;
    grant_used(t, from);
    return 0;
}

static int on_accept(e2e_jingle *t, struct session *s,
                     const struct e2e_jingle_msg *m)
{
    if (s->role != E2E_JINGLE_INITIATOR || s->state == E2E_JINGLE_ACTIVE)
        return E2E_JINGLE_EORDER;
    return m->framing & t->p.framing ? 0 : E2E_JINGLE_ENOTACCEPTABLE;
}

/* A Jingle set from `from`: checked, answered, then acted upon. */
static int on_set(e2e_jingle *t, xmpp_stanza_t *iq, const char *from,
                  uint64_t now_ms)
{
    struct e2e_jingle_msg m;
    struct session *s = NULL;
    int rc = e2e_jingle_parse(iq, &m);

    if (rc == 0 && m.action == E2E_JINGLE_INITIATE)
        rc = may_initiate(t, from, now_ms)
                 ? on_initiate(t, from, &m, now_ms, &s)
                 : E2E_JINGLE_EFORBIDDEN;
    else if (rc == 0 && !(s = find(t, from, m.sid)))
        rc = E2E_JINGLE_EUNKNOWN;
    else if (rc == 0 && m.action == E2E_JINGLE_ACCEPT)
        rc = on_accept(t, s, &m);
    answer(t, iq, rc);
    if (rc < 0)
        return rc;
    if (m.action == E2E_JINGLE_INITIATE)
        emit(t, E2E_JINGLE_DO_CONNECT, s, &m, 0);
    else if (m.action == E2E_JINGLE_ACCEPT) {
        s->state = E2E_JINGLE_ACTIVE;
        emit(t, E2E_JINGLE_DO_VERIFY, s, &m, 0);
    } else
        closed(t, s, m.reason);
    return 0;
}

/* What an error answering our session-initiate says about the peer. */
static enum e2e_jingle_reason refusal(xmpp_stanza_t *iq)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(iq, "error");

    if (e && xmpp_stanza_get_child_by_name(e, "resource-constraint"))
        return E2E_JINGLE_BUSY;
    if (e && xmpp_stanza_get_child_by_name(e, "forbidden"))
        return E2E_JINGLE_DECLINE;
    return E2E_JINGLE_GENERAL_ERROR;
}

/* Is id one of ours ("j<tag>-<sid>")? */
static bool our_id(const char *id)
{
    return id && id[0] == 'j' && id[1] != '\0' &&
           memchr(id_tag, id[1], sizeof id_tag) && id[2] == '-';
}

/* A result or error answering one of our sets. */
static int on_answer(e2e_jingle *t, xmpp_stanza_t *iq, const char *from,
                     bool error)
{
    const char *id = xmpp_stanza_get_id(iq);
    struct session *s;

    if (!our_id(id))
        return E2E_JINGLE_ENOTJINGLE;
    s = find(t, from, id + 3);
    if (!s || id[1] == 't') /* gone already, or a terminate's answer */
        return 0;
    if (error)
        closed(t, s, id[1] == 'i' ? refusal(iq) : E2E_JINGLE_GENERAL_ERROR);
    else if (id[1] == 'i' && s->state == E2E_JINGLE_PENDING)
        s->state = E2E_JINGLE_CONNECTING;
    else if (id[1] == 'a')
        emit(t, E2E_JINGLE_DO_USE, s, NULL, 0);
    return 0;
}

bool e2e_jingle_wants(xmpp_stanza_t *iq)
{
    const char *type = iq ? xmpp_stanza_get_type(iq) : NULL;

    if (!type || strcmp(xmpp_stanza_get_name(iq), "iq"))
        return false;
    if (!strcmp(type, "result") || !strcmp(type, "error"))
        return our_id(xmpp_stanza_get_id(iq));
    return jingle_of(iq) != NULL;
}

int e2e_jingle_handle(e2e_jingle *t, xmpp_stanza_t *iq, uint64_t now_ms)
{
    const char *name = iq ? xmpp_stanza_get_name(iq) : NULL;
    const char *type = iq ? xmpp_stanza_get_type(iq) : NULL;
    const char *from = iq ? xmpp_stanza_get_from(iq) : NULL;

    if (!t || !name || strcmp(name, "iq") || !type || !from)
        return E2E_JINGLE_ENOTJINGLE;
    if (!strcmp(type, "result") || !strcmp(type, "error"))
        return on_answer(t, iq, from, type[0] == 'e');
    if (!jingle_of(iq))
        return E2E_JINGLE_ENOTJINGLE;
    if (!xmpp_stanza_get_id(iq))
        return E2E_JINGLE_EBADREQ; /* cannot be answered */
    if (strcmp(type, "set") || strlen(from) > E2E_JINGLE_JID_MAX) {
        answer(t, iq, E2E_JINGLE_EBADREQ);
        return E2E_JINGLE_EBADREQ;
    }
    return on_set(t, iq, from, now_ms);
}

int e2e_jingle_connected(e2e_jingle *t, const char *peer, const char *sid,
                         uint64_t now_ms)
{
    struct e2e_jingle_msg m = {.action = E2E_JINGLE_ACCEPT};
    struct session *s = t ? find(t, peer, sid) : NULL;
    int rc;

    (void)now_ms;
    if (!s)
        return E2E_JINGLE_EUNKNOWN;
    if (s->role != E2E_JINGLE_RESPONDER || s->state != E2E_JINGLE_CONNECTING)
        return E2E_JINGLE_EORDER;
    memcpy(m.sid, s->sid, sizeof m.sid);
    if ((rc = send_msg(t, peer, &m)) < 0)
        return rc;
    s->state = E2E_JINGLE_ACTIVE;
    return 0;
}

int e2e_jingle_end(e2e_jingle *t, const char *peer, const char *sid,
                   enum e2e_jingle_reason reason)
{
    struct session *s = t ? find(t, peer, sid) : NULL;
    int rc;

    if (!s)
        return E2E_JINGLE_EUNKNOWN;
    rc = send_terminate(t, s->peer, s->sid, reason);
    forget(t, s); /* even when the terminate could not be built */
    return rc;
}

int e2e_jingle_tick(e2e_jingle *t, uint64_t now_ms)
{
    size_t i = t ? t->n : 0;
    int ended = 0;

    while (i-- > 0) {
        struct session *s = &t->s[i];
        if (s->state == E2E_JINGLE_ACTIVE || now_ms < s->deadline)
            continue;
        send_terminate(t, s->peer, s->sid, E2E_JINGLE_TIMEOUT);
        closed(t, s, E2E_JINGLE_TIMEOUT);
        ended++;
    }
    return ended;
}

enum e2e_jingle_state e2e_jingle_state(const e2e_jingle *t, const char *peer,
                                       const char *sid)
{
    const struct session *s = t ? find(t, peer, sid) : NULL;

    return s ? s->state : E2E_JINGLE_ENDED;
}

size_t e2e_jingle_sessions(const e2e_jingle *t)
{
    return t ? t->n : 0;
}

size_t e2e_jingle_pending(const e2e_jingle *t)
{
    return t ? pending_with(t, NULL) : 0;
}
