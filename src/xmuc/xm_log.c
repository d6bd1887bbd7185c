/* xm_log.c -- xmucd's log: UTC timestamp, level, one sentence per line. */
#include "config.h"

#include "xm_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum xm_log_level threshold = XM_LOG_INFO;
static const char *const names[] = {"error", "warn", "info", "debug"};

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

    if (level > threshold)
        return;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s xmucd %s: ", stamp, names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
