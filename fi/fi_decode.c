/* fi_decode.c -- the incremental Fast Infoset decoder.
 *
 * The idea: the input is cut into *units*, each small enough to parse in
 * one go (a header, one namespace attribute, an element name, one
 * attribute, one character chunk, one vocabulary entry...).  A unit is
 * parsed in two phases: `parse` reads octets and may find that the input
 * ends too early (FI_MORE, with the number of octets it needs), and only
 * then `commit` changes tables and emits events.  So a unit that does not
 * fit in the input has no effect and is simply parsed again when more
 * octets arrive; octets of an incomplete unit are kept in d->in.  Since
 * every length is checked against the limits before we wait for it, the
 * kept octets are bounded too.
 *
 * The decoder is a state machine (enum state) over units; the element
 * stack holds the names needed for end_element. */
#include "config.h"

#include <stdlib.h>

#include "fi_internal.h"

enum state {
    ST_START,   /* optional XML declaration, then the identification */
    ST_ID,      /* E0 00 00 01 and the optional-components octet */
    ST_ADD_LEN, /* additional data: sequence length */
    ST_ADD_ITEM,
    ST_VOC_FLAGS, /* initial vocabulary: which tables are present */
    ST_VOC_EXT,
    ST_VOC_LEN,
    ST_VOC_ITEM,
    ST_NOTATION,
    ST_UNPARSED,
    ST_CES, /* character encoding scheme */
    ST_STANDALONE,
    ST_VERSION,
    ST_CONTENT,  /* children of the document or of an element */
    ST_NS,       /* namespace attributes of an element */
    ST_ELEMNAME, /* element name after namespace attributes */
    ST_ATTRS,    /* attributes of an element */
    ST_DTD,      /* children of a document type declaration */
    ST_DONE,
};

/* optional components of the header, in wire order */
#define C_ADDITIONAL 0x40
#define C_VOCAB 0x20
#define C_NOTATIONS 0x10
#define C_UNPARSED 0x08
#define C_CES 0x04
#define C_STANDALONE 0x02
#define C_VERSION 0x01

/* room: min(cap, max_table_entries), so a push tests one bound */
struct stab {
    struct fi_str *e;
    size_t n, cap, room;
};

struct ntab {
    struct fi_qname *e;
    size_t n, cap, room;
};

#define MAX_VOCABS 8

struct fi_decoder {
    struct fi_mem mem;
    struct fi_handler h;
    void *ud;
    unsigned flags;
    const fi_vocab *vocabs[MAX_VOCABS];
    size_t nvocabs;

    int err;
    uint64_t err_off;
    uint64_t base_off;  /* stream offset of the buffer being parsed */
    uint64_t cur;       /* offset of the unit being parsed */
    const uint8_t *buf; /* the buffer being parsed */
    int borrow;         /* buf is the caller's and the feed is the last:
                           strings may point into it instead of copies */
    struct fi_buf in;   /* octets of an incomplete unit */
    size_t need;        /* octets the incomplete unit needs */

    enum state state;
    unsigned comp;   /* optional components still to read */
    unsigned vflags; /* vocabulary tables still to read */
    int vtable;      /* vocabulary table being read */
    size_t vcount;   /* its entries still to read */

    struct stab st[FI_T_COUNT];
    struct ntab nt[2];       /* element, attribute names */
    struct fi_arena tarena;  /* table strings, until reset */
    struct fi_arena scratch; /* strings of the pending event */

    struct fi_nsdecl *ns;
    size_t nns, nscap;
    struct fi_attr *attrs;
    size_t nattrs, acap;
    int has_attrs;
    struct fi_qname name;

    struct fi_qname *stack;
    size_t depth, scap;
    int seen_root, in_dtd_end;

    struct fi_buf text; /* joined character chunks */
    struct fi_buf conv; /* converted strings */
};

/* for the few small functions of the hot path that gcc would not inline */
#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#endif

/* ---- reading ---- */

struct rd {
    const uint8_t *p, *s, *e;
    size_t need;
};

#define NEED(r, k)                                                             \
    do {                                                                       \
        if ((size_t)((r)->e - (r)->p) < (size_t)(k)) {                         \
            (r)->need = (size_t)((r)->p - (r)->s) + (size_t)(k);               \
            return FI_MORE;                                                    \
        }                                                                      \
    } while (0)

#define TRY(x)                                                                 \
    do {                                                                       \
        int try_r_ = (x);                                                      \
        if (try_r_)                                                            \
            return try_r_;                                                     \
    } while (0)

static INLINE int get8(struct rd *r, uint8_t *b)
{
    NEED(r, 1);
    *b = *r->p++;
    return FI_OK;
}

static int getn(struct rd *r, size_t n, uint64_t *v)
{
    size_t i;

    NEED(r, n);
    *v = 0;
    for (i = 0; i < n; i++)
        *v = *v << 8 | *r->p++;
    return FI_OK;
}

/* Integer 1..2^20 starting on the second bit (C.25); b is its octet. */
static int int2(struct rd *r, uint8_t b, uint32_t *i)
{
    uint64_t v;

    if (!(b & 0x40)) {
        *i = (b & 0x3F) + 1u;
        return FI_OK;
    }
    if ((b & 0x60) == 0x40) {
        TRY(getn(r, 1, &v));
        *i = (uint32_t)(((b & 0x1Fu) << 8 | v) + 65);
        return FI_OK;
    }
    if ((b & 0x70) == 0x60) {
        TRY(getn(r, 2, &v));
        *i = (uint32_t)(((uint64_t)(b & 0x0F) << 16 | v) + 8257);
        return FI_OK;
    }
    return FI_ESYNTAX;
}

/* Integer 1..2^20 starting on the third bit (C.27). */
static int int3(struct rd *r, uint8_t b, uint32_t *i)
{
    uint64_t v;

    if (!(b & 0x20)) {
        *i = (b & 0x1Fu) + 1;
        return FI_OK;
    }
    switch (b & 0x38) {
    case 0x20:
        TRY(getn(r, 1, &v));
        *i = (uint32_t)(((b & 7u) << 8 | v) + 33);
        return FI_OK;
    case 0x28:
        TRY(getn(r, 2, &v));
        *i = (uint32_t)(((uint64_t)(b & 7) << 16 | v) + 2081);
        return FI_OK;
    }
    if ((b & 0x3F) != 0x30)
        return FI_ESYNTAX;
    TRY(getn(r, 3, &v));
    if (v >> 20)
        return FI_ESYNTAX;
    *i = (uint32_t)(v + 526369);
    return FI_OK;
}

/* Integer 1..2^20 starting on the fourth bit (C.28). */
static int int4(struct rd *r, uint8_t b, uint32_t *i)
{
    uint64_t v;

    if (!(b & 0x10)) {
        *i = (b & 0x0Fu) + 1;
        return FI_OK;
    }
    switch (b & 0x1C) {
    case 0x10:
        TRY(getn(r, 1, &v));
        *i = (uint32_t)(((b & 3u) << 8 | v) + 17);
        return FI_OK;
    case 0x14:
        TRY(getn(r, 2, &v));
        *i = (uint32_t)(((uint64_t)(b & 3) << 16 | v) + 1041);
        return FI_OK;
    }
    if ((b & 0x1F) != 0x18)
        return FI_ESYNTAX;
    TRY(getn(r, 3, &v));
    if (v >> 20)
        return FI_ESYNTAX;
    *i = (uint32_t)(v + 263185);
    return FI_OK;
}

/* Non-empty octet string lengths starting on bits 2, 5 and 7 (C.22-24). */
static INLINE int len2(struct rd *r, uint8_t b, uint64_t *n)
{
    uint64_t v;

    if (!(b & 0x40)) {
        *n = (b & 0x3Fu) + 1;
        return FI_OK;
    }
    if ((b & 0x7F) == 0x40) {
        TRY(getn(r, 1, &v));
        *n = v + 65;
        return FI_OK;
    }
    if ((b & 0x7F) == 0x60) {
        TRY(getn(r, 4, &v));
        *n = v + 321;
        return FI_OK;
    }
    return FI_ESYNTAX;
}

static int len5(struct rd *r, uint8_t b, uint64_t *n)
{
    uint64_t v;

    if (!(b & 0x08)) {
        *n = (b & 7u) + 1;
        return FI_OK;
    }
    if ((b & 0x0F) == 0x08) {
        TRY(getn(r, 1, &v));
        *n = v + 9;
        return FI_OK;
    }
    if ((b & 0x0F) == 0x0C) {
        TRY(getn(r, 4, &v));
        *n = v + 265;
        return FI_OK;
    }
    return FI_ESYNTAX;
}

static int len7(struct rd *r, uint8_t b, uint64_t *n)
{
    uint64_t v;

    switch (b & 3) {
    case 0:
    case 1: *n = (b & 1u) + 1; return FI_OK;
    case 2:
        TRY(getn(r, 1, &v));
        *n = v + 3;
        return FI_OK;
    }
    TRY(getn(r, 4, &v));
    *n = v + 259;
    return FI_OK;
}

/* ---- string references: parsed, then resolved at commit ---- */

enum { REF_NONE, REF_EMPTY, REF_LIT, REF_IDX };
enum { ENC_UTF8, ENC_UTF16, ENC_ALPHABET, ENC_ALGORITHM };

struct sref {
    uint8_t kind, enc, add;
    unsigned tidx; /* alphabet or algorithm index, 1..256 */
    uint32_t idx;
    const uint8_t *p;
    size_t n;
};

static INLINE int take(fi_decoder *d, struct rd *r, uint64_t n, struct sref *s)
{
    if (n > d->mem.lim.max_string)
        return FI_ELIMIT;
    NEED(r, n);
    s->p = r->p;
    s->n = (size_t)n;
    r->p += n;
    return FI_OK;
}

/* IdentifyingStringOrIndex starting on the first bit (C.13). */
static INLINE int parse_ident(fi_decoder *d, struct rd *r, struct sref *s)
{
    uint8_t b;
    uint64_t n;

    TRY(get8(r, &b));
    memset(s, 0, sizeof *s);
    if (b & 0x80) {
        s->kind = REF_IDX;
        return int2(r, b, &s->idx);
    }
    s->kind = REF_LIT;
    s->add = 1;
    TRY(len2(r, b, &n));
    return take(d, r, n, s);
}

/* Literal character string after its discriminant: encoding `enc`, the
 * octet holding the rest at bit `bit` (5: C.19 on third bit, 7: C.20). */
static int parse_encoded(fi_decoder *d, struct rd *r, uint8_t b, int bit,
                         struct sref *s)
{
    uint64_t n;

    if (s->enc >= ENC_ALPHABET) {
        uint8_t c;
        TRY(get8(r, &c));
        if (bit == 5)
            s->tidx = ((unsigned)(b & 0x0F) << 4 | c >> 4) + 1;
        else
            s->tidx = ((unsigned)(b & 0x03) << 6 | c >> 2) + 1;
        b = c;
    }
    TRY(bit == 5 ? len5(r, b, &n) : len7(r, b, &n));
    return take(d, r, n, s);
}

/* NonIdentifyingStringOrIndex starting on the first bit (C.14). */
static int parse_nonid1(fi_decoder *d, struct rd *r, struct sref *s)
{
    uint8_t b;

    TRY(get8(r, &b));
    memset(s, 0, sizeof *s);
    if (b == 0xFF) {
        s->kind = REF_EMPTY;
        return FI_OK;
    }
    if (b & 0x80) {
        s->kind = REF_IDX;
        return int2(r, b, &s->idx);
    }
    s->kind = REF_LIT;
    s->add = (b & 0x40) != 0;
    s->enc = (b >> 4) & 3;
    return parse_encoded(d, r, b, 5, s);
}

/* Character chunk: NonIdentifyingStringOrIndex on the third bit (C.15). */
static int parse_nonid3(fi_decoder *d, struct rd *r, uint8_t b, struct sref *s)
{
    memset(s, 0, sizeof *s);
    if (b & 0x20) {
        s->kind = REF_IDX;
        return int4(r, b, &s->idx);
    }
    s->kind = REF_LIT;
    s->add = (b & 0x10) != 0;
    s->enc = (b >> 2) & 3;
    return parse_encoded(d, r, b, 7, s);
}

/* ---- tables ---- */

static const struct fi_str xml_prefix = {"xml", 3};
static const struct fi_str xml_ns = {"http://www.w3.org/XML/1998/namespace",
                                     36};

static size_t room(const fi_decoder *d, size_t cap)
{
    return cap < d->mem.lim.max_table_entries ? cap
                                              : d->mem.lim.max_table_entries;
}

static int stab_grow(fi_decoder *d, struct stab *tb)
{
    void *e = tb->e;

    if (tb->n >= d->mem.lim.max_table_entries)
        return FI_ELIMIT;
    TRY(fi_grow(&d->mem, &e, &tb->cap, tb->n + 1, sizeof *tb->e));
    tb->e = e;
    tb->room = room(d, tb->cap);
    return FI_OK;
}

static INLINE int stab_push(fi_decoder *d, int t, struct fi_str s)
{
    struct stab *tb = &d->st[t];

    if (tb->n >= tb->room)
        TRY(stab_grow(d, tb));
    tb->e[tb->n++] = s;
    return FI_OK;
}

static int ntab_grow(fi_decoder *d, struct ntab *tb)
{
    void *e = tb->e;

    if (tb->n >= d->mem.lim.max_table_entries)
        return FI_ELIMIT;
    TRY(fi_grow(&d->mem, &e, &tb->cap, tb->n + 1, sizeof *tb->e));
    tb->e = e;
    tb->room = room(d, tb->cap);
    return FI_OK;
}

static INLINE int ntab_push(fi_decoder *d, int t, const struct fi_qname *q)
{
    struct ntab *tb = &d->nt[t == FI_T_ELEMENT ? 0 : 1];

    if (tb->n >= tb->room)
        TRY(ntab_grow(d, tb));
    tb->e[tb->n++] = *q;
    return FI_OK;
}

static int stab_get(const fi_decoder *d, int t, uint32_t i, struct fi_str *s)
{
    if (i == 0 || i > d->st[t].n)
        return FI_EINDEX;
    *s = d->st[t].e[i - 1];
    return FI_OK;
}

/* Copies s into the table arena and appends it to table t. */
static int add_string(fi_decoder *d, int t, const void *p, size_t n,
                      struct fi_str *out)
{
    struct fi_str s;

    if (d->st[t].n >= d->mem.lim.max_table_entries)
        return FI_ELIMIT;
    s.ptr = fi_arena_dup(&d->mem, &d->tarena, p, n);
    if (!s.ptr)
        return fi_mem_why(&d->mem, n);
    s.len = n;
    TRY(stab_push(d, t, s));
    if (out)
        *out = s;
    return FI_OK;
}

static void tables_clear(fi_decoder *d)
{
    int t;

    for (t = 0; t < FI_T_COUNT; t++)
        d->st[t].n = 0;
    d->nt[0].n = d->nt[1].n = 0;
    fi_arena_reset(&d->mem, &d->tarena);
}

static int tables_init(fi_decoder *d)
{
    tables_clear(d);
    TRY(stab_push(d, FI_T_PREFIX, xml_prefix));
    return stab_push(d, FI_T_NS, xml_ns);
}

/* ---- resolving strings ---- */

/* Turns a literal's octets into UTF-8 in d->conv or points at them. */
static int decode_literal(fi_decoder *d, const struct sref *s,
                          struct fi_str *out)
{
    d->conv.len = 0;
    switch (s->enc) {
    case ENC_UTF8:
        if (!fi_utf8_valid(s->p, s->n))
            return FI_EUTF8;
        out->ptr = (const char *)s->p;
        out->len = s->n;
        return FI_OK;
    case ENC_UTF16: TRY(fi_utf16_to_utf8(&d->mem, &d->conv, s->p, s->n)); break;
    case ENC_ALPHABET: {
        struct fi_str a;
        if (s->tidx <= 2)
            a = fi_builtin_alphabets[s->tidx - 1];
        else if (s->tidx < 16 || stab_get(d, FI_T_ALPHABET, s->tidx - 15, &a))
            return FI_EALPHABET;
        TRY(fi_alphabet_decode(&d->mem, &d->conv, a, s->p, s->n));
        break;
    }
    default:
        if (s->tidx > 10)
            return FI_EALGORITHM;
        TRY(fi_algorithm_to_text(&d->mem, &d->conv, s->tidx, s->p, s->n));
    }
    if (d->conv.len > d->mem.lim.max_string)
        return FI_ELIMIT;
    out->ptr = (const char *)d->conv.p;
    out->len = d->conv.len;
    return FI_OK;
}

/* Resolves a string of table t.  persist: the result must survive until
 * the pending event is emitted (copied into scratch unless in a table). */
#define REF(d, t, i, how)                                                      \
    ((d)->h.ref && (d)->h.ref((d)->ud, (t), (i), (how)) ? FI_EABORTED : FI_OK)

static int resolve_slow(fi_decoder *d, const struct sref *s, int t, int persist,
                        struct fi_str *out)
{
    struct fi_str v;

    switch (s->kind) {
    case REF_NONE:
    case REF_EMPTY:
        out->ptr = "";
        out->len = 0;
        return s->kind == REF_EMPTY ? REF(d, t, 0, FI_REF_INDEX) : FI_OK;
    case REF_IDX:
        TRY(stab_get(d, t, s->idx, out));
        return REF(d, t, s->idx, FI_REF_INDEX);
    }
    TRY(decode_literal(d, s, &v));
    /* UTF-8 literals are v = the octets in d->buf: when it stays put
     * until the document ends, tables and events point into it */
    if (s->add) {
        if (d->borrow && s->enc == ENC_UTF8) {
            TRY(stab_push(d, t, v));
            *out = v;
        } else
            TRY(add_string(d, t, v.ptr, v.len, out));
        return REF(d, t, (uint32_t)d->st[t].n, FI_REF_ADDED);
    }
    TRY(REF(d, t, 0, FI_REF_LITERAL));
    if (persist && !(d->borrow && s->enc == ENC_UTF8)) {
        out->ptr = fi_arena_dup(&d->mem, &d->scratch, v.ptr, v.len);
        if (!out->ptr)
            return fi_mem_why(&d->mem, v.len);
        out->len = v.len;
        return FI_OK;
    }
    *out = v;
    return FI_OK;
}

/* The common cases inline: no string, or a UTF-8 literal in the last
 * feed (no copy, whether added or kept for the event) when no `ref`
 * callback wants to hear of it. */
static INLINE int resolve(fi_decoder *d, const struct sref *s, int t,
                          int persist, struct fi_str *out)
{
    if (s->kind == REF_NONE) {
        out->ptr = "";
        out->len = 0;
        return FI_OK;
    }
    if (s->kind == REF_LIT && s->enc == ENC_UTF8 && d->borrow && !d->h.ref) {
        if (!fi_utf8_valid(s->p, s->n))
            return FI_EUTF8;
        out->ptr = (const char *)s->p;
        out->len = s->n;
        return s->add ? stab_push(d, t, *out) : FI_OK;
    }
    return resolve_slow(d, s, t, persist, out);
}

/* ---- qualified names ---- */

struct qref {
    int literal;
    uint32_t idx;
    uint8_t flags; /* 2: prefix, 1: namespace */
    struct sref prefix, ns, local;
};

static int parse_qname_lit(fi_decoder *d, struct rd *r, uint8_t b,
                           struct qref *q)
{
    q->literal = 1;
    q->flags = b & 3;
    if (q->flags == 2)
        return FI_ESYNTAX;                  /* a prefix needs a namespace */
    q->prefix.kind = q->ns.kind = REF_NONE; /* all resolve reads of them */
    if (q->flags & 2)
        TRY(parse_ident(d, r, &q->prefix));
    if (q->flags & 1)
        TRY(parse_ident(d, r, &q->ns));
    return parse_ident(d, r, &q->local);
}

/* Element name: QualifiedNameOrIndex starting on the third bit (C.18). */
static int parse_qname3(fi_decoder *d, struct rd *r, uint8_t b, struct qref *q)
{
    if ((b & 0x3C) == 0x3C)
        return parse_qname_lit(d, r, b, q);
    q->literal = 0;
    return int3(r, b, &q->idx);
}

/* Attribute name: QualifiedNameOrIndex starting on the second bit (C.17). */
static int parse_qname2(fi_decoder *d, struct rd *r, uint8_t b, struct qref *q)
{
    if ((b & 0x7C) == 0x78)
        return parse_qname_lit(d, r, b, q);
    q->literal = 0;
    return int2(r, b, &q->idx);
}

static INLINE int commit_qname(fi_decoder *d, const struct qref *q, int t,
                               struct fi_qname *out)
{
    struct ntab *tb = &d->nt[t == FI_T_ELEMENT ? 0 : 1];

    if (!q->literal) {
        if (q->idx == 0 || q->idx > tb->n)
            return FI_EINDEX;
        *out = tb->e[q->idx - 1];
        return REF(d, t, q->idx, FI_REF_INDEX);
    }
    TRY(resolve(d, &q->prefix, FI_T_PREFIX, 0, &out->prefix));
    TRY(resolve(d, &q->ns, FI_T_NS, 0, &out->ns));
    TRY(resolve(d, &q->local, FI_T_LOCAL, 0, &out->local));
    TRY(ntab_push(d, t, out));
    return REF(d, t, (uint32_t)tb->n, FI_REF_ADDED);
}

/* ---- events ---- */

#define EMIT(d, cb, ...)                                                       \
    ((d)->h.cb && (d)->h.cb((d)->ud, __VA_ARGS__) ? FI_EABORTED : FI_OK)

static int flush_text(fi_decoder *d)
{
    int r;

    if (!d->text.len)
        return FI_OK;
    r = EMIT(d, characters, (const char *)d->text.p, d->text.len);
    d->text.len = 0;
    return r;
}

static int emit_chars(fi_decoder *d, struct fi_str s)
{
    if (!s.len)
        return FI_OK;
    if (d->flags & FI_DEC_JOIN_TEXT) {
        if (d->text.len + s.len > d->mem.lim.max_string)
            return FI_ELIMIT;
        return fi_buf_append(&d->mem, &d->text, s.ptr, s.len);
    }
    return EMIT(d, characters, s.ptr, s.len);
}

static int push_element(fi_decoder *d)
{
    void *s = d->stack;

    if (d->depth >= d->mem.lim.max_depth)
        return FI_ELIMIT;
    if (d->depth >= d->scap) {
        TRY(fi_grow(&d->mem, &s, &d->scap, d->depth + 1, sizeof *d->stack));
        d->stack = s;
    }
    d->stack[d->depth++] = d->name;
    return FI_OK;
}

static int emit_start(fi_decoder *d)
{
    int r;

    TRY(flush_text(d));
    TRY(push_element(d));
    r = EMIT(d, start_element, &d->name, d->ns, d->nns, d->attrs, d->nattrs);
    d->nns = d->nattrs = 0;
    fi_arena_reset(&d->mem, &d->scratch);
    return r;
}

static int end_document(fi_decoder *d)
{
    TRY(flush_text(d));
    if (!d->seen_root && !(d->flags & FI_DEC_STREAM))
        return FI_ESYNTAX; /* a document has exactly one element */
    d->state = ST_DONE;
    return d->h.end_document && d->h.end_document(d->ud) ? FI_EABORTED : FI_OK;
}

/* One terminator at the current level. */
static int terminate(fi_decoder *d)
{
    if (!d->depth)
        return end_document(d);
    TRY(flush_text(d));
    d->depth--;
    return EMIT(d, end_element, &d->stack[d->depth]);
}

/* ---- units of content ---- */

static int unit_element(fi_decoder *d, struct rd *r, uint8_t b)
{
    struct qref q;

    if (!d->depth && d->seen_root && !(d->flags & FI_DEC_STREAM))
        return FI_ESYNTAX;
    d->has_attrs = (b & 0x40) != 0;
    if ((b & 0x3F) == 0x38) {
        d->state = ST_NS;
        d->nns = d->nattrs = 0;
        return FI_OK;
    }
    TRY(parse_qname3(d, r, b, &q));
    d->nns = d->nattrs = 0;
    TRY(commit_qname(d, &q, FI_T_ELEMENT, &d->name));
    d->seen_root = 1;
    if (d->has_attrs) {
        d->state = ST_ATTRS;
        return FI_OK;
    }
    return emit_start(d);
}

static int unit_chunk(fi_decoder *d, struct rd *r, uint8_t b)
{
    struct sref s;
    struct fi_str v;

    if (!d->depth && !(d->flags & FI_DEC_STREAM))
        return FI_ESYNTAX; /* no character data outside the element */
    TRY(parse_nonid3(d, r, b, &s));
    if (s.kind == REF_LIT && s.enc == ENC_ALGORITHM && d->h.octets) {
        if (s.add)
            return FI_EALGORITHM; /* tables hold text, not octets */
        TRY(flush_text(d));
        return EMIT(d, octets, s.tidx, s.p, s.n);
    }
    if (s.kind == REF_LIT && s.enc == ENC_ALGORITHM && s.tidx > 10)
        return FI_EALGORITHM;
    TRY(resolve(d, &s, FI_T_CHUNK, 0, &v));
    return emit_chars(d, v);
}

static int unit_pi(fi_decoder *d, struct rd *r)
{
    struct sref t, v;
    struct fi_str ts, vs;

    TRY(parse_ident(d, r, &t));
    TRY(parse_nonid1(d, r, &v));
    TRY(resolve(d, &t, FI_T_NCNAME, 0, &ts));
    TRY(resolve(d, &v, FI_T_OTHER, 0, &vs));
    TRY(flush_text(d));
    return EMIT(d, pi, ts, vs);
}

static int unit_comment(fi_decoder *d, struct rd *r)
{
    struct sref v;
    struct fi_str vs;

    TRY(parse_nonid1(d, r, &v));
    TRY(resolve(d, &v, FI_T_OTHER, 0, &vs));
    TRY(flush_text(d));
    return EMIT(d, comment, vs.ptr, vs.len);
}

/* name, then optional system and public identifiers (flags 2 and 1) */
static int unit_entity(fi_decoder *d, struct rd *r, uint8_t b)
{
    struct sref n, s = {0}, p = {0};
    struct fi_str ns, ss, ps;

    TRY(parse_ident(d, r, &n));
    if (b & 2)
        TRY(parse_ident(d, r, &s));
    if (b & 1)
        TRY(parse_ident(d, r, &p));
    TRY(resolve(d, &n, FI_T_NCNAME, 1, &ns));
    TRY(resolve(d, &s, FI_T_URI, 1, &ss));
    TRY(resolve(d, &p, FI_T_URI, 1, &ps));
    TRY(flush_text(d));
    return EMIT(d, entity_ref, ns, ss, ps);
}

static int unit_doctype(fi_decoder *d, struct rd *r, uint8_t b)
{
    struct sref s = {0}, p = {0};
    struct fi_str ss, ps;

    if (d->depth || d->seen_root)
        return FI_ESYNTAX;
    if (b & 2)
        TRY(parse_ident(d, r, &s));
    if (b & 1)
        TRY(parse_ident(d, r, &p));
    TRY(resolve(d, &s, FI_T_URI, 1, &ss));
    TRY(resolve(d, &p, FI_T_URI, 1, &ps));
    d->state = ST_DTD;
    return EMIT(d, doctype, ss, ps);
}

static int unit_content(fi_decoder *d, struct rd *r)
{
    uint8_t b;

    TRY(get8(r, &b));
    if (b < 0x80)
        return unit_element(d, r, b);
    if ((b & 0xC0) == 0x80)
        return unit_chunk(d, r, b);
    switch (b) {
    case 0xE1: return unit_pi(d, r);
    case 0xE2: return unit_comment(d, r);
    case 0xF0: return terminate(d);
    case 0xFF:
        if (!d->depth)
            return FI_ESYNTAX;
        TRY(terminate(d));
        return terminate(d);
    }
    if ((b & 0xFC) == 0xC8)
        return unit_entity(d, r, b);
    if ((b & 0xFC) == 0xC4)
        return unit_doctype(d, r, b);
    return FI_ESYNTAX;
}

static int unit_dtd(fi_decoder *d, struct rd *r)
{
    uint8_t b;

    TRY(get8(r, &b));
    if (b == 0xE1)
        return unit_pi(d, r);
    if (b == 0xF0) {
        d->state = ST_CONTENT;
        return FI_OK;
    }
    return FI_ESYNTAX; /* FF would end a document without an element */
}

static int grow_ns(fi_decoder *d)
{
    void *p = d->ns;

    if (d->nns + d->nattrs >= d->mem.lim.max_attributes)
        return FI_ELIMIT;
    if (d->nns >= d->nscap) {
        TRY(fi_grow(&d->mem, &p, &d->nscap, d->nns + 1, sizeof *d->ns));
        d->ns = p;
    }
    return FI_OK;
}

static int unit_ns(fi_decoder *d, struct rd *r)
{
    struct sref p = {0}, n = {0};
    struct fi_nsdecl *x;
    uint8_t b;

    TRY(get8(r, &b));
    if (b == 0xF0) {
        d->state = ST_ELEMNAME;
        return FI_OK;
    }
    if ((b & 0xFC) != 0xCC)
        return FI_ESYNTAX;
    if (b & 2)
        TRY(parse_ident(d, r, &p));
    if (b & 1)
        TRY(parse_ident(d, r, &n));
    TRY(grow_ns(d));
    x = &d->ns[d->nns];
    TRY(resolve(d, &p, FI_T_PREFIX, 0, &x->prefix));
    TRY(resolve(d, &n, FI_T_NS, 0, &x->ns));
    d->nns++;
    return FI_OK;
}

static int unit_elemname(fi_decoder *d, struct rd *r)
{
    struct qref q;
    uint8_t b;

    TRY(get8(r, &b));
    if (b & 0xC0)
        return FI_ESYNTAX;
    TRY(parse_qname3(d, r, b, &q));
    TRY(commit_qname(d, &q, FI_T_ELEMENT, &d->name));
    d->seen_root = 1;
    if (d->has_attrs) {
        d->state = ST_ATTRS;
        return FI_OK;
    }
    d->state = ST_CONTENT;
    return emit_start(d);
}

static int grow_attrs(fi_decoder *d)
{
    void *p = d->attrs;

    if (d->nns + d->nattrs >= d->mem.lim.max_attributes)
        return FI_ELIMIT;
    if (d->nattrs >= d->acap) {
        TRY(fi_grow(&d->mem, &p, &d->acap, d->nattrs + 1, sizeof *d->attrs));
        d->attrs = p;
    }
    return FI_OK;
}

static int str_eq(struct fi_str a, struct fi_str b)
{
    return a.len == b.len && !memcmp(a.ptr, b.ptr, a.len);
}

/* XML Namespaces: no two attributes of an element with the same
 * namespace name and local name (the error is at this attribute). */
static int check_unique(const fi_decoder *d, const struct fi_qname *n)
{
    size_t i;

    for (i = 0; i < d->nattrs; i++)
        if (str_eq(d->attrs[i].name.local, n->local) &&
            str_eq(d->attrs[i].name.ns, n->ns))
            return FI_EDUPLICATE;
    return FI_OK;
}

static int unit_attr(fi_decoder *d, struct rd *r)
{
    struct qref q;
    struct sref v;
    struct fi_attr *a;
    uint8_t b;

    TRY(get8(r, &b));
    if (b == 0xF0 || b == 0xFF) {
        d->state = ST_CONTENT;
        TRY(emit_start(d));
        return b == 0xFF ? terminate(d) : FI_OK;
    }
    if (b & 0x80)
        return FI_ESYNTAX;
    TRY(parse_qname2(d, r, b, &q));
    TRY(parse_nonid1(d, r, &v));
    TRY(grow_attrs(d));
    a = &d->attrs[d->nattrs];
    TRY(commit_qname(d, &q, FI_T_ATTRIBUTE, &a->name));
    TRY(check_unique(d, &a->name));
    TRY(resolve(d, &v, FI_T_VALUE, 1, &a->value));
    d->nattrs++;
    return FI_OK;
}

/* ---- header ---- */

static int next_component(fi_decoder *d);

static int unit_start(fi_decoder *d, struct rd *r)
{
    size_t i;

    NEED(r, 1);
    if (r->p[0] != '<') {
        d->state = ST_ID;
        return FI_OK;
    }
    /* an XML declaration may precede the binary header: skip it */
    for (i = 1; i < 256; i++) {
        NEED(r, i + 1);
        if (r->p[i - 1] == '?' && r->p[i] == '>') {
            if (i < 6 || memcmp(r->p, "<?xml ", 6))
                return FI_ESYNTAX;
            r->p += i + 1;
            d->state = ST_ID;
            return FI_OK;
        }
    }
    return FI_ESYNTAX;
}

static int unit_id(fi_decoder *d, struct rd *r)
{
    static const uint8_t id[4] = {0xE0, 0x00, 0x00, 0x01};

    NEED(r, 5);
    if (memcmp(r->p, id, 4) || (r->p[4] & 0x80))
        return FI_ESYNTAX;
    d->comp = r->p[4];
    r->p += 5;
    return next_component(d);
}

/* Length of a sequence-of (C.21): 1..2^20. */
static int seq_len(struct rd *r, size_t *n)
{
    uint8_t b;
    uint64_t v;

    TRY(get8(r, &b));
    if (!(b & 0x80)) {
        *n = (b & 0x7Fu) + 1;
        return FI_OK;
    }
    if ((b & 0xF0) != 0x80)
        return FI_ESYNTAX;
    TRY(getn(r, 2, &v));
    *n = (size_t)(((uint64_t)(b & 0x0F) << 16 | v) + 129);
    return FI_OK;
}

/* NonEmptyOctetString on the second bit after a '0' padding bit. */
static int parse_octets2(fi_decoder *d, struct rd *r, struct sref *s)
{
    uint8_t b;
    uint64_t n;

    TRY(get8(r, &b));
    if (b & 0x80)
        return FI_ESYNTAX;
    memset(s, 0, sizeof *s);
    s->kind = REF_LIT;
    TRY(len2(r, b, &n));
    return take(d, r, n, s);
}

static int unit_add_len(fi_decoder *d, struct rd *r)
{
    TRY(seq_len(r, &d->vcount));
    d->state = ST_ADD_ITEM;
    return FI_OK;
}

static int unit_add_item(fi_decoder *d, struct rd *r)
{
    struct sref id, data;

    TRY(parse_octets2(d, r, &id));
    TRY(parse_octets2(d, r, &data));
    if (!fi_utf8_valid(id.p, id.n))
        return FI_EUTF8; /* a URI; the data itself is opaque */
    if (--d->vcount == 0)
        return next_component(d);
    return FI_OK;
}

static const uint16_t voc_bits[] = {
    0x0800, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040,
    0x0020, 0x0010, 0x0008, 0x0004, 0x0002, 0x0001,
};

static int next_vocab_table(fi_decoder *d)
{
    while (d->vtable < FI_T_COUNT) {
        if (d->vflags & voc_bits[d->vtable]) {
            d->state = ST_VOC_LEN;
            return FI_OK;
        }
        d->vtable++;
    }
    return next_component(d);
}

static int unit_voc_flags(fi_decoder *d, struct rd *r)
{
    NEED(r, 2);
    if (r->p[0] & 0xE0)
        return FI_ESYNTAX;
    d->vflags = (unsigned)(r->p[0] & 0x1F) << 8 | r->p[1];
    r->p += 2;
    d->vtable = 0;
    if (d->vflags & 0x1000) {
        d->state = ST_VOC_EXT;
        return FI_OK;
    }
    return next_vocab_table(d);
}

static const fi_vocab *find_vocab(const fi_decoder *d, struct fi_str uri)
{
    size_t i;
    int k;

    for (i = 0; i < d->nvocabs; i++) {
        const char *u = fi_vocab_uri(d->vocabs[i]);
        if (u && strlen(u) == uri.len && !memcmp(u, uri.ptr, uri.len))
            return d->vocabs[i];
    }
    if (d->flags & FI_DEC_NO_XMPP)
        return NULL;
    for (k = 1; k <= 2; k++) {
        const fi_vocab *x = fi_vocab_xmpp_version(k);
        const char *u = fi_vocab_uri(x);
        if (strlen(u) == uri.len && !memcmp(u, uri.ptr, uri.len))
            return x;
    }
    return NULL;
}

static int add_name(fi_decoder *d, int t, uint32_t p, uint32_t n, uint32_t l)
{
    struct fi_qname q = {{"", 0}, {"", 0}, {"", 0}};

    if ((p && !n) || (p && stab_get(d, FI_T_PREFIX, p, &q.prefix)) ||
        (n && stab_get(d, FI_T_NS, n, &q.ns)) ||
        stab_get(d, FI_T_LOCAL, l, &q.local))
        return FI_EINDEX;
    return ntab_push(d, t, &q);
}

static int load_vocab(fi_decoder *d, const fi_vocab *v)
{
    size_t i;
    int t;

    for (t = 0; t < FI_T_ELEMENT; t++)
        for (i = 0; i < v->n[t]; i++)
            TRY(stab_push(d, t, v->s[t][i]));
    for (t = FI_T_ELEMENT; t <= FI_T_ATTRIBUTE; t++)
        for (i = 0; i < v->n[t]; i++)
            TRY(add_name(d, t, v->names[t][i].prefix, v->names[t][i].ns,
                         v->names[t][i].local));
    return FI_OK;
}

static int unit_voc_ext(fi_decoder *d, struct rd *r)
{
    struct sref s;
    const fi_vocab *v;

    TRY(parse_octets2(d, r, &s));
    if (!fi_utf8_valid(s.p, s.n))
        return FI_EUTF8;
    v = find_vocab(d, (struct fi_str){(const char *)s.p, s.n});
    if (!v)
        return FI_EVOCAB;
    TRY(load_vocab(d, v));
    return next_vocab_table(d);
}

static int unit_voc_len(fi_decoder *d, struct rd *r)
{
    TRY(seq_len(r, &d->vcount));
    if (d->vcount > d->mem.lim.max_table_entries)
        return FI_ELIMIT;
    d->state = ST_VOC_ITEM;
    return FI_OK;
}

/* EncodedCharacterString starting on the third bit (C.19), after '00'. */
static int parse_encoded3(fi_decoder *d, struct rd *r, struct sref *s)
{
    uint8_t b;

    TRY(get8(r, &b));
    if (b & 0xC0)
        return FI_ESYNTAX;
    memset(s, 0, sizeof *s);
    s->kind = REF_LIT;
    s->add = 1;
    s->enc = (b >> 4) & 3;
    return parse_encoded(d, r, b, 5, s);
}

static int parse_surrogate(struct rd *r, uint32_t idx[3])
{
    uint8_t b, f;
    int i;

    TRY(get8(r, &f));
    if (f & 0xFC)
        return FI_ESYNTAX;
    for (i = 0; i < 3; i++) {
        idx[i] = 0;
        if (i < 2 && !(f & (i == 0 ? 2 : 1)))
            continue;
        TRY(get8(r, &b));
        if (b & 0x80)
            return FI_ESYNTAX;
        TRY(int2(r, b, &idx[i]));
    }
    return FI_OK;
}

static int unit_voc_item(fi_decoder *d, struct rd *r)
{
    int t = d->vtable;
    struct sref s;

    if (t >= FI_T_ELEMENT) {
        uint32_t idx[3];
        TRY(parse_surrogate(r, idx));
        TRY(add_name(d, t, idx[0], idx[1], idx[2]));
    } else if (t >= FI_T_VALUE && t <= FI_T_OTHER) {
        TRY(parse_encoded3(d, r, &s));
        TRY(resolve(d, &s, t, 0, &(struct fi_str){0}));
    } else {
        struct fi_str v;
        TRY(parse_octets2(d, r, &s));
        s.add = 1;
        TRY(resolve(d, &s, t, 0, &v));
    }
    if (--d->vcount == 0) {
        d->vtable++;
        return next_vocab_table(d);
    }
    return FI_OK;
}

/* notation or unparsed entity declarations, ended by F0 */
static int unit_decl(fi_decoder *d, struct rd *r)
{
    struct sref n, s = {0}, p = {0}, no = {0};
    struct fi_str ns, ss, ps, nos;
    int notation = d->state == ST_NOTATION;
    uint8_t b;

    TRY(get8(r, &b));
    if (b == 0xF0)
        return next_component(d);
    if (notation ? (b & 0xFC) != 0xC0 : (b & 0xFE) != 0xD0)
        return FI_ESYNTAX;
    TRY(parse_ident(d, r, &n));
    if (!notation || (b & 2))
        TRY(parse_ident(d, r, &s));
    if (b & 1)
        TRY(parse_ident(d, r, &p));
    if (!notation)
        TRY(parse_ident(d, r, &no));
    TRY(resolve(d, &n, FI_T_NCNAME, 1, &ns));
    TRY(resolve(d, &s, FI_T_URI, 1, &ss));
    TRY(resolve(d, &p, FI_T_URI, 1, &ps));
    TRY(resolve(d, &no, FI_T_NCNAME, 1, &nos));
    if (notation)
        return EMIT(d, notation, ns, ss, ps);
    return EMIT(d, unparsed_entity, ns, ss, ps, nos);
}

static int unit_ces(fi_decoder *d, struct rd *r)
{
    struct sref s;

    TRY(parse_octets2(d, r, &s));
    if (!fi_utf8_valid(s.p, s.n))
        return FI_EUTF8;
    return next_component(d);
}

static int unit_standalone(fi_decoder *d, struct rd *r)
{
    uint8_t b;

    TRY(get8(r, &b));
    if (b > 1)
        return FI_ESYNTAX;
    return next_component(d);
}

static int unit_version(fi_decoder *d, struct rd *r)
{
    struct sref s;
    struct fi_str v;

    TRY(parse_nonid1(d, r, &s));
    TRY(resolve(d, &s, FI_T_OTHER, 0, &v));
    return next_component(d);
}

/* Moves to the next optional component still present, or the content. */
static int next_component(fi_decoder *d)
{
    static const struct {
        unsigned bit;
        enum state st;
    } order[] = {
        {C_ADDITIONAL, ST_ADD_LEN},
        {C_VOCAB, ST_VOC_FLAGS},
        {C_NOTATIONS, ST_NOTATION},
        {C_UNPARSED, ST_UNPARSED},
        {C_CES, ST_CES},
        {C_STANDALONE, ST_STANDALONE},
        {C_VERSION, ST_VERSION},
    };
    size_t i;

    for (i = 0; i < sizeof order / sizeof order[0]; i++)
        if (d->comp & order[i].bit) {
            d->comp &= ~order[i].bit;
            d->state = order[i].st;
            return FI_OK;
        }
    d->state = ST_CONTENT;
    return d->h.start_document && d->h.start_document(d->ud) ? FI_EABORTED
                                                             : FI_OK;
}

/* ---- the unit loop ---- */

static int step(fi_decoder *d, struct rd *r)
{
    switch (d->state) {
    case ST_START: return unit_start(d, r);
    case ST_ID: return unit_id(d, r);
    case ST_ADD_LEN: return unit_add_len(d, r);
    case ST_ADD_ITEM: return unit_add_item(d, r);
    case ST_VOC_FLAGS: return unit_voc_flags(d, r);
    case ST_VOC_EXT: return unit_voc_ext(d, r);
    case ST_VOC_LEN: return unit_voc_len(d, r);
    case ST_VOC_ITEM: return unit_voc_item(d, r);
    case ST_NOTATION:
    case ST_UNPARSED: return unit_decl(d, r);
    case ST_CES: return unit_ces(d, r);
    case ST_STANDALONE: return unit_standalone(d, r);
    case ST_VERSION: return unit_version(d, r);
    case ST_CONTENT: return unit_content(d, r);
    case ST_NS: return unit_ns(d, r);
    case ST_ELEMNAME: return unit_elemname(d, r);
    case ST_ATTRS: return unit_attr(d, r);
    case ST_DTD: return unit_dtd(d, r);
    case ST_DONE: break;
    }
    return FI_ETRAILING;
}

static int fail(fi_decoder *d, int err, uint64_t off)
{
    d->err = err;
    d->err_off = off;
    return err;
}

/* Runs units over buf[0..n); *used gets the octets of complete units. */
static int run(fi_decoder *d, const uint8_t *buf, size_t n, size_t *used)
{
    size_t pos = 0;

    d->buf = buf;
    while (d->state != ST_DONE) {
        struct rd r = {buf + pos, buf + pos, buf + n, 0};
        int rc;
        d->cur = d->base_off + pos;
        if (pos == n) {
            d->need = 1;
            *used = pos;
            return FI_MORE;
        }
        rc = step(d, &r);
        if (rc == FI_MORE) {
            d->need = r.need;
            *used = pos;
            return FI_MORE;
        }
        if (rc < 0) {
            *used = pos;
            return fail(d, rc, d->base_off + pos);
        }
        pos = (size_t)(r.p - buf);
    }
    *used = pos;
    if (pos < n)
        return fail(d, FI_ETRAILING, d->base_off + pos);
    return FI_OK;
}

/* Parses from d->in, topping it up from data; returns with d->in empty
 * (all of it parsed) or all of data taken. */
static int run_kept(fi_decoder *d, const uint8_t **data, size_t *len)
{
    while (d->in.len && *len) {
        size_t want = d->need > d->in.len ? d->need - d->in.len : 0;
        size_t take_n = want > 64 ? want : 64, used;
        int rc;
        if (take_n > *len)
            take_n = *len;
        if (d->in.len + take_n > d->mem.lim.max_string * 4 + 4096)
            return fail(d, FI_ELIMIT, d->base_off);
        rc = fi_buf_append(&d->mem, &d->in, *data, take_n);
        if (rc)
            return fail(d, rc, d->base_off);
        *data += take_n;
        *len -= take_n;
        if (d->in.len < d->need)
            continue;
        rc = run(d, d->in.p, d->in.len, &used);
        d->base_off += used;
        d->cur = d->base_off;
        memmove(d->in.p, d->in.p + used, d->in.len - used);
        d->in.len -= used;
        if (rc == FI_OK && *len)
            return fail(d, FI_ETRAILING, d->base_off);
        if (rc != FI_MORE)
            return rc;
    }
    return d->in.len ? FI_MORE : FI_OK;
}

static int finish(fi_decoder *d, int last)
{
    if (d->state == ST_DONE)
        return FI_OK;
    if (!last)
        return FI_MORE;
    if ((d->flags & FI_DEC_STREAM) && !d->in.len && !d->depth &&
        d->state == ST_CONTENT) {
        int rc = end_document(d);
        return rc ? fail(d, rc, d->base_off) : FI_OK;
    }
    return fail(d, FI_ETRUNCATED, d->base_off + d->in.len);
}

int fi_decoder_feed(fi_decoder *d, const void *data, size_t len, int last)
{
    const uint8_t *p = data;
    size_t used;
    int rc;

    if (d->err)
        return d->err;
    if (d->state == ST_DONE)
        return len ? fail(d, FI_ETRAILING, d->base_off) : FI_OK;
    if (d->in.len) {
        rc = run_kept(d, &p, &len);
        if (rc == FI_MORE)
            return finish(d, last);
        if (rc != FI_OK || d->state == ST_DONE)
            return rc;
    }
    d->borrow = last;
    rc = run(d, p, len, &used);
    d->borrow = 0;
    d->base_off += used;
    d->cur = d->base_off;
    if (rc == FI_MORE && used < len) {
        rc = fi_buf_append(&d->mem, &d->in, p + used, len - used);
        if (rc)
            return fail(d, rc, d->base_off);
    }
    if (rc < 0)
        return rc;
    return finish(d, last);
}

/* ---- lifecycle ---- */

int fi_decoder_new(fi_ctx *ctx, const struct fi_handler *h, void *ud,
                   unsigned flags, fi_decoder **out)
{
    struct fi_mem m;
    fi_decoder *d;
    int rc;

    *out = NULL;
    fi_mem_init(&m, ctx);
    d = fi_mem_alloc(&m, sizeof *d);
    if (!d)
        return fi_mem_why(&m, sizeof *d);
    memset(d, 0, sizeof *d);
    d->mem = m;
    if (h)
        d->h = *h;
    d->ud = ud;
    d->flags = flags;
    if ((rc = tables_init(d)) != FI_OK) {
        fi_decoder_free(d);
        return rc;
    }
    *out = d;
    return FI_OK;
}

void fi_decoder_free(fi_decoder *d)
{
    int t;

    if (!d)
        return;
    for (t = 0; t < FI_T_COUNT; t++)
        fi_mem_free(&d->mem, d->st[t].e, d->st[t].cap * sizeof *d->st[t].e);
    for (t = 0; t < 2; t++)
        fi_mem_free(&d->mem, d->nt[t].e, d->nt[t].cap * sizeof *d->nt[t].e);
    fi_arena_free(&d->mem, &d->tarena);
    fi_arena_free(&d->mem, &d->scratch);
    fi_mem_free(&d->mem, d->ns, d->nscap * sizeof *d->ns);
    fi_mem_free(&d->mem, d->attrs, d->acap * sizeof *d->attrs);
    fi_mem_free(&d->mem, d->stack, d->scap * sizeof *d->stack);
    fi_buf_free(&d->mem, &d->in);
    fi_buf_free(&d->mem, &d->text);
    fi_buf_free(&d->mem, &d->conv);
    d->mem.a.free(d, d->mem.a.ud);
}

int fi_decoder_add_vocab(fi_decoder *d, const fi_vocab *v)
{
    if (!v || !fi_vocab_uri(v))
        return FI_EINVAL;
    if (d->nvocabs >= MAX_VOCABS)
        return FI_ELIMIT;
    d->vocabs[d->nvocabs++] = v;
    return FI_OK;
}

void fi_decoder_reset(fi_decoder *d)
{
    d->err = 0;
    d->err_off = d->base_off = d->cur = 0;
    d->in.len = d->text.len = 0;
    d->need = 0;
    d->state = ST_START;
    d->comp = d->vflags = 0;
    d->nns = d->nattrs = d->depth = 0;
    d->seen_root = 0;
    fi_arena_reset(&d->mem, &d->scratch);
    if (tables_init(d))
        fail(d, FI_ENOMEM, 0);
}

uint64_t fi_decoder_offset(const fi_decoder *d)
{
    return d->err ? d->err_off : d->cur;
}

int fi_decoder_error(const fi_decoder *d)
{
    return d->err;
}

size_t fi_decoder_depth(const fi_decoder *d)
{
    return d->depth;
}
