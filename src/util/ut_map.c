/* ut_map.c -- string-keyed hash map: FNV-1a, linear probing, tombstones,
 * grown at 70% load (tombstones included) and rebuilt without them. */
#include "ut_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ut_hash.h"

#define FIRST_CAP 16 /* a power of two */

struct slot {
    char *key; /* NULL: empty; TOMB: deleted */
    void *value;
    uint32_t hash;
};

struct ut_map {
    struct slot *slots;
    size_t cap, used, live; /* used counts live entries and tombstones */
};

static char tomb_mark;
#define TOMB (&tomb_mark)

int ut_map_new(ut_map **out)
{
    ut_map *m = calloc(1, sizeof *m);

    if (!m || !(m->slots = calloc(FIRST_CAP, sizeof *m->slots))) {
        free(m);
        return UT_ENOMEM;
    }
    m->cap = FIRST_CAP;
    *out = m;
    return UT_OK;
}

void ut_map_free(ut_map *m)
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
static struct slot *find(const ut_map *m, const char *key, uint32_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMB && s->hash == h && !strcmp(s->key, key))
            return s;
    }
}

/* Rebuilds the slots without tombstones, doubling them when the live
 * entries alone fill a quarter. */
static int grow(ut_map *m)
{
    size_t cap = m->live * 4 > m->cap ? m->cap * 2 : m->cap;
    struct slot *old = m->slots, *slots = calloc(cap, sizeof *slots);

    if (!slots)
        return UT_ENOMEM;
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
    return UT_OK;
}

void *ut_map_get(const ut_map *m, const char *key)
{
    struct slot *s = find(m, key, ut_fnv1a32_str(key));
    return s ? s->value : NULL;
}

int ut_map_put(ut_map *m, const char *key, void *value)
{
    uint32_t h = ut_fnv1a32_str(key);
    struct slot *s = find(m, key, h);
    size_t i;
    char *copy;

    if (s) {
        s->value = value;
        return UT_OK;
    }
    if ((m->used + 1) * 10 > m->cap * 7 && grow(m) < 0)
        return UT_ENOMEM;
    if (!(copy = strdup(key)))
        return UT_ENOMEM;
    for (i = h & (m->cap - 1); m->slots[i].key && m->slots[i].key != TOMB;
         i = (i + 1) & (m->cap - 1))
        ;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (struct slot){copy, value, h};
    m->live++;
    return UT_OK;
}

void *ut_map_del(ut_map *m, const char *key)
{
    struct slot *s = find(m, key, ut_fnv1a32_str(key));
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

size_t ut_map_size(const ut_map *m)
{
    return m->live;
}

int ut_map_each(const ut_map *m,
                int (*fn)(void *ctx, const char *key, void *value), void *ctx)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct slot *s = &m->slots[i];
        int r;
        if (s->key && s->key != TOMB && (r = fn(ctx, s->key, s->value)))
            return r;
    }
    return 0;
}
