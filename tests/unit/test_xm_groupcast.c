/* test_xm_groupcast.c -- a room's groupcast engines without a server: in
 * tree (and pbcast) mode a groupcast leaves xmucd k times, to the
 * longest-present occupants, marked for forwarding; in tapbcast mode it
 * goes to one representative per segment; the room sends segment probes,
 * takes their answers, and merges segments into the occupants' views.
 * Relay mode is covered by test_xm_room. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xm_capture.h"
#include "xm_room.h"
#include "xm_service.h"
#include "ut_ns.h"

#define DOMAIN "rooms.test"
TestSuite(groupcast, .init = xmt_begin, .fini = xmt_end, .timeout = 120);

#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"
#define GC_FIELD(v) FIELD(UT_NS_XMUC "#groupcast", v)
#define VM_FIELD(v) FIELD(UT_NS_XMUC "#view_manager", v)
#define K_FIELD(v) FIELD(UT_NS_XMUC "#injection_points", v)

/* A room "r" created by occupant 0, configured with `fields`, then
 * occupants 1..n-1 (named p0, p1, ...), one a second. */
static xm_service *room(unsigned n, const char *fields)
{
    struct xm_service_config c = {.domain = DOMAIN,
                                  .max_rooms = 2,
                                  .max_occupants = 100,
                                  .max_stanza_bytes = 4096,
                                  .now_ms = xmt_now,
                                  .seed = 3};
    char err[256];
    xm_service *s;

    cr_assert_eq(xm_service_new(&c, &xmt_out, err, sizeof err, &s), XM_OK, "%s",
                 err);
    cr_assert_not_null(s, "%s", err);
    for (unsigned i = 0; i < n; i++) {
        xmt_feed(s,
                 "<presence from='p%u@test/r' to='r@" DOMAIN "/p%u'>"
                 "<x xmlns='http://jabber.org/protocol/muc'/></presence>",
                 i, i);
        if (i == 0 && fields) {
            xmt_drop();
            xmt_feed(
                s,
                "<iq type='set' id='c' from='p0@test/r' to='r@" DOMAIN "'>"
                "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                "<x xmlns='jabber:x:data' type='submit'>%s</x></query></iq>",
                fields);
            cr_assert_eq(xmt_n, 1);
            cr_assert_str_eq(xmpp_stanza_get_type(xmt_log[0]), "result");
        }
        xmt_clock += 1000;
    }
    xmt_drop();
    return s;
}

static void say(xm_service *s, unsigned who, const char *body)
{
    xmt_feed(s,
             "<message type='groupchat' from='p%u@test/r' to='r@" DOMAIN "'>"
             "<body>%s</body></message>",
             who, body);
}

static bool is_grant(xmpp_stanza_t *st)
{
    return xmpp_stanza_get_child_by_name_and_ns(st, "probe-grant",
                                                UT_NS_XMUC) != NULL;
}

/* Stanzas named name sent, probe grants left out (grants()). */
static size_t count(const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i < xmt_n; i++)
        n += !strcmp(xmpp_stanza_get_name(xmt_log[i]), name) &&
             !is_grant(xmt_log[i]);
    return n;
}

/* The <groupcast/> of the first message sent. */
static xmpp_stanza_t *first_groupcast(void)
{
    for (size_t i = 0; i < xmt_n; i++)
        if (!strcmp(xmpp_stanza_get_name(xmt_log[i]), "message") &&
            !is_grant(xmt_log[i]))
            return xmpp_stanza_get_child_by_name_and_ns(xmt_log[i], "groupcast",
                                                        UT_NS_XMUC);
    return NULL;
}

static bool sent_to(const char *jid)
{
    for (size_t i = 0; i < xmt_n; i++)
        if (!strcmp(xmpp_stanza_get_to(xmt_log[i]), jid) &&
            !is_grant(xmt_log[i]))
            return true;
    return false;
}

/* The groupcast attribute of the own presence p<who> got on joining
 * (NULL when there is none; fails when there was no such presence). */
static const char *joined_mode(xm_service *s, unsigned who)
{
    char self[64], to[64];

    snprintf(self, sizeof self, "r@" DOMAIN "/p%u", who);
    snprintf(to, sizeof to, "p%u@test/r", who);
    xmt_drop();
    xmt_feed(s,
             "<presence from='%s' to='%s'><x xmlns='http://jabber.org/"
             "protocol/muc'/></presence>",
             to, self);
    for (size_t i = 0; i < xmt_n; i++) {
        const char *from = xmpp_stanza_get_from(xmt_log[i]);
        if (!strcmp(xmpp_stanza_get_name(xmt_log[i]), "presence") && from &&
            !strcmp(from, self) && !strcmp(xmpp_stanza_get_to(xmt_log[i]), to))
            return xmpp_stanza_get_attribute(
                xmpp_stanza_get_child_by_name_and_ns(xmt_log[i], "view",
                                                     UT_NS_XMUC),
                "groupcast");
    }
    cr_assert_fail("p%u got no presence of its own", who);
    return NULL;
}

/* A joiner learns the room's engine from its own presence, so that its
 * library can ask for direct sessions before the first groupcast;
 * relay rooms say nothing. */
Test(groupcast, the_joiner_learns_the_mode)
{
    xm_service *s = room(3, GC_FIELD("tapbcast") VM_FIELD("tapbcast"));
    const char *mode = joined_mode(s, 3);

    cr_assert(mode && !strcmp(mode, "tapbcast"), "mode %s",
              mode ? mode : "none");
    xm_service_free(s);
    s = room(2, GC_FIELD("relay"));
    cr_assert_null(joined_mode(s, 2));
    xm_service_free(s);
}

Test(groupcast, relay_sends_to_everyone)
{
    xm_service *s = room(6, NULL);

    say(s, 3, "hi");
    cr_assert_eq(count("message"), 6);
    xm_service_free(s);
}

Test(groupcast, tree_sends_to_the_two_oldest)
{
    xm_service *s = room(6, GC_FIELD("tree"));
    xmpp_stanza_t *g;

    say(s, 4, "hi");
    cr_assert_eq(xmt_n, 2);
    cr_assert(sent_to("p0@test/r") && sent_to("p1@test/r"));
    g = xmpp_stanza_get_child_by_name_and_ns(xmt_log[0], "groupcast",
                                             UT_NS_XMUC);
    cr_assert_not_null(g);
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "seq"), "1");
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "origin"), "p4");
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "mode"), "tree");
    cr_assert_str_eq(xmpp_stanza_get_from(xmt_log[0]), "r@" DOMAIN "/p4");
    xmt_drop();
    /* The oldest leaves: the next two longest-present take over. */
    xmt_feed(s, "<presence type='unavailable' from='p0@test/r' to='r@" DOMAIN
                "/p0'/>");
    xmt_drop();
    say(s, 4, "again");
    cr_assert_eq(xmt_n, 2);
    cr_assert(sent_to("p1@test/r") && sent_to("p2@test/r"));
    g = xmpp_stanza_get_child_by_name_and_ns(xmt_log[1], "groupcast",
                                             UT_NS_XMUC);
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "seq"), "2");
    xm_service_free(s);
}

Test(groupcast, pbcast_with_three_injection_points)
{
    xm_service *s = room(8, GC_FIELD("pbcast") K_FIELD("3"));
    xmpp_stanza_t *g;

    say(s, 7, "hi");
    cr_assert_eq(xmt_n, 3);
    cr_assert(sent_to("p0@test/r") && sent_to("p1@test/r") &&
              sent_to("p2@test/r"));
    g = xmpp_stanza_get_child_by_name_and_ns(xmt_log[2], "groupcast",
                                             UT_NS_XMUC);
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "mode"), "pbcast");
    xm_service_free(s);
}

Test(groupcast, tapbcast_needs_its_view_manager)
{
    xm_service *s = room(1, NULL);

    xmt_feed(s, "<iq type='set' id='c' from='p0@test/r' to='r@" DOMAIN "'>"
                "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                "<x xmlns='jabber:x:data' type='submit'>" GC_FIELD(
                    "tapbcast") "</x></query></iq>");
    cr_assert_eq(xmt_n, 1);
    cr_assert_str_eq(xmpp_stanza_get_type(xmt_log[0]), "error");
    xm_service_free(s);
}

/* The probes in xmt_log: their ids, askers and target nicks. */
struct probe {
    char id[32], asker[64], nick[64];
};

static size_t probes(struct probe *p, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < xmt_n && n < cap; i++) {
        xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(
            xmt_log[i], "probe", UT_NS_XMUC);
        if (strcmp(xmpp_stanza_get_name(xmt_log[i]), "iq") || !q)
            continue;
        cr_assert_str_eq(xmpp_stanza_get_type(xmt_log[i]), "get");
        cr_assert_not_null(xmpp_stanza_get_attribute(q, "target"));
        snprintf(p[n].id, sizeof p[n].id, "%s", xmpp_stanza_get_id(xmt_log[i]));
        snprintf(p[n].asker, sizeof p[n].asker, "%s",
                 xmpp_stanza_get_to(xmt_log[i]));
        snprintf(p[n].nick, sizeof p[n].nick, "%s",
                 xmpp_stanza_get_attribute(q, "nick"));
        n++;
    }
    return n;
}

/* Each probe in xmt_log came right after its grant: a message from the
 * room to the target (named by nick) naming the asker, for 10 s.
 * Returns how many grants were sent. */
static size_t grants(void)
{
    size_t n = 0;

    for (size_t i = 0; i < xmt_n; i++) {
        xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(
            xmt_log[i], "probe", UT_NS_XMUC);
        xmpp_stanza_t *g;
        if (is_grant(xmt_log[i]))
            n++;
        if (strcmp(xmpp_stanza_get_name(xmt_log[i]), "iq") || !q)
            continue;
        cr_assert_gt(i, 0, "a probe without its grant");
        cr_assert(is_grant(xmt_log[i - 1]), "a probe without its grant");
        g = xmpp_stanza_get_child_by_name_and_ns(xmt_log[i - 1], "probe-grant",
                                                 UT_NS_XMUC);
        cr_assert_str_eq(xmpp_stanza_get_to(xmt_log[i - 1]),
                         xmpp_stanza_get_attribute(q, "target"));
        cr_assert_str_eq(xmpp_stanza_get_from(xmt_log[i - 1]), "r@" DOMAIN);
        cr_assert_str_eq(xmpp_stanza_get_attribute(g, "peer"),
                         xmpp_stanza_get_to(xmt_log[i]));
        cr_assert_str_eq(xmpp_stanza_get_attribute(g, "ttl"), "10000");
    }
    return n;
}

static void answer(xm_service *s, const struct probe *p, const char *ok)
{
    xmt_feed(s,
             "<iq type='result' id='%s' from='%s' to='r@" DOMAIN "'>"
             "<probe xmlns='" UT_NS_XMUC "' ok='%s'/></iq>",
             p->id, p->asker, ok);
}

/* Runs detection rounds, answering every probe with `ok`, until the
 * groupcast fan-out is `want` or rounds run out; returns the fan-out. */
static size_t detect(xm_service *s, const char *ok, size_t want, int rounds)
{
    size_t fanout = 0;

    for (int r = 0; r < rounds; r++) {
        struct probe p[64];
        size_t n;
        xmt_clock += 2000;
        xmt_drop();
        xmt_feed(s,
                 "<iq type='get' id='ping' from='p0@test/r' to='r@" DOMAIN "'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>");
        n = probes(p, 64);
        xmt_drop();
        for (size_t i = 0; i < n; i++)
            answer(s, &p[i], ok);
        xmt_drop();
        say(s, 1, "count");
        fanout = count("message");
        if (fanout == want)
            break;
    }
    return fanout;
}

Test(groupcast, tapbcast_sends_to_the_ring_and_detects_segments)
{
    xm_service *s = room(5, VM_FIELD("tapbcast") GC_FIELD("tapbcast"));
    struct probe p[64];
    xmpp_stanza_t *g;

    say(s, 2, "hi");
    cr_assert_eq(count("message"), 5, "five segments of one");
    cr_assert_not_null(g = first_groupcast());
    cr_assert_str_eq(xmpp_stanza_get_attribute(g, "mode"), "tapbcast");
    /* A round: probes leave, at most one per representative. */
    xmt_clock += 2000;
    xmt_drop();
    xmt_feed(s, "<iq type='get' id='ping' from='p0@test/r' to='r@" DOMAIN "'>"
                "<ping xmlns='urn:xmpp:ping'/></iq>");
    cr_assert_gt(probes(p, 64), 0);
    cr_assert_leq(probes(p, 64), 5);
    cr_assert_eq(grants(), probes(p, 64), "one grant per probe");
    /* A failure changes nothing; an unknown probe id is ignored. */
    xmt_drop();
    answer(s, &p[0], "false");
    xmt_feed(s, "<iq type='result' id='seg-999' from='p1@test/r' to='r@" DOMAIN
                "'><probe xmlns='" UT_NS_XMUC "' ok='true'/></iq>");
    cr_assert_eq(xmt_n, 0);
    say(s, 2, "still five");
    cr_assert_eq(count("message"), 5);
    /* Everyone reaches everyone: one segment, whose representative is the
     * oldest occupant, and the merges reached the views as presences. */
    cr_assert_eq(detect(s, "true", 1, 40), 1);
    cr_assert(sent_to("p0@test/r"));
    xm_service_free(s);
}

Test(groupcast, merges_become_presences)
{
    xm_service *s = room(2, VM_FIELD("tapbcast") GC_FIELD("tapbcast"));
    struct probe p[4];
    bool tree_edge = false;

    xmt_clock += 2000;
    xmt_feed(s, "<iq type='get' id='ping' from='p0@test/r' to='r@" DOMAIN "'>"
                "<ping xmlns='urn:xmpp:ping'/></iq>");
    cr_assert_eq(probes(p, 4), 1);
    xmt_drop();
    answer(s, &p[0], "true");
    /* p0 and p1 were each other's ring neighbours; now they are one
     * segment: tree and gossip neighbours, told by presence. */
    cr_assert_eq(count("presence"), 2);
    for (size_t i = 0; i < xmt_n; i++) {
        char *t;
        size_t len;
        xmpp_stanza_to_text(xmt_log[i], &t, &len);
        tree_edge |= strstr(t, "tree") != NULL;
        xmpp_free(xmt_ctx, t);
    }
    cr_assert(tree_edge);
    xm_service_free(s);
}

Test(groupcast, an_idle_room_probes_on_its_tick)
{
    xm_service *s = room(3, VM_FIELD("tapbcast") GC_FIELD("tapbcast"));
    xm_room *r = xm_service_room(s, "r");
    struct probe p[8];

    cr_assert_not_null(r);
    xmt_clock += 2000;
    xm_room_tick(r);
    cr_assert_gt(probes(p, 8), 0);
    cr_assert_eq(grants(), probes(p, 8), "one grant per probe");
    cr_assert_eq(xmt_n, 2 * probes(p, 8), "nothing but probes and grants");
    xmt_drop();
    xmt_clock += 1000;
    xm_room_tick(r);
    cr_assert_eq(xmt_n, 0, "the next round is not due yet");
    xm_service_free(s);
}
