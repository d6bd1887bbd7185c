/* xm_roomcfg.h -- a room's configuration: defaults, the XEP-0045 owner
 * form (muc#roomconfig) extended with our fields, and the text form in
 * which persistent rooms are saved. */
#ifndef SRC_XMUC_XM_ROOMCFG_H
#define SRC_XMUC_XM_ROOMCFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <strophe.h>
#include "ut_ns.h"

struct xm_roomcfg {
    char *title;        /* muc#roomconfig_roomname */
    char *description;  /* muc#roomconfig_roomdesc */
    char *password;     /* NULL: not password protected */
    char manager[24];   /* view manager: complete, rbt, ring, ... */
    uint32_t view_size; /* default view size of joins (rbt), 0: default */
    uint32_t degree;    /* default out-degree (random), 0: log2 |G| */
    char groupcast[16]; /* groupcast engine: relay, tree, pbcast, tapbcast
                         * (tapbcast needs the tapbcast view manager) */
    uint32_t injection_points; /* tree, pbcast: occupants a groupcast is
                                * sent to, 0: 2 */
    uint32_t max_occupants;
    bool persistent, public_room, members_only, semi_anonymous,
        occupants_change_subject;
};

/* Defaults: complete view, relay, public, open, non-anonymous (grid rooms
 * show real JIDs to neighbours), temporary, max_occupants as given. */
void xm_roomcfg_init(struct xm_roomcfg *c, uint32_t max_occupants);
void xm_roomcfg_clear(struct xm_roomcfg *c);
/* Deep copy; 0 or -1 (out of memory, dst left cleared). */
int xm_roomcfg_copy(struct xm_roomcfg *dst, const struct xm_roomcfg *src);

/* The managers rooms may use are src/views' registry: vm_manager_name,
 * vm_manager_known. */

/* Builds the owner form (a <x xmlns='jabber:x:data' type='form'>) for c,
 * with max_cap the service's occupant limit; the caller releases it. */
xmpp_stanza_t *xm_roomcfg_form(const struct xm_roomcfg *c, xmpp_ctx_t *ctx,
                               uint32_t max_cap);

/* Applies a submitted form (<x type='submit'>) onto c.  Unknown fields are
 * ignored (XEP-0004); a known field with a bad value fails.  Returns 0, or
 * -1 with a sentence in err (c is then unchanged). */
int xm_roomcfg_apply(struct xm_roomcfg *c, xmpp_stanza_t *form,
                     uint32_t max_cap, char *err, size_t errlen);

/* Writes c as "name value" lines (values percent-encoded). */
int xm_roomcfg_save(const struct xm_roomcfg *c, FILE *f);
/* Applies one "name value" line read back; 0, or -1 if unknown/bad. */
int xm_roomcfg_load_line(struct xm_roomcfg *c, const char *name,
                         const char *value);

/* Percent-encoding of spaces, newlines, '%' and control bytes, so any
 * string fits in one line field; decoding is its inverse.  Both return a
 * new string (NULL when out of memory or, decoding, malformed). */
char *xm_pct_encode(const char *s);
char *xm_pct_decode(const char *s);

#endif
