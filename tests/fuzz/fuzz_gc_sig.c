/* fuzz_gc_sig.c -- libFuzzer harness for authenticated groupcast's
 * formats: the first byte picks the membership token decoder (then a
 * verification against a fixed key), or the signed message record (the
 * wire decoder, canonical re-encoding, then the signature check over the
 * payload's nick and body, as liborbweb does).  Nothing random may
 * verify, and nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOM "grid@rooms.example.org"

static gc_sig_key *fixed_key(void)
{
    static const uint8_t pub[GC_SIG_KEY_LEN] = {
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
        0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
        0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
    static gc_sig_key *k;

    if (!k && gc_sig_key_from_public(pub, &k))
        abort();
    return k;
}

static void token(const uint8_t *data, size_t size)
{
    gc_sig_token t;
    char jid[GC_SIG_JID_MAX + 1];

    if (gc_sig_token_decode(data, size, &t))
        return;
    if (t.jid_len > GC_SIG_JID_MAX ||
        t.sig != (const uint8_t *)t.jid + t.jid_len ||
        t.sig + GC_SIG_LEN != data + size)
        abort(); /* the decoder's bounds */
    memcpy(jid, t.jid, t.jid_len);
    jid[t.jid_len] = 0;
    if (gc_sig_token_verify(fixed_key(), ROOM, jid, 0, data, size, NULL) ==
        GC_OK)
        abort(); /* nobody holds the private half */
}

static void record(const uint8_t *data, size_t size)
{
    static uint8_t out[GC_WIRE_MAX];
    char nick[GC_SIG_NICK_MAX + 1];
    const uint8_t *z;
    gc_record r;
    size_t len;

    if (gc_wire_decode(data, size, &r, NULL))
        return;
    if (gc_wire_encode(&r, out, sizeof out, &len) || len != size ||
        memcmp(out, data, size))
        abort();
    if (r.kind != GC_MSG || !r.msg.sig ||
        !(z = memchr(r.msg.payload, 0, r.msg.len)) ||
        (size_t)(z - r.msg.payload) > GC_SIG_NICK_MAX)
        return;
    memcpy(nick, r.msg.payload, (size_t)(z - r.msg.payload));
    nick[z - r.msg.payload] = 0;
    gc_sig_msg m = {ROOM, r.msg.seq, nick, z + 1,
                    r.msg.len - (size_t)(z - r.msg.payload) - 1};
    if (gc_sig_msg_verify(fixed_key(), &m, r.msg.sig) == GC_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (data[0] & 1)
        token(data + 1, size - 1);
    else
        record(data + 1, size - 1);
    return 0;
}
