/* test_xm_room.c -- rooms without a server: the service is fed stanzas and
 * what it sends is captured.  XEP-0045 join order and errors, views that
 * occupants can rebuild from the presences they received (for every view
 * manager, with joins, leaves and nick changes) and that are what the
 * manager promises, worked out in the test (expect_shape), messages,
 * access control, the owner form, limits, persistence and link loss. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xm_roomcfg.h"
#include "xm_service.h"

#define DOMAIN "rooms.test"
#define MAX_OUT 200000

static xmpp_ctx_t *ctx;
static xmpp_stanza_t *sent[MAX_OUT];
static size_t n_sent;
static uint64_t clock_ms;
static const char *admins[] = {"admin@test", NULL};

static size_t capture(void *c, xmpp_stanza_t *st)
{
    (void)c;
    cr_assert_lt(n_sent, MAX_OUT);
    sent[n_sent++] = xmpp_stanza_copy(st);
    return 100;
}

static uint64_t now(void *c)
{
    (void)c;
    return clock_ms;
}

static struct xm_out out = {capture, NULL, NULL};

static void clear_sent(void)
{
    for (size_t i = 0; i < n_sent; i++)
        xmpp_stanza_release(sent[i]);
    n_sent = 0;
}

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    out.xctx = ctx;
    clock_ms = 1000;
}

static void teardown(void)
{
    clear_sent();
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(room, .init = setup, .fini = teardown, .timeout = 120);

/* A service whose rooms outlive a link loss for grace_ms (0: not). */
static xm_service *service_grace(const char *data_dir, uint64_t grace_ms)
{
    struct xm_service_config c = {.domain = DOMAIN,
                                  .max_rooms = 10,
                                  .max_occupants = 1000,
                                  .max_stanza_bytes = 4096,
                                  .rate_per_s = 10,
                                  .rate_burst = 20,
                                  .admins = admins,
                                  .data_dir = data_dir,
                                  .now_ms = now,
                                  .seed = 7,
                                  .link_grace_ms = grace_ms};
    char err[256];
    xm_service *s;

    cr_assert_eq(xm_service_new(&c, &out, err, sizeof err, &s), XM_OK, "%s",
                 err);
    cr_assert(s, "%s", err);
    return s;
}

static xm_service *service(const char *data_dir)
{
    return service_grace(data_dir, 0);
}

static void feed(xm_service *s, const char *fmt, ...)
{
    char xml[16384];
    va_list ap;
    xmpp_stanza_t *st;

    va_start(ap, fmt);
    vsnprintf(xml, sizeof xml, fmt, ap);
    va_end(ap);
    st = xmpp_stanza_new_from_string(ctx, xml);
    cr_assert(st, "bad test XML: %s", xml);
    xm_service_handle(s, st, strlen(xml));
    xmpp_stanza_release(st);
}

static void join(xm_service *s, const char *room, const char *nick,
                 const char *extra)
{
    bool own_x = extra && strstr(extra, "<x ");

    feed(s, "<presence from='%s@test/r' to='%s@" DOMAIN "/%s'>%s%s</presence>",
         nick, room, nick,
         own_x ? "" : "<x xmlns='http://jabber.org/protocol/muc'/>",
         extra ? extra : "");
}

static void leave(xm_service *s, const char *room, const char *nick)
{
    feed(s,
         "<presence type='unavailable' from='%s@test/r' to='%s@" DOMAIN
         "/%s'/>",
         nick, room, nick);
}

/* The text form of sent[i], for messages. */
static char *text(size_t i)
{
    static char buf[8192];
    char *t;
    size_t len;

    xmpp_stanza_to_text(sent[i], &t, &len);
    snprintf(buf, sizeof buf, "%s", t);
    xmpp_free(ctx, t);
    return buf;
}

static bool has_status(xmpp_stanza_t *p, const char *code)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(
        p, "x", "http://jabber.org/protocol/muc#user");

    for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (!strcmp(xmpp_stanza_get_name(c), "status") &&
            !strcmp(xmpp_stanza_get_attribute(c, "code"), code))
            return true;
    return false;
}

static const char *error_of(size_t i)
{
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(sent[i], "error");
    xmpp_stanza_t *c = e ? xmpp_stanza_get_children(e) : NULL;

    return c ? xmpp_stanza_get_name(c) : "";
}

/* The last stanza sent to `to`, or -1. */
static long last_to(const char *to)
{
    for (long i = (long)n_sent - 1; i >= 0; i--)
        if (!strcmp(xmpp_stanza_get_to(sent[i]), to))
            return i;
    return -1;
}

Test(room, xep0045_join_order_and_leave)
{
    xm_service *s = service(NULL);
    long i;

    join(s, "r", "alice", NULL);
    cr_assert_eq(n_sent, 2, "creator: self-presence and subject");
    cr_expect(has_status(sent[0], "110") && has_status(sent[0], "201") &&
                  has_status(sent[0], "100"),
              "%s", text(0));
    cr_expect_str_eq(xmpp_stanza_get_name(sent[1]), "message");
    cr_expect(xmpp_stanza_get_child_by_name(sent[1], "subject"));
    clear_sent();
    join(s, "r", "bob", NULL);
    /* bob: alice's presence, then his own (110), then the subject */
    cr_assert_eq(n_sent, 4, "sent %zu", n_sent);
    cr_expect_str_eq(xmpp_stanza_get_to(sent[0]), "bob@test/r");
    cr_expect_str_eq(xmpp_stanza_get_from(sent[0]), "r@" DOMAIN "/alice");
    cr_expect_str_eq(xmpp_stanza_get_from(sent[1]), "r@" DOMAIN "/bob");
    cr_expect(has_status(sent[1], "110") && !has_status(sent[1], "201"));
    i = last_to("alice@test/r");
    cr_assert_geq(i, 0);
    cr_expect_str_eq(xmpp_stanza_get_from(sent[i]), "r@" DOMAIN "/bob");
    cr_expect(strstr(text(i), "jid=\"bob@test/r\""), "non-anonymous: %s",
              text(i));
    cr_expect(strstr(text(i), "attrs=\"member\""), "%s", text(i));
    clear_sent();
    leave(s, "r", "bob");
    i = last_to("alice@test/r");
    cr_assert_geq(i, 0);
    cr_expect_str_eq(xmpp_stanza_get_type(sent[i]), "unavailable");
    i = last_to("bob@test/r");
    cr_expect(has_status(sent[i], "110"));
    clear_sent();
    leave(s, "r", "alice");
    cr_expect_eq(xm_service_rooms(s), 0, "an empty temporary room is reaped");
    xm_service_free(s);
}

Test(room, join_errors)
{
    xm_service *s = service(NULL);

    join(s, "r", "alice", NULL);
    clear_sent();
    feed(s, "<presence from='mallory@test/r' to='r@" DOMAIN "/alice'/>");
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(error_of(0), "conflict");
    clear_sent();
    feed(s, "<presence from='mallory@test/r' to='r@" DOMAIN "'/>");
    cr_expect_str_eq(error_of(0), "jid-malformed");
    clear_sent();
    feed(s, "<message type='groupchat' from='mallory@test/r' to='r@" DOMAIN "'>"
            "<body>hi</body></message>");
    cr_expect_str_eq(error_of(0), "not-acceptable");
    clear_sent();
    feed(s, "<message from='x@test/r' to='nosuch@" DOMAIN
            "'><body>hi</body></message>");
    cr_expect_str_eq(error_of(0), "item-not-found");
    clear_sent();
    feed(s, "<presence from='x@test/r' to='bad room@" DOMAIN "/x'/>");
    cr_expect_str_eq(error_of(0), "jid-malformed");
    clear_sent();
    join(s, "r", "carol",
         "<join xmlns='https://orbweb.dev/ns/xmuc/0' view-size='nine'/>");
    cr_expect_str_eq(error_of(0), "bad-request");
    xm_service_free(s);
}

/* ---- views rebuilt from presences ------------------------------------------
 */

#define NMAX 64

struct peer {
    char nick[16];
    bool present;
    unsigned key;         /* the ring key it joins with */
    bool sees[NMAX];      /* by peer index */
    unsigned attrs[NMAX]; /* A_* bits of the last presence, by index */
};

static struct peer peers[NMAX];

static int index_of(const char *nick)
{
    for (int i = 0; i < NMAX; i++)
        if (!strcmp(peers[i].nick, nick))
            return i;
    return -1;
}

/* Attributes as the presences name them (<view attrs='...'/>), read here
 * from the wire rather than with vm_attr_parse. */
enum {
    A_MEMBER = 1,
    A_TREE = 2,
    A_GOSSIP = 4,
    A_NEXT = 8,
    A_PREV = 16,
    A_OTHER = 32
};

static unsigned attrs_of(xmpp_stanza_t *p)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"member", A_MEMBER},
                 {"tree", A_TREE},
                 {"gossip", A_GOSSIP},
                 {"ring-next", A_NEXT},
                 {"ring-prev", A_PREV}};
    xmpp_stanza_t *v = xmpp_stanza_get_child_by_name_and_ns(
        p, "view", "https://orbweb.dev/ns/xmuc/0");
    const char *s = v ? xmpp_stanza_get_attribute(v, "attrs") : NULL;
    unsigned bits = 0;

    while (s && *s) {
        size_t n = strcspn(s, ","), k = 0;
        while (k < 5 &&
               (strlen(names[k].name) != n || strncmp(names[k].name, s, n)))
            k++;
        bits |= k < 5 ? names[k].bit : A_OTHER;
        s += n + (s[n] == ',');
    }
    return bits;
}

/* Applies everything sent so far to the peers' views. */
static void absorb(void)
{
    for (size_t k = 0; k < n_sent; k++) {
        xmpp_stanza_t *p = sent[k];
        char nick[16], from_nick[64];
        const char *from = xmpp_stanza_get_from(p),
                   *type = xmpp_stanza_get_type(p);
        int to, sub;
        if (strcmp(xmpp_stanza_get_name(p), "presence") || !from ||
            sscanf(xmpp_stanza_get_to(p), "%15[^@]@", nick) != 1 ||
            !strchr(from, '/'))
            continue;
        snprintf(from_nick, sizeof from_nick, "%s", strchr(from, '/') + 1);
        to = index_of(nick);
        sub = index_of(from_nick);
        if (to < 0 || sub < 0 || to == sub)
            continue;
        peers[to].sees[sub] = !(type && !strcmp(type, "unavailable"));
        peers[to].attrs[sub] = peers[to].sees[sub] ? attrs_of(p) : 0;
    }
    clear_sent();
}

struct expect {
    int observer;
    bool seen[NMAX];
};

static int mark(void *c, const char *nick, uint32_t attrs)
{
    struct expect *e = c;
    int i = index_of(nick);

    (void)attrs;
    cr_assert_geq(i, 0, "unknown nick %s", nick);
    e->seen[i] = true;
    return 0;
}

static void check_views(xm_service *s, const char *manager, const char *when)
{
    xm_room *r = xm_service_room(s, "v");

    for (int i = 0; i < NMAX; i++) {
        struct expect e = {i, {false}};
        if (!peers[i].present)
            continue;
        cr_assert_eq(xm_room_view_each(r, peers[i].nick, mark, &e), 0);
        for (int j = 0; j < NMAX; j++)
            cr_assert_eq(peers[i].sees[j], e.seen[j] && peers[j].present,
                         "%s %s: %s %s %s", manager, when, peers[i].nick,
                         peers[i].sees[j] ? "was told of" : "was not told of",
                         peers[j].nick);
    }
}

/* ---- what each manager must produce, worked out here ----------------------
 *
 * check_views only says that the presences agree with the service's own
 * tables; these say what the views must be, from the presences alone
 * (peers[]), so that empty or wrong views fail. */

/* The present peers, in index order; returns how many. */
static int present(int *idx)
{
    int n = 0;

    for (int i = 0; i < NMAX; i++)
        if (peers[i].present)
            idx[n++] = i;
    return n;
}

/* Whether i was told of j with (at least) the bits of `bit`. */
static bool told(int i, int j, unsigned bit)
{
    return peers[i].sees[j] && (peers[i].attrs[j] & bit) == bit;
}

/* How many peers i was told of with `bit` (0: with anything). */
static int degree_of(int i, unsigned bit)
{
    int d = 0;

    for (int j = 0; j < NMAX; j++)
        d += told(i, j, bit);
    return d;
}

/* Every edge's attributes are within `allowed` and not empty. */
static void expect_attrs(unsigned allowed, const char *when)
{
    for (int i = 0; i < NMAX; i++)
        for (int j = 0; j < NMAX; j++)
            cr_assert(!peers[i].sees[j] || (peers[i].attrs[j] &&
                                            !(peers[i].attrs[j] & ~allowed)),
                      "%s: %s sees %s with attributes 0x%x", when,
                      peers[i].nick, peers[j].nick, peers[i].attrs[j]);
}

/* complete: everyone was told of everyone else, as "member". */
static void expect_complete(const char *when)
{
    int m[NMAX], n = present(m);

    expect_attrs(A_MEMBER, when);
    for (int a = 0; a < n; a++)
        cr_assert_eq(degree_of(m[a], A_MEMBER), n - 1, "%s: %s sees %d of %d",
                     when, peers[m[a]].nick, degree_of(m[a], A_MEMBER), n - 1);
}

/* blind: nobody was told of anybody. */
static void expect_blind(const char *when)
{
    for (int i = 0; i < NMAX; i++)
        cr_assert_eq(degree_of(i, 0), 0, "%s: %s sees someone", when,
                     peers[i].nick);
}

static int by_key(const void *x, const void *y)
{
    unsigned a = peers[*(const int *)x].key, b = peers[*(const int *)y].key;

    return a < b ? -1 : a > b;
}

/* The one peer i was told of with `bit`, or -1. */
static int only(int i, unsigned bit)
{
    int found = -1;

    for (int j = 0; j < NMAX; j++)
        if (told(i, j, bit)) {
            cr_assert_eq(found, -1, "%s has two %s", peers[i].nick,
                         bit == A_NEXT ? "successors" : "predecessors");
            found = j;
        }
    return found;
}

/* ring: each peer sees its successor (ring-next) and predecessor
 * (ring-prev) and nobody else.  keyed: in the order of the keys the
 * peers joined with; else in some order, but one cycle through all. */
static void expect_ring(bool keyed, const char *when)
{
    int m[NMAX], n = present(m), at;

    expect_attrs(A_NEXT | A_PREV, when);
    if (n == 0)
        return;
    if (keyed)
        qsort(m, (size_t)n, sizeof *m, by_key);
    at = m[0];
    for (int a = 0; n > 1 && a < n; a++) {
        int next = only(m[a], A_NEXT), prev = only(m[a], A_PREV);
        cr_assert_eq(degree_of(m[a], 0), n == 2 ? 1 : 2, "%s: %s", when,
                     peers[m[a]].nick);
        cr_assert(next >= 0 && prev >= 0 && only(next, A_PREV) == m[a],
                  "%s: %s's successor does not have it as predecessor", when,
                  peers[m[a]].nick);
        if (keyed)
            cr_assert(next == m[(a + 1) % n] && prev == m[(a + n - 1) % n],
                      "%s: %s (key %u) sees %s and %s", when, peers[m[a]].nick,
                      peers[m[a]].key, peers[next].nick, peers[prev].nick);
    }
    for (int a = 1; n > 1 && a <= n; a++) { /* one cycle through everyone */
        at = only(at, A_NEXT);
        cr_assert(at != m[0] || a == n, "%s: a cycle of %d in a ring of %d",
                  when, a, n);
    }
    cr_assert(n < 2 || at == m[0], "%s: the ring does not close", when);
}

/* rbt with view size s: every peer owns max(1, s/3) tree nodes and sees
 * the owners of their neighbours, so with s >= 3 the "tree" edges are
 * symmetric, 1..s per peer, connect everyone, and number at most
 * nodes - 1 pairs (the node tree's edges). */
static void expect_tree(int s, const char *when)
{
    int m[NMAX], n = present(m), pairs = 0, reached = 1, queue[NMAX], head = 0;
    bool seen[NMAX] = {false};
    int nodes = n * (s / 3 > 1 ? s / 3 : 1);

    if (n == 0)
        return;
    for (int a = 0; a < n; a++) {
        int d = degree_of(m[a], A_TREE);
        cr_assert(n < 2 || (d >= 1 && d <= s), "%s: %s has %d tree neighbours",
                  when, peers[m[a]].nick, d);
        for (int j = 0; j < NMAX; j++)
            if (told(m[a], j, A_TREE)) {
                cr_assert(told(j, m[a], A_TREE), "%s: %s sees %s, not back",
                          when, peers[m[a]].nick, peers[j].nick);
                pairs += m[a] < j;
            }
    }
    cr_assert(n < 2 || pairs <= nodes - 1, "%s: %d tree pairs for %d nodes",
              when, pairs, nodes);
    queue[0] = m[0];
    seen[m[0]] = true;
    while (head < reached)
        for (int i = queue[head++], j = 0; j < NMAX; j++)
            if (told(i, j, A_TREE) && !seen[j]) {
                seen[j] = true;
                queue[reached++] = j;
            }
    cr_assert_eq(reached, n, "%s: the tree reaches %d of %d", when, reached, n);
}

/* random with out-degree d: each peer was told of exactly min(d, n - 1)
 * others as "gossip". */
static void expect_gossip(int d, const char *when)
{
    int m[NMAX], n = present(m), want = d < n - 1 ? d : n - 1;

    for (int a = 0; a < n; a++)
        cr_assert_eq(degree_of(m[a], A_GOSSIP), want, "%s: %s has %d contacts",
                     when, peers[m[a]].nick, degree_of(m[a], A_GOSSIP));
}

#define VIEW_SIZE 6
#define DEGREE 4

/* What `manager` must have told the present peers. */
static void expect_shape(const char *manager, const char *when)
{
    if (!strcmp(manager, "complete"))
        expect_complete(when);
    else if (!strcmp(manager, "blind"))
        expect_blind(when);
    else if (!strcmp(manager, "ring"))
        expect_ring(true, when);
    else if (!strcmp(manager, "rbt")) {
        expect_attrs(A_TREE, when);
        expect_tree(VIEW_SIZE, when);
    } else if (!strcmp(manager, "random")) {
        expect_attrs(A_GOSSIP, when);
        expect_gossip(DEGREE, when);
    } else { /* treegossip: the union of an rbt and a random view */
        cr_assert_str_eq(manager, "treegossip");
        expect_attrs(A_TREE | A_GOSSIP, when);
        expect_tree(VIEW_SIZE, when);
        expect_gossip(DEGREE, when);
    }
}

static const char *join_extra(char *buf, size_t len, const char *manager, int i)
{
    snprintf(buf, len,
             "<join xmlns='https://orbweb.dev/ns/xmuc/0' "
             "manager='%s' view-size='%d' degree='%d' key='%u'/>",
             manager, VIEW_SIZE, DEGREE, peers[i].key);
    return buf;
}

static void views_follow_presences(const char *manager)
{
    char extra[200];
    xm_service *s = service(NULL);
    unsigned seed = 42;

    memset(peers, 0, sizeof peers);
    for (int i = 0; i < NMAX; i++)
        snprintf(peers[i].nick, sizeof peers[i].nick, "p%d", i);
    for (int i = 0; i < 50; i++) {
        peers[i].key = (unsigned)(i * 919 % 1000); /* distinct, shuffled */
        join(s, "v", peers[i].nick,
             join_extra(extra, sizeof extra, manager, i));
        peers[i].present = true;
        absorb();
    }
    cr_assert_str_eq(xm_room_config(xm_service_room(s, "v"))->manager, manager);
    check_views(s, manager, "after 50 joins");
    expect_shape(manager, "after 50 joins");
    for (int k = 0; k < 20; k++) { /* churn: leaves and rejoins */
        int i = (int)(rand_r(&seed) % 50);
        if (peers[i].present) {
            leave(s, "v", peers[i].nick);
            peers[i].present = false;
            memset(peers[i].sees, 0, sizeof peers[i].sees);
        } else {
            join(s, "v", peers[i].nick,
                 join_extra(extra, sizeof extra, manager, i));
            peers[i].present = true;
        }
        absorb();
        expect_shape(manager, "during churn");
    }
    check_views(s, manager, "after churn");
    for (int i = 0; i < 50; i++) /* a nick change keeps the views */
        if (peers[i].present) {
            feed(s, "<presence from='%s@test/r' to='v@" DOMAIN "/q%d'/>",
                 peers[i].nick, i);
            for (int j = 0; j < NMAX; j++) /* observers: old nick gone (303) */
                if (peers[j].sees[i])
                    peers[j].sees[i] = false;
            snprintf(peers[i].nick, sizeof peers[i].nick, "q%d", i);
            absorb();
            break;
        }
    check_views(s, manager, "after a nick change");
    expect_shape(manager, "after a nick change");
    xm_service_free(s);
}

/* A client on a new session takes its nick over from its old session,
 * which the room still holds, with the token of its first join; a wrong
 * or missing token is a conflict, a malformed one a bad request. */
Test(room, takeover_with_the_join_token)
{
    xm_service *s = service(NULL);
    const char *tok = "<join xmlns='https://orbweb.dev/ns/xmuc/0' "
                      "token='0123456789abcdef0123456789abcdef'/>";
    long i;

    join(s, "r", "alice", tok);
    join(s, "r", "bob", NULL);
    clear_sent();
    feed(s, "<presence from='alice2@test/new' to='r@" DOMAIN "/alice'>"
            "<x xmlns='http://jabber.org/protocol/muc'/>"
            "<join xmlns='https://orbweb.dev/ns/xmuc/0' "
            "token='0123456789abcdef0123456789abcdeX'/></presence>");
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(error_of(0), "conflict");
    clear_sent();
    feed(s, "<presence from='alice2@test/new' to='r@" DOMAIN "/alice'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    cr_expect_str_eq(error_of(0), "conflict");
    clear_sent();
    feed(s, "<presence from='alice2@test/new' to='r@" DOMAIN "/alice'>"
            "<x xmlns='http://jabber.org/protocol/muc'/>"
            "<join xmlns='https://orbweb.dev/ns/xmuc/0' "
            "token='short'/></presence>");
    cr_expect_str_eq(error_of(0), "bad-request");
    clear_sent();
    feed(s,
         "<presence from='alice2@test/new' to='r@" DOMAIN "/alice'>"
         "<x xmlns='http://jabber.org/protocol/muc'/>%s</presence>",
         tok);
    /* the old session is told it left, bob sees alice leave and come back
     * with her new real JID, and the new session gets a full join */
    cr_assert_geq(i = last_to("alice@test/r"), 0);
    cr_expect_str_eq(xmpp_stanza_get_type(sent[i]), "unavailable");
    cr_assert_geq(i = last_to("alice2@test/new"), 0);
    cr_expect(xmpp_stanza_get_child_by_name(sent[i], "subject"),
              "the new session did not get the subject: %s", text(i));
    cr_assert_geq(i = last_to("bob@test/r"), 0);
    cr_expect(strstr(text(i), "alice2@test/new"), "%s", text(i));
    cr_expect_null(xmpp_stanza_get_type(sent[i]), "%s", text(i));
    xm_service_free(s);
}

Test(room, views_complete)
{
    views_follow_presences("complete");
}
Test(room, views_rbt)
{
    views_follow_presences("rbt");
}
Test(room, views_ring)
{
    views_follow_presences("ring");
}
Test(room, views_random)
{
    views_follow_presences("random");
}
Test(room, views_blind)
{
    views_follow_presences("blind");
}
Test(room, views_treegossip)
{
    views_follow_presences("treegossip");
}

/* ---- messages
 * ---------------------------------------------------------------- */

Test(room, groupchat_private_and_subject)
{
    xm_service *s = service(NULL);
    long i;

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    clear_sent();
    feed(s, "<message type='groupchat' from='bob@test/r' to='r@" DOMAIN
            "' id='m1'>"
            "<body>hello</body><groupcast xmlns='https://orbweb.dev/ns/xmuc/0' "
            "seq='99'/>"
            "</message>");
    cr_assert_eq(n_sent, 2, "relayed to both occupants, sender included");
    for (size_t k = 0; k < 2; k++) {
        cr_expect_str_eq(xmpp_stanza_get_from(sent[k]), "r@" DOMAIN "/bob");
        cr_expect(strstr(text(k), "seq=\"1\""),
                  "our sequence, not the forged one: %s", text(k));
        cr_expect(!strstr(text(k), "seq=\"99\""));
    }
    clear_sent();
    feed(s, "<message type='chat' from='bob@test/r' to='r@" DOMAIN "/alice'>"
            "<body>psst</body></message>");
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(xmpp_stanza_get_to(sent[0]), "alice@test/r");
    cr_expect_str_eq(xmpp_stanza_get_from(sent[0]), "r@" DOMAIN "/bob");
    clear_sent();
    feed(s,
         "<message type='chat' from='bob@test/r' to='r@" DOMAIN "/nobody'/>");
    cr_expect_str_eq(error_of(0), "item-not-found");
    clear_sent();
    feed(s, "<message type='groupchat' from='bob@test/r' to='r@" DOMAIN "'>"
            "<subject>news</subject></message>");
    cr_expect_str_eq(error_of(0), "forbidden", "bob is not a moderator");
    clear_sent();
    feed(s, "<message type='groupchat' from='alice@test/r' to='r@" DOMAIN "'>"
            "<subject>news</subject></message>");
    cr_expect_eq(n_sent, 2);
    clear_sent();
    join(s, "r", "carol", NULL);
    i = last_to("carol@test/r");
    cr_expect(strstr(text(i), "<subject>news</subject>"), "%s", text(i));
    xm_service_free(s);
}

/* ---- access control
 * ---------------------------------------------------------- */

static void submit(xm_service *s, const char *from, const char *fields)
{
    feed(s,
         "<iq type='set' id='c1' from='%s' to='r@" DOMAIN "'>"
         "<query xmlns='http://jabber.org/protocol/muc#owner'>"
         "<x xmlns='jabber:x:data' type='submit'>%s</x></query></iq>",
         from, fields);
}

#define FIELD(var, v) "<field var='" var "'><value>" v "</value></field>"

Test(room, password_members_only_ban_kick)
{
    xm_service *s = service(NULL);
    long i;

    join(s, "r", "alice", NULL);
    clear_sent();
    submit(s, "bob@test/r", FIELD("muc#roomconfig_roomsecret", "pw"));
    cr_expect_str_eq(error_of(0), "forbidden", "only owners configure");
    clear_sent();
    submit(s, "alice@test/r", FIELD("muc#roomconfig_roomsecret", "pw"));
    cr_expect_str_eq(xmpp_stanza_get_type(sent[0]), "result");
    clear_sent();
    join(s, "r", "bob", NULL);
    cr_expect_str_eq(error_of(0), "not-authorized");
    clear_sent();
    join(s, "r", "bob",
         "<x "
         "xmlns='http://jabber.org/protocol/muc'><password>pw</password></x>");
    i = last_to("bob@test/r");
    cr_expect(strcmp(xmpp_stanza_get_type(sent[i])
                         ? xmpp_stanza_get_type(sent[i])
                         : "",
                     "error"),
              "bob with the password joins: %s", text(i));
    clear_sent();
    feed(s, "<iq type='set' id='k1' from='alice@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            "<item nick='bob' role='none'/></query></iq>");
    i = last_to("bob@test/r");
    cr_expect(has_status(sent[i], "307"), "kicked: %s", text(i));
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 1);
    clear_sent();
    feed(s, "<iq type='set' id='b1' from='alice@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            "<item affiliation='outcast' jid='bob@test'/></query></iq>");
    cr_expect_str_eq(xmpp_stanza_get_type(sent[n_sent - 1]), "result");
    clear_sent();
    join(s, "r", "bob",
         "<x "
         "xmlns='http://jabber.org/protocol/muc'><password>pw</password></x>");
    cr_expect_str_eq(error_of(0), "forbidden", "banned");
    clear_sent();
    submit(s, "alice@test/r",
           FIELD("muc#roomconfig_membersonly", "1")
               FIELD("muc#roomconfig_roomsecret", ""));
    join(s, "r", "carol", NULL);
    cr_expect_str_eq(error_of(n_sent - 1), "registration-required");
    clear_sent();
    feed(s, "<iq type='set' id='b2' from='alice@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            "<item affiliation='member' jid='carol@test'/></query></iq>");
    join(s, "r", "carol", NULL);
    i = last_to("carol@test/r");
    cr_expect(strstr(text(i), "<subject"), "member carol joins: %s", text(i));
    xm_service_free(s);
}

Test(room, owner_form_changes_the_view_manager)
{
    xm_service *s = service(NULL);

    memset(peers, 0, sizeof peers);
    for (int i = 0; i < 20; i++) {
        snprintf(peers[i].nick, sizeof peers[i].nick, "p%d", i);
        join(s, "v", peers[i].nick, NULL);
        peers[i].present = true;
    }
    absorb();
    expect_complete("before reconfiguration");
    feed(s, "<iq type='get' id='f' from='p0@test/r' to='v@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    cr_expect(strstr(text(0), "https://orbweb.dev/ns/xmuc/0#view_manager"),
              "%s", text(0));
    cr_expect(strstr(text(0), "<option label=\"rbt\">"), "%s", text(0));
    clear_sent();
    feed(s, "<iq type='set' id='c1' from='p0@test/r' to='v@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#owner'>"
            "<x xmlns='jabber:x:data' type='submit'>" FIELD(
                "https://orbweb.dev/ns/xmuc/0#view_manager",
                "ring") "</x></query></iq>");
    cr_expect_str_eq(xm_room_config(xm_service_room(s, "v"))->manager, "ring");
    absorb();
    check_views(s, "complete->ring", "after reconfiguration");
    expect_ring(false, "after reconfiguration"); /* joined without keys */
    feed(s, "<iq type='set' id='c2' from='p0@test/r' to='v@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#owner'>"
            "<x xmlns='jabber:x:data' type='submit'>" FIELD(
                "https://orbweb.dev/ns/xmuc/0#view_manager",
                "no-such") "</x></query></iq>");
    cr_expect_str_eq(error_of(0), "not-acceptable");
    xm_service_free(s);
}

/* ---- limits
 * -------------------------------------------------------------------- */

Test(room, oversized_stanzas_and_floods)
{
    xm_service *s = service(NULL);
    char big[5000];
    size_t errors = 0;

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    clear_sent();
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    feed(s,
         "<message type='groupchat' from='bob@test/r' to='r@" DOMAIN "'>"
         "<body>%s</body></message>",
         big);
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(error_of(0), "policy-violation");
    clear_sent();
    for (int k = 0; k < 100; k++) /* no time passes: the burst is 20 */
        feed(s,
             "<message type='groupchat' from='bob@test/r' to='r@" DOMAIN "'>"
             "<body>%d</body></message>",
             k);
    for (size_t k = 0; k < n_sent; k++)
        errors += !strcmp(error_of(k), "resource-constraint");
    cr_expect_eq(errors, 80, "%zu refused", errors);
    clear_sent();
    feed(s, "<message type='groupchat' from='alice@test/r' to='r@" DOMAIN "'>"
            "<body>still here</body></message>");
    cr_expect_eq(n_sent, 2, "alice is not slowed by bob's flood");
    clear_sent();
    clock_ms += 1000; /* 10 per second come back */
    feed(s, "<message type='groupchat' from='bob@test/r' to='r@" DOMAIN "'>"
            "<body>later</body></message>");
    cr_expect_eq(n_sent, 2);
    xm_service_free(s);
}

Test(room, room_limit)
{
    xm_service *s = service(NULL);
    char room[16];

    for (int i = 0; i < 10; i++) {
        snprintf(room, sizeof room, "r%d", i);
        join(s, room, "alice", NULL);
    }
    clear_sent();
    join(s, "r10", "alice", NULL);
    cr_expect_str_eq(error_of(0), "resource-constraint");
    xm_service_free(s);
}

/* ---- persistence and the link
 * ------------------------------------------------------ */

Test(room, persistent_rooms_survive_a_restart)
{
    char dir[] = "/tmp/xm_room_XXXXXX", cmd[64];
    xm_service *s;
    xm_room *r;

    cr_assert(mkdtemp(dir));
    s = service(dir);
    join(s, "keep", "alice", NULL);
    feed(s, "<iq type='set' id='c1' from='alice@test/r' to='keep@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#owner'>"
            "<x xmlns='jabber:x:data' type='submit'>" FIELD(
                "muc#roomconfig_persistentroom", "1")
                FIELD("muc#roomconfig_roomname", "A kept room")
                    FIELD("https://orbweb.dev/ns/xmuc/0#view_manager", "rbt")
                        FIELD("https://orbweb.dev/ns/xmuc/0#view_size",
                              "6") "</x></query></iq>");
    join(s, "temp", "alice", NULL);
    xm_service_free(s);
    clear_sent();
    s = service(dir);
    cr_assert_eq(xm_service_rooms(s), 1, "only the persistent room is back");
    r = xm_service_room(s, "keep");
    cr_assert(r);
    cr_expect_str_eq(xm_room_config(r)->manager, "rbt");
    cr_expect_eq(xm_room_config(r)->view_size, 6);
    cr_expect_str_eq(xm_room_config(r)->title, "A kept room");
    cr_expect_eq(xm_room_affiliation(r, "alice@test"), XM_AFFIL_OWNER);
    cr_expect_eq(xm_room_size(r), 0, "occupants are rebuilt as they rejoin");
    feed(
        s,
        "<iq type='set' id='d' from='alice@test/r' to='keep@" DOMAIN "'>"
        "<query "
        "xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>");
    cr_expect_eq(xm_service_rooms(s), 0);
    xm_service_free(s);
    s = service(dir);
    cr_expect_eq(xm_service_rooms(s), 0, "a destroyed room stays destroyed");
    xm_service_free(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(room, link_loss_tells_occupants_to_rejoin)
{
    xm_service *s = service(NULL);
    long i;

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    clear_sent();
    xm_service_link_down(s);
    cr_expect_eq(n_sent, 0, "nothing can be sent while the link is down");
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 0);
    xm_service_link_up(s);
    cr_assert_eq(n_sent, 2);
    i = last_to("bob@test/r");
    cr_expect(has_status(sent[i], "332"), "%s", text(i));
    cr_expect_eq(xm_service_rooms(s), 0, "the temporary room is reaped");
    xm_service_free(s);
}

Test(room, service_disco_and_stats)
{
    xm_service *s = service(NULL);

    join(s, "r", "alice", NULL);
    clear_sent();
    feed(s, "<iq type='get' id='1' from='x@test/r' to='" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    cr_expect(strstr(text(0), "jid=\"r@" DOMAIN "\""), "%s", text(0));
    clear_sent();
    feed(s, "<iq type='get' id='2' from='x@test/r' to='" DOMAIN "'>"
            "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    cr_expect_str_eq(error_of(0), "forbidden");
    clear_sent();
    feed(s, "<iq type='get' id='3' from='admin@test/r' to='" DOMAIN "'>"
            "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    cr_expect(strstr(text(0), "kind=\"presence\""), "%s", text(0));
    clear_sent();
    feed(s, "<iq type='get' id='4' from='admin@test/r' to='r@" DOMAIN "'>"
            "<topology xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    cr_expect(
        strstr(text(0), "&quot;nicks&quot;:{&quot;0&quot;:&quot;alice&quot;}"),
        "%s", text(0));
    clear_sent();
    feed(s, "<iq type='get' id='5' from='x@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    cr_expect(strstr(text(0), "https://orbweb.dev/ns/xmuc/0#view-complete"),
              "%s", text(0));
    xm_service_free(s);
}

Test(room, full_room_and_owner_exception)
{
    xm_service *s = service(NULL);

    join(s, "r", "alice", NULL);
    submit(s, "alice@test/r", FIELD("muc#roomconfig_maxusers", "2"));
    join(s, "r", "bob", NULL);
    clear_sent();
    join(s, "r", "carol", NULL);
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(error_of(0), "service-unavailable");
    cr_expect(strstr(text(0), "<x xmlns=\"http://jabber.org/protocol/muc\"/>"),
              "join errors carry the MUC element: %s", text(0));
    clear_sent();
    join(s, "r", "admin", NULL); /* a service admin still gets in */
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 3);
    clear_sent();
    submit(s, "alice@test/r", FIELD("muc#roomconfig_maxusers", "5000"));
    cr_expect_str_eq(error_of(0), "not-acceptable",
                     "above the service's cap of 1000");
    xm_service_free(s);
}

Test(room, every_stanza_counts_in_the_service_table)
{
    xm_service *s = service(NULL);
    struct xm_counter svc, room;

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    svc = xm_stats_total(xm_service_stats(s));
    room = xm_stats_total(xm_room_stats(xm_service_room(s, "r")));
    cr_expect_eq(svc.stanzas[XM_IN], 2);
    cr_expect_eq(room.stanzas[XM_IN], 2);
    cr_expect_eq(room.stanzas[XM_OUT], n_sent, "the room counts what it sent");
    cr_expect_eq(svc.stanzas[XM_OUT], n_sent, "and so does the service");
    xm_service_free(s);
}

Test(room, oversized_topology_is_refused_not_sent)
{
    xm_service *s = service(NULL);
    char nick[16];

    for (int i = 0; i < 400; i++) { /* complete: ~160,000 edges */
        snprintf(nick, sizeof nick, "n%d", i);
        join(s, "big", nick, NULL);
        clear_sent();
    }
    feed(s, "<iq type='get' id='t' from='admin@test/r' to='big@" DOMAIN "'>"
            "<topology xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(error_of(0), "resource-constraint");
    xm_service_free(s);
}

static void ask_page(xm_service *s, const char *page)
{
    clear_sent();
    feed(s,
         "<iq type='get' id='t' from='admin@test/r' to='big@" DOMAIN "'>"
         "<topology xmlns='https://orbweb.dev/ns/xmuc/0' page='%s'/></iq>",
         page);
    cr_assert_eq(n_sent, 1);
}

/* Its size once escaped as XML text. */
static size_t escaped(const char *t)
{
    size_t n = 0;

    for (; *t; t++)
        n += *t == '&' ? 5 : *t == '<' || *t == '>' ? 4 : 1;
    return n;
}

/* A topology too large for one stanza comes by pages: each fits (escaped),
 * starts on a character boundary, and together they are the topology. */
Test(room, oversized_topology_comes_by_pages)
{
    xm_service *s = service(NULL);
    char nick[32], page[24], *whole, *joined = calloc(1, 1);
    char version[32] = "";
    long pages = 1;
    size_t len = 0;

    for (int i = 0; i < 400; i++) { /* complete: ~160,000 edges */
        snprintf(nick, sizeof nick, "n&amp;\xc3\xa9&lt;%d", i); /* n&é<i */
        join(s, "big", nick, NULL);
        clear_sent();
    }
    whole = xm_room_topology_json(xm_service_room(s, "big"));
    cr_assert(whole && strlen(whole) > 256 * 1024);
    for (long i = 0; i < pages; i++) {
        xmpp_stanza_t *t;
        char *chunk;
        snprintf(page, sizeof page, "%ld", i);
        ask_page(s, page);
        cr_assert_str_eq(xmpp_stanza_get_type(sent[0]), "result", "%s",
                         text(0));
        t = xmpp_stanza_get_child_by_name(sent[0], "topology");
        cr_assert(t);
        pages = strtol(xmpp_stanza_get_attribute(t, "pages"), NULL, 10);
        cr_assert_gt(pages, 2);
        cr_expect_str_eq(xmpp_stanza_get_attribute(t, "page"), page);
        if (i)
            cr_expect_str_eq(xmpp_stanza_get_attribute(t, "version"), version);
        snprintf(version, sizeof version, "%s",
                 xmpp_stanza_get_attribute(t, "version"));
        chunk = xmpp_stanza_get_text(t);
        cr_expect_leq(escaped(chunk), 128 * 1024);
        cr_expect_neq((unsigned char)chunk[0] & 0xc0, 0x80,
                      "page %ld cut a character", i);
        joined = realloc(joined, len + strlen(chunk) + 1);
        memcpy(joined + len, chunk, strlen(chunk) + 1);
        len += strlen(chunk);
        xmpp_free(ctx, chunk);
    }
    cr_expect_str_eq(joined, whole);
    ask_page(s, "99");
    cr_expect_str_eq(error_of(0), "item-not-found");
    ask_page(s, "one");
    cr_expect_str_eq(error_of(0), "bad-request");
    free(joined);
    free(whole);
    xm_service_free(s);
}

Test(room, iqs_between_occupants_are_relayed)
{
    xm_service *s = service(NULL);

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    clear_sent();
    feed(s, "<iq type='get' id='v1' from='alice@test/r' to='r@" DOMAIN "/bob'>"
            "<query xmlns='jabber:iq:version'/></iq>");
    cr_assert_eq(n_sent, 1);
    cr_expect_str_eq(xmpp_stanza_get_to(sent[0]), "bob@test/r");
    cr_expect_str_eq(xmpp_stanza_get_from(sent[0]), "r@" DOMAIN "/alice",
                     "bob does not learn alice's real JID from the relay");
    cr_expect(xmpp_stanza_get_child_by_ns(sent[0], "jabber:iq:version"));
    {
        char id[32];
        snprintf(id, sizeof id, "%s", xmpp_stanza_get_id(sent[0]));
        cr_expect_str_neq(id, "v1");
        clear_sent();
        feed(s,
             "<iq type='result' id='%s' from='bob@test/r' to='r@" DOMAIN
             "/alice'>"
             "<query xmlns='jabber:iq:version'><name>b</name></query></iq>",
             id);
        cr_assert_eq(n_sent, 1);
        cr_expect_str_eq(xmpp_stanza_get_to(sent[0]), "alice@test/r");
        cr_expect_str_eq(xmpp_stanza_get_from(sent[0]), "r@" DOMAIN "/bob");
        cr_expect_str_eq(xmpp_stanza_get_id(sent[0]), "v1");
        clear_sent();
        feed(s,
             "<iq type='result' id='%s' from='bob@test/r' to='r@" DOMAIN
             "/alice'/>",
             id);
        cr_expect_eq(n_sent, 0, "an answer is relayed once");
    }
    feed(s,
         "<iq type='get' id='v2' from='alice@test/r' to='r@" DOMAIN "/nobody'>"
         "<query xmlns='jabber:iq:version'/></iq>");
    cr_expect_str_eq(error_of(0), "item-not-found");
    clear_sent();
    feed(s, "<iq type='get' id='p' from='alice@test/r' to='r@" DOMAIN "/alice'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>");
    cr_expect_str_eq(xmpp_stanza_get_type(sent[0]), "result",
                     "XEP-0410 self-ping");
    clear_sent();
    feed(s, "<iq type='get' id='x' from='eve@test/r' to='r@" DOMAIN "/bob'>"
            "<query xmlns='jabber:iq:version'/></iq>");
    cr_expect_str_eq(error_of(0), "not-acceptable");
    xm_service_free(s);
}

/* ---- link loss with a grace period (docs/xmucd.md) ------------------------
 */

/* The pings xmucd sent since the last clear_sent: answers each with a
 * result, or an error when the pinged JID starts with gone_prefix. */
static int answer_pings(xm_service *s, const char *gone_prefix)
{
    xmpp_stanza_t *q[16];
    int n = 0;

    for (size_t i = 0; i < n_sent && n < 16; i++)
        if (!strcmp(xmpp_stanza_get_name(sent[i]), "iq") &&
            xmpp_stanza_get_child_by_name_and_ns(sent[i], "ping",
                                                 "urn:xmpp:ping"))
            q[n++] = xmpp_stanza_copy(sent[i]);
    for (int i = 0; i < n; i++) {
        const char *to = xmpp_stanza_get_to(q[i]);
        bool gone =
            gone_prefix && !strncmp(to, gone_prefix, strlen(gone_prefix));
        cr_expect_str_eq(xmpp_stanza_get_from(q[i]), "r@" DOMAIN);
        feed(s, "<iq type='%s' id='%s' from='%s' to='r@" DOMAIN "'>%s</iq>",
             gone ? "error" : "result", xmpp_stanza_get_id(q[i]), to,
             gone ? "<error type='cancel'><service-unavailable xmlns="
                    "'urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                  : "");
        xmpp_stanza_release(q[i]);
    }
    return n;
}

/* The last presence sent to `to`, or -1. */
static long last_presence_to(const char *to)
{
    for (long i = (long)n_sent - 1; i >= 0; i--)
        if (!strcmp(xmpp_stanza_get_to(sent[i]), to) &&
            !strcmp(xmpp_stanza_get_name(sent[i]), "presence"))
            return i;
    return -1;
}

/* How many stanzas sent since the last clear_sent carry status code. */
static int with_status(const char *code)
{
    int n = 0;

    for (size_t i = 0; i < n_sent; i++)
        if (!strcmp(xmpp_stanza_get_name(sent[i]), "presence") &&
            has_status(sent[i], code))
            n++;
    return n;
}

/* A service with a 60 s grace, alice and bob in room r, and the link
 * down for down_ms (the service's clock ticking meanwhile). */
static xm_service *link_lost_for(uint64_t down_ms)
{
    xm_service *s = service_grace(NULL, 60000);

    join(s, "r", "alice", NULL);
    join(s, "r", "bob", NULL);
    clear_sent();
    xm_service_link_down(s);
    clock_ms += down_ms;
    xm_service_tick(s);
    return s;
}

Test(room, a_link_loss_within_the_grace_keeps_occupants)
{
    xm_service *s = link_lost_for(30000);
    long i;

    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 2, "occupants kept");
    xm_service_link_up(s);
    cr_expect_eq(with_status("332"), 0, "nobody is told to rejoin");
    cr_assert_eq(answer_pings(s, "bob@"), 2, "each occupant is pinged");
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 1,
                 "bob's session is gone");
    i = last_to("alice@test/r");
    cr_assert_geq(i, 0);
    cr_expect(has_status(sent[i], "333") && xmpp_stanza_get_type(sent[i]),
              "alice sees bob leave: %s", text(i));
    clear_sent();
    feed(s, "<message type='groupchat' from='alice@test/r' to='r@" DOMAIN "'>"
            "<body>still here</body></message>");
    cr_expect_eq(n_sent, 1, "groupchat still flows");
    xm_service_free(s);
}

Test(room, past_the_grace_occupants_are_told_to_rejoin)
{
    xm_service *s = link_lost_for(61000);

    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 0, "forgotten");
    xm_service_link_up(s);
    cr_expect_eq(with_status("332"), 2);
    cr_expect_eq(xm_service_rooms(s), 1, "the empty room is held");
    clock_ms += 61000;
    xm_service_tick(s);
    cr_expect_eq(xm_service_rooms(s), 0, "and reaped after the grace");
    xm_service_free(s);
}

/* Attack 4, second half: the attacker rejoins an emptied temporary room
 * first.  It joins the kept room as a plain participant: no 201, no
 * owner, no owner form, no kick; the owner gets its room back. */
static void owner_keeps_the_room(uint64_t down_ms)
{
    xm_service *s = link_lost_for(down_ms);
    long i;

    xm_service_link_up(s);
    answer_pings(s, ""); /* within the grace: every session is gone */
    cr_assert_eq(xm_room_size(xm_service_room(s, "r")), 0);
    cr_assert_eq(xm_service_rooms(s), 1, "the emptied room is held");
    clear_sent();
    join(s, "r", "mallory", NULL);
    i = last_presence_to("mallory@test/r");
    cr_assert_geq(i, 0);
    cr_expect(has_status(sent[i], "110") && !has_status(sent[i], "201"),
              "mallory: %s", text(i));
    cr_expect(strstr(text(i), "affiliation=\"none\""), "%s", text(i));
    cr_expect_eq(xm_room_affiliation(xm_service_room(s, "r"), "alice@test"),
                 XM_AFFIL_OWNER);
    clear_sent();
    feed(s, "<iq type='get' id='o' from='mallory@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    cr_expect_str_eq(error_of(0), "forbidden");
    join(s, "r", "alice", NULL);
    i = last_presence_to("alice@test/r");
    cr_expect(strstr(text(i), "affiliation=\"owner\""), "%s", text(i));
    clear_sent();
    feed(s, "<iq type='set' id='k' from='mallory@test/r' to='r@" DOMAIN "'>"
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            "<item nick='alice' role='none'/></query></iq>");
    cr_expect_str_eq(error_of(0), "forbidden");
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 2);
    xm_service_free(s);
}

Test(room, ownership_survives_a_short_link_loss)
{
    owner_keeps_the_room(5000);
}

Test(room, ownership_survives_a_long_link_loss)
{
    owner_keeps_the_room(120000);
}

/* ---- canonical JIDs (docs/protocol.md) --------------------------------------
 */

Test(room, room_names_and_nicks_are_canonical)
{
    xm_service *s = service(NULL);
    long i;

    join(s, "CaseRoom", "Alice", NULL);
    cr_assert(xm_service_room(s, "caseroom"),
              "the room is named by its nodeprep form");
    cr_expect_null(xm_service_room(s, "CaseRoom"));
    i = last_presence_to("Alice@test/r");
    cr_assert_geq(i, 0);
    cr_expect_str_eq(xmpp_stanza_get_from(sent[i]), "caseroom@" DOMAIN "/Alice",
                     "nicks keep their case (resourceprep)");
    clear_sent();
    feed(s, "<presence from='bob@test/r' to='CASEROOM@" DOMAIN "/bob'/>");
    cr_expect_eq(xm_room_size(xm_service_room(s, "caseroom")), 2,
                 "one room whatever the case");
    clear_sent(); /* NFKC: e + combining acute is the nick caf\xc3\xa9 */
    feed(s, "<presence from='carol@test/r' to='caseroom@" DOMAIN
            "/caf\x65\xcc\x81'/>");
    i = last_presence_to("carol@test/r");
    cr_expect_str_eq(xmpp_stanza_get_from(sent[i]),
                     "caseroom@" DOMAIN "/caf\xc3\xa9");
    clear_sent();
    feed(s, "<presence from='dave@test/r' to='bad\xf3\xa0\x80\x81room@" DOMAIN
            "/dave'/>");
    cr_expect_str_eq(error_of(0), "jid-malformed",
                     "a prohibited character in a room name");
    clear_sent();
    feed(s, "<presence from='dave@test/r' to='caseroom@" DOMAIN
            "/da\xe2\x80\xa8ve'/>");
    cr_expect_str_eq(error_of(0), "jid-malformed",
                     "a line separator (U+2028) in a nick");
    xm_service_free(s);
}

Test(room, a_join_without_a_nick_is_jid_malformed)
{
    xm_service *s = service(NULL);

    feed(s, "<presence from='alice@test/r' to='newroom@" DOMAIN "'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    cr_expect_str_eq(error_of(0), "jid-malformed",
                     "a room that does not exist");
    cr_expect_eq(xm_service_rooms(s), 0);
    join(s, "r", "alice", NULL);
    clear_sent();
    feed(s, "<presence from='bob@test/r' to='r@" DOMAIN "/'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    cr_expect_str_eq(error_of(0), "jid-malformed", "an empty nick");
    clear_sent();
    feed(s, "<presence from='bob@test/r' to='r@" DOMAIN "'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    cr_expect_str_eq(error_of(0), "jid-malformed", "an existing room");
    xm_service_free(s);
}

Test(room, an_unknown_manager_is_not_acceptable)
{
    xm_service *s = service(NULL);

    join(s, "r", "alice",
         "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='bogus'/>");
    cr_expect_str_eq(error_of(0), "not-acceptable", "creating a room");
    cr_expect_eq(xm_service_rooms(s), 0);
    join(s, "r", "alice",
         "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='ring'/>");
    cr_expect_str_eq(xm_room_config(xm_service_room(s, "r"))->manager, "ring");
    clear_sent();
    join(s, "r", "bob",
         "<join xmlns='https://orbweb.dev/ns/xmuc/0' manager='bogus'/>");
    cr_expect_str_eq(error_of(0), "not-acceptable", "joining a room");
    cr_expect_eq(xm_room_size(xm_service_room(s, "r")), 1);
    xm_service_free(s);
}

/* ---- refusals: counted by condition, logged with a rate limit ----------- */

#include <unistd.h>

#include "xm_refusal.h"

/* Runs while stderr goes to a file; returns what was logged. */
static char *logged_during(void (*fn)(xm_service *s), xm_service *s)
{
    static char buf[65536];
    FILE *f = tmpfile();
    int saved = dup(2);
    size_t n;

    cr_assert(f && saved >= 0);
    fflush(stderr);
    dup2(fileno(f), 2);
    fn(s);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static size_t lines_with(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void refuse_some(xm_service *s)
{
    join(s, "r", "alice", NULL);
    /* a second JID asks for alice's nick */
    feed(s, "<presence from='eve@test/r' to='r@" DOMAIN "/alice'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    /* the statistics are for admins only */
    feed(s, "<iq type='get' id='2' from='x@test/r' to='" DOMAIN "'>"
            "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    /* an error between occupants is forwarded, not a refusal */
    join(s, "r", "bob", NULL);
    feed(s, "<iq type='error' id='9' from='bob@test/r' to='r@" DOMAIN
            "/alice'><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

Test(room, refusals_are_counted_and_logged)
{
    xm_service *s = service(NULL);
    const struct xm_refusals *rf = xm_service_refusals(s);
    char *log = logged_during(refuse_some, s);

    cr_expect_eq(xm_refusals_count(rf, "conflict"), 1);
    cr_expect_eq(xm_refusals_count(rf, "forbidden"), 1);
    cr_expect_eq(xm_refusals_count(rf, "service-unavailable"), 0,
                 "a forwarded error is not counted");
    cr_expect(strstr(log, "refused eve@test/r presence in room r: conflict"),
              "%s", log);
    cr_expect(strstr(log, "refused x@test/r iq in room -: forbidden"), "%s",
              log);
    cr_expect_eq(lines_with(log, " refused "), 2, "%s", log);
    xm_service_free(s);
}

static void flood_refusals(xm_service *s)
{
    for (int i = 0; i < 1000; i++) /* an admin-only request, 1,000 times */
        feed(s,
             "<iq type='get' id='f%d' from='x@test/r' to='" DOMAIN "'>"
             "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>",
             i);
    clock_ms += 1000; /* one second later: the summary, then lines again */
    xm_service_tick(s);
    feed(s, "<iq type='get' id='g' from='y@test/r' to='" DOMAIN "'>"
            "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>");
    for (int i = 0; i < 100; i++) /* no token left: all suppressed */
        feed(s,
             "<iq type='get' id='h%d' from='z@test/r' to='" DOMAIN "'>"
             "<stats xmlns='https://orbweb.dev/ns/xmuc/0'/></iq>",
             i);
    clock_ms += 1000; /* the next summary waits for its 10 s */
    xm_service_tick(s);
    fprintf(stderr, "-- 1 s --\n");
    clock_ms += 9000;
    xm_service_tick(s);
}

Test(room, a_refusal_flood_is_summarized_in_the_log)
{
    xm_service *s = service(NULL);
    const struct xm_refusals *rf = xm_service_refusals(s);
    char *log = logged_during(flood_refusals, s);
    char summary[128];

    cr_expect_eq(xm_refusals_count(rf, "forbidden"), 1101, "all counted");
    snprintf(summary, sizeof summary, "suppressed %d refusal log lines",
             1000 - XM_REFUSAL_LOG_BURST);
    cr_expect_eq(lines_with(log, " refused x@test/r"), XM_REFUSAL_LOG_BURST,
                 "%s", log);
    cr_expect(strstr(log, summary), "%s", log);
    cr_expect(strstr(log, " refused y@test/r"), "%s", log);
    cr_expect_eq(lines_with(strstr(log, "-- 1 s --"), "suppressed"), 1, "%s",
                 log);
    cr_expect(
        strstr(strstr(log, "-- 1 s --"), "suppressed 100 refusal log lines"),
        "%s", log);
    cr_expect_eq(lines_with(log, "suppressed"), 2, "%s", log);
    cr_expect_eq(xm_refusals_suppressed(rf), 1000 - XM_REFUSAL_LOG_BURST + 100);
    xm_service_free(s);
}
