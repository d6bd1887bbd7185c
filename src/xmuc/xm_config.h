/* xm_config.h -- xmucd's settings: command line, configuration file,
 * environment, validated into one structure. */
#ifndef SRC_XMUC_XM_CONFIG_H
#define SRC_XMUC_XM_CONFIG_H

#include <stddef.h>

#include "xm_log.h"

struct xm_config {
    char *server_host; /* literal address of the XMPP server */
    int server_port;   /* its component port */
    char *domain;      /* our component domain, e.g. rooms.example.org */
    char *secret;      /* the component secret (never from argv) */
    char *secret_file; /* where the secret came from, if a file */
    char *config_file; /* --config, if given */
    enum xm_log_level log_level;
    int reconnect_min_ms;   /* first reconnection delay */
    int reconnect_max_ms;   /* cap of the exponential backoff */
    unsigned max_rooms;     /* rooms at once */
    unsigned max_occupants; /* per room */
    unsigned max_stanza_bytes;
    unsigned rate_per_s, rate_burst; /* per occupant; 0: unlimited */
    unsigned max_memory_mb; /* the memory bound the limits below derive from */
    unsigned out_kb_per_s, out_kb_burst; /* output an occupant causes
                                            (bytes x recipients); 0: none */
    unsigned rooms_per_jid; /* rooms a bare JID created that exist */
    unsigned rooms_per_min; /* room creations per bare JID per minute */
    char **admins;          /* bare JIDs, NULL-terminated */
    char *data_dir;         /* persistent rooms; NULL: none */
    char default_manager[24];
    char *metrics; /* loopback HOST:PORT for OpenMetrics; NULL: off */
    unsigned
        link_grace_s; /* rooms and occupants outlive a link loss this long */
    char *log_file;   /* append log lines here; NULL: stderr */
    char *syslog;     /* syslog facility name; NULL: no syslog */
};

/* Fills cfg from argv and the configuration file it names, then the
 * environment (XMUCD_SECRET).  Command-line settings win over the file.
 * Returns 0, 1 when --help or --version was answered, or -1 with a one-line
 * reason in err that says what to fix. */
int xm_config_load(struct xm_config *cfg, int argc, char **argv, char *err,
                   size_t errlen);

/* Calls fn for every setting whose value differs between running and
 * next, with both values as text (a secret shows as "(hidden)"), and
 * whether the change needs a restart (the link and storage settings). */
void xm_config_changes(const struct xm_config *running,
                       const struct xm_config *next,
                       void (*fn)(void *ctx, const char *name, const char *from,
                                  const char *to, int restart),
                       void *ctx);

/* Gives next the running values of the settings that need a restart
 * (swapping them: clearing running then frees next's new values), so
 * that a reload applies only what it can. */
void xm_config_keep_restart(struct xm_config *next, struct xm_config *running);

/* Frees what cfg owns (and wipes the secret). */
void xm_config_clear(struct xm_config *cfg);

/* Parses "HOST:PORT" or "[V6]:PORT" into cfg's server fields. */
int xm_config_set_server(struct xm_config *cfg, const char *value);

#endif
