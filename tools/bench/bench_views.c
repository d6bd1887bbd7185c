/* bench_views.c -- orbweb bench views: what a join and a leave cost each
 * view manager, from 100 to 100,000 members.
 *
 * For each manager and size N the group is built by N joins, then churned
 * in batches: B random members leave, B fresh members join (B = N/10,
 * at most 1,000), until about 20,000 operations (2,000 for complete) have
 * run.  Per join and per leave we report the process CPU time, the deltas
 * emitted (each is one presence stanza the component sends), and the
 * manager's memory divided by N.  The anchor is the complete manager
 * (XEP-0045 behaviour): its measured figure where it runs (N <= 10,000),
 * else its theory, 2(N - 1) deltas per join; the table prints the
 * ratio of each manager's deltas and time to the complete manager's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "ut_rand.h"
#include "vm.h"

static const size_t sizes[] = {100, 1000, 10000, 100000};

/* Room for src/views' registry (vm_manager_name); complete comes first
 * and anchors the others. */
#define NMAN 16
#define NSIZE (sizeof sizes / sizeof *sizes)

struct result {
    const char *manager;
    size_t n;
    double join_us, leave_us, deltas_join, deltas_leave, bytes;
    bool done;
};

static void count(void *ctx, const vm_delta *d)
{
    ++*(size_t *)ctx;
}

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct group {
    vm *v;
    vm_id *in;
    size_t nin;
    vm_id next_id;
    size_t deltas;
    uint64_t rng;
};

/* B joins of fresh ids; returns CPU microseconds. */
static double join_batch(struct group *g, size_t b)
{
    double t = cpu_now();

    for (size_t i = 0; i < b; i++) {
        if (vm_join(g->v, g->next_id, NULL))
            return -1;
        g->in[g->nin++] = g->next_id++;
    }
    return cpu_now() - t;
}

/* B leaves of members drawn at random (the draw is outside the clock). */
static double leave_batch(struct group *g, size_t b, vm_id *victims)
{
    double t;

    for (size_t i = 0; i < b; i++) {
        size_t k = ut_splitmix64(&g->rng) % g->nin;
        victims[i] = g->in[k];
        g->in[k] = g->in[--g->nin];
    }
    t = cpu_now();
    for (size_t i = 0; i < b; i++)
        if (vm_leave(g->v, victims[i]))
            return -1;
    return cpu_now() - t;
}

static int measure(const char *manager, size_t n, struct result *r)
{
    size_t b = n / 10 < 1000 ? n / 10 : 1000;
    size_t ops = strcmp(manager, "complete") ? 20000 : 2000;
    struct group g = {NULL, calloc(n + 1, sizeof(vm_id)), 0, 0, 0, 12345};
    vm_id *victims = calloc(b, sizeof *victims);
    vm_config cfg = {.emit = count, .emit_ctx = &g.deltas, .seed = 1};
    double tj = 0, tl = 0;
    size_t dj = 0, dl = 0, done = 0;
    int rc = vm_new(manager, &cfg, &g.v);

    if (!rc && (!g.in || !victims || join_batch(&g, n) < 0))
        rc = VM_ENOMEM;
    while (!rc && done < ops) {
        size_t d0 = g.deltas;
        double t = leave_batch(&g, b, victims);
        size_t d1 = g.deltas;
        double u = t < 0 ? -1 : join_batch(&g, b);
        if (t < 0 || u < 0)
            rc = VM_ENOMEM;
        tl += t;
        tj += u;
        dl += d1 - d0;
        dj += g.deltas - d1;
        done += 2 * b;
    }
    if (!rc)
        *r = (struct result){manager,
                             n,
                             tj / (done / 2),
                             tl / (done / 2),
                             (double)dj / (done / 2),
                             (double)dl / (done / 2),
                             (double)vm_memory(g.v) / n,
                             true};
    vm_free(g.v);
    free(g.in);
    free(victims);
    return rc;
}

static void print_json(const struct result *r, const char *machine)
{
    printf("{\"manager\":\"%s\",\"n\":%zu,\"join_us\":%.3f,"
           "\"leave_us\":%.3f,\"deltas_per_join\":%.2f,"
           "\"deltas_per_leave\":%.2f,\"bytes_per_member\":%.1f,"
           "\"machine\":\"%s\"}\n",
           r->manager, r->n, r->join_us, r->leave_us, r->deltas_join,
           r->deltas_leave, r->bytes, machine);
}

static void print_header(void)
{
    printf("%-10s %7s %9s %9s %8s %8s %8s  %10s %10s\n", "manager", "n",
           "join us", "leave us", "d/join", "d/leave", "B/member", "d vs cplt",
           "us vs cplt");
}

/* anchor: the complete manager at the same n (NULL: theory only). */
static void print_row(const struct result *r, const struct result *anchor)
{
    double cd = anchor ? anchor->deltas_join : 2.0 * (r->n - 1);
    char tr[32] = "-";

    if (anchor && anchor->join_us > 0)
        snprintf(tr, sizeof tr, "%.4f", r->join_us / anchor->join_us);
    printf("%-10s %7zu %9.3f %9.3f %8.2f %8.2f %8.1f  %10.5f %10s\n",
           r->manager, r->n, r->join_us, r->leave_us, r->deltas_join,
           r->deltas_leave, r->bytes, r->deltas_join / cd, tr);
}

static void flatness(const struct result *res)
{
    const struct result *lo = NULL, *hi = NULL;

    for (size_t i = 0; i < NMAN * NSIZE; i++) {
        if (!res[i].done || strcmp(res[i].manager, "rbt"))
            continue;
        if (!lo)
            lo = &res[i];
        hi = &res[i];
    }
    if (lo && hi && lo != hi)
        printf("rbt %zu -> %zu members: join time x%.2f, leave time x%.2f, "
               "deltas per join x%.2f (goal: within 2x)\n",
               lo->n, hi->n, hi->join_us / lo->join_us,
               hi->leave_us / lo->leave_us, hi->deltas_join / lo->deltas_join);
}

/* Whether this run leaves out manager name at size n: complete past 10,000
 * members (quadratic), tapbcast (it needs segments: `orbweb bench
 * groupcast` measures it), and all but only and the complete anchor. */
static bool skipped(const char *name, size_t n, const char *only)
{
    if (!strcmp(name, "complete"))
        return n > 10000;
    return !strcmp(name, "tapbcast") || (only && strcmp(only, name));
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: orbweb bench views [--json] [--max N] [--manager NAME]\n"
               "  time, deltas and memory per join and leave for every "
               "view manager\n  (--manager: that one and the complete "
               "anchor; --max: largest group size)\n");
    return rc;
}

int bench_views(int argc, char **argv)
{
    struct result res[NMAN * NSIZE] = {{0}};
    bool json = false;
    size_t max = 100000;
    const char *only = NULL;
    char machine[256];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--manager") && i + 1 < argc)
            only = argv[++i];
        else
            return usage(strcmp(argv[i], "--help") ? stderr : stdout,
                         strcmp(argv[i], "--help") ? 2 : 0);
    }
    bench_machine(machine, sizeof machine);
    if (!json) {
        bench_print_machine(stdout);
        print_header();
    }
    for (size_t s = 0; s < NSIZE && sizes[s] <= max; s++) {
        const char *name;
        for (size_t m = 0; m < NMAN && (name = vm_manager_name(m)); m++) {
            struct result *r = &res[s * NMAN + m];
            if (skipped(name, sizes[s], only))
                continue;
            if (measure(name, sizes[s], r)) {
                fprintf(stderr, "bench views: %s at %zu failed\n", name,
                        sizes[s]);
                return 1;
            }
            if (json)
                print_json(r, machine);
            else
                print_row(r, res[s * NMAN].done ? &res[s * NMAN] : NULL);
            fflush(stdout);
        }
    }
    if (!json)
        flatness(res);
    return 0;
}
