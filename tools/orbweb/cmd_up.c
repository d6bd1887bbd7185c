/* cmd_up.c -- orbweb up: a whole local system on loopback, shown working.
 *
 * Starts a throwaway XMPP server (Prosody by default) from a generated
 * configuration, starts xmucd against it, logs in a client, asks the
 * component what it is (disco#info) and pings it, then lets demo peers
 * join a room (red-black tree views unless --manager says otherwise),
 * prints the room's topology as an admin fetches it and draws it as SVG
 * with Graphviz, and shows a live one-line traffic summary (xmucd's
 * counters, every two seconds).  While it runs, the demo peers send a
 * modest traffic (each a unicast a second to the next peer, and one
 * groupcast a second in turn) and count what they receive; the topology
 * is fetched again every two seconds and redrawn when the room changed.
 * Everything keeps running until Ctrl-C (or --for SECONDS), so other clients
 * can join too.  On the way out it stops everything it started; the harness
 * supervisors make sure of that even if this process is killed.
 *
 * With --server HOST:PORT it starts no server: xmucd connects to the
 * existing server's component port (secret from --secret-file or
 * XMUCD_SECRET), the demo peers log in anonymously, and the admin given
 * by --admin (password from --admin-password-file) fetches the
 * topology and the traffic; the server is left running at the end. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_admin.h"
#include "cli_paths.h"
#include "vm.h"
#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "topo.h"
#include "topo_draw.h"
#include "xm_roomcfg.h"
#include "xm_stats.h"
#include "ut_ns.h"

#define DEMO_ROOM "demo"

struct up_opts {
    enum hs_kind kind;
    int seconds, peers;
    bool require_encryption; /* the started server requires STARTTLS */
    const char *manager, *view_size, *svg;
    /* an existing server (--server HOST:PORT) */
    const char *server, *component, *anon_domain, *admin, *admin_pw_file,
        *secret_file;
    int component_port;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void print_disco(xmpp_stanza_t *reply)
{
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(reply, UT_NS_DISCO_INFO);

    for (xmpp_stanza_t *c = q ? xmpp_stanza_get_children(q) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_get_name(c);
        if (name && !strcmp(name, "identity"))
            printf("  identity: %s/%s \"%s\"\n",
                   xmpp_stanza_get_attribute(c, "category"),
                   xmpp_stanza_get_attribute(c, "type"),
                   xmpp_stanza_get_attribute(c, "name"));
        else if (name && !strcmp(name, "feature"))
            printf("  feature:  %s\n", xmpp_stanza_get_attribute(c, "var"));
    }
}

/* Asks the component disco#info and ping; 0 when both are answered. */
static int show_component(hs_server *s)
{
    char err[1024];
    hs_client *c = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                                     hs_server_anon_domain(s), NULL, 10000, err,
                                     sizeof err);
    xmpp_stanza_t *iq, *reply;
    int ok = 0;

    if (!c) {
        fprintf(stderr, "orbweb up: %s\n", err);
        return -1;
    }
    printf("client %s asks %s what it is (disco#info):\n", hs_client_jid(c),
           hs_server_component(s));
    iq = hs_iq_query(hs_client_ctx(c), "get", hs_server_component(s), "query",
                     UT_NS_DISCO_INFO);
    if ((reply = hs_client_iq(c, iq, 5000))) {
        print_disco(reply);
        ok += !strcmp(xmpp_stanza_get_type(reply), "result");
        xmpp_stanza_release(reply);
    }
    xmpp_stanza_release(iq);
    iq = hs_iq_query(hs_client_ctx(c), "get", hs_server_component(s), "ping",
                     "urn:xmpp:ping");
    if ((reply = hs_client_iq(c, iq, 5000))) {
        printf("ping %s: %s\n", hs_server_component(s),
               xmpp_stanza_get_type(reply));
        ok += !strcmp(xmpp_stanza_get_type(reply), "result");
        xmpp_stanza_release(reply);
    }
    xmpp_stanza_release(iq);
    hs_client_close(c);
    return ok == 2 ? 0 : -1;
}

/* Lets the demo peers join the demo room with the chosen manager. */
static int join_peers(hs_server *s, hs_client **peers, const struct up_opts *o)
{
    int n = o->peers;
    char err[1024], to[256], from[256];

    for (int i = 0; i < n; i++) {
        xmpp_stanza_t *p, *x, *j, *self;
        if (!(peers[i] = hs_client_connect(
                  hs_server_host(s), hs_server_c2s_port(s),
                  hs_server_anon_domain(s), NULL, 10000, err, sizeof err))) {
            fprintf(stderr, "orbweb up: peer %d: %s\n", i + 1, err);
            return -1;
        }
        snprintf(to, sizeof to, DEMO_ROOM "@%s/peer%d", hs_server_component(s),
                 i + 1);
        p = xmpp_presence_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_to(p, to);
        x = xmpp_stanza_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_name(x, "x");
        xmpp_stanza_set_ns(x, "http://jabber.org/protocol/muc");
        xmpp_stanza_add_child(p, x);
        xmpp_stanza_release(x);
        j = xmpp_stanza_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_name(j, "join");
        xmpp_stanza_set_ns(j, UT_NS_XMUC);
        xmpp_stanza_set_attribute(j, "manager", o->manager);
        xmpp_stanza_set_attribute(j, "view-size", o->view_size);
        xmpp_stanza_add_child(p, j);
        xmpp_stanza_release(j);
        hs_client_send(peers[i], p);
        xmpp_stanza_release(p);
        snprintf(from, sizeof from, "%s", to);
        if (!(self = hs_client_wait_from(peers[i], "presence", from, 10000))) {
            fprintf(stderr, "orbweb up: peer %d could not join\n", i + 1);
            return -1;
        }
        xmpp_stanza_release(self);
    }
    printf("%d peers joined %s@%s (%s views, view size %s)\n", n, DEMO_ROOM,
           hs_server_component(s), o->manager, o->view_size);
    return 0;
}

/* Draws the topology as SVG (topo_draw.h: a layout chosen for the size,
 * readable at 1,000 members), written to a temporary file first so a
 * viewer never sees half a picture. */
static void draw_svg(const struct cli_topo *topo, const char *path)
{
    char tmp[1100], err[256];
    FILE *f;
    int rc;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        printf("(cannot draw to %s: %s)\n", path, strerror(errno));
        return;
    }
    rc = cli_topo_draw(topo, DEMO_ROOM, NULL, CLI_DRAW_SVG, f, err, sizeof err);
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        snprintf(err, sizeof err, "%s", strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) == 0) {
        printf("drawn: %s\n", path);
        return;
    }
    remove(tmp);
    printf("(no drawing of %s: %s)\n", path, rc ? err : strerror(errno));
}

/* The topology as its text form (malloc'd), or NULL. */
static char *topo_text(const struct cli_topo *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return NULL;
    cli_topo_write_text(t, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The demo's admin: user1 of a throwaway server, or --admin. */
static void admin_jid(const hs_server *s, const struct up_opts *o, char *buf,
                      size_t len)
{
    if (o->admin)
        snprintf(buf, len, "%s", o->admin);
    else
        snprintf(buf, len, "user1@%s", hs_server_domain(s));
}

/* Logs in xmucd's admin (its password is the server's accounts' one). */
static hs_client *admin_login(hs_server *s, const struct up_opts *o, char *err,
                              size_t errlen)
{
    char jid[320];

    admin_jid(s, o, jid, sizeof jid);
    return hs_client_connect(hs_server_host(s), hs_server_c2s_port(s), jid,
                             hs_server_password(s), 10000, err, errlen);
}

/* Fetches the demo room's topology as the admin, prints and draws it. */
static int show_topology(hs_server *s, hs_client *admin, const char *svg,
                         const char *admin_name, char **drawn)
{
    char err[1024], room[256], *json = NULL;
    struct cli_topo topo;
    int r = -1;

    snprintf(room, sizeof room, DEMO_ROOM "@%s", hs_server_component(s));
    if (cli_admin_topology(admin, room, 10000, NULL, &json, err, sizeof err) !=
        0) {
        fprintf(stderr, "orbweb up: topology: %s\n", err);
        return -1;
    }
    if (cli_topo_parse(json, strlen(json), &topo, NULL) == 0) {
        printf("topology of %s, as its admin %s sees it (orbweb topo):\n", room,
               admin_name);
        cli_topo_write_text(&topo, stdout);
        draw_svg(&topo, svg);
        *drawn = topo_text(&topo);
        cli_topo_clear(&topo);
        r = 0;
    }
    free(json);
    return r;
}

/* One line of xmucd's traffic: totals and rates since the last line. */
static void traffic_line(hs_server *s, hs_client *admin,
                         struct xm_counter *last, double *last_age)
{
    char err[256];
    xmpp_stanza_t *st = NULL;
    xm_stats *stats = NULL;
    struct xm_counter t;
    double age, dt;

    if (cli_admin_query(admin, hs_server_component(s), "stats", 5000, NULL, &st,
                        err, sizeof err) != 0 ||
        xm_stats_parse(st, &stats, &age) != 0) {
        printf("traffic: %s\n", err);
        if (st)
            xmpp_stanza_release(st);
        return;
    }
    t = xm_stats_total(stats);
    dt = age - *last_age > 0 ? age - *last_age : 1;
    printf("traffic: in %llu stanzas (%.1f/s), out %llu stanzas (%.1f/s), "
           "%.1f KB out\n",
           (unsigned long long)t.stanzas[XM_IN],
           (double)(t.stanzas[XM_IN] - last->stanzas[XM_IN]) / dt,
           (unsigned long long)t.stanzas[XM_OUT],
           (double)(t.stanzas[XM_OUT] - last->stanzas[XM_OUT]) / dt,
           (double)t.bytes[XM_OUT] / 1024.0);
    fflush(stdout);
    *last = t;
    *last_age = age;
    xm_stats_free(stats);
    xmpp_stanza_release(st);
}

static void usage(void)
{
    printf(
        "usage: orbweb up [--server-kind prosody|ejabberd] [--for SECONDS]\n"
        "                 [--peers N] [--manager NAME] [--view-size S] [--svg "
        "FILE]\n"
        "                 [--require-encryption]\n"
        "       orbweb up --server HOST:PORT --admin JID --admin-password-file "
        "F\n"
        "                 [--secret-file F] [--component-port P] [--component "
        "DOMAIN]\n"
        "                 [--anon-domain DOMAIN] [other options as above]\n"
        "Starts a throwaway XMPP server and xmucd on loopback, shows them\n"
        "working with N demo peers (default 8) in a room whose view manager\n"
        "is NAME (default rbt, view size 3), draws its topology to FILE\n"
        "(default orbweb-demo.svg), prints a traffic line every 2 s, and runs\n"
        "until Ctrl-C (or for SECONDS).  The demo peers send a unicast each\n"
        "and one groupcast a second; the drawing is redone when the room\n"
        "changes.  --require-encryption: the started server requires\n"
        "STARTTLS, as Prosody's default c2s_require_encryption does.\n"
        "With --server it uses the existing server whose client port is\n"
        "HOST:PORT instead: xmucd connects to its component port (default\n"
        "5347) as DOMAIN (default rooms.<the admin's domain>) with the secret\n"
        "read from --secret-file or $XMUCD_SECRET; the peers log in\n"
        "anonymously on --anon-domain (default anon.<the admin's domain>);\n"
        "JID is made xmucd's admin.  The server keeps running afterwards.\n");
}

static int parse(int argc, char **argv, struct up_opts *o)
{
    static const struct option opts[] = {
        {"server-kind", required_argument, NULL, 's'},
        {"server", required_argument, NULL, 'S'},
        {"component-port", required_argument, NULL, 'P'},
        {"component", required_argument, NULL, 'C'},
        {"anon-domain", required_argument, NULL, 'A'},
        {"admin", required_argument, NULL, 'a'},
        {"admin-password-file", required_argument, NULL, 'w'},
        {"secret-file", required_argument, NULL, 'k'},
        {"for", required_argument, NULL, 'f'},
        {"peers", required_argument, NULL, 'p'},
        {"manager", required_argument, NULL, 'm'},
        {"view-size", required_argument, NULL, 'v'},
        {"svg", required_argument, NULL, 'g'},
        {"require-encryption", no_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's' && hs_kind_parse(optarg, &o->kind) == 0)
            continue;
        if (c == 'S' || c == 'C' || c == 'A' || c == 'a' || c == 'w' ||
            c == 'k') {
            *(c == 'S'   ? &o->server
              : c == 'C' ? &o->component
              : c == 'A' ? &o->anon_domain
              : c == 'a' ? &o->admin
              : c == 'w' ? &o->admin_pw_file
                         : &o->secret_file) = optarg;
            continue;
        }
        if (c == 'P' && (o->component_port = atoi(optarg)) > 0 &&
            o->component_port <= 65535)
            continue;
        if (c == 'f' && (o->seconds = atoi(optarg)) > 0)
            continue;
        if (c == 'p' && (o->peers = atoi(optarg)) >= 0 && o->peers <= 64)
            continue;
        if (c == 'm' && vm_manager_known(optarg)) {
            o->manager = optarg;
            continue;
        }
        if (c == 'v' && atoi(optarg) > 0 && atoi(optarg) <= 255) {
            o->view_size = optarg;
            continue;
        }
        if (c == 'g') {
            o->svg = optarg;
            continue;
        }
        if (c == 'E') {
            o->require_encryption = true;
            continue;
        }
        if (c == 'h') {
            usage();
            return 1;
        }
        usage();
        return 2;
    }
    return 0;
}

/* ---- the demo peers' traffic and the redrawn picture ------------------ */

struct demo {
    hs_client **peers;
    int n, turn;
    char room[256];
    const char *svg;
    char *drawn; /* the topology last drawn, as text (to notice a change) */
    unsigned long long uc_sent, uc_rx, gc_sent, gc_rx;
};

static int send_xml(hs_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int send_xml(hs_client *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = hs_client_send_xmlv(c, fmt, ap);
    va_end(ap);
    return r;
}

/* One second's worth: each peer a unicast to the next one's real JID,
 * one peer (in turn) a groupcast to the room. */
static void demo_send(struct demo *d)
{
    if (d->n < 1)
        return;
    for (int i = 0; d->n > 1 && i < d->n; i++)
        if (send_xml(d->peers[i],
                     "<message type='chat' to='%s'><body>demo unicast"
                     "</body></message>",
                     hs_client_jid(d->peers[(i + 1) % d->n])) == 0)
            d->uc_sent++;
    if (send_xml(d->peers[d->turn++ % d->n],
                 "<message type='groupchat' to='%s'><body>demo groupcast"
                 "</body></message>",
                 d->room) == 0)
        d->gc_sent++;
}

/* Reads what the peers received and counts the messages. */
static void demo_receive(struct demo *d)
{
    size_t len = strlen(d->room);

    for (int i = 0; i < d->n; i++) {
        xmpp_stanza_t *st;
        hs_client_drain(d->peers[i], 1, 10);
        while ((st = hs_client_take(d->peers[i], NULL))) {
            const char *name = xmpp_stanza_get_name(st);
            const char *type = xmpp_stanza_get_type(st);
            const char *from = xmpp_stanza_get_from(st);
            bool body = xmpp_stanza_get_child_by_name(st, "body") != NULL;
            bool from_room = from && !strncmp(from, d->room, len);
            if (name && !strcmp(name, "message") && body && type) {
                d->gc_rx += from_room && !strcmp(type, "groupchat");
                d->uc_rx += !from_room && !strcmp(type, "chat");
            }
            xmpp_stanza_release(st);
        }
    }
}

static void demo_line(const struct demo *d)
{
    if (!d->n)
        return;
    printf("demo peers: unicast %llu sent %llu received, groupcast %llu sent "
           "%llu received\n",
           d->uc_sent, d->uc_rx, d->gc_sent, d->gc_rx);
    fflush(stdout);
}

/* Fetches the demo room's topology again and draws it when it is not
 * the one drawn last.  Quiet when the fetch fails (the traffic line
 * says why the admin cannot be heard). */
static void redraw_if_changed(struct demo *d, hs_client *admin)
{
    char err[256], *json = NULL, *text;
    struct cli_topo topo;

    if (cli_admin_topology(admin, d->room, 5000, NULL, &json, err,
                           sizeof err) != 0)
        return;
    if (cli_topo_parse(json, strlen(json), &topo, NULL) == 0) {
        text = topo_text(&topo);
        if (text && (!d->drawn || strcmp(text, d->drawn))) {
            printf("%s changed: %zu members, %zu edges\n", d->room,
                   topo.nmembers, topo.nedges);
            draw_svg(&topo, d->svg);
            free(d->drawn);
            d->drawn = text;
        } else {
            free(text);
        }
        cli_topo_clear(&topo);
    }
    free(json);
}

static void wait_for_stop(hs_server *s, struct hs_proc *xmucd, hs_client *admin,
                          struct demo *demo, int seconds)
{
    struct xm_counter last = {0};
    double last_age = 0;
    struct sigaction sa = {.sa_handler = on_signal};

    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (seconds)
        printf("running for %d s\n", seconds);
    else
        printf("running; press Ctrl-C to stop\n");
    fflush(stdout);
    for (int t = 0; !stop_requested && (!seconds || t < seconds * 10); t++) {
        if (t % 10 == 0) {
            demo_receive(demo);
            demo_send(demo);
        }
        if (t % 20 == 0) {
            traffic_line(s, admin, &last, &last_age);
            demo_line(demo);
            if (demo->n && t)
                redraw_if_changed(demo, admin);
        }
        if (!hs_server_running(s) || !hs_proc_running(xmucd)) {
            fprintf(stderr, "orbweb up: %s stopped unexpectedly; logs in %s\n",
                    hs_server_running(s) ? "xmucd" : "the server",
                    hs_server_dir(s));
            return;
        }
        usleep(100000);
    }
}

/* Describes the existing server of --server from the options; NULL with
 * one line on stderr when something is missing or it cannot be reached. */
static hs_server *attach_server(const struct up_opts *o)
{
    char host[256], err[1024], secret[256] = "", pass[1024] = "";
    char component[300], anon[300];
    const char *domain = o->admin ? strchr(o->admin, '@') : NULL;
    const char *env = getenv("XMUCD_SECRET");
    struct hs_external e = {.kind = o->kind,
                            .host = host,
                            .component_port =
                                o->component_port ? o->component_port : 5347,
                            .component = component,
                            .anon_domain = anon,
                            .secret = secret,
                            .admin_password = pass};
    hs_server *s = NULL;

    if (cli_split_server(o->server, host, sizeof host, &e.c2s_port)) {
        fprintf(stderr, "orbweb up: --server wants HOST:PORT, not '%s'\n",
                o->server);
        return NULL;
    }
    if (!domain || !domain[1] || strchr(domain, '/') || !o->admin_pw_file) {
        fprintf(stderr, "orbweb up: with --server, give --admin user@domain "
                        "and --admin-password-file FILE\n");
        return NULL;
    }
    e.domain = domain + 1;
    /* defaults: rooms.DOMAIN and anon.DOMAIN of the admin's domain */
    snprintf(component, sizeof component, "%s%s", o->component ? "" : "rooms.",
             o->component ? o->component : e.domain);
    snprintf(anon, sizeof anon, "%s%s", o->anon_domain ? "" : "anon.",
             o->anon_domain ? o->anon_domain : e.domain);
    if (o->secret_file
            ? cli_read_password(o->secret_file, secret, sizeof secret, err,
                                sizeof err)
            : !env || snprintf(secret, sizeof secret, "%s", env) <= 0) {
        fprintf(
            stderr, "orbweb up: %s\n",
            o->secret_file
                ? err
                : "with --server, give the component secret in --secret-file "
                  "or XMUCD_SECRET");
        return NULL;
    }
    if (cli_read_password(o->admin_pw_file, pass, sizeof pass, err,
                          sizeof err) ||
        !(s = hs_server_attach(&e, err, sizeof err)))
        fprintf(stderr, "orbweb up: %s\n", err);
    memset(pass, 0, sizeof pass);
    memset(secret, 0, sizeof secret);
    return s;
}

/* Prints the end of a log of the server's folder to stderr (the folder
 * goes away when we stop). */
static void print_log_tail(const hs_server *s, const char *name)
{
    char path[512], line[512], ring[8][512];
    FILE *f = fopen(hs_server_path(s, name, path, sizeof path), "r");
    int n = 0;

    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        snprintf(ring[n++ % 8], sizeof ring[0], "%s", line);
    fclose(f);
    fprintf(stderr, "--- last lines of %s ---\n", name);
    for (int i = n > 8 ? n - 8 : 0; i < n; i++)
        fputs(ring[i % 8], stderr);
}

/* Starts the throwaway server, or describes the existing one. */
static hs_server *get_server(const struct up_opts *o)
{
    struct hs_options opt = {.accounts = 2,
                             .require_encryption = o->require_encryption};
    char err[2048];
    hs_server *s;

    if (o->server) {
        printf("using the %s server at %s...\n", hs_kind_name(o->kind),
               o->server);
        fflush(stdout);
        if (!(s = attach_server(o)))
            return NULL;
        printf(
            "%s reachable: anonymous logins on %s, component %s on port %d\n",
            o->server, hs_server_anon_domain(s), hs_server_component(s),
            hs_server_component_port(s));
        return s;
    }
    printf("starting %s on loopback...\n", hs_kind_name(o->kind));
    fflush(stdout);
    if (hs_server_start(o->kind, &opt, err, sizeof err, &s) < 0) {
        fprintf(stderr, "orbweb up: %s\n", err);
        return NULL;
    }
    printf("%s ready: clients on %s:%d (domains %s, %s), component port %d,"
           " folder %s\n",
           hs_kind_name(o->kind), hs_server_host(s), hs_server_c2s_port(s),
           hs_server_domain(s), hs_server_anon_domain(s),
           hs_server_component_port(s), hs_server_dir(s));
    return s;
}

static void print_ready(hs_server *s, const struct up_opts *o,
                        const char *admin)
{
    if (o->server) {
        printf("orbweb is up.  Clients: %s, anonymous on %s; xmucd serves %s"
               " (admin %s).\n",
               o->server, hs_server_anon_domain(s), hs_server_component(s),
               admin);
        return;
    }
    printf("orbweb is up.  Clients: %s:%d, anonymous on %s, or user1@%s and"
           " user2@%s with password %s (user1 is xmucd's admin).\n",
           hs_server_host(s), hs_server_c2s_port(s), hs_server_anon_domain(s),
           hs_server_domain(s), hs_server_domain(s), hs_server_password(s));
}

int cli_up(int argc, char **argv)
{
    struct up_opts o = {.kind = HS_PROSODY,
                        .peers = 8,
                        .manager = "rbt",
                        .view_size = "3",
                        .svg = "orbweb-demo.svg"};
    int r = parse(argc, argv, &o), rc = 1;
    char err[2048], admins[320], data[512];
    /* a data folder in the scratch folder: xmucd restarted by hand comes
     * back with its rooms and tells their occupants (docs/xmucd.md) */
    char *xargs[] = {"--admins", admins, "--data-dir", data, NULL};
    hs_server *s;
    struct hs_proc *xmucd;
    hs_client *peers[64] = {NULL}, *admin = NULL;
    struct demo demo = {.peers = peers, .n = o.peers, .svg = o.svg};

    if (r)
        return r == 1 ? 0 : r;
    if (!(s = get_server(&o)))
        return 1;
    printf("starting xmucd (%s) as %s...\n", cli_xmucd_path(),
           hs_server_component(s));
    fflush(stdout);
    admin_jid(s, &o, admins, sizeof admins);
    hs_server_path(s, "xmucd-data", data, sizeof data);
    if (!(xmucd = hs_xmucd_start(s, xargs, err, sizeof err))) {
        fprintf(stderr, "orbweb up: %s\n", err);
        print_log_tail(s, "xmucd.log");
        hs_server_stop(s);
        return 1;
    }
    err[0] = '\0';
    if (show_component(s) == 0 && join_peers(s, peers, &o) == 0 &&
        (admin = admin_login(s, &o, err, sizeof err)) &&
        (o.peers == 0 ||
         show_topology(s, admin, o.svg, admins, &demo.drawn) == 0)) {
        print_ready(s, &o, admins);
        snprintf(demo.room, sizeof demo.room, DEMO_ROOM "@%s",
                 hs_server_component(s));
        wait_for_stop(s, xmucd, admin, &demo, o.seconds);
        rc = 0;
    } else if (!admin && err[0])
        fprintf(stderr, "orbweb up: admin login: %s\n", err);
    free(demo.drawn);
    hs_client_close(admin);
    for (int i = 0; i < o.peers; i++)
        hs_client_close(peers[i]);
    if (o.server)
        printf("stopping xmucd (the server at %s keeps running)...\n",
               o.server);
    else
        printf("stopping xmucd and %s...\n", hs_kind_name(o.kind));
    hs_xmucd_stop(xmucd);
    hs_server_stop(s);
    printf("stopped; nothing left running.\n");
    return rc;
}
