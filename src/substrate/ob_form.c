/* ob_form.c -- the XEP-0045 owner form (muc#roomconfig with xmucd's
 * view-manager fields) built from an ob_room_config: for ob_room_create
 * (ob_room.c) and ob_room_configure (ob_room_admin.c). */
#include "config.h"

#include <stdio.h>

#include "ob_core_internal.h"
#include "ob_form_internal.h"
#include "ob_parse_internal.h"

static int add_field(xmpp_ctx_t *ctx, xmpp_stanza_t *x, const char *var,
                     const char *value)
{
    xmpp_stanza_t *f = obi_el(ctx, x, "field", NULL);

    if (!f || xmpp_stanza_set_attribute(f, "var", var))
        return OB_ENOMEM;
    return obi_text_el(ctx, f, "value", value);
}

static int add_uint_field(xmpp_ctx_t *ctx, xmpp_stanza_t *x, const char *var,
                          int v)
{
    char buf[16];

    snprintf(buf, sizeof buf, "%d", v);
    return add_field(ctx, x, var, buf);
}

int obi_form_fill(xmpp_ctx_t *ctx, xmpp_stanza_t *x,
                  const struct ob_room_config *g)
{
    if (xmpp_stanza_set_type(x, "submit") ||
        add_field(ctx, x, "FORM_TYPE",
                  "http://jabber.org/protocol/muc#roomconfig") ||
        (g->manager && add_field(ctx, x, OBI_NS "#view_manager", g->manager)) ||
        (g->view_size &&
         add_uint_field(ctx, x, OBI_NS "#view_size", g->view_size)) ||
        (g->degree && add_uint_field(ctx, x, OBI_NS "#degree", g->degree)) ||
        (g->name && add_field(ctx, x, "muc#roomconfig_roomname", g->name)) ||
        (g->password &&
         add_field(ctx, x, "muc#roomconfig_roomsecret", g->password)) ||
        add_field(ctx, x, "muc#roomconfig_membersonly",
                  g->members_only ? "1" : "0") ||
        add_field(ctx, x, "muc#roomconfig_persistentroom",
                  g->persistent ? "1" : "0") ||
        add_field(ctx, x, "muc#roomconfig_publicroom", g->hidden ? "0" : "1") ||
        (g->max_users &&
         add_uint_field(ctx, x, "muc#roomconfig_maxusers", g->max_users)) ||
        (g->groupcast &&
         add_field(ctx, x, OBI_NS "#groupcast", g->groupcast)) ||
        (g->injection_points &&
         add_uint_field(ctx, x, OBI_NS "#injection_points",
                        g->injection_points)))
        return OB_ENOMEM;
    return OB_OK;
}
