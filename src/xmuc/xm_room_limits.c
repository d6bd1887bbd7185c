/* xm_room_limits.c -- what an occupant's stanzas may cost a room's
 * output: bytes times recipients, against the service's output queue
 * and the occupant's byte bucket (docs/security.md, "Limits and their
 * defaults").  The per-stanza rate limit stays in xm_room.c. */
#include "config.h"

#include "xm_room_internal.h"

bool xm_room_has_occupant(const xm_room *r, const char *jid)
{
    return jid && xm_room_occupant_by_jid(r, jid) != NULL;
}

bool xm_room_charge(xm_room *r, struct xm_occupant *o, xmpp_stanza_t *st,
                    size_t recipients)
{
    const struct xm_room_env *env = r->env;
    double cost = (double)r->in_bytes * (double)recipients;

    if (env->may_queue && !env->may_queue(env->ctx, (size_t)cost)) {
        xm_room_error(r, st, "wait", "resource-constraint",
                      "the service's output queue is full; try again later");
        return false;
    }
    if (o && !xm_bucket_take(&o->out, cost, env->out_bytes_per_s,
                             env->out_bytes_burst, env->now_ms(env->ctx))) {
        xm_room_error(r, st, "wait", "resource-constraint",
                      "too much output: stanza bytes times recipients are "
                      "over your rate; slow down");
        return false;
    }
    return true;
}
