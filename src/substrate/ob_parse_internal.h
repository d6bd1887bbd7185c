/* ob_parse_internal.h -- the bottom of liborbweb (prefix obi_): our
 * namespaces, the event record (struct obi_ev: what one stanza means to
 * us, owning copies of its strings) and the pure stanza parser that makes
 * it (ob_parse.c).  No client, no I/O: tests/unit/test_ob_parse.c and
 * tests/fuzz/fuzz_ob_parse.c use it alone. */
#ifndef SRC_SUBSTRATE_OB_PARSE_INTERNAL_H
#define SRC_SUBSTRATE_OB_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "orbweb.h"
#include "ut_ns.h"

/* The namespaces are src/util's (ut_ns.h); the short names stay for the
 * substrate's many uses. */
#define OBI_NS UT_NS_XMUC
#define OBI_NS_MUC UT_NS_MUC
#define OBI_NS_MUC_USER UT_NS_MUC_USER
#define OBI_NS_MUC_OWNER UT_NS_MUC_OWNER
#define OBI_NS_DISCO_ITEMS UT_NS_DISCO_ITEMS
#define OBI_NS_STANZAS UT_NS_STANZAS
#define OBI_NS_DATA UT_NS_DATA
#define OBI_NS_E2E UT_NS_E2E
#define OBI_MAX_DATA (16u << 20) /* largest ob_unicast_data */

/* What one stanza means to us (the parser's output). */
enum obi_kind {
    OBI_NONE = 0,   /* nothing for us */
    OBI_VIEW_SET,   /* a neighbour's presence (added or updated) */
    OBI_VIEW_GONE,  /* a neighbour left our view (flag: left the room) */
    OBI_SELF_IN,    /* our own presence in a room (flag: created) */
    OBI_SELF_OUT,   /* our own unavailable presence (status below) */
    OBI_JOIN_ERROR, /* an error presence from a room */
    OBI_UNICAST,
    OBI_GROUPCAST,
    OBI_MSG_ERROR, /* a message bounced */
    /* made by the client, not the parser */
    OBI_STATE,
    OBI_ROOM,
    OBI_LIST,
    OBI_CONN_ERROR,
    OBI_CONFIG_DONE, /* owner form answered (cond set when refused) */
    OBI_JINGLE,      /* a Jingle IQ for the direct transport (st) */
    OBI_GC_RECORD,   /* a <gc/> record (parser: room, from, body = base64,
                        sub = mode) */
    OBI_GC_GAP,      /* an engine's gap (room, seq = first, text) */
    OBI_PROBE,       /* a segment probe IQ from a room (st) */
    OBI_SELF_PING,   /* our XEP-0410 self-ping answered (cond set when
                        an error) */
    OBI_ADMIN_DONE,  /* an owner or admin request answered (ob_room_admin.c;
                        cond set when refused) */
    OBI_DIRECT,      /* a direct stream up (flag) or down: jid the peer,
                        text the reason (ob_direct.c) */
    OBI_KIND_COUNT,  /* not a kind: the size of tables indexed by kind */
};

/* A room's groupcast mode, from xmucd's <groupcast mode=/> (0: relay). */
enum obi_gc_mode {
    OBI_GC_NONE = 0,
    OBI_GC_TREE,
    OBI_GC_PBCAST,
    OBI_GC_TAPBCAST,
};

/* Why we were removed from a room (OBI_SELF_OUT). */
enum obi_out {
    OBI_OUT_LEFT = 0,  /* we left, or no reason given */
    OBI_OUT_RESTART,   /* status 332: service restarting, rejoin */
    OBI_OUT_KICKED,    /* 307 */
    OBI_OUT_BANNED,    /* 301 */
    OBI_OUT_DESTROYED, /* <destroy/> */
    OBI_OUT_OTHER,     /* 321, 322, ... */
};

struct obi_ev {
    struct obi_ev *next;
    enum obi_kind kind;
    int sub;   /* OBI_STATE: ob_state; OBI_ROOM: ob_room_change;
                  OBI_SELF_OUT: obi_out; errors: ob_op;
                  OBI_GROUPCAST, OBI_GC_RECORD: obi_gc_mode */
    int code;  /* errors: ob_result */
    bool flag; /* VIEW_GONE: left the room; SELF_IN / ROOM: created */
    bool has_seq;
    uint64_t seq;
    uint64_t epoch; /* SELF_IN, GC_RECORD: the room's groupcast epoch, 0
                       when none was given */
    enum ob_condition cond;
    char *room, *nick, *jid, *attrs, *body, *from;
    char *show, *status; /* OBI_VIEW_SET: the presence's, or NULL */
    char *condition, *etype, *text;
    /* authenticated groupcast (base64, as received): auth is the room's
     * signature (OBI_GROUPCAST), the sender's membership token
     * (OBI_GC_RECORD) or ours (OBI_SELF_IN, a renewal); key the room's
     * public key (OBI_SELF_IN, a renewal) */
    char *auth, *key;
    unsigned char *data; /* OBI_UNICAST of binary data */
    size_t data_len;
    /* OBI_LIST */
    struct ob_room_info *items;
    size_t nitems;
    ob_list_fn list_fn;
    void *list_arg;     /* also OBI_ADMIN_DONE's arg */
    ob_done_fn done_fn; /* OBI_ADMIN_DONE */
    xmpp_stanza_t *st;  /* OBI_JINGLE, OBI_PROBE: a copy */
};

/* Allocates a zeroed event of kind; NULL when out of memory. */
struct obi_ev *obi_ev_new(enum obi_kind kind);

/* Parses one presence or message into *ev (zeroed first).  Returns 0
 * (ev->kind may be OBI_NONE: not ours), or OB_ENOMEM with ev emptied.
 * Pure: no client, no I/O; tested in tests/unit/test_ob_parse.c. */
int obi_parse(xmpp_stanza_t *st, struct obi_ev *ev);

/* Fills the error fields of ev from st's <error/> child: cond,
 * condition, etype, text.  OB_ENOMEM or 0. */
int obi_parse_error(xmpp_stanza_t *st, struct obi_ev *ev);

/* Frees what ev owns (not ev itself) and zeroes it. */
void obi_ev_clear(struct obi_ev *ev);

/* Splits "room@domain/nick" into its bare part and resource; both
 * malloc'd (*nick NULL when there is none).  OB_ENOMEM, OB_EINVAL or 0. */
int obi_split_jid(const char *full, char **bare, char **nick);

/* ob_parse.c: a mode's name to enum obi_gc_mode (0 when unknown), and
 * back ("relay" for 0 and unknown values). */
int obi_gc_mode(const char *name);
const char *obi_gc_mode_name(int mode);

#endif
