/* xm_map.c -- string-keyed hash map: FNV-1a, linear probing, tombstones,
 * grown at 70% load (tombstones included) and rebuilt without them. */
#include "config.h"

#include "xm_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *key; /* NULL: empty; TOMB: deleted */
    void *value;
    uint32_t hash;
};

struct xm_map {
    struct slot *slots;
    size_t cap, used, live; /* used counts live entries and tombstones */
};

static char tomb_mark;
#define TOMB (&tomb_mark)

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

xm_map *xm_map_new(void)
{
    xm_map *m = calloc(1, sizeof *m);

    if (m && !(m->slots = calloc(16, sizeof *m->slots))) {
        free(m);
        return NULL;
    }
    if (m)
        m->cap = 16;
    return m;
}

void xm_map_free(xm_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMB)
            free(m->slots[i].key);
    free(m->slots);
    free(m);
}

/* The slot holding key, or NULL. */
static struct slot *find(const xm_map *m, const char *key, uint32_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMB && s->hash == h && !strcmp(s->key, key))
            return s;
    }
}

static int grow(xm_map *m)
{
    size_t cap = m->live * 4 > m->cap ? m->cap * 2 : m->cap;
    struct slot *old = m->slots, *slots = calloc(cap, sizeof *slots);

    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (!old[i].key || old[i].key == TOMB)
            continue;
        for (j = old[i].hash & (cap - 1); slots[j].key; j = (j + 1) & (cap - 1))
            ;
        slots[j] = old[i];
    }
    free(old);
    m->slots = slots;
    m->cap = cap;
    m->used = m->live;
    return 0;
}

void *xm_map_get(const xm_map *m, const char *key)
{
    struct slot *s = find(m, key, hash_str(key));
    return s ? s->value : NULL;
}

int xm_map_put(xm_map *m, const char *key, void *value)
{
    uint32_t h = hash_str(key);
    struct slot *s = find(m, key, h);
    size_t i;
    char *copy;

    if (s) {
        s->value = value;
        return 0;
    }
    if ((m->used + 1) * 10 > m->cap * 7 && grow(m) < 0)
        return -1;
    if (!(copy = strdup(key)))
        return -1;
    for (i = h & (m->cap - 1); m->slots[i].key && m->slots[i].key != TOMB;
         i = (i + 1) & (m->cap - 1))
        ;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (struct slot){copy, value, h};
    m->live++;
    return 0;
}

void *xm_map_del(xm_map *m, const char *key)
{
    struct slot *s = find(m, key, hash_str(key));
    void *v;

    if (!s)
        return NULL;
    v = s->value;
    free(s->key);
    s->key = TOMB;
    s->value = NULL;
    m->live--;
    return v;
}

size_t xm_map_size(const xm_map *m)
{
    return m->live;
}

int xm_map_each(const xm_map *m, int (*fn)(void *ctx, const char *key,
                                           void *value), void *ctx)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct slot *s = &m->slots[i];
        int r;
        if (s->key && s->key != TOMB && (r = fn(ctx, s->key, s->value)))
            return r;
    }
    return 0;
}
