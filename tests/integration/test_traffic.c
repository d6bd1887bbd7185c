/* test_traffic.c -- `orbweb traffic --whole-server` against real Prosody
 * and ejabberd running our traffic module (tools/servers/): a unicast
 * between two ordinary clients, IQs by namespace and type, and presences
 * are counted in and out; the tool's own polling is not; every --json line
 * parses (python3's json); text lines fit 80 columns; --chart writes valid
 * SVG (xmllint) naming the kinds; stanzas to and from an external
 * component (xmucd) count too.  One server per kind, all checks on it. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"

#define T 10000 /* ms to wait for any one answer */
#define WHOLE "--whole-server"

struct run {
    char *out;
    int status;
};

/* python3 reads the JSON lines and prints "T IN OUT" then "K KIND IN OUT"
 * per kind for each; it fails (status 1) on a line that does not parse. */
static const char json_reader[] =
    "python3 -c 'import json,sys\n"
    "for l in sys.stdin:\n"
    " try: o=json.loads(l)\n"
    " except ValueError: print(\"not JSON:\",l); sys.exit(1)\n"
    " t=o[\"total\"]\n"
    " print(\"T\",t[\"in\"][\"stanzas\"],t[\"out\"][\"stanzas\"])\n"
    " for k in o[\"kinds\"]:"
    " print(\"K\",k[\"kind\"],k[\"in\"][\"stanzas\"],k[\"out\"][\"stanzas\"])'";

static void slurp(FILE *p, struct run *r)
{
    char buf[4096];
    size_t len = strlen(r->out), n;

    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        cr_assert((r->out = realloc(r->out, len + n + 1)));
        memcpy(r->out + len, buf, n);
        r->out[len += n] = '\0';
    }
}

/* The command line of `orbweb traffic` as user1: --whole-server, or
 * xmucd's table when scope is NULL. */
static void traffic_cmd(hs_server *s, const char *scope, const char *args,
                        char *cmd, size_t len)
{
    const char *b = getenv("OB_BUILDDIR");
    char pass[512];

    hs_server_path(s, "traffic-pass", pass, sizeof pass);
    snprintf(cmd, len,
             "%s/tools/orbweb/orbweb traffic %s --server %s:%d "
             "--jid user1@%s --password-file %s --interval 0.3 %s",
             b ? b : ".", scope ? scope : "", hs_server_host(s),
             hs_server_c2s_port(s), hs_server_domain(s), pass, args);
}

static struct run run_traffic(hs_server *s, const char *scope, const char *args,
                              bool parse)
{
    char cmd[4096], line[2048];
    struct run r = {calloc(1, 1), -1};
    FILE *p;

    traffic_cmd(s, scope, args, line, sizeof line);
    snprintf(cmd, sizeof cmd, "%s 2>&1%s%s", line, parse ? " | " : "",
             parse ? json_reader : "");
    cr_assert((p = popen(cmd, "r")), "cannot run %s", cmd);
    slurp(p, &r);
    r.status = pclose(p);
    return r;
}

/* Stanzas of kind in the last snapshot of a parsed run (0 when absent). */
static void count_of(const struct run *r, const char *kind, long *in, long *out)
{
    const char *last = r->out, *p;
    char k[256];
    long i, o;

    *in = *out = 0;
    for (p = r->out; (p = strstr(p, "T ")); p++)
        if (p == r->out || p[-1] == '\n')
            last = p;
    for (p = last; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (sscanf(p, "K %255s %ld %ld", k, &i, &o) == 3 && !strcmp(k, kind)) {
            *in = i;
            *out = o;
        }
}

static struct run snapshot(hs_server *s)
{
    struct run r = run_traffic(s, WHOLE, "--count 1 --json", true);

    cr_assert_eq(r.status, 0, "orbweb traffic --json failed:\n%s", r.out);
    cr_assert(!strncmp(r.out, "T ", 2), "no snapshot:\n%s", r.out);
    return r;
}

static hs_client *login(hs_server *s, int user)
{
    char jid[64], err[512];
    hs_client *c;

    snprintf(jid, sizeof jid, "user%d@%s", user, hs_server_domain(s));
    c = hs_client_connect(hs_server_host(s), hs_server_c2s_port(s), jid,
                          hs_server_password(s), T, err, sizeof err);
    cr_assert(c, "login failed: %s", err);
    return c;
}

static int send_xml(hs_client *c, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = hs_client_send_xmlv(c, fmt, ap);
    va_end(ap);
    return rc;
}

/* a: one unicast to b (received), one presence, one ping to the server. */
static void some_traffic(hs_server *s, hs_client *a, hs_client *b)
{
    xmpp_stanza_t *msg = xmpp_message_new(hs_client_ctx(a), "chat",
                                          hs_client_jid(b), "t1"),
                  *got, *iq;

    hs_client_send(a, msg);
    xmpp_stanza_release(msg);
    cr_assert((got = hs_client_wait(b, "message", T)), "no unicast");
    xmpp_stanza_release(got);
    cr_assert_eq(send_xml(a, "<presence/>"), 0);
    iq = hs_iq_query(hs_client_ctx(a), "get", hs_server_domain(s), "ping",
                     "urn:xmpp:ping");
    cr_assert((got = hs_client_iq(a, iq, T)), "no answer to the ping");
    xmpp_stanza_release(got);
    xmpp_stanza_release(iq);
}

static void expect_delta(const struct run *before, const struct run *after,
                         const char *kind, long din, long dout)
{
    long i0, o0, i1, o1;

    count_of(before, kind, &i0, &o0);
    count_of(after, kind, &i1, &o1);
    if (din >= 0)
        cr_expect_eq(i1 - i0, din, "%s in: %ld -> %ld, want +%ld\n%s", kind, i0,
                     i1, din, after->out);
    if (dout >= 0)
        cr_expect_eq(o1 - o0, dout, "%s out: %ld -> %ld, want +%ld\n%s", kind,
                     o0, o1, dout, after->out);
}

/* Three snapshots with nothing else happening: the same totals, so the
 * tool's own queries and answers were not counted, by the server's module
 * (scope WHOLE) or by xmucd (NULL). */
static void no_self_polling(hs_server *s, const char *scope)
{
    struct run r = run_traffic(s, scope, "--count 3 --json", true);
    char first[64] = "", *p;
    int lines = 0;

    cr_assert_eq(r.status, 0, "orbweb traffic --json failed:\n%s", r.out);
    for (p = r.out; (p = strstr(p, "T ")); p++) {
        if (p != r.out && p[-1] != '\n')
            continue;
        if (!lines++)
            sscanf(p, "%63[^\n]", first);
        else
            cr_expect_eq(strncmp(p, first, strlen(first)), 0,
                         "totals moved while only polling:\n%s", r.out);
    }
    cr_expect_eq(lines, 3, "%s", r.out);
    cr_expect_null(strstr(r.out, "orbweb.dev"), "own query counted:\n%s",
                   r.out);
    free(r.out);
}

static void fits_80_columns(hs_server *s, const char *scope)
{
    struct run r = run_traffic(s, scope, "--count 2", false);
    char *line = r.out, *nl;

    cr_assert_eq(r.status, 0, "orbweb traffic failed:\n%s", r.out);
    cr_expect(strstr(r.out, "iq get disco#info"), "no disco row:\n%s", r.out);
    cr_expect(strstr(r.out, "\ntotal "), "no total row:\n%s", r.out);
    for (; *line; line = nl + 1) {
        if (!(nl = strchr(line, '\n')))
            nl = line + strlen(line);
        cr_expect_leq(nl - line, 80, "line wider than 80 columns:\n%.*s",
                      (int)(nl - line), line);
        if (!*nl)
            break;
    }
    free(r.out);
}

/* --chart while traffic flows: valid SVG with the kinds in its legend. */
static void chart(hs_server *s, hs_client *a, hs_client *b)
{
    char svg[512], args[700], cmd[2048], check[1024], line[4096];
    FILE *p, *f;
    struct run r = {calloc(1, 1), -1};

    hs_server_path(s, "traffic.svg", svg, sizeof svg);
    snprintf(args, sizeof args, "--count 3 --json --chart %s", svg);
    traffic_cmd(s, WHOLE, args, cmd, sizeof cmd);
    cr_assert((p = popen(cmd, "r")));
    cr_assert(fgets(line, sizeof line, p), "no first snapshot");
    some_traffic(s, a, b); /* during the second interval */
    slurp(p, &r);
    cr_assert_eq(pclose(p), 0, "orbweb traffic --chart failed:\n%s", r.out);
    snprintf(check, sizeof check, "xmllint --noout %s", svg);
    cr_expect_eq(system(check), 0, "%s is not well-formed XML", svg);
    cr_assert((f = fopen(svg, "r")));
    free(r.out);
    r = (struct run){calloc(1, 1), -1};
    slurp(f, &r);
    fclose(f);
    cr_expect(strstr(r.out, "<svg"), "not an SVG:\n%s", r.out);
    cr_expect(strstr(r.out, ">message "), "no message in the legend:\n%s",
              r.out);
    cr_expect(strstr(r.out, ">iq get ping "), "no ping in the legend:\n%s",
              r.out);
    cr_expect(strstr(r.out, "<rect class='k"), "no bars:\n%s", r.out);
    free(r.out);
}

/* Through an external component (xmucd): a's disco#info query counts in
 * (from a) and out (to xmucd), its answer in (from xmucd) and out (to a). */
static void ask_component(hs_server *s, hs_client *a)
{
    xmpp_stanza_t *iq, *got;

    iq = hs_iq_query(hs_client_ctx(a), "get", hs_server_component(s), "query",
                     "http://jabber.org/protocol/disco#info");
    cr_assert((got = hs_client_iq(a, iq, T)), "no disco#info answer");
    cr_expect_str_eq(xmpp_stanza_get_type(got), "result");
    xmpp_stanza_release(got);
    xmpp_stanza_release(iq);
}

/* A JID that is neither an admin nor a reader: refused, with a line that
 * says so (exit 1). */
static void refused(hs_server *s)
{
    char line[2048], cmd[2100], *jid;
    struct run r = {calloc(1, 1), -1};
    FILE *p;

    traffic_cmd(s, WHOLE, "--count 1", line, sizeof line);
    cr_assert((jid = strstr(line, "--jid user1@")));
    jid[strlen("--jid user")] = '2';
    snprintf(cmd, sizeof cmd, "%s 2>&1", line);
    cr_assert((p = popen(cmd, "r")));
    slurp(p, &r);
    r.status = pclose(p);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1, "%s", r.out);
    cr_expect(strstr(r.out, "user2@localhost is neither one of its admins"),
              "%s", r.out);
    free(r.out);
}

static void whole_server(enum hs_kind kind)
{
    char err[2048], pass[512];
    struct hs_options opt = {.accounts = 3, .traffic_module = true};
    char *admins[] = {"--admins", "user1@localhost", NULL};
    hs_server *s;
    struct hs_proc *x;
    hs_client *a, *b;
    struct run before, after;
    FILE *f;

    cr_assert_eq(hs_server_start(kind, &opt, err, sizeof err, &s), 0,
                 "%s did not start: %s", hs_kind_name(kind), err);
    cr_assert(
        (f = fopen(hs_server_path(s, "traffic-pass", pass, sizeof pass), "w")));
    fprintf(f, "%s\n", hs_server_password(s));
    fclose(f);
    cr_assert((x = hs_xmucd_start(s, admins, err, sizeof err)),
              "xmucd did not start: %s", err);
    a = login(s, 2);
    b = login(s, 3);
    before = snapshot(s);
    some_traffic(s, a, b);
    ask_component(s, a);
    after = snapshot(s);
    expect_delta(&before, &after, "message", 1, 1);
    expect_delta(&before, &after, "presence", 1, -1);
    expect_delta(&before, &after, "iq:urn:xmpp:ping:get", 1, 0);
    expect_delta(&before, &after, "iq:-:result", 0, 1); /* ping answer */
    expect_delta(&before, &after,
                 "iq:http://jabber.org/protocol/disco#info:get", 1, 1);
    expect_delta(&before, &after,
                 "iq:http://jabber.org/protocol/disco#info:result", 1, 1);
    free(before.out);
    free(after.out);
    no_self_polling(s, WHOLE);
    no_self_polling(s, NULL); /* xmucd's own table */
    fits_80_columns(s, WHOLE);
    fits_80_columns(s, NULL);
    refused(s);
    chart(s, a, b);
    hs_client_close(a);
    hs_client_close(b);
    hs_xmucd_stop(x);
    hs_server_stop(s);
}

Test(traffic, whole_server_prosody, .timeout = 120)
{
    whole_server(HS_PROSODY);
}

Test(traffic, whole_server_ejabberd, .timeout = 120)
{
    whole_server(HS_EJABBERD);
}
