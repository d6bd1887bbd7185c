/* test_xm_live.c -- xmucd's live state without a server or a process:
 * a service is fed stanzas, flushes its live state (xm_service_tick),
 * and is then dropped without xm_service_shutdown, as SIGKILL would; a
 * new service on the same data folder must bring back the temporary
 * room (configuration, owner), tell every occupant to rejoin (110 +
 * 332), keep the groupcast epoch and carry on the numbering, and remove
 * a restored room nobody rejoins once its grace is over.  Damaged files
 * are forgotten, never fatal. */
#include "config.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_live.h"
#include "xm_room_live.h"
#include "xm_capture.h"
#include "xm_service.h"
#include "ut_ns.h"

#define DOMAIN "rooms.test"

static char dir[64];

static int rm(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    return remove(p);
}

static void up(void)
{
    xmt_begin();
    snprintf(dir, sizeof dir, "/tmp/test_xm_live.XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void down(void)
{
    nftw(dir, rm, 8, FTW_DEPTH | FTW_PHYS);
    xmt_end();
}

TestSuite(live, .init = up, .fini = down, .timeout = 60);

static xm_service *boot(void)
{
    struct xm_service_config c = {.domain = DOMAIN,
                                  .max_rooms = 8,
                                  .max_occupants = 100,
                                  .max_stanza_bytes = 8192,
                                  .data_dir = dir,
                                  .now_ms = xmt_now,
                                  .seed = xmt_clock};
    char err[256];
    xm_service *s;

    cr_assert_eq(xm_service_new(&c, &xmt_out, err, sizeof err, &s), XM_OK, "%s",
                 err);
    cr_assert_not_null(s, "%s", err);
    return s;
}

static void enter(xm_service *s, const char *who)
{
    xmt_feed(s,
             "<presence from='%s@test/r' to='t@" DOMAIN "/%s'>"
             "<x xmlns='http://jabber.org/protocol/muc'/></presence>",
             who, who);
}

#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"

/* Room t: owner creates it (pbcast, title, 5 users at most), bob joins,
 * three groupcasts; then a flush.  Returns the epoch owner was given. */
static xm_service *before_the_kill(char *epoch, size_t len)
{
    xm_service *s = boot();
    xmpp_stanza_t *v;

    enter(s, "owner");
    v = xmpp_stanza_get_child_by_name_and_ns(xmt_log[0], "view", UT_NS_XMUC);
    cr_assert(v && xmpp_stanza_get_attribute(v, "epoch"), "no epoch");
    snprintf(epoch, len, "%s", xmpp_stanza_get_attribute(v, "epoch"));
    xmt_feed(s, "<iq type='set' id='c' from='owner@test/r' to='t@" DOMAIN "'>"
                "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                "<x xmlns='jabber:x:data' type='submit'>" FIELD(
                    "muc#roomconfig_roomname", "Kept")
                    FIELD("muc#roomconfig_maxusers", "5") FIELD(
                        UT_NS_XMUC "#groupcast", "relay") "</x></query></iq>");
    enter(s, "bob");
    for (int i = 0; i < 3; i++)
        xmt_feed(
            s,
            "<message type='groupchat' from='bob@test/r' to='t@" DOMAIN "'>"
            "<body>m%d</body><groupcast xmlns='" UT_NS_XMUC "'/></message>",
            i);
    xmt_clock += 1000;
    xm_service_tick(s);
    xmt_drop();
    return s;
}

/* The unavailable 110 + 332 presence sent to jid from t/nick? */
static bool told_to_rejoin(const char *jid, const char *nick)
{
    char from[64];

    snprintf(from, sizeof from, "t@" DOMAIN "/%s", nick);
    for (size_t i = 0; i < xmt_n; i++) {
        xmpp_stanza_t *p = xmt_log[i], *x, *c;
        int codes = 0;
        if (strcmp(xmpp_stanza_get_name(p), "presence") ||
            strcmp(xmpp_stanza_get_to(p), jid) ||
            strcmp(xmpp_stanza_get_from(p), from) || !xmpp_stanza_get_type(p) ||
            strcmp(xmpp_stanza_get_type(p), "unavailable") ||
            !(x = xmpp_stanza_get_child_by_name(p, "x")))
            continue;
        for (c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
            const char *code = xmpp_stanza_get_attribute(c, "code");
            codes += code && (!strcmp(code, "110") || !strcmp(code, "332"));
        }
        if (codes == 2)
            return true;
    }
    return false;
}

/* The seq of the last groupcast sent, 0 if none. */
static unsigned long last_seq(void)
{
    for (size_t i = xmt_n; i-- > 0;) {
        xmpp_stanza_t *g = xmpp_stanza_get_child_by_name_and_ns(
            xmt_log[i], "groupcast", UT_NS_XMUC);
        if (g)
            return strtoul(xmpp_stanza_get_attribute(g, "seq"), NULL, 10);
    }
    return 0;
}

Test(live, a_killed_service_gets_its_room_back)
{
    char epoch[32];
    xm_service *s = before_the_kill(epoch, sizeof epoch);
    xm_room *r;
    xmpp_stanza_t *v;
    uint8_t key[32], back[32];

    cr_assert_eq(xm_room_public_key(xm_service_room(s, "t"), key), 0);
    xm_service_free(s); /* no shutdown: as SIGKILL */
    xmt_clock += 500;
    s = boot();
    cr_assert_not_null(r = xm_service_room(s, "t"),
                       "the temporary room is back");
    cr_assert_str_eq(xm_room_config(r)->title, "Kept");
    cr_assert_eq(xm_room_config(r)->max_occupants, 5);
    cr_assert_eq(xm_room_affiliation(r, "owner@test"), XM_AFFIL_OWNER);
    cr_assert_eq(xm_room_affiliation(r, "bob@test"), XM_AFFIL_NONE);
    cr_assert_eq(xm_room_size(r), 0);
    cr_assert_eq(xm_room_public_key(r, back), 0);
    cr_assert_arr_eq(back, key, sizeof key,
                     "the same stream, signed with the same key");
    xm_service_link_up(s);
    cr_assert(told_to_rejoin("owner@test/r", "owner"));
    cr_assert(told_to_rejoin("bob@test/r", "bob"));
    xmt_drop();
    enter(s, "bob"); /* bob is first back: the owner is still the owner */
    cr_assert_eq(xm_room_affiliation(r, "bob@test"), XM_AFFIL_NONE);
    cr_assert_eq(xm_room_affiliation(r, "owner@test"), XM_AFFIL_OWNER);
    v = xmpp_stanza_get_child_by_name_and_ns(xmt_log[xmt_n - 2], "view",
                                             UT_NS_XMUC);
    cr_assert(v && xmpp_stanza_get_attribute(v, "epoch"));
    cr_assert_str_eq(xmpp_stanza_get_attribute(v, "epoch"), epoch,
                     "the same stream: the same epoch");
    xmt_feed(s,
             "<message type='groupchat' from='bob@test/r' to='t@" DOMAIN "'>"
             "<body>after</body><groupcast xmlns='" UT_NS_XMUC "'/></message>");
    cr_assert_eq(last_seq(), 4, "numbering carries on (got %lu)", last_seq());
    xm_service_free(s);
}

Test(live, without_the_seq_table_a_new_epoch_starts_at_one)
{
    char epoch[32], path[128];
    xm_service *s = before_the_kill(epoch, sizeof epoch);
    xmpp_stanza_t *v;

    xm_service_free(s);
    snprintf(path, sizeof path, "%s/live/seqs", dir);
    cr_assert_eq(unlink(path), 0);
    xmt_clock += 500;
    s = boot();
    xm_service_link_up(s);
    xmt_drop();
    enter(s, "bob");
    v = xmpp_stanza_get_child_by_name_and_ns(xmt_log[xmt_n - 2], "view",
                                             UT_NS_XMUC);
    cr_assert(v && xmpp_stanza_get_attribute(v, "epoch"));
    cr_assert_str_neq(xmpp_stanza_get_attribute(v, "epoch"), epoch);
    xmt_feed(s,
             "<message type='groupchat' from='bob@test/r' to='t@" DOMAIN "'>"
             "<body>after</body><groupcast xmlns='" UT_NS_XMUC "'/></message>");
    cr_assert_eq(last_seq(), 1);
    xm_service_free(s);
}

Test(live, a_restored_room_nobody_rejoins_goes_after_its_grace)
{
    char epoch[32], path[128];
    xm_service *s = before_the_kill(epoch, sizeof epoch);

    xm_service_free(s);
    s = boot();
    xm_service_link_up(s);
    xmt_clock += XM_LIVE_GRACE_MS - 1000;
    xm_service_tick(s);
    cr_assert_not_null(xm_service_room(s, "t"), "kept during the grace");
    xmt_clock += 2000;
    xm_service_tick(s);
    cr_assert_null(xm_service_room(s, "t"), "removed after it");
    snprintf(path, sizeof path, "%s/live/t.live", dir);
    cr_assert_neq(access(path, F_OK), 0, "and its file");
    xm_service_free(s);
}

Test(live, damaged_files_are_forgotten)
{
    static const char *const texts[] = {
        "",
        "epoch 5\nslot 1\nseq 3\n", /* cut short: no "--" */
        "epoch 0\n--\n",
        "--\noccupant a b\n", /* no epoch */
        "epoch 7\nslot 1\nseq 1\nmanager nosuch\n--\n",
        "epoch 7\nslot 99999\nseq 1\n--\noccupant %zz\n"};
    char path[128], name[16];

    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        xm_service *s;
        FILE *f;
        snprintf(name, sizeof name, "d%zu", i);
        snprintf(path, sizeof path, "%s/live", dir);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/live/d%zu.live", dir, i);
        cr_assert(f = fopen(path, "w"));
        fputs(texts[i], f);
        fclose(f);
        s = boot();
        xm_service_link_up(s);
        cr_assert_null(xm_service_room(s, name), "%zu", i);
        cr_assert_neq(access(path, F_OK), 0, "%zu: removed", i);
        xm_service_free(s);
        xmt_drop();
    }
}

Test(live, parse_splits_head_configuration_and_occupants)
{
    char text[] =
        "epoch 9\nslot 2\nseq 41\nmanager rbt\n--\noccupant a b%40c\n";
    struct xm_room_live_head h;
    char *cfg, *occ;

    cr_assert_eq(xm_room_live_parse(text, &h, &cfg, &occ), 0);
    cr_assert_eq(h.epoch, 9);
    cr_assert_eq(h.slot, 2);
    cr_assert_eq(h.seq, 41);
    cr_assert_str_eq(cfg, "manager rbt\n");
    cr_assert_str_eq(occ, "occupant a b%40c\n");
}

Test(live, no_more_rooms_come_back_than_max_rooms)
{
    char path[128];
    xm_service *s;

    snprintf(path, sizeof path, "%s/live", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    for (int i = 0; i < 10; i++) {
        FILE *f;
        snprintf(path, sizeof path, "%s/live/r%d.live", dir, i);
        cr_assert(f = fopen(path, "w"));
        fprintf(f,
                "epoch %d\nslot 0\nseq 0\nmanager complete\n--\n"
                "occupant n%d j%d@test/r\n",
                i + 1, i, i);
        fclose(f);
    }
    s = boot(); /* max_rooms 8 */
    cr_assert_eq(xm_service_rooms(s), 8);
    xm_service_link_up(s);
    cr_assert_eq(xmt_n, 8, "one 332 per restored occupant");
    xm_service_free(s);
}
