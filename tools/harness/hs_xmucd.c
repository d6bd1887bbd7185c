/* hs_xmucd.c -- running xmucd against a harness server. */
#include "config.h"

#include "hs_client.h"
#include "hs_proc.h"
#include "hs_server.h"
#include "ut_ns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *hs_xmucd_path(void)
{
    const char *env = getenv("OB_XMUCD");

    if (env && *env)
        return env;
    if (access(OB_BUILD_XMUCD, X_OK) == 0)
        return OB_BUILD_XMUCD;
    return OB_BINDIR "/xmucd";
}

/* True once the component answers disco#info with a result. */
static bool component_answers(hs_server *s, hs_client *c)
{
    xmpp_stanza_t *iq =
        hs_iq_query(hs_client_ctx(c), "get", hs_server_component(s), "query",
                    UT_NS_DISCO_INFO);
    xmpp_stanza_t *reply = iq ? hs_client_iq(c, iq, 1000) : NULL;
    bool ok = reply && !strcmp(xmpp_stanza_get_type(reply), "result");

    if (iq)
        xmpp_stanza_release(iq);
    if (reply)
        xmpp_stanza_release(reply);
    return ok;
}

static int wait_component(hs_server *s, hs_proc *p, char *err, size_t errlen)
{
    hs_client *c =
        hs_client_connect(hs_server_host(s), hs_server_c2s_port(s),
                          hs_server_anon_domain(s), NULL, 10000, err, errlen);
    time_t deadline = time(NULL) + 20;
    bool ok = false;

    while (c && !ok && time(NULL) < deadline && hs_proc_running(p))
        ok = component_answers(s, c);
    hs_client_close(c);
    if (!ok && c)
        snprintf(err, errlen,
                 "xmucd did not answer disco#info (see %s/xmucd.log)",
                 hs_server_dir(s));
    return ok ? 0 : -1;
}

struct hs_proc *hs_xmucd_start(hs_server *s, char *const *extra_args, char *err,
                               size_t errlen)
{
    char server[96], secret[160], log[512];
    char *argv[32] = {(char *)hs_xmucd_path(), "--server", server, "--domain",
                      (char *)hs_server_component(s)};
    char *env[] = {secret, NULL};
    int n = 5;
    struct hs_spawn spec = {
        .argv = argv,
        .env = env,
        .log_path = hs_server_path(s, "xmucd.log", log, sizeof log)};
    hs_proc *p;

    snprintf(server, sizeof server, "%s:%d", hs_server_host(s),
             hs_server_component_port(s));
    snprintf(secret, sizeof secret, "XMUCD_SECRET=%s", hs_server_secret(s));
    for (int i = 0; extra_args && extra_args[i] && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    p = hs_proc_spawn(&spec, err, errlen);
    if (p && wait_component(s, p, err, errlen) < 0) {
        hs_proc_stop(p);
        return NULL;
    }
    return p;
}

int hs_xmucd_stop(struct hs_proc *p)
{
    return hs_proc_stop(p);
}
