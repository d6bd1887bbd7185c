/* gc_sig.h -- authenticated groupcast (prefix gc_sig_): the room's
 * Ed25519 signature over each groupcast xmucd injects, and the membership
 * tokens xmucd hands its occupants.  One module that both sides use:
 * xmucd signs and issues, liborbweb verifies.
 *
 * Pure functions over OpenSSL's EVP interface: no clock (callers pass
 * `now`), no I/O, no global state.  Keys are opaque (an EVP_PKEY each,
 * made once and reused, so a verification does not parse a key).
 *
 *  - A groupcast's signature covers the room's bare JID, its sequence
 *    number, the origin's nick and the SHA-256 of its body, with a domain
 *    separation prefix ("orbweb gc1"); 64 bytes.
 *  - A token is `1 expiry[8] jidlen[2] jid[jidlen] sig[64]` (big endian):
 *    the room signs ("orbweb token1", room, jid, expiry).  The room is
 *    not carried: the verifier knows which room it asked about.
 *
 * Results: 0, or a negative enum gc_result (gc.h): GC_EAUTH when a
 * signature or token does not verify, has expired or names someone else,
 * GC_EDECODE for a malformed token, GC_EINVAL, GC_ENOMEM (OpenSSL could
 * not allocate: nothing was decided, try again). */
#ifndef SRC_GC_GC_SIG_H
#define SRC_GC_GC_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_SIG_KEY_LEN 32u   /* an Ed25519 public key */
#define GC_SIG_JID_MAX 3071u /* bytes of a JID (RFC 7622) */
#define GC_SIG_NICK_MAX 1023u
#define GC_SIG_TOKEN_MAX (1u + 8u + 2u + GC_SIG_JID_MAX + GC_SIG_LEN)

typedef struct gc_sig_key gc_sig_key;

/* A new key pair (xmucd: one per room).  *out set only on GC_OK. */
int gc_sig_key_generate(gc_sig_key **out);
/* A verifying key from the 32 raw bytes of a public key. */
int gc_sig_key_from_public(const uint8_t pub[GC_SIG_KEY_LEN], gc_sig_key **out);
/* The public half's 32 raw bytes. */
int gc_sig_key_public(const gc_sig_key *k, uint8_t pub[GC_SIG_KEY_LEN]);
/* The private half's 32 raw bytes (the Ed25519 seed: xmucd keeps a
 * room's key across restarts), GC_EINVAL for a public-only key, and the
 * signing key they make again. */
int gc_sig_key_private(const gc_sig_key *k, uint8_t seed[GC_SIG_KEY_LEN]);
int gc_sig_key_from_private(const uint8_t seed[GC_SIG_KEY_LEN],
                            gc_sig_key **out);
/* NULL is accepted. */
void gc_sig_key_free(gc_sig_key *k);

/* What a groupcast's signature covers.  body is the groupcast's body
 * (not the engine payload "nick\0body"). */
typedef struct gc_sig_msg {
    const char *room;   /* bare JID, at most GC_SIG_JID_MAX bytes */
    uint64_t seq;       /* the room's sequence number, >= 1 */
    const char *origin; /* the sender's nick, 1..GC_SIG_NICK_MAX bytes */
    const uint8_t *body;
    size_t len;
} gc_sig_msg;

/* Signs m with a private key (GC_EINVAL for a public-only key). */
int gc_sig_msg_sign(const gc_sig_key *k, const gc_sig_msg *m,
                    uint8_t sig[GC_SIG_LEN]);
/* GC_OK when sig is the room's signature over m, else GC_EAUTH. */
int gc_sig_msg_verify(const gc_sig_key *k, const gc_sig_msg *m,
                      const uint8_t sig[GC_SIG_LEN]);

/* A token's fields, pointing into the bytes it was decoded from. */
typedef struct gc_sig_token {
    uint64_t expiry; /* seconds since the epoch */
    const char *jid; /* not NUL-terminated */
    size_t jid_len;
    const uint8_t *sig;
} gc_sig_token;

/* Issues a token for jid in room, valid until `expiry` (seconds), into
 * out[0..cap) (GC_SIG_TOKEN_MAX always suffices); sets *len. */
int gc_sig_token_issue(const gc_sig_key *k, const char *room, const char *jid,
                       uint64_t expiry, uint8_t *out, size_t cap, size_t *len);
/* Parses a token (no signature check): GC_EDECODE when malformed,
 * truncated, or with trailing bytes. */
int gc_sig_token_decode(const uint8_t *buf, size_t len, gc_sig_token *t);
/* GC_OK when buf is a token the room's key signed for exactly `jid`,
 * not expired at `now` (seconds); *expiry (may be NULL) is then set.
 * GC_EDECODE when malformed, GC_EAUTH otherwise. */
int gc_sig_token_verify(const gc_sig_key *k, const char *room, const char *jid,
                        uint64_t now, const uint8_t *buf, size_t len,
                        uint64_t *expiry);

#ifdef __cplusplus
}
#endif

#endif
