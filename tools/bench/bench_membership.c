/* bench_membership.c -- orbweb bench membership: Fig. 16 of the Orbweb
 * paper on this machine.
 *
 * (a) For each system -- the XMPP server's own MUC (the anchor), xmucd
 * with the complete view, xmucd with the red-black tree view (s = 3) -- a
 * room is grown to N members; at each N, once the room is quiet, one
 * extra member joins and leaves for a number of cycles, and we report per
 * cycle the CPU time of the server process and of xmucd (utime + stime
 * from /proc/PID/stat), and the stanzas and bytes every client received
 * (sizes on the wire).  One room per system grows through the sizes, so
 * filling the anchor's room (quadratic in N) is paid once; each system
 * gets a fresh server, so nothing left over from one perturbs the next.
 *
 * (b) Churn: in the tree-view room, every member leaves and joins again
 * once per period (15 s), spread evenly; we report CPU per second.
 *
 * The clients are one bench_peers pool (thousands of sockets in this
 * process); it must not be a timed test. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_peers.h"
#include "cli.h"
#include "hs_proc.h"
#include "hs_server.h"

enum { SYS_MUC, SYS_COMPLETE, SYS_RBT, NSYS };

static const int sizes[] = {16, 64, 256, 640, 1024, 2000, 5000, 10000};
#define NSIZE (sizeof sizes / sizeof sizes[0])
#define MAX_STD_N 1024 /* the anchor and the complete view stop here */
#define CHURN_MAX_N 5000

struct point {
    bool done;
    int n, cycles;
    double server_ms, xmucd_ms, kb, stanzas; /* per cycle */
};

struct churn {
    bool done;
    int n;
    double seconds, server_ms, xmucd_ms, kb, stanzas, joins; /* per second */
};

struct opts {
    enum hs_kind kind;
    bool json, quick, churn;
    int max_n, cycles, in_flight, joins_in_flight;
    double churn_period_s, churn_window_s;
    bool run[NSYS];
    const char *machine;
};

static const char *sys_name(const struct opts *o, int sys)
{
    switch (sys) {
    case SYS_MUC:
        return o->kind == HS_EJABBERD ? "ejabberd-muc" : "prosody-muc";
    case SYS_COMPLETE: return "xmucd-complete";
    default: return "xmucd-rbt";
    }
}

/* ---- one system -------------------------------------------------------- */

struct run {
    const struct opts *o;
    int sys;
    const char *name;
    bp_pool *pool;
    int server_pid, xmucd_pid;
    char room[128], extra[160];
    /* step state */
    int target, next_member;
    double t0, last_report;
    /* quiescence */
    uint64_t q_stanzas;
    double q_cpu, q_since;
    int q_quiet;
    double snap_cpu_server, snap_cpu_xmucd;
    struct bp_counters snap_c;
    /* churn */
    double churn_start;
    long churn_k;
    int churn_ops;
};

static bool logins_done(void *ud)
{
    struct run *r = ud;
    int size = bp_pool_size(r->pool);
    int done = bp_pool_ready(r->pool) + bp_pool_failed(r->pool);
    double t = bench_now_s();

    if (t - r->last_report >= 2) {
        fprintf(stderr, "[%s] logins: %d of %d ready (%.0f s)\n", r->name,
                bp_pool_ready(r->pool), size, t - r->t0);
        r->last_report = t;
    }
    return done >= size;
}

static int ensure_peers(struct run *r, int n)
{
    int have = bp_pool_size(r->pool);

    if (n <= have)
        return 0;
    r->t0 = r->last_report = bench_now_s();
    if (bp_pool_add(r->pool, n - have) < 0) {
        fprintf(stderr, "bench membership: out of memory for %d peers\n", n);
        return -1;
    }
    bp_pool_run_until(r->pool, logins_done, r, 0);
    if (bp_pool_failed(r->pool)) {
        fprintf(stderr, "bench membership: %d of %d logins failed: %s\n",
                bp_pool_failed(r->pool), n, bp_pool_last_error(r->pool));
        return -1;
    }
    return 0;
}

/* Members are peers 1..n; peer 0 is the cycling member. */
static bool fill_step(void *ud)
{
    struct run *r = ud;
    int joined = bp_pool_count_room(r->pool, BP_ROOM_JOINED);
    int joining = bp_pool_count_room(r->pool, BP_ROOM_JOINING);
    double t = bench_now_s();

    if (bp_pool_count_room(r->pool, BP_ROOM_ERROR))
        return true;
    while (r->next_member <= r->target && joining < r->o->joins_in_flight) {
        bp_peer *p = bp_pool_peer(r->pool, r->next_member);
        char nick[32];
        snprintf(nick, sizeof nick, "m%d", r->next_member);
        if (bp_join(p, r->room, nick, r->extra[0] ? r->extra : NULL) == 0)
            joining++;
        r->next_member++;
    }
    if (t - r->last_report >= 2) {
        fprintf(stderr, "[%s] filling: %d of %d joined (%.0f s)\n", r->name,
                joined, r->target, t - r->t0);
        r->last_report = t;
    }
    return joined >= r->target;
}

/* Quiet: no stanza received and at most one clock tick of server-side CPU
 * over 3 samples 100 ms apart.  The snapshot is taken when the quiet run
 * began, so the idle time spent proving it is not counted. */
static bool quiet_step(void *ud)
{
    struct run *r = ud;
    double t = bench_now_s();
    uint64_t st = bp_pool_counters(r->pool).stanzas;
    double cs = bench_cpu_ms(r->server_pid), cx = bench_cpu_ms(r->xmucd_pid);
    double tick = 1000.0 / (double)sysconf(_SC_CLK_TCK);

    if (t - r->q_since < 0.1)
        return false;
    r->q_since = t;
    if (st == r->q_stanzas && cs + cx - r->q_cpu <= tick + 0.001) {
        r->q_quiet++;
    } else {
        r->q_quiet = 0;
        r->snap_cpu_server = cs;
        r->snap_cpu_xmucd = cx;
        r->snap_c = bp_pool_counters(r->pool);
    }
    r->q_stanzas = st;
    r->q_cpu = cs + cx;
    return r->q_quiet >= 3;
}

static void wait_quiet(struct run *r)
{
    r->q_stanzas = bp_pool_counters(r->pool).stanzas;
    r->snap_c = bp_pool_counters(r->pool);
    r->snap_cpu_server = bench_cpu_ms(r->server_pid);
    r->snap_cpu_xmucd = bench_cpu_ms(r->xmucd_pid);
    r->q_cpu = r->snap_cpu_server + r->snap_cpu_xmucd;
    r->q_since = bench_now_s();
    r->q_quiet = 0;
    bp_pool_run_until(r->pool, quiet_step, r, 0);
}

static int grow(struct run *r, int n)
{
    if (ensure_peers(r, n + 1) < 0)
        return -1;
    r->target = n;
    if (r->next_member < 1)
        r->next_member = 1;
    r->t0 = r->last_report = bench_now_s();
    bp_pool_run_until(r->pool, fill_step, r, 0);
    if (bp_pool_count_room(r->pool, BP_ROOM_ERROR)) {
        fprintf(stderr, "bench membership: %s refused a join\n", r->name);
        return -1;
    }
    fprintf(stderr, "[%s] %d members joined in %.1f s; settling\n", r->name, n,
            bench_now_s() - r->t0);
    wait_quiet(r);
    return 0;
}

static bool cycler_in(void *ud)
{
    bp_peer *p = ud;
    enum bp_room s = bp_peer_room(p);
    return s == BP_ROOM_JOINED || s == BP_ROOM_ERROR ||
           bp_peer_state(p) != BP_READY;
}

static bool cycler_out(void *ud)
{
    bp_peer *p = ud;
    enum bp_room s = bp_peer_room(p);
    return s == BP_ROOM_NONE || s == BP_ROOM_ERROR ||
           bp_peer_state(p) != BP_READY;
}

static int cycles(struct run *r, struct point *pt)
{
    bp_peer *c = bp_pool_peer(r->pool, 0);
    double s0 = r->snap_cpu_server, x0 = r->snap_cpu_xmucd;
    struct bp_counters c0 = r->snap_c;
    double t0 = bench_now_s();
    /* --cycles is a minimum: cheap systems cycle on until 0.5 s of
     * server-side CPU (50 clock ticks) or 10 s (2 s with --quick) */
    double max_s = r->o->quick ? 2 : 10;
    int k = 0;

    for (;;) {
        bool enough = k >= r->o->cycles &&
                      (bench_cpu_ms(r->server_pid) +
                               bench_cpu_ms(r->xmucd_pid) - s0 - x0 >=
                           500 ||
                       bench_now_s() - t0 >= max_s || k >= 100 * r->o->cycles);
        if (enough)
            break;
        if (bp_join(c, r->room, "cycler", r->extra[0] ? r->extra : NULL) < 0)
            return -1;
        bp_pool_run_until(r->pool, cycler_in, c, 0);
        if (bp_peer_room(c) != BP_ROOM_JOINED) {
            fprintf(stderr,
                    "bench membership: the cycling member could not "
                    "join %s: %s\n",
                    r->room, bp_peer_error(c));
            return -1;
        }
        bp_leave(c);
        bp_pool_run_until(r->pool, cycler_out, c, 0);
        k++;
    }
    wait_quiet(r);
    pt->cycles = k;
    pt->server_ms = (r->snap_cpu_server - s0) / k;
    pt->xmucd_ms = (r->snap_cpu_xmucd - x0) / k;
    pt->kb = (double)(r->snap_c.bytes - c0.bytes) / 1024.0 / k;
    pt->stanzas = (double)(r->snap_c.stanzas - c0.stanzas) / k;
    pt->done = true;
    return 0;
}

static bool churn_step(void *ud)
{
    struct run *r = ud;
    double t = bench_now_s();
    double period = r->o->churn_period_s;
    int n = r->target;

    /* action k is due at start + k * period / n, for member 1 + k % n */
    while (r->churn_start + (double)r->churn_k * period / n <= t) {
        bp_peer *p = bp_pool_peer(r->pool, 1 + (int)(r->churn_k % n));
        if (bp_peer_room(p) == BP_ROOM_JOINED) {
            bp_set_rejoin(p, true);
            bp_leave(p);
            r->churn_ops++;
        }
        r->churn_k++;
    }
    return t - r->churn_start >= r->o->churn_window_s;
}

static bool all_back(void *ud)
{
    struct run *r = ud;

    /* a member whose leave was in flight when churn stopped is out */
    for (int i = 1; i <= r->target; i++) {
        bp_peer *p = bp_pool_peer(r->pool, i);
        char nick[32];
        snprintf(nick, sizeof nick, "m%d", i);
        if (bp_peer_room(p) == BP_ROOM_NONE)
            bp_join(p, r->room, nick, r->extra[0] ? r->extra : NULL);
    }
    return bp_pool_count_room(r->pool, BP_ROOM_JOINED) >= r->target ||
           bp_pool_count_room(r->pool, BP_ROOM_ERROR);
}

static int churn(struct run *r, struct churn *ch)
{
    double s0 = bench_cpu_ms(r->server_pid), x0 = bench_cpu_ms(r->xmucd_pid);
    struct bp_counters c0 = bp_pool_counters(r->pool);
    double secs;
    struct bp_counters c1;

    fprintf(stderr,
            "[%s] churn at %d members: each leaves and rejoins every "
            "%.0f s, for %.0f s\n",
            r->name, r->target, r->o->churn_period_s, r->o->churn_window_s);
    r->churn_start = bench_now_s();
    r->churn_k = 0;
    r->churn_ops = 0;
    bp_pool_run_until(r->pool, churn_step, r, 0);
    secs = bench_now_s() - r->churn_start;
    c1 = bp_pool_counters(r->pool);
    ch->n = r->target;
    ch->seconds = secs;
    ch->server_ms = (bench_cpu_ms(r->server_pid) - s0) / secs;
    ch->xmucd_ms = (bench_cpu_ms(r->xmucd_pid) - x0) / secs;
    ch->kb = (double)(c1.bytes - c0.bytes) / 1024.0 / secs;
    ch->stanzas = (double)(c1.stanzas - c0.stanzas) / secs;
    ch->joins = r->churn_ops / secs;
    ch->done = true;
    for (int i = 1; i <= r->target; i++)
        bp_set_rejoin(bp_pool_peer(r->pool, i), false);
    bp_pool_run_until(r->pool, all_back, r, 60000);
    wait_quiet(r);
    return 0;
}

static void print_point_json(const char *sys, const struct point *p,
                             const char *machine)
{
    printf("{\"system\":\"%s\",\"n\":%d,\"cycles\":%d,"
           "\"server_cpu_ms_per_cycle\":%.3f,\"xmucd_cpu_ms_per_cycle\":%.3f,"
           "\"kb_per_cycle\":%.3f,\"stanzas_per_cycle\":%.1f,"
           "\"machine\":\"%s\"}\n",
           sys, p->n, p->cycles, p->server_ms, p->xmucd_ms, p->kb, p->stanzas,
           machine);
    fflush(stdout);
}

static void print_point_row(const char *sys, const struct point *p)
{
    printf("%-15s %6d %7d %12.2f %12.2f %12.2f %10.1f %12.2f\n", sys, p->n,
           p->cycles, p->server_ms, p->xmucd_ms, p->server_ms + p->xmucd_ms,
           p->stanzas, p->kb);
    fflush(stdout);
}

static int run_system(const struct opts *o, int sys, long nofile,
                      struct point *pts, struct churn *chs,
                      struct event_base *base)
{
    struct run r = {.o = o, .sys = sys, .name = sys_name(o, sys)};
    struct bench_system bs;
    int rc = 0;
    int max_std = sys == SYS_RBT ? 1 << 30 : MAX_STD_N;

    if (bench_system_start(&bs, o->kind, sys != SYS_MUC, r.name) < 0)
        return -1;
    r.server_pid = bs.server_pid;
    r.xmucd_pid = bs.xmucd_pid;
    snprintf(r.room, sizeof r.room, "fig16@%s",
             sys == SYS_MUC ? hs_server_muc(bs.srv)
                            : hs_server_component(bs.srv));
    if (sys == SYS_COMPLETE)
        snprintf(
            r.extra, sizeof r.extra,
            "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='complete'/>");
    else if (sys == SYS_RBT)
        snprintf(r.extra, sizeof r.extra,
                 "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='rbt' "
                 "view-size='3'/>");
    if (bp_pool_new(base,
                    &(struct bp_config){.host = hs_server_host(bs.srv),
                                        .port = hs_server_c2s_port(bs.srv),
                                        .domain = hs_server_anon_domain(bs.srv),
                                        .max_in_flight = o->in_flight},
                    &r.pool) != BP_OK) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < NSIZE && rc == 0; i++) {
        int n = sizes[i];
        struct point *pt = &pts[sys * NSIZE + i];
        if (n > o->max_n || n > max_std || (o->quick && n > 256))
            continue;
        if (n + 1 + 64 > nofile) {
            fprintf(stderr,
                    "bench membership: N = %d needs about %d open "
                    "files in this process but the limit is %ld "
                    "(ulimit -Hn): skipped\n",
                    n, n + 65, nofile);
            break;
        }
        if (grow(&r, n) < 0 || cycles(&r, pt) < 0) {
            rc = -1;
            break;
        }
        pt->n = n;
        if (o->json)
            print_point_json(r.name, pt, o->machine);
        else
            print_point_row(r.name, pt);
        if (sys == SYS_RBT && o->churn && n <= CHURN_MAX_N &&
            (o->quick ? (i + 1 == NSIZE || sizes[i + 1] > o->max_n ||
                         sizes[i + 1] > 256)
                      : (n == 1024 || n == 2000 || n == 5000)))
            churn(&r, &chs[i]);
    }
out:
    bp_pool_free(r.pool);
    bench_system_stop(&bs);
    fprintf(stderr, "[%s] done\n", r.name);
    return rc;
}

/* ---- report ------------------------------------------------------------ */

static double side(const struct point *p)
{
    return p->server_ms + p->xmucd_ms;
}

static void report(const struct opts *o, const struct point *pts,
                   const struct churn *chs, const char *machine)
{
    const struct point *muc = &pts[SYS_MUC * NSIZE];
    const struct point *cpl = &pts[SYS_COMPLETE * NSIZE];
    const struct point *rbt = &pts[SYS_RBT * NSIZE];
    const char *anchor = sys_name(o, SYS_MUC);

    if (o->json) {
        for (size_t i = 0; i < NSIZE; i++) {
            if (!chs[i].done)
                continue;
            printf(
                "{\"experiment\":\"churn\",\"system\":\"xmucd-rbt\",\"n\":%d,"
                "\"period_s\":%.0f,\"seconds\":%.1f,\"rejoins_per_s\":%.1f,"
                "\"server_cpu_ms_per_s\":%.2f,\"xmucd_cpu_ms_per_s\":%.2f,"
                "\"kb_per_s\":%.2f,\"stanzas_per_s\":%.1f}\n",
                chs[i].n, o->churn_period_s, chs[i].seconds, chs[i].joins,
                chs[i].server_ms, chs[i].xmucd_ms, chs[i].kb, chs[i].stanzas);
        }
        printf(
            "{\"ratios\":{\"anchor\":\"%s\",\"meaning\":\"anchor's server-side "
            "CPU per cycle (server + xmucd) divided by the system's\","
            "\"machine\":\"%s\",\"points\":[",
            anchor, machine);
        bool first = true;
        for (size_t i = 0; i < NSIZE; i++) {
            if (!muc[i].done && !cpl[i].done && !rbt[i].done)
                continue;
            printf("%s{\"n\":%d", first ? "" : ",", sizes[i]);
            if (muc[i].done && cpl[i].done && side(&cpl[i]) > 0)
                printf(",\"xmucd-complete\":%.2f",
                       side(&muc[i]) / side(&cpl[i]));
            if (muc[i].done && rbt[i].done && side(&rbt[i]) > 0)
                printf(",\"xmucd-rbt\":%.2f", side(&muc[i]) / side(&rbt[i]));
            printf("}");
            first = false;
        }
        printf("]}}\n");
        return;
    }
    printf("\nserver-side CPU per cycle (server + xmucd): %s divided by each "
           "system\n%6s %16s %16s\n",
           anchor, "n", "xmucd-complete", "xmucd-rbt");
    for (size_t i = 0; i < NSIZE; i++) {
        char a[32] = "-", b[32] = "-";
        if (!muc[i].done)
            continue;
        if (cpl[i].done && side(&cpl[i]) > 0)
            snprintf(a, sizeof a, "%.2fx", side(&muc[i]) / side(&cpl[i]));
        if (rbt[i].done && side(&rbt[i]) > 0)
            snprintf(b, sizeof b, "%.1fx", side(&muc[i]) / side(&rbt[i]));
        printf("%6d %16s %16s\n", sizes[i], a, b);
    }
    for (size_t i = 0; i < NSIZE; i++)
        if (chs[i].done)
            printf("churn, xmucd-rbt, %d members each rejoining every %.0f s "
                   "(%.0f rejoins/s over %.0f s): server %.2f ms/s, xmucd "
                   "%.2f ms/s, %.1f KB/s, %.0f stanzas/s\n",
                   chs[i].n, o->churn_period_s, chs[i].joins, chs[i].seconds,
                   chs[i].server_ms, chs[i].xmucd_ms, chs[i].kb,
                   chs[i].stanzas);
    /* the goals, as measured */
    bool all = true, any = false;
    for (size_t i = 0; i < NSIZE; i++)
        if (muc[i].done && cpl[i].done) {
            any = true;
            all = all && side(&cpl[i]) < side(&muc[i]);
        }
    if (any)
        printf("goal: xmucd-complete cheaper than %s at every N: %s\n", anchor,
               all ? "met" : "NOT met");
    for (size_t i = 0; i < NSIZE; i++)
        if (sizes[i] == 640 && muc[i].done && rbt[i].done)
            printf(
                "goal: xmucd-rbt >= 100x cheaper than %s at 640: %.0fx, %s\n",
                anchor, side(&muc[i]) / side(&rbt[i]),
                side(&muc[i]) >= 100 * side(&rbt[i]) ? "met" : "NOT met");
    int ns[NSIZE], from, to;
    double v[NSIZE], ratio;
    bool have[NSIZE], flat;
    for (size_t i = 0; i < NSIZE; i++) {
        ns[i] = sizes[i];
        have[i] = rbt[i].done;
        v[i] = side(&rbt[i]);
    }
    flat = bench_flat(ns, v, have, NSIZE, 64, &ratio, &from, &to);
    if (from && to > from)
        printf("goal: xmucd-rbt flat (within 2x) from %d to %d: max/min %.2f, "
               "%s\n",
               from, to, ratio, flat ? "met" : "NOT met");
}

static int usage(FILE *f, int rc)
{
    fprintf(
        f,
        "usage: orbweb bench membership [--json] [--server prosody|ejabberd]\n"
        "         [--max-n N] [--cycles C] [--quick] [--systems "
        "muc,complete,rbt]\n"
        "         [--no-churn] [--churn-seconds S] [--in-flight K]\n"
        "  Fig. 16 of the Orbweb paper: per join-and-leave cycle in a room of\n"
        "  N members, CPU of the XMPP server and of xmucd, KB and stanzas\n"
        "  delivered, for the server's own MUC, xmucd complete and xmucd rbt\n"
        "  (s = 3); then churn (every member rejoins every 15 s) for rbt.\n"
        "  --cycles is a minimum (default 20): cheap systems cycle on until\n"
        "  0.5 s of CPU has been spent or 10 s have passed.\n");
    return rc;
}

int bench_membership(int argc, char **argv)
{
    struct opts o = {.kind = HS_PROSODY,
                     .churn = true,
                     .max_n = 10000,
                     .cycles = 20,
                     .in_flight = 200,
                     .joins_in_flight = 64,
                     .churn_period_s = 15,
                     .churn_window_s = 30,
                     .run = {true, true, true}};
    static struct point pts[NSYS * NSIZE];
    static struct churn chs[NSIZE];
    char machine[256];
    struct event_base *base;
    long nofile;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            o.json = true;
        else if (!strcmp(a, "--quick"))
            o.quick = true;
        else if (!strcmp(a, "--no-churn"))
            o.churn = false;
        else if (!strcmp(a, "--server") && v && hs_kind_parse(v, &o.kind) == 0)
            i++;
        else if (!strcmp(a, "--max-n") && v && atoi(v) > 0)
            o.max_n = atoi(argv[++i]);
        else if (!strcmp(a, "--cycles") && v && atoi(v) > 0)
            o.cycles = atoi(argv[++i]);
        else if (!strcmp(a, "--in-flight") && v && atoi(v) > 0)
            o.in_flight = atoi(argv[++i]);
        else if (!strcmp(a, "--churn-seconds") && v && atof(v) > 0)
            o.churn_window_s = atof(argv[++i]);
        else if (!strcmp(a, "--systems") && v) {
            o.run[SYS_MUC] = strstr(v, "muc") != NULL;
            o.run[SYS_COMPLETE] = strstr(v, "complete") != NULL;
            o.run[SYS_RBT] = strstr(v, "rbt") != NULL;
            i++;
        } else
            return usage(strcmp(a, "--help") ? stderr : stdout,
                         strcmp(a, "--help") ? 2 : 0);
    }
    if (o.quick && o.churn_window_s == 30)
        o.churn_window_s = 2;
    nofile = bp_raise_nofile();
    if (nofile < 0) {
        perror("bench membership: RLIMIT_NOFILE");
        return 1;
    }
    if (o.max_n + 65 > nofile)
        fprintf(stderr,
                "bench membership: the open-file limit is %ld: rooms "
                "above %ld members cannot be measured here\n",
                nofile, nofile - 65);
    bench_machine(machine, sizeof machine);
    o.machine = machine;
    if (!(base = event_base_new()))
        return 1;
    if (!o.json) {
        bench_print_machine(stdout);
        printf("server: %s; cycles per point >= %d; open-file limit %ld\n",
               hs_kind_name(o.kind), o.cycles, nofile);
        printf("%-15s %6s %7s %12s %12s %12s %10s %12s\n", "system", "n",
               "cycles", "server ms", "xmucd ms", "side ms", "stanzas", "KB");
        printf("%-15s %6s %7s %12s %12s %12s %10s %12s\n", "", "", "", "/cycle",
               "/cycle", "/cycle", "/cycle", "/cycle");
    }
    /* the tree view first: its thousands of sockets are closed before
     * the next system's harness opens its libstrophe clients */
    static const int order[NSYS] = {SYS_RBT, SYS_COMPLETE, SYS_MUC};
    for (int k = 0; k < NSYS && rc == 0; k++)
        if (o.run[order[k]] &&
            run_system(&o, order[k], nofile, pts, chs, base) < 0)
            rc = 1;
    report(&o, pts, chs, machine);
    event_base_free(base);
    return rc;
}
