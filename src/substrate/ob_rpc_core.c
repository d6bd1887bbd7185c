/* ob_rpc_core.c -- request/response between peers, sans I/O: the frame
 * format, the calls in flight with their deadlines, the methods and the
 * requests being answered (the frame and the contract are in
 * ob_rpc_internal.h).
 *
 * Everything a peer sends is hostile until it matches: a reply must
 * carry the id of a call of ours to that very peer (else it is dropped
 * and counted), and a call completes once, since it leaves the list
 * before its callback runs.  Memory is bounded by OB_RPC_MAX_CALLS calls
 * and OB_RPC_MAX_PENDING requests; a request over that is refused at
 * once with BUSY (one small reply per request: no amplification).
 * Callbacks may call back into the core: no list is being walked while
 * one runs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ob_rpc_internal.h"

static const unsigned char magic[5] = {0, 'O', 'R', 'P', 1};

struct call {
    struct call *next;
    uint64_t id, deadline;
    char *peer;
    char method[OB_RPC_METHOD_MAX + 1];
    ob_rpc_done_fn done;
    void *arg;
};

struct method {
    struct method *next;
    char name[OB_RPC_METHOD_MAX + 1];
    ob_rpc_method_fn fn;
    void *arg;
};

struct ob_rpc_req {
    struct ob_rpc_req *next, **prev;
    struct obi_rpc *r;
    uint64_t id;
    char *peer;
    char method[OB_RPC_METHOD_MAX + 1];
};

struct obi_rpc {
    ob_client *owner;
    obi_rpc_send_fn send;
    void *ctx;
    struct call *calls;
    struct method *methods;
    struct ob_rpc_req *reqs;
    size_t ncalls, nreqs;
    uint64_t next_id, dropped, refused;
};

/* ---- frames ------------------------------------------------------- */

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* A frame of kind for id: header, then head (hlen), then body (blen);
 * malloc'd into *out, NULL when out of memory. */
static unsigned char *frame_new(int kind, uint64_t id, const void *head,
                                size_t hlen, const void *body, size_t blen)
{
    unsigned char *f = malloc(OBI_RPC_HDR + hlen + blen);

    if (!f)
        return NULL;
    memcpy(f, magic, sizeof magic);
    f[5] = (unsigned char)kind;
    put_u64(f + 6, id);
    if (hlen)
        memcpy(f + OBI_RPC_HDR, head, hlen);
    if (blen)
        memcpy(f + OBI_RPC_HDR + hlen, body, blen);
    return f;
}

static int send_frame(struct obi_rpc *r, const char *peer, int kind,
                      uint64_t id, const void *head, size_t hlen,
                      const void *body, size_t blen)
{
    unsigned char *f;
    int rc;

    if (blen > OBI_RPC_MAX_FRAME ||
        OBI_RPC_HDR + hlen + blen > OBI_RPC_MAX_FRAME)
        return OB_ETOOBIG; /* the first test keeps the sum from wrapping */
    if (!(f = frame_new(kind, id, head, hlen, body, blen)))
        return OB_ENOMEM;
    rc = r->send(r->ctx, peer, f, OBI_RPC_HDR + hlen + blen);
    free(f);
    return rc;
}

static int send_error(struct obi_rpc *r, const char *peer, uint64_t id,
                      int reason, int code, const char *text)
{
    unsigned char h[6 + 255];
    size_t n = text ? strnlen(text, 255) : 0;
    uint32_t u = (uint32_t)code;

    h[0] = (unsigned char)reason;
    for (int i = 4; i >= 1; i--, u >>= 8)
        h[i] = (unsigned char)u;
    h[5] = (unsigned char)n;
    memcpy(h + 6, text ? text : "", n);
    return send_frame(r, peer, OBI_RPC_ERROR, id, h, 6 + n, NULL, 0);
}

const char *obi_rpc_strerror(int code)
{
    switch (code) {
    case OB_ETIMEDOUT: return "timed out";
    case OB_ENOMETHOD: return "no such method";
    case OB_EREMOTE: return "the peer failed the call";
    case OB_EGONE: return "the peer is gone or unreachable";
    case OB_EBUSY: return "too many in flight";
    case OB_ETOOBIG: return "the reply was too large to travel";
    default: return "unknown error";
    }
}

bool obi_rpc_is_frame(const void *data, size_t len)
{
    return data && len >= 4 && !memcmp(data, magic, 4);
}

/* ---- life ------------------------------------------------------------ */

int obi_rpc_new(ob_client *owner, obi_rpc_send_fn send, void *ctx,
                struct obi_rpc **out)
{
    struct obi_rpc *r = calloc(1, sizeof *r);

    *out = r;
    if (!r)
        return OB_ENOMEM;
    r->owner = owner;
    r->send = send;
    r->ctx = ctx;
    r->next_id = 1;
    return OB_OK;
}

static void call_free(struct call *k)
{
    free(k->peer);
    free(k);
}

static void req_free(struct ob_rpc_req *q)
{
    *q->prev = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->r->nreqs--;
    free(q->peer);
    free(q);
}

void obi_rpc_free(struct obi_rpc *r)
{
    if (!r)
        return;
    for (struct call *k; (k = r->calls);) {
        r->calls = k->next;
        call_free(k);
    }
    for (struct method *m; (m = r->methods);) {
        r->methods = m->next;
        free(m);
    }
    while (r->reqs)
        req_free(r->reqs);
    free(r);
}

/* ---- methods -------------------------------------------------------- */

static bool method_ok(const char *name)
{
    size_t n = name ? strnlen(name, OB_RPC_METHOD_MAX + 1) : 0;

    return n >= 1 && n <= OB_RPC_METHOD_MAX;
}

static struct method **method_find(struct obi_rpc *r, const char *name,
                                   size_t n)
{
    struct method **m = &r->methods;

    while (*m && (strlen((*m)->name) != n || memcmp((*m)->name, name, n)))
        m = &(*m)->next;
    return m;
}

int obi_rpc_register(struct obi_rpc *r, const char *method, ob_rpc_method_fn fn,
                     void *arg)
{
    struct method *m;

    if (!method_ok(method) || !fn)
        return OB_EINVAL;
    if (*method_find(r, method, strlen(method)))
        return OB_EEXIST;
    if (!(m = calloc(1, sizeof *m)))
        return OB_ENOMEM;
    strcpy(m->name, method);
    m->fn = fn;
    m->arg = arg;
    m->next = r->methods;
    r->methods = m;
    return OB_OK;
}

int obi_rpc_unregister(struct obi_rpc *r, const char *method)
{
    struct method **pm, *m;

    if (!method_ok(method))
        return OB_ENOTFOUND;
    if (!(m = *(pm = method_find(r, method, strlen(method)))))
        return OB_ENOTFOUND;
    *pm = m->next;
    free(m);
    return OB_OK;
}

/* ---- calls ------------------------------------------------------------ */

int obi_rpc_call(struct obi_rpc *r, uint64_t now, const char *peer,
                 const char *method, const void *data, size_t len,
                 int timeout_ms, ob_rpc_done_fn done, void *arg, uint64_t *id)
{
    struct call *k;
    size_t mlen;
    unsigned char head[1 + OB_RPC_METHOD_MAX];
    int rc;

    if (!peer || !*peer || !method_ok(method) || !done || timeout_ms < 0 ||
        (len && !data))
        return OB_EINVAL;
    if (r->ncalls >= OB_RPC_MAX_CALLS)
        return OB_EBUSY;
    if (!(k = calloc(1, sizeof *k)) || !(k->peer = strdup(peer))) {
        free(k);
        return OB_ENOMEM;
    }
    mlen = strlen(method);
    head[0] = (unsigned char)mlen;
    memcpy(head + 1, method, mlen);
    k->id = r->next_id++;
    if ((rc = send_frame(r, peer, OBI_RPC_REQUEST, k->id, head, 1 + mlen, data,
                         len))) {
        call_free(k);
        return rc;
    }
    strcpy(k->method, method);
    k->deadline = now + (uint64_t)(timeout_ms ? timeout_ms : OB_RPC_TIMEOUT_MS);
    k->done = done;
    k->arg = arg;
    k->next = r->calls;
    r->calls = k;
    r->ncalls++;
    if (id)
        *id = k->id;
    return OB_OK;
}

/* Unlinks and returns the call *pk. */
static struct call *call_take(struct obi_rpc *r, struct call **pk)
{
    struct call *k = *pk;

    *pk = k->next;
    r->ncalls--;
    return k;
}

/* Runs k's callback with res (peer, method, id filled here), frees k. */
static void call_finish(struct obi_rpc *r, struct call *k,
                        struct ob_rpc_result *res)
{
    res->peer = k->peer;
    res->method = k->method;
    res->id = k->id;
    if (!res->text)
        res->text = res->code ? obi_rpc_strerror(res->code) : "";
    k->done(r->owner, res, k->arg);
    call_free(k);
}

int obi_rpc_cancel(struct obi_rpc *r, uint64_t id)
{
    for (struct call **pk = &r->calls; *pk; pk = &(*pk)->next)
        if ((*pk)->id == id) {
            call_free(call_take(r, pk));
            return OB_OK;
        }
    return OB_ENOTFOUND;
}

/* Does from answer for peer: the same JID, or peer is bare and from is
 * one of its resources. */
static bool same_peer(const char *peer, const char *from)
{
    size_t n = strlen(peer);

    if (!strcmp(peer, from))
        return true;
    return !strchr(peer, '/') && !strncmp(peer, from, n) && from[n] == '/';
}

static struct call **call_find(struct obi_rpc *r, uint64_t id, const char *from)
{
    struct call **pk = &r->calls;

    while (*pk && ((*pk)->id != id || !same_peer((*pk)->peer, from)))
        pk = &(*pk)->next;
    return pk;
}

bool obi_rpc_expire_one(struct obi_rpc *r, uint64_t now)
{
    struct ob_rpc_result res = {.code = OB_ETIMEDOUT};

    for (struct call **pk = &r->calls; *pk; pk = &(*pk)->next)
        if ((*pk)->deadline <= now) {
            call_finish(r, call_take(r, pk), &res);
            return true;
        }
    return false;
}

bool obi_rpc_peer_gone_one(struct obi_rpc *r, const char *peer, const char *why)
{
    struct ob_rpc_result res = {.code = OB_EGONE, .text = why};

    for (struct call **pk = &r->calls; *pk; pk = &(*pk)->next)
        if (same_peer((*pk)->peer, peer)) {
            call_finish(r, call_take(r, pk), &res);
            return true;
        }
    return false;
}

uint64_t obi_rpc_next_deadline(const struct obi_rpc *r)
{
    uint64_t d = UINT64_MAX;

    for (const struct call *k = r->calls; k; k = k->next)
        if (k->deadline < d)
            d = k->deadline;
    return d;
}

size_t obi_rpc_calls(const struct obi_rpc *r)
{
    return r->ncalls;
}
size_t obi_rpc_pending(const struct obi_rpc *r)
{
    return r->nreqs;
}
uint64_t obi_rpc_dropped(const struct obi_rpc *r)
{
    return r->dropped;
}
uint64_t obi_rpc_refused(const struct obi_rpc *r)
{
    return r->refused;
}

/* ---- receiving -------------------------------------------------------- */

static void recv_request(struct obi_rpc *r, const char *from, uint64_t id,
                         const unsigned char *p, size_t n)
{
    struct method *m;
    struct ob_rpc_req *q = NULL;
    size_t mlen = n ? p[0] : 0;

    if (!mlen || mlen > OB_RPC_METHOD_MAX || 1 + mlen > n ||
        memchr(p + 1, 0, mlen)) {
        r->dropped++;
        return;
    }
    if (!(m = *method_find(r, (const char *)p + 1, mlen))) {
        r->refused++;
        send_error(r, from, id, OBI_RPC_R_NOMETHOD, 0, NULL);
        return;
    }
    if (r->nreqs >= OB_RPC_MAX_PENDING || !(q = calloc(1, sizeof *q)) ||
        !(q->peer = strdup(from))) {
        if (r->nreqs < OB_RPC_MAX_PENDING)
            free(q); /* out of memory: refused as busy too */
        r->refused++;
        send_error(r, from, id, OBI_RPC_R_BUSY, 0, NULL);
        return;
    }
    q->r = r;
    q->id = id;
    memcpy(q->method, p + 1, mlen);
    q->next = r->reqs;
    if (q->next)
        q->next->prev = &q->next;
    q->prev = &r->reqs;
    r->reqs = q;
    r->nreqs++;
    m->fn(r->owner, q, n > 1 + mlen ? p + 1 + mlen : NULL, n - 1 - mlen,
          m->arg);
}

static int error_code(int reason)
{
    switch (reason) {
    case OBI_RPC_R_REMOTE: return OB_EREMOTE;
    case OBI_RPC_R_NOMETHOD: return OB_ENOMETHOD;
    case OBI_RPC_R_BUSY: return OB_EBUSY;
    case OBI_RPC_R_TOOBIG: return OB_ETOOBIG;
    default: return 0;
    }
}

static void recv_error(struct obi_rpc *r, struct call **pk,
                       const unsigned char *p, size_t n)
{
    struct ob_rpc_result res = {0};
    char text[256];
    uint32_t u = 0;

    if (n < 6 || !(res.code = error_code(p[0])) || (size_t)6 + p[5] != n ||
        memchr(p + 6, 0, p[5])) {
        r->dropped++;
        return;
    }
    for (int i = 1; i <= 4; i++)
        u = u << 8 | p[i];
    res.remote_code = (int)u;
    memcpy(text, p + 6, p[5]);
    text[p[5]] = 0;
    res.text = res.code == OB_EREMOTE ? text : NULL;
    call_finish(r, call_take(r, pk), &res);
}

void obi_rpc_recv(struct obi_rpc *r, uint64_t now, const char *from,
                  const void *data, size_t len)
{
    const unsigned char *p = data;
    struct call **pk;
    uint64_t id;

    (void)now;
    if (!from || len < OBI_RPC_HDR || memcmp(p, magic, sizeof magic)) {
        r->dropped++;
        return;
    }
    id = get_u64(p + 6);
    if (p[5] == OBI_RPC_REQUEST) {
        recv_request(r, from, id, p + OBI_RPC_HDR, len - OBI_RPC_HDR);
        return;
    }
    if ((p[5] != OBI_RPC_REPLY && p[5] != OBI_RPC_ERROR) ||
        !*(pk = call_find(r, id, from))) {
        r->dropped++; /* unknown kind, or no call of ours: late, duplicate,
                         forged */
        return;
    }
    if (p[5] == OBI_RPC_ERROR) {
        recv_error(r, pk, p + OBI_RPC_HDR, len - OBI_RPC_HDR);
        return;
    }
    struct ob_rpc_result res = {.code = OB_OK, .len = len - OBI_RPC_HDR};
    res.data = res.len ? p + OBI_RPC_HDR : NULL;
    call_finish(r, call_take(r, pk), &res);
}

/* ---- answering -------------------------------------------------------- */

const char *ob_rpc_req_peer(const ob_rpc_req *q)
{
    return q ? q->peer : NULL;
}
const char *ob_rpc_req_method(const ob_rpc_req *q)
{
    return q ? q->method : NULL;
}

int ob_rpc_reply(ob_rpc_req *q, const void *data, size_t len)
{
    int rc;

    if (!q)
        return OB_EINVAL;
    if (len && !data) {
        rc = OB_EINVAL;
        send_error(q->r, q->peer, q->id, OBI_RPC_R_REMOTE, OB_EINVAL,
                   "bad reply");
    } else if ((rc = send_frame(q->r, q->peer, OBI_RPC_REPLY, q->id, NULL, 0,
                                data, len)) == OB_ETOOBIG) {
        send_error(q->r, q->peer, q->id, OBI_RPC_R_TOOBIG, 0, NULL);
    }
    req_free(q);
    return rc;
}

int ob_rpc_fail(ob_rpc_req *q, int code, const char *text)
{
    int rc;

    if (!q)
        return OB_EINVAL;
    rc = send_error(q->r, q->peer, q->id, OBI_RPC_R_REMOTE, code, text);
    req_free(q);
    return rc;
}
