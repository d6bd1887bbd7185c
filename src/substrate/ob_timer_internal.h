/* ob_timer_internal.h -- timers on the client's event loop (internal side). */
#ifndef SRC_SUBSTRATE_OB_TIMER_INTERNAL_H
#define SRC_SUBSTRATE_OB_TIMER_INTERNAL_H

#include "orbweb.h"

/* Frees every timer of c (ob_client_free). */
void obi_timers_free(ob_client *c);

#endif
