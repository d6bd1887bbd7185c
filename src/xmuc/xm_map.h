/* xm_map.h -- a string-keyed hash map (open addressing, linear probing).
 * Keys are copied; values are the caller's.  Not safe to change while an
 * xm_map_each walk is running. */
#ifndef SRC_XMUC_XM_MAP_H
#define SRC_XMUC_XM_MAP_H

#include <stddef.h>

typedef struct xm_map xm_map;

xm_map *xm_map_new(void);
/* Frees the map and its keys, not the values. */
void xm_map_free(xm_map *m);

void *xm_map_get(const xm_map *m, const char *key);
/* Inserts or replaces.  0, or -1 when out of memory (nothing changed). */
int xm_map_put(xm_map *m, const char *key, void *value);
/* Removes key; returns its value, or NULL if absent. */
void *xm_map_del(xm_map *m, const char *key);
size_t xm_map_size(const xm_map *m);

/* Calls fn for every entry; a non-zero return stops and is returned. */
int xm_map_each(const xm_map *m, int (*fn)(void *ctx, const char *key,
                                           void *value), void *ctx);

#endif
