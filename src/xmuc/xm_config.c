/* xm_config.c -- xmucd's settings from argv, a file and the environment.
 *
 * The file holds "name = value" lines; '#' starts a comment.  Every
 * setting has the same name on the command line (--name value) and in the
 * file, except the secret, which only comes from secret_file or from the
 * XMUCD_SECRET environment variable: never from the command line, where
 * any user of the machine could read it. */
#include "config.h"

#include "xm_config.h"
#include "xm_roomcfg.h"
#include "vm.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct setting {
    const char *name;
    int (*apply)(struct xm_config *cfg, const char *value, char *err,
                 size_t errlen);
};

static int replace(char **slot, const char *value)
{
    char *copy = strdup(value);

    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

int xm_config_set_server(struct xm_config *cfg, const char *value)
{
    const char *colon = strrchr(value, ':');
    char *end;
    long port;
    size_t hlen;

    if (!colon || colon == value)
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    hlen = (size_t)(colon - value);
    if (value[0] == '[') {
        if (hlen < 3 || value[hlen - 1] != ']')
            return -1;
        value++, hlen -= 2;
    }
    free(cfg->server_host);
    cfg->server_host = strndup(value, hlen);
    cfg->server_port = (int)port;
    return cfg->server_host ? 0 : -1;
}

static int set_server(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    if (xm_config_set_server(cfg, v) == 0)
        return 0;
    snprintf(err, n, "server '%s' is not HOST:PORT (e.g. 127.0.0.1:5347)", v);
    return -1;
}

static int set_domain(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    if (!*v || strchr(v, '@') || strchr(v, '/') || strchr(v, ' ')) {
        snprintf(err, n,
                 "domain '%s' is not a bare domain like rooms.example.org", v);
        return -1;
    }
    return replace(&cfg->domain, v);
}

static int set_secret_file(struct xm_config *cfg, const char *v, char *err,
                           size_t n)
{
    (void)err, (void)n;
    return replace(&cfg->secret_file, v);
}

static int set_log_level(struct xm_config *cfg, const char *v, char *err,
                         size_t n)
{
    if (xm_log_parse_level(v, &cfg->log_level) == 0)
        return 0;
    snprintf(err, n, "log level '%s' is not one of error, warn, info, debug",
             v);
    return -1;
}

static int parse_ms(int *slot, const char *name, const char *v, char *err,
                    size_t n)
{
    char *end;
    long ms = strtol(v, &end, 10);

    if (*v && !*end && ms >= 10 && ms <= 3600000) {
        *slot = (int)ms;
        return 0;
    }
    snprintf(err, n,
             "%s '%s' is not a number of milliseconds between 10 and 3600000",
             name, v);
    return -1;
}

static int set_rmin(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    return parse_ms(&cfg->reconnect_min_ms, "reconnect_min_ms", v, err, n);
}

static int set_rmax(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    return parse_ms(&cfg->reconnect_max_ms, "reconnect_max_ms", v, err, n);
}

static int parse_uint(unsigned *slot, const char *name, const char *v,
                      unsigned lo, unsigned hi, char *err, size_t n)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);

    if (*v >= '0' && *v <= '9' && !*end && x >= lo && x <= hi) {
        *slot = (unsigned)x;
        return 0;
    }
    snprintf(err, n, "%s '%s' is not a whole number between %u and %u", name, v,
             lo, hi);
    return -1;
}

#define UINT_SETTING(field, lo, hi)                                            \
    static int set_##field(struct xm_config *cfg, const char *v, char *err,    \
                           size_t n)                                           \
    {                                                                          \
        return parse_uint(&cfg->field, #field, v, lo, hi, err, n);             \
    }
UINT_SETTING(max_rooms, 1, 10000000)
UINT_SETTING(max_occupants, 1, 10000000)
UINT_SETTING(max_stanza_bytes, 1024, 16u << 20)
UINT_SETTING(rate_per_s, 0, 1000000)
UINT_SETTING(rate_burst, 0, 1000000)
UINT_SETTING(link_grace_s, 0, 86400)
UINT_SETTING(max_memory_mb, 16, 1048576)
UINT_SETTING(out_kb_per_s, 0, 4194303)
UINT_SETTING(out_kb_burst, 1, 4194303)
UINT_SETTING(rooms_per_jid, 1, 10000000)
UINT_SETTING(rooms_per_min, 0, 1000000)

static void free_admins(struct xm_config *cfg)
{
    for (char **a = cfg->admins; a && *a; a++)
        free(*a);
    free(cfg->admins);
    cfg->admins = NULL;
}

/* "a@b, c@d" or "a@b c@d": bare JIDs. */
static int set_admins(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    char *copy = strdup(v), *tok, *save = NULL;
    size_t count = 0;

    free_admins(cfg);
    if (!copy ||
        !(cfg->admins = calloc(strlen(v) / 2 + 2, sizeof *cfg->admins))) {
        free(copy);
        return -1;
    }
    for (tok = strtok_r(copy, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (!strchr(tok, '@') || strchr(tok, '/')) {
            snprintf(err, n,
                     "admin '%s' is not a bare JID like alice@example.org",
                     tok);
            free(copy);
            return -1;
        }
        if (!(cfg->admins[count++] = strdup(tok))) {
            free(copy);
            return -1;
        }
    }
    free(copy);
    return 0;
}

static int set_data_dir(struct xm_config *cfg, const char *v, char *err,
                        size_t n)
{
    (void)err, (void)n;
    return replace(&cfg->data_dir, v);
}

static int set_default_manager(struct xm_config *cfg, const char *v, char *err,
                               size_t n)
{
    if (!vm_manager_known(v)) {
        int at = snprintf(err, n, "default_manager '%s' is not one of", v);
        for (size_t i = 0; vm_manager_name(i) && at >= 0 && (size_t)at < n; i++)
            at += snprintf(err + at, n - (size_t)at, "%s %s", i ? "," : "",
                           vm_manager_name(i));
        return -1;
    }
    snprintf(cfg->default_manager, sizeof cfg->default_manager, "%s", v);
    return 0;
}

static int set_metrics(struct xm_config *cfg, const char *v, char *err,
                       size_t n)
{
    struct xm_config probe = {0};

    if (xm_config_set_server(&probe, v) < 0 ||
        (strncmp(probe.server_host, "127.", 4) &&
         strcmp(probe.server_host, "::1"))) {
        snprintf(err, n,
                 "metrics '%s' must be a loopback HOST:PORT such as "
                 "127.0.0.1:9464",
                 v);
        free(probe.server_host);
        return -1;
    }
    free(probe.server_host);
    return replace(&cfg->metrics, v);
}

static int set_log_file(struct xm_config *cfg, const char *v, char *err,
                        size_t n)
{
    if (*v != '/') {
        snprintf(err, n, "log_file '%s' is not an absolute path", v);
        return -1;
    }
    return replace(&cfg->log_file, v);
}

static int set_syslog(struct xm_config *cfg, const char *v, char *err, size_t n)
{
    int facility;

    if (!strcmp(v, "off")) {
        free(cfg->syslog);
        cfg->syslog = NULL;
        return 0;
    }
    if (xm_log_parse_facility(v, &facility) < 0) {
        snprintf(err, n,
                 "syslog '%s' is not off or a facility (daemon, user, "
                 "local0 to local7)",
                 v);
        return -1;
    }
    return replace(&cfg->syslog, v);
}

/* The order matches long_options below: index i is settings[i]. */
static const struct setting settings[] = {
    {"server", set_server},
    {"domain", set_domain},
    {"secret_file", set_secret_file},
    {"log_level", set_log_level},
    {"reconnect_min_ms", set_rmin},
    {"reconnect_max_ms", set_rmax},
    {"max_rooms", set_max_rooms},
    {"max_occupants", set_max_occupants},
    {"max_stanza_bytes", set_max_stanza_bytes},
    {"rate_per_s", set_rate_per_s},
    {"rate_burst", set_rate_burst},
    {"admins", set_admins},
    {"data_dir", set_data_dir},
    {"default_manager", set_default_manager},
    {"metrics", set_metrics},
    {"link_grace_s", set_link_grace_s},
    {"max_memory_mb", set_max_memory_mb},
    {"out_kb_per_s", set_out_kb_per_s},
    {"out_kb_burst", set_out_kb_burst},
    {"rooms_per_jid", set_rooms_per_jid},
    {"rooms_per_min", set_rooms_per_min},
    {"log_file", set_log_file},
    {"syslog", set_syslog},
};

static const struct setting *find_setting(const char *name)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (!strcmp(settings[i].name, name))
            return &settings[i];
    return NULL;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Applies one "name = value" line; names set on the command line
 * (marked in given[]) are skipped. */
static int apply_line(struct xm_config *cfg, char *line, const char *given,
                      char *err, size_t n)
{
    char *eq = strchr(line, '='), *name, *value;
    const struct setting *s;

    if (!eq) {
        snprintf(err, n, "expected 'name = value'");
        return -1;
    }
    *eq = '\0';
    name = trim(line);
    value = trim(eq + 1);
    if (!(s = find_setting(name))) {
        snprintf(err, n, "unknown setting '%s'", name);
        return -1;
    }
    if (given[s - settings])
        return 0;
    return s->apply(cfg, value, err, n);
}

static int load_file(struct xm_config *cfg, const char *path, const char *given,
                     char *err, size_t n)
{
    FILE *f = fopen(path, "r");
    char line[1024], why[256];
    int lineno = 0;

    if (!f) {
        snprintf(err, n, "cannot read configuration file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#'), *t;
        lineno++;
        if (hash)
            *hash = '\0';
        t = trim(line);
        if (*t && apply_line(cfg, t, given, why, sizeof why) < 0) {
            snprintf(err, n, "%s:%d: %s", path, lineno, why);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int read_secret_file(struct xm_config *cfg, char *err, size_t n)
{
    FILE *f = fopen(cfg->secret_file, "r");
    char buf[1024] = "";
    struct stat st;

    if (!f || !fgets(buf, sizeof buf, f)) {
        snprintf(err, n, "cannot read the secret file %s: %s", cfg->secret_file,
                 f ? "it is empty" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr,
                "xmucd: warning: %s is readable by other users; "
                "chmod 600 it\n",
                cfg->secret_file);
    fclose(f);
    return replace(&cfg->secret, trim(buf));
}

static int finish(struct xm_config *cfg, char *err, size_t n)
{
    const char *env = getenv("XMUCD_SECRET");

    if (cfg->secret_file) {
        if (read_secret_file(cfg, err, n) < 0)
            return -1;
    } else if (env && *env && replace(&cfg->secret, env) < 0)
        return -1;
    if (!cfg->server_host)
        snprintf(
            err, n,
            "no server: give --server HOST:PORT (the server's component port)");
    else if (!cfg->domain)
        snprintf(err, n,
                 "no domain: give --domain, the component's domain (e.g. "
                 "rooms.localhost)");
    else if (!cfg->secret || !*cfg->secret)
        snprintf(err, n,
                 "no secret: give --secret-file FILE or set XMUCD_SECRET");
    else if (cfg->reconnect_max_ms < cfg->reconnect_min_ms)
        snprintf(err, n, "reconnect_max_ms is below reconnect_min_ms");
    else
        return 0;
    return -1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: xmucd --server HOST:PORT --domain DOMAIN --secret-file FILE\n"
        "             [--config FILE] [--log-level error|warn|info|debug]\n"
        "             [--reconnect-min-ms MS] [--reconnect-max-ms MS]\n"
        "             [--max-rooms N] [--max-occupants N] [--max-stanza-bytes "
        "N]\n"
        "             [--rate-per-s N] [--rate-burst N] [--admins JID,...]\n"
        "             [--data-dir DIR] [--default-manager NAME] [--metrics "
        "HOST:PORT]\n"
        "             [--link-grace-s S]\n"
        "             [--max-memory-mb N] [--out-kb-per-s N] [--out-kb-burst "
        "N]\n"
        "             [--rooms-per-jid N] [--rooms-per-min N]\n"
        "             [--log-file PATH] [--syslog off|FACILITY]\n"
        "The secret may also come from the XMUCD_SECRET environment variable.\n"
        "See xmucd(8).\n");
}

static const struct option long_options[] = {
    {"server", required_argument, NULL, 0},
    {"domain", required_argument, NULL, 0},
    {"secret-file", required_argument, NULL, 0},
    {"log-level", required_argument, NULL, 0},
    {"reconnect-min-ms", required_argument, NULL, 0},
    {"reconnect-max-ms", required_argument, NULL, 0},
    {"max-rooms", required_argument, NULL, 0},
    {"max-occupants", required_argument, NULL, 0},
    {"max-stanza-bytes", required_argument, NULL, 0},
    {"rate-per-s", required_argument, NULL, 0},
    {"rate-burst", required_argument, NULL, 0},
    {"admins", required_argument, NULL, 0},
    {"data-dir", required_argument, NULL, 0},
    {"default-manager", required_argument, NULL, 0},
    {"metrics", required_argument, NULL, 0},
    {"link-grace-s", required_argument, NULL, 0},
    {"max-memory-mb", required_argument, NULL, 0},
    {"out-kb-per-s", required_argument, NULL, 0},
    {"out-kb-burst", required_argument, NULL, 0},
    {"rooms-per-jid", required_argument, NULL, 0},
    {"rooms-per-min", required_argument, NULL, 0},
    {"log-file", required_argument, NULL, 0},
    {"syslog", required_argument, NULL, 0},
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Applies the command line; marks which settings it gave. */
static int parse_args(struct xm_config *cfg, int argc, char **argv, char *given,
                      char *err, size_t n)
{
    int c, idx;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:h", long_options, &idx)) != -1) {
        if (c == 'h' || c == 'V') {
            if (c == 'h')
                usage(stdout);
            else
                printf("xmucd %s\n", PACKAGE_VERSION);
            return 1;
        }
        if (c == 'c') {
            if (replace(&cfg->config_file, optarg) < 0)
                return -1;
            continue;
        }
        if (c != 0) {
            snprintf(err, n,
                     "unknown or incomplete option '%s' (see xmucd --help)",
                     argv[optind - 1]);
            return -1;
        }
        /* long options map to settings: index idx matches settings[idx] */
        if (settings[idx].apply(cfg, optarg, err, n) < 0)
            return -1;
        given[idx] = 1;
    }
    if (optind < argc) {
        snprintf(err, n,
                 "unexpected argument '%s' (the secret never goes on the "
                 "command line; see xmucd --help)",
                 argv[optind]);
        return -1;
    }
    return 0;
}

int xm_config_load(struct xm_config *cfg, int argc, char **argv, char *err,
                   size_t n)
{
    char given[sizeof settings / sizeof settings[0]] = {0};
    int r;

    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = XM_LOG_INFO;
    cfg->reconnect_min_ms = 500;
    cfg->reconnect_max_ms = 30000;
    cfg->max_rooms = 10000;
    cfg->max_occupants = 100000;
    cfg->max_stanza_bytes = 65536;
    cfg->rate_per_s = 50;
    cfg->rate_burst = 200;
    cfg->link_grace_s = 60;
    cfg->max_memory_mb = 512;
    cfg->out_kb_per_s = 1024;
    cfg->out_kb_burst = 4096;
    cfg->rooms_per_jid = 100;
    cfg->rooms_per_min = 30;
    strcpy(cfg->default_manager, "complete");
    r = parse_args(cfg, argc, argv, given, err, n);
    if (r != 0)
        return r;
    if (cfg->config_file && load_file(cfg, cfg->config_file, given, err, n) < 0)
        return -1;
    return finish(cfg, err, n);
}

void xm_config_clear(struct xm_config *cfg)
{
    if (cfg->secret) {
        memset(cfg->secret, 0, strlen(cfg->secret));
        free(cfg->secret);
    }
    free(cfg->server_host);
    free(cfg->domain);
    free(cfg->secret_file);
    free(cfg->config_file);
    free(cfg->data_dir);
    free(cfg->metrics);
    free(cfg->log_file);
    free(cfg->syslog);
    free_admins(cfg);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- reloads: what changed, what needs a restart ------------------------ */

enum kind { K_STR, K_UINT, K_INT, K_LEVEL, K_ADMINS, K_CHARS, K_SECRET };

struct field {
    const char *name;
    enum kind kind;
    size_t off, size;
    int restart;
};

#define F(name, kind, restart)                                                 \
    {                                                                          \
#name, kind, offsetof(struct xm_config, name),                         \
            sizeof(((struct xm_config *)0)->name), restart                     \
    }
static const struct field fields[] = {
    F(server_host, K_STR, 1),
    F(server_port, K_INT, 1),
    F(domain, K_STR, 1),
    F(secret, K_SECRET, 1),
    F(secret_file, K_STR, 1),
    F(data_dir, K_STR, 1),
    F(metrics, K_STR, 1),
    F(max_memory_mb, K_UINT, 1),
    F(max_stanza_bytes, K_UINT, 1),
    F(reconnect_min_ms, K_INT, 1),
    F(reconnect_max_ms, K_INT, 1),
    F(log_level, K_LEVEL, 0),
    F(log_file, K_STR, 0),
    F(syslog, K_STR, 0),
    F(max_rooms, K_UINT, 0),
    F(max_occupants, K_UINT, 0),
    F(rate_per_s, K_UINT, 0),
    F(rate_burst, K_UINT, 0),
    F(out_kb_per_s, K_UINT, 0),
    F(out_kb_burst, K_UINT, 0),
    F(rooms_per_jid, K_UINT, 0),
    F(rooms_per_min, K_UINT, 0),
    F(link_grace_s, K_UINT, 0),
    F(admins, K_ADMINS, 0),
    F(default_manager, K_CHARS, 0),
};
#undef F

static void format_admins(char *const *admins, char *buf, size_t n)
{
    size_t at = 0;

    snprintf(buf, n, "(none)");
    for (char *const *a = admins; a && *a && at < n; a++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? "," : "", *a);
}

static void format_field(const struct xm_config *c, const struct field *f,
                         char *buf, size_t n)
{
    const char *at = (const char *)c + f->off;
    const char *str = NULL;
    static const char *const levels[] = {"error", "warn", "info", "debug"};

    switch (f->kind) {
    case K_STR:
        str = *(char *const *)(const void *)at;
        snprintf(buf, n, "%s", str ? str : "(none)");
        break;
    case K_SECRET: snprintf(buf, n, "(hidden)"); break;
    case K_UINT:
        snprintf(buf, n, "%u", *(const unsigned *)(const void *)at);
        break;
    case K_INT: snprintf(buf, n, "%d", *(const int *)(const void *)at); break;
    case K_LEVEL:
        snprintf(buf, n, "%s",
                 levels[*(const enum xm_log_level *)(const void *)at]);
        break;
    case K_ADMINS:
        format_admins(*(char *const *const *)(const void *)at, buf, n);
        break;
    case K_CHARS: snprintf(buf, n, "%s", at); break;
    }
}

static int secret_differs(const struct xm_config *a, const struct xm_config *b)
{
    return (a->secret == NULL) != (b->secret == NULL) ||
           (a->secret && strcmp(a->secret, b->secret));
}

void xm_config_changes(const struct xm_config *running,
                       const struct xm_config *next,
                       void (*fn)(void *ctx, const char *name, const char *from,
                                  const char *to, int restart),
                       void *ctx)
{
    char from[512], to[512];

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        format_field(running, f, from, sizeof from);
        format_field(next, f, to, sizeof to);
        if (f->kind == K_SECRET ? secret_differs(running, next)
                                : strcmp(from, to) != 0)
            fn(ctx, f->name, from, to, f->restart);
    }
}

void xm_config_keep_restart(struct xm_config *next, struct xm_config *running)
{
    unsigned char tmp[sizeof(struct xm_config)];

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        if (!f->restart)
            continue;
        memcpy(tmp, (char *)next + f->off, f->size);
        memcpy((char *)next + f->off, (char *)running + f->off, f->size);
        memcpy((char *)running + f->off, tmp, f->size);
    }
}
