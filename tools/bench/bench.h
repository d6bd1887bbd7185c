/* bench.h -- helpers shared by the benchmarks under tools/bench/. */
#ifndef TOOLS_BENCH_BENCH_H
#define TOOLS_BENCH_BENCH_H

#include <stddef.h>
#include <stdio.h>

/* Describes this machine in one line: CPU model, cores, kernel. */
void bench_machine(char *buf, size_t len);

/* Prints "machine: ..." as the first line of a benchmark's report. */
void bench_print_machine(FILE *out);

#endif
