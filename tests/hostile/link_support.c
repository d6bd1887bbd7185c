/* link_support.c -- the component-link attack tests' shared steps (see
 * link_support.h). */
#include "config.h"

#include "link_support.h"
#include "ut_ns.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void lk_start(struct lk_world *w, enum hs_kind kind, char *const *extra_args)
{
    char err[2048];
    struct hs_options opt = {.accounts = 1};

    memset(w, 0, sizeof *w);
    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &w->s),
                 HS_SERVER_OK, "%s", err);
    w->x = hs_xmucd_start(w->s, extra_args, err, sizeof err);
    cr_assert(w->x, "%s", err);
}

void lk_stop(struct lk_world *w)
{
    cr_expect_eq(hs_xmucd_stop(w->x), 0, "xmucd did not exit cleanly");
    hs_server_stop(w->s);
}

const char *lk_condition(xmpp_stanza_t *st)
{
    xmpp_stanza_t *e = st ? xmpp_stanza_get_child_by_name(st, "error") : NULL;
    xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL;

    while (c &&
           (!xmpp_stanza_is_tag(c) || !strcmp(xmpp_stanza_get_name(c), "text")))
        c = xmpp_stanza_get_next(c);
    return c ? xmpp_stanza_get_name(c) : "(no error)";
}

bool lk_has_status(xmpp_stanza_t *st, int code)
{
    xmpp_stanza_t *x =
        xmpp_stanza_get_child_by_name_and_ns(st, "x", UT_NS_MUC_USER);
    char want[16];

    snprintf(want, sizeof want, "%d", code);
    for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *v =
            xmpp_stanza_is_tag(c) && !strcmp(xmpp_stanza_get_name(c), "status")
                ? xmpp_stanza_get_attribute(c, "code")
                : NULL;
        if (v && !strcmp(v, want))
            return true;
    }
    return false;
}

xmpp_stanza_t *lk_join(hs_client *c, const char *room, const char *nick,
                       const char *extra)
{
    char to[512];
    xmpp_stanza_t *r;

    snprintf(to, sizeof to, "%s/%s", room, nick);
    it_send_xml(c,
                "<presence to='%s'><x xmlns='http://jabber.org/protocol/muc'/>"
                "%s</presence>",
                to, extra ? extra : "");
    while ((r = hs_client_wait(c, "presence", LK_T))) {
        const char *from = xmpp_stanza_get_from(r);
        if (from && !strcasecmp(from, to) &&
            (lk_has_status(r, 110) || xmpp_stanza_get_type(r)))
            return r;
        xmpp_stanza_release(r);
    }
    cr_assert_fail("no answer to the join of %s", to);
    return NULL;
}

void lk_groupchat_flows(hs_client *a, hs_client *b, const char *room,
                        const char *body)
{
    xmpp_stanza_t *m;

    it_send_xml(a,
                "<message to='%s' type='groupchat'><body>%s</body></message>",
                room, body);
    while ((m = hs_client_wait(b, "message", LK_T))) {
        xmpp_stanza_t *bd = xmpp_stanza_get_child_by_name(m, "body");
        char *t = bd ? xmpp_stanza_get_text(bd) : NULL;
        bool found = t && !strcmp(t, body);
        if (t)
            xmpp_free(hs_client_ctx(b), t);
        xmpp_stanza_release(m);
        if (found)
            return;
    }
    cr_assert_fail("groupchat '%s' in %s did not arrive", body, room);
}

char *lk_room(struct lk_world *w, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s@%s", name, hs_server_component(w->s));
    return buf;
}

void lk_wait_for_xmucd(struct lk_world *w, hs_client *probe)
{
    for (int i = 0; i < 30; i++) {
        xmpp_stanza_t *iq =
            hs_iq_query(hs_client_ctx(probe), "get", hs_server_component(w->s),
                        "query", "http://jabber.org/protocol/disco#info");
        xmpp_stanza_t *r = hs_client_iq(probe, iq, 1000);
        bool up = r && !strcmp(xmpp_stanza_get_type(r), "result");

        xmpp_stanza_release(iq);
        if (r)
            xmpp_stanza_release(r);
        if (up)
            return;
        usleep(100 * 1000);
    }
    cr_assert_fail("xmucd does not answer (its link did not come back)");
}
