/* ob_rpc_internal.h -- request/response between peers (internal side, prefix
 * obi_rpc_): the sans-I/O protocol core (ob_rpc_core.c) and the client's
 * hooks (ob_rpc.c).
 *
 * The core knows no client internals, no clock and no socket: time comes
 * in as `now` (ms), frames go out through the send function it was made
 * with, and results go to the application's functions, called with the
 * owner given at creation.  tests/unit/test_ob_rpc.c drives it alone.
 *
 * Frame (docs/api.md, "Request/response between peers"; big-endian):
 *   magic "\0ORP" (4), version 1 (1), kind (1), id (8), then
 *   REQUEST: method length (1, 1..64), method, payload
 *   REPLY:   payload
 *   ERROR:   reason (1), code (4, signed), text length (1), text */
#ifndef SRC_SUBSTRATE_OB_RPC_INTERNAL_H
#define SRC_SUBSTRATE_OB_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orbweb.h"

#define OBI_RPC_HDR 14
#define OBI_RPC_MAX_FRAME (16u << 20) /* as ob_unicast_data */
enum obi_rpc_kind { OBI_RPC_REQUEST = 1, OBI_RPC_REPLY = 2, OBI_RPC_ERROR = 3 };
enum obi_rpc_reason {
    OBI_RPC_R_REMOTE = 1, /* ob_rpc_fail */
    OBI_RPC_R_NOMETHOD = 2,
    OBI_RPC_R_BUSY = 3,
    OBI_RPC_R_TOOBIG = 4, /* the reply could not travel */
};

/* Sends frame (len bytes, lent) to peer: 0 or a negative ob_result. */
typedef int (*obi_rpc_send_fn)(void *ctx, const char *peer, const void *frame,
                               size_t len);

struct obi_rpc;

/* A core for owner (handed to the application's functions as is).
 * 0 and *out, or OB_ENOMEM. */
int obi_rpc_new(ob_client *owner, obi_rpc_send_fn send, void *ctx,
                struct obi_rpc **out);
/* Frees r: its calls (no callback runs), methods and request handles. */
void obi_rpc_free(struct obi_rpc *r);

int obi_rpc_register(struct obi_rpc *r, const char *method, ob_rpc_method_fn fn,
                     void *arg);
int obi_rpc_unregister(struct obi_rpc *r, const char *method);
/* As ob_rpc_call, with now; max_calls bounds the calls in flight. */
int obi_rpc_call(struct obi_rpc *r, uint64_t now, const char *peer,
                 const char *method, const void *data, size_t len,
                 int timeout_ms, ob_rpc_done_fn done, void *arg, uint64_t *id);
int obi_rpc_cancel(struct obi_rpc *r, uint64_t id);

/* Words for the codes a call can end with (ob_strerror asks for the
 * ones it does not name itself); "unknown error" for others. */
const char *obi_rpc_strerror(int code);

/* Is (data, len) an RPC frame?  Then obi_rpc_recv takes it. */
bool obi_rpc_is_frame(const void *data, size_t len);
/* A frame from `from`: a request runs its method's handler (or is refused
 * at once: no such method, too many pending), a reply or error completes
 * its call (dropped, and counted, when it answers no call of ours from
 * that peer).  Malformed frames are dropped and counted. */
void obi_rpc_recv(struct obi_rpc *r, uint64_t now, const char *from,
                  const void *data, size_t len);
/* A unicast to peer bounced: fails the first of its calls with OB_EGONE
 * (text: why); true when there was one (call again, as below). */
bool obi_rpc_peer_gone_one(struct obi_rpc *r, const char *peer,
                           const char *why);
/* Completes the first call whose deadline is <= now with OB_ETIMEDOUT:
 * true when there was one (call again: its callback may have done
 * anything but free r). */
bool obi_rpc_expire_one(struct obi_rpc *r, uint64_t now);
/* The earliest deadline of the calls in flight; UINT64_MAX when none. */
uint64_t obi_rpc_next_deadline(const struct obi_rpc *r);
/* Calls in flight; requests handed to handlers and not answered yet. */
size_t obi_rpc_calls(const struct obi_rpc *r);
size_t obi_rpc_pending(const struct obi_rpc *r);
/* Hostile or late frames dropped; requests refused. */
uint64_t obi_rpc_dropped(const struct obi_rpc *r);
uint64_t obi_rpc_refused(const struct obi_rpc *r);

/* ob_rpc.c, the client's hooks: ev is a binary unicast that is an RPC
 * frame (taken: true), or a bounce or a neighbour leaving a room (its
 * calls fail with OB_EGONE; false: the event goes on as before);
 * everything else is not ours (false). */
struct obi_ev;
bool obi_rpc_take(ob_client *c, struct obi_ev *ev);
/* Puts obi_rpc_take in front of the rooms' handlers of OBI_UNICAST,
 * OBI_MSG_ERROR and OBI_VIEW_GONE (after obi_room_attach). */
void obi_rpc_attach(ob_client *c);
void obi_rpc_client_free(ob_client *c);

#endif
