/* main.c -- the orbweb command line: finds the subcommand and runs it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_paths.h"

static const struct cli_command commands[] = {
    {"up", cli_up, "start a local system: Prosody, xmucd, and show it works"},
    {"fi", cli_fi, "Fast Infoset: encode, decode, dump, infoset, vocab"},
    {"traffic", cli_traffic, "xmucd's stanza traffic by kind, live (admins)"},
    {"topo", cli_topo, "a room's view graph: text, json, dot or svg (admins)"},
    {"swarm", cli_swarm,
     "N peers in a room: churn, unicast, groupcast, verify views"},
    {"bench", cli_bench, "run a benchmark (orbweb bench --help lists them)"},
    {NULL, NULL, NULL},
};

static void usage(const struct cli_command *table, const char *title)
{
    printf("usage: %s COMMAND [ARGS...]\n\ncommands:\n", title);
    for (const struct cli_command *c = table; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
}

int cli_dispatch(const struct cli_command *table, const char *title, int argc,
                 char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(table, title);
        return argc < 1 ? 2 : 0;
    }
    for (const struct cli_command *c = table; c->name; c++)
        if (!strcmp(c->name, argv[0]))
            return c->run(argc, argv);
    fprintf(stderr, "%s: unknown command '%s'\n", title, argv[0]);
    usage(table, title);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("orbweb %s\n", PACKAGE_VERSION);
        return 0;
    }
    cli_xmucd_path(); /* every command's harness starts the xmucd beside us */
    return cli_dispatch(commands, "orbweb", argc - 1, argv + 1);
}
