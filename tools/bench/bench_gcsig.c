/* bench_gcsig.c -- orbweb bench gcsig: what authenticated groupcast
 * costs per groupcast (gc_sig.h), on this machine.
 *
 * xmucd signs each injected groupcast once; every member verifies each
 * groupcast once (copies are dropped before verification); a peer
 * verifies a member's token once per token (cached).  The figures: time
 * per signature, per verification of a groupcast of PAYLOAD bytes, per
 * token issued and verified, each the median of 5 rounds of --seconds /
 * 5, and the verifications one core makes per second.  Times are this
 * thread's CPU time, not wall time (the machine is shared: a loaded one
 * would inflate wall time several times over), as `openssl speed`
 * counts by default: its ed25519 line is the anchor (the bare
 * operation, with no room, nick or hashing around it). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "gc_sig.h"

#define PAYLOAD 256
#define ROUNDS 5
#define ROOM "grid@rooms.example.org"
#define JID "peer17@example.org/orbweb-4f2a"

struct ctx {
    gc_sig_key *key, *pub;
    gc_sig_msg m;
    uint8_t sig[GC_SIG_LEN], tok[GC_SIG_TOKEN_MAX];
    size_t tok_len;
    uint64_t seq;
};

static int do_sign(struct ctx *c)
{
    c->m.seq = ++c->seq;
    return gc_sig_msg_sign(c->key, &c->m, c->sig);
}

static int do_verify(struct ctx *c)
{
    return gc_sig_msg_verify(c->pub, &c->m, c->sig);
}

static int do_issue(struct ctx *c)
{
    return gc_sig_token_issue(c->key, ROOM, JID, 2000000000, c->tok,
                              sizeof c->tok, &c->tok_len);
}

static int do_token(struct ctx *c)
{
    return gc_sig_token_verify(c->pub, ROOM, JID, 1, c->tok, c->tok_len, NULL);
}

/* Median over ROUNDS of the CPU µs one call of fn takes; -1 when it
 * fails. */
static double time_us(struct ctx *c, int (*fn)(struct ctx *), double secs)
{
    double us[ROUNDS];

    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_thread_cpu_s(), t;
        long n = 0;

        do {
            for (int i = 0; i < 64; i++, n++)
                if (fn(c))
                    return -1;
            t = bench_thread_cpu_s() - t0;
        } while (t < secs / ROUNDS);
        us[r] = t * 1e6 / (double)n;
    }
    return bench_percentile(us, ROUNDS, 0.5);
}

static int setup(struct ctx *c, uint8_t *payload)
{
    uint8_t pub[GC_SIG_KEY_LEN];

    memset(payload, 'x', PAYLOAD);
    c->m = (gc_sig_msg){ROOM, 1, "master", payload, PAYLOAD};
    if (gc_sig_key_generate(&c->key) || gc_sig_key_public(c->key, pub) ||
        gc_sig_key_from_public(pub, &c->pub) || do_sign(c) || do_issue(c))
        return -1;
    return 0;
}

int bench_gcsig(int argc, char **argv)
{
    static uint8_t payload[PAYLOAD];
    struct ctx c = {0};
    double secs = 2.0, sign, verify, issue, token;
    int json = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            secs = atof(argv[++i]);
        else {
            printf("usage: orbweb bench gcsig [--json] [--seconds S]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (setup(&c, payload)) {
        fprintf(stderr, "bench gcsig: OpenSSL has no Ed25519 here\n");
        return 1;
    }
    sign = time_us(&c, do_sign, secs);
    verify = time_us(&c, do_verify, secs);
    issue = time_us(&c, do_issue, secs);
    token = time_us(&c, do_token, secs);
    gc_sig_key_free(c.key);
    gc_sig_key_free(c.pub);
    if (json)
        printf("{\"payload\":%d,\"sign_us\":%.2f,\"verify_us\":%.2f,"
               "\"token_issue_us\":%.2f,\"token_verify_us\":%.2f,"
               "\"verifies_per_s\":%.0f}\n",
               PAYLOAD, sign, verify, issue, token, 1e6 / verify);
    else {
        bench_print_machine(stdout);
        printf("groupcast of %d bytes: sign %.1f us (xmucd, once), verify "
               "%.1f us (each member, once): %.0f verifications/s per core "
               "(CPU time)\n"
               "membership token: issue %.1f us (xmucd, per join and "
               "renewal), verify %.1f us (once per sender and token)\n",
               PAYLOAD, sign, verify, 1e6 / verify, issue, token);
    }
    return sign < 0 || verify < 0 || issue < 0 || token < 0;
}
