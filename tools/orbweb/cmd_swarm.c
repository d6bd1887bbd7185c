/* cmd_swarm.c -- orbweb swarm: N logical peers in one room of xmucd, on
 * the load generator's engine (tools/bench/bench_peers.h), so thousands
 * of connections fit in one process.
 *
 * Each peer logs in anonymously (with STARTTLS as --tls says), joins the
 * room with a <join/> carrying
 * the view parameters, and keeps its view: the occupants whose presences
 * it received (nick, real JID, <view attrs/>), updated by later presences
 * and unavailable ones.  While the run lasts, peers may churn (leave and
 * rejoin), unicast to the real JID of someone in their view and groupcast
 * to the room; every delivery is counted.  --verify then waits for the
 * room to settle, fetches its topology as an admin (one libstrophe
 * connection, opened first so that its descriptor stays below
 * FD_SETSIZE) and compares it with every peer's view.
 *
 * A login failure's reason is printed as soon as it first happens; when
 * every peer has failed (a refusal such as "encryption required" fails
 * the waiting peers at once, bench_peers.h) the swarm stops with exit 1
 * instead of running its duration.  --json prints one object a second
 * (cumulative counts, "type":"second") and the summary ("type":"summary")
 * on stdout. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_peers.h"
#include "cli.h"
#include "cli_admin.h"
#include "topo.h"
#include "ut_ns.h"

#define CMD "orbweb swarm"
#define MAX_SHOWN 20 /* differences printed by --verify */

static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t abandon; /* second Ctrl-C: no more waiting */

static void on_signal(int sig)
{
    (void)sig;
    if (++signals_seen >= 2)
        abandon = 1;
}

struct entry {
    char *nick, *jid, *attrs; /* attrs normalized (sorted) */
};

struct speer {
    struct entry *v;
    int nv, cap;
};

struct opts {
    const char *server, *room, *domain, *view, *admin_jid, *admin_pw;
    int peers, view_size, max_in_flight;
    enum bp_tls tls;
    double churn_fraction, churn_period, unicast, groupcast, duration;
    bool verify, json;
};

struct swarm {
    struct opts o;
    bp_pool *pool;
    struct speer *sp;
    int n;
    char room[512], prefix[520], extra[256];
    size_t prefix_len;
    bool tty;
    /* counters */
    uint64_t views_rx, uc_sent, uc_rx, gc_sent, gc_rx, errors, churn_leaves;
    char last_error[200];
    /* login failures: reasons already printed */
    char shown[4][200];
    int nshown, failed_seen;
    bool no_login; /* every peer failed to log in */
    /* phases */
    int phase; /* 0 joining, 1 running, 2 settling, 3 done */
    long long t0, t_joined, t_run_end, last_tick, last_line, next_churn;
    long long last_json;
    long long quiet_since, settle_start;
    uint64_t quiet_stanzas;
    double join_s, uc_credit, gc_credit;
    uint64_t rng;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rnd(struct swarm *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

/* The seed of the swarm's random choices (who churns, sends, to whom):
 * SWARM_SEED (decimal or 0x hex) when set, else the clock; printed, so
 * that a run's choices can be made again. */
static uint64_t swarm_seed(void)
{
    const char *env = getenv("SWARM_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0)
                        : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();

    fprintf(stderr, "%s: seed %llu (SWARM_SEED)\n", CMD,
            (unsigned long long)seed);
    return seed;
}

/* ---- views --------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* attrs "b,a" -> "a,b" (tokens sorted), written into out. */
static void norm_attrs(const char *in, char *out, size_t len)
{
    char buf[512], *tok[64], *save = NULL;
    int n = 0;
    size_t used = 0;

    snprintf(buf, sizeof buf, "%s", in ? in : "");
    for (char *t = strtok_r(buf, ",", &save); t && n < 64;
         t = strtok_r(NULL, ",", &save))
        tok[n++] = t;
    qsort(tok, (size_t)n, sizeof *tok, cmp_str);
    out[0] = 0;
    for (int i = 0; i < n && used < len; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i ? "," : "", tok[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void entry_free(struct entry *e)
{
    free(e->nick);
    free(e->jid);
    free(e->attrs);
}

static void view_clear(struct speer *sp)
{
    for (int i = 0; i < sp->nv; i++)
        entry_free(&sp->v[i]);
    sp->nv = 0;
}

static struct entry *view_find(struct speer *sp, const char *nick)
{
    for (int i = 0; i < sp->nv; i++)
        if (!strcmp(sp->v[i].nick, nick))
            return &sp->v[i];
    return NULL;
}

static void view_remove(struct speer *sp, const char *nick)
{
    struct entry *e = view_find(sp, nick);

    if (!e)
        return;
    entry_free(e);
    *e = sp->v[--sp->nv];
}

static int view_set(struct speer *sp, const char *nick, const char *jid,
                    const char *attrs)
{
    struct entry *e = view_find(sp, nick);
    char norm[512], *j, *a;

    norm_attrs(attrs, norm, sizeof norm);
    if (!(j = strdup(jid ? jid : "")) || !(a = strdup(norm))) {
        free(j);
        return -1;
    }
    if (e) {
        free(e->jid);
        free(e->attrs);
    } else {
        if (sp->nv == sp->cap) {
            int cap = sp->cap ? sp->cap * 2 : 4;
            struct entry *v = realloc(sp->v, (size_t)cap * sizeof *v);
            if (!v) {
                free(j), free(a);
                return -1;
            }
            sp->v = v;
            sp->cap = cap;
        }
        e = &sp->v[sp->nv];
        if (!(e->nick = strdup(nick))) {
            free(j), free(a);
            return -1;
        }
        sp->nv++;
    }
    e->jid = j;
    e->attrs = a;
    return 0;
}

/* ---- what peers receive -------------------------------------------------- */

static void note_error(struct swarm *s, xmpp_stanza_t *st)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(st, "error");
    xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL;
    const char *cond = NULL;

    for (; c && !cond; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c))
            cond = xmpp_stanza_get_name(c);
    s->errors++;
    snprintf(s->last_error, sizeof s->last_error, "%s error from %s: %s",
             xmpp_stanza_get_name(st),
             xmpp_stanza_get_from(st) ? xmpp_stanza_get_from(st) : "the server",
             cond ? cond : "unknown");
}

static void on_presence(struct swarm *s, bp_peer *p, xmpp_stanza_t *st,
                        const char *nick)
{
    struct speer *sp = &s->sp[bp_peer_index(p)];
    const char *type = xmpp_stanza_get_type(st);
    char own[32];

    snprintf(own, sizeof own, "p%d", bp_peer_index(p));
    if (!strcmp(nick, own)) {
        if (type && !strcmp(type, "unavailable"))
            view_clear(sp); /* left (or removed): a rejoin starts afresh */
        return;
    }
    if (type && !strcmp(type, "unavailable")) {
        view_remove(sp, nick);
    } else if (!type) {
        xmpp_stanza_t *x =
            xmpp_stanza_get_child_by_name_and_ns(st, "x", UT_NS_MUC_USER);
        xmpp_stanza_t *item =
            x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
        xmpp_stanza_t *view =
            xmpp_stanza_get_child_by_name_and_ns(st, "view", UT_NS_XMUC);
        s->views_rx++;
        if (view_set(sp, nick,
                     item ? xmpp_stanza_get_attribute(item, "jid") : NULL,
                     view ? xmpp_stanza_get_attribute(view, "attrs") : NULL)) {
            s->errors++;
            snprintf(s->last_error, sizeof s->last_error, "out of memory");
        }
    }
}

static void on_stanza(void *ud, bp_peer *p, xmpp_stanza_t *st)
{
    struct swarm *s = ud;
    const char *name = xmpp_stanza_get_name(st);
    const char *type = xmpp_stanza_get_type(st);
    const char *from = xmpp_stanza_get_from(st);
    bool from_room = from && !strncmp(from, s->prefix, s->prefix_len);

    if (!name)
        return;
    if (type && !strcmp(type, "error")) {
        note_error(s, st);
        return;
    }
    if (!strcmp(name, "presence")) {
        if (from_room && from[s->prefix_len])
            on_presence(s, p, st, from + s->prefix_len);
    } else if (!strcmp(name, "message")) {
        if (type && !strcmp(type, "groupchat")) {
            if (from_room && xmpp_stanza_get_child_by_name_and_ns(
                                 st, "groupcast", UT_NS_XMUC))
                s->gc_rx++;
        } else if (!from_room && xmpp_stanza_get_child_by_name(st, "body")) {
            s->uc_rx++;
        }
    }
}

/* ---- what peers send ----------------------------------------------------- */

static void xml_escape(const char *in, char *out, size_t len)
{
    size_t o = 0;

    for (; *in && o + 7 < len; in++) {
        const char *r = NULL;
        switch (*in) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '\'': r = "&apos;"; break;
        case '"': r = "&quot;"; break;
        default: out[o++] = *in; continue;
        }
        memcpy(out + o, r, strlen(r));
        o += strlen(r);
    }
    out[o] = 0;
}

/* A random peer in the room, or NULL after a few misses. */
static bp_peer *random_member(struct swarm *s, bool with_view)
{
    for (int tries = 0; tries < 16; tries++) {
        int i = (int)(rnd(s) % (uint64_t)s->n);
        bp_peer *p = bp_pool_peer(s->pool, i);
        if (bp_peer_state(p) == BP_READY && bp_peer_room(p) == BP_ROOM_JOINED &&
            (!with_view || s->sp[i].nv))
            return p;
    }
    return NULL;
}

static void send_unicast(struct swarm *s)
{
    bp_peer *p = random_member(s, true);
    struct speer *sp;
    struct entry *e;
    char to[600], xml[1024];

    if (!p)
        return;
    sp = &s->sp[bp_peer_index(p)];
    e = &sp->v[rnd(s) % (uint64_t)sp->nv];
    if (!e->jid[0])
        return; /* a semi-anonymous room hides real JIDs */
    xml_escape(e->jid, to, sizeof to);
    snprintf(xml, sizeof xml,
             "<message type='chat' to='%s'><body>swarm unicast</body>"
             "</message>",
             to);
    if (bp_send(p, xml) == 0)
        s->uc_sent++;
}

static void send_groupcast(struct swarm *s)
{
    bp_peer *p = random_member(s, false);
    char xml[1024];

    if (!p)
        return;
    snprintf(xml, sizeof xml,
             "<message type='groupchat' to='%s'><body>swarm groupcast</body>"
             "</message>",
             s->room);
    if (bp_send(p, xml) == 0)
        s->gc_sent++;
}

static void churn(struct swarm *s)
{
    int k = (int)(s->o.churn_fraction * s->n + 0.5);

    for (int i = 0; i < k; i++) {
        bp_peer *p = random_member(s, false);
        if (!p)
            continue;
        bp_set_rejoin(p, true);
        if (bp_leave(p) == 0)
            s->churn_leaves++;
    }
}

/* ---- the run ------------------------------------------------------------- */

static int settled_count(struct swarm *s)
{
    return bp_pool_count_room(s->pool, BP_ROOM_JOINED) +
           bp_pool_count_room(s->pool, BP_ROOM_ERROR) + bp_pool_failed(s->pool);
}

static void join_ready(struct swarm *s)
{
    char nick[32];

    for (int i = 0; i < s->n; i++) {
        bp_peer *p = bp_pool_peer(s->pool, i);
        if (bp_peer_state(p) != BP_READY || bp_peer_room(p) != BP_ROOM_NONE)
            continue;
        snprintf(nick, sizeof nick, "p%d", i);
        if (bp_join(p, s->room, nick, s->extra) < 0) {
            s->errors++;
            snprintf(s->last_error, sizeof s->last_error,
                     "peer %d could not send its join", i);
        }
    }
}

static void progress(struct swarm *s, long long t)
{
    int joined = bp_pool_count_room(s->pool, BP_ROOM_JOINED);
    int width = 30, fill = s->n ? (int)((long long)joined * width / s->n) : 0;
    char bar[64];

    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %d/%d joined, %d logged in, %.1f s  ", bar, joined,
            s->n, bp_pool_ready(s->pool), (t - s->t0) / 1000.0);
}

static void summary(struct swarm *s, long long t)
{
    fprintf(stderr,
            "%s%.0f s: joined %d/%d, views %llu, unicast %llu sent %llu "
            "received, groupcast %llu sent %llu received, errors %llu%s",
            s->tty ? "\r" : "", (t - s->t0) / 1000.0,
            bp_pool_count_room(s->pool, BP_ROOM_JOINED), s->n,
            (unsigned long long)s->views_rx, (unsigned long long)s->uc_sent,
            (unsigned long long)s->uc_rx, (unsigned long long)s->gc_sent,
            (unsigned long long)s->gc_rx,
            (unsigned long long)(s->errors + (uint64_t)bp_pool_failed(s->pool)),
            s->tty ? "  " : "\n");
}

/* Prints a login failure's reason the first time it is seen (a few
 * different ones at most), and stops the run once no peer is left that
 * could log in. */
static void watch_logins(struct swarm *s)
{
    int failed = bp_pool_failed(s->pool);
    const char *why = bp_pool_last_error(s->pool);
    bool known = false;

    if (failed == s->failed_seen)
        return;
    s->failed_seen = failed;
    for (int i = 0; i < s->nshown && !known; i++)
        known = !strcmp(s->shown[i], why);
    if (!known && s->nshown < 4) {
        snprintf(s->shown[s->nshown++], sizeof s->shown[0], "%s", why);
        fprintf(stderr, "%s%s: %s failed: %s\n", s->tty ? "\n" : "", CMD,
                s->phase ? "peer" : "login", why);
    }
    if (failed >= s->n && s->phase < 2) {
        s->no_login = true;
        s->phase = 3;
        fprintf(stderr, "%s: %s (%s); stopping\n", CMD,
                bp_pool_logins(s->pool) ? "every peer has failed"
                                        : "no peer could log in",
                why);
    }
}

static const char *const phase_names[] = {"joining", "running", "settling",
                                          "done"};

/* --json: one object a second, counts cumulative since the start. */
static void json_line(struct swarm *s, long long t)
{
    struct bp_counters c = bp_pool_counters(s->pool);

    printf("{\"type\":\"second\",\"t\":%.3f,\"phase\":\"%s\","
           "\"logged_in\":%d,\"joined\":%d,\"failed_logins\":%d,"
           "\"views_received\":%llu,\"unicast_sent\":%llu,"
           "\"unicast_received\":%llu,\"groupcast_sent\":%llu,"
           "\"groupcast_received\":%llu,\"churn_leaves\":%llu,"
           "\"errors\":%llu,\"stanzas_received\":%llu,"
           "\"bytes_received\":%llu}\n",
           (t - s->t0) / 1000.0, phase_names[s->phase], bp_pool_ready(s->pool),
           bp_pool_count_room(s->pool, BP_ROOM_JOINED), bp_pool_failed(s->pool),
           (unsigned long long)s->views_rx, (unsigned long long)s->uc_sent,
           (unsigned long long)s->uc_rx, (unsigned long long)s->gc_sent,
           (unsigned long long)s->gc_rx, (unsigned long long)s->churn_leaves,
           (unsigned long long)s->errors, (unsigned long long)c.stanzas,
           (unsigned long long)c.bytes);
    fflush(stdout);
}

/* The periodic work, from bp_pool_run_until's condition; true when the
 * run is over (phase 3). */
static bool step(void *ud)
{
    struct swarm *s = ud;
    long long t = now_ms();
    double dt;

    if (t - s->last_tick < 50)
        return s->phase == 3;
    dt = (t - s->last_tick) / 1000.0;
    s->last_tick = t;
    watch_logins(s);
    if (s->o.json && s->phase != 3 && t - s->last_json >= 1000) {
        s->last_json += 1000 * ((t - s->last_json) / 1000);
        json_line(s, t);
    }
    if (s->phase == 0) {
        join_ready(s);
        if (s->tty)
            progress(s, t);
        if (settled_count(s) >= s->n) {
            s->t_joined = t;
            s->join_s = (t - s->t0) / 1000.0;
            if (s->tty)
                fputc('\n', stderr);
            fprintf(stderr, "%s: %d of %d peers joined %s in %.1f s\n", CMD,
                    bp_pool_count_room(s->pool, BP_ROOM_JOINED), s->n, s->room,
                    s->join_s);
            s->phase = 1;
            s->next_churn = t + (long long)(s->o.churn_period * 1000);
            s->t_run_end =
                s->o.duration > 0 ? t + (long long)(s->o.duration * 1000) : 0;
        } else if (signals_seen) {
            if (s->tty)
                fputc('\n', stderr);
            s->phase = 3; /* nothing to verify */
        }
    }
    if (s->phase == 1) {
        s->uc_credit += s->o.unicast * dt;
        s->gc_credit += s->o.groupcast * dt;
        for (; s->uc_credit >= 1; s->uc_credit -= 1)
            send_unicast(s);
        for (; s->gc_credit >= 1; s->gc_credit -= 1)
            send_groupcast(s);
        if (s->o.churn_fraction > 0 && t >= s->next_churn) {
            churn(s);
            s->next_churn = t + (long long)(s->o.churn_period * 1000);
        }
        if (signals_seen || (s->t_run_end && t >= s->t_run_end)) {
            s->phase = 2;
            s->settle_start = s->quiet_since = t;
            s->quiet_stanzas = bp_pool_counters(s->pool).stanzas;
        }
    }
    if (s->phase == 2) {
        /* quiescence, for the report and --verify: churned peers come
         * back (their rejoin flag is set) and the messages in flight are
         * delivered; then a second without any stanza (at most 2 min; a
         * second Ctrl-C stops waiting) */
        uint64_t st = bp_pool_counters(s->pool).stanzas;
        bool all_in = settled_count(s) >= s->n &&
                      !bp_pool_count_room(s->pool, BP_ROOM_LEAVING) &&
                      !bp_pool_count_room(s->pool, BP_ROOM_JOINING);
        if (st != s->quiet_stanzas || !all_in) {
            s->quiet_stanzas = st;
            s->quiet_since = t;
        }
        if (abandon || t - s->quiet_since >= 1000 ||
            t - s->settle_start > 120000)
            s->phase = 3;
    }
    if (s->phase != 0 && !s->no_login &&
        (t - s->last_line >= 1000 || s->phase == 3)) {
        s->last_line = t;
        summary(s, t);
        if (s->phase == 3 && s->tty)
            fputc('\n', stderr);
    }
    return s->phase == 3;
}

/* ---- --verify ------------------------------------------------------------ */

static int peer_of_nick(const struct swarm *s, const char *nick)
{
    char *end;
    long i;

    if (!nick || nick[0] != 'p' || !nick[1])
        return -1;
    i = strtol(nick + 1, &end, 10);
    return *end || i < 0 || i >= s->n ? -1 : (int)i;
}

struct diffs {
    int count;
};

static void differ(struct diffs *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void differ(struct diffs *d, const char *fmt, ...)
{
    va_list ap;

    if (d->count++ < MAX_SHOWN) {
        fprintf(stderr, "%s: verify: ", CMD);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    } else if (d->count == MAX_SHOWN + 1) {
        fprintf(stderr, "%s: verify: (more differences not shown)\n", CMD);
    }
}

/* Compares every peer's view with t; the number of differences. */
static int compare(struct swarm *s, const struct cli_topo *t)
{
    struct diffs d = {0};
    int *seen = calloc((size_t)s->n, sizeof *seen); /* edges per peer */
    char *in_topo = calloc((size_t)s->n, 1);
    char norm[512];

    if (!seen || !in_topo) {
        free(seen), free(in_topo);
        differ(&d, "out of memory");
        return d.count;
    }
    for (size_t m = 0; m < t->nmembers; m++) {
        const char *nick = cli_topo_nick(t, t->members[m]);
        int i = peer_of_nick(s, nick);
        if (i < 0)
            differ(&d, "the room has member %s that is not a swarm peer",
                   nick ? nick : "(no nick)");
        else
            in_topo[i] = 1;
    }
    for (int i = 0; i < s->n; i++) {
        bool joined = bp_peer_room(bp_pool_peer(s->pool, i)) == BP_ROOM_JOINED;
        if (joined && !in_topo[i])
            differ(&d, "p%d is joined but not in the topology", i);
        else if (!joined && in_topo[i])
            differ(&d, "p%d is in the topology but not joined", i);
    }
    for (size_t k = 0; k < t->nedges; k++) {
        const struct cli_topo_edge *e = &t->edges[k];
        const char *fn = cli_topo_nick(t, e->from),
                   *tn = cli_topo_nick(t, e->to);
        int fi = peer_of_nick(s, fn), ti = peer_of_nick(s, tn);
        struct entry *got;
        if (fi < 0 || ti < 0)
            continue; /* reported with the members */
        seen[fi]++;
        if (!(got = view_find(&s->sp[fi], tn))) {
            differ(&d, "%s should see %s (%s) but has no presence of it", fn,
                   tn, e->attrs);
            continue;
        }
        norm_attrs(e->attrs, norm, sizeof norm);
        if (strcmp(norm, got->attrs))
            differ(&d, "%s sees %s with attrs '%s', the topology says '%s'", fn,
                   tn, got->attrs, norm);
        if (strcmp(got->jid, bp_peer_jid(bp_pool_peer(s->pool, ti))))
            differ(&d, "%s has real JID '%s' for %s, which is %s", fn, got->jid,
                   tn, bp_peer_jid(bp_pool_peer(s->pool, ti)));
    }
    for (int i = 0; i < s->n; i++) {
        struct speer *sp = &s->sp[i];
        if (sp->nv == seen[i])
            continue;
        /* some presences are not edges: name them */
        for (int j = 0; j < sp->nv; j++) {
            bool edge = false;
            for (size_t k = 0; k < t->nedges && !edge; k++) {
                const char *fn = cli_topo_nick(t, t->edges[k].from);
                const char *tn = cli_topo_nick(t, t->edges[k].to);
                edge = peer_of_nick(s, fn) == i && tn &&
                       !strcmp(tn, sp->v[j].nick);
            }
            if (!edge)
                differ(&d, "p%d sees %s (%s), which the topology does not", i,
                       sp->v[j].nick, sp->v[j].attrs);
        }
    }
    free(seen);
    free(in_topo);
    return d.count;
}

/* Fetches the topology and compares; differences, or -1 when the
 * topology could not be had (the reason on stderr). */
static int verify(struct swarm *s, hs_client *admin)
{
    struct cli_topo t;
    char err[1024], *text = NULL;
    size_t off;
    int rc;

    rc = cli_admin_topology(admin, s->room, 120000, &abandon, &text, err,
                            sizeof err);
    if (rc) {
        fprintf(stderr, "%s: verify: %s\n", CMD, rc > 0 ? "interrupted" : err);
        return -1;
    }
    rc = cli_topo_parse(text, strlen(text), &t, &off);
    free(text);
    if (rc) {
        fprintf(stderr, "%s: verify: the topology of %s is %s\n", CMD, s->room,
                cli_topo_strerror(rc));
        return -1;
    }
    rc = compare(s, &t);
    fprintf(stderr,
            "%s: verify: %zu members, %zu edges in the topology of "
            "%s: %s\n",
            CMD, t.nmembers, t.nedges, s->room,
            rc ? "differences above" : "every peer's view matches");
    cli_topo_clear(&t);
    return rc;
}

/* ---- report -------------------------------------------------------------- */

static long proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return v;
}

static void report(struct swarm *s, int verified, double run_s)
{
    struct rusage ru;
    double cpu;
    long hwm = proc_status_kb("VmHWM");
    int joined = bp_pool_count_room(s->pool, BP_ROOM_JOINED);
    const char *vs = verified == -2  ? "skipped"
                     : verified == 0 ? "ok"
                                     : "failed";
    unsigned long long errors = s->errors + (uint64_t)bp_pool_failed(s->pool);

    getrusage(RUSAGE_SELF, &ru);
    cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
          (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    if (s->o.json) {
        printf("{\"type\":\"summary\",\"room\":\"%s\",\"view\":\"%s\","
               "\"tls\":\"%s\",\"peers\":%d,\"joined\":%d,"
               "\"failed_logins\":%d,\"join_seconds\":%.3f,"
               "\"run_seconds\":%.3f,\"views_received\":%llu,"
               "\"unicast_sent\":%llu,\"unicast_received\":%llu,"
               "\"groupcast_sent\":%llu,\"groupcast_received\":%llu,"
               "\"churn_leaves\":%llu,\"errors\":%llu,\"verify\":\"%s\","
               "\"verify_differences\":%d,\"peak_rss_kb\":%ld,"
               "\"kb_per_peer\":%.1f,\"cpu_seconds\":%.2f}\n",
               s->room, s->o.view, bp_tls_name(s->o.tls), s->n, joined,
               bp_pool_failed(s->pool), s->join_s, run_s,
               (unsigned long long)s->views_rx, (unsigned long long)s->uc_sent,
               (unsigned long long)s->uc_rx, (unsigned long long)s->gc_sent,
               (unsigned long long)s->gc_rx,
               (unsigned long long)s->churn_leaves, errors, vs,
               verified > 0 ? verified : 0, hwm,
               s->n ? (double)hwm / s->n : 0.0, cpu);
    } else {
        printf("swarm of %d peers in %s (view %s, TLS %s)\n", s->n, s->room,
               s->o.view, bp_tls_name(s->o.tls));
        printf("  joined:     %d (%d logins failed) in %.1f s\n", joined,
               bp_pool_failed(s->pool), s->join_s);
        printf("  views:      %llu presences received\n",
               (unsigned long long)s->views_rx);
        printf("  unicast:    %llu sent, %llu received\n",
               (unsigned long long)s->uc_sent, (unsigned long long)s->uc_rx);
        printf("  groupcast:  %llu sent, %llu received\n",
               (unsigned long long)s->gc_sent, (unsigned long long)s->gc_rx);
        printf("  churn:      %llu leaves (and rejoins)\n",
               (unsigned long long)s->churn_leaves);
        printf("  errors:     %llu%s%s\n", errors, errors ? ", last: " : "",
               errors ? (s->last_error[0] ? s->last_error
                                          : bp_pool_last_error(s->pool))
                      : "");
        printf("  verify:     %s", vs);
        if (verified > 0)
            printf(" (%d differences)", verified);
        printf("\n  process:    peak RSS %ld KB (%.1f KB per peer), CPU %.1f s"
               " over %.1f s\n",
               hwm, s->n ? (double)hwm / s->n : 0.0, cpu, run_s);
    }
    fflush(stdout);
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: orbweb swarm --server HOST:PORT --room ROOM@DOMAIN --peers N\n"
        "         [--view rbt|complete|ring|random|blind] [--view-size S]\n"
        "         [--churn FRACTION:PERIOD] [--unicast RATE] [--groupcast "
        "RATE]\n"
        "         [--duration SECONDS] [--domain ANON_DOMAIN] [--json]\n"
        "         [--tls verify|trust|require|off]\n"
        "         [--verify --admin-jid JID --admin-password-file FILE]\n"
        "Runs N anonymous peers (on ANON_DOMAIN, default anon.localhost) in\n"
        "the room, with a live summary on stderr, until Ctrl-C or the end of\n"
        "--duration (counted once all have joined).  --churn: FRACTION of the\n"
        "peers leave and rejoin every PERIOD seconds; --unicast/--groupcast:\n"
        "messages per second across the swarm.  --verify: once the room is\n"
        "quiet, compares every peer's view with the room's topology (fetched\n"
        "as an admin of xmucd) and exits 1 on any difference.\n"
        "--tls: STARTTLS when the server offers it, the certificate verified\n"
        "(verify, the default), accepted as it is (trust: a test server's\n"
        "self-signed one), required and verified (require), or never (off).\n"
        "A login failure's reason is printed at once; when no peer can log\n"
        "in the swarm stops with exit 1.  --json: one object a second on\n"
        "stdout (counts so far), then the summary.\n");
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"room", required_argument, NULL, 'r'},
        {"peers", required_argument, NULL, 'n'},
        {"view", required_argument, NULL, 'v'},
        {"view-size", required_argument, NULL, 'S'},
        {"churn", required_argument, NULL, 'c'},
        {"unicast", required_argument, NULL, 'u'},
        {"groupcast", required_argument, NULL, 'g'},
        {"duration", required_argument, NULL, 'd'},
        {"domain", required_argument, NULL, 'D'},
        {"verify", no_argument, NULL, 'V'},
        {"admin-jid", required_argument, NULL, 'a'},
        {"admin-password-file", required_argument, NULL, 'p'},
        {"max-in-flight", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"tls", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const views[] = {"rbt", "complete", "ring", "random",
                                        "blind"};
    int ch;
    double v;
    char *colon;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': o->server = optarg; break;
        case 'r': o->room = optarg; break;
        case 'D': o->domain = optarg; break;
        case 'a': o->admin_jid = optarg; break;
        case 'p': o->admin_pw = optarg; break;
        case 'V': o->verify = true; break;
        case 'j': o->json = true; break;
        case 't':
            if (bp_tls_parse(optarg, &o->tls)) {
                fprintf(stderr, "%s: --tls is verify, trust, require or off\n",
                        CMD);
                return 2;
            }
            break;
        case 'n':
            if (num(optarg, 1, 1000000, &v) || v != (int)v) {
                fprintf(stderr, "%s: --peers wants 1 to 1000000\n", CMD);
                return 2;
            }
            o->peers = (int)v;
            break;
        case 'm':
            if (num(optarg, 1, 100000, &v)) {
                fprintf(stderr, "%s: --max-in-flight wants 1 to 100000\n", CMD);
                return 2;
            }
            o->max_in_flight = (int)v;
            break;
        case 'v':
            o->view = NULL;
            for (int i = 0; i < 5; i++)
                if (!strcmp(optarg, views[i]))
                    o->view = views[i];
            if (!o->view) {
                fprintf(stderr,
                        "%s: --view is rbt, complete, ring, random "
                        "or blind\n",
                        CMD);
                return 2;
            }
            break;
        case 'S':
            if (num(optarg, 1, 255, &v) || v != (int)v) {
                fprintf(stderr, "%s: --view-size wants 1 to 255\n", CMD);
                return 2;
            }
            o->view_size = (int)v;
            break;
        case 'c':
            colon = strchr(optarg, ':');
            if (colon)
                *colon = 0;
            if (!colon || num(optarg, 0, 1, &o->churn_fraction) ||
                num(colon + 1, 0.05, 86400, &o->churn_period)) {
                fprintf(stderr,
                        "%s: --churn wants FRACTION:PERIOD, e.g. "
                        "0.1:2 (0..1, seconds)\n",
                        CMD);
                return 2;
            }
            break;
        case 'u':
        case 'g':
            if (num(optarg, 0, 1e6, &v)) {
                fprintf(stderr, "%s: --%s wants messages per second\n", CMD,
                        ch == 'u' ? "unicast" : "groupcast");
                return 2;
            }
            *(ch == 'u' ? &o->unicast : &o->groupcast) = v;
            break;
        case 'd':
            if (num(optarg, 0.1, 1e7, &o->duration)) {
                fprintf(stderr, "%s: --duration wants seconds\n", CMD);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !o->server || !o->room || !o->peers ||
        !strchr(o->room, '@')) {
        fprintf(stderr,
                "%s: --server HOST:PORT, --room ROOM@DOMAIN and "
                "--peers N are required\n",
                CMD);
        usage(stderr);
        return 2;
    }
    if (o->verify && (!o->admin_jid || !o->admin_pw)) {
        fprintf(stderr,
                "%s: --verify needs --admin-jid and "
                "--admin-password-file (an admin of xmucd)\n",
                CMD);
        return 2;
    }
    return 0;
}

/* HOST:PORT to a literal IPv4 address and a port; -1 when it cannot. */
static int resolve(const char *server, char *host, size_t len, int *port)
{
    const char *colon = strrchr(server, ':');
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai;
    char name[256];
    char *end;
    long p;

    if (!colon || colon == server || (size_t)(colon - server) >= sizeof name)
        return -1;
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return -1;
    snprintf(name, sizeof name, "%.*s", (int)(colon - server), server);
    if (getaddrinfo(name, NULL, &hints, &ai))
        return -1;
    inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, host,
              (socklen_t)len);
    freeaddrinfo(ai);
    *port = (int)p;
    return 0;
}

int cli_swarm(int argc, char **argv)
{
    struct opts o = {
        .view = "rbt", .domain = "anon.localhost", .tls = BP_TLS_VERIFY};
    struct swarm *s;
    struct sigaction sa = {.sa_handler = on_signal};
    struct event_base *base;
    struct bp_config cfg = {0};
    hs_client *admin = NULL;
    char host[64];
    int port, r, verified = -2, rc = 0;
    long nofile;

    if ((r = parse(argc, argv, &o)))
        return r == 1 ? 0 : r;
    if (resolve(o.server, host, sizeof host, &port)) {
        fprintf(stderr,
                "%s: --server '%s' is not HOST:PORT with an IPv4 "
                "host\n",
                CMD, o.server);
        return 2;
    }
    nofile = bp_raise_nofile();
    if (nofile > 0 && o.peers + 64 > nofile) {
        fprintf(stderr,
                "%s: %d peers need %d open files, the limit is %ld "
                "(ulimit -n; or run several swarms of fewer peers)\n",
                CMD, o.peers, o.peers + 64, nofile);
        return 1;
    }
    signals_seen = 0;
    abandon = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (o.verify) {
        /* first, so that libstrophe's descriptor stays below FD_SETSIZE */
        struct cli_admin a = {.server = o.server,
                              .jid = o.admin_jid,
                              .password_file = o.admin_pw,
                              .timeout_ms = 20000};
        if (!(admin = cli_admin_login(CMD, &a))) {
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            return 1;
        }
    }
    s = calloc(1, sizeof *s);
    base = event_base_new();
    cfg.host = host;
    cfg.port = port;
    cfg.domain = o.domain;
    cfg.max_in_flight = o.max_in_flight;
    cfg.tls = o.tls;
    if (!s || !base || !(s->sp = calloc((size_t)o.peers, sizeof *s->sp)) ||
        bp_pool_new(base, &cfg, &s->pool) != BP_OK) {
        fprintf(stderr, "%s: out of memory\n", CMD);
        rc = 1;
        goto out;
    }
    s->o = o;
    s->n = o.peers;
    snprintf(s->room, sizeof s->room, "%s", o.room);
    snprintf(s->prefix, sizeof s->prefix, "%s/", o.room);
    s->prefix_len = strlen(s->prefix);
    if (o.view_size)
        snprintf(s->extra, sizeof s->extra,
                 "<join xmlns='" UT_NS_XMUC "' manager='%s' view-size='%d'/>",
                 o.view, o.view_size);
    else
        snprintf(s->extra, sizeof s->extra,
                 "<join xmlns='" UT_NS_XMUC "' manager='%s'/>", o.view);
    s->tty = isatty(2);
    s->rng =
        swarm_seed() ^ 0x9e3779b97f4a7c15ULL; /* SWARM_SEED=0 must not stall */
    s->t0 = s->last_tick = s->last_line = s->last_json = now_ms();
    bp_pool_set_stanza_hook(s->pool, on_stanza, s);
    if (bp_pool_add(s->pool, o.peers) < 0) {
        fprintf(stderr, "%s: out of memory for %d peers\n", CMD, o.peers);
        rc = 1;
        goto out;
    }
    fprintf(stderr,
            "%s: %d peers logging in to %s:%d (%s, TLS %s), joining %s\n", CMD,
            o.peers, host, port, o.domain, bp_tls_name(o.tls), o.room);
    bp_pool_run_until(s->pool, step, s, 0);
    if (o.verify && !abandon && !s->no_login) {
        if (s->join_s == 0 && !s->t_joined)
            fprintf(stderr,
                    "%s: verify: skipped, the swarm never "
                    "finished joining\n",
                    CMD);
        else {
            verified = verify(s, admin);
            if (verified < 0)
                verified = 1;
        }
    }
    report(s, verified, s->t_joined ? (now_ms() - s->t_joined) / 1000.0 : 0.0);
    if (bp_pool_failed(s->pool) ||
        bp_pool_count_room(s->pool, BP_ROOM_JOINED) < s->n || verified > 0 ||
        (o.verify && verified == -2))
        rc = 1;
    if (bp_pool_failed(s->pool))
        fprintf(stderr, "%s: %d logins failed: %s\n", CMD,
                bp_pool_failed(s->pool), bp_pool_last_error(s->pool));
out:
    if (s) {
        if (s->pool)
            bp_pool_free(s->pool);
        for (int i = 0; s->sp && i < s->n; i++) {
            view_clear(&s->sp[i]);
            free(s->sp[i].v);
        }
        free(s->sp);
        free(s);
    }
    if (base)
        event_base_free(base);
    hs_client_close(admin);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return rc;
}
