/* ob_view_internal.h -- the room-view accessors' internal side (ob_view.c). */
#ifndef SRC_SUBSTRATE_OB_VIEW_INTERNAL_H
#define SRC_SUBSTRATE_OB_VIEW_INTERNAL_H

#include "orbweb.h"

/* jid itself, or, when it is room/nick in one of c's rooms, the real JID
 * behind it: the neighbour's (when the room shows it), or our session's
 * for our own nick.  Lent until the view changes. */
const char *obi_view_resolve(ob_client *c, const char *jid);

#endif
