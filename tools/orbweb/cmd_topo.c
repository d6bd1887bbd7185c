/* cmd_topo.c -- orbweb topo: a room's current view graph, fetched from
 * xmucd by an admin query (or read from a JSON file) and shown as text,
 * JSON, DOT, or an SVG or PNG picture (topo_draw.c), whole or around one
 * member. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_admin.h"
#include "topo.h"
#include "topo_draw.h"

#define CMD "orbweb topo"

enum format { F_TEXT, F_JSON, F_DOT, F_SVG, F_PNG };

#define MAX_JSON_FILE (64u << 20)

/* What to show and how. */
struct view {
    enum format fmt;
    const char *around; /* nick, or NULL for the whole room */
    unsigned depth;
    const char *layout;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orbweb topo ROOM@COMPONENT --server HOST:PORT --jid "
            "ADMIN_JID\n"
            "                   --password-file FILE [--timeout SECONDS]\n"
            "                   [--format text|json|dot|svg|png]\n"
            "                   [--around NICK [--depth D]] [--layout "
            "auto|dot|neato|sfdp|circo|twopi]\n"
            "       orbweb topo [ROOM] --from-json FILE|- [options as above]\n"
            "Prints the room's view graph: who sees whom, with the edge\n"
            "attributes.  text (default): one line per occupant, sorted by\n"
            "nick; json: as xmucd sends it; dot: Graphviz source; svg, png:\n"
            "a picture for rooms up to thousands (Graphviz, package "
            "graphviz):\n"
            "edge kinds and segments by colour with a legend, the layout by\n"
            "size (--layout to choose).  --around NICK shows the members at\n"
            "most D hops (default 1) from NICK, either way along edges.\n"
            "A ROOM without @COMPONENT is taken in rooms.DOMAIN of the JID.\n");
}

static int draw(const struct cli_topo *t, const char *title,
                const struct view *v)
{
    char err[512];

    fflush(stdout);
    if (cli_topo_draw(t, title, v->layout,
                      v->fmt == F_PNG ? CLI_DRAW_PNG : CLI_DRAW_SVG, stdout,
                      err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", CMD, err);
        return 1;
    }
    return 0;
}

/* Replaces *t by the neighbourhood of v->around; the exit status. */
static int cut_around(struct cli_topo *t, const struct view *v)
{
    struct cli_topo part;
    uint32_t id;
    int rc;

    if (cli_topo_find(t, v->around, &id)) {
        fprintf(stderr, "%s: no occupant is called %s\n", CMD, v->around);
        return 1;
    }
    if ((rc = cli_topo_around(t, id, v->depth, &part))) {
        fprintf(stderr, "%s: %s\n", CMD, cli_topo_strerror(rc));
        return 1;
    }
    cli_topo_clear(t);
    *t = part;
    return 0;
}

static int show(const char *json, size_t len, const struct view *v,
                const char *room)
{
    struct cli_topo t;
    size_t off;
    int rc;

    if (v->fmt == F_JSON) {
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
    if (v->around && cut_around(&t, v))
        rc = 1;
    else if (v->fmt == F_TEXT)
        rc = cli_topo_write_text(&t, stdout) ? 1 : 0;
    else if (v->fmt == F_DOT)
        rc = cli_topo_write_dot(&t, room, stdout) ? 1 : 0;
    else
        rc = draw(&t, room, v);
    cli_topo_clear(&t);
    return rc;
}

/* Reads a topology JSON file (path "-": standard input) and shows it. */
static int from_file(const char *path, const struct view *v, const char *room)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    int rc = 1;

    if (!f) {
        fprintf(stderr, "%s: %s: cannot open\n", CMD, path);
        return 1;
    }
    do {
        if (len + 65536 > cap) {
            char *b = cap + 65536 > MAX_JSON_FILE + 65536
                          ? NULL
                          : realloc(buf, cap = len + 65536 * 2);
            if (!b) {
                fprintf(stderr, "%s: %s: larger than %u MiB\n", CMD, path,
                        MAX_JSON_FILE >> 20);
                goto out;
            }
            buf = b;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n);
    if (ferror(f))
        fprintf(stderr, "%s: %s: read error\n", CMD, path);
    else
        rc = show(buf ? buf : "", len, v, room);
out:
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Fetches the topology and shows it; the exit status. */
static int fetch(struct cli_admin *a, const char *room, const struct view *v)
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
        rc = show(json, strlen(json), v, room);
    else
        rc = 1;
    free(json);
    hs_client_close(c);
    return rc;
}

static int parse_format(const char *s, enum format *f)
{
    static const char *const names[] = {"text", "json", "dot", "svg", "png"};

    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *f = (enum format)i;
            return 0;
        }
    return -1;
}

/* Options that say what to show; 0, or 2 (usage error, said). */
static int view_option(int ch, struct view *v)
{
    char *end;
    unsigned long d;

    switch (ch) {
    case 'f':
        if (parse_format(optarg, &v->fmt)) {
            fprintf(stderr, "%s: --format is text, json, dot, svg or png\n",
                    CMD);
            return 2;
        }
        return 0;
    case 'a': v->around = optarg; return 0;
    case 'd':
        d = strtoul(optarg, &end, 10);
        if (*end || !*optarg || *optarg == '-' || d > 64) {
            fprintf(stderr, "%s: --depth wants 0 to 64 hops\n", CMD);
            return 2;
        }
        v->depth = (unsigned)d;
        return 0;
    case 'l':
        if (!cli_topo_layout_ok(optarg)) {
            fprintf(stderr,
                    "%s: --layout is auto, dot, neato, sfdp, circo or "
                    "twopi\n",
                    CMD);
            return 2;
        }
        v->layout = optarg;
        return 0;
    default: return 2;
    }
}

/* The room's full name from the argument; 0, or 2 (said). */
static int room_name(struct cli_admin *a, const char *arg, char *room,
                     size_t len)
{
    char comp[512];

    if (strchr(arg, '@'))
        snprintf(room, len, "%s", arg);
    else if (cli_admin_component(a, comp, sizeof comp))
        snprintf(room, len, "%s@%s", arg, comp);
    else {
        fprintf(stderr, "%s: --jid wants user@domain\n", CMD);
        return 2;
    }
    return 0;
}

int cli_topo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"jid", required_argument, NULL, 'j'},
        {"password-file", required_argument, NULL, 'p'},
        {"format", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"around", required_argument, NULL, 'a'},
        {"depth", required_argument, NULL, 'd'},
        {"layout", required_argument, NULL, 'l'},
        {"from-json", required_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_admin a = {.timeout_ms = 10000};
    struct sigaction sa = {.sa_handler = on_signal};
    struct view v = {.fmt = F_TEXT, .depth = 1};
    const char *file = NULL;
    char room[1024], *end;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': a.server = optarg; break;
        case 'j': a.jid = optarg; break;
        case 'p': a.password_file = optarg; break;
        case 'J': file = optarg; break;
        case 'f':
        case 'a':
        case 'd':
        case 'l':
            if (view_option(ch, &v))
                return 2;
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
    if (v.around && v.fmt == F_JSON) {
        fprintf(stderr, "%s: --around shows text, dot, svg or png\n", CMD);
        return 2;
    }
    if (file && optind >= argc - 1)
        return from_file(file, &v, optind < argc ? argv[optind] : "room");
    if (optind != argc - 1 || !a.server || !a.jid || !a.password_file) {
        fprintf(stderr,
                "%s: one ROOM@COMPONENT and --server, --jid, "
                "--password-file (or --from-json FILE) are required\n",
                CMD);
        usage(stderr);
        return 2;
    }
    if ((rc = room_name(&a, argv[optind], room, sizeof room)))
        return rc;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, NULL);
    rc = fetch(&a, room, &v);
    signal(SIGINT, SIG_DFL);
    return rc;
}
