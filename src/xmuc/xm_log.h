/* xm_log.h -- xmucd's log: plain sentences on stderr, one per line. */
#ifndef SRC_XMUC_XM_LOG_H
#define SRC_XMUC_XM_LOG_H

enum xm_log_level { XM_LOG_ERROR, XM_LOG_WARN, XM_LOG_INFO, XM_LOG_DEBUG };

/* Messages above this level are dropped.  The default is XM_LOG_INFO. */
void xm_log_set_level(enum xm_log_level level);
enum xm_log_level xm_log_get_level(void);

/* Parses "error", "warn", "info" or "debug"; 0 on success, -1 otherwise. */
int xm_log_parse_level(const char *name, enum xm_log_level *level);

void xm_log(enum xm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define xm_error(...) xm_log(XM_LOG_ERROR, __VA_ARGS__)
#define xm_warn(...) xm_log(XM_LOG_WARN, __VA_ARGS__)
#define xm_info(...) xm_log(XM_LOG_INFO, __VA_ARGS__)
#define xm_debug(...) xm_log(XM_LOG_DEBUG, __VA_ARGS__)

#endif
