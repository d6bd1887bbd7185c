/* test_xm_config.c -- xmucd's settings: what is accepted, what is refused
 * and with which words, and where the secret may come from. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xm_config.h"

static char dir[] = "/tmp/xm_config_XXXXXX";

static void setup(void)
{
    cr_assert(mkdtemp(dir));
    unsetenv("XMUCD_SECRET");
}

static void teardown(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(xm_config, .init = setup, .fini = teardown, .timeout = 300);

static char *write_tmp(const char *name, const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads argv (NULL-terminated) into cfg; returns the result and err. */
static int load(struct xm_config *cfg, char *err, size_t n, ...)
{
    char *argv[16] = {"xmucd"};
    int argc = 1;
    va_list ap;

    va_start(ap, n);
    while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
        argc++;
    va_end(ap);
    return xm_config_load(cfg, argc, argv, err, n);
}

Test(xm_config, complete_command_line_with_secret_from_env)
{
    struct xm_config c;
    char err[256];

    setenv("XMUCD_SECRET", "s3", 1);
    cr_assert_eq(load(&c, err, sizeof err, "--server", "127.0.0.1:5347",
                      "--domain", "rooms.example.org", "--log-level", "debug",
                      NULL),
                 0, "%s", err);
    cr_expect_str_eq(c.server_host, "127.0.0.1");
    cr_expect_eq(c.server_port, 5347);
    cr_expect_str_eq(c.domain, "rooms.example.org");
    cr_expect_str_eq(c.secret, "s3");
    cr_expect_eq(c.log_level, XM_LOG_DEBUG);
    cr_expect_eq(c.reconnect_min_ms, 500);
    cr_expect_eq(c.reconnect_max_ms, 30000);
    xm_config_clear(&c);
}

Test(xm_config, secret_file_wins_and_is_trimmed)
{
    struct xm_config c;
    char err[256], *path = write_tmp("secret", "  from-file \n");

    setenv("XMUCD_SECRET", "from-env", 1);
    cr_assert_eq(load(&c, err, sizeof err, "--server", "[::1]:5347", "--domain",
                      "r.x", "--secret-file", path, NULL),
                 0, "%s", err);
    cr_expect_str_eq(c.secret, "from-file");
    cr_expect_str_eq(c.server_host, "::1");
    xm_config_clear(&c);
}

Test(xm_config, file_settings_and_command_line_precedence)
{
    struct xm_config c;
    char err[256], cfg[256], *sec = write_tmp("s", "x\n");

    snprintf(cfg, sizeof cfg,
             "# comment\nserver = 10.0.0.1:1\n"
             "domain = file.example  # trailing comment\n\nsecret_file = %s\n"
             "reconnect_min_ms = 100\nreconnect_max_ms = 2000\n",
             sec);
    cr_assert_eq(load(&c, err, sizeof err, "--config", write_tmp("c.conf", cfg),
                      "--domain", "cli.example", NULL),
                 0, "%s", err);
    cr_expect_str_eq(c.domain, "cli.example");
    cr_expect_str_eq(c.server_host, "10.0.0.1");
    cr_expect_eq(c.reconnect_min_ms, 100);
    cr_expect_eq(c.reconnect_max_ms, 2000);
    xm_config_clear(&c);
}

struct refusal {
    const char *args[8];
    const char *file;  /* configuration file text, or NULL */
    const char *words; /* what the one-line error must say */
};

Test(xm_config, refusals_say_what_to_fix)
{
    static const struct refusal cases[] = {
        {{"--domain", "r.x"}, NULL, "no server"},
        {{"--server", "127.0.0.1:5347"}, NULL, "no domain"},
        {{"--server", "127.0.0.1:5347", "--domain", "r.x"}, NULL, "no secret"},
        {{"--server", "127.0.0.1"}, NULL, "not HOST:PORT"},
        {{"--server", "127.0.0.1:99999"}, NULL, "not HOST:PORT"},
        {{"--domain", "user@r.x"}, NULL, "not a bare domain"},
        {{"--log-level", "loud"}, NULL, "not one of"},
        {{"--reconnect-min-ms", "5"}, NULL, "between 10 and"},
        {{"--bogus"}, NULL, "unknown or incomplete option"},
        {{"the-secret"}, NULL, "never goes on the command line"},
        {{"--config", "@FILE@"},
         "server = 1.2.3.4:5\nflavour = mint\n",
         ":2: unknown setting 'flavour'"},
        {{"--config", "@FILE@"},
         "server 1.2.3.4:5\n",
         ":1: expected 'name = value'"},
        {{"--config", "/nonexistent/xmucd.conf"},
         NULL,
         "cannot read configuration"},
        {{"--server", "1.2.3.4:5", "--domain", "r", "--secret-file",
          "/nonexistent/s"},
         NULL,
         "cannot read the secret file"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct xm_config c;
        char err[256] = "", *argv[10] = {"xmucd"};
        int argc = 1;
        for (int j = 0; cases[i].args[j]; j++)
            argv[argc++] = !strcmp(cases[i].args[j], "@FILE@")
                               ? write_tmp("bad.conf", cases[i].file)
                               : (char *)cases[i].args[j];
        cr_expect_eq(xm_config_load(&c, argc, argv, err, sizeof err), -1,
                     "case %zu accepted", i);
        cr_expect(strstr(err, cases[i].words), "case %zu: '%s' lacks '%s'", i,
                  err, cases[i].words);
        cr_expect(!strchr(err, '\n'), "case %zu: more than one line", i);
        xm_config_clear(&c);
    }
}

Test(xm_config, link_grace)
{
    struct xm_config c;
    char err[256];

    setenv("XMUCD_SECRET", "s3", 1);
    cr_assert_eq(load(&c, err, sizeof err, "--server", "127.0.0.1:5347",
                      "--domain", "rooms.example.org", NULL),
                 0, "%s", err);
    cr_expect_eq(c.link_grace_s, 60, "the default");
    xm_config_clear(&c);
    cr_assert_eq(load(&c, err, sizeof err, "--server", "127.0.0.1:5347",
                      "--domain", "rooms.example.org", "--link-grace-s", "0",
                      NULL),
                 0, "%s", err);
    cr_expect_eq(c.link_grace_s, 0);
    xm_config_clear(&c);
    cr_expect_eq(load(&c, err, sizeof err, "--server", "127.0.0.1:5347",
                      "--domain", "rooms.example.org", "--link-grace-s", "-1",
                      NULL),
                 -1);
    cr_expect(strstr(err, "link_grace_s"), "%s", err);
    xm_config_clear(&c);
}

/* ---- reloads: the changes a SIGHUP reports, and what it keeps --------- */

struct change_log {
    char text[1024];
};

static void note_change(void *ctx, const char *name, const char *from,
                        const char *to, int restart)
{
    struct change_log *l = ctx;
    size_t at = strlen(l->text);

    snprintf(l->text + at, sizeof l->text - at, "%s:%s>%s%s;", name, from, to,
             restart ? "!" : "");
}

Test(xm_config, reload_reports_changes_and_keeps_restart_settings)
{
    struct xm_config a, b;
    struct change_log log = {""};
    char err[256];

    setenv("XMUCD_SECRET", "s3", 1);
    cr_assert_eq(load(&a, err, sizeof err, "--server", "127.0.0.1:5347",
                      "--domain", "r.x", "--max-rooms", "5", NULL),
                 0, "%s", err);
    setenv("XMUCD_SECRET", "other", 1);
    cr_assert_eq(load(&b, err, sizeof err, "--server", "localhost:5348",
                      "--domain", "r.x", "--max-rooms", "1", "--admins",
                      "a@b,c@d", "--log-file", "/tmp/x.log", "--syslog",
                      "local3", NULL),
                 0, "%s", err);
    xm_config_changes(&a, &b, note_change, &log);
    cr_expect_str_eq(log.text,
                     "server_host:127.0.0.1>localhost!;"
                     "server_port:5347>5348!;"
                     "secret:(hidden)>(hidden)!;"
                     "log_file:(none)>/tmp/x.log;syslog:(none)>local3;"
                     "max_rooms:5>1;admins:(none)>a@b,c@d;");
    xm_config_keep_restart(&b, &a);
    cr_expect_str_eq(b.server_host, "127.0.0.1");
    cr_expect_eq(b.server_port, 5347);
    cr_expect_str_eq(b.secret, "s3");
    cr_expect_eq(b.max_rooms, 1);
    cr_expect_str_eq(b.admins[1], "c@d");
    cr_expect_str_eq(a.server_host, "localhost"); /* freed with a */
    xm_config_clear(&a);
    xm_config_clear(&b);
}

Test(xm_config, log_settings_are_checked)
{
    struct xm_config c;
    char err[256];

    setenv("XMUCD_SECRET", "s3", 1);
    cr_expect_eq(load(&c, err, sizeof err, "--server", "h:1", "--domain", "r.x",
                      "--syslog", "kern", NULL),
                 -1);
    cr_expect(strstr(err, "facility"), "%s", err);
    xm_config_clear(&c);
    cr_expect_eq(load(&c, err, sizeof err, "--server", "h:1", "--domain", "r.x",
                      "--log-file", "relative.log", NULL),
                 -1);
    cr_expect(strstr(err, "absolute"), "%s", err);
    xm_config_clear(&c);
    cr_assert_eq(load(&c, err, sizeof err, "--server", "h:1", "--domain", "r.x",
                      "--syslog", "off", NULL),
                 0, "%s", err);
    cr_expect_null(c.syslog);
    xm_config_clear(&c);
}

/* The log file is appended to, and reopened after a rotation. */
Test(xm_config, log_file_reopens_after_rotation)
{
    char path[160], moved[170], err[256], text[512] = "";
    FILE *f;

    snprintf(path, sizeof path, "%s/x.log", dir);
    snprintf(moved, sizeof moved, "%s.1", path);
    cr_assert_eq(xm_log_open(path, NULL, err, sizeof err), 0, "%s", err);
    xm_info("before %d", 1);
    cr_assert_eq(rename(path, moved), 0);
    cr_assert_eq(xm_log_open(path, NULL, err, sizeof err), 0, "%s", err);
    xm_info("after %d", 2);
    xm_log_close();
    f = fopen(path, "r");
    cr_assert(f, "the log file was not opened again");
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    cr_expect(strstr(text, "info: after 2") && !strstr(text, "before"), "%s",
              text);
    cr_expect_eq(xm_log_open("/nonexistent/dir/x.log", NULL, err, sizeof err),
                 -1);
    cr_expect(strstr(err, "/nonexistent/dir/x.log"), "%s", err);
}
