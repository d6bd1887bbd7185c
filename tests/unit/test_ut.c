/* test_ut.c -- unit tests of src/util: FNV-1a and splitmix64 against
 * reference values, the lower-bound search over tables of arrays and
 * keys, the string map (put, replace, delete, growth, walk, tombstones),
 * the index over a dense array (collisions, removal inside probe runs,
 * wrap-around) and the namespaces. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "ut_hash.h"
#include "ut_index.h"
#include "ut_map.h"
#include "ut_ns.h"
#include "ut_rand.h"
#include "ut_search.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- FNV-1a: the published test vectors ---- */

static const struct {
    const char *in;
    uint32_t h32;
    uint64_t h64;
} fnv[] = {
    {"", 0x811c9dc5u, 0xcbf29ce484222325ull},
    {"a", 0xe40c292cu, 0xaf63dc4c8601ec8cull},
    {"foobar", 0xbf9cf968u, 0x85944171f73967e8ull},
};

Test(ut_hash, fnv1a_vectors)
{
    for (size_t i = 0; i < N(fnv); i++) {
        size_t n = strlen(fnv[i].in);
        cr_expect_eq(ut_fnv1a32(fnv[i].in, n), fnv[i].h32, "%s", fnv[i].in);
        cr_expect_eq(ut_fnv1a32_str(fnv[i].in), fnv[i].h32, "%s", fnv[i].in);
        cr_expect_eq(ut_fnv1a64(fnv[i].in, n), fnv[i].h64, "%s", fnv[i].in);
    }
}

Test(ut_hash, bytes_past_a_nul)
{
    static const char k[] = {'a', 0, 'b'};
    cr_expect_neq(ut_fnv1a32(k, 3), ut_fnv1a32_str(k));
    cr_expect_eq(ut_fnv1a32(k, 1), ut_fnv1a32_str(k));
}

/* ---- splitmix64: Vigna's reference outputs ---- */

static const struct {
    uint64_t seed, out[3];
} mix[] = {
    {0, {0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full}},
    {1234567,
     {0x599ed017fb08fc85ull, 0x2c73f08458540fa5ull, 0x883ebce5a3f27c77ull}},
};

Test(ut_rand, splitmix64_sequences)
{
    for (size_t i = 0; i < N(mix); i++) {
        uint64_t s = mix[i].seed;
        for (size_t j = 0; j < 3; j++)
            cr_expect_eq(ut_splitmix64(&s), mix[i].out[j], "seed %llu draw %zu",
                         (unsigned long long)mix[i].seed, j);
        cr_expect_eq(s, mix[i].seed + 3 * 0x9e3779b97f4a7c15ull);
    }
}

Test(ut_rand, unit_interval)
{
    uint64_t s = 0, t = 0;
    for (int i = 0; i < 1000; i++) {
        double u = ut_splitmix64_unit(&s);
        cr_assert(u >= 0 && u < 1);
        cr_expect_eq(u, (double)(ut_splitmix64(&t) >> 11) / 9007199254740992.0);
    }
}

/* ---- lower bound ---- */

struct probe {
    const int *v;
    int key;
};

static bool int_below(const void *ctx, size_t i)
{
    const struct probe *p = ctx;
    return p->v[i] < p->key;
}

static const int sorted[] = {1, 3, 3, 3, 7, 9};

static const struct {
    size_t n;
    int key;
    size_t want;
} lb[] = {
    {0, 5, 0}, {6, 0, 0}, {6, 1, 0}, {6, 2, 1}, {6, 3, 1},
    {6, 4, 4}, {6, 7, 4}, {6, 8, 5}, {6, 9, 5}, {6, 10, 6},
    {1, 1, 0}, {1, 2, 1}, {4, 3, 1}, {4, 5, 4},
};

Test(ut_search, lower_bound_table)
{
    for (size_t i = 0; i < N(lb); i++) {
        struct probe p = {sorted, lb[i].key};
        cr_expect_eq(ut_lower_bound(lb[i].n, int_below, &p), lb[i].want,
                     "n %zu key %d", lb[i].n, lb[i].key);
    }
}

/* ---- string map ---- */

static int count_each(void *ctx, const char *key, void *value)
{
    (void)key;
    *(size_t *)ctx += (size_t)(uintptr_t)value;
    return 0;
}

static int stop_at_two(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    return (uintptr_t)value == 2 ? 42 : 0;
}

static const struct {
    char op; /* p: put, d: delete, g: get */
    const char *key;
    uintptr_t value; /* put: the value; d and g: the one expected (0: none) */
    size_t size;     /* expected afterwards */
} steps[] = {
    {'g', "a", 0, 0}, {'p', "a", 1, 1}, {'g', "a", 1, 1}, {'p', "b", 2, 2},
    {'p', "a", 3, 2}, {'g', "a", 3, 2}, {'d', "a", 3, 1}, {'d', "a", 0, 1},
    {'g', "a", 0, 1}, {'g', "b", 2, 1}, {'p', "a", 4, 2}, {'d', "zz", 0, 2},
    {'p', "", 5, 3},  {'g', "", 5, 3},
};

Test(ut_map, steps_table)
{
    ut_map *m;

    cr_assert_eq(ut_map_new(&m), UT_OK);
    for (size_t i = 0; i < N(steps); i++) {
        uintptr_t v = steps[i].value;
        switch (steps[i].op) {
        case 'p':
            cr_assert_eq(ut_map_put(m, steps[i].key, (void *)v), UT_OK);
            break;
        case 'd':
            cr_expect_eq((uintptr_t)ut_map_del(m, steps[i].key), v, "step %zu",
                         i);
            break;
        default:
            cr_expect_eq((uintptr_t)ut_map_get(m, steps[i].key), v, "step %zu",
                         i);
        }
        cr_expect_eq(ut_map_size(m), steps[i].size, "step %zu", i);
    }
    ut_map_free(m);
}

Test(ut_map, growth_churn_and_walk)
{
    ut_map *m;
    char key[16];
    size_t sum = 0;

    cr_assert_eq(ut_map_new(&m), UT_OK);
    for (uintptr_t round = 0; round < 3; round++) {
        for (uintptr_t i = 1; i <= 1000; i++) {
            snprintf(key, sizeof key, "k%lu", (unsigned long)i);
            cr_assert_eq(ut_map_put(m, key, (void *)i), UT_OK);
        }
        for (uintptr_t i = 1; i <= 1000; i += 2) { /* leaves tombstones */
            snprintf(key, sizeof key, "k%lu", (unsigned long)i);
            cr_assert_eq((uintptr_t)ut_map_del(m, key), i);
        }
    }
    cr_assert_eq(ut_map_size(m), 500);
    for (uintptr_t i = 1; i <= 1000; i++) {
        snprintf(key, sizeof key, "k%lu", (unsigned long)i);
        cr_expect_eq((uintptr_t)ut_map_get(m, key), i % 2 ? 0 : i, "%s", key);
    }
    cr_expect_eq(ut_map_each(m, count_each, &sum), 0);
    cr_expect_eq(sum, 500 * 501); /* 2 + 4 + ... + 1000 */
    cr_expect_eq(ut_map_each(m, stop_at_two, NULL), 42);
    ut_map_free(m);
    ut_map_free(NULL);
}

/* ---- index over a dense array ---- */

/* Entries are their own hashes, so the table below places them at will
 * in 8 buckets: runs that collide, wrap past the end and are cut in the
 * middle by a removal. */
struct dense {
    uint64_t h[8];
    uint32_t n;
};

static uint64_t dense_hash(const void *ctx, uint32_t i)
{
    return ((const struct dense *)ctx)->h[i];
}

static bool dense_same(const void *ctx, uint32_t i, const void *key)
{
    return ((const struct dense *)ctx)->h[i] == *(const uint64_t *)key;
}

/* Every entry of d is found where the index says, and nothing else. */
static void expect_all_found(const uint32_t *b, const struct dense *d)
{
    for (uint32_t i = 0; i < d->n; i++) {
        size_t at = ut_index_find(b, 8, d->h[i], dense_same, d, &d->h[i]);
        cr_expect_eq(b[at], i + 1, "entry %u (hash %llu)", i,
                     (unsigned long long)d->h[i]);
    }
}

/* Removes dense entry i as the users do: the last takes its place. */
static void dense_remove(uint32_t *b, struct dense *d, uint32_t i)
{
    uint64_t last = d->h[d->n - 1];

    ut_index_remove(b, 8, ut_index_find(b, 8, d->h[i], dense_same, d, &d->h[i]),
                    dense_hash, d);
    d->n--;
    if (i != d->n) {
        d->h[i] = last;
        b[ut_index_find(b, 8, last, dense_same, d, &last)] = i + 1;
    }
}

static const struct {
    uint64_t h[4]; /* entries 0 .. 3; 8 buckets, so h & 7 is the home */
    uint32_t remove;
} idx_cases[] = {
    {{1, 9, 17, 2}, 0},  /* a run of three homes at 1, then 2 displaced */
    {{1, 9, 17, 2}, 1},  /* removal in the middle of the run */
    {{7, 15, 23, 0}, 0}, /* the run wraps past the end */
    {{7, 15, 23, 0}, 2}, {{3, 4, 5, 6}, 1}, /* no collisions */
    {{6, 14, 7, 22}, 0},                    /* two runs merged */
    {{6, 14, 7, 22}, 3},
};

Test(ut_index, find_put_fill_remove_table)
{
    for (size_t c = 0; c < N(idx_cases); c++) {
        struct dense d = {.n = 4};
        uint32_t b[8] = {0}, again[8];
        for (uint32_t i = 0; i < 4; i++) {
            d.h[i] = idx_cases[c].h[i];
            cr_expect_eq(
                b[ut_index_find(b, 8, d.h[i], dense_same, &d, &d.h[i])], 0);
            ut_index_put(b, 8, d.h[i], i);
        }
        expect_all_found(b, &d);
        ut_index_fill(again, 8, d.n, dense_hash, &d);
        cr_expect_eq(memcmp(again, b, sizeof b), 0, "case %zu: fill differs",
                     c);
        dense_remove(b, &d, idx_cases[c].remove);
        expect_all_found(b, &d);
        uint64_t gone = idx_cases[c].h[idx_cases[c].remove];
        cr_expect_eq(b[ut_index_find(b, 8, gone, dense_same, &d, &gone)], 0,
                     "case %zu: the removed entry is still found", c);
        while (d.n) {
            dense_remove(b, &d, 0);
            expect_all_found(b, &d);
        }
        for (size_t i = 0; i < 8; i++)
            cr_expect_eq(b[i], 0, "case %zu: bucket %zu not emptied", c, i);
    }
}

/* ---- namespaces ---- */

Test(ut_ns, ours)
{
    cr_expect_str_eq(UT_NS_XMUC, "https://orbweb.dev/ns/xmuc/0");
    cr_expect_str_eq(UT_NS_XMUC_FIELD "title",
                     "https://orbweb.dev/ns/xmuc/0#title");
    cr_expect_str_eq(UT_NS_E2E, "https://orbweb.dev/ns/e2e/0");
    cr_expect_str_eq(UT_NS_E2E_TCP, "https://orbweb.dev/ns/e2e/tcp/0");
}
