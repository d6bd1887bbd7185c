/* ob_peer.c -- direct streams as the application asks for them:
 * ob_direct_open pins a peer in the session policy and opens a session
 * now through the probe path (obi_direct_probe) instead of waiting for
 * traffic to rank it; ob_direct_release unpins it.  The events that say
 * a stream came up or went down are ob_direct.c's. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ob_core_internal.h"
#include "ob_direct_internal.h"
#include "ob_view_internal.h"

/* The probe's answer: a failure is the application's "failed" event (a
 * success was already told by the stream coming up). */
struct opening {
    ob_client *c;
    char peer[];
};

static void opened(void *arg, bool ok)
{
    struct opening *o = arg;

    if (!ok)
        obi_direct_event(o->c, o->peer, false, "failed");
    free(o);
}

int ob_direct_open(ob_client *c, const char *jid, int timeout_ms)
{
    struct opening *o;
    size_t n;

    if (!c || !jid || !strchr(jid, '/') || timeout_ms < 0)
        return OB_EINVAL;
    if (!c->direct || !obi_bound_jid(c))
        return OB_ESTATE;
    jid = obi_view_resolve(c, jid); /* room/nick: the member behind it */
    obi_direct_pin(c->direct, jid, true);
    if (obi_direct_up(c->direct, jid))
        return OB_EEXIST;
    n = strlen(jid) + 1;
    if ((o = malloc(sizeof *o + n))) {
        o->c = c;
        memcpy(o->peer, jid, n);
        if (obi_direct_probe(c->direct, jid,
                             (uint64_t)(timeout_ms ? timeout_ms : 10000),
                             opened, o) == OB_OK)
            return OB_OK;
    }
    obi_direct_pin(c->direct, jid, false);
    return OB_ENOMEM;
}

int ob_direct_release(ob_client *c, const char *jid)
{
    if (!c || !jid || !strchr(jid, '/'))
        return OB_EINVAL;
    if (!c->direct)
        return OB_ESTATE;
    jid = obi_view_resolve(c, jid);
    obi_direct_pin(c->direct, jid, false);
    return OB_OK;
}
