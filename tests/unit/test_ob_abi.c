/* test_ob_abi.c -- the services' API without a server: growable structs
 * (orbweb.h, "Growing structs") read from an older header (smaller),
 * a newer one (larger, with a zero or a non-zero tail) and a missing
 * size, both through the copy itself and through the public calls; and
 * timers on the client's loop (fire once, restart from the callback,
 * stop, free the timer or the client from inside, free the client with
 * timers armed). */
#include "config.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <string.h>

#include "ob_abi_internal.h"
#include "orbweb.h"

TestSuite(ob_abi, .timeout = 60);

/* The same struct at two versions of a header. */
struct v1 {
    size_t size;
    int a;
    const char *s;
};
struct v2 {
    size_t size;
    int a;
    const char *s;
    int b;
    uint64_t c;
};
#define V1 OBI_END(struct v1, s)

Test(ob_abi, older_application_gets_zeroed_new_fields)
{
    struct v1 app = {.size = sizeof app, .a = 7, .s = "x"};
    struct v2 lib;

    memset(&lib, 0xab, sizeof lib);
    cr_assert_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_OK);
    cr_expect_eq(lib.a, 7);
    cr_expect_str_eq(lib.s, "x");
    cr_expect_eq(lib.b, 0, "a field the application does not know is zero");
    cr_expect_eq(lib.c, 0);
    cr_expect_eq(lib.size, sizeof lib);
}

Test(ob_abi, newer_application_with_zero_tail_is_accepted)
{
    struct v2 app = {.size = sizeof app, .a = 3, .s = "y"};
    struct v1 lib;

    cr_assert_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_OK);
    cr_expect_eq(lib.a, 3);
    cr_expect_str_eq(lib.s, "y");
}

Test(ob_abi, newer_application_with_nonzero_tail_is_refused)
{
    struct v2 app = {.size = sizeof app, .a = 3, .b = 1};
    struct v1 lib = {0};

    cr_expect_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_EINVAL);
    app.b = 0;
    app.c = 1ull << 63;
    cr_expect_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_EINVAL);
}

Test(ob_abi, missing_or_short_size_is_refused)
{
    struct v2 app = {.a = 1};
    struct v2 lib;

    cr_expect_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_EINVAL,
                 "size 0");
    app.size = V1 - 1;
    cr_expect_eq(obi_struct_in(&lib, sizeof lib, V1, &app), OB_EINVAL);
}

Test(ob_abi, output_to_older_application_is_cut)
{
    struct v2 lib = {.size = sizeof lib, .a = 5, .s = "z", .b = 9, .c = 9};
    struct {
        struct v1 v;
        unsigned char canary[32];
    } app;

    memset(&app, 0x5a, sizeof app);
    app.v.size = sizeof app.v;
    cr_assert_eq(obi_struct_out(&app.v, V1, &lib, sizeof lib), OB_OK);
    cr_expect_eq(app.v.a, 5);
    cr_expect_eq(app.v.size, sizeof app.v);
    for (size_t i = 0; i < sizeof app.canary; i++)
        cr_assert_eq(app.canary[i], 0x5a,
                     "wrote past the application's struct");
    app.v.size = 0;
    cr_expect_eq(obi_struct_out(&app.v, V1, &lib, sizeof lib), OB_EINVAL);
}

Test(ob_abi, output_to_newer_application_says_what_was_filled)
{
    struct v1 lib = {.size = sizeof lib, .a = 4};
    struct v2 app;

    memset(&app, 0, sizeof app);
    app.size = sizeof app;
    app.b = 77; /* a field this library does not know: left alone */
    cr_assert_eq(obi_struct_out(&app, V1, &lib, sizeof lib), OB_OK);
    cr_expect_eq(app.a, 4);
    cr_expect_eq(app.b, 77);
    cr_expect_eq(app.size, sizeof lib, "size says how much was filled");
}

/* The public calls apply the rule. */
struct big_options {
    struct ob_options o;
    uint64_t future[2];
};

Test(ob_abi, client_options_sizes)
{
    struct big_options b = {.o = OB_OPTIONS_INIT};
    ob_client *c;

    b.o.host = "127.0.0.1";
    b.o.jid = "anon.localhost";
    b.o.size = 0;
    cr_expect_eq(ob_client_new(&b.o, &c), OB_EINVAL, "size 0");
    b.o.size = sizeof b;
    cr_assert_eq(ob_client_new(&b.o, &c), OB_OK, "a newer header, zero tail");
    ob_client_free(c);
    b.future[1] = 1;
    cr_expect_eq(ob_client_new(&b.o, &c), OB_EINVAL,
                 "a newer header asking more");
    b.o.size = OBI_OPTIONS_SIZE_V1;
    cr_assert_eq(ob_client_new(&b.o, &c), OB_OK, "the first layout");
    ob_client_free(c);
}

Test(ob_abi, callbacks_and_room_structs_sizes)
{
    struct ob_callbacks cb = {0};
    struct ob_options o = {.size = sizeof o,
                           .host = "127.0.0.1",
                           .jid = "anon.localhost",
                           .cb = &cb};
    struct ob_join_params jp = {0};
    struct ob_room_config cfg = {0};
    ob_client *c;

    cr_expect_eq(ob_client_new(&o, &c), OB_EINVAL, "callbacks without size");
    cb.size = sizeof cb;
    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    cr_expect_eq(ob_room_join(c, "r@rooms.localhost", "n", &jp), OB_EINVAL);
    cr_expect_eq(ob_room_create(c, "r@rooms.localhost", "n", &cfg, NULL),
                 OB_EINVAL);
    jp.size = sizeof jp;
    cfg.size = sizeof cfg;
    cr_expect_eq(ob_room_join(c, "r@rooms.localhost", "n", &jp), OB_ESTATE,
                 "past the struct check: not connected");
    cr_expect_eq(ob_room_create(c, "r@rooms.localhost", "n", &cfg, &jp),
                 OB_ESTATE);
    ob_client_free(c);
}

Test(ob_abi, stats_sizes)
{
    struct ob_options o = {
        .size = sizeof o, .host = "127.0.0.1", .jid = "anon.localhost"};
    struct {
        struct ob_stats s;
        uint64_t canary;
    } big;
    ob_client *c;

    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    memset(&big, 0xff, sizeof big);
    big.s.size = 0;
    cr_expect_eq(ob_client_stats(c, &big.s), OB_EINVAL);
    big.s.size = sizeof big; /* a newer header: we fill what we know */
    cr_assert_eq(ob_client_stats(c, &big.s), OB_OK);
    cr_expect_eq(big.s.size, sizeof big.s);
    cr_expect_eq(big.s.unicasts_relayed, 0);
    cr_expect_eq(big.s.rpc_dropped, 0);
    cr_expect_eq(big.canary, UINT64_MAX,
                 "a field we do not know is left alone");
    ob_client_free(c);
}

Test(ob_abi, room_status_and_neighbour_without_rooms)
{
    struct ob_options o = {
        .size = sizeof o, .host = "127.0.0.1", .jid = "anon.localhost"};
    struct ob_room_status st = {0};
    ob_client *c;

    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    cr_expect_eq(ob_room_status(c, "r@rooms.localhost", &st), OB_ENOTFOUND);
    cr_expect_eq(ob_room_status(c, NULL, &st), OB_EINVAL);
    cr_expect_eq(ob_room_neighbour(c, "r@rooms.localhost", "n", NULL, NULL),
                 OB_ENOTFOUND);
    cr_expect_eq(ob_room_neighbour(c, "r@rooms.localhost", "", NULL, NULL),
                 OB_EINVAL);
    cr_expect_eq(ob_distance(c, "anon.localhost"), OB_DIST_SELF);
    cr_expect_eq(ob_distance(c, "x@anon.localhost/r"), OB_DIST_SERVER);
    cr_expect_eq(ob_distance(c, "x@elsewhere.example/r"), OB_DIST_REMOTE);
    ob_client_free(c);
}

/* ---- timers ---- */

struct tctx {
    ob_client *c;
    ob_timer *t;
    int fired, again;
    bool free_timer, free_client;
};

static void on_timer(ob_timer *t, void *arg)
{
    struct tctx *x = arg;

    x->fired++;
    if (x->again && x->fired < x->again)
        cr_assert_eq(ob_timer_start(t, 1), OB_OK);
    if (x->free_timer)
        ob_timer_free(t);
    if (x->free_client)
        ob_client_free(x->c); /* deferred to the callback's return */
}

/* The application's base, so that a client freed inside a callback
 * does not free the base the loop runs. */
static struct event_base *base;

static void base_new(void)
{
    cr_assert_not_null(base = event_base_new());
}
static void base_free(void)
{
    event_base_free(base);
}

static ob_client *client(void)
{
    struct ob_options o = {.size = sizeof o,
                           .host = "127.0.0.1",
                           .jid = "anon.localhost",
                           .base = base};
    ob_client *c;

    cr_assert_eq(ob_client_new(&o, &c), OB_OK);
    return c;
}

static void run_ms(ob_client *c, int ms)
{
    struct timeval tv = {0, ms * 1000};

    (void)c;
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

Test(ob_abi, timer_fires_once_and_restarts_from_its_callback, .init = base_new,
     .fini = base_free)
{
    struct tctx x = {.c = client(), .again = 3};

    cr_expect_eq(ob_timer_new(x.c, NULL, &x, &x.t), OB_EINVAL);
    cr_assert_eq(ob_timer_new(x.c, on_timer, &x, &x.t), OB_OK);
    cr_expect(!ob_timer_pending(x.t));
    cr_expect_eq(ob_timer_start(x.t, -1), OB_EINVAL);
    cr_assert_eq(ob_timer_start(x.t, 5), OB_OK);
    cr_expect(ob_timer_pending(x.t));
    run_ms(x.c, 100);
    cr_expect_eq(x.fired, 3, "once, then twice more from its callback");
    cr_expect(!ob_timer_pending(x.t));
    ob_client_free(x.c); /* frees x.t too (the sanitizer checks it) */
}

Test(ob_abi, stopped_timer_does_not_fire, .init = base_new, .fini = base_free)
{
    struct tctx x = {.c = client()};

    cr_assert_eq(ob_timer_new(x.c, on_timer, &x, &x.t), OB_OK);
    cr_assert_eq(ob_timer_start(x.t, 10), OB_OK);
    ob_timer_stop(x.t);
    run_ms(x.c, 50);
    cr_expect_eq(x.fired, 0);
    ob_timer_free(x.t);
    ob_client_free(x.c);
}

Test(ob_abi, timer_may_free_itself_or_the_client, .init = base_new,
     .fini = base_free)
{
    struct tctx x = {.c = client(), .free_timer = true};
    struct tctx y = {.c = client(), .free_client = true};
    ob_timer *other;

    cr_assert_eq(ob_timer_new(x.c, on_timer, &x, &x.t), OB_OK);
    cr_assert_eq(ob_timer_start(x.t, 1), OB_OK);
    run_ms(x.c, 30);
    cr_expect_eq(x.fired, 1);
    ob_client_free(x.c);

    cr_assert_eq(ob_timer_new(y.c, on_timer, &y, &y.t), OB_OK);
    cr_assert_eq(ob_timer_new(y.c, on_timer, &y, &other), OB_OK);
    cr_assert_eq(ob_timer_start(y.t, 1), OB_OK);
    cr_assert_eq(ob_timer_start(other, 10), OB_OK);
    /* freed inside the first callback: the second timer must never fire */
    run_ms(y.c, 30);
    cr_expect_eq(y.fired, 1, "the client is gone: no further callback");
}
