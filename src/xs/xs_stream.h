/* xs_stream.h -- XML streams we own, over a libevent bufferevent.
 *
 * libstrophe only dials out, and its 0.12.2 component mode crashes on the
 * first stanza it receives (it dereferences a stream-management state
 * that only client connections allocate).  Where we need a stream that
 * libstrophe cannot give us -- xmucd's XEP-0114 link, incoming direct
 * streams -- this layer reads bytes into xs_parser and writes stanzas
 * serialized by libstrophe, so all code still shares xmpp_stanza_t. */
#ifndef SRC_XS_XS_STREAM_H
#define SRC_XS_XS_STREAM_H

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "xs_parser.h"

typedef struct xs_stream xs_stream;

struct xs_stream_callbacks {
    void (*on_open)(void *ud, const char **attrs);
    void (*on_stanza)(void *ud, xmpp_stanza_t *stanza, size_t bytes);
    /* The stream ended: reason is NULL after a clean </stream:stream>,
     * otherwise a sentence.  The owner may free the stream here. */
    void (*on_closed)(void *ud, const char *reason);
    /* Optional: a stanza that broke a per-stanza limit was skipped (see
     * xs_parser.h's on_reject); the stream carries on.  NULL: such a
     * stanza fails the stream with policy-violation. */
    void (*on_reject)(void *ud, xmpp_stanza_t *top, int code, const char *why,
                      size_t bytes);
};

/* Wraps bev (taking ownership; it is freed with the stream).  Returns
 * XS_OK and sets *out, or XS_ENOMEM with *out NULL, in which case bev is
 * freed too. */
int xs_stream_new(xmpp_ctx_t *ctx, struct bufferevent *bev,
                  const struct xs_limits *limits,
                  const struct xs_stream_callbacks *cb, void *ud,
                  xs_stream **out);
void xs_stream_free(xs_stream *s);

/* Queues raw text (a stream header, say).  0 or -1. */
int xs_stream_send_raw(xs_stream *s, const char *data, size_t len);

/* Queues a stanza, serialized.  Returns its size in bytes, or -1 (out of
 * memory or closed). */
long xs_stream_send(xs_stream *s, xmpp_stanza_t *stanza);

/* Appends st serialized as XML to out, all or nothing: its length in
 * bytes, or -1 (out of memory, or a nameless element). */
struct evbuffer;
long xs_write_stanza(struct evbuffer *out, xmpp_stanza_t *st);

/* Sends a stream error with the given RFC 6120 condition and closes the
 * stream; on_closed follows once the bytes are written. */
void xs_stream_fail(xs_stream *s, const char *condition, const char *text);

/* Bytes queued for writing. */
size_t xs_stream_queued(const xs_stream *s);

/* The default namespace of the peer's stream header ("" before it). */
const char *xs_stream_root_ns(const xs_stream *s);

/* Backpressure: stops reading (and handing on stanzas, even ones already
 * read) until the output queue drains to low bytes, then resumes by
 * itself.  A no-op while held. */
void xs_stream_hold(xs_stream *s, size_t low);
bool xs_stream_held(const xs_stream *s);

/* Writes what is queued, without the event loop, waiting for the socket
 * for at most ms milliseconds in all: 0 when everything went out, -1
 * when some was left (a bounded last word before a process exits). */
int xs_stream_flush_for(xs_stream *s, int ms);

/* Writes what is queued now, without the event loop (as much as the
 * socket takes); for the last words before a process exits. */
void xs_stream_flush_now(xs_stream *s);

#endif
