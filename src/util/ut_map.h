/* ut_map.h -- a string-keyed hash map (open addressing, linear probing).
 * Keys are copied; values are the caller's.  Not safe to change while a
 * ut_map_each walk is running. */
#ifndef SRC_UTIL_UT_MAP_H
#define SRC_UTIL_UT_MAP_H

#include <stddef.h>

#include "ut.h"

typedef struct ut_map ut_map;

/* A new empty map in *out: UT_OK, or UT_ENOMEM (*out untouched). */
int ut_map_new(ut_map **out);
/* Frees the map and its keys, not the values.  NULL is accepted. */
void ut_map_free(ut_map *m);

/* The value of key, or NULL when absent. */
void *ut_map_get(const ut_map *m, const char *key);
/* Inserts or replaces: UT_OK, or UT_ENOMEM (nothing changed). */
int ut_map_put(ut_map *m, const char *key, void *value);
/* Removes key; returns its value, or NULL if absent. */
void *ut_map_del(ut_map *m, const char *key);
size_t ut_map_size(const ut_map *m);

/* Calls fn for every entry, in slot order (the same for the same
 * history of puts and deletes); a non-zero return stops the walk and is
 * returned. */
int ut_map_each(const ut_map *m,
                int (*fn)(void *ctx, const char *key, void *value), void *ctx);

#endif
