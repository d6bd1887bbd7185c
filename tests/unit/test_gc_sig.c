/* test_gc_sig.c -- authenticated groupcast's signatures and tokens: what
 * verifies, and every tampered field (signature, room, seq, origin,
 * body; token jid, room, expiry, key) that must not; malformed tokens. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "gc_sig.h"

#define ROOM "grid@rooms.example.org"
#define JID "alice@example.org/orbweb"

static gc_sig_key *room_key, *room_pub, *other_key;

static void setup(void)
{
    uint8_t pub[GC_SIG_KEY_LEN];

    cr_assert_eq(gc_sig_key_generate(&room_key), GC_OK);
    cr_assert_eq(gc_sig_key_generate(&other_key), GC_OK);
    cr_assert_eq(gc_sig_key_public(room_key, pub), GC_OK);
    cr_assert_eq(gc_sig_key_from_public(pub, &room_pub), GC_OK);
}

static void teardown(void)
{
    gc_sig_key_free(room_key);
    gc_sig_key_free(room_pub);
    gc_sig_key_free(other_key);
}

TestSuite(gc_sig, .init = setup, .fini = teardown, .timeout = 300);

static const uint8_t body[] = "hello, grid";

static gc_sig_msg msg(void)
{
    return (gc_sig_msg){ROOM, 42, "alice", body, sizeof body - 1};
}

Test(gc_sig, message_verifies_and_every_tampering_fails)
{
    uint8_t sig[GC_SIG_LEN], bad[GC_SIG_LEN];
    gc_sig_msg m = msg();

    cr_assert_eq(gc_sig_msg_sign(room_key, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_key, &m, sig), GC_OK);
    for (unsigned i = 0; i < GC_SIG_LEN; i += 9) {
        memcpy(bad, sig, sizeof bad);
        bad[i] ^= 0x01;
        cr_assert_eq(gc_sig_msg_verify(room_pub, &m, bad), GC_EAUTH, "%u", i);
    }
    m.room = "other@rooms.example.org";
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    m = msg();
    m.seq = 43;
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    m = msg();
    m.origin = "mallory";
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    m = msg();
    m.body = (const uint8_t *)"hello, grie";
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    m = msg();
    m.len--;
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    m = msg();
    cr_assert_eq(gc_sig_msg_verify(other_key, &m, sig), GC_EAUTH);
}

/* Keys keep their contexts: a refusal leaves the key working, and one
 * key signs and verifies many in a row. */
Test(gc_sig, keys_are_reused_after_a_refusal)
{
    uint8_t sig[GC_SIG_LEN], bad[GC_SIG_LEN] = {0};
    gc_sig_msg m = msg();

    for (uint64_t q = 1; q <= 20; q++) {
        m.seq = q;
        cr_assert_eq(gc_sig_msg_sign(room_key, &m, sig), GC_OK);
        cr_assert_eq(gc_sig_msg_verify(room_pub, &m, bad), GC_EAUTH);
        cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_OK, "%llu",
                     (unsigned long long)q);
        m.seq = q + 1;
        cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    }
}

/* A signature made by another key (a member forging with its own key). */
Test(gc_sig, another_key_does_not_pass)
{
    uint8_t sig[GC_SIG_LEN];
    gc_sig_msg m = msg();

    cr_assert_eq(gc_sig_msg_sign(other_key, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
}

/* xmucd keeps a room's key across restarts as its seed: the key made
 * again signs what the old public key verifies; a public key has none. */
Test(gc_sig, a_key_comes_back_from_its_seed)
{
    uint8_t seed[GC_SIG_KEY_LEN], sig[GC_SIG_LEN];
    gc_sig_msg m = msg();
    gc_sig_key *back;

    cr_assert_eq(gc_sig_key_private(room_key, seed), GC_OK);
    cr_assert_eq(gc_sig_key_private(room_pub, seed), GC_EINVAL);
    cr_assert_eq(gc_sig_key_from_private(seed, &back), GC_OK);
    cr_assert_eq(gc_sig_msg_sign(back, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_OK);
    seed[0] ^= 1;
    gc_sig_key_free(back);
    cr_assert_eq(gc_sig_key_from_private(seed, &back), GC_OK);
    cr_assert_eq(gc_sig_msg_sign(back, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_EAUTH);
    gc_sig_key_free(back);
}

Test(gc_sig, public_key_cannot_sign_and_bad_input_is_refused)
{
    uint8_t sig[GC_SIG_LEN];
    gc_sig_msg m = msg();

    cr_assert_eq(gc_sig_msg_sign(room_pub, &m, sig), GC_EINVAL);
    m.seq = 0;
    cr_assert_eq(gc_sig_msg_sign(room_key, &m, sig), GC_EINVAL);
    m = msg();
    m.origin = "";
    cr_assert_eq(gc_sig_msg_sign(room_key, &m, sig), GC_EINVAL);
    m = msg();
    m.body = NULL;
    m.len = 0; /* an empty body is a body */
    cr_assert_eq(gc_sig_msg_sign(room_key, &m, sig), GC_OK);
    cr_assert_eq(gc_sig_msg_verify(room_pub, &m, sig), GC_OK);
}

Test(gc_sig, token_verifies_for_its_jid_room_and_time_only)
{
    uint8_t tok[GC_SIG_TOKEN_MAX];
    uint64_t exp = 0;
    size_t len;

    cr_assert_eq(
        gc_sig_token_issue(room_key, ROOM, JID, 1000, tok, sizeof tok, &len),
        GC_OK);
    cr_assert_eq(len, 1 + 8 + 2 + strlen(JID) + GC_SIG_LEN);
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, JID, 999, tok, len, &exp),
                 GC_OK);
    cr_assert_eq(exp, 1000);
    /* expired */
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, JID, 1000, tok, len, NULL),
                 GC_EAUTH);
    /* someone else presenting it, or a prefix of the JID */
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, "mallory@example.org/x",
                                     999, tok, len, NULL),
                 GC_EAUTH);
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, "alice@example.org", 999,
                                     tok, len, NULL),
                 GC_EAUTH);
    /* another room, another key */
    cr_assert_eq(gc_sig_token_verify(room_pub, "other@rooms.example.org", JID,
                                     999, tok, len, NULL),
                 GC_EAUTH);
    cr_assert_eq(gc_sig_token_verify(other_key, ROOM, JID, 999, tok, len, NULL),
                 GC_EAUTH);
    /* an expiry pushed later, a signature bit flipped */
    tok[8] ^= 0x10;
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, JID, 999, tok, len, NULL),
                 GC_EAUTH);
    tok[8] ^= 0x10;
    tok[len - 1] ^= 0x01;
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, JID, 999, tok, len, NULL),
                 GC_EAUTH);
}

/* A token for a JID of another length cannot be re-labelled: the jid
 * is inside what is signed. */
Test(gc_sig, token_jid_cannot_be_rewritten)
{
    uint8_t tok[GC_SIG_TOKEN_MAX];
    size_t len;

    cr_assert_eq(gc_sig_token_issue(room_key, ROOM, "bob@example.org/a", 1000,
                                    tok, sizeof tok, &len),
                 GC_OK);
    tok[11] = 'c'; /* "cob@..." */
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, "cob@example.org/a", 1,
                                     tok, len, NULL),
                 GC_EAUTH);
}

Test(gc_sig, malformed_tokens_do_not_decode)
{
    uint8_t tok[GC_SIG_TOKEN_MAX];
    gc_sig_token t;
    size_t len;

    cr_assert_eq(
        gc_sig_token_issue(room_key, ROOM, JID, 1000, tok, sizeof tok, &len),
        GC_OK);
    cr_assert_eq(gc_sig_token_decode(tok, len, &t), GC_OK);
    cr_assert_eq(t.jid_len, strlen(JID));
    cr_assert_eq(memcmp(t.jid, JID, t.jid_len), 0);
    for (size_t cut = 0; cut < len; cut++)
        cr_assert_eq(gc_sig_token_decode(tok, cut, &t), GC_EDECODE, "%zu", cut);
    cr_assert_eq(gc_sig_token_decode(tok, len + 1, &t), GC_EDECODE);
    tok[0] = 2; /* unknown version */
    cr_assert_eq(gc_sig_token_decode(tok, len, &t), GC_EDECODE);
    cr_assert_eq(gc_sig_token_verify(room_pub, ROOM, JID, 1, tok, len, NULL),
                 GC_EDECODE);
    tok[0] = 1;
    tok[12] = 0; /* a NUL inside the JID */
    cr_assert_eq(gc_sig_token_decode(tok, len, &t), GC_EDECODE);
    cr_assert_eq(gc_sig_token_issue(room_key, ROOM, JID, 1000, tok, 20, &len),
                 GC_ESPACE);
    cr_assert_eq(
        gc_sig_token_issue(room_key, ROOM, "", 1000, tok, sizeof tok, &len),
        GC_EINVAL);
}
