/* test_xmucd_ops.c -- xmucd as an operator runs it, against real Prosody
 * and ejabberd: settings that can never work stop it at start with exit
 * status 2 and a hint (the client port, an undeclared domain); a host
 * name as --server; SIGHUP reloads the configuration file (a lowered
 * max_rooms takes effect) and reopens the log file while occupants stay
 * in their rooms; systemd's notifications (READY, RELOADING, WATCHDOG,
 * STOPPING) arrive on a datagram socket of our own; SIGTERM tells
 * occupants 332 and exits 0. */
#include "config.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "it_support.h"

#define T 10000 /* ms to wait for any one answer */

static hs_server *start_server(enum hs_kind kind)
{
    char err[2048];
    struct hs_options opt = {.accounts = 0};
    hs_server *s;

    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &s), HS_SERVER_OK,
                 "%s did not start: %s", hs_kind_name(kind), err);
    return s;
}

static void read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    if (!f)
        return;
    buf[fread(buf, 1, n - 1, f)] = '\0';
    fclose(f);
}

/* xmucd with server HOST:PORT and domain, its output in log_name. */
static hs_proc *spawn_xmucd(hs_server *s, const char *server,
                            const char *domain, const char *log_name,
                            char *const *extra, char *const *env_extra)
{
    char log[512], secret[160], err[1024];
    char *argv[24] = {(char *)hs_xmucd_path(), "--server", (char *)server,
                      "--domain", (char *)domain};
    char *env[8] = {secret};
    int n = 5, e = 1;
    struct hs_spawn spec = {.argv = argv,
                            .env = env,
                            .log_path =
                                hs_server_path(s, log_name, log, sizeof log)};
    hs_proc *p;

    snprintf(secret, sizeof secret, "XMUCD_SECRET=%s", hs_server_secret(s));
    for (int i = 0; extra && extra[i] && n < 23; i++)
        argv[n++] = extra[i];
    for (int i = 0; env_extra && env_extra[i] && e < 7; i++)
        env[e++] = env_extra[i];
    p = hs_proc_spawn(&spec, err, sizeof err);
    cr_assert(p, "xmucd did not start: %s", err);
    return p;
}

/* Waits (at most 30 s: a bound against hangs) for p to exit by itself;
 * its exit status, or -1 if it is still running. */
static int exit_status(hs_proc *p)
{
    for (int i = 0; i < 300 && hs_proc_running(p); i++)
        usleep(100000);
    if (hs_proc_running(p)) {
        hs_proc_stop(p);
        return -1;
    }
    return hs_proc_stop(p);
}

/* Settings that can never work: exit 2 at start, with the hint words. */
static void never_works(hs_server *s, const char *server, const char *domain,
                        const char *log_name, const char *const *words)
{
    char log[512], text[8192];
    hs_proc *p = spawn_xmucd(s, server, domain, log_name, NULL, NULL);
    int status = exit_status(p);

    read_file(hs_server_path(s, log_name, log, sizeof log), text, sizeof text);
    cr_expect_eq(status, 2, "xmucd did not exit with 2 (%d): %s", status, text);
    for (int i = 0; words[i]; i++)
        cr_expect(strstr(text, words[i]), "the log does not say '%s': %s",
                  words[i], text);
}

static void start_checks(enum hs_kind kind)
{
    hs_server *s = start_server(kind);
    char server[96];
    static const char *const client_port[] = {"client port", "jabber:client",
                                              "component port", "hint:", NULL};
    static const char *const prosody_domain[] = {
        "host-unknown", "nope.localhost",
        "Component \"nope.localhost\" with component_secret", NULL};
    static const char *const ejabberd_domain[] = {
        "not-authorized", "nope.localhost",
        "hosts: of the ejabberd_service listener", NULL};

    snprintf(server, sizeof server, "%s:%d", hs_server_host(s),
             hs_server_c2s_port(s));
    never_works(s, server, hs_server_component(s), "c2s.log", client_port);
    snprintf(server, sizeof server, "%s:%d", hs_server_host(s),
             hs_server_component_port(s));
    never_works(s, server, "nope.localhost", "undeclared.log",
                kind == HS_PROSODY ? prosody_domain : ejabberd_domain);
    hs_server_stop(s);
}

Test(ops, prosody_never_working_settings_exit_2, .timeout = 240)
{
    start_checks(HS_PROSODY);
}

Test(ops, ejabberd_never_working_settings_exit_2, .timeout = 240)
{
    start_checks(HS_EJABBERD);
}

/* ---- reload, logs and notifications ------------------------------------ */

/* A datagram socket in the abstract namespace, as systemd's. */
static int notify_socket(char *env, size_t n)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    int len = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1,
                       "orbweb-test-notify-%d", (int)getpid());

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa,
                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                  (size_t)len)),
                 0);
    snprintf(env, n, "NOTIFY_SOCKET=@%s", sa.sun_path + 1);
    return fd;
}

struct notes {
    int fd;
    bool watchdog; /* a WATCHDOG=1 came */
};

/* Reads what came so far (xmucd's sends never block: a full queue
 * drops its messages). */
static void drain_notes(struct notes *n)
{
    char buf[256];
    ssize_t len;

    while ((len = recv(n->fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0)
        if (!strncmp(buf, "WATCHDOG=1", 10))
            n->watchdog = true;
}

/* Reads datagrams until one starts with want (at most 30 s). */
static bool await_note(struct notes *n, const char *want)
{
    char buf[256];

    for (int i = 0; i < 300; i++) {
        struct pollfd pfd = {.fd = n->fd, .events = POLLIN};
        ssize_t len;
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        len = recv(n->fd, buf, sizeof buf - 1, 0);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        if (!strncmp(buf, "WATCHDOG=1", 10))
            n->watchdog = true;
        if (!strncmp(buf, want, strlen(want)))
            return true;
    }
    return false;
}

static void write_conf(const char *path, unsigned max_rooms)
{
    FILE *f = fopen(path, "w");

    cr_assert(f);
    fprintf(f, "# test\nmax_rooms = %u\nlink_grace_s = 5\n", max_rooms);
    fclose(f);
}

/* c joins room as nick: false when no answer comes; fails the test when
 * the answer is an error. */
static bool join(hs_client *c, const char *room, const char *nick)
{
    xmpp_stanza_t *p;

    it_send_xml(c, "<presence to='%s/%s'><x xmlns='%s'/></presence>", room,
                nick, "http://jabber.org/protocol/muc");
    p = hs_client_wait(c, "presence", T);
    if (!p)
        return false;
    cr_assert_null(xmpp_stanza_get_type(p), "joining %s failed", room);
    xmpp_stanza_release(p);
    return true;
}

static void reload_keeps_occupants(enum hs_kind kind)
{
    hs_server *s = start_server(kind);
    char server[96], conf[512], log[512], moved[600], env[128], text[16384],
        room1[128], room2[128];
    char *args[] = {"--config", conf, "--log-file", log, NULL};
    char *envs[] = {env, "WATCHDOG_USEC=1000000", NULL};
    struct notes n = {.fd = notify_socket(env, sizeof env)};
    hs_client *a, *b;
    hs_proc *x;
    xmpp_stanza_t *st;

    hs_server_path(s, "xmucd.conf", conf, sizeof conf);
    hs_server_path(s, "xmucd-file.log", log, sizeof log);
    snprintf(moved, sizeof moved, "%s.1", log);
    snprintf(room1, sizeof room1, "one@%s", hs_server_component(s));
    snprintf(room2, sizeof room2, "two@%s", hs_server_component(s));
    write_conf(conf, 5);
    /* a host name, resolved without blocking */
    snprintf(server, sizeof server, "localhost:%d",
             hs_server_component_port(s));
    x = spawn_xmucd(s, server, hs_server_component(s), "xmucd.log", args, envs);
    cr_assert(await_note(&n, "READY=1"), "no READY=1 from xmucd");

    a = it_anon(s, T);
    b = it_anon(s, T);
    if (!join(a, room1, "alice")) {
        read_file(log, text, sizeof text);
        cr_assert_fail("no answer to joining %s; log: %s", room1, text);
    }
    write_conf(conf, 1);
    cr_assert_eq(rename(log, moved), 0);
    drain_notes(&n);
    cr_assert_eq(kill(hs_proc_pid(x), SIGHUP), 0);
    cr_assert(await_note(&n, "RELOADING=1"), "no RELOADING=1 on SIGHUP");
    cr_assert(await_note(&n, "READY=1"), "no READY=1 after the reload");
    cr_assert(hs_proc_running(x), "xmucd died of SIGHUP");

    /* the lowered limit: a second room is refused now */
    it_send_xml(b, "<presence to='%s/bob'><x xmlns='%s'/></presence>", room2,
                "http://jabber.org/protocol/muc");
    st = hs_client_wait(b, "presence", T);
    cr_assert(st, "no answer to creating a second room");
    cr_expect_str_eq(xmpp_stanza_get_type(st), "error",
                     "max_rooms = 1 did not take effect");
    xmpp_stanza_release(st);

    /* alice is still in her room: her message comes back to her */
    it_send_xml(a,
                "<message to='%s' type='groupchat'><body>hi</body></message>",
                room1);
    st = hs_client_wait(a, "message", T);
    cr_assert(st, "alice's message did not come back after the reload");
    cr_expect_null(xmpp_stanza_get_type(st) &&
                           !strcmp(xmpp_stanza_get_type(st), "error")
                       ? st
                       : NULL,
                   "alice's message was refused: the reload removed her");
    xmpp_stanza_release(st);
    st = hs_client_take(a, "presence");
    cr_expect_null(st, "alice got a presence (removed?) across the reload");
    if (st)
        xmpp_stanza_release(st);

    read_file(log, text, sizeof text);
    cr_expect(strstr(text, "reload: max_rooms changed from 5 to 1"),
              "the reopened log file does not say what changed: %s", text);
    read_file(moved, text, sizeof text);
    cr_expect(strstr(text, "joined as alice"), "no join line: %s", text);
    cr_expect(!strstr(text, "lost the server"),
              "the link went down across the reload: %s", text);
    cr_expect(n.watchdog || await_note(&n, "WATCHDOG=1"), "no WATCHDOG=1");

    drain_notes(&n);
    cr_assert_eq(kill(hs_proc_pid(x), SIGTERM), 0);
    cr_expect(await_note(&n, "STOPPING=1"), "no STOPPING=1 on SIGTERM");
    st = hs_client_wait(a, "presence", T);
    cr_assert(st, "alice was not told xmucd stopped");
    cr_expect_str_eq(xmpp_stanza_get_type(st), "unavailable");
    xmpp_stanza_release(st);
    cr_expect_eq(exit_status(x), 0, "xmucd did not stop cleanly");
    hs_client_close(a);
    hs_client_close(b);
    close(n.fd);
    hs_server_stop(s);
}

Test(ops, prosody_sighup_reloads_and_keeps_occupants, .timeout = 240)
{
    reload_keeps_occupants(HS_PROSODY);
}

Test(ops, ejabberd_sighup_reloads_and_keeps_occupants, .timeout = 240)
{
    reload_keeps_occupants(HS_EJABBERD);
}
