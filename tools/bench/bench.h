/* bench.h -- helpers shared by the benchmarks under tools/bench/. */
#ifndef TOOLS_BENCH_BENCH_H
#define TOOLS_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hs_proc.h"
#include "hs_server.h"

/* Describes this machine in one line: CPU model, cores, kernel. */
void bench_machine(char *buf, size_t len);

/* Prints "machine: ..." as the first line of a benchmark's report. */
void bench_print_machine(FILE *out);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now_s(void);

/* CPU seconds this thread has used (for costs that a loaded, shared
 * machine would inflate in wall time). */
double bench_thread_cpu_s(void);

/* The q-quantile (0..1, nearest rank) of v[0..n), sorting v in place;
 * 0 when n is 0. */
double bench_percentile(double *v, size_t n, double q);

/* utime + stime of process pid in milliseconds (/proc/PID/stat), or 0
 * without one. */
double bench_cpu_ms(int pid);

/* Time process pid has run on a CPU, all its threads, in milliseconds
 * with nanosecond resolution (/proc/PID/task/<tid>/schedstat); falls
 * back to bench_cpu_ms (clock ticks) where schedstat is missing.
 * Threads that have exited are not counted. */
double bench_sched_ms(int pid);

/* A system under test: a fresh XMPP server from the harness and, when
 * asked, xmucd on it (warnings only, no per-occupant stanza rate). */
struct bench_system {
    hs_server *srv;
    struct hs_proc *xm;        /* NULL without xmucd */
    int server_pid, xmucd_pid; /* 0 without one */
};

/* Starts one; messages on stderr name `who`.  0, or -1 (said why). */
int bench_system_start(struct bench_system *s, enum hs_kind kind,
                       bool with_xmucd, const char *who);
/* Stops xmucd, then the server. */
void bench_system_stop(struct bench_system *s);

/* Whether v[] stays within 2x over the points at n >= from: *ratio is
 * max/min over them, *first and *last their smallest and largest n.
 * False (ratio 0) with fewer than two such points or a zero minimum. */
bool bench_flat(const int *n, const double *v, const bool *have, size_t count,
                int from, double *ratio, int *first, int *last);

#endif
