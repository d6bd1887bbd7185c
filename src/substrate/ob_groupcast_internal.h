/* ob_groupcast_internal.h -- groupcast engines through the library
 * (ob_groupcast.c; docs/groupcast.md, "Through liborbweb"): the engine of
 * each room that needs one, fed by the room through the hooks it sets
 * (struct obi_room_engine), and the segment probes rooms send us. */
#ifndef SRC_SUBSTRATE_OB_GROUPCAST_INTERNAL_H
#define SRC_SUBSTRATE_OB_GROUPCAST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ob_core_internal.h"
#include "ob_direct_internal.h"
#include "ob_relay_internal.h"
#include "ob_room_internal.h"

/* Sets the rooms' engine hooks, and registers the handler of segment
 * probes (docs/segments.md): an <iq type=get><probe/> from one of our
 * rooms is queued (OBI_PROBE, others get the usual service-unavailable)
 * and answered (ok='true|false') through obi_direct_probe; ok='false' at
 * once without direct streams.  Call it after the direct transport is
 * made (its stanza handlers come first).  0 or OB_EINVAL (the handler
 * table is full). */
int obi_gc_attach(ob_client *c);
/* Frees what the engines keep per client (marks, the round timer). */
void obi_gc_client_free(ob_client *c);
/* View attributes ("tree,gossip") to GC_ATTR_* bits; unknown names are
 * ignored. */
uint32_t obi_gc_attrs(const char *list);
/* The payload: nick NUL body (the body's NUL does not travel).  encode:
 * *out malloc'd, OB_EINVAL over GC_PAYLOAD_MAX or a nick empty or over
 * 1023 bytes; decode: both malloc'd, OB_EINVAL when malformed (no NUL,
 * empty nick, a NUL in the body). */
int obi_gc_payload_encode(const char *nick, const char *body, uint8_t **out,
                          size_t *len);
int obi_gc_payload_decode(const uint8_t *p, size_t len, char **nick,
                          char **body);

#endif
