/* cli_admin.c -- login and admin queries for orbweb traffic and topo
 * (see cli_admin.h).  The connection is the harness's synchronous client;
 * a query polls it in short waits so that Ctrl-C is honoured quickly. */
#include "config.h"

#include "cli_admin.h"
#include "ut_ns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_split_server(const char *s, char *host, size_t len, int *port)
{
    const char *colon, *h = s, *he;
    char *end;
    long p;

    if (!s)
        return -1;
    if (*s == '[') {
        h = s + 1;
        if (!(he = strchr(h, ']')) || he[1] != ':')
            return -1;
        colon = he + 1;
    } else {
        if (!(colon = strrchr(s, ':')) || memchr(s, ':', (size_t)(colon - s)))
            return -1;
        he = colon;
    }
    p = strtol(colon + 1, &end, 10);
    if (he == h || (size_t)(he - h) >= len || *end || colon[1] == 0 || p < 1 ||
        p > 65535)
        return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = 0;
    *port = (int)p;
    return 0;
}

int cli_read_password(const char *path, char *buf, size_t len, char *err,
                      size_t errlen)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f) {
        snprintf(err, errlen, "cannot read the password file %s", path);
        return -1;
    }
    if (!fgets(buf, (int)len, f))
        buf[0] = 0;
    fclose(f);
    n = strcspn(buf, "\r\n");
    buf[n] = 0;
    if (n == 0) {
        snprintf(err, errlen, "the password file %s is empty", path);
        return -1;
    }
    return 0;
}

const char *cli_admin_component(const struct cli_admin *a, char *buf,
                                size_t len)
{
    const char *at = a->jid ? strchr(a->jid, '@') : NULL;
    size_t n;

    if (a->component) {
        snprintf(buf, len, "%s", a->component);
        return buf;
    }
    if (!at || !at[1])
        return NULL;
    n = strcspn(at + 1, "/");
    snprintf(buf, len, "rooms.%.*s", (int)n, at + 1);
    return buf;
}

hs_client *cli_admin_login(const char *cmd, const struct cli_admin *a)
{
    char host[256], pass[1024], err[1024];
    int port;
    hs_client *c;

    if (!a->server || !a->jid || !a->password_file) {
        fprintf(stderr,
                "%s: --server, --jid and --password-file are "
                "required\n",
                cmd);
        return NULL;
    }
    if (cli_split_server(a->server, host, sizeof host, &port)) {
        fprintf(stderr,
                "%s: --server wants HOST:PORT or [IPV6]:PORT, not "
                "'%s'\n",
                cmd, a->server);
        return NULL;
    }
    if (!strchr(a->jid, '@')) {
        fprintf(stderr, "%s: --jid wants user@domain, not '%s'\n", cmd, a->jid);
        return NULL;
    }
    if (cli_read_password(a->password_file, pass, sizeof pass, err,
                          sizeof err)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return NULL;
    }
    c = hs_client_connect(host, port, a->jid, pass, a->timeout_ms, err,
                          sizeof err);
    memset(pass, 0, sizeof pass);
    if (!c)
        fprintf(stderr,
                "%s: %s (check the address, the JID and the "
                "password)\n",
                cmd, err);
    return c;
}

/* The RFC 6120 condition of an error reply, or NULL. */
static const char *condition(xmpp_stanza_t *reply, const char **text)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(reply, "error");

    *text = NULL;
    for (xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c);
        const char *name = xmpp_stanza_get_name(c);
        if (!name || !ns || strcmp(ns, UT_NS_STANZAS))
            continue;
        if (!strcmp(name, "text"))
            *text = xmpp_stanza_get_text_ptr(c);
        else
            return name;
    }
    return NULL;
}

static void explain(xmpp_stanza_t *reply, const char *to, char *err,
                    size_t errlen)
{
    const char *text, *cond = condition(reply, &text);
    const char *why;

    if (!cond)
        cond = "undefined-condition";
    if (!strcmp(cond, "forbidden") || !strcmp(cond, "not-authorized"))
        why = "your JID is not an admin of it (xmucd --admins, or for a "
              "room its owners and admins)";
    else if (!strcmp(cond, "item-not-found"))
        why = "no such room";
    else if (!strcmp(cond, "service-unavailable") ||
             !strcmp(cond, "feature-not-implemented"))
        why = "it does not answer admin queries (not xmucd, or too old?)";
    else if (!strcmp(cond, "remote-server-not-found") ||
             !strcmp(cond, "remote-server-timeout"))
        why = "the XMPP server cannot reach it (is xmucd connected?)";
    else
        why = "the query failed";
    snprintf(err, errlen, "%s refused: %s (%s%s%s)", to, why, cond,
             text ? ": " : "", text ? text : "");
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for the iq reply with this id; NULL on timeout or stop. */
static xmpp_stanza_t *wait_reply(hs_client *c, const char *id, int timeout_ms,
                                 volatile sig_atomic_t *stop)
{
    long deadline = now_ms() + timeout_ms;

    while (!(stop && *stop) && now_ms() < deadline) {
        xmpp_stanza_t *st = hs_client_wait(c, "iq", 100);
        const char *sid = st ? xmpp_stanza_get_id(st) : NULL;
        if (sid && !strcmp(sid, id))
            return st;
        if (st)
            xmpp_stanza_release(st); /* not ours: nothing else is asked */
    }
    return NULL;
}

/* cli_admin_query, with page='N' on the element when page >= 0. */
static int query(hs_client *c, const char *to, const char *elem, long page,
                 int timeout_ms, volatile sig_atomic_t *stop,
                 xmpp_stanza_t **payload, char *err, size_t errlen)
{
    static unsigned serial;
    xmpp_stanza_t *iq, *reply, *p;
    const char *type;
    char id[32];

    *payload = NULL;
    if (!(iq = hs_iq_query(hs_client_ctx(c), "get", to, elem, UT_NS_XMUC))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (page >= 0) {
        snprintf(id, sizeof id, "%ld", page);
        xmpp_stanza_set_attribute(xmpp_stanza_get_children(iq), "page", id);
    }
    snprintf(id, sizeof id, "ob-admin-%u", ++serial);
    xmpp_stanza_set_id(iq, id);
    hs_client_send(c, iq);
    xmpp_stanza_release(iq);
    if (!(reply = wait_reply(c, id, timeout_ms, stop))) {
        if (stop && *stop)
            return 1;
        snprintf(err, errlen, "no answer from %s within %d s", to,
                 timeout_ms / 1000);
        return -1;
    }
    type = xmpp_stanza_get_type(reply);
    p = xmpp_stanza_get_child_by_name_and_ns(reply, elem, UT_NS_XMUC);
    if (type && !strcmp(type, "error"))
        explain(reply, to, err, errlen);
    else if (!type || strcmp(type, "result") || !p)
        snprintf(err, errlen, "%s answered without a <%s/> element", to, elem);
    else
        *payload = xmpp_stanza_copy(p); /* deep: outlives the reply */
    xmpp_stanza_release(reply);
    return *payload ? 0 : -1;
}

int cli_admin_query(hs_client *c, const char *to, const char *elem,
                    int timeout_ms, volatile sig_atomic_t *stop,
                    xmpp_stanza_t **payload, char *err, size_t errlen)
{
    return query(c, to, elem, -1, timeout_ms, stop, payload, err, errlen);
}

/* Appends the text of page (a <topology/>) to *buf; 0 or -1. */
static int append_page(hs_client *c, xmpp_stanza_t *page, char **buf,
                       size_t *len)
{
    char *text = xmpp_stanza_get_text(page), *grown;
    size_t n = text ? strlen(text) : 0;
    const char *f = xmpp_stanza_get_attribute(page, "format");

    if (!text || !f || strcmp(f, "json") ||
        !(grown = realloc(*buf, *len + n + 1))) {
        if (text)
            xmpp_free(hs_client_ctx(c), text);
        return -1;
    }
    memcpy(grown + *len, text, n + 1);
    *buf = grown;
    *len += n;
    xmpp_free(hs_client_ctx(c), text);
    return 0;
}

/* One pass over the pages; 0 with the JSON, 1 stopped, -1 failed, 2 when
 * the room changed between pages (version differs: try again). */
static int fetch_pages(hs_client *c, const char *room, int timeout_ms,
                       volatile sig_atomic_t *stop, char **json, char *err,
                       size_t errlen)
{
    char version[32] = "";
    size_t len = 0;
    long pages = 1;
    int rc = 0;

    *json = NULL;
    for (long i = 0; i < pages && rc == 0; i++) {
        xmpp_stanza_t *p;
        const char *v, *n;
        if ((rc = query(c, room, "topology", i, timeout_ms, stop, &p, err,
                        errlen)))
            break;
        v = xmpp_stanza_get_attribute(p, "version");
        n = xmpp_stanza_get_attribute(p, "pages");
        if (!v || !n || (pages = strtol(n, NULL, 10)) < 1) {
            snprintf(err, errlen, "%s does not page its topology (too old?)",
                     room);
            rc = -1;
        } else if (i && strcmp(v, version)) {
            rc = 2;
        } else if (append_page(c, p, json, &len) < 0) {
            snprintf(err, errlen, "%s sent a page without JSON", room);
            rc = -1;
        }
        snprintf(version, sizeof version, "%s", v ? v : "");
        xmpp_stanza_release(p);
    }
    if (rc) {
        free(*json);
        *json = NULL;
    }
    return rc;
}

int cli_admin_topology(hs_client *c, const char *room, int timeout_ms,
                       volatile sig_atomic_t *stop, char **json, char *err,
                       size_t errlen)
{
    int rc = 2;

    for (int tries = 0; rc == 2 && tries < 5; tries++)
        rc = fetch_pages(c, room, timeout_ms, stop, json, err, errlen);
    if (rc == 2)
        snprintf(err, errlen,
                 "%s kept changing while its topology was read "
                 "(5 tries)",
                 room);
    return rc == 2 ? -1 : rc;
}
