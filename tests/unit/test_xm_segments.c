/* test_xm_segments.c -- segment detection on its own: which probes leave,
 * the in-flight bound, merges on success, back-off after failure and
 * timeout, cancelled probes of departed members, verification splits,
 * and answers that do not match a probe. */
#include "config.h"

#include <criterion/criterion.h>

#include "vm.h"
#include "xm_segments.h"

struct sent {
    uint32_t id;
    vm_id asker, target;
};

static struct sent S[256];
static size_t NS;
static int refuse; /* the send callback fails */

static int on_send(void *ctx, uint32_t probe, vm_id asker, vm_id target)
{
    (void)ctx;
    cr_assert_lt(NS, 256);
    S[NS++] = (struct sent){probe, asker, target};
    return refuse;
}

static vm *V;
static xm_segments *D;

static void setup(uint32_t members, const struct xm_seg_config *over)
{
    struct xm_seg_config c = {.period_ms = 1000,
                              .timeout_ms = 3000,
                              .backoff_ms = 10000,
                              .seed = 5,
                              .send = on_send};

    if (over) {
        c = *over;
        c.send = on_send;
    }
    NS = 0;
    refuse = 0;
    cr_assert_eq(vm_tapbcast_new(NULL, &V), VM_OK);
    cr_assert_eq(xm_seg_new(&c, V, &D), XM_SEG_OK);
    cr_assert_not_null(D);
    for (vm_id i = 0; i < members; i++) {
        vm_params p = {.segment = xm_seg_fresh(D)};
        cr_assert_eq(vm_join(V, i, &p), VM_OK);
    }
}

static void teardown(void)
{
    xm_seg_free(D);
    vm_free(V);
}

static uint32_t seg(vm_id id)
{
    uint32_t s = UINT32_MAX;
    cr_assert_eq(vm_tapbcast_segment(V, id, &s), VM_OK);
    return s;
}

static vm_id rep_of(vm_id id)
{
    vm_id r = VM_ID_NONE;
    cr_assert_eq(vm_tapbcast_representative(V, seg(id), &r), VM_OK);
    return r;
}

TestSuite(xm_seg, .fini = teardown, .timeout = 300);

Test(xm_seg, fresh_segments_are_unused_ids)
{
    xm_segments *none;

    setup(3, NULL);
    cr_assert_eq(vm_tapbcast_segments(V), 3);
    cr_assert_neq(seg(0), seg(1));
    cr_assert_neq(seg(1), seg(2));
    cr_assert_eq(
        xm_seg_new(&(struct xm_seg_config){.send = on_send}, NULL, &none),
        XM_SEG_EINVAL);
    cr_assert_null(none);
}

Test(xm_seg, probes_go_between_representatives_within_the_bound)
{
    struct xm_seg_config c = {.max_inflight = 3, .seed = 9, .period_ms = 1000};
    struct xm_seg_stats st;

    setup(10, &c);
    cr_assert_eq(xm_seg_tick(D, 0), 1000);
    cr_assert_eq(NS, 3);
    for (size_t i = 0; i < NS; i++) {
        cr_assert_neq(S[i].asker, S[i].target);
        cr_assert_eq(rep_of(S[i].asker), S[i].asker);
        cr_assert_eq(rep_of(S[i].target), S[i].target);
    }
    xm_seg_tick(D, 1000); /* the table is full: nothing more */
    cr_assert_eq(NS, 3);
    xm_seg_stats(D, &st);
    cr_assert_eq(st.inflight, 3);
    cr_assert_eq(st.sent, 3);
}

Test(xm_seg, success_merges_the_segments)
{
    struct xm_seg_stats st;

    setup(2, NULL);
    xm_seg_tick(D, 0);
    cr_assert_eq(NS, 1);
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].target, true, 10),
                 XM_SEG_ENOENT, "only the asker answers");
    cr_assert_eq(xm_seg_answer(D, S[0].id + 1, S[0].asker, true, 10),
                 XM_SEG_ENOENT);
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].asker, true, 10), XM_SEG_OK);
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].asker, true, 10), XM_SEG_ENOENT,
                 "answered once");
    cr_assert_eq(vm_tapbcast_segments(V), 1);
    cr_assert_eq(seg(0), seg(1));
    cr_assert_eq(rep_of(1), 0, "the older member represents");
    xm_seg_stats(D, &st);
    cr_assert_eq(st.merges, 1);
    cr_assert_eq(st.inflight, 0);
}

Test(xm_seg, a_failed_pair_waits_for_its_backoff)
{
    setup(2, NULL); /* backoff 10 s, period 1 s */
    xm_seg_tick(D, 0);
    cr_assert_eq(NS, 1);
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].asker, false, 100), XM_SEG_OK);
    for (uint64_t t = 1000; t < 10100; t += 1000)
        xm_seg_tick(D, t);
    cr_assert_eq(NS, 1, "no retry before the backoff");
    xm_seg_tick(D, 11000);
    cr_assert_eq(NS, 2);
    cr_assert_eq(vm_tapbcast_segments(V), 2);
}

Test(xm_seg, an_unanswered_probe_times_out_and_backs_off)
{
    struct xm_seg_stats st;

    setup(2, NULL); /* timeout 3 s */
    xm_seg_tick(D, 0);
    xm_seg_tick(D, 2000);
    xm_seg_stats(D, &st);
    cr_assert_eq(st.timeouts, 0);
    xm_seg_tick(D, 3000);
    xm_seg_stats(D, &st);
    cr_assert_eq(st.timeouts, 1);
    cr_assert_eq(st.inflight, 0);
    cr_assert_eq(NS, 1, "backed off");
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].asker, true, 3100),
                 XM_SEG_ENOENT, "too late");
    cr_assert_eq(vm_tapbcast_segments(V), 2);
}

Test(xm_seg, a_member_leaving_cancels_its_probes)
{
    struct xm_seg_stats st;

    setup(2, NULL);
    xm_seg_tick(D, 0);
    xm_seg_forget(D, S[0].target);
    cr_assert_eq(vm_leave(V, S[0].target), VM_OK);
    cr_assert_eq(xm_seg_answer(D, S[0].id, S[0].asker, true, 10),
                 XM_SEG_ENOENT);
    xm_seg_stats(D, &st);
    cr_assert_eq(st.cancelled, 1);
    cr_assert_eq(st.inflight, 0);
}

Test(xm_seg, a_failed_send_is_a_failed_probe)
{
    struct xm_seg_stats st;

    setup(2, NULL);
    refuse = -1;
    xm_seg_tick(D, 0);
    xm_seg_stats(D, &st);
    cr_assert_eq(st.sent, 1);
    cr_assert_eq(st.failed, 1);
    cr_assert_eq(st.inflight, 0);
}

/* Two members merged, then only verification probes. */
static void merged_pair(void)
{
    struct xm_seg_config c = {
        .verify_every = 1, .period_ms = 1000, .timeout_ms = 3000, .seed = 1};

    setup(2, &c);
    cr_assert_eq(vm_tapbcast_merge(V, seg(1), seg(0)), VM_OK);
    xm_seg_tick(D, 0);
    cr_assert_eq(NS, 1);
    cr_assert_eq(S[0].asker, 0, "the representative verifies");
    cr_assert_eq(S[0].target, 1);
}

Test(xm_seg, a_failed_verification_splits_the_member_off)
{
    struct xm_seg_stats st;

    merged_pair();
    cr_assert_eq(xm_seg_answer(D, S[0].id, 0, false, 10), XM_SEG_OK);
    cr_assert_eq(vm_tapbcast_segments(V), 2);
    cr_assert_neq(seg(0), seg(1));
    xm_seg_stats(D, &st);
    cr_assert_eq(st.splits, 1);
}

Test(xm_seg, a_verification_timeout_changes_nothing)
{
    merged_pair();
    xm_seg_tick(D, 5000);
    cr_assert_eq(vm_tapbcast_segments(V), 1);
    cr_assert_eq(xm_seg_answer(D, S[0].id, 0, true, 10), XM_SEG_ENOENT);
}

Test(xm_seg, strerror_names_every_result)
{
    setup(0, NULL);
    cr_assert_str_eq(xm_seg_strerror(XM_SEG_ENOENT), "no such probe");
    cr_assert_str_eq(xm_seg_strerror(XM_SEG_OK), "success");
    cr_assert_str_eq(xm_seg_strerror(-99), "unknown error");
}

Test(xm_seg, a_hint_is_probed_first)
{
    struct xm_seg_config c = {.max_inflight = 1, .period_ms = 1000, .seed = 2};
    struct xm_seg_stats st;

    setup(4, &c);
    xm_seg_hint(D, 1, 7);
    xm_seg_hint(D, 2, 8);
    xm_seg_hint(D, 3, 7);
    xm_seg_hint(D, 0, 0); /* no hint */
    xm_seg_tick(D, 0);
    cr_assert_eq(NS, 1);
    cr_assert_eq(S[0].asker, 1);
    cr_assert_eq(S[0].target, 3);
    /* A hint merges nothing by itself: only the answer does. */
    cr_assert_eq(vm_tapbcast_segments(V), 4);
    cr_assert_eq(xm_seg_answer(D, S[0].id, 1, true, 10), XM_SEG_OK);
    cr_assert_eq(seg(1), seg(3));
    xm_seg_stats(D, &st);
    cr_assert_eq(st.merges, 1);
}
