/* vm_map.h -- an open-addressing hash map from 64-bit keys to 32-bit
 * values (linear probing, backward-shift deletion, no tombstones).  Maps
 * member ids to slots, and (observer, subject) pairs to edge records.
 * The key UINT64_MAX is reserved (it marks empty buckets).  Not installed.
 */
#ifndef SRC_VIEWS_VM_MAP_H
#define SRC_VIEWS_VM_MAP_H

#include "vm_internal.h"

typedef struct vm_map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap; /* buckets: 0 or a power of two */
    size_t count;
    const vm_allocator *alloc;
} vm_map;

#define VM_MAP_EMPTY UINT64_MAX

static inline uint64_t vm_pair(vm_id a, vm_id b)
{
    return ((uint64_t)a << 32) | b;
}

void vm_map_init(vm_map *m, const vm_allocator *alloc);
void vm_map_fini(vm_map *m);
/* Ensures `n` more puts cannot fail.  VM_OK or VM_ENOMEM. */
int vm_map_reserve(vm_map *m, size_t n);
/* Inserts or overwrites.  VM_OK or VM_ENOMEM (map unchanged). */
int vm_map_put(vm_map *m, uint64_t key, uint32_t val);
/* Returns true and sets *val when the key is present. */
bool vm_map_get(const vm_map *m, uint64_t key, uint32_t *val);
/* Returns true when the key was present (and is now removed). */
bool vm_map_del(vm_map *m, uint64_t key);
/* Empties the map; frees its buckets when they are many (> keep). */
void vm_map_clear(vm_map *m, size_t keep);
size_t vm_map_memory(const vm_map *m);

/* vm_idmap: the same for 32-bit member ids, with the id and its value
 * side by side in one 8-byte bucket, so that a lookup costs one cache
 * line (vm_map's separate key and value arrays cost two).  The id
 * VM_ID_NONE is reserved (it marks empty buckets). */
struct vm_idmap_bucket {
    vm_id id;
    uint32_t val;
};

typedef struct vm_idmap {
    struct vm_idmap_bucket *b;
    size_t cap; /* 0 or a power of two */
    size_t count;
    const vm_allocator *alloc;
} vm_idmap;

void vm_idmap_init(vm_idmap *m, const vm_allocator *alloc);
void vm_idmap_fini(vm_idmap *m);
/* Ensures `n` more puts cannot fail.  VM_OK or VM_ENOMEM. */
int vm_idmap_reserve(vm_idmap *m, size_t n);
/* Inserts or overwrites; reserve first (it cannot fail then). */
void vm_idmap_put(vm_idmap *m, vm_id id, uint32_t val);
bool vm_idmap_get(const vm_idmap *m, vm_id id, uint32_t *val);
bool vm_idmap_del(vm_idmap *m, vm_id id);
size_t vm_idmap_memory(const vm_idmap *m);

#endif
