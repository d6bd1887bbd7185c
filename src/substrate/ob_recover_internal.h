/* ob_recover_internal.h -- noticing that a room lost us (ob_recover.c):
 * pure decisions and delays, no client (tests/unit/test_ob_recover.c). */
#ifndef SRC_SUBSTRATE_OB_RECOVER_INTERNAL_H
#define SRC_SUBSTRATE_OB_RECOVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "orbweb.h"

/* Noticing that a room lost us (pure).  obi_recover_out:
 * whether an error with cond from one of our rooms means we are out of it
 * (other_nick: it came from another occupant's JID, not the room's or
 * ours).  obi_recover_ping_ms: the delay before the next self-ping, the
 * period +-20 % from rnd.  obi_recover_rejoin_ms: the delay before
 * rejoining after the losses-th loss in a row (100 ms doubling, at most
 * OBI_RECOVER_MAX_MS, plus up to 99 ms from rnd), OBI_RECOVER_DEFER_MS
 * more unless we configured the room (our configuration was accepted). */
#define OBI_RECOVER_MAX_MS 3200
#define OBI_RECOVER_DEFER_MS 1000
#define OBI_SELF_PING_MS 30000 /* default period */
bool obi_recover_out(enum ob_condition cond, bool other_nick);
uint64_t obi_recover_ping_ms(int period_ms, uint32_t rnd);
int obi_recover_rejoin_ms(int losses, bool configured, uint32_t rnd);

#endif
