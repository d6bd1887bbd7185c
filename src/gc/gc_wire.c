/* gc_wire.c -- the groupcast wire records, encoded and decoded.
 *
 * A record is a kind byte followed by unsigned LEB128 integers:
 *   message:  1 flags origin seq len payload[len] [sig[64]]
 *             (the signature is there iff flags has GC_FLAG_SIGNED)
 *   digest:   2 round norigins { origin next nranges { lo span } }
 *             (hi = lo + span)
 *   solicit:  3 (as digest)
 * Digest and solicit share one layout and one codec.  The decoder treats
 * its input as hostile: every count is checked against the wire limits
 * of gc.h before use, integers are at most ten bytes, minimal (so the
 * encoding is canonical) and must fit their field, ranges must not wrap,
 * and trailing bytes are an error. */
#include <string.h>

#include "gc.h"

struct wbuf {
    uint8_t *p;
    size_t cap, len;
    int err;
};

struct rbuf {
    const uint8_t *p;
    size_t len, off;
    int err;
};

const char *gc_strerror(int code)
{
    switch (code) {
    case GC_OK: return "success";
    case GC_ENOMEM: return "out of memory";
    case GC_EINVAL: return "invalid argument";
    case GC_ENOENT: return "unknown neighbour";
    case GC_EDECODE: return "malformed record";
    case GC_ELIMIT: return "limit exceeded";
    case GC_EBUSY: return "called from the engine's own callback";
    case GC_ESPACE: return "output buffer too small";
    case GC_EAUTH: return "not authentic (signature or token)";
    default: return "unknown error";
    }
}

static void put_byte(struct wbuf *w, uint8_t b)
{
    if (w->len == w->cap)
        w->err = GC_ESPACE;
    else
        w->p[w->len++] = b;
}

static void put_uint(struct wbuf *w, uint64_t v)
{
    while (v >= 0x80) {
        put_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(w, (uint8_t)v);
}

static void put_bytes(struct wbuf *w, const uint8_t *b, size_t n)
{
    if (w->cap - w->len < n) {
        w->err = GC_ESPACE;
        return;
    }
    if (n)
        memcpy(w->p + w->len, b, n);
    w->len += n;
}

static uint64_t get_uint(struct rbuf *r, uint64_t max)
{
    uint64_t v = 0;

    for (unsigned shift = 0; !r->err; shift += 7) {
        uint8_t b;

        if (r->off == r->len || shift > 63) {
            r->err = GC_EDECODE;
            break;
        }
        b = r->p[r->off];
        if ((shift == 63 && b > 1) || (shift && b == 0)) {
            r->err = GC_EDECODE;
            break;
        }
        r->off++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    if (!r->err && v > max)
        r->err = GC_ELIMIT;
    return r->err ? 0 : v;
}

static int ranges_valid(const gc_ranges *g)
{
    uint32_t used = 0;

    if (g->norigins > GC_WIRE_ORIGINS_MAX || g->nranges > GC_WIRE_RANGES_MAX)
        return 0;
    for (uint32_t i = 0; i < g->norigins; i++) {
        const struct gc_origin_ranges *o = &g->origins[i];

        if (o->first != used || o->count > g->nranges - used)
            return 0;
        used += o->count;
    }
    for (uint32_t i = 0; i < g->nranges; i++)
        if (g->ranges[i].lo == 0 || g->ranges[i].hi < g->ranges[i].lo)
            return 0;
    return used == g->nranges;
}

static void put_ranges(struct wbuf *w, const gc_ranges *g)
{
    put_uint(w, g->round);
    put_uint(w, g->norigins);
    for (uint32_t i = 0; i < g->norigins; i++) {
        const struct gc_origin_ranges *o = &g->origins[i];

        put_uint(w, o->origin);
        put_uint(w, o->next);
        put_uint(w, o->count);
        for (uint32_t j = o->first; j < o->first + o->count; j++) {
            put_uint(w, g->ranges[j].lo);
            put_uint(w, g->ranges[j].hi - g->ranges[j].lo);
        }
    }
}

int gc_wire_encode(const gc_record *r, uint8_t *out, size_t cap, size_t *len)
{
    struct wbuf w = {out, cap, 0, 0};

    if (!r || (!out && cap) || !len)
        return GC_EINVAL;
    if (r->kind == GC_MSG) {
        if (r->msg.len > GC_PAYLOAD_MAX || r->msg.seq == 0 ||
            (r->msg.len && !r->msg.payload))
            return GC_EINVAL;
        uint8_t flags = (uint8_t)(r->msg.flags & ~GC_FLAG_SIGNED);

        put_byte(&w, GC_MSG);
        put_uint(&w, r->msg.sig ? flags | GC_FLAG_SIGNED : flags);
        put_uint(&w, r->msg.origin);
        put_uint(&w, r->msg.seq);
        put_uint(&w, r->msg.len);
        put_bytes(&w, r->msg.payload, r->msg.len);
        if (r->msg.sig)
            put_bytes(&w, r->msg.sig, GC_SIG_LEN);
    } else if (r->kind == GC_DIGEST || r->kind == GC_SOLICIT) {
        if (!ranges_valid(&r->ranges))
            return GC_EINVAL;
        put_byte(&w, (uint8_t)r->kind);
        put_ranges(&w, &r->ranges);
    } else {
        return GC_EINVAL;
    }
    if (w.err)
        return w.err;
    *len = w.len;
    return GC_OK;
}

static void get_range(struct rbuf *r, gc_range *out)
{
    uint64_t lo = get_uint(r, UINT64_MAX);
    uint64_t span = get_uint(r, UINT64_MAX);

    if (!r->err && (lo == 0 || span > UINT64_MAX - lo))
        r->err = GC_EDECODE;
    out->lo = lo;
    out->hi = lo + (r->err ? 0 : span);
}

static void get_ranges(struct rbuf *r, gc_ranges *g)
{
    g->round = (uint32_t)get_uint(r, UINT32_MAX);
    g->norigins = (uint32_t)get_uint(r, GC_WIRE_ORIGINS_MAX);
    g->nranges = 0;
    for (uint32_t i = 0; i < g->norigins && !r->err; i++) {
        struct gc_origin_ranges *o = &g->origins[i];

        o->origin = (uint32_t)get_uint(r, UINT32_MAX);
        o->next = get_uint(r, UINT64_MAX);
        o->count = (uint32_t)get_uint(r, GC_WIRE_RANGES_MAX - g->nranges);
        o->first = g->nranges;
        for (uint32_t j = 0; j < o->count && !r->err; j++)
            get_range(r, &g->ranges[g->nranges++]);
    }
}

static void get_msg(struct rbuf *r, gc_msg *m)
{
    m->flags = (uint8_t)get_uint(r, 0xff);
    m->origin = (uint32_t)get_uint(r, UINT32_MAX);
    m->seq = get_uint(r, UINT64_MAX);
    m->len = (size_t)get_uint(r, GC_PAYLOAD_MAX);
    if (r->err)
        return;
    if (m->seq == 0 || m->len > r->len - r->off) {
        r->err = GC_EDECODE;
        return;
    }
    m->payload = r->p + r->off;
    r->off += m->len;
    if (!(m->flags & GC_FLAG_SIGNED))
        return;
    if (r->len - r->off < GC_SIG_LEN) {
        r->err = GC_EDECODE;
        return;
    }
    m->sig = r->p + r->off;
    r->off += GC_SIG_LEN;
}

int gc_wire_decode(const uint8_t *buf, size_t len, gc_record *out,
                   size_t *offset)
{
    struct rbuf r = {buf, len, 0, 0};
    uint64_t kind;

    if ((!buf && len) || !out)
        return GC_EINVAL;
    memset(&out->msg, 0, sizeof out->msg);
    kind = get_uint(&r, GC_SOLICIT);
    if (!r.err && kind == GC_MSG)
        get_msg(&r, &out->msg);
    else if (!r.err && (kind == GC_DIGEST || kind == GC_SOLICIT))
        get_ranges(&r, &out->ranges);
    else if (!r.err)
        r.err = GC_EDECODE;
    if (!r.err && r.off != len)
        r.err = GC_EDECODE;
    out->kind = (enum gc_kind)kind;
    if (offset)
        *offset = r.off;
    return r.err;
}
