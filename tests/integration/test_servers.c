/* test_servers.c -- the harness and xmucd's first form, against real
 * Prosody and ejabberd: logins and a message between two clients, the
 * XEP-0114 handshake, disco#info, ping, stanza errors, a wrong secret, and
 * reconnection when the server restarts.  Every test runs on both kinds. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "ut_ns.h"

#define T 10000 /* ms to wait for any one answer */

static hs_server *start_server(enum hs_kind kind, int accounts)
{
    char err[2048];
    struct hs_options opt = {.accounts = accounts};
    hs_server *s;

    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &s), HS_SERVER_OK,
                 "%s did not start: %s", hs_kind_name(kind), err);
    return s;
}

static hs_client *login(hs_server *s, int user)
{
    char jid[64], err[512];
    hs_client *c;

    if (user)
        snprintf(jid, sizeof jid, "user%d@%s", user, hs_server_domain(s));
    c = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                          user ? jid : hs_server_anon_domain(s),
                          user ? hs_server_password(s) : NULL, T, err,
                          sizeof err);
    cr_assert(c, "login failed: %s", err);
    return c;
}

static struct hs_proc *start_xmucd(hs_server *s)
{
    char err[1024];
    struct hs_proc *p = hs_xmucd_start(s, NULL, err, sizeof err);

    cr_assert(p, "xmucd did not start: %s", err);
    return p;
}

/* Sends an iq get with one empty child and returns the reply. */
static xmpp_stanza_t *ask(hs_client *c, const char *to, const char *elem,
                          const char *ns)
{
    xmpp_stanza_t *iq = hs_iq_query(hs_client_ctx(c), "get", to, elem, ns);
    xmpp_stanza_t *reply = hs_client_iq(c, iq, T);

    xmpp_stanza_release(iq);
    cr_assert(reply, "no answer from %s to <%s xmlns='%s'/>", to, elem, ns);
    return reply;
}

/* The RFC 6120 condition of an error reply, or "" if it is none. */
static const char *condition(xmpp_stanza_t *reply)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(reply, "error");
    xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL;

    for (; c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_get_ns(c) &&
            !strcmp(xmpp_stanza_get_ns(c), UT_NS_STANZAS))
            return xmpp_stanza_get_name(c);
    return "";
}

static bool has_feature(xmpp_stanza_t *query, const char *var)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c;
         c = xmpp_stanza_get_next(c)) {
        const char *v = xmpp_stanza_get_attribute(c, "var");
        if (v && !strcmp(v, var))
            return true;
    }
    return false;
}

static void message_exchange(enum hs_kind kind)
{
    hs_server *s = start_server(kind, 2);
    hs_client *a = login(s, 1), *b = login(s, 2);
    xmpp_stanza_t *msg = xmpp_message_new(hs_client_ctx(a), "chat",
                                          hs_client_jid(b), "m1"),
                  *got;
    char *body;

    xmpp_message_set_body(msg, "hello from user1");
    hs_client_send(a, msg);
    xmpp_stanza_release(msg);
    got = hs_client_wait(b, "message", T);
    cr_assert(got, "user2 got no message");
    body = xmpp_message_get_body(got);
    cr_expect_str_eq(body, "hello from user1");
    xmpp_free(hs_client_ctx(b), body);
    cr_expect(!strncmp(xmpp_stanza_get_from(got), "user1@localhost/", 16),
              "from is %s", xmpp_stanza_get_from(got));
    xmpp_stanza_release(got);
    hs_client_close(a);
    hs_client_close(b);
    hs_server_stop(s);
}

static void component_disco_ping(enum hs_kind kind)
{
    hs_server *s = start_server(kind, 0);
    struct hs_proc *x = start_xmucd(s);
    hs_client *c = login(s, 0);
    const char *comp = hs_server_component(s);
    xmpp_stanza_t *r = ask(c, comp, "query", UT_NS_DISCO_INFO), *q, *id;

    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    q = xmpp_stanza_get_child_by_ns(r, UT_NS_DISCO_INFO);
    cr_assert(q);
    id = xmpp_stanza_get_child_by_name(q, "identity");
    cr_assert(id);
    cr_expect_str_eq(xmpp_stanza_get_attribute(id, "category"), "conference");
    cr_expect(has_feature(q, "http://jabber.org/protocol/muc"));
    cr_expect(has_feature(q, "https://orbweb.dev/ns/xmuc/0"));
    cr_expect(has_feature(q, "urn:xmpp:ping"));
    xmpp_stanza_release(r);

    r = ask(c, comp, "ping", "urn:xmpp:ping");
    cr_expect_str_eq(xmpp_stanza_get_type(r), "result");
    xmpp_stanza_release(r);

    r = ask(c, comp, "query", "urn:example:nothing-we-offer");
    cr_expect_str_eq(xmpp_stanza_get_type(r), "error");
    cr_expect_str_eq(condition(r), "service-unavailable");
    xmpp_stanza_release(r);

    hs_client_close(c);
    cr_expect_eq(hs_xmucd_stop(x), 0, "xmucd did not exit cleanly on SIGTERM");
    hs_server_stop(s);
}

/* Polls disco#info until the component answers (after a reconnection). */
static bool answers_within(hs_server *s, int seconds)
{
    for (int i = 0; i < seconds * 2; i++) {
        char err[512];
        hs_client *c = hs_client_connect(
            hs_server_host(s), hs_server_c2s_port(s), hs_server_anon_domain(s),
            NULL, 2000, err, sizeof err);
        xmpp_stanza_t *iq, *r = NULL;
        bool ok;
        if (c) {
            iq = hs_iq_query(hs_client_ctx(c), "get", hs_server_component(s),
                             "query", UT_NS_DISCO_INFO);
            r = hs_client_iq(c, iq, 500);
            xmpp_stanza_release(iq);
        }
        ok = r && !strcmp(xmpp_stanza_get_type(r), "result");
        if (r)
            xmpp_stanza_release(r);
        hs_client_close(c);
        if (ok)
            return true;
        usleep(500000);
    }
    return false;
}

static void component_reconnects(enum hs_kind kind)
{
    hs_server *s = start_server(kind, 0);
    char err[2048];
    char *args[] = {"--reconnect-min-ms", "200", "--reconnect-max-ms", "1000",
                    NULL};
    struct hs_proc *x = hs_xmucd_start(s, args, err, sizeof err);

    cr_assert(x, "xmucd did not start: %s", err);
    cr_assert(hs_server_restart(s, err, sizeof err) == 0, "%s", err);
    cr_expect(hs_proc_running(x), "xmucd died when the server went away");
    cr_expect(answers_within(s, 30), "xmucd did not come back after a restart");
    cr_expect_eq(hs_xmucd_stop(x), 0);
    hs_server_stop(s);
}

/* With a wrong secret xmucd says why and stops with exit status 2: the
 * first connection proves the settings can never work. */
static void wrong_secret(enum hs_kind kind)
{
    hs_server *s = start_server(kind, 0);
    char server[64], log[512], text[8192] = "";
    char *argv[] = {
        (char *)hs_xmucd_path(),        "--server", server, "--domain",
        (char *)hs_server_component(s), NULL};
    char *env[] = {"XMUCD_SECRET=not-the-secret", NULL};
    struct hs_spawn spec = {.argv = argv,
                            .env = env,
                            .log_path =
                                hs_server_path(s, "bad.log", log, sizeof log)};
    struct hs_proc *x;
    FILE *f;

    snprintf(server, sizeof server, "%s:%d", hs_server_host(s),
             hs_server_component_port(s));
    x = hs_proc_spawn(&spec, text, sizeof text);
    cr_assert(x, "%s", text);
    for (int i = 0; i < 300 && hs_proc_running(x); i++)
        usleep(100000); /* a bound against hangs, not a timing */
    cr_expect(!hs_proc_running(x), "xmucd kept retrying a wrong secret");
    cr_expect_eq(hs_proc_stop(x), 2, "xmucd's exit status is not 2");
    f = fopen(log, "r");
    cr_assert(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    cr_expect(strstr(text, "refused the handshake") &&
                  strstr(text, "hint: declare the component with the same "
                               "secret"),
              "xmucd's log does not say why: %s", text);
    hs_server_stop(s);
}

/* The owner of a server dies by SIGKILL: its supervisor must still stop
 * every process of the server's group and remove the folder. */
static void cleanup_after_owner_killed(enum hs_kind kind)
{
    int p[2], pgid = 0;
    char dir[256] = "";
    pid_t child;

    cr_assert_eq(pipe(p), 0);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        char err[2048];
        hs_server *s;
        int pid;

        hs_server_start(kind, NULL, err, sizeof err, &s);
        pid = s ? hs_server_pid(s) : -1;
        if (write(p[1], &pid, sizeof pid) < 0 ||
            write(p[1], s ? hs_server_dir(s) : "", 256) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    close(p[1]);
    cr_assert_eq(read(p[0], &pgid, sizeof pgid), (ssize_t)sizeof pgid);
    cr_assert_eq(read(p[0], dir, sizeof dir), (ssize_t)sizeof dir);
    close(p[0]);
    cr_assert_gt(pgid, 0, "the server did not start in the child");
    cr_assert_eq(kill(pgid, 0), 0, "the server is not running");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    for (int i = 0; i < 300 && (kill(-pgid, 0) == 0 || access(dir, F_OK) == 0);
         i++)
        usleep(50000);
    cr_expect_neq(kill(-pgid, 0), 0,
                  "processes of the server outlived their owner");
    cr_expect_neq(access(dir, F_OK), 0, "the folder %s was left behind", dir);
}

#define BOTH(name, fn)                                                         \
    Test(prosody, name)                                                        \
    {                                                                          \
        fn(HS_PROSODY);                                                        \
    }                                                                          \
    Test(ejabberd, name)                                                       \
    {                                                                          \
        fn(HS_EJABBERD);                                                       \
    }

TestSuite(prosody, .timeout = 120);
TestSuite(ejabberd, .timeout = 120);
BOTH(message_exchange, message_exchange)
BOTH(component_disco_ping, component_disco_ping)
BOTH(component_reconnects, component_reconnects)
BOTH(wrong_secret, wrong_secret)
BOTH(cleanup_after_owner_killed, cleanup_after_owner_killed)
