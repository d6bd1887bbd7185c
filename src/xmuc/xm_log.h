/* xm_log.h -- xmucd's log: plain sentences, one per line, on stderr or
 * in a log file, and to syslog when asked. */
#ifndef SRC_XMUC_XM_LOG_H
#define SRC_XMUC_XM_LOG_H

#include <stddef.h>

enum xm_log_level { XM_LOG_ERROR, XM_LOG_WARN, XM_LOG_INFO, XM_LOG_DEBUG };

/* Messages above this level are dropped.  The default is XM_LOG_INFO. */
void xm_log_set_level(enum xm_log_level level);
enum xm_log_level xm_log_get_level(void);

/* Parses "error", "warn", "info" or "debug"; 0 on success, -1 otherwise. */
int xm_log_parse_level(const char *name, enum xm_log_level *level);

/* Parses a syslog facility name ("daemon", "user", "local0".."local7");
 * 0 on success, -1 otherwise. */
int xm_log_parse_facility(const char *name, int *facility);

/* Where lines go: file (appended to; NULL: stderr) and syslog under the
 * facility named (NULL: no syslog).  Opens the new file before closing
 * the old one, so calling it again with the same file reopens it after a
 * log rotation.  0, or -1 with a reason in err (the old file stays). */
int xm_log_open(const char *file, const char *facility, char *err,
                size_t errlen);

/* Closes the log file and syslog; lines go to stderr again. */
void xm_log_close(void);

void xm_log(enum xm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define xm_error(...) xm_log(XM_LOG_ERROR, __VA_ARGS__)
#define xm_warn(...) xm_log(XM_LOG_WARN, __VA_ARGS__)
#define xm_info(...) xm_log(XM_LOG_INFO, __VA_ARGS__)
#define xm_debug(...) xm_log(XM_LOG_DEBUG, __VA_ARGS__)

#endif
