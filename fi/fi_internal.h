/* fi_internal.h -- the codec's private structures (prefix fi_, not installed).
 *
 * Memory: every decoder, encoder and writer owns a struct fi_mem, a copy of
 * the context's allocator and limits plus a running total of the bytes it
 * holds; every allocation goes through it and fails with FI_ELIMIT before
 * the total would pass max_memory.  Strings that must stay put (table
 * entries, names on the element stack) live in arenas of fixed blocks. */
#ifndef FI_FI_INTERNAL_H
#define FI_FI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fi.h"

#define FI_DEFAULT_DEPTH 256
#define FI_DEFAULT_STRING (1u << 20)
#define FI_DEFAULT_ENTRIES 65536
#define FI_DEFAULT_MEMORY (32u << 20)
#define FI_DEFAULT_ATTRS 512
#define FI_TABLE_HARD_MAX (1u << 20) /* X.891: indices are at most 2^20 */

struct fi_ctx {
    struct fi_allocator a;
    struct fi_limits lim;
};

struct fi_mem {
    struct fi_allocator a;
    struct fi_limits lim;
    size_t used;
    int limited; /* the last refusal was max_memory, not the allocator */
};

void fi_mem_init(struct fi_mem *m, const fi_ctx *ctx);
void *fi_mem_alloc(struct fi_mem *m, size_t n);
/* Grows or shrinks p from old to n bytes; NULL on failure (p intact). */
void *fi_mem_realloc(struct fi_mem *m, void *p, size_t old, size_t n);
void fi_mem_free(struct fi_mem *m, void *p, size_t n);
/* FI_ELIMIT or FI_ENOMEM after a failed fi_mem_alloc/realloc. */
int fi_mem_why(const struct fi_mem *m, size_t n);

/* A growable byte buffer. */
struct fi_buf {
    uint8_t *p;
    size_t len, cap;
};
int fi_buf_reserve(struct fi_mem *m, struct fi_buf *b, size_t extra);
int fi_buf_append(struct fi_mem *m, struct fi_buf *b, const void *d, size_t n);
void fi_buf_free(struct fi_mem *m, struct fi_buf *b);

/* An arena of blocks: allocations never move until fi_arena_reset. */
struct fi_block {
    struct fi_block *next;
    size_t size, used;
    max_align_t data[];
};
struct fi_arena {
    struct fi_block *head;
};
void *fi_arena_alloc_slow(struct fi_mem *m, struct fi_arena *a, size_t n);
/* The common case (room in the current block) inline: one call per string
 * the decoder keeps. */
static inline void *fi_arena_alloc(struct fi_mem *m, struct fi_arena *a,
                                   size_t n)
{
    struct fi_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;

    if (b && need >= n && b->size - b->used >= need) {
        void *p = (char *)b->data + b->used;
        b->used += need;
        return p;
    }
    return fi_arena_alloc_slow(m, a, n);
}
char *fi_arena_dup(struct fi_mem *m, struct fi_arena *a, const void *s,
                   size_t n);
void fi_arena_reset(struct fi_mem *m, struct fi_arena *a); /* keeps one */
void fi_arena_free(struct fi_mem *m, struct fi_arena *a);

/* A growable array of fixed-size records. */
int fi_grow(struct fi_mem *m, void **arr, size_t *cap, size_t need,
            size_t size);

/* ---- vocabulary object ---- */
struct fi_vname {
    uint32_t prefix, ns, local; /* wire indices, 0 = none */
};
struct fi_vocab {
    struct fi_mem mem;
    struct fi_arena arena;
    const char *uri;
    struct fi_str *s[FI_T_COUNT];
    size_t n[FI_T_COUNT], cap[FI_T_COUNT];
    struct fi_vname *names[FI_T_COUNT];
    int is_static;
};

/* ---- text: UTF-8/16, alphabets, algorithms (fi_text.c) ---- */
int fi_utf8_check(const uint8_t *p, size_t n);
/* Inline: most strings are short and ASCII, tested 8 octets at a time
 * (OR-ed, one branch per 16), the tail as one overlapping word (or two
 * overlapping 4-octet words, or three octets, below 8); the rest goes to
 * fi_utf8_check. */
static inline int fi_utf8_valid(const uint8_t *p, size_t n)
{
    uint64_t w = 0, v;
    uint32_t x;
    size_t i = 0;

    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            memcpy(&v, p + i, 8);
            w |= v;
            if ((i & 8) && (w & 0x8080808080808080ull))
                return fi_utf8_check(p, n);
        }
        memcpy(&v, p + n - 8, 8);
        w |= v;
    } else if (n >= 4) {
        memcpy(&x, p, 4);
        w = x;
        memcpy(&x, p + n - 4, 4);
        w |= x;
    } else if (n) {
        w = (uint64_t)(p[0] | p[n / 2] | p[n - 1]);
    }
    return (w & 0x8080808080808080ull) ? fi_utf8_check(p, n) : 1;
}
/* Appends the UTF-8 form of UTF-16BE octets to b. */
int fi_utf16_to_utf8(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                     size_t n);
int fi_utf8_to_utf16(struct fi_mem *m, struct fi_buf *b, const uint8_t *p,
                     size_t n);
/* Restricted alphabet: chars is the alphabet as UTF-8 text. */
int fi_alphabet_decode(struct fi_mem *m, struct fi_buf *b, struct fi_str chars,
                       const uint8_t *p, size_t n);
int fi_alphabet_encode(struct fi_mem *m, struct fi_buf *b, struct fi_str chars,
                       const char *s, size_t n);
/* Built-in alphabets 1 (numeric) and 2 (date and time). */
extern const struct fi_str fi_builtin_alphabets[2];
/* Built-in algorithms 1..10 to text; FI_EALGORITHM on bad data. */
int fi_algorithm_to_text(struct fi_mem *m, struct fi_buf *b, unsigned alg,
                         const uint8_t *p, size_t n);
/* Canonical base64 text to octets: 0 ok, 1 not canonical, <0 error. */
int fi_base64_decode(struct fi_mem *m, struct fi_buf *b, const char *s,
                     size_t n);

/* ---- hash map from byte strings to indices (encoder tables) ---- */
struct fi_map_slot {
    const char *k;
    uint32_t klen, hash, idx;
};
struct fi_map {
    struct fi_map_slot *s;
    size_t cap, n;
};
uint32_t fi_hash(const void *k, size_t n);
/* Returns the index for key, or 0 if absent. */
uint32_t fi_map_get(const struct fi_map *m, const void *k, size_t n);
/* Adds key (copied into arena) with index idx. */
int fi_map_put(struct fi_mem *mem, struct fi_arena *a, struct fi_map *m,
               const void *k, size_t n, uint32_t idx);
void fi_map_clear(struct fi_map *m);
void fi_map_free(struct fi_mem *mem, struct fi_map *m);
/* dst becomes a copy of src's slots (the keys are shared, not copied). */
int fi_map_copy(struct fi_mem *mem, struct fi_map *dst,
                const struct fi_map *src);
/* m holds exactly the entries of snap again (a copy made by fi_map_copy
 * when m held them), whatever was added since; no allocation. */
void fi_map_restore(struct fi_map *m, const struct fi_map *snap);

/* The allocator and limits an encoder was made with. */
void fi_encoder_ctx(const fi_encoder *e, fi_ctx *out);

/* ---- integer and length forms (fi_bits.c), shared by both sides ---- */
/* Encoders append to b: high bits of the first octet come in `first`. */
int fi_put_int2(struct fi_mem *m, struct fi_buf *b, uint8_t first,
                uint32_t i); /* 1..2^20 on the 2nd bit */
int fi_put_int3(struct fi_mem *m, struct fi_buf *b, uint8_t first, uint32_t i);
int fi_put_int4(struct fi_mem *m, struct fi_buf *b, uint8_t first, uint32_t i);
int fi_put_len2(struct fi_mem *m, struct fi_buf *b, uint8_t first,
                size_t n); /* non-empty octet string length, 2nd bit */
int fi_put_len5(struct fi_mem *m, struct fi_buf *b, uint8_t first, size_t n);
int fi_put_len7(struct fi_mem *m, struct fi_buf *b, uint8_t first, size_t n);

#endif
