/* xm_log.c -- xmucd's log: UTC timestamp, level, one sentence per line.
 *
 * Lines go to stderr or to a log file opened for appending (reopened on
 * SIGHUP, which is how logrotate hands over), and with a facility also
 * to syslog (without the timestamp: syslog adds its own). */
#include "config.h"

#include "xm_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum xm_log_level threshold = XM_LOG_INFO;
static const char *const names[] = {"error", "warn", "info", "debug"};
static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
static FILE *file; /* NULL: stderr */
static bool to_syslog;

static const struct {
    const char *name;
    int facility;
} facilities[] = {
    {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

int xm_log_parse_facility(const char *name, int *facility)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (!strcmp(name, facilities[i].name)) {
            *facility = facilities[i].facility;
            return 0;
        }
    return -1;
}

int xm_log_open(const char *path, const char *facility, char *err,
                size_t errlen)
{
    FILE *f = NULL;
    int fac = LOG_DAEMON;

    if (facility && xm_log_parse_facility(facility, &fac) < 0) {
        snprintf(err, errlen, "syslog facility '%s' is unknown", facility);
        return -1;
    }
    if (path && !(f = fopen(path, "ae"))) {
        snprintf(err, errlen, "cannot open the log file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (f)
        setvbuf(f, NULL, _IOLBF, 0);
    xm_log_close();
    file = f;
    if (facility) {
        openlog("xmucd", LOG_PID, fac);
        to_syslog = true;
    }
    return 0;
}

void xm_log_close(void)
{
    if (file)
        fclose(file);
    file = NULL;
    if (to_syslog)
        closelog();
    to_syslog = false;
}

void xm_log_set_level(enum xm_log_level level)
{
    threshold = level;
}

enum xm_log_level xm_log_get_level(void)
{
    return threshold;
}

int xm_log_parse_level(const char *name, enum xm_log_level *level)
{
    for (int i = XM_LOG_ERROR; i <= XM_LOG_DEBUG; i++)
        if (!strcmp(name, names[i])) {
            *level = (enum xm_log_level)i;
            return 0;
        }
    return -1;
}

void xm_log(enum xm_log_level level, const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;
    FILE *out;

    if (level > threshold)
        return;
    if (to_syslog) {
        va_start(ap, fmt);
        vsyslog(priorities[level], fmt, ap);
        va_end(ap);
    }
    out = file ? file : stderr;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "%s xmucd %s: ", stamp, names[level]);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}
