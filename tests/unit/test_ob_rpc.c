/* test_ob_rpc.c -- the RPC core (ob_rpc_core.c) without a server: two
 * cores joined by a scripted wire, time given by hand.  Replies,
 * asynchronous answers, typed errors (no method, remote code, timeout,
 * busy, too big, gone), and hostile input: replies to unknown ids,
 * duplicates, late replies, replies from the wrong peer, malformed and
 * random frames, and a flood of requests, each dropped or refused with
 * bounded memory. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ob_rpc_internal.h"

TestSuite(ob_rpc, .timeout = 60);

#define A_JID "a@x/r"
#define B_JID "b@x/r"

/* The wire: frames sent, in order, with their addressee. */
struct frame {
    char to[64];
    unsigned char *p;
    size_t len;
};
static struct frame wire[4096];
static size_t nwire, wire_limit = (size_t)-1;

static int fake_send(void *ctx, const char *peer, const void *f, size_t len)
{
    (void)ctx;
    if (len > wire_limit)
        return OB_ETOOBIG;
    cr_assert(nwire < sizeof wire / sizeof wire[0]);
    snprintf(wire[nwire].to, sizeof wire[nwire].to, "%s", peer);
    wire[nwire].p = malloc(len);
    memcpy(wire[nwire].p, f, len);
    wire[nwire++].len = len;
    return OB_OK;
}

/* Owners are tags only: the core never looks inside. */
#define OWNER_A ((ob_client *)&wire[0])
#define OWNER_B ((ob_client *)&wire[1])
static struct obi_rpc *A, *B;

static void setup(void)
{
    nwire = 0;
    wire_limit = (size_t)-1;
    cr_assert_eq(obi_rpc_new(OWNER_A, fake_send, NULL, &A), OB_OK);
    cr_assert_eq(obi_rpc_new(OWNER_B, fake_send, NULL, &B), OB_OK);
}

static void teardown(void)
{
    obi_rpc_free(A);
    obi_rpc_free(B);
    for (size_t i = 0; i < nwire; i++)
        free(wire[i].p);
}

/* Delivers the frames on the wire now (not the ones their delivery
 * sends), to A or B by address, the sender being the other one; returns
 * how many. */
static size_t pump(uint64_t now)
{
    size_t done = 0, n = nwire;

    for (size_t i = 0; i < n; i++) {
        if (!wire[i].p)
            continue;
        unsigned char *p = wire[i].p;
        size_t len = wire[i].len;
        bool to_b = !strcmp(wire[i].to, B_JID) || !strcmp(wire[i].to, "b@x");
        wire[i].p = NULL;
        cr_assert(obi_rpc_is_frame(p, len));
        obi_rpc_recv(to_b ? B : A, now, to_b ? A_JID : B_JID, p, len);
        free(p);
        done++;
    }
    return done;
}

/* ---- results ---- */

struct result {
    int calls, code, remote_code;
    char text[256], data[256];
    size_t len;
    uint64_t id;
};

static void on_done(ob_client *c, const struct ob_rpc_result *res, void *arg)
{
    struct result *r = arg;

    cr_assert_eq(c, OWNER_A);
    r->calls++;
    r->code = res->code;
    r->remote_code = res->remote_code;
    r->id = res->id;
    cr_assert_not_null(res->text);
    snprintf(r->text, sizeof r->text, "%s", res->text);
    r->len = res->len;
    if (res->len)
        memcpy(r->data, res->data,
               res->len < sizeof r->data ? res->len : sizeof r->data);
}

/* echo: answers at once with the payload reversed. */
static void m_echo(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                   void *arg)
{
    char out[256];

    (void)arg;
    cr_assert_eq(c, OWNER_B);
    cr_assert_str_eq(ob_rpc_req_peer(q), A_JID);
    for (size_t i = 0; i < len; i++)
        out[i] = ((const char *)data)[len - 1 - i];
    cr_assert_eq(ob_rpc_reply(q, out, len), OB_OK);
}

/* later: keeps the request for the test to answer. */
static ob_rpc_req *kept[OB_RPC_MAX_PENDING + 1];
static size_t nkept;
static void m_later(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                    void *arg)
{
    (void)c, (void)data, (void)len, (void)arg;
    kept[nkept++] = q;
}

static void m_fail(ob_client *c, ob_rpc_req *q, const void *data, size_t len,
                   void *arg)
{
    (void)c, (void)data, (void)len, (void)arg;
    cr_assert_eq(ob_rpc_fail(q, 42, "nope"), OB_OK);
}

Test(ob_rpc, binary_round_trip, .init = setup, .fini = teardown)
{
    struct result r = {0};
    uint64_t id = 0;
    static const char msg[] = {'a', 0, 'b', 0, 'c'};

    cr_assert_eq(obi_rpc_register(B, "echo", m_echo, NULL), OB_OK);
    cr_expect_eq(obi_rpc_register(B, "echo", m_echo, NULL), OB_EEXIST);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "echo", msg, sizeof msg, 0, on_done, &r, &id),
        OB_OK);
    cr_expect_eq(obi_rpc_calls(A), 1);
    cr_expect_eq(r.calls, 0, "never from inside the call");
    cr_expect_eq(pump(1), 1);
    cr_expect_eq(pump(2), 1);
    cr_assert_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_OK);
    cr_expect_eq(r.id, id);
    cr_expect_eq(r.len, sizeof msg);
    cr_expect(!memcmp(r.data, "c\0b\0a", 5), "the reply, NULs included");
    cr_expect_eq(obi_rpc_calls(A), 0);
    cr_expect_eq(obi_rpc_dropped(A) + obi_rpc_dropped(B), 0);
}

Test(ob_rpc, empty_payloads, .init = setup, .fini = teardown)
{
    struct result r = {0};

    cr_assert_eq(obi_rpc_register(B, "echo", m_echo, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "echo", NULL, 0, 0, on_done, &r, NULL),
        OB_OK);
    pump(1);
    pump(1);
    cr_assert_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_OK);
    cr_expect_eq(r.len, 0);
}

Test(ob_rpc, asynchronous_answer_exactly_once, .init = setup, .fini = teardown)
{
    struct result r = {0};

    nkept = 0;
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "later", "q", 1, 1000, on_done, &r, NULL),
        OB_OK);
    pump(1);
    cr_assert_eq(nkept, 1);
    cr_expect_eq(obi_rpc_pending(B), 1);
    cr_expect_str_eq(ob_rpc_req_method(kept[0]), "later");
    cr_expect_eq(pump(2), 0, "nothing answered yet");
    cr_assert_eq(ob_rpc_reply(kept[0], "done", 4), OB_OK);
    cr_expect_eq(obi_rpc_pending(B), 0, "the handle is spent");
    pump(500);
    cr_assert_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_OK);
    cr_expect(!memcmp(r.data, "done", 4));
    cr_expect(!obi_rpc_expire_one(A, 5000), "a completed call never times out");
    cr_expect_eq(r.calls, 1);
}

Test(ob_rpc, typed_errors, .init = setup, .fini = teardown)
{
    struct result none = {0}, fail = {0};

    cr_assert_eq(obi_rpc_register(B, "fail", m_fail, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "missing", "x", 1, 0, on_done, &none, NULL),
        OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "fail", "x", 1, 0, on_done, &fail, NULL),
        OB_OK);
    pump(1);
    pump(1);
    cr_expect_eq(none.calls, 1);
    cr_expect_eq(none.code, OB_ENOMETHOD);
    cr_expect_eq(obi_rpc_refused(B), 1);
    cr_expect_eq(fail.calls, 1);
    cr_expect_eq(fail.code, OB_EREMOTE);
    cr_expect_eq(fail.remote_code, 42);
    cr_expect_str_eq(fail.text, "nope");
    cr_expect_eq(obi_rpc_unregister(B, "fail"), OB_OK);
    cr_expect_eq(obi_rpc_unregister(B, "fail"), OB_ENOTFOUND);
}

Test(ob_rpc, timeout_then_late_reply_is_dropped, .init = setup,
     .fini = teardown)
{
    struct result r = {0};

    nkept = 0;
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 1000, B_JID, "later", "x", 1, 100, on_done, &r, NULL),
        OB_OK);
    cr_expect_eq(obi_rpc_next_deadline(A), 1100);
    pump(1000);
    cr_expect(!obi_rpc_expire_one(A, 1099));
    cr_expect_eq(r.calls, 0);
    cr_expect(obi_rpc_expire_one(A, 1100));
    cr_expect_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_ETIMEDOUT);
    cr_expect_eq(obi_rpc_next_deadline(A), UINT64_MAX);
    cr_assert_eq(ob_rpc_reply(kept[0], "late", 4), OB_OK);
    pump(2000);
    cr_expect_eq(r.calls, 1, "no second result");
    cr_expect_eq(obi_rpc_dropped(A), 1, "the late reply is counted");
}

/* Replays the reply frame of a completed call: dropped. */
Test(ob_rpc, duplicate_and_forged_replies, .init = setup, .fini = teardown)
{
    struct result r = {0};
    unsigned char copy[64];
    size_t len;

    cr_assert_eq(obi_rpc_register(B, "echo", m_echo, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "echo", "ab", 2, 0, on_done, &r, NULL),
        OB_OK);
    pump(1); /* request to B; its reply is now on the wire */
    len = wire[nwire - 1].len;
    memcpy(copy, wire[nwire - 1].p, len);
    /* a reply with the right id from the wrong peer: dropped, call kept */
    obi_rpc_recv(A, 1, "mallory@x/r", copy, len);
    cr_expect_eq(r.calls, 0);
    cr_expect_eq(obi_rpc_dropped(A), 1);
    cr_expect_eq(obi_rpc_calls(A), 1);
    pump(1);
    cr_expect_eq(r.calls, 1);
    obi_rpc_recv(A, 1, B_JID, copy, len); /* the same reply again */
    cr_expect_eq(r.calls, 1, "completed once");
    cr_expect_eq(obi_rpc_dropped(A), 2);
    copy[13] ^= 0x55; /* an id never used */
    obi_rpc_recv(A, 1, B_JID, copy, len);
    cr_expect_eq(obi_rpc_dropped(A), 3);
}

Test(ob_rpc, bare_jid_peer_matches_its_resources, .init = setup,
     .fini = teardown)
{
    struct result r = {0};

    cr_assert_eq(obi_rpc_register(B, "echo", m_echo, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, "b@x", "echo", "z", 1, 0, on_done, &r, NULL), OB_OK);
    pump(1);
    pump(1); /* from B_JID, a resource of b@x */
    cr_expect_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_OK);
}

static const unsigned char hdr[OBI_RPC_HDR] = {0, 'O', 'R', 'P', 1};

Test(ob_rpc, malformed_frames_are_dropped, .init = setup, .fini = teardown)
{
    struct result r = {0};
    unsigned char f[64];

    nkept = 0;
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "later", "x", 1, 0, on_done, &r, NULL),
        OB_OK);
    memcpy(f, hdr, sizeof hdr);
    obi_rpc_recv(B, 0, A_JID, f, 8); /* short */
    f[5] = 9;
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr); /* unknown kind */
    f[5] = OBI_RPC_REQUEST;
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr); /* no method length */
    f[OBI_RPC_HDR] = 0;
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr + 1); /* empty method */
    f[OBI_RPC_HDR] = 40;
    memcpy(f + OBI_RPC_HDR + 1, "later", 5);
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr + 6); /* method overruns */
    f[OBI_RPC_HDR] = 5;
    f[OBI_RPC_HDR + 2] = 0;
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr + 6); /* a NUL in the method */
    f[1] = 'X';
    obi_rpc_recv(B, 0, A_JID, f, sizeof hdr + 6); /* bad magic */
    cr_expect_eq(obi_rpc_dropped(B), 7);
    cr_expect_eq(nkept, 0, "no handler ran");
    /* an error frame for A's call whose text length lies */
    memcpy(f, hdr, sizeof hdr);
    f[5] = OBI_RPC_ERROR;
    memset(f + 6, 0, 8);
    f[13] = 1; /* the call's id */
    f[14] = OBI_RPC_R_REMOTE;
    memset(f + 15, 0, 4);
    f[19] = 200;
    obi_rpc_recv(A, 0, B_JID, f, 25);
    f[14] = 99; /* unknown reason */
    f[19] = 0;
    obi_rpc_recv(A, 0, B_JID, f, 20);
    cr_expect_eq(obi_rpc_dropped(A), 2);
    cr_expect_eq(r.calls, 0);
    cr_expect_eq(obi_rpc_calls(A), 1, "the call still waits for a real answer");
}

Test(ob_rpc, random_frames_do_not_hurt, .init = setup, .fini = teardown)
{
    struct result r = {0};
    unsigned char f[96];
    uint64_t x = 88172645463325252ull;

    nkept = 0;
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "later", "x", 1, 0, on_done, &r, NULL),
        OB_OK);
    for (int i = 0; i < 20000; i++) {
        size_t len;
        for (size_t k = 0; k < sizeof f; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f[k] = (unsigned char)x;
        }
        memcpy(f, hdr, 5);
        f[5] = (unsigned char)(1 + f[5] % 3);
        f[6] = f[7] = f[8] = f[9] = f[10] = f[11] = f[12] = 0;
        f[13] = 2 + f[13] % 200; /* never A's call id (1) */
        len = x % sizeof f;
        obi_rpc_recv(A, 0, B_JID, f, len);
        obi_rpc_recv(B, 0, A_JID, f, len);
        while (nkept)
            ob_rpc_reply(kept[--nkept], NULL, 0);
        for (size_t k = 0; k < nwire; k++)
            free(wire[k].p);
        nwire = 0;
    }
    cr_expect_eq(r.calls, 0, "no forged frame completed the call");
    cr_expect_eq(obi_rpc_calls(A), 1);
    cr_expect_eq(obi_rpc_pending(B), 0);
}

Test(ob_rpc, request_flood_is_bounded, .init = setup, .fini = teardown)
{
    struct result r[OB_RPC_MAX_PENDING + 10];
    size_t busy = 0;

    nkept = 0;
    memset(r, 0, sizeof r);
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    for (size_t i = 0; i < OB_RPC_MAX_PENDING + 10; i++)
        cr_assert_eq(
            obi_rpc_call(A, 0, B_JID, "later", "x", 1, 0, on_done, &r[i], NULL),
            OB_OK);
    pump(1);
    cr_expect_eq(obi_rpc_pending(B), OB_RPC_MAX_PENDING);
    cr_expect_eq(obi_rpc_refused(B), 10);
    pump(1);
    for (size_t i = 0; i < OB_RPC_MAX_PENDING + 10; i++)
        busy += r[i].calls == 1 && r[i].code == OB_EBUSY;
    cr_expect_eq(busy, 10, "the ones over the limit are told at once");
    nkept = 0; /* obi_rpc_free frees the handles still pending */
}

Test(ob_rpc, calls_in_flight_are_bounded, .init = setup, .fini = teardown)
{
    struct result r = {0};

    wire_limit = 0; /* nothing is recorded: the wire refuses... */
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, 0, on_done, &r, NULL),
                 OB_ETOOBIG);
    cr_expect_eq(obi_rpc_calls(A), 0, "a refused send leaves no call");
    wire_limit = (size_t)-1;
    for (int i = 0; i < OB_RPC_MAX_CALLS; i++) {
        cr_assert_eq(
            obi_rpc_call(A, 0, B_JID, "m", "x", 1, 0, on_done, &r, NULL),
            OB_OK);
        free(wire[0].p);
        nwire = 0;
    }
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, 0, on_done, &r, NULL),
                 OB_EBUSY);
    cr_expect_eq(r.calls, 0);
}

Test(ob_rpc, bad_arguments, .init = setup, .fini = teardown)
{
    struct result r = {0};
    char longname[OB_RPC_METHOD_MAX + 2];

    memset(longname, 'm', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    cr_expect_eq(obi_rpc_call(A, 0, "", "m", "x", 1, 0, on_done, &r, NULL),
                 OB_EINVAL);
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "", "x", 1, 0, on_done, &r, NULL),
                 OB_EINVAL);
    cr_expect_eq(
        obi_rpc_call(A, 0, B_JID, longname, "x", 1, 0, on_done, &r, NULL),
        OB_EINVAL);
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", NULL, 1, 0, on_done, &r, NULL),
                 OB_EINVAL);
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, -1, on_done, &r, NULL),
                 OB_EINVAL);
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, 0, NULL, &r, NULL),
                 OB_EINVAL);
    cr_expect_eq(obi_rpc_call(A, 0, B_JID, "m", "x", OBI_RPC_MAX_FRAME, 0,
                              on_done, &r, NULL),
                 OB_ETOOBIG);
    cr_expect_eq(
        obi_rpc_call(A, 0, B_JID, "m", "x", SIZE_MAX, 0, on_done, &r, NULL),
        OB_ETOOBIG, "a length that would wrap the frame's size");
    cr_expect_eq(obi_rpc_register(B, longname, m_echo, NULL), OB_EINVAL);
    cr_expect_eq(obi_rpc_register(B, "m", NULL, NULL), OB_EINVAL);
    cr_expect_eq(nwire, 0, "nothing was sent");
}

Test(ob_rpc, reply_too_big_is_told_to_the_caller, .init = setup,
     .fini = teardown)
{
    struct result r = {0};
    static char big[4000];

    nkept = 0;
    cr_assert_eq(obi_rpc_register(B, "later", m_later, NULL), OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "later", "x", 1, 0, on_done, &r, NULL),
        OB_OK);
    pump(1);
    wire_limit = 1000;
    cr_expect_eq(ob_rpc_reply(kept[0], big, sizeof big), OB_ETOOBIG);
    pump(1);
    cr_expect_eq(r.calls, 1);
    cr_expect_eq(r.code, OB_ETOOBIG);
}

Test(ob_rpc, bounce_fails_that_peers_calls, .init = setup, .fini = teardown)
{
    struct result b1 = {0}, b2 = {0}, c1 = {0};

    cr_assert_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, 0, on_done, &b1, NULL),
                 OB_OK);
    cr_assert_eq(obi_rpc_call(A, 0, "b@x", "m", "x", 1, 0, on_done, &b2, NULL),
                 OB_OK);
    cr_assert_eq(
        obi_rpc_call(A, 0, "c@x/r", "m", "x", 1, 0, on_done, &c1, NULL), OB_OK);
    while (obi_rpc_peer_gone_one(A, B_JID, "service-unavailable"))
        ;
    cr_expect_eq(b1.calls + b2.calls, 2);
    cr_expect_eq(b1.code, OB_EGONE);
    cr_expect_str_eq(b1.text, "service-unavailable");
    cr_expect_eq(c1.calls, 0, "another peer's call is untouched");
    cr_expect_eq(obi_rpc_calls(A), 1);
}

Test(ob_rpc, cancel, .init = setup, .fini = teardown)
{
    struct result r = {0};
    uint64_t id;

    cr_assert_eq(obi_rpc_call(A, 0, B_JID, "m", "x", 1, 10, on_done, &r, &id),
                 OB_OK);
    cr_expect_eq(obi_rpc_cancel(A, id), OB_OK);
    cr_expect_eq(obi_rpc_cancel(A, id), OB_ENOTFOUND);
    cr_expect(!obi_rpc_expire_one(A, 100));
    cr_expect_eq(r.calls, 0);
}

/* A result callback that calls again (re-entrancy: no list is walked). */
static void on_done_again(ob_client *c, const struct ob_rpc_result *res,
                          void *arg)
{
    int *n = arg;

    (void)c, (void)res;
    if (++*n < 3)
        cr_assert_eq(
            obi_rpc_call(A, 0, B_JID, "m", "x", 1, 5, on_done_again, n, NULL),
            OB_OK);
}

Test(ob_rpc, callbacks_may_call_again, .init = setup, .fini = teardown)
{
    int n = 0;

    cr_assert_eq(
        obi_rpc_call(A, 0, B_JID, "m", "x", 1, 5, on_done_again, &n, NULL),
        OB_OK);
    while (obi_rpc_expire_one(A, 1000))
        ;
    cr_expect_eq(n, 3);
    cr_expect_eq(obi_rpc_calls(A), 0);
}
