/* test_up_server.c -- `orbweb up --server HOST:PORT` against a server it
 * did not start (a harness Prosody or ejabberd standing in for the
 * operator's own): xmucd joins it as a component, the demo peers get a
 * room, the admin draws its topology, and at the end the server is still
 * running and still serves logins.  Also: what it says when the secret or
 * the admin is missing. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_server.h"

struct run {
    char *out;
    int status;
};

/* A scratch folder outside the build tree, with the secret and the admin
 * password in files as an operator would keep them. */
struct scratch {
    char dir[64], secret[128], pass[128], svg[128];
};

static void scratch_make(struct scratch *t, hs_server *s)
{
    FILE *f;

    snprintf(t->dir, sizeof t->dir, "/tmp/ob-upsrv-XXXXXX");
    cr_assert(mkdtemp(t->dir));
    snprintf(t->secret, sizeof t->secret, "%s/secret", t->dir);
    snprintf(t->pass, sizeof t->pass, "%s/password", t->dir);
    snprintf(t->svg, sizeof t->svg, "%s/room.svg", t->dir);
    cr_assert((f = fopen(t->secret, "w")));
    fprintf(f, "%s\n", hs_server_secret(s));
    fclose(f);
    cr_assert((f = fopen(t->pass, "w")));
    fprintf(f, "%s\n", hs_server_password(s));
    fclose(f);
}

static void scratch_remove(struct scratch *t)
{
    unlink(t->secret);
    unlink(t->pass);
    unlink(t->svg);
    rmdir(t->dir);
}

/* Runs `orbweb up ARGS` with stderr joined to stdout. */
static struct run run_up(const char *args)
{
    const char *b = getenv("OB_BUILDDIR");
    char cmd[2048], buf[4096];
    struct run r = {calloc(1, 1), -1};
    size_t len = 0, n;
    FILE *p;

    snprintf(cmd, sizeof cmd,
             "env -u XMUCD_SECRET %s/tools/orbweb/orbweb up %s 2>&1",
             b ? b : ".", args);
    cr_assert((p = popen(cmd, "r")), "cannot run %s", cmd);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        cr_assert((r.out = realloc(r.out, len + n + 1)));
        memcpy(r.out + len, buf, n);
        r.out[len += n] = '\0';
    }
    r.status = pclose(p);
    return r;
}

static void expect(const struct run *r, const char *want)
{
    cr_expect(strstr(r->out, want), "no '%s' in:\n%s", want, r->out);
}

static void up_against(enum hs_kind kind)
{
    struct hs_options opt = {.accounts = 2};
    char err[2048], args[1024];
    hs_server *s;
    struct scratch t;
    struct run r;

    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &s), HS_SERVER_OK,
                 "%s did not start: %s", hs_kind_name(kind), err);
    scratch_make(&t, s);
    snprintf(args, sizeof args,
             "--server %s:%d --component-port %d --admin user1@%s"
             " --admin-password-file %s --secret-file %s --peers 5 --for 1"
             " --svg %s",
             hs_server_host(s), hs_server_c2s_port(s),
             hs_server_component_port(s), hs_server_domain(s), t.pass, t.secret,
             t.svg);
    r = run_up(args);
    cr_expect_eq(r.status, 0, "orbweb up --server failed:\n%s", r.out);
    expect(&r, "ping rooms.localhost: result");
    expect(&r, "5 peers joined demo@rooms.localhost");
    expect(&r, "as its admin user1@localhost sees it");
    expect(&r, "peer1 [key ");
    expect(&r, "traffic: in ");
    expect(&r, "keeps running");
    cr_expect_null(strstr(r.out, "starting prosody"),
                   "it started a server:\n%s", r.out);
    cr_expect_eq(access(t.svg, R_OK), 0, "no drawing in %s", t.svg);
    free(r.out);
    cr_expect(hs_server_running(s), "the server was stopped");
    cr_expect_eq(hs_probe_login(hs_server_host(s), hs_server_c2s_port(s),
                                hs_server_anon_domain(s), NULL, 5000, err,
                                sizeof err),
                 0, "the server no longer serves logins: %s", err);
    scratch_remove(&t);
    hs_server_stop(s);
}

/* One timeout for the suite: Criterion 2.4's runner leaks a little
 * (LeakSanitizer fails it) when tests with their own timeouts run in
 * parallel. */
TestSuite(up_server, .timeout = 240);

Test(up_server, prosody)
{
    up_against(HS_PROSODY);
}
Test(up_server, ejabberd)
{
    up_against(HS_EJABBERD);
}

Test(up_server, missing_secret_or_admin_is_said)
{
    struct run r = run_up("--server 127.0.0.1:5222 --admin user1@localhost"
                          " --admin-password-file /nonexistent");

    cr_expect_neq(r.status, 0);
    expect(&r, "XMUCD_SECRET");
    free(r.out);
    r = run_up("--server 127.0.0.1:5222");
    cr_expect_neq(r.status, 0);
    expect(&r, "--admin user@domain");
    free(r.out);
    r = run_up("--server nowhere");
    cr_expect_neq(r.status, 0);
    expect(&r, "HOST:PORT");
    free(r.out);
}
