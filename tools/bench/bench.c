/* bench.c -- orbweb bench: the table of benchmarks and what they share.
 *
 * Every benchmark prints our figure, the anchor's figure from the same
 * run, their ratio, and the machine (bench_print_machine). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

static const struct cli_command benches[] = {
    {"views", bench_views, "view managers: time, deltas, memory per member"},
    {"fi", bench_fi, "Fast Infoset: size vs XML, decode speed vs expat"},
    {"membership", bench_membership,
     "Fig. 16: join/leave cost, server MUC vs xmucd"},
    {"e2e", bench_e2e,
     "Fig. 17: latency and throughput, relayed vs direct streams"},
    {"groupcast", bench_groupcast,
     "Fig. 18: server cost and delivery per groupcast, MUC vs xmucd engines"},
    {"gcsig", bench_gcsig,
     "authenticated groupcast: sign and verify cost per groupcast"},
    {"flow", bench_flow,
     "a burst of unicasts: sender's memory with and without a high-water mark"},
    {NULL, NULL, NULL},
};

int cli_bench(int argc, char **argv)
{
    return cli_dispatch(benches, "orbweb bench", argc - 1, argv + 1);
}

static void cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];

    snprintf(buf, len, "unknown cpu");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            snprintf(buf, len, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

void bench_machine(char *buf, size_t len)
{
    struct utsname u;
    char cpu[128];

    cpu_model(cpu, sizeof cpu);
    uname(&u);
    snprintf(buf, len, "%s, %ld cores, %s %s", cpu,
             sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release);
}

void bench_print_machine(FILE *out)
{
    char m[256];

    bench_machine(m, sizeof m);
    fprintf(out, "machine: %s\n", m);
}

double bench_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_thread_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_cpu_ms(int pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t len;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* the command may hold spaces and parentheses: fields follow the
     * last ')'; utime and stime are fields 14 and 15 */
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

double bench_sched_ms(int pid)
{
    char path[64];
    struct dirent *d;
    DIR *dir;
    double ns = 0;
    int found = 0;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    if (!(dir = opendir(path)))
        return bench_cpu_ms(pid);
    while ((d = readdir(dir))) {
        char file[128];
        unsigned long long run;
        FILE *f;
        if (d->d_name[0] == '.')
            continue;
        snprintf(file, sizeof file, "/proc/%d/task/%.20s/schedstat", pid,
                 d->d_name);
        if (!(f = fopen(file, "r")))
            continue;
        if (fscanf(f, "%llu", &run) == 1) {
            ns += (double)run;
            found++;
        }
        fclose(f);
    }
    closedir(dir);
    return found ? ns / 1e6 : bench_cpu_ms(pid);
}

int bench_system_start(struct bench_system *s, enum hs_kind kind,
                       bool with_xmucd, const char *who)
{
    char err[2048];
    char *xargs[] = {"--log-level", "warn",           "--rate-per-s",
                     "0",           "--out-kb-per-s", "0",
                     NULL};

    *s = (struct bench_system){0};
    fprintf(stderr, "[%s] starting %s\n", who, hs_kind_name(kind));
    if (hs_server_start(kind, &(struct hs_options){0}, err, sizeof err,
                        &s->srv) < 0) {
        fprintf(stderr, "[%s] %s\n", who, err);
        return -1;
    }
    s->server_pid = hs_server_pid(s->srv);
    if (!with_xmucd)
        return 0;
    if (!(s->xm = hs_xmucd_start(s->srv, xargs, err, sizeof err))) {
        fprintf(stderr, "[%s] xmucd: %s\n", who, err);
        bench_system_stop(s);
        return -1;
    }
    s->xmucd_pid = hs_proc_pid(s->xm);
    return 0;
}

void bench_system_stop(struct bench_system *s)
{
    if (s->xm)
        hs_xmucd_stop(s->xm);
    if (s->srv)
        hs_server_stop(s->srv);
    *s = (struct bench_system){0};
}

bool bench_flat(const int *n, const double *v, const bool *have, size_t count,
                int from, double *ratio, int *first, int *last)
{
    double lo = 0, hi = 0;

    *ratio = 0;
    *first = *last = 0;
    for (size_t i = 0; i < count; i++) {
        if (!have[i] || n[i] < from)
            continue;
        if (!*first || v[i] < lo)
            lo = v[i];
        if (!*first || v[i] > hi)
            hi = v[i];
        if (!*first)
            *first = n[i];
        *last = n[i];
    }
    if (!*first || *last == *first || lo <= 0)
        return false;
    *ratio = hi / lo;
    return hi <= 2 * lo;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_percentile(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)((double)(n - 1) * q + 0.5)];
}
