/* cli.h -- the orbweb command line: the subcommand table's contract.
 *
 * Every subcommand is a function shaped like main(): it gets argv with
 * argv[0] set to its own name ("up", "fi", "views", ...), returns the
 * process exit status (0 success, 1 failure, 2 usage error), and prints
 * its own usage on --help.  Subsystems add their commands here and to the
 * tables in main.c (top level) or bench.c (orbweb bench ...). */
#ifndef TOOLS_ORBWEB_CLI_H
#define TOOLS_ORBWEB_CLI_H

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Runs the command named by argv[0] from a NULL-terminated table, or
 * prints the table as usage under the given title when none matches. */
int cli_dispatch(const struct cli_command *table, const char *title, int argc,
                 char **argv);

int cli_up(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_fi(int argc, char **argv);
int cli_traffic(int argc, char **argv);
int cli_topo(int argc, char **argv);
int cli_swarm(int argc, char **argv);

/* orbweb bench ... */
int bench_views(int argc, char **argv);
int bench_fi(int argc, char **argv);
int bench_membership(int argc, char **argv);
int bench_e2e(int argc, char **argv);
int bench_groupcast(int argc, char **argv);
int bench_gcsig(int argc, char **argv);
int bench_flow(int argc, char **argv);

#endif
