/* ob_recover.c -- noticing that a room lost us (internals obi_recover_):
 * the pure decisions behind ob_room.c's self-pings and rejoins.
 *
 * xmucd can lose its occupants without telling them (killed, restarted
 * without its data folder).  A peer then learns it only from the answers
 * to what it sends the room: XEP-0410 self-pings to its own occupant JID,
 * groupcasts and other messages.  These functions say which answers mean
 * "out of the room", and when to ping and rejoin; ob_room.c owns the
 * timers and takes time and randomness from the caller
 * (docs/protocol.md, "When the server or xmucd restarts"). */
#include "config.h"

#include "ob_recover_internal.h"

bool obi_recover_out(enum ob_condition cond, bool other_nick)
{
    /* not-acceptable: xmucd's "join the room first" (and XEP-0410's "not
     * joined"); item-not-found from the room or our own nick (a
     * self-ping): the room is gone.  From another occupant's JID,
     * item-not-found only means that nick is unknown. */
    return cond == OB_COND_NOT_ACCEPTABLE ||
           (cond == OB_COND_ITEM_NOT_FOUND && !other_nick);
}

uint64_t obi_recover_ping_ms(int period_ms, uint32_t rnd)
{
    uint64_t p = period_ms > 0 ? (uint64_t)period_ms : 1;
    uint64_t spread = p * 2 / 5; /* +-20 % */

    return p - p / 5 + (spread ? rnd % (spread + 1) : 0);
}

int obi_recover_rejoin_ms(int losses, bool configured, uint32_t rnd)
{
    int shift = losses < 0 ? 0 : losses > 5 ? 5 : losses;
    int d = 100 << shift;

    /* the member that configured the room goes first: if the room is
     * gone, its rejoin makes it again with that configuration */
    return (d > OBI_RECOVER_MAX_MS ? OBI_RECOVER_MAX_MS : d) +
           (configured ? 0 : OBI_RECOVER_DEFER_MS) + (int)(rnd % 100u);
}
