/* cmd_up.c -- orbweb up: a whole local system on loopback, shown working.
 *
 * Starts a throwaway XMPP server (Prosody by default) from a generated
 * configuration, starts xmucd against it, logs in a client, asks the
 * component what it is (disco#info) and pings it, then lets demo peers
 * join a room with a red-black tree view manager and prints the room's
 * topology as an admin fetches it.  Everything keeps running until
 * Ctrl-C (or --for SECONDS), so other clients can join too.  On the way
 * out it stops everything it started; the harness supervisors make sure
 * of that even if this process is killed. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_admin.h"
#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "topo.h"

#define DEMO_ROOM "demo"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void print_disco(xmpp_stanza_t *reply)
{
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(reply, NS_DISCO_INFO);

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
                                     hs_server_anon_domain(s), NULL, 10000,
                                     err, sizeof err);
    xmpp_stanza_t *iq, *reply;
    int ok = 0;

    if (!c) {
        fprintf(stderr, "orbweb up: %s\n", err);
        return -1;
    }
    printf("client %s asks %s what it is (disco#info):\n", hs_client_jid(c),
           hs_server_component(s));
    iq = hs_iq_query(hs_client_ctx(c), "get", hs_server_component(s), "query",
                     NS_DISCO_INFO);
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

/* Lets n demo peers join the demo room (rbt views, view size 3). */
static int join_peers(hs_server *s, hs_client **peers, int n)
{
    char err[1024], to[256], from[256];

    for (int i = 0; i < n; i++) {
        xmpp_stanza_t *p, *x, *j, *self;
        if (!(peers[i] = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                                           hs_server_anon_domain(s), NULL, 10000,
                                           err, sizeof err))) {
            fprintf(stderr, "orbweb up: peer %d: %s\n", i + 1, err);
            return -1;
        }
        snprintf(to, sizeof to, DEMO_ROOM "@%s/peer%d", hs_server_component(s), i + 1);
        p = xmpp_presence_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_to(p, to);
        x = xmpp_stanza_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_name(x, "x");
        xmpp_stanza_set_ns(x, "http://jabber.org/protocol/muc");
        xmpp_stanza_add_child(p, x);
        xmpp_stanza_release(x);
        j = xmpp_stanza_new(hs_client_ctx(peers[i]));
        xmpp_stanza_set_name(j, "join");
        xmpp_stanza_set_ns(j, CLI_NS_XMUC);
        xmpp_stanza_set_attribute(j, "manager", "rbt");
        xmpp_stanza_set_attribute(j, "view-size", "3");
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
    printf("%d peers joined %s@%s (red-black tree views, view size 3)\n", n,
           DEMO_ROOM, hs_server_component(s));
    return 0;
}

/* Fetches the demo room's topology as the admin user1 and prints it. */
static int show_topology(hs_server *s)
{
    char err[1024], jid[128], room[256];
    hs_client *admin;
    xmpp_stanza_t *t = NULL;
    struct cli_topo topo;
    char *json;
    int r = -1;

    snprintf(jid, sizeof jid, "user1@%s", hs_server_domain(s));
    snprintf(room, sizeof room, DEMO_ROOM "@%s", hs_server_component(s));
    if (!(admin = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s), jid,
                                    hs_server_password(s), 10000, err, sizeof err)) ||
        cli_admin_query(admin, room, "topology", 10000, NULL, &t, err, sizeof err) != 0) {
        fprintf(stderr, "orbweb up: topology: %s\n", err);
        hs_client_close(admin);
        return -1;
    }
    json = xmpp_stanza_get_text(t);
    if (json && cli_topo_parse(json, strlen(json), &topo, NULL) == 0) {
        printf("topology of %s, as its admin %s sees it (orbweb topo):\n", room, jid);
        cli_topo_write_text(&topo, stdout);
        cli_topo_clear(&topo);
        r = 0;
    }
    if (json)
        xmpp_free(hs_client_ctx(admin), json);
    xmpp_stanza_release(t);
    hs_client_close(admin);
    return r;
}

static void usage(void)
{
    printf("usage: orbweb up [--server prosody|ejabberd] [--for SECONDS] [--peers N]\n"
           "Starts a throwaway XMPP server and xmucd on loopback, shows them\n"
           "working with N demo peers (default 8) in a room, and runs until\n"
           "Ctrl-C (or for SECONDS).\n");
}

static int parse(int argc, char **argv, enum hs_kind *kind, int *seconds,
                 int *peers)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"for", required_argument, NULL, 'f'},
        {"peers", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's' && hs_kind_parse(optarg, kind) == 0)
            continue;
        if (c == 'f' && (*seconds = atoi(optarg)) > 0)
            continue;
        if (c == 'p' && (*peers = atoi(optarg)) >= 0 && *peers <= 64)
            continue;
        if (c == 'h') {
            usage();
            return 1;
        }
        usage();
        return 2;
    }
    return 0;
}

static void wait_for_stop(hs_server *s, struct hs_proc *xmucd, int seconds)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (seconds)
        printf("running for %d s\n", seconds);
    else
        printf("running; press Ctrl-C to stop\n");
    fflush(stdout);
    for (int t = 0; !stop_requested && (!seconds || t < seconds * 10); t++) {
        if (!hs_server_running(s) || !hs_proc_running(xmucd)) {
            fprintf(stderr, "orbweb up: %s stopped unexpectedly; logs in %s\n",
                    hs_server_running(s) ? "xmucd" : "the server",
                    hs_server_dir(s));
            return;
        }
        usleep(100000);
    }
}

int cli_up(int argc, char **argv)
{
    enum hs_kind kind = HS_PROSODY;
    int seconds = 0, npeers = 8;
    int r = parse(argc, argv, &kind, &seconds, &npeers), rc = 1;
    struct hs_options opt = {.accounts = 2};
    char err[2048], admins[64];
    char *xargs[] = {"--admins", admins, NULL};
    hs_server *s;
    struct hs_proc *xmucd;
    hs_client *peers[64] = {NULL};

    if (r)
        return r == 1 ? 0 : r;
    printf("starting %s on loopback...\n", hs_kind_name(kind));
    fflush(stdout);
    if (!(s = hs_server_start(kind, &opt, err, sizeof err))) {
        fprintf(stderr, "orbweb up: %s\n", err);
        return 1;
    }
    printf("%s ready: clients on %s:%d (domains %s, %s), component port %d,"
           " folder %s\n", hs_kind_name(kind), hs_server_host(s),
           hs_server_c2s_port(s), hs_server_domain(s), hs_server_anon_domain(s),
           hs_server_component_port(s), hs_server_dir(s));
    printf("starting xmucd (%s) as %s...\n", hs_xmucd_path(),
           hs_server_component(s));
    fflush(stdout);
    snprintf(admins, sizeof admins, "user1@%s", hs_server_domain(s));
    if (!(xmucd = hs_xmucd_start(s, xargs, err, sizeof err))) {
        fprintf(stderr, "orbweb up: %s\n", err);
        hs_server_stop(s);
        return 1;
    }
    if (show_component(s) == 0 && join_peers(s, peers, npeers) == 0 &&
        show_topology(s) == 0) {
        printf("orbweb is up.  Clients: %s:%d, anonymous on %s, or user1@%s and"
               " user2@%s with password %s (user1 is xmucd's admin).\n",
               hs_server_host(s), hs_server_c2s_port(s), hs_server_anon_domain(s),
               hs_server_domain(s), hs_server_domain(s), hs_server_password(s));
        wait_for_stop(s, xmucd, seconds);
        rc = 0;
    }
    for (int i = 0; i < npeers; i++)
        hs_client_close(peers[i]);
    printf("stopping xmucd and %s...\n", hs_kind_name(kind));
    hs_xmucd_stop(xmucd);
    hs_server_stop(s);
    printf("stopped; nothing left running.\n");
    return rc;
}
