/* cmd_topo.c -- orbweb topo: a room's current view graph, fetched from
 * xmucd by an admin query and shown as text, JSON, DOT or SVG (DOT piped
 * through Graphviz's dot). */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_admin.h"
#include "topo.h"

#define CMD "orbweb topo"

enum format { F_TEXT, F_JSON, F_DOT, F_SVG };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orbweb topo ROOM@COMPONENT [--format text|json|dot|svg]\n"
            "                   --server HOST:PORT --jid ADMIN_JID "
            "--password-file FILE\n"
            "                   [--timeout SECONDS]\n"
            "Prints the room's view graph: who sees whom, with the edge\n"
            "attributes.  text (default): one line per occupant; json: as\n"
            "xmucd sends it; dot: Graphviz; svg: dot -Tsvg (package "
            "graphviz).\n"
            "A ROOM without @COMPONENT is taken in rooms.DOMAIN of the JID.\n");
}

/* True when an executable named prog is on PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];

    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? path : ".", prog);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

static int write_svg(const struct cli_topo *t, const char *title)
{
    FILE *p;
    int st, rc;

    if (!on_path("dot")) {
        fprintf(stderr,
                "%s: --format svg needs Graphviz's dot, which is "
                "not on PATH: install the Debian package graphviz "
                "(apt-get install graphviz), or use --format dot\n",
                CMD);
        return 1;
    }
    fflush(stdout);
    if (!(p = popen("dot -Tsvg", "w"))) {
        fprintf(stderr, "%s: cannot run dot -Tsvg\n", CMD);
        return 1;
    }
    rc = cli_topo_write_dot(t, title, p);
    st = pclose(p);
    if (rc || st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "%s: dot -Tsvg failed\n", CMD);
        return 1;
    }
    return 0;
}

static int show(const char *json, size_t len, enum format fmt, const char *room)
{
    struct cli_topo t;
    size_t off;
    int rc;

    if (fmt == F_JSON) {
        fwrite(json, 1, len, stdout);
        if (len && json[len - 1] != '\n')
            putchar('\n');
        return ferror(stdout) ? 1 : 0;
    }
    if ((rc = cli_topo_parse(json, len, &t, &off))) {
        fprintf(stderr,
                "%s: %s answered a topology that is %s (at byte "
                "%zu)\n",
                CMD, room, cli_topo_strerror(rc), off);
        return 1;
    }
    if (fmt == F_TEXT)
        rc = cli_topo_write_text(&t, stdout);
    else if (fmt == F_DOT)
        rc = cli_topo_write_dot(&t, room, stdout);
    else
        rc = write_svg(&t, room);
    cli_topo_clear(&t);
    return rc ? 1 : 0;
}

/* Fetches the topology and shows it; the exit status. */
static int fetch(struct cli_admin *a, const char *room, enum format fmt)
{
    char err[1024], *json = NULL;
    hs_client *c = cli_admin_login(CMD, a);
    int rc;

    if (!c)
        return 1;
    rc = cli_admin_topology(c, room, a->timeout_ms, &stop_requested, &json, err,
                            sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", CMD, err);
    if (rc == 0)
        rc = show(json, strlen(json), fmt, room);
    else
        rc = 1;
    free(json);
    hs_client_close(c);
    return rc;
}

static int parse_format(const char *s, enum format *f)
{
    static const char *const names[] = {"text", "json", "dot", "svg"};

    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *f = (enum format)i;
            return 0;
        }
    return -1;
}

int cli_topo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"jid", required_argument, NULL, 'j'},
        {"password-file", required_argument, NULL, 'p'},
        {"format", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_admin a = {.timeout_ms = 10000};
    struct sigaction sa = {.sa_handler = on_signal};
    enum format fmt = F_TEXT;
    char room[1024], comp[512], *end;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': a.server = optarg; break;
        case 'j': a.jid = optarg; break;
        case 'p': a.password_file = optarg; break;
        case 'f':
            if (parse_format(optarg, &fmt)) {
                fprintf(stderr, "%s: --format is text, json, dot or svg\n",
                        CMD);
                return 2;
            }
            break;
        case 't': {
            double s = strtod(optarg, &end);
            if (*end || !(s >= 1 && s <= 3600)) {
                fprintf(stderr, "%s: --timeout wants 1 to 3600 seconds\n", CMD);
                return 2;
            }
            a.timeout_ms = (int)(s * 1000);
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !a.server || !a.jid || !a.password_file) {
        fprintf(stderr,
                "%s: one ROOM@COMPONENT and --server, --jid, "
                "--password-file are required\n",
                CMD);
        usage(stderr);
        return 2;
    }
    if (strchr(argv[optind], '@'))
        snprintf(room, sizeof room, "%s", argv[optind]);
    else if (cli_admin_component(&a, comp, sizeof comp))
        snprintf(room, sizeof room, "%s@%s", argv[optind], comp);
    else {
        fprintf(stderr, "%s: --jid wants user@domain\n", CMD);
        return 2;
    }
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, NULL);
    rc = fetch(&a, room, fmt);
    signal(SIGINT, SIG_DFL);
    return rc;
}
