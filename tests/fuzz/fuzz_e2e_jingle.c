/* fuzz_e2e_jingle.c -- libFuzzer harness for Jingle: every stanza of the
 * input goes through the parser (and, when it parses, through the builder
 * and the parser again, which must give the same message back) and into a
 * session table whose owner connects half the sessions it is asked to, ends
 * the others, and lets time run so negotiations expire. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_jingle.h"
#include "stanzas.h"

#define FPR                                                                    \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

struct owner {
    uint64_t now;
    unsigned n_stanzas;
    char peer[E2E_JINGLE_JID_MAX + 1], sid[E2E_JINGLE_SID_MAX + 1];
    bool todo; /* a DO_CONNECT to answer after handle() returns */
};

static void drop(void *ud, xmpp_stanza_t *st)
{
    char *buf;
    size_t len;

    (void)ud;
    if (xmpp_stanza_to_text(st, &buf, &len) == 0)
        xmpp_free(fuzz_ctx(), buf);
}

static void act(void *ud, const struct e2e_jingle_event *ev)
{
    struct owner *o = ud;

    if (ev->what != E2E_JINGLE_DO_CONNECT)
        return;
    strcpy(o->peer, ev->peer);
    strcpy(o->sid, ev->sid);
    o->todo = true;
}

static bool known(void *ud, const char *peer)
{
    (void)ud;
    return strchr(peer, '@') != NULL;
}

static bool take(void *ud, const char *peer, uint64_t now)
{
    (void)peer;
    return ((struct owner *)ud)->n_stanzas % 5 != 4 || now % 2;
}

/* The builder writes what the parser read. */
static void round_trip(xmpp_stanza_t *st)
{
    struct e2e_jingle_msg m, back;
    xmpp_stanza_t *built;

    if (e2e_jingle_parse(st, &m) != 0 ||
        e2e_jingle_build(fuzz_ctx(), "to@x/r", "id", "me@x/r", &m, &built) != 0)
        return;
    if (e2e_jingle_parse(built, &back) != 0 || memcmp(&m, &back, sizeof m))
        abort();
    xmpp_stanza_release(built);
}

struct run {
    e2e_jingle *t;
    struct owner o;
};

static void feed(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    struct run *r = ud;
    static const struct e2e_jingle_candidate c = {"c1", "10.0.0.1", 5000, 1};
    char sid[E2E_JINGLE_SID_MAX + 1];

    (void)bytes;
    round_trip(st);
    r->o.now += 997;
    r->o.n_stanzas++;
    e2e_jingle_handle(r->t, st, r->o.now);
    if (r->o.todo && r->o.n_stanzas % 2)
        e2e_jingle_connected(r->t, r->o.peer, r->o.sid, r->o.now);
    else if (r->o.todo)
        e2e_jingle_end(r->t, r->o.peer, r->o.sid,
                       E2E_JINGLE_CONNECTIVITY_ERROR);
    r->o.todo = false;
    if (r->o.n_stanzas % 3 == 0) {
        const char *from = xmpp_stanza_get_from(st);
        if (from && strlen(from) <= E2E_JINGLE_JID_MAX)
            e2e_jingle_initiate(r->t, from, &c, 1, r->o.now, sid);
    }
    e2e_jingle_tick(r->t, r->o.now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run r = {0};
    struct e2e_jingle_params p = {.jid = "me@x/r",
                                  .fingerprint = FPR,
                                  .max_sessions = 8,
                                  .max_pending = 4,
                                  .timeout_ms = 5000,
                                  .seed = 7};
    struct e2e_jingle_io io = {fuzz_ctx(), drop, act, known, take, &r.o};

    if (e2e_jingle_new(&p, &io, &r.t) != 0)
        return 0;
    fuzz_stanzas(data, size, feed, &r);
    e2e_jingle_free(r.t);
    return 0;
}
