/* ob_core_internal.h -- liborbweb's core (ob_core.c), under every other
 * module: the client structure, the event queue and its dispatcher, ids,
 * the clock, the log, the send path onto the connection, the accounting of
 * events lost for want of memory, and the two registries through which the
 * modules above receive what arrives.
 *
 * Flow: libstrophe calls one handler (obi_route), which asks the stanza
 * handlers the modules registered (obi_handler_add, in the manner of
 * libstrophe's xmpp_handler_add) and gives the stanza to the first that
 * matches; handlers only parse stanzas into queued events (struct obi_ev,
 * owning copies of their strings).  When xmpp_run_once has returned,
 * obi_dispatch hands each event to the handler registered for its kind
 * (obi_event_on), which applies it and calls the application's callback;
 * so callbacks never run inside libstrophe, and may call back into the
 * library.  Nothing here calls a module above: they register. */
#ifndef SRC_SUBSTRATE_OB_CORE_INTERNAL_H
#define SRC_SUBSTRATE_OB_CORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "ob_parse_internal.h"
#include "orbweb.h"

/* ---- the registries --------------------------------------------------- */

/* A stanza handler.  A stanza matches when every field set matches:
 * name (the element's), ns (the stanza's namespace or one of its
 * children's, as in libstrophe), type, and match(c, st, arg) returning
 * true.  fn then gets the stanza (lent: clone what must outlive the call)
 * inside xmpp_run_once: it must not call the application, only queue
 * events (obi_enqueue, obi_take, obi_enqueue_stanza).  Each stanza goes
 * to the first handler that matches, in the order they were added; the
 * others never see it. */
typedef bool (*obi_match_fn)(ob_client *c, xmpp_stanza_t *st, void *arg);
typedef void (*obi_stanza_fn)(ob_client *c, xmpp_stanza_t *st, void *arg);
struct obi_handler {
    const char *name, *ns, *type; /* static strings, or NULL: any */
    obi_match_fn match;           /* NULL: any */
    obi_stanza_fn fn;
    void *arg;
};
#define OBI_MAX_HANDLERS 8

/* Adds a copy of h after those already added.  0, or OB_EINVAL when the
 * table (OBI_MAX_HANDLERS) is full or h->fn is NULL.  Never allocates. */
int obi_handler_add(ob_client *c, const struct obi_handler *h);
/* Gives st to the first handler that matches (none: dropped). */
void obi_route(ob_client *c, xmpp_stanza_t *st);
/* Puts obi_route on c's connection (once per session: libstrophe keeps
 * one registration per handler and user data). */
void obi_handlers_install(ob_client *c);

/* The handler of one event kind: it applies ev (lent; it may take its
 * strings, leaving NULL) and may call the application, which may free c
 * (then c->dying is set and c stays valid until obi_dispatch returns). */
typedef void (*obi_event_fn)(ob_client *c, struct obi_ev *ev);
/* Sets (replaces) the handler of kind; events of a kind without one are
 * dropped.  Never allocates. */
void obi_event_on(ob_client *c, enum obi_kind kind, obi_event_fn fn);
/* Puts fn in front of kind's handler: fn runs first and passes the events
 * it does not consume on with obi_event_next (one level: a module above
 * the one that handles kind, e.g. RPC in front of the rooms). */
void obi_event_chain(ob_client *c, enum obi_kind kind, obi_event_fn fn);
void obi_event_next(ob_client *c, struct obi_ev *ev);

/* Opaque here: owned by the modules above (ob_room_internal.h,
 * ob_relay_internal.h, ob_direct_internal.h, ob_groupcast_internal.h). */
struct obi_room;
struct obi_pending;
struct obi_room_engine;
struct obi_transport;
struct obi_direct;
struct obi_gc_mark;
struct obi_poll;

/* The client: its options and connection (ob_client.c), the state of the
 * modules above (behind the opaque pointers: only their owner looks
 * inside), and the core's queue and registries. */
struct ob_client {
    char *host, *jid, *password;
    int port, rmin, rmax, tick_ms;
    int ping_ms; /* self-ping period; 0: off */
    enum ob_tls tls;
    struct ob_callbacks cb;
    void *user;
    void (*log)(void *user, const char *level, const char *area,
                const char *msg);

    struct event_base *base;
    bool own_base;
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    xmpp_log_t xlog;
    struct obi_transport *tp;  /* the send path (ob_relay_internal.h) */
    struct obi_direct *direct; /* tp itself, when direct streams are on */
    char *direct_host;         /* listen address option, or NULL */
    int direct_sessions, direct_round_ms, direct_hello_ms;
    size_t relay_max;      /* largest stanza sent through the server */
    struct ob_stats stats; /* per path (ob_client_stats); the transports
                              count what they sent */

    int fd;          /* libstrophe's socket, -1 when none */
    bool fd_refused; /* the sockopt callback refused a socket */
    bool in_pump;    /* inside xmpp_run_once */
    int write_spins; /* write pumps that did not shrink the queue */
    struct event *ev_rd, *ev_wr, *ev_tick, *ev_kick, *ev_retry;
    struct event *ev_gc; /* groupcast engines' rounds (ob_groupcast.c) */
    struct obi_gc_mark *gc_marks; /* rooms left: where their streams stood */
    size_t n_gc_marks;

    enum ob_state state;
    bool started, closing, had_session;
    bool in_session; /* bound, between XMPP_CONN_CONNECT and its end */
    int backoff_ms;
    char *session_jid; /* bound JID of the current (or last) session */
    unsigned long idseq;

    struct obi_room *rooms;               /* ob_room.c's */
    struct obi_pending *pending;          /* ob_room.c's */
    const struct obi_room_engine *engine; /* ob_room_internal.h */

    /* The registries (ob_core.c): stanza handlers, asked in the order
     * they were added, and one event handler per kind. */
    struct obi_handler handlers[OBI_MAX_HANDLERS];
    size_t nhandlers;
    obi_event_fn on_event[OBI_KIND_COUNT];
    obi_event_fn next_event[OBI_KIND_COUNT]; /* obi_event_chain */
    /* Frees c at once (ob_client.c's): for a callback run from the event
     * loop outside the dispatcher (a timer) after which c->dying says the
     * application freed c inside it. */
    void (*destroy)(ob_client *c);
    struct ob_timer *timers; /* ob_timer.c: the application's and ours */
    struct obi_rpcs *rpc;    /* ob_rpc.c: made by the first RPC use */
    struct obi_poll *poll;   /* ob_wait.c: made by ob_poll_fd */
    struct obi_ev *q_head, *q_tail;
    bool in_dispatch, dying;
    /* Events that could not be queued for want of memory (obi_lost): the
     * dispatcher reports them as one OB_ENOMEM error, and applies the
     * last state change that was dropped. */
    unsigned lost;
    bool lost_state_set;
    enum ob_state lost_state;

    /* Connection errors, TLS trust and flow control (ob_client.c). */
    char *tls_ca_file;
    char tls_pin[65];    /* SHA-256 pin, uppercase hex; "" when none */
    bool pin_checked;    /* of this connection's certificate */
    int fail_code;       /* why this attempt failed (OB_EAUTH, OB_ETLS), or
                            0: found in libstrophe's log and handlers */
    char fail_text[512]; /* its words */
    int sock_error;      /* errno of a failed TCP connect (libstrophe's log) */
    int flow_high, flow_low; /* send_high_water, send_low_water */
    bool flow_blocked;       /* an OB_EAGAIN was returned: drain awaited */
    void (*drained)(ob_client *c, void *user);
    struct event *ev_drained;
    /* XEP-0198 acknowledgements (ob_client.c, sm_ack): libstrophe keeps
     * each stanza written until the server acknowledges it.  sm_sent
     * counts obi_send's stanzas this session, sm_h the server's last
     * <a h/>, sm_base what h counts that is not ours (presences, IQs). */
    uint64_t sm_sent, sm_h, sm_base;
    bool sm_on; /* the server enabled (or resumed) XEP-0198 */
};

/* ---- the queue and the dispatcher ---------------------------------- */

/* Queues ev (taking ownership of the allocation) for the dispatcher. */
void obi_enqueue(ob_client *c, struct obi_ev *ev);
/* An event (what: "a presence", ...) could not be queued for want of
 * memory: logged, and reported to the application by the dispatcher as
 * an OB_ENOMEM error (op OB_OP_CONNECT) without allocating. */
void obi_lost(ob_client *c, const char *what);
/* Makes the event loop run libstrophe and the dispatcher soon. */
void obi_kick(ob_client *c);
void obi_logf(ob_client *c, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *obi_next_id(ob_client *c, char *buf, size_t len);
/* The monotonic clock in ms (for the sans-I/O cores' `now`). */
uint64_t obi_now_ms(void);

/* Parses st (a presence or message, lent) and queues what it means. */
void obi_take(ob_client *c, xmpp_stanza_t *st);
/* Queues an event of kind holding a copy of st (ev->st), for the handler
 * of kind to answer it outside libstrophe (what: for obi_lost). */
void obi_enqueue_stanza(ob_client *c, xmpp_stanza_t *st, enum obi_kind kind,
                        const char *what);
/* Runs the queued events, then reports what obi_lost counted.  false when
 * a callback freed c (c->dying): the caller must destroy it now. */
bool obi_dispatch(ob_client *c);
/* Frees the events still queued. */
void obi_queue_free(ob_client *c);
/* Calls the application's error callback (ev, when set, gives the
 * condition, room and peer). */
void obi_emit_error(ob_client *c, int code, enum ob_op op,
                    const struct obi_ev *ev, const char *text);

/* ---- the send path ------------------------------------------------------ */

/* Sends a stanza on c's connection now (queued in libstrophe, then
 * flushed from the event loop).  OB_ESTATE when not connected. */
int obi_send(ob_client *c, xmpp_stanza_t *st);
/* A session is up: stanzas may go (libstrophe's "connected" is true from
 * the TCP connection on, through TLS and SASL, where a stanza breaks the
 * negotiation). */
bool obi_in_session(const ob_client *c);
/* Our JID as the server bound it, while a session is up; else NULL
 * (ob_client_jid). */
const char *obi_bound_jid(const ob_client *c);
xmpp_ctx_t *obi_ctx(ob_client *c);

/* Small stanza builders; NULL when out of memory. */
xmpp_stanza_t *obi_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                      const char *ns);
int obi_text_el(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                const char *text);

#endif
