/* test_vm.c -- view managers: exact deltas for small hand-checked cases
 * of every manager, the API contract (errors, re-entrancy, names), the
 * exports, and failure of the Nth allocation.  Property runs at scale
 * live in test_vm_props.c. */
#include "config.h"

#include <criterion/criterion.h>

#include "test_vm_util.h"

static struct rec R;

static vm *make(const char *type)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .seed = 42};
    vm *v = NULL;

    rec_init(&R);
    cr_assert_eq(vm_new(type, &cfg, &v), VM_OK);
    return v;
}

static const char *join(vm *v, vm_id id, const vm_params *p)
{
    rec_begin(&R);
    cr_assert_eq(vm_join(v, id, p), VM_OK, "join %u", id);
    cr_assert_eq(R.twice, 0);
    cr_assert_eq(R.bad, 0);
    cr_assert(rec_matches(&R, v));
    cr_assert_eq(vm_check(v), VM_OK);
    return rec_text(&R);
}

static const char *leave(vm *v, vm_id id)
{
    rec_begin(&R);
    cr_assert_eq(vm_leave(v, id), VM_OK, "leave %u", id);
    cr_assert_eq(R.twice, 0);
    cr_assert_eq(R.bad, 0);
    cr_assert(rec_matches(&R, v));
    cr_assert_eq(vm_check(v), VM_OK);
    return rec_text(&R);
}

static vm_params key(uint64_t k)
{
    return (vm_params){.key = k, .has_key = true};
}

static void done(vm *v)
{
    vm_free(v);
    rec_fini(&R);
}

/* Hang guards: every test is stopped after 300 s, one value for the
 * whole program (Criterion 2.4's runner leaks when tests with different
 * timeouts run in parallel). */
TestSuite(vm_complete, .timeout = 300);

Test(vm_complete, everyone_sees_everyone)
{
    vm *v = make("complete");

    cr_assert_str_eq(join(v, 1, NULL), "");
    cr_assert_str_eq(join(v, 2, NULL), "+1>2:member +2>1:member");
    cr_assert_str_eq(join(v, 3, NULL),
                     "+1>3:member +2>3:member +3>1:member +3>2:member");
    cr_assert_str_eq(leave(v, 1), "-1>2 -1>3 -2>1 -3>1");
    cr_assert_eq(vm_size(v), 2);
    done(v);
}

TestSuite(vm_blind, .timeout = 300);

Test(vm_blind, nobody_sees_anyone)
{
    vm *v = make("blind");

    cr_assert_str_eq(join(v, 1, NULL), "");
    cr_assert_str_eq(join(v, 2, NULL), "");
    cr_assert(vm_contains(v, 2));
    cr_assert_str_eq(leave(v, 2), "");
    cr_assert_eq(vm_size(v), 1);
    done(v);
}

TestSuite(vm_rbt, .timeout = 300);

/* Keys 1..5 inserted in order, then the root removed: the tree shapes
 * are worked out by hand in the comments. */
Test(vm_rbt, rotations_emit_only_real_changes)
{
    vm *v = make("rbt");
    vm_params p;

    p = key(1);
    cr_assert_str_eq(join(v, 1, &p), "");
    p = key(2); /* 1 -> right child 2 */
    cr_assert_str_eq(join(v, 2, &p), "+1>2:tree +2>1:tree");
    p = key(3); /* rotation: 2 is root, children 1 and 3; 1-2 stays */
    cr_assert_str_eq(join(v, 3, &p), "+2>3:tree +3>2:tree");
    p = key(4); /* recolouring only: 4 under 3 */
    cr_assert_str_eq(join(v, 4, &p), "+3>4:tree +4>3:tree");
    p = key(5); /* rotation at 3: 4 under 2 with children 3 and 5 */
    cr_assert_str_eq(join(v, 5, &p), "-2>3 +2>4:tree -3>2 +4>2:tree "
                                     "+4>5:tree +5>4:tree");
    /* 2 leaves: its successor 3 takes its place, under no fixup. */
    cr_assert_str_eq(leave(v, 2), "-1>2 +1>3:tree -2>1 -2>4 +3>1:tree -4>2");
    done(v);
}

Test(vm_rbt, view_size_bounds_the_view)
{
    vm *v = make("rbt");
    vm_params small = {.view_size = 1}, big = {.view_size = 9};
    vm_edge e[16];
    size_t n;

    for (vm_id i = 0; i < 40; i++)
        join(v, i, i % 3 ? NULL : (i % 2 ? &small : &big));
    for (vm_id i = 0; i < 40; i++) {
        cr_assert_eq(vm_view(v, i, e, 16, &n), VM_OK);
        cr_assert_leq(n, i % 3 ? 3 : (i % 2 ? 1 : 9));
        cr_assert_geq(n, 1);
    }
    done(v);
}

TestSuite(vm_ring, .timeout = 300);

Test(vm_ring, predecessor_and_successor)
{
    vm *v = make("ring");
    vm_params p;

    p = key(10);
    cr_assert_str_eq(join(v, 1, &p), "");
    p = key(20);
    cr_assert_str_eq(join(v, 2, &p),
                     "+1>2:ring-next,ring-prev +2>1:ring-next,ring-prev");
    p = key(30); /* ring 1 -> 2 -> 3 -> 1 */
    cr_assert_str_eq(join(v, 3, &p),
                     "+1>2:ring-next +1>3:ring-prev +2>1:ring-prev "
                     "+2>3:ring-next +3>1:ring-next +3>2:ring-prev");
    p = key(15); /* between 1 and 2 */
    cr_assert_str_eq(join(v, 4, &p), "-1>2 +1>4:ring-next -2>1 "
                                     "+2>4:ring-prev +4>1:ring-prev "
                                     "+4>2:ring-next");
    cr_assert_str_eq(leave(v, 4), "+1>2:ring-next -1>4 +2>1:ring-prev "
                                  "-2>4 -4>1 -4>2");
    done(v);
}

/* A custom order: descending keys. */
static int desc(void *ctx, vm_id a, uint64_t ka, vm_id b, uint64_t kb)
{
    return ka > kb ? -1 : ka < kb;
}

Test(vm_ring, custom_order)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .order = desc};
    vm *v;
    vm_edge e[2];
    size_t n;

    rec_init(&R);
    cr_assert_eq(vm_ring_new(&cfg, &v), VM_OK);
    for (vm_id i = 1; i <= 4; i++) {
        vm_params p = key(i);
        join(v, i, &p);
    }
    /* order 4 3 2 1: the successor of 3 is 2, of 1 is 4 */
    cr_assert_eq(vm_view(v, 3, e, 2, &n), VM_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(e[0].subject, 2);
    cr_assert_eq(e[0].attrs, VM_ATTR_RING_NEXT);
    cr_assert_eq(vm_view(v, 1, e, 2, &n), VM_OK);
    cr_assert_eq(e[1].subject, 4);
    cr_assert_eq(e[1].attrs, VM_ATTR_RING_NEXT);
    done(v);
}

/* vm_config.attr is added to the ring's own attributes. */
Test(vm_ring, configured_attribute)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .attr = VM_ATTR_LEADER};
    vm *v;
    vm_params p;

    rec_init(&R);
    cr_assert_eq(vm_ring_new(&cfg, &v), VM_OK);
    p = key(10);
    cr_assert_str_eq(join(v, 1, &p), "");
    p = key(20);
    cr_assert_str_eq(join(v, 2, &p), "+1>2:ring-next,ring-prev,leader "
                                     "+2>1:ring-next,ring-prev,leader");
    p = key(30);
    cr_assert_str_eq(join(v, 3, &p),
                     "+1>2:ring-next,leader +1>3:ring-prev,leader "
                     "+2>1:ring-prev,leader +2>3:ring-next,leader "
                     "+3>1:ring-next,leader +3>2:ring-prev,leader");
    cr_assert_str_eq(leave(v, 2), "-1>2 +1>3:ring-next,ring-prev,leader "
                                  "-2>1 -2>3 +3>1:ring-next,ring-prev,leader "
                                  "-3>2");
    done(v);
}

TestSuite(vm_random, .timeout = 300);

Test(vm_random, small_groups_are_complete_and_netted)
{
    vm *v = make("random");

    cr_assert_str_eq(join(v, 1, NULL), "");
    cr_assert_str_eq(join(v, 2, NULL), "+1>2:gossip +2>1:gossip");
    /* degree 2 = |G| - 1: everyone; redirections net out */
    cr_assert_str_eq(join(v, 3, NULL), "+1>3:gossip +2>3:gossip "
                                       "+3>1:gossip +3>2:gossip");
    cr_assert_str_eq(leave(v, 3), "-1>3 -2>3 -3>1 -3>2");
    done(v);
}

Test(vm_random, configured_degree_and_repair)
{
    vm *v = make("random");
    vm_params p = {.degree = 3};
    vm_edge e[64];
    size_t n;

    for (vm_id i = 0; i < 50; i++)
        join(v, i, i == 7 ? &p : NULL);
    cr_assert_eq(vm_view(v, 7, e, 64, &n), VM_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(vm_view(v, 8, e, 64, &n), VM_OK);
    cr_assert_eq(n, 6); /* ceil(log2 50) */
    leave(v, e[0].subject);
    cr_assert_eq(vm_view(v, 8, e, 64, &n), VM_OK);
    cr_assert_eq(n, 6);
    done(v);
}

TestSuite(vm_composite, .timeout = 300);

Test(vm_composite, edges_are_merged_and_netted)
{
    vm *v = make("treegossip");

    cr_assert_str_eq(vm_name(v), "treegossip");
    cr_assert_eq(vm_composite_children(v), 2);
    cr_assert_str_eq(join(v, 1, NULL), "");
    cr_assert_str_eq(join(v, 2, NULL), "+1>2:tree,gossip +2>1:tree,gossip");
    cr_assert_str_eq(leave(v, 2), "-1>2 -2>1");
    done(v);
}

/* Two rings: an edge both hold is seen once and unseen only when neither
 * holds it. */
static int two_init(vm *self, void *state)
{
    int rc = vm_composite_add(self, "ring", NULL, NULL);
    return rc ? rc : vm_composite_add(self, "ring", NULL, NULL);
}

static int two_join(vm *self, void *state, vm_id id, const vm_params *p)
{
    int rc = vm_composite_join(self, 0, id, p);
    return rc || id == 4 ? rc : vm_composite_join(self, 1, id, p);
}

static const vm_composition two_rings = {
    .name = "two-rings", .init = two_init, .join = two_join};

Test(vm_composite, reference_counts)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R};
    vm *v;

    rec_init(&R);
    cr_assert_eq(vm_composite_new(&cfg, &two_rings, &v), VM_OK);
    join(v, 1, NULL);
    cr_assert_str_eq(join(v, 2, NULL),
                     "+1>2:ring-next,ring-prev +2>1:ring-next,ring-prev");
    join(v, 3, NULL);
    /* 4 joins ring 0 only.  Ring 0 becomes 1 2 3 4; ring 1 stays 1 2 3
     * and keeps 3->1 (next) and 1->3 (prev), so those pairs lose one
     * holder but stay seen with unchanged attributes: no delta. */
    cr_assert_str_eq(join(v, 4, NULL), "+1>4:ring-prev +3>4:ring-next "
                                       "+4>1:ring-next +4>3:ring-prev");
    cr_assert_str_eq(leave(v, 4), "-1>4 -3>4 -4>1 -4>3");
    done(v);
}

/* A composition of a ring and a treegossip (itself a composition). */
static int nest_init(vm *self, void *state)
{
    int rc = vm_composite_add(self, "ring", NULL, NULL);
    return rc ? rc : vm_composite_add(self, "treegossip", NULL, NULL);
}

static int nest_join(vm *self, void *state, vm_id id, const vm_params *p)
{
    int rc = vm_composite_join(self, 0, id, p);
    return rc ? rc : vm_composite_join(self, 1, id, p);
}

static const vm_composition nested = {
    .name = "nested", .init = nest_init, .join = nest_join, .make = vm_new};
static const vm_composition nested_plain_only = {
    .name = "nested", .init = nest_init, .join = nest_join};

Test(vm_composite, nests_compositions_through_make)
{
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R};
    vm *v;

    rec_init(&R);
    cr_assert_eq(vm_composite_new(&cfg, &nested_plain_only, &v), VM_EINVAL,
                 "without make, only the plain managers are children");
    cr_assert_eq(vm_composite_new(&cfg, &nested, &v), VM_OK);
    cr_assert_eq(vm_composite_children(v), 2);
    cr_assert_str_eq(vm_name(vm_composite_child(v, 1)), "treegossip");
    join(v, 1, NULL);
    cr_assert_str_eq(join(v, 2, NULL), "+1>2:tree,gossip,ring-next,ring-prev "
                                       "+2>1:tree,gossip,ring-next,ring-prev");
    join(v, 3, NULL);
    leave(v, 2);
    done(v);
}

static void reenter(void *ctx, const vm_delta *d)
{
    vm **v = ctx;
    cr_assert_eq(vm_join(*v, 99, NULL), VM_EBUSY);
    cr_assert_eq(vm_leave(*v, 1), VM_EBUSY);
}

TestSuite(vm_api, .timeout = 300);

Test(vm_api, errors)
{
    vm *v;
    vm_config cfg = {.emit = reenter, .emit_ctx = &v};
    vm_params big = {.view_size = VM_VIEW_SIZE_MAX + 1};

    cr_assert_eq(vm_new("nope", NULL, &v), VM_EINVAL);
    cr_assert_eq(vm_new("rbt", &cfg, &v), VM_OK);
    cr_assert_eq(vm_join(v, VM_ID_NONE, NULL), VM_EINVAL);
    cr_assert_eq(vm_join(v, 1, &big), VM_EINVAL);
    cr_assert_eq(vm_join(v, 1, NULL), VM_OK);
    cr_assert_eq(vm_join(v, 1, NULL), VM_EEXIST);
    cr_assert_eq(vm_join(v, 2, NULL), VM_OK); /* sink re-enters */
    cr_assert_eq(vm_leave(v, 3), VM_ENOENT);
    cr_assert_eq(vm_view_each(v, 3, NULL, NULL), VM_EINVAL);
    cr_assert_eq(vm_composite_add(v, "rbt", NULL, NULL), VM_EINVAL);
    cr_assert_str_eq(vm_strerror(VM_ENOMEM), "out of memory");
    cr_assert_str_eq(vm_strerror(12345), "unknown error");
    vm_free(v);
}

Test(vm_api, attribute_names)
{
    char buf[64];

    cr_assert_str_eq(vm_attr_name(VM_ATTR_TREE), "tree");
    cr_assert_str_eq(vm_attr_name(VM_ATTR_FINGER(3)), "finger-3");
    cr_assert_null(vm_attr_name(VM_ATTR_TREE | VM_ATTR_GOSSIP));
    cr_assert_null(vm_attr_name(1u << 7));
    cr_assert_eq(vm_attr_parse("ring-prev"), VM_ATTR_RING_PREV);
    cr_assert_eq(vm_attr_parse("finger-23"), VM_ATTR_FINGER(23));
    cr_assert_eq(vm_attr_parse("bogus"), 0);
    cr_assert_eq(
        vm_attrs_format(VM_ATTR_TREE | VM_ATTR_GOSSIP, buf, sizeof buf), 11);
    cr_assert_str_eq(buf, "tree,gossip");
    cr_assert_eq(vm_attrs_format(VM_ATTR_TREE | VM_ATTR_GOSSIP, buf, 5), 11);
    cr_assert_str_eq(buf, "tree");
}

struct sbuf {
    char s[4096];
    size_t n;
};

static int sbuf_write(void *ctx, const char *buf, size_t len)
{
    struct sbuf *b = ctx;

    if (b->n + len >= sizeof b->s)
        return -1;
    memcpy(b->s + b->n, buf, len);
    b->n += len;
    b->s[b->n] = '\0';
    return 0;
}

TestSuite(vm_export, .timeout = 300);

Test(vm_export, json_and_dot)
{
    vm *v = make("ring");
    struct sbuf b = {{0}, 0};

    for (vm_id i = 1; i <= 3; i++)
        join(v, i, NULL);
    cr_assert_eq(vm_export(v, VM_FORMAT_JSON, sbuf_write, &b), VM_OK);
    cr_assert_str_eq(b.s,
                     "{\"manager\":\"ring\",\"members\":[1,2,3],\"edges\":[\n"
                     "{\"from\":1,\"to\":2,\"attrs\":[\"ring-next\"]},\n"
                     "{\"from\":1,\"to\":3,\"attrs\":[\"ring-prev\"]},\n"
                     "{\"from\":2,\"to\":1,\"attrs\":[\"ring-prev\"]},\n"
                     "{\"from\":2,\"to\":3,\"attrs\":[\"ring-next\"]},\n"
                     "{\"from\":3,\"to\":1,\"attrs\":[\"ring-next\"]},\n"
                     "{\"from\":3,\"to\":2,\"attrs\":[\"ring-prev\"]}]}\n");
    b.n = 0;
    cr_assert_eq(vm_export(v, VM_FORMAT_DOT, sbuf_write, &b), VM_OK);
    cr_assert(strstr(b.s, "digraph \"ring\""));
    cr_assert(strstr(b.s, "1 -> 2 [color=firebrick, class=\"ring-next\"]"));
    leave(v, 3);
    b.n = 0;
    cr_assert_eq(vm_export(v, VM_FORMAT_DOT, sbuf_write, &b), VM_OK);
    cr_assert(strstr(b.s, "1 -> 2 [color=firebrick, "
                          "class=\"ring-next,ring-prev\", dir=both]"));
    cr_assert_null(strstr(b.s, "2 -> 1"));
    cr_assert_eq(vm_export(v, 7, sbuf_write, &b), VM_EINVAL);
    done(v);
}

/* ---- failing the Nth allocation ---- */

struct failing {
    long left; /* allocations until the failure; < 0 never */
    long failed;
    bool once; /* only the Nth fails (else the Nth and all later ones) */
};

static void *f_realloc(void *ctx, void *p, size_t n)
{
    struct failing *f = ctx;

    if (f->left == 0) {
        f->failed++;
        if (f->once)
            f->left = -1;
        return NULL;
    }
    if (f->left > 0)
        f->left--;
    return realloc(p, n);
}

static void f_free(void *ctx, void *p)
{
    free(p);
}

/* Runs a churn sequence with the Nth allocation failing (`once`: only
 * that one); every result must be OK or ENOMEM, and the views must stay
 * consistent.  With `once`, every operation after the failing one must
 * succeed: nothing sticks.  Returns whether the failure was reached. */
static bool churn_failing(const char *type, long nth, bool once)
{
    struct failing f = {nth, 0, once};
    vm_allocator a = {f_realloc, f_free, &f};
    vm_config cfg = {.emit = rec_emit, .emit_ctx = &R, .alloc = &a, .seed = 7};
    vm *v = NULL;
    long fail_op = -1;
    int rc;

    rec_init(&R);
    rc = vm_new(type, &cfg, &v);
    cr_assert(rc == VM_OK || rc == VM_ENOMEM);
    for (unsigned i = 0; v && i < 120; i++) {
        vm_id id = (i * 7) % 41;
        vm_params p = {.view_size = 1 + i % 7, .degree = i % 5};
        rec_begin(&R);
        rc = vm_contains(v, id) ? vm_leave(v, id) : vm_join(v, id, &p);
        cr_assert(rc == VM_OK || rc == VM_ENOMEM, "%s nth %ld: %s", type, nth,
                  vm_strerror(rc));
        if (f.failed && fail_op < 0)
            fail_op = i;
        else if (once && fail_op >= 0)
            cr_assert_eq(rc, VM_OK, "%s nth %ld op %u: %s after op %ld", type,
                         nth, i, vm_strerror(rc), fail_op);
        if (rc == VM_ENOMEM && vm_check(v) == VM_ECORRUPT && !once &&
            !strcmp(type, "treegossip"))
            break; /* a composite that cannot resync: still failing */
        cr_assert(rec_matches(&R, v), "%s nth %ld op %u", type, nth, i);
        cr_assert_eq(vm_check(v), VM_OK, "%s nth %ld op %u", type, nth, i);
    }
    vm_free(v);
    rec_fini(&R);
    return f.failed > 0;
}

/* Fails every position in turn for every manager type. */
static void churn_all(bool once)
{
    static const char *types[] = {"complete", "blind",  "rbt",
                                  "ring",     "random", "treegossip"};

    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        long nth = 0;
        while (churn_failing(types[t], nth, once))
            nth++;
        cr_assert_gt(nth, 3, "%s", types[t]);
    }
}

TestSuite(vm_alloc, .timeout = 300);

Test(vm_alloc, every_allocation_may_fail)
{
    churn_all(false);
}

/* One failed allocation leaves no trace: in particular a composite whose
 * own bookkeeping failed rebuilds it from its children (resync) within
 * the operation, and every later operation succeeds. */
Test(vm_alloc, one_failure_does_not_stick)
{
    churn_all(true);
}

static int export_write(void *ctx, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ctx) == len ? 0 : -1;
}

/* The first key given is the member's key; the JSON export carries it
 * (also through a composite: treegossip's rbt child), and tapbcast's
 * segments. */
Test(vm_rbt, keys_for_pictures)
{
    vm_params p = {.key = 0x9f3a1c2e00000001ull, .has_key = true};
    vm *r, *tg, *tap, *c;
    uint64_t key = 0;
    char *json = NULL;
    size_t len = 0;
    FILE *f;

    cr_assert_eq(vm_rbt_new(NULL, &r), VM_OK);
    cr_assert_eq(vm_complete_new(NULL, &c), VM_OK);
    cr_assert_eq(vm_new("treegossip", NULL, &tg), VM_OK);
    cr_assert_eq(vm_new("tapbcast", NULL, &tap), VM_OK);
    cr_assert_eq(vm_join(r, 5, &p), VM_OK);
    cr_assert_eq(vm_join(c, 5, NULL), VM_OK);
    cr_assert_eq(vm_join(tg, 5, &p), VM_OK);
    p.segment = 77;
    cr_assert_eq(vm_join(tap, 5, &p), VM_OK);
    cr_expect_eq(vm_rbt_key(r, 5, &key), VM_OK);
    cr_expect_eq(key, 0x9f3a1c2e00000001ull);
    cr_expect_eq(vm_rbt_key(r, 6, &key), VM_ENOENT);
    cr_expect_eq(vm_rbt_key(c, 5, &key), VM_EINVAL);
    cr_expect_eq(vm_rbt_key(tg, 5, &key), VM_EINVAL, "not itself an rbt");
    cr_assert((f = open_memstream(&json, &len)));
    cr_assert_eq(vm_export(tg, VM_FORMAT_JSON, export_write, f), VM_OK);
    cr_assert_eq(vm_export(tap, VM_FORMAT_JSON, export_write, f), VM_OK);
    cr_assert_eq(vm_export(c, VM_FORMAT_JSON, export_write, f), VM_OK);
    fclose(f);
    cr_expect(strstr(json, "],\"keys\":{\"5\":\"9f3a1c2e00000001\"}}\n"), "%s",
              json);
    cr_expect(strstr(json, "\"segments\":{\"5\":77}}\n"), "%s", json);
    cr_expect(strstr(json, "\"edges\":[]}\n"), "complete: no keys: %s", json);
    free(json);
    vm_free(r);
    vm_free(c);
    vm_free(tg);
    vm_free(tap);
}
