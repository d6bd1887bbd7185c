/* cmd_traffic.c -- orbweb traffic: stanza traffic, live.
 *
 * Logs in as an admin and, every interval, asks for a table of stanza
 * counters: xmucd's (the component, or one room), or with --whole-server
 * the XMPP server's own, kept by the module we ship for it
 * (tools/servers/mod_orbweb_traffic.{lua,erl}), which answers the same
 * query.  Shows per kind the stanzas in, out and in total with their
 * rates, computed from two successive snapshots and the server's own
 * clock (the table's age), so network delays do not skew them.  Lines
 * fit 80 columns.  The query and its answer are not counted by either
 * side, so the tool's own polling never shows.  On a terminal the table
 * is redrawn in place; otherwise, and with --json (one object per line),
 * snapshots follow each other.  --chart keeps an SVG of each kind's
 * share over time up to date (traffic_chart.c). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_admin.h"
#include "traffic_chart.h"
#include "xm_stats.h"

#define CMD "orbweb traffic"
#define LINE_MAX_COLS 79 /* every text line, so 80 columns never wrap */
#define NUM_W 7          /* a number column, plus one space before it */
#define KIND_W (LINE_MAX_COLS - 6 * (NUM_W + 1))

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct traffic {
    struct cli_admin admin;
    const char *room, *chart_path;
    double interval;
    long count; /* 0: until stopped */
    int json, tty, whole, bytes;
    char target[1024];
    chart *chart;
};

/* One snapshot and the one before it (NULL at first or after a reset). */
struct snap {
    xm_stats *now, *prev;
    double age, dt; /* dt <= 0: no rates */
    int refresh;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orbweb traffic --server HOST:PORT --jid ADMIN_JID "
            "--password-file FILE\n"
            "         [--component DOMAIN] [--room ROOM] [--whole-server]\n"
            "         [--interval SECONDS] [--count N] [--json] [--bytes]\n"
            "         [--chart FILE.svg] [--timeout SECONDS]\n"
            "Shows stanzas in, out and in total per kind, with rates,\n"
            "refreshed every interval (1 s): xmucd's (the component\n"
            "rooms.DOMAIN of the JID unless --component, or --room), or with\n"
            "--whole-server every stanza the XMPP server routes (needs our\n"
            "server module, see orbweb(1)).  --bytes shows xmucd's bytes\n"
            "instead of stanzas; --json prints one object per snapshot per\n"
            "line; --chart keeps FILE.svg, each kind's share over time, up to\n"
            "date; --count stops after N snapshots; Ctrl-C stops.\n");
}

/* ---- Rates -------------------------------------------------------- */

struct rates {
    double stanzas[2], bytes[2];
    int known;
};

/* Rates between two counters of the same kind (prev zero for a new one). */
static struct rates rates_between(const struct snap *s,
                                  const struct xm_counter *c,
                                  const struct xm_counter *p)
{
    struct rates r = {{0, 0}, {0, 0}, 0};

    if (!s->prev || s->dt <= 0)
        return r;
    for (int d = 0; d < 2; d++) {
        if (c->stanzas[d] < p->stanzas[d] || c->bytes[d] < p->bytes[d])
            return r; /* went backwards: a reset, no rate */
        r.stanzas[d] = (double)(c->stanzas[d] - p->stanzas[d]) / s->dt;
        r.bytes[d] = (double)(c->bytes[d] - p->bytes[d]) / s->dt;
    }
    r.known = 1;
    return r;
}

static struct rates rates_of(const struct snap *s, const struct xm_counter *c)
{
    struct xm_counter p = {0};

    if (s->prev && xm_stats_get(s->prev, c->kind, &p))
        p = (struct xm_counter){0}; /* a new kind: it started at zero */
    return rates_between(s, c, &p);
}

static struct rates total_rates(const struct snap *s,
                                const struct xm_counter *total)
{
    struct xm_counter p = {0};

    if (s->prev)
        p = xm_stats_total(s->prev);
    return rates_between(s, total, &p);
}

/* ---- Text --------------------------------------------------------- */

/* v in at most NUM_W characters: as is, else with k, M, G or T. */
static const char *fmt_num(double v, int decimals, char *buf, size_t len)
{
    static const char suffix[] = " kMGTPE";
    int i = 0;

    snprintf(buf, len, "%.*f", decimals, v);
    while (strlen(buf) > NUM_W && i < 6) {
        v /= 1000;
        i++;
        snprintf(buf, len, "%.1f%c", v, suffix[i]);
        if (strlen(buf) > NUM_W)
            snprintf(buf, len, "%.0f%c", v, suffix[i]);
    }
    return buf;
}

static void print_row(const struct traffic *o, const char *kind,
                      const struct xm_counter *c, struct rates r)
{
    const uint64_t *n = o->bytes ? c->bytes : c->stanzas;
    const double *rate = o->bytes ? r.bytes : r.stanzas;
    char label[KIND_W + 1], buf[32];

    printf("%-*s", KIND_W, chart_label(kind, label, sizeof label));
    for (int d = 0; d < 3; d++) {
        double v = d < 2 ? (double)n[d] : (double)n[0] + (double)n[1];
        double rv = d < 2 ? rate[d] : rate[0] + rate[1];
        printf(" %*s", NUM_W, fmt_num(v, 0, buf, sizeof buf));
        printf(" %*s", NUM_W, r.known ? fmt_num(rv, 1, buf, sizeof buf) : "-");
    }
    putchar('\n');
}

struct text_ctx {
    const struct traffic *o;
    const struct snap *s;
};

static int text_row(void *arg, const struct xm_counter *c)
{
    struct text_ctx *t = arg;

    print_row(t->o, c->kind, c, rates_of(t->s, c));
    return 0;
}

static void show_text(const struct traffic *o, const struct snap *s)
{
    struct text_ctx t = {o, s};
    struct xm_counter total = xm_stats_total(s->now);
    char head[1200];
    const char *unit = o->bytes ? "bytes" : "stanzas";

    if (o->tty)
        fputs("\033[H\033[2J", stdout);
    else if (s->refresh > 1)
        putchar('\n');
    snprintf(head, sizeof head, "%s%s: %s, %.1f s, every %g s%s", o->target,
             o->whole ? " (whole server)" : "", unit, s->age, o->interval,
             o->tty ? " (Ctrl-C stops)" : "");
    printf("%.*s\n", LINE_MAX_COLS, head);
    printf("%-*s %*s %*s %*s %*s %*s %*s\n", KIND_W, "KIND", NUM_W, "IN", NUM_W,
           "IN/s", NUM_W, "OUT", NUM_W, "OUT/s", NUM_W, "TOTAL", NUM_W,
           "TOTAL/s");
    xm_stats_each(s->now, text_row, &t);
    print_row(o, "total", &total, total_rates(s, &total));
    fflush(stdout);
}

/* ---- JSON --------------------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* "in", "out" and "all" (in + out); bytes only for xmucd's tables (the
 * server modules count stanzas only). */
static void json_counter(const struct traffic *o, const struct xm_counter *c,
                         struct rates r)
{
    static const char *const dir[3] = {"in", "out", "all"};

    for (int d = 0; d < 3; d++) {
        uint64_t n = d < 2 ? c->stanzas[d] : c->stanzas[0] + c->stanzas[1];
        uint64_t b = d < 2 ? c->bytes[d] : c->bytes[0] + c->bytes[1];
        double rn = d < 2 ? r.stanzas[d] : r.stanzas[0] + r.stanzas[1];
        double rb = d < 2 ? r.bytes[d] : r.bytes[0] + r.bytes[1];

        printf(",\"%s\":{\"stanzas\":%" PRIu64, dir[d], n);
        if (r.known)
            printf(",\"stanzas_per_s\":%.3f", rn);
        else
            printf(",\"stanzas_per_s\":null");
        if (!o->whole && r.known)
            printf(",\"bytes\":%" PRIu64 ",\"bytes_per_s\":%.3f", b, rb);
        else if (!o->whole)
            printf(",\"bytes\":%" PRIu64 ",\"bytes_per_s\":null", b);
        putchar('}');
    }
}

struct json_ctx {
    const struct traffic *o;
    const struct snap *s;
    int n;
};

static int json_kind(void *arg, const struct xm_counter *c)
{
    struct json_ctx *j = arg;

    printf("%s{\"kind\":", j->n++ ? "," : "");
    json_string(c->kind);
    json_counter(j->o, c, rates_of(j->s, c));
    putchar('}');
    return 0;
}

static void show_json(const struct traffic *o, const struct snap *s)
{
    struct json_ctx j = {o, s, 0};
    struct xm_counter total = xm_stats_total(s->now);
    struct timeval tv;

    gettimeofday(&tv, NULL);
    printf("{\"target\":");
    json_string(o->target);
    printf(",\"scope\":\"%s\"", o->whole  ? "server"
                                : o->room ? "room"
                                          : "component");
    printf(",\"time\":%lld.%03ld,\"age\":%.3f,\"interval\":%g,\"kinds\":[",
           (long long)tv.tv_sec, (long)(tv.tv_usec / 1000), s->age,
           o->interval);
    xm_stats_each(s->now, json_kind, &j);
    printf("],\"total\":{\"kind\":\"total\"");
    json_counter(o, &total, total_rates(s, &total));
    printf("}}\n");
    fflush(stdout);
}

/* ---- The chart ---------------------------------------------------- */

struct chart_ctx {
    chart *chart;
    const struct snap *s;
};

/* Adds each kind's stanzas (in + out) of the last interval. */
static int chart_kind(void *arg, const struct xm_counter *c)
{
    struct chart_ctx *x = arg;
    struct xm_counter p = {0};
    uint64_t now = c->stanzas[0] + c->stanzas[1], before;

    if (xm_stats_get(x->s->prev, c->kind, &p))
        p = (struct xm_counter){0};
    before = p.stanzas[0] + p.stanzas[1];
    if (now > before)
        chart_add(x->chart, c->kind, now - before);
    return 0;
}

/* One bar per interval with rates (none for the first snapshot or after
 * a reset), then the file rewritten; 0 or -1 with a line printed. */
static int update_chart(struct traffic *o, const struct snap *s)
{
    struct chart_ctx x = {o->chart, s};
    char title[1200], err[1024];

    if (s->prev && s->dt > 0) {
        chart_begin(o->chart, s->age);
        xm_stats_each(s->now, chart_kind, &x);
    }
    snprintf(title, sizeof title, "%s%s: share of stanzas by kind", o->target,
             o->whole ? " (whole server)" : "");
    if (chart_write_svg(o->chart, o->chart_path, title, err, sizeof err)) {
        fprintf(stderr, "%s: --chart: %s\n", CMD, err);
        return -1;
    }
    return 0;
}

/* ---- The loop ----------------------------------------------------- */

/* cli_admin's explanations speak of xmucd: for the server's module, say
 * what to do instead (err names the condition in parentheses). */
static void whole_server_error(const struct traffic *o, const char *err)
{
    if (strstr(err, "(service-unavailable") ||
        strstr(err, "(feature-not-implemented"))
        fprintf(stderr,
                "%s: %s does not answer the traffic query "
                "(service-unavailable): is mod_orbweb_traffic loaded? "
                "(docs/tools.md)\n",
                CMD, o->target);
    else if (strstr(err, "(forbidden") || strstr(err, "(not-authorized"))
        fprintf(stderr,
                "%s: %s refused: %s is neither one of its admins nor in "
                "mod_orbweb_traffic's readers\n",
                CMD, o->target, o->admin.jid);
    else
        fprintf(stderr, "%s: %s\n", CMD, err);
}

/* Asks once and moves the snapshots along; 0, 1 when stopped, -1 with
 * a line printed. */
static int take_snapshot(struct traffic *o, hs_client *c, struct snap *s)
{
    xmpp_stanza_t *payload;
    char err[1024];
    double age;
    xm_stats *t;
    int rc = cli_admin_query(c, o->target, "stats", o->admin.timeout_ms,
                             &stop_requested, &payload, err, sizeof err);

    if (rc) {
        if (rc < 0 && o->whole)
            whole_server_error(o, err);
        else if (rc < 0)
            fprintf(stderr, "%s: %s\n", CMD, err);
        return rc;
    }
    rc = xm_stats_parse(payload, &t, &age);
    xmpp_stanza_release(payload);
    if (rc) {
        fprintf(stderr, "%s: %s answered: %s\n", CMD, o->target,
                xm_stats_strerror(rc));
        return -1;
    }
    xm_stats_free(s->prev);
    s->prev = s->now;
    s->now = t;
    s->dt = s->prev ? age - s->age : 0;
    s->age = age;
    s->refresh++;
    return 0;
}

static void sleep_until(const struct timespec *t)
{
    struct timespec now, step = {0, 50 * 1000000L};

    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (stop_requested || now.tv_sec > t->tv_sec ||
            (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec))
            return;
        nanosleep(&step, NULL);
    }
}

static void advance(struct timespec *t, double seconds)
{
    long ns = (long)((seconds - (double)(long)seconds) * 1e9);

    t->tv_sec += (time_t)seconds;
    t->tv_nsec += ns;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int run(struct traffic *o, hs_client *c)
{
    struct snap s = {0};
    struct timespec next;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!stop_requested && (!o->count || s.refresh < o->count)) {
        if ((rc = take_snapshot(o, c, &s)))
            break;
        (o->json ? show_json : show_text)(o, &s);
        if (o->chart && update_chart(o, &s)) {
            rc = -1;
            break;
        }
        if (o->count && s.refresh >= o->count)
            break;
        advance(&next, o->interval);
        sleep_until(&next);
    }
    xm_stats_free(s.now);
    xm_stats_free(s.prev);
    return rc < 0 ? 1 : 0;
}

static int parse_opts(int argc, char **argv, struct traffic *o)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"jid", required_argument, NULL, 'j'},
        {"password-file", required_argument, NULL, 'p'},
        {"component", required_argument, NULL, 'c'},
        {"room", required_argument, NULL, 'r'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'J'},
        {"whole-server", no_argument, NULL, 'W'},
        {"bytes", no_argument, NULL, 'B'},
        {"chart", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int ch;
    double timeout = 5;

    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': o->admin.server = optarg; break;
        case 'j': o->admin.jid = optarg; break;
        case 'p': o->admin.password_file = optarg; break;
        case 'c': o->admin.component = optarg; break;
        case 'r': o->room = optarg; break;
        case 'J': o->json = 1; break;
        case 'W': o->whole = 1; break;
        case 'B': o->bytes = 1; break;
        case 'C': o->chart_path = optarg; break;
        case 'i':
            o->interval = strtod(optarg, &end);
            if (*end || !(o->interval >= 0.1 && o->interval <= 86400)) {
                fprintf(stderr,
                        "%s: --interval wants 0.1 to 86400 "
                        "seconds\n",
                        CMD);
                return 2;
            }
            break;
        case 'n':
            o->count = strtol(optarg, &end, 10);
            if (*end || o->count < 1) {
                fprintf(stderr, "%s: --count wants a positive number\n", CMD);
                return 2;
            }
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end || !(timeout >= 1 && timeout <= 3600)) {
                fprintf(stderr, "%s: --timeout wants 1 to 3600 seconds\n", CMD);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    o->admin.timeout_ms = (int)(timeout * 1000);
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", CMD, argv[optind]);
        return 2;
    }
    if (o->whole && (o->room || o->admin.component || o->bytes)) {
        fprintf(stderr,
                "%s: --whole-server takes no --room, --component or "
                "--bytes (the server modules count stanzas)\n",
                CMD);
        return 2;
    }
    return -1; /* go on */
}

/* The query's target: the component, ROOM@COMPONENT, or with
 * --whole-server the JID's own domain (the server's module answers). */
static int set_target(struct traffic *o)
{
    char comp[512];
    const char *at = strchr(o->admin.jid, '@');

    if (!cli_admin_component(&o->admin, comp, sizeof comp) || !at) {
        fprintf(stderr, "%s: --jid wants user@domain\n", CMD);
        return -1;
    }
    if (o->whole)
        snprintf(o->target, sizeof o->target, "%.*s", (int)strcspn(at + 1, "/"),
                 at + 1);
    else if (o->room && strchr(o->room, '@'))
        snprintf(o->target, sizeof o->target, "%s", o->room);
    else if (o->room)
        snprintf(o->target, sizeof o->target, "%s@%s", o->room, comp);
    else
        snprintf(o->target, sizeof o->target, "%s", comp);
    return 0;
}

int cli_traffic(int argc, char **argv)
{
    struct traffic o = {.interval = 1};
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
    hs_client *c;
    int rc;

    optind = 1;
    if ((rc = parse_opts(argc, argv, &o)) >= 0)
        return rc;
    if (!o.admin.server || !o.admin.jid || !o.admin.password_file) {
        fprintf(stderr,
                "%s: --server, --jid and --password-file are "
                "required\n",
                CMD);
        usage(stderr);
        return 2;
    }
    if (set_target(&o))
        return 2;
    if (o.chart_path && chart_new(&o.chart)) {
        fprintf(stderr, "%s: out of memory\n", CMD);
        return 1;
    }
    o.tty = !o.json && isatty(STDOUT_FILENO);
    stop_requested = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!(c = cli_admin_login(CMD, &o.admin))) {
        chart_free(o.chart);
        return 1;
    }
    rc = run(&o, c);
    hs_client_close(c);
    chart_free(o.chart);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return rc;
}
