/* gc_sig.c -- authenticated groupcast: Ed25519 signatures over injected
 * groupcasts and membership tokens, through OpenSSL's EVP interface.
 *
 * What is signed is built into one bounded buffer: a domain separation
 * prefix (so a groupcast signature can never pass for a token's or the
 * other way round), then the fields, NUL-separated strings (none may
 * contain a NUL) and big-endian integers.  The body enters as its
 * SHA-256, so the signed bytes stay small whatever its size.  The token
 * decoder treats its input as hostile: fixed-size fields, a length that
 * must fit, no trailing bytes. */
#include <openssl/evp.h>
#include <string.h>

#include "gc_sig.h"

struct gc_sig_key {
    EVP_PKEY *pkey;
    int priv; /* holds the private half */
};

#define MSG_PREFIX "orbweb gc1"
#define TOKEN_PREFIX "orbweb token1"
#define TBS_MAX (16u + GC_SIG_JID_MAX + 1u + 8u + GC_SIG_JID_MAX + 1u + 32u)

/* ---- keys ---- */

static int key_wrap(EVP_PKEY *p, int priv, gc_sig_key **out)
{
    gc_sig_key *k;

    if (!p)
        return GC_ENOMEM;
    if (!(k = OPENSSL_zalloc(sizeof *k))) {
        EVP_PKEY_free(p);
        return GC_ENOMEM;
    }
    k->pkey = p;
    k->priv = priv;
    *out = k;
    return GC_OK;
}

int gc_sig_key_generate(gc_sig_key **out)
{
    if (!out)
        return GC_EINVAL;
    return key_wrap(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 1, out);
}

int gc_sig_key_from_public(const uint8_t pub[GC_SIG_KEY_LEN], gc_sig_key **out)
{
    if (!pub || !out)
        return GC_EINVAL;
    return key_wrap(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
                                                GC_SIG_KEY_LEN),
                    0, out);
}

int gc_sig_key_public(const gc_sig_key *k, uint8_t pub[GC_SIG_KEY_LEN])
{
    size_t n = GC_SIG_KEY_LEN;

    if (!k || !pub || EVP_PKEY_get_raw_public_key(k->pkey, pub, &n) != 1 ||
        n != GC_SIG_KEY_LEN)
        return GC_EINVAL;
    return GC_OK;
}

int gc_sig_key_private(const gc_sig_key *k, uint8_t seed[GC_SIG_KEY_LEN])
{
    size_t n = GC_SIG_KEY_LEN;

    if (!k || !seed || !k->priv ||
        EVP_PKEY_get_raw_private_key(k->pkey, seed, &n) != 1 ||
        n != GC_SIG_KEY_LEN)
        return GC_EINVAL;
    return GC_OK;
}

int gc_sig_key_from_private(const uint8_t seed[GC_SIG_KEY_LEN],
                            gc_sig_key **out)
{
    if (!seed || !out)
        return GC_EINVAL;
    return key_wrap(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                                 GC_SIG_KEY_LEN),
                    1, out);
}

void gc_sig_key_free(gc_sig_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    OPENSSL_free(k);
}

/* ---- what is signed ---- */

struct tbs {
    uint8_t b[TBS_MAX];
    size_t n;
    int err;
};

static void put(struct tbs *t, const void *p, size_t n)
{
    if (t->err || n > sizeof t->b - t->n) {
        t->err = GC_EINVAL;
        return;
    }
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

/* A string and its NUL; refused when longer than max or holding a NUL. */
static void put_str(struct tbs *t, const char *s, size_t len, size_t max)
{
    if (!s || !len || len > max || memchr(s, 0, len)) {
        t->err = GC_EINVAL;
        return;
    }
    put(t, s, len);
    put(t, "", 1);
}

static void put_u64(struct tbs *t, uint64_t v)
{
    uint8_t b[8];

    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    put(t, b, sizeof b);
}

static int msg_tbs(const gc_sig_msg *m, struct tbs *t)
{
    uint8_t h[32];
    unsigned hl = 0;

    if (!m || !m->seq || (m->len && !m->body) || !m->room || !m->origin)
        return GC_EINVAL;
    t->n = 0;
    t->err = 0;
    put(t, MSG_PREFIX, sizeof MSG_PREFIX);
    put_str(t, m->room, strlen(m->room), GC_SIG_JID_MAX);
    put_u64(t, m->seq);
    put_str(t, m->origin, strlen(m->origin), GC_SIG_NICK_MAX);
    if (EVP_Digest(m->len ? m->body : (const uint8_t *)"", m->len, h, &hl,
                   EVP_sha256(), NULL) != 1)
        return GC_ENOMEM;
    put(t, h, hl);
    return t->err;
}

static int token_tbs(const char *room, const char *jid, size_t jid_len,
                     uint64_t expiry, struct tbs *t)
{
    if (!room)
        return GC_EINVAL;
    t->n = 0;
    t->err = 0;
    put(t, TOKEN_PREFIX, sizeof TOKEN_PREFIX);
    put_str(t, room, strlen(room), GC_SIG_JID_MAX);
    put_str(t, jid, jid_len, GC_SIG_JID_MAX);
    put_u64(t, expiry);
    return t->err;
}

/* ---- Ed25519 ---- */

static int sign(const gc_sig_key *k, const struct tbs *t,
                uint8_t sig[GC_SIG_LEN])
{
    EVP_MD_CTX *md;
    size_t n = GC_SIG_LEN;
    int ok;

    if (!k || !k->priv || !sig)
        return GC_EINVAL;
    if (!(md = EVP_MD_CTX_new()))
        return GC_ENOMEM;
    ok = EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
         EVP_DigestSign(md, sig, &n, t->b, t->n) == 1 && n == GC_SIG_LEN;
    EVP_MD_CTX_free(md);
    return ok ? GC_OK : GC_ENOMEM;
}

static int verify(const gc_sig_key *k, const struct tbs *t,
                  const uint8_t sig[GC_SIG_LEN])
{
    EVP_MD_CTX *md;
    int ok;

    if (!k || !sig)
        return GC_EINVAL;
    if (!(md = EVP_MD_CTX_new()))
        return GC_ENOMEM;
    /* Init fails with a valid key only for want of memory; a signature
     * that does not verify (0) or is malformed (< 0) is refused */
    ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) != 1
             ? -1
             : EVP_DigestVerify(md, sig, GC_SIG_LEN, t->b, t->n) == 1;
    EVP_MD_CTX_free(md);
    return ok < 0 ? GC_ENOMEM : ok ? GC_OK : GC_EAUTH;
}

int gc_sig_msg_sign(const gc_sig_key *k, const gc_sig_msg *m,
                    uint8_t sig[GC_SIG_LEN])
{
    struct tbs t;
    int rc = msg_tbs(m, &t);

    return rc ? rc : sign(k, &t, sig);
}

int gc_sig_msg_verify(const gc_sig_key *k, const gc_sig_msg *m,
                      const uint8_t sig[GC_SIG_LEN])
{
    struct tbs t;
    int rc = msg_tbs(m, &t);

    /* what cannot have been signed does not verify */
    return rc == GC_EINVAL ? GC_EAUTH : rc ? rc : verify(k, &t, sig);
}

/* ---- tokens ---- */

int gc_sig_token_issue(const gc_sig_key *k, const char *room, const char *jid,
                       uint64_t expiry, uint8_t *out, size_t cap, size_t *len)
{
    size_t jl = jid ? strlen(jid) : 0, n = 1 + 8 + 2 + jl + GC_SIG_LEN;
    struct tbs t;
    int rc;

    if (!out || !len)
        return GC_EINVAL;
    if ((rc = token_tbs(room, jid, jl, expiry, &t)))
        return rc;
    if (cap < n)
        return GC_ESPACE;
    out[0] = 1;
    for (int i = 8; i >= 1; i--, expiry >>= 8)
        out[i] = (uint8_t)expiry;
    out[9] = (uint8_t)(jl >> 8);
    out[10] = (uint8_t)jl;
    memcpy(out + 11, jid, jl);
    if ((rc = sign(k, &t, out + 11 + jl)))
        return rc;
    *len = n;
    return GC_OK;
}

int gc_sig_token_decode(const uint8_t *buf, size_t len, gc_sig_token *t)
{
    size_t jl;

    if ((!buf && len) || !t)
        return GC_EINVAL;
    if (len < 11 || buf[0] != 1)
        return GC_EDECODE;
    jl = (size_t)buf[9] << 8 | buf[10];
    if (!jl || jl > GC_SIG_JID_MAX || len != 11 + jl + GC_SIG_LEN ||
        memchr(buf + 11, 0, jl))
        return GC_EDECODE;
    t->expiry = 0;
    for (int i = 1; i <= 8; i++)
        t->expiry = t->expiry << 8 | buf[i];
    t->jid = (const char *)buf + 11;
    t->jid_len = jl;
    t->sig = buf + 11 + jl;
    return GC_OK;
}

int gc_sig_token_verify(const gc_sig_key *k, const char *room, const char *jid,
                        uint64_t now, const uint8_t *buf, size_t len,
                        uint64_t *expiry)
{
    gc_sig_token tok;
    struct tbs t;
    int rc;

    if (!jid)
        return GC_EINVAL;
    if ((rc = gc_sig_token_decode(buf, len, &tok)))
        return rc;
    if (tok.expiry <= now || tok.jid_len != strlen(jid) ||
        memcmp(tok.jid, jid, tok.jid_len))
        return GC_EAUTH;
    if ((rc = token_tbs(room, tok.jid, tok.jid_len, tok.expiry, &t)) ||
        (rc = verify(k, &t, tok.sig)))
        return rc == GC_EINVAL ? GC_EAUTH : rc;
    if (expiry)
        *expiry = tok.expiry;
    return GC_OK;
}
