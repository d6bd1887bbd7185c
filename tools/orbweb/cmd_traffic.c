/* cmd_traffic.c -- orbweb traffic: xmucd's stanza traffic, live.
 *
 * Logs in as an admin, asks the component (or one room) for its counters
 * every interval, and shows per kind the stanzas and bytes in and out
 * with their rates, computed from two successive snapshots and the
 * server's own clock (the table's age), so network delays do not skew
 * them.  On a terminal the table is redrawn in place; otherwise, and
 * with --json (one object per line), snapshots follow each other. */
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
#include "xm_stats.h"

#define CMD "orbweb traffic"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct traffic {
    struct cli_admin admin;
    const char *room;
    double interval;
    long count; /* 0: until stopped */
    int json, tty;
    char target[1024];
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
            "                      [--component DOMAIN] [--room ROOM] "
            "[--interval SECONDS]\n"
            "                      [--count N] [--json] [--timeout SECONDS]\n"
            "Shows xmucd's stanzas and bytes in and out per kind, with rates,\n"
            "refreshed every interval (1 s).  --room shows one room instead\n"
            "of the whole service; --json prints one object per snapshot per\n"
            "line; --count stops after N snapshots; Ctrl-C stops.\n"
            "The component defaults to rooms.DOMAIN of the JID.\n");
}

/* ---- Rates -------------------------------------------------------- */

struct rates {
    double stanzas[2], bytes[2];
    int known;
};

static struct rates rates_of(const struct snap *s, const struct xm_counter *c)
{
    struct rates r = {{0, 0}, {0, 0}, 0};
    struct xm_counter p;

    if (!s->prev || s->dt <= 0)
        return r;
    if (xm_stats_get(s->prev, c->kind, &p))
        p = (struct xm_counter){0}; /* a new kind: it started at zero */
    for (int d = 0; d < 2; d++) {
        if (c->stanzas[d] < p.stanzas[d] || c->bytes[d] < p.bytes[d])
            return r; /* went backwards: a reset, no rate */
        r.stanzas[d] = (double)(c->stanzas[d] - p.stanzas[d]) / s->dt;
        r.bytes[d] = (double)(c->bytes[d] - p.bytes[d]) / s->dt;
    }
    r.known = 1;
    return r;
}

/* ---- Text --------------------------------------------------------- */

struct text_ctx {
    const struct snap *s;
    int width;
};

static int measure(void *arg, const struct xm_counter *c)
{
    struct text_ctx *t = arg;
    int n = (int)strlen(c->kind);

    if (n > t->width)
        t->width = n > 60 ? 60 : n;
    return 0;
}

static void print_rate(double v, int known)
{
    if (known)
        printf(" %10.1f", v);
    else
        printf(" %10s", "-");
}

/* Kinds come from the network: control characters are not printed. */
static void print_kind(const char *k, int width)
{
    int n = 0;

    for (; *k && n < width; k++, n++)
        putchar((unsigned char)*k < 0x20 || *k == 0x7f ? '?' : *k);
    printf("%*s", width - n, "");
}

static void print_row(const struct text_ctx *t, const struct xm_counter *c,
                      struct rates r)
{
    print_kind(c->kind, t->width);
    for (int d = 0; d < 2; d++) {
        printf(" %12" PRIu64, c->stanzas[d]);
        print_rate(r.stanzas[d], r.known);
        printf(" %14" PRIu64, c->bytes[d]);
        print_rate(r.bytes[d], r.known);
    }
    putchar('\n');
}

static int text_row(void *arg, const struct xm_counter *c)
{
    struct text_ctx *t = arg;

    print_row(t, c, rates_of(t->s, c));
    return 0;
}

static struct rates total_rates(const struct snap *s,
                                const struct xm_counter *total)
{
    struct rates r = {{0, 0}, {0, 0}, 0};
    struct xm_counter p;

    if (!s->prev || s->dt <= 0)
        return r;
    p = xm_stats_total(s->prev);
    for (int d = 0; d < 2; d++) {
        if (total->stanzas[d] < p.stanzas[d] || total->bytes[d] < p.bytes[d])
            return r;
        r.stanzas[d] = (double)(total->stanzas[d] - p.stanzas[d]) / s->dt;
        r.bytes[d] = (double)(total->bytes[d] - p.bytes[d]) / s->dt;
    }
    r.known = 1;
    return r;
}

static void show_text(const struct traffic *o, const struct snap *s)
{
    struct text_ctx t = {s, 5};
    struct xm_counter total = xm_stats_total(s->now);

    xm_stats_each(s->now, measure, &t);
    if (o->tty)
        fputs("\033[H\033[2J", stdout);
    else if (s->refresh > 1)
        putchar('\n');
    printf("%s  counted for %.1f s, every %g s%s\n", o->target, s->age,
           o->interval, o->tty ? "  (Ctrl-C stops)" : "");
    printf("%-*s %12s %10s %14s %10s %12s %10s %14s %10s\n", t.width, "KIND",
           "IN", "IN/s", "IN BYTES", "IN B/s", "OUT", "OUT/s", "OUT BYTES",
           "OUT B/s");
    xm_stats_each(s->now, text_row, &t);
    total.kind = "total";
    print_row(&t, &total, total_rates(s, &total));
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

static void json_counter(const struct xm_counter *c, struct rates r)
{
    static const char *const dir[2] = {"in", "out"};

    for (int d = 0; d < 2; d++) {
        printf(",\"%s\":{\"stanzas\":%" PRIu64 ",\"bytes\":%" PRIu64, dir[d],
               c->stanzas[d], c->bytes[d]);
        if (r.known)
            printf(",\"stanzas_per_s\":%.3f,\"bytes_per_s\":%.3f}",
                   r.stanzas[d], r.bytes[d]);
        else
            printf(",\"stanzas_per_s\":null,\"bytes_per_s\":null}");
    }
}

struct json_ctx {
    const struct snap *s;
    int n;
};

static int json_kind(void *arg, const struct xm_counter *c)
{
    struct json_ctx *j = arg;

    printf("%s{\"kind\":", j->n++ ? "," : "");
    json_string(c->kind);
    json_counter(c, rates_of(j->s, c));
    putchar('}');
    return 0;
}

static void show_json(const struct traffic *o, const struct snap *s)
{
    struct json_ctx j = {s, 0};
    struct xm_counter total = xm_stats_total(s->now);
    struct timeval tv;

    gettimeofday(&tv, NULL);
    printf("{\"target\":");
    json_string(o->target);
    printf(",\"time\":%lld.%03ld,\"age\":%.3f,\"interval\":%g,\"kinds\":[",
           (long long)tv.tv_sec, (long)(tv.tv_usec / 1000), s->age,
           o->interval);
    xm_stats_each(s->now, json_kind, &j);
    printf("],\"total\":{\"kind\":\"total\"");
    json_counter(&total, total_rates(s, &total));
    printf("}}\n");
    fflush(stdout);
}

/* ---- The loop ----------------------------------------------------- */

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
        if (rc < 0)
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
    return -1; /* go on */
}

/* The query's target: the component, or ROOM@COMPONENT. */
static int set_target(struct traffic *o)
{
    char comp[512];

    if (!cli_admin_component(&o->admin, comp, sizeof comp)) {
        fprintf(stderr, "%s: --jid wants user@domain\n", CMD);
        return -1;
    }
    if (o->room && strchr(o->room, '@'))
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
    o.tty = !o.json && isatty(STDOUT_FILENO);
    stop_requested = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!(c = cli_admin_login(CMD, &o.admin)))
        return 1;
    rc = run(&o, c);
    hs_client_close(c);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return rc;
}
