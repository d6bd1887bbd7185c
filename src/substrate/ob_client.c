/* ob_client.c -- the peer's C2S connection: libstrophe driven by libevent,
 * reconnection, and the event queue.
 *
 * libstrophe 0.12 has no accessor for its socket and runs select()
 * internally.  Each client owns one xmpp_ctx_t (so xmpp_run_once(ctx, 0)
 * touches only its connection); the sockopt callback, which gets no user
 * data, hands the socket to the client named by a "current client"
 * pointer set around every libstrophe call that can open one, and refuses
 * a socket numbered FD_SETSIZE or more (select() would abort the process).
 * xmpp_run_once(ctx, 0) then runs when the socket is readable, when it is
 * writable while connecting or while data waits, after each send (an
 * event_active "kick"), and on a tick for libstrophe's timers.
 *
 * This file sits at the top of liborbweb: it makes the modules (the
 * transports, the groupcast engines, the rooms), which register their
 * stanza and event handlers with the core (ob_core_internal.h), and adds
 * its own (IQ requests, presences and messages for the parser, state
 * changes and connection errors).  Stanza handlers only queue parsed
 * events; the core's dispatcher runs them after xmpp_run_once returns.
 *
 * A lost connection is retried with a doubling delay; libstrophe resumes
 * the XEP-0198 session when the server allowed it (the bound JID comes
 * back unchanged: OB_STATE_RESUMED), otherwise the new session rejoins
 * the rooms (OB_STATE_RECONNECTED). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ob_abi_internal.h"
#include "ob_core_internal.h"
#include "ob_direct_internal.h"
#include "ob_expat_internal.h"
#include "ob_groupcast_internal.h"
#include "ob_recover_internal.h"
#include "ob_relay_internal.h"
#include "ob_room_internal.h"
#include "ob_rpc_internal.h"
#include "ob_sock_internal.h"
#include "ob_timer_internal.h"
#include "ob_view_internal.h"
#include "ob_wait_internal.h"

static __thread ob_client *current; /* for the sockopt callback */

static void pump(ob_client *c);
static bool dispatch(ob_client *c);
static void client_destroy(ob_client *c);

static void set_failure(ob_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* libstrophe's "SASL <mechanism> auth failed": the login was refused.
 * libstrophe tries the next mechanism right after saying so, a second
 * login attempt; without a password it gives up instead (start_connect
 * puts the password back for a later attempt). */
static bool sasl_refused(ob_client *c, const char *area, const char *msg)
{
    static const char failed[] = " auth failed";
    size_t n = strlen(msg), k = sizeof failed - 1;

    if (strcmp(area, "xmpp") || strncmp(msg, "SASL ", 5) || n <= k ||
        strcmp(msg + n - k, failed))
        return false;
    set_failure(c, OB_EAUTH,
                "authentication failed: the server refused %.*s "
                "(wrong password, or no such account)",
                (int)(n - k), msg);
    if (c->conn)
        xmpp_conn_set_pass(c->conn, NULL);
    return true;
}

/* Why this connection attempt fails, as libstrophe 0.12 tells it only
 * in its log: the socket's error when connecting, a failed TLS handshake
 * (the certificate's reason came first, from certfail_cb), a refused
 * login (sasl_refused), no mechanism left, or mandatory TLS that the
 * server does not offer. */
static void failure_from_log(ob_client *c, const char *area, const char *msg)
{
    int e;

    if (!strcmp(area, "xmpp") &&
        sscanf(msg, "connection failed, error %d", &e) == 1)
        c->sock_error = e; /* not passed to the connection handler */
    else if (sasl_refused(c, area, msg))
        return;
    else if (!strcmp(area, "auth"))
        set_failure(c, OB_EAUTH, "authentication failed: %s", msg);
    else if (!strncmp(msg, "Couldn't start TLS", 18))
        set_failure(c, OB_ETLS, "TLS failed: the handshake failed (%s)", msg);
    else if (strstr(msg, "TLS is not supported, but set as mandatory"))
        set_failure(c, OB_ETLS,
                    "TLS failed: the server does not offer STARTTLS, "
                    "which this client requires");
}

static void strophe_log(void *ud, xmpp_log_level_t level, const char *area,
                        const char *msg)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    ob_client *c = ud;

    if (!c->fail_code && area && msg)
        failure_from_log(c, area, msg);
    /* XEP-0198 is on from our <enable/> (the server counts what follows
     * it; its answer may come after a burst, and before the session's
     * handlers are in) until a <failed/>: flow control counts what the
     * server has not acknowledged (sm_ack), so no drain is seen before
     * <enabled/> tells the count */
    if (area && msg && !strcmp(area, "xmpp") &&
        (!strncmp(msg, "RECV: <enabled", 14) ||
         !strncmp(msg, "RECV: <resumed", 14)))
        c->sm_on = true;
    else if (area && msg && !strcmp(area, "conn") &&
             !strncmp(msg, "SENT: <enable ", 14))
        c->sm_on = true;
    else if (area && msg && !strcmp(area, "xmpp") &&
             !strncmp(msg, "RECV: <failed", 13) && strstr(msg, "urn:xmpp:sm:3"))
        c->sm_on = false;
    if (c->log)
        c->log(c->user, (unsigned)level < 4 ? names[level] : "?", area, msg);
}

static void enqueue_state(ob_client *c, enum ob_state st)
{
    struct obi_ev *ev = obi_ev_new(OBI_STATE);

    if (!ev) {
        c->state = st; /* at least the state is right */
        c->lost_state = st;
        c->lost_state_set = true; /* applied by the dispatcher */
        obi_lost(c, "a state change");
        return;
    }
    ev->sub = st;
    obi_enqueue(c, ev);
}

static void enqueue_conn_error(ob_client *c, int code, const char *text)
{
    struct obi_ev *ev = obi_ev_new(OBI_CONN_ERROR);

    if (!ev) {
        obi_lost(c, "a connection error");
        return;
    }
    ev->code = code;
    ev->sub = OB_OP_CONNECT;
    ev->text = strdup(text);
    obi_enqueue(c, ev);
}

/* ---- the socket ------------------------------------------------------ */

static void free_io(ob_client *c)
{
    if (c->ev_rd)
        event_free(c->ev_rd);
    if (c->ev_wr)
        event_free(c->ev_wr);
    c->ev_rd = c->ev_wr = NULL;
    c->fd = -1;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    ob_client *c = arg;

    (void)fd;
    if (what & EV_WRITE)
        c->write_spins++;
    pump(c);
}

/* libstrophe's sockopt callback: called for every new socket. */
static int sockopt_cb(xmpp_conn_t *conn, void *sockp)
{
    ob_client *c = current;
    int fd = *(int *)sockp;

    if (!c || c->conn != conn)
        return -1; /* a socket opened outside our calls: refuse it */
    free_io(c);
    if (fd < 0 || fd >= FD_SETSIZE) {
        c->fd_refused = true;
        obi_logf(c, "error",
                 "socket %d >= FD_SETSIZE (%d) refused: "
                 "libstrophe's select() cannot hold it",
                 fd, FD_SETSIZE);
        return -1;
    }
    c->ev_rd = event_new(c->base, fd, EV_READ | EV_PERSIST, on_io, c);
    c->ev_wr = event_new(c->base, fd, EV_WRITE, on_io, c);
    if (!c->ev_rd || !c->ev_wr || event_add(c->ev_rd, NULL)) {
        free_io(c);
        return -1;
    }
    c->fd = fd;
    /* small stanzas leave at once instead of waiting, behind Nagle's
     * algorithm, for the acknowledgement of the previous one */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    return xmpp_sockopt_cb_keepalive(conn, sockp);
}

static bool secured(ob_client *c)
{
    return !xmpp_conn_is_disconnected(c->conn) && xmpp_conn_is_secured(c->conn);
}

/* Ends this connection attempt at once: the socket's number is given a
 * /dev/null, which closes the TCP connection (the server sees it go),
 * takes what libstrophe still writes (a next SASL mechanism, after a
 * refused one: never a second login attempt) and reads as the end of
 * the stream, so that libstrophe disconnects on its next run. */
static void cut_socket(ob_client *c)
{
    int fd = c->fd, null = open("/dev/null", O_RDWR | O_CLOEXEC);

    free_io(c);
    if (fd >= 0 && (null < 0 || dup3(null, fd, O_CLOEXEC) < 0))
        shutdown(fd, SHUT_RDWR);
    if (null >= 0)
        close(null);
    obi_kick(c);
}

static void set_failure(ob_client *c, int code, const char *fmt, ...)
{
    va_list ap;

    if (c->fail_code)
        return; /* the first reason is the one */
    c->fail_code = code;
    va_start(ap, fmt);
    vsnprintf(c->fail_text, sizeof c->fail_text, fmt, ap);
    va_end(ap);
    obi_logf(c, "error", "%s", c->fail_text);
}

/* Hex digits of s, uppercase, into out (65 bytes); false unless there
 * are exactly 64 and nothing else but colons and spaces. */
static bool pin_normalize(const char *s, char *out)
{
    size_t n = 0;

    for (; *s; s++) {
        if (*s == ':' || *s == ' ')
            continue;
        if (!isxdigit((unsigned char)*s) || n == 64)
            return false;
        out[n++] = (char)toupper((unsigned char)*s);
    }
    out[n] = '\0';
    return n == 64;
}

static const char *cert_str(const xmpp_tlscert_t *cert, xmpp_cert_element_t e)
{
    const char *v = cert ? xmpp_tlscert_get_string(cert, e) : NULL;

    return v ? v : "?";
}

/* libstrophe's handler when OpenSSL could not verify the server's
 * certificate (never called with OB_TLS_TRUST).  With a pin the
 * certificate is accepted here and judged by check_pin once the
 * handshake is done; otherwise the connection is refused and the reason
 * kept for the OB_ETLS error.  No user data: the client is `current`,
 * whose context is the certificate's. */
static int certfail_cb(const xmpp_tlscert_t *cert, const char *const errormsg)
{
    ob_client *c = current;

    if (!c || c->ctx != xmpp_tlscert_get_ctx(cert))
        return 0; /* (libstrophe 0.12 leaves the cert's conn NULL) */
    if (*c->tls_pin)
        return 1;
    set_failure(
        c, OB_ETLS,
        "TLS failed: the server's certificate is not trusted: %s "
        "(subject %s, issuer %s, SHA-256 %s)%s",
        errormsg ? errormsg : "verification failed",
        cert_str(cert, XMPP_CERT_SUBJECT), cert_str(cert, XMPP_CERT_ISSUER),
        cert_str(cert, XMPP_CERT_FINGERPRINT_SHA256),
        c->tls_ca_file ? "" : "; give its CA as tls_ca_file, or pin it");
    return 0;
}

/* Once TLS is up, before anything is sent over it: the server's
 * certificate must be the pinned one, else the attempt ends. */
static void check_pin(ob_client *c)
{
    xmpp_tlscert_t *cert;
    char got[65];

    if (!*c->tls_pin || c->pin_checked || c->fd < 0 || !secured(c))
        return;
    c->pin_checked = true;
    cert = xmpp_conn_get_peer_cert(c->conn);
    if (cert &&
        pin_normalize(cert_str(cert, XMPP_CERT_FINGERPRINT_SHA256), got) &&
        !strcmp(got, c->tls_pin)) {
        xmpp_tlscert_free(cert);
        return;
    }
    set_failure(c, OB_ETLS,
                "TLS failed: the server's certificate (SHA-256 %s, subject "
                "%s) is not the pinned one (tls_pin_sha256 %s)",
                cert_str(cert, XMPP_CERT_FINGERPRINT_SHA256),
                cert_str(cert, XMPP_CERT_SUBJECT), c->tls_pin);
    if (cert)
        xmpp_tlscert_free(cert);
    cut_socket(c);
}

/* After libstrophe ran: follow its socket (gone, or wanting to write). */
static void sync_io(ob_client *c)
{
    bool want_write;

    if (xmpp_conn_is_disconnected(c->conn)) {
        free_io(c);
        if (c->ev_tick)
            event_del(c->ev_tick);
        return;
    }
    if (c->fd < 0)
        return;
    want_write = xmpp_conn_is_connecting(c->conn) ||
                 (xmpp_conn_send_queue_len(c->conn) > 0 && c->write_spins < 8);
    if (!want_write)
        c->write_spins = 0;
    if (want_write && !event_pending(c->ev_wr, EV_WRITE, NULL))
        event_add(c->ev_wr, NULL);
}

/* Runs libstrophe on c's connection, in rounds.  A round writes what
 * libstrophe had queued (over TLS, one record of at most 16 KB), then
 * reads at most 4 KB.  What a round's handlers queue (the stream header
 * after connecting, SASL steps, acks) goes out in the next, so there are
 * at least 2: libstrophe has no accessor for its own queue, only for the
 * application's stanzas.  TLS may hold decrypted bytes that select()
 * cannot see, so a secured connection runs at least 4.  Rounds go on
 * while the last one parsed something (ob_expat.c counts it) or wrote
 * something (the socket took bytes: ob_sock.c), up to MAX_ROUNDS; true
 * when that was not enough and c must run again soon. */
#define MAX_ROUNDS 64

static bool run_strophe(ob_client *c)
{
    int i;

    obi_expat_enter();
    for (i = 0; i < MAX_ROUNDS; i++) {
        unsigned long seen = obi_expat_parsed();
        uint64_t sent = obi_sock_written(c->fd);
        xmpp_run_once(c->ctx, 0);
        check_pin(c);
        if (c->fail_code && c->fd >= 0 && !c->in_session)
            cut_socket(c); /* no waiting for the server's goodbye */
        if (obi_expat_parsed() == seen && obi_sock_written(c->fd) == sent &&
            i + 1 >= (secured(c) ? 4 : 2))
            break;
    }
    obi_expat_leave();
    return i == MAX_ROUNDS;
}

/* ---- flow control ---------------------------------------------------- */

/* The server's <a h/> (XEP-0198): stanzas it has handled this session.
 * h also counts what we sent without obi_send (presences, IQ answers):
 * sm_base absorbs those, so that ours never count as acknowledged
 * before they are. */
static void sm_ack(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    const char *h = xmpp_stanza_get_attribute(st, "h");
    char *end;
    unsigned long long v = h ? strtoull(h, &end, 10) : 0;

    (void)arg;
    if (!h || *end || v < c->sm_h)
        return;
    c->sm_h = v;
    if (c->sm_h - c->sm_base > c->sm_sent)
        c->sm_base = c->sm_h - c->sm_sent;
}

size_t ob_in_flight(const ob_client *c)
{
    int queued;
    uint64_t relayed;

    if (!c || !c->conn)
        return 0;
    queued = xmpp_conn_send_queue_len(c->conn);
    relayed = queued > 0 ? (uint64_t)queued : 0;
    /* written but not yet acknowledged: libstrophe still holds them */
    if (c->sm_on && c->sm_sent - (c->sm_h - c->sm_base) > relayed)
        relayed = c->sm_sent - (c->sm_h - c->sm_base);
    return (size_t)relayed + (c->direct ? obi_direct_in_flight(c->direct) : 0);
}

/* OB_EAGAIN (and a drain awaited) when the high-water mark is reached. */
static int flow_gate(ob_client *c)
{
    if (!c->flow_high || ob_in_flight(c) < (size_t)c->flow_high)
        return OB_OK;
    c->flow_blocked = true;
    return OB_EAGAIN;
}

/* After libstrophe wrote, or a direct stream acknowledged (it kicks):
 * a sender that was told OB_EAGAIN is told once in flight is down to
 * the low-water mark. */
static void flow_check(ob_client *c)
{
    if (c->flow_blocked && ob_in_flight(c) <= (size_t)c->flow_low) {
        c->flow_blocked = false;
        if (c->drained)
            event_active(c->ev_drained, 0, 0);
    }
}

/* The drained callback, from the event loop under the callback contract
 * (an ob_client_free inside is done when it returns, as for timers). */
static void on_drained(evutil_socket_t fd, short what, void *arg)
{
    ob_client *c = arg;
    bool outer = c->in_dispatch;

    (void)fd;
    (void)what;
    if (c->dying || !c->drained)
        return;
    c->in_dispatch = true;
    c->drained(c, c->user);
    c->in_dispatch = outer;
    if (!outer && c->dying)
        client_destroy(c);
}

/* Runs libstrophe for c, then the dispatcher.  c may be freed when this
 * returns (by a callback): callers must not touch it afterwards. */
static void pump(ob_client *c)
{
    ob_client *prev = current;
    bool more;

    if (c->in_pump || c->dying)
        return;
    c->in_pump = true;
    current = c;
    more = run_strophe(c);
    current = prev;
    c->in_pump = false;
    sync_io(c);
    flow_check(c);
    if (more)
        obi_kick(c);
    dispatch(c);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

/* ---- the session --------------------------------------------------- */

/* IQ gets and sets for us: ping answered, anything else refused. */
static void iq_request_handler(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    const char *type = xmpp_stanza_get_type(st);
    xmpp_conn_t *conn = c->conn;
    xmpp_stanza_t *reply, *e, *cond;
    bool ping =
        xmpp_stanza_get_child_by_name_and_ns(st, "ping", "urn:xmpp:ping");

    (void)arg;
    if (!type || (strcmp(type, "get") && strcmp(type, "set")))
        return;
    if (!(reply = xmpp_stanza_reply(st)))
        return;
    if (ping) {
        xmpp_stanza_set_type(reply, "result");
    } else {
        xmpp_stanza_set_type(reply, "error");
        e = obi_el(xmpp_conn_get_context(conn), reply, "error", NULL);
        cond = e ? obi_el(xmpp_conn_get_context(conn), e, "service-unavailable",
                          OBI_NS_STANZAS)
                 : NULL;
        if (e)
            xmpp_stanza_set_type(e, "cancel");
        (void)cond;
    }
    xmpp_send(conn, reply);
    xmpp_stanza_release(reply);
}

/* The rest: presences and messages, parsed and queued. */
static void take(ob_client *c, xmpp_stanza_t *st, void *arg)
{
    (void)arg;
    if (!c->dying)
        obi_take(c, st);
}

/* Ours come after the modules' (which claim some IQs and messages). */
static int add_handlers(ob_client *c)
{
    const struct obi_handler iq = {.name = "iq", .fn = iq_request_handler};
    const struct obi_handler ack = {
        .name = "a", .ns = "urn:xmpp:sm:3", .fn = sm_ack};
    const struct obi_handler rest = {.fn = take};

    return obi_handler_add(c, &iq) || obi_handler_add(c, &ack) ||
                   obi_handler_add(c, &rest)
               ? OB_EINVAL
               : OB_OK;
}

static void on_session(ob_client *c)
{
    const char *bound = xmpp_conn_get_bound_jid(c->conn);
    bool resumed = c->had_session && bound && c->session_jid &&
                   !strcmp(bound, c->session_jid);
    xmpp_stanza_t *pres;
    char *copy = bound ? strdup(bound) : NULL;

    obi_handlers_install(c);
    c->in_session = true;
    c->backoff_ms = 0;
    c->sm_sent = c->sm_h = c->sm_base = 0; /* h counts from each session */
    if (copy) {
        free(c->session_jid);
        c->session_jid = copy;
    }
    if (!resumed && (pres = xmpp_presence_new(c->ctx))) {
        xmpp_send(c->conn, pres); /* available, so full-JID messages arrive */
        xmpp_stanza_release(pres);
    }
    if (!c->had_session && !obi_expat_routed())
        obi_logf(c, "warn",
                 "libstrophe's XML_Parse does not come through "
                 "liborbweb (libexpat is linked before it): a stanza split "
                 "across reads may wait for the server's next bytes");
    enqueue_state(c, !c->had_session ? OB_STATE_CONNECTED
                     : resumed       ? OB_STATE_RESUMED
                                     : OB_STATE_RECONNECTED);
    c->had_session = true;
}

static void schedule_retry(ob_client *c)
{
    struct timeval tv;

    if (c->rmax < 0 || c->closing) {
        enqueue_state(c, OB_STATE_CLOSED);
        return;
    }
    c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : c->rmin;
    if (c->backoff_ms > c->rmax)
        c->backoff_ms = c->rmax;
    tv.tv_sec = c->backoff_ms / 1000;
    tv.tv_usec = (c->backoff_ms % 1000) * 1000;
    obi_logf(c, "info", "reconnecting in %d ms", c->backoff_ms);
    event_add(c->ev_retry, &tv);
}

/* What a failed or lost connection was: the reason found during the
 * attempt (OB_EAUTH, OB_ETLS), else what the socket said. */
static int conn_failure(ob_client *c, int error)
{
    if (c->fail_code)
        return c->fail_code;
    switch (error) {
    case ECONNREFUSED: return OB_EREFUSED;
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN: return OB_EUNREACH;
    default: return OB_ECONNECT;
    }
}

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
                         xmpp_stream_error_t *se, void *ud)
{
    ob_client *c = ud;
    char text[768];
    int code;
    bool first;

    (void)conn;
    if (c->dying)
        return;
    c->in_session = false;
    if (status == XMPP_CONN_CONNECT) {
        on_session(c);
        return;
    }
    if (status != XMPP_CONN_DISCONNECT && status != XMPP_CONN_FAIL)
        return;
    if (c->closing) {
        enqueue_state(c, OB_STATE_CLOSED);
        return;
    }
    if (!error)
        error = c->sock_error;
    code = conn_failure(c, error);
    first = c->state == OB_STATE_CONNECTING && !c->had_session;
    if (c->fail_code)
        snprintf(text, sizeof text, "%s", c->fail_text);
    else
        snprintf(text, sizeof text, "connection to %s:%d %s%s%s%s%s", c->host,
                 c->port, first ? "failed" : "lost", error ? ": " : "",
                 error ? strerror(error) : "", se && se->text ? ": " : "",
                 se && se->text ? se->text : "");
    enqueue_conn_error(c, code, text);
    if (c->had_session && c->state != OB_STATE_LOST)
        enqueue_state(c, OB_STATE_LOST);
    if (!c->had_session && (code == OB_EAUTH || code == OB_ETLS)) {
        /* never worked, and retrying would only repeat the refusal */
        enqueue_state(c, OB_STATE_CLOSED);
        return;
    }
    schedule_retry(c);
}

/* Opens the socket; libstrophe calls sockopt_cb from inside. */
static int start_connect(ob_client *c)
{
    ob_client *prev = current;
    int rc;

    c->fd_refused = false;
    c->fail_code = 0;
    c->sock_error = 0;
    c->sm_on = false;
    c->pin_checked = false;
    if (c->password) { /* taken away after a refused login */
        xmpp_conn_set_pass(c->conn, c->password);
        if (!xmpp_conn_get_pass(c->conn))
            return OB_ENOMEM;
    }
    current = c;
    rc = xmpp_connect_client(c->conn, c->host, (unsigned short)c->port,
                             conn_handler, c);
    current = prev;
    if (rc != XMPP_EOK || xmpp_conn_is_disconnected(c->conn)) {
        free_io(c);
        return c->fd_refused     ? OB_EFDLIMIT
               : rc == XMPP_EMEM ? OB_ENOMEM
                                 : OB_ECONNECT;
    }
    if (c->ev_tick) {
        struct timeval tv = {c->tick_ms / 1000, (c->tick_ms % 1000) * 1000};
        event_add(c->ev_tick, &tv);
    }
    sync_io(c);
    return OB_OK;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    ob_client *c = arg;
    int rc;

    (void)fd;
    (void)what;
    if (c->closing)
        return;
    if ((rc = start_connect(c)) != OB_OK) {
        enqueue_conn_error(c, rc, ob_strerror(rc));
        schedule_retry(c);
    }
}

/* ---- the public calls ------------------------------------------------- */

static bool ip_literal(const char *host)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, host, buf) == 1 ||
           inet_pton(AF_INET6, host, buf) == 1;
}

static int copy_options(ob_client *c, const struct ob_options *o)
{
    c->host = strdup(o->host);
    c->jid = strdup(o->jid);
    c->password = o->password ? strdup(o->password) : NULL;
    if (!c->host || !c->jid || (o->password && !c->password))
        return OB_ENOMEM;
    c->port = o->port ? o->port : 5222;
    c->rmin = o->reconnect_min_ms > 0 ? o->reconnect_min_ms : 250;
    c->rmax = o->reconnect_max_ms ? o->reconnect_max_ms : 30000;
    if (c->rmax > 0 && c->rmax < c->rmin)
        c->rmax = c->rmin;
    c->tick_ms = o->tick_ms > 0 ? o->tick_ms : 100;
    c->ping_ms = o->self_ping_ms < 0 ? 0
                 : o->self_ping_ms   ? o->self_ping_ms
                                     : OBI_SELF_PING_MS;
    c->tls = o->tls;
    c->direct_host = o->direct_host ? strdup(o->direct_host) : NULL;
    if (o->direct_host && !c->direct_host)
        return OB_ENOMEM;
    c->direct_sessions = o->direct_sessions > 0 ? o->direct_sessions : 8;
    c->direct_round_ms = o->direct_round_ms > 0 ? o->direct_round_ms : 1000;
    c->direct_hello_ms = o->direct_hello_ms > 0 ? o->direct_hello_ms : 2000;
    c->relay_max = o->relay_max_bytes > 0 ? (size_t)o->relay_max_bytes : 65536;
    if (o->tls_ca_file && !(c->tls_ca_file = strdup(o->tls_ca_file)))
        return OB_ENOMEM;
    c->flow_high = o->send_high_water > 0 ? o->send_high_water : 0;
    c->flow_low = o->send_low_water > 0 && o->send_low_water < c->flow_high
                      ? o->send_low_water
                      : c->flow_high / 4;
    c->drained = o->drained;
    if (o->cb &&
        obi_struct_in(&c->cb, sizeof c->cb, OBI_CALLBACKS_SIZE_V1, o->cb))
        return OB_EINVAL;
    c->user = o->user;
    c->log = o->log;
    return OB_OK;
}

static int make_events(ob_client *c, struct event_base *base)
{
    struct timeval tv;

    c->own_base = !base;
    c->base = base ? base : event_base_new();
    if (!c->base)
        return OB_EEVENT;
    c->ev_tick = event_new(c->base, -1, EV_PERSIST, on_tick, c);
    c->ev_kick = event_new(c->base, -1, 0, on_kick, c);
    c->ev_retry = evtimer_new(c->base, on_retry, c);
    c->ev_drained = event_new(c->base, -1, 0, on_drained, c);
    if (!c->ev_tick || !c->ev_kick || !c->ev_retry || !c->ev_drained)
        return OB_ENOMEM;
    (void)tv;
    return OB_OK;
}

static int make_strophe(ob_client *c)
{
    static const long tls_flags[] = {
        [OB_TLS_VERIFY] = 0,
        [OB_TLS_TRUST] = XMPP_CONN_FLAG_TRUST_TLS,
        [OB_TLS_REQUIRE] = XMPP_CONN_FLAG_MANDATORY_TLS,
        [OB_TLS_OFF] = XMPP_CONN_FLAG_DISABLE_TLS,
    };

    c->xlog.handler = strophe_log;
    c->xlog.userdata = c;
    if (!(c->ctx = xmpp_ctx_new(NULL, &c->xlog)) ||
        !(c->conn = xmpp_conn_new(c->ctx)))
        return OB_ENOMEM;
    xmpp_ctx_set_timeout(c->ctx, 0);
    /* a CA file or a pin is only worth something over TLS: required */
    if (xmpp_conn_set_flags(c->conn, tls_flags[c->tls] |
                                         (c->tls_ca_file || *c->tls_pin
                                              ? XMPP_CONN_FLAG_MANDATORY_TLS
                                              : 0)) != XMPP_EOK)
        return OB_EXMPP;
    if (c->tls_ca_file)
        xmpp_conn_set_cafile(c->conn, c->tls_ca_file);
    xmpp_conn_set_certfail_handler(c->conn, certfail_cb);
    xmpp_conn_set_jid(c->conn, c->jid);
    if (c->password)
        xmpp_conn_set_pass(c->conn, c->password);
    if (!xmpp_conn_get_jid(c->conn) ||
        (c->password && !xmpp_conn_get_pass(c->conn)))
        return OB_ENOMEM;
    xmpp_conn_set_sockopt_callback(c->conn, sockopt_cb);
    return OB_OK;
}

static bool is_room(ob_client *c, const char *jid)
{
    return obi_room_find(c, jid) != NULL;
}

/* The relayed transport, under the direct one unless turned off. */
static int make_transport(ob_client *c, bool direct_off)
{
    static const struct obi_direct_rooms rooms = {is_room,
                                                  obi_room_has_neighbour};
    struct obi_transport *relay;
    int rc;

    if ((rc = obi_relay_new(c, &relay)))
        return rc;
    if (direct_off) {
        c->tp = relay;
        return OB_OK;
    }
    if ((rc = obi_direct_new(c, relay, &c->direct)))
        return rc;
    obi_direct_set_rooms(c->direct, &rooms);
    c->tp = (struct obi_transport *)c->direct;
    return OB_OK;
}

static void on_state(ob_client *c, struct obi_ev *ev);
static void on_conn_error(ob_client *c, struct obi_ev *ev);

/* The modules, each registering its handlers: the rooms, the transports,
 * the groupcast engines (after the direct transport: its stanza handlers
 * come first), then ours. */
static int make_modules(ob_client *c, bool direct_off)
{
    int rc;

    obi_room_attach(c);
    obi_event_on(c, OBI_STATE, on_state);
    obi_event_on(c, OBI_CONN_ERROR, on_conn_error);
    if ((rc = make_transport(c, direct_off)) || (rc = obi_gc_attach(c)))
        return rc;
    obi_rpc_attach(c); /* in front of the rooms' unicasts and bounces */
    c->destroy = client_destroy;
    return add_handlers(c);
}

/* The TLS trust options: a readable CA file (libstrophe would go on
 * without TLS when it cannot load it), a well-formed pin, TLS not off. */
static int check_trust(const struct ob_options *o)
{
    char pin[65];

    if ((o->tls_ca_file || o->tls_pin_sha256) && o->tls == OB_TLS_OFF)
        return OB_EINVAL;
    if (o->tls_ca_file && access(o->tls_ca_file, R_OK) < 0)
        return OB_EINVAL;
    if (o->tls_pin_sha256 && !pin_normalize(o->tls_pin_sha256, pin))
        return OB_EINVAL;
    if (o->send_high_water < 0 || o->send_low_water < 0)
        return OB_EINVAL;
    return OB_OK;
}

int ob_client_new(const struct ob_options *app, ob_client **out)
{
    struct ob_options o, *opt = &o;
    ob_client *c;
    int rc;

    if (!out)
        return OB_EINVAL;
    *out = NULL;
    if (!app || obi_struct_in(&o, sizeof o, OBI_OPTIONS_SIZE_V1, app))
        return OB_EINVAL;
    if (!opt->host || !opt->jid || !*opt->jid || !ip_literal(opt->host) ||
        opt->port < 0 || opt->port > 65535 || (unsigned)opt->tls > OB_TLS_OFF ||
        (!opt->password && strchr(opt->jid, '@')))
        return OB_EINVAL;
    if (opt->direct_host && !ip_literal(opt->direct_host))
        return OB_EINVAL;
    if ((rc = check_trust(opt)))
        return rc;
    if (!(c = calloc(1, sizeof *c)))
        return OB_ENOMEM;
    if (opt->tls_pin_sha256)
        pin_normalize(opt->tls_pin_sha256, c->tls_pin);
    c->fd = -1;
    xmpp_initialize(); /* idempotent */
    if ((rc = copy_options(c, opt)) || (rc = make_events(c, opt->base)) ||
        (rc = make_strophe(c)) || (rc = make_modules(c, opt->direct_off))) {
        client_destroy(c);
        return rc;
    }
    *out = c;
    return OB_OK;
}

static void client_destroy(ob_client *c)
{
    c->dying = true;
    free_io(c);
    obi_pending_fail_all(c,
                         0); /* deletes their id handlers: conn still lives */
    if (c->conn)
        xmpp_conn_release(c->conn); /* closes the socket; handlers see dying */
    c->conn = NULL;
    obi_rpc_client_free(c);
    obi_timers_free(c);
    obi_poll_free(c);
    obi_rooms_free(c);
    obi_gc_client_free(c);
    obi_queue_free(c);
    if (c->tp) /* before the context: links hold its stanzas */
        c->tp->ops->destroy(c->tp);
    if (c->ctx)
        xmpp_ctx_free(c->ctx);
    if (c->ev_tick)
        event_free(c->ev_tick);
    if (c->ev_kick)
        event_free(c->ev_kick);
    if (c->ev_retry)
        event_free(c->ev_retry);
    if (c->ev_drained)
        event_free(c->ev_drained);
    if (c->own_base && c->base)
        event_base_free(c->base);
    free(c->host);
    free(c->jid);
    free(c->password);
    free(c->session_jid);
    free(c->direct_host);
    free(c->tls_ca_file);
    free(c);
}

void ob_client_free(ob_client *c)
{
    if (!c)
        return;
    if (c->in_dispatch || c->in_pump) {
        c->dying = true; /* freed by the dispatcher when it unwinds */
        return;
    }
    client_destroy(c);
}

int ob_connect(ob_client *c)
{
    int rc;

    if (!c)
        return OB_EINVAL;
    if (c->started || c->dying)
        return OB_ESTATE;
    c->started = true;
    c->state = OB_STATE_CONNECTING;
    if ((rc = start_connect(c)) != OB_OK) {
        c->started = false;
        c->state = OB_STATE_IDLE;
    }
    return rc;
}

int ob_disconnect(ob_client *c)
{
    ob_client *prev = current;

    if (!c || c->dying)
        return OB_EINVAL;
    if (!c->started || c->closing)
        return OB_ESTATE;
    c->closing = true;
    event_del(c->ev_retry);
    if (xmpp_conn_is_disconnected(c->conn)) {
        enqueue_state(c, OB_STATE_CLOSED);
        return OB_OK;
    }
    current = c;
    xmpp_disconnect(c->conn);
    current = prev;
    obi_kick(c);
    return OB_OK;
}

int ob_run(ob_client *c)
{
    if (!c)
        return OB_EINVAL;
    if (!c->own_base)
        return OB_ESTATE;
    return event_base_dispatch(c->base) < 0 ? OB_EEVENT : OB_OK;
}

void ob_stop(ob_client *c)
{
    if (c && c->own_base)
        event_base_loopbreak(c->base);
}

struct event_base *ob_client_base(ob_client *c)
{
    return c ? c->base : NULL;
}

enum ob_state ob_client_state(const ob_client *c)
{
    return c ? c->state : OB_STATE_IDLE;
}

int ob_client_stats(const ob_client *c, struct ob_stats *out)
{
    if (!c || !out)
        return OB_EINVAL;
    return obi_struct_out(out, OBI_STATS_SIZE_V1, &c->stats, sizeof c->stats);
}

const char *ob_client_jid(const ob_client *c)
{
    return c ? obi_bound_jid(c) : NULL;
}

int ob_unicast(ob_client *c, const char *jid, const char *body)
{
    int rc;

    if (!c || !jid || !*jid || !body)
        return OB_EINVAL;
    if ((rc = flow_gate(c)))
        return rc;
    return c->tp->ops->send_unicast(c->tp, jid, body, NULL, 0);
}

int ob_unicast_data(ob_client *c, const char *jid, const void *data, size_t len)
{
    int rc;

    if (!c)
        return OB_EINVAL;
    if ((rc = flow_gate(c)))
        return rc;
    return obi_send_data(c, jid, data, len);
}

/* The domain part of a JID: its length, *dom pointing at it. */
static size_t domain_of(const char *jid, const char **dom)
{
    const char *at = strchr(jid, '@'), *slash;

    *dom = at ? at + 1 : jid;
    slash = strchr(*dom, '/');
    return slash ? (size_t)(slash - *dom) : strlen(*dom);
}

int ob_distance(ob_client *c, const char *jid)
{
    const char *me, *a, *b;
    size_t la, lb;

    if (!c || !jid || !*jid)
        return OB_EINVAL;
    jid = obi_view_resolve(c, jid); /* room/nick: the member behind it */
    me = c->session_jid ? c->session_jid : c->jid;
    if (!strcmp(me, jid))
        return 0;
    if (c->direct && obi_direct_up(c->direct, jid))
        return 1;
    la = domain_of(me, &a);
    lb = domain_of(jid, &b);
    return la == lb && !strncasecmp(a, b, la) ? 2 : 3;
}

int ob_groupcast(ob_client *c, const char *room, const char *body)
{
    struct obi_room *r;
    int rc;

    if (!c || !room || !body)
        return OB_EINVAL;
    if (!(r = obi_room_find(c, room)) || r->st == OBI_R_LEAVING)
        return OB_ENOTFOUND;
    if ((rc = flow_gate(c)))
        return rc;
    return c->tp->ops->send_groupcast(c->tp, r->jid, body);
}

/* ---- the dispatcher's handlers ------------------------------------ */

static void apply_state(ob_client *c, enum ob_state st)
{
    c->state = st;
    if (st == OB_STATE_RECONNECTED) {
        obi_pending_fail_all(c, OB_ECONNECT);
        obi_rooms_new_session(c);
        if (c->direct)
            obi_direct_new_session(c->direct);
    } else if (st == OB_STATE_CLOSED) {
        obi_pending_fail_all(c, OB_ECONNECT);
    }
    if (c->cb.state)
        c->cb.state(c, st, c->user);
    if (st == OB_STATE_CLOSED && c->own_base && !c->dying)
        event_base_loopbreak(c->base);
}

static void on_state(ob_client *c, struct obi_ev *ev)
{
    apply_state(c, (enum ob_state)ev->sub);
}

static void on_conn_error(ob_client *c, struct obi_ev *ev)
{
    obi_emit_error(c, ev->code, OB_OP_CONNECT, ev, ev->text);
}

/* Runs the queued events (ob_core.c); false when a callback freed c (it
 * is gone). */
static bool dispatch(ob_client *c)
{
    if (obi_dispatch(c))
        return true;
    client_destroy(c);
    return false;
}
