/* bench.c -- orbweb bench: the table of benchmarks and what they share.
 *
 * Every benchmark prints our figure, the anchor's figure from the same
 * run, their ratio, and the machine (bench_print_machine). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

static const struct cli_command benches[] = {
    {"views", bench_views, "view managers: time, deltas, memory per member"},
    {"fi", bench_fi, "Fast Infoset: size vs XML, decode speed vs expat"},
    {"membership", bench_membership, "Fig. 16: join/leave cost, server MUC vs xmucd"},
    {"e2e", bench_e2e, "Fig. 17: latency and throughput, relayed vs direct streams"},
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
