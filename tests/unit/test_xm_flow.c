/* test_xm_flow.c -- xmucd's bounded resources without a server or a
 * clock: token buckets, water marks, the memory budget, the per-JID room
 * quota (all with time as an input), and the service refusing fan-out
 * while a made-up output queue is high, charging bytes x recipients,
 * and refusing room floods past the rate and the quota. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xm_flow.h"
#include "xm_quota.h"
#include "xm_service.h"

/* ---- buckets, marks, budget ---------------------------------------------- */

Test(flow, bucket_takes_refuses_and_refills)
{
    struct xm_bucket b;

    xm_bucket_init(&b, 1000, 5000);
    cr_expect(xm_bucket_take(&b, 600, 100, 1000, 5000));
    cr_expect(xm_bucket_take(&b, 400, 100, 1000, 5000));
    cr_expect_not(xm_bucket_take(&b, 1, 100, 1000, 5000), "empty");
    cr_expect_not(xm_bucket_take(&b, 200, 100, 1000, 6000),
                  "100 back, not 200");
    cr_expect(xm_bucket_take(&b, 200, 100, 1000, 7000), "200 back after 2 s");
    cr_expect(xm_bucket_take(&b, 5, 0, 1000, 7000), "rate 0: unlimited");
    cr_expect_not(xm_bucket_idle(&b, 100, 1000, 8000));
    cr_expect(xm_bucket_idle(&b, 100, 1000, 17000), "full again after 10 s");
}

Test(flow, bucket_debt_for_one_large_cost)
{
    struct xm_bucket b;

    xm_bucket_init(&b, 1000, 0);
    cr_expect(xm_bucket_take(&b, 5000, 100, 1000, 0),
              "a full bucket lets one cost above the burst through");
    cr_expect_not(xm_bucket_take(&b, 1, 100, 1000, 30000),
                  "then the debt (4000) is paid back first");
    cr_expect(xm_bucket_take(&b, 1, 100, 1000, 50000));
}

Test(flow, bucket_ignores_a_clock_going_back)
{
    struct xm_bucket b;

    xm_bucket_init(&b, 10, 1000);
    cr_expect(xm_bucket_take(&b, 10, 1, 10, 1000));
    cr_expect_not(xm_bucket_take(&b, 1, 1, 10, 500));
    cr_expect(xm_bucket_take(&b, 1, 1, 10, 2000));
}

Test(flow, mark_has_hysteresis)
{
    struct xm_mark m = {.on = 100, .off = 20};

    cr_expect_not(xm_mark_update(&m, 99));
    cr_expect(xm_mark_update(&m, 100));
    cr_expect(xm_mark_update(&m, 50), "stays set between the marks");
    cr_expect_not(xm_mark_update(&m, 20));
    cr_expect_not(xm_mark_update(&m, 50), "stays clear between the marks");
}

Test(flow, budget_split_and_fits)
{
    struct xm_budget b;

    xm_budget_split(512u << 20, &b);
    cr_expect_eq(b.queue_cap, 128u << 20);
    cr_expect_eq(b.queue_high, 64u << 20);
    cr_expect_eq(b.queue_low, 16u << 20);
    cr_expect_eq(b.state, 256u << 20);
    cr_expect(b.queue_low < b.queue_high && b.queue_high < b.queue_cap);
    cr_expect(xm_budget_fits(&b, 10000, 10000, 1, 1));
    cr_expect_not(xm_budget_fits(&b, 14000, 0, 1, 0));
}

/* ---- the room quota
 * ---------------------------------------------------------- */

Test(flow, quota_rate_then_recovers)
{
    xm_quota *q;
    char name[32];
    int i, rc = 0;

    cr_assert_eq(xm_quota_new(0, 30, &q), XM_OK);
    for (i = 0; i < 100 && rc == XM_QUOTA_OK; i++) {
        snprintf(name, sizeof name, "r%d", i);
        rc = xm_quota_create(q, "m@x", name, 1000);
    }
    cr_expect_eq(rc, XM_QUOTA_ERATE);
    cr_expect_eq(i, 31, "30 at once, the 31st refused (got %d)", i);
    cr_expect_eq(xm_quota_create(q, "other@x", "o1", 1000), XM_QUOTA_OK,
                 "another JID is not slowed");
    cr_expect_eq(xm_quota_create(q, "m@x", "late", 3000), XM_QUOTA_OK,
                 "one more after 2 s (30 per minute)");
    xm_quota_free(q);
}

Test(flow, quota_held_and_given_back)
{
    xm_quota *q;

    cr_assert_eq(xm_quota_new(3, 0, &q), XM_OK);
    cr_expect_eq(xm_quota_create(q, "m@x", "a", 0), XM_QUOTA_OK);
    cr_expect_eq(xm_quota_create(q, "m@x", "b", 0), XM_QUOTA_OK);
    cr_expect_eq(xm_quota_create(q, "m@x", "c", 0), XM_QUOTA_OK);
    cr_expect_eq(xm_quota_create(q, "m@x", "d", 0), XM_QUOTA_EHELD);
    cr_expect_eq(xm_quota_held(q, "m@x"), 3);
    xm_quota_gone(q, "b");
    xm_quota_gone(q, "unknown");
    cr_expect_eq(xm_quota_held(q, "m@x"), 2);
    cr_expect_eq(xm_quota_create(q, "m@x", "d", 0), XM_QUOTA_OK);
    xm_quota_free(q);
}

Test(flow, quota_forgets_idle_creators)
{
    xm_quota *q;
    char jid[32], room[32];

    cr_assert_eq(xm_quota_new(10, 60, &q), XM_OK);
    for (int i = 0; i < 5000; i++) {
        snprintf(jid, sizeof jid, "anon%d@x", i);
        snprintf(room, sizeof room, "room%d", i);
        cr_assert_eq(xm_quota_create(q, jid, room, (uint64_t)i * 100),
                     XM_QUOTA_OK);
        xm_quota_gone(q, room);
    }
    cr_expect_lt(xm_quota_size(q), 2000, "%zu creators remembered",
                 xm_quota_size(q));
    xm_quota_free(q);
}

/* ---- the service, fed stanzas
 * ------------------------------------------------- */

#define DOMAIN "rooms.test"

/* What the service sent since the last clear: how many stanzas, and the
 * error condition of the first ("" when it was no error). */
static size_t n_sent, queued;
static char first_error[64];
static uint64_t clock_ms;
static xmpp_ctx_t *ctx;

static size_t count_out(void *c, xmpp_stanza_t *st)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(st, "error");
    xmpp_stanza_t *cond = e ? xmpp_stanza_get_children(e) : NULL;

    (void)c;
    if (n_sent++ == 0)
        snprintf(first_error, sizeof first_error, "%s",
                 cond ? xmpp_stanza_get_name(cond) : "");
    return 100;
}

static uint64_t clock_of(void *c)
{
    return (void)c, clock_ms;
}
static size_t queue_len(void *c)
{
    return (void)c, queued;
}

static struct xm_out out = {count_out, NULL, NULL};

static void clear_sent(void)
{
    n_sent = 0;
    first_error[0] = '\0';
}

static void setup(void)
{
    xmpp_initialize();
    out.xctx = ctx = xmpp_ctx_new(NULL, NULL);
    clock_ms = 1000;
    queued = 0;
    clear_sent();
}

static void teardown(void)
{
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(service, .init = setup, .fini = teardown, .timeout = 120);

/* 64 MiB bound: queue high at 8 MiB, low at 2 MiB, cap 16 MiB. */
static xm_service *service(uint32_t per_jid, uint32_t per_min)
{
    struct xm_service_config c = {.domain = DOMAIN,
                                  .max_rooms = 100000,
                                  .max_occupants = 1000,
                                  .max_stanza_bytes = 65536,
                                  .rate_per_s = 1000,
                                  .rate_burst = 1000,
                                  .now_ms = clock_of,
                                  .seed = 7,
                                  .max_memory = 64u << 20,
                                  .out_bytes_per_s = 100000,
                                  .out_bytes_burst = 1000000,
                                  .rooms_per_jid = per_jid,
                                  .rooms_per_min = per_min,
                                  .queued = queue_len};
    char err[256];
    xm_service *s;

    cr_assert_eq(xm_service_new(&c, &out, err, sizeof err, &s), XM_OK, "%s",
                 err);
    cr_assert(s, "%s", err);
    return s;
}

/* Feeds xml as if it were `bytes` long on the wire (0: its length). */
static void feed_sized(xm_service *s, size_t bytes, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);

    cr_assert(st, "bad test XML: %s", xml);
    xm_service_handle(s, st, bytes ? bytes : strlen(xml));
    xmpp_stanza_release(st);
}

static void join(xm_service *s, const char *room, int i)
{
    char xml[512];

    snprintf(xml, sizeof xml,
             "<presence from='u%d@test/r' to='%s@" DOMAIN
             "/n%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
             i, room, i);
    feed_sized(s, 0, xml);
}

/* Sends one groupcast of `bytes` from u0; returns the error condition
 * it got, or "" when it was relayed. */
static const char *groupcast(xm_service *s, size_t bytes)
{
    clear_sent();
    feed_sized(s, bytes,
               "<message type='groupchat' from='u0@test/r' to='big@" DOMAIN
               "'><body>x</body></message>");
    cr_assert_gt(n_sent, 0);
    return first_error;
}

static xm_service *relay_room(int members)
{
    xm_service *s = service(0, 0);

    for (int i = 0; i < members; i++)
        join(s, "big", i);
    cr_assert_eq(xm_service_occupants(s), (size_t)members);
    clear_sent();
    return s;
}

Test(service, bytes_times_recipients_are_charged)
{
    xm_service *s = relay_room(10);
    int relayed = 0;

    /* 20 KB x 10 = 200 KB each, against a 1 MB burst */
    while (relayed < 100 && !*groupcast(s, 20000))
        relayed++;
    cr_expect_eq(relayed, 5, "relayed %d before the first refusal", relayed);
    cr_expect_str_eq(first_error, "resource-constraint");
    cr_expect_eq(n_sent, 1, "only the error went out");
    clock_ms += 100; /* 10 KB back */
    cr_expect_str_eq(groupcast(s, 20000), "resource-constraint");
    cr_expect_str_eq(groupcast(s, 100), "",
                     "a small one fits (charged by bytes, not stanzas)");
    clock_ms += 2000; /* 200 KB back */
    cr_expect_str_eq(groupcast(s, 20000), "");
    cr_expect_str_eq(groupcast(s, 20000), "resource-constraint");
    xm_service_free(s);
}

Test(service, fan_out_refused_while_the_queue_is_high)
{
    xm_service *s = relay_room(4);

    cr_expect_str_eq(groupcast(s, 100), "");
    queued = 8u << 20; /* the high mark */
    cr_expect_str_eq(groupcast(s, 100), "resource-constraint");
    clear_sent();
    feed_sized(s, 0,
               "<iq type='get' id='d1' from='v@test/r' to='other@" DOMAIN
               "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    cr_expect_eq(n_sent, 1, "the service still answers");
    queued = 4u << 20; /* between the marks: still refused */
    cr_expect_str_eq(groupcast(s, 100), "resource-constraint");
    queued = 2u << 20; /* the low mark */
    cr_expect_str_eq(groupcast(s, 100), "");
    queued = (16u << 20) - 300; /* below high, but 100 x 4 would pass the cap */
    cr_expect_str_eq(groupcast(s, 100), "resource-constraint");
    xm_service_free(s);
}

Test(service, join_refused_while_the_queue_is_high)
{
    xm_service *s = relay_room(3);

    queued = 8u << 20;
    clear_sent();
    join(s, "big", 7);
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(first_error, "resource-constraint");
    cr_expect_eq(xm_service_occupants(s), 3);
    xm_service_free(s);
}

/* Joins room name as u<i>; returns the error condition, "" on success. */
static const char *create(xm_service *s, int i, const char *name)
{
    clear_sent();
    join(s, name, i);
    cr_assert_gt(n_sent, 0);
    return first_error;
}

/* Creates rooms prefix0, prefix1... as u<user> (a new user each time
 * when user < 0) until one is refused or max are made, letting step_ms
 * pass before each; returns how many were made and the refusal in why. */
static int create_until_refused(xm_service *s, int user, const char *prefix,
                                int max, uint64_t step_ms, const char **why)
{
    char name[32];
    int made = 0;

    *why = "";
    while (made < max && !**why) {
        clock_ms += step_ms;
        snprintf(name, sizeof name, "%s%d", prefix, made);
        if (!*(*why = create(s, user < 0 ? made : user, name)))
            made++;
    }
    return made;
}

Test(service, room_flood_refused_past_rate_and_quota)
{
    xm_service *s = service(40, 30);
    const char *why;
    int made = create_until_refused(s, 0, "flood", 1000, 0, &why);

    cr_expect_eq(made, 30, "30 rooms at once, then the rate (made %d)", made);
    cr_expect_str_eq(why, "resource-constraint");
    cr_expect_str_eq(create(s, 1, "mine"), "", "others still create rooms");
    made += create_until_refused(s, 0, "slow", 100, 2000, &why);
    cr_expect_eq(made, 40, "the quota stops it at 40 (made %d)", made);
    cr_expect_str_eq(why, "policy-violation");
    clear_sent();
    feed_sized(
        s, 0,
        "<presence type='unavailable' from='u0@test/r' to='flood3@" DOMAIN
        "/n0'/>");
    cr_expect_str_eq(create(s, 0, "again"), "",
                     "a room gone gives its slot back");
    xm_service_free(s);
}

Test(service, rooms_refused_at_the_memory_bound)
{
    xm_service *s = service(0, 0);
    const char *why;
    /* 64 MiB: 32 MiB for rooms (20 KiB) and occupants (2 KiB) */
    int made = create_until_refused(s, -1, "r", 5000, 0, &why);

    cr_expect_str_eq(why, "resource-constraint");
    cr_expect_eq(made, (32 << 20) / (22 * 1024), "made %d", made);
    xm_service_free(s);
}
