/* hs_server.h -- throwaway Prosody and ejabberd servers on loopback.
 *
 * hs_server_start() writes a configuration into a fresh folder under
 * $TMPDIR, picks free loopback ports, starts the server in the
 * foreground under an hs_proc supervisor, and returns once a real login
 * has succeeded.  hs_server_stop() (or the death of the calling process)
 * stops it and removes the folder.
 *
 * Every server offers the same shape, whatever its kind:
 *   - domain "localhost": password accounts user1..userN (one password);
 *   - domain "anon.localhost": SASL ANONYMOUS logins;
 *   - component "rooms.localhost" (XEP-0114) with a random secret;
 *   - the server's own MUC at "muc.localhost" (the benchmarks' anchor);
 *   - STARTTLS offered with a throwaway certificate for "localhost" signed
 *     by a throwaway CA (hs_server_path(s, "ca.pem")), required only with
 *     require_encryption (as Prosody's default deployment);
 *     rate limits and shapers off. */
#ifndef TOOLS_HARNESS_HS_SERVER_H
#define TOOLS_HARNESS_HS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hs_server hs_server;

enum hs_kind { HS_PROSODY, HS_EJABBERD };

struct hs_options {
    int accounts;        /* password accounts user1..userN to create */
    int ready_timeout_s; /* 0 means 60 */
    int max_stanza_kb;   /* largest client stanza; 0 means 256 */
    const char *listen;  /* address the server listens on; NULL means
                            127.0.0.1 ("0.0.0.0" inside a test's own network
                            namespace lets its segments reach it) */
    /* clients must STARTTLS before they log in (Prosody's
     * c2s_require_encryption, ejabberd's starttls_required) */
    bool require_encryption;
    bool traffic_module; /* load our whole-server traffic module
                            (tools/servers/), readable by user1@localhost */
};

/* An existing server that we did not start (orbweb up --server). */
struct hs_external {
    enum hs_kind kind; /* what it is, for messages */
    const char *host;  /* IP literal of its client and component ports */
    int c2s_port, component_port;
    const char *domain;         /* the admin's domain */
    const char *anon_domain;    /* a domain that allows SASL ANONYMOUS */
    const char *component;      /* the component domain xmucd serves */
    const char *secret;         /* the component's secret */
    const char *muc;            /* its own MUC, or NULL */
    const char *admin_password; /* of the admin account */
};

/* "prosody" / "ejabberd" */
const char *hs_kind_name(enum hs_kind kind);

/* Parses "prosody" or "ejabberd"; returns 0 or -1. */
int hs_kind_parse(const char *name, enum hs_kind *kind);

/* True when the server's programs are installed; otherwise writes the
 * Debian package to install into err. */
bool hs_available(enum hs_kind kind, char *err, size_t errlen);

enum hs_server_result {
    HS_SERVER_OK = 0,
    HS_SERVER_ENOMEM = -1,
    HS_SERVER_EMISSING = -2,  /* the server's programs are not installed */
    HS_SERVER_ESYS = -3,      /* its folder, configuration or process */
    HS_SERVER_ENOTREADY = -4, /* it exited or did not serve logins in time */
    HS_SERVER_EPORT = -5,     /* a port was taken under it on every try */
};

/* Starts a server and waits until it is ready.  Returns 0 and sets *out,
 * or a negative HS_SERVER_E* code with *out NULL and a reason (and the
 * tail of the server's log) in err. */
int hs_server_start(enum hs_kind kind, const struct hs_options *opt, char *err,
                    size_t errlen, hs_server **out);

/* Describes an existing server: checks that an anonymous login works
 * and makes a scratch folder (for xmucd's log).  Stopping it only removes
 * the folder and frees s; restarting it is refused.  NULL on failure,
 * with the reason in err. */
hs_server *hs_server_attach(const struct hs_external *e, char *err,
                            size_t errlen);

/* Stops the server, removes its folder, frees s.  NULL is a no-op. */
void hs_server_stop(hs_server *s);

/* Stops the server and starts it again on the same ports, with the same
 * configuration and data, then waits until it is ready.  0 or -1. */
int hs_server_restart(hs_server *s, char *err, size_t errlen);

const char *hs_server_host(const hs_server *s); /* "127.0.0.1" */
int hs_server_c2s_port(const hs_server *s);
int hs_server_component_port(const hs_server *s);
const char *hs_server_domain(const hs_server *s); /* "localhost" */
const char *hs_server_anon_domain(const hs_server *s);
const char *hs_server_component(const hs_server *s); /* "rooms.localhost" */
const char *hs_server_muc(const hs_server *s);       /* "muc.localhost" */
const char *hs_server_secret(const hs_server *s);
const char *hs_server_password(const hs_server *s); /* of every account */
const char *hs_server_dir(const hs_server *s);
int hs_server_pid(const hs_server *s);
bool hs_server_running(hs_server *s);

/* Writes "<dir>/<name>" into buf; returns buf. */
char *hs_server_path(const hs_server *s, const char *name, char *buf,
                     size_t len);

/* Logs in once with libstrophe (SASL ANONYMOUS when pass is NULL) and
 * disconnects.  0 on success, -1 with a reason in err. */
int hs_probe_login(const char *host, int port, const char *jid,
                   const char *pass, int timeout_ms, char *err, size_t errlen);

/* The xmucd program the harness runs: $OB_XMUCD, else the one in the
 * build tree, else the installed one. */
const char *hs_xmucd_path(void);

/* Starts xmucd against s, its secret passed in XMUCD_SECRET (never on the
 * command line), logging to <server dir>/xmucd.log; extra_args (NULL or
 * NULL-terminated) are appended.  Waits until the component answers a
 * disco#info from a client.  NULL on failure, with the reason in err. */
struct hs_proc *hs_xmucd_start(hs_server *s, char *const *extra_args, char *err,
                               size_t errlen);

/* Stops an xmucd started by hs_xmucd_start; returns its exit status. */
int hs_xmucd_stop(struct hs_proc *p);

/* A TCP port nobody has bound, or -1: below the kernel's ephemeral
 * range, searched from a block chosen by the process id, so that tests
 * running in parallel rarely pick the same one (hs_server_start also
 * retries on new ports when a server finds one of its ports taken). */
int hs_free_port(void);

/* Fills buf with len-1 random lowercase hex characters. */
void hs_random_hex(char *buf, size_t len);

#endif
