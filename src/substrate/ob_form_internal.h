/* ob_form_internal.h -- the owner form (ob_form.c). */
#ifndef SRC_SUBSTRATE_OB_FORM_INTERNAL_H
#define SRC_SUBSTRATE_OB_FORM_INTERNAL_H

#include <strophe.h>

#include "orbweb.h"

/* Makes x (a jabber:x:data element) the submitted owner form for g: its
 * set fields, and members_only, persistent and hidden always.  0 or
 * OB_ENOMEM. */
int obi_form_fill(xmpp_ctx_t *ctx, xmpp_stanza_t *x,
                  const struct ob_room_config *g);

#endif
