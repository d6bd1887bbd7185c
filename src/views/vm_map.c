/* vm_map.c -- open-addressing hash map, 64-bit keys to 32-bit values.
 *
 * Fibonacci hashing picks the home bucket; collisions probe linearly.
 * Deletion shifts later entries of the same cluster back, so lookups
 * never meet tombstones.  The load stays at most 3/4.  vm_idmap, at the
 * end, is the same scheme over 8-byte (id, value) buckets. */
#include "vm_map.h"

#include <string.h>

static size_t home(const vm_map *m, uint64_t key)
{
    uint64_t h = (key ^ (key >> 29)) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (m->cap - 1);
}

void vm_map_init(vm_map *m, const vm_allocator *alloc)
{
    memset(m, 0, sizeof *m);
    m->alloc = alloc;
}

void vm_map_fini(vm_map *m)
{
    vm_mem_free(m->alloc, m->keys);
    vm_mem_free(m->alloc, m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->count = 0;
}

static void insert_fresh(vm_map *m, uint64_t key, uint32_t val)
{
    size_t i = home(m, key);

    while (m->keys[i] != VM_MAP_EMPTY && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == VM_MAP_EMPTY)
        m->count++;
    m->keys[i] = key;
    m->vals[i] = val;
}

static int rehash(vm_map *m, size_t ncap)
{
    vm_map old = *m;
    uint64_t *keys = vm_mem_realloc(m->alloc, NULL, ncap * sizeof *keys);
    uint32_t *vals = vm_mem_realloc(m->alloc, NULL, ncap * sizeof *vals);

    if (!keys || !vals) {
        vm_mem_free(m->alloc, keys);
        vm_mem_free(m->alloc, vals);
        return VM_ENOMEM;
    }
    memset(keys, 0xff, ncap * sizeof *keys);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != VM_MAP_EMPTY)
            insert_fresh(m, old.keys[i], old.vals[i]);
    vm_mem_free(m->alloc, old.keys);
    vm_mem_free(m->alloc, old.vals);
    return VM_OK;
}

int vm_map_reserve(vm_map *m, size_t n)
{
    size_t need = m->count + n, ncap = m->cap ? m->cap : 8;

    while (need * 4 > ncap * 3)
        ncap *= 2;
    return ncap == m->cap ? VM_OK : rehash(m, ncap);
}

int vm_map_put(vm_map *m, uint64_t key, uint32_t val)
{
    int rc = vm_map_reserve(m, 1);

    if (rc)
        return rc;
    insert_fresh(m, key, val);
    return VM_OK;
}

static bool find(const vm_map *m, uint64_t key, size_t *at)
{
    if (!m->cap)
        return false;
    for (size_t i = home(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            *at = i;
            return true;
        }
        if (m->keys[i] == VM_MAP_EMPTY)
            return false;
    }
}

bool vm_map_get(const vm_map *m, uint64_t key, uint32_t *val)
{
    size_t i;

    if (!find(m, key, &i))
        return false;
    *val = m->vals[i];
    return true;
}

/* Is bucket j's home cyclically outside (i, j]?  Then it may move to i. */
static bool may_fill(const vm_map *m, size_t i, size_t j)
{
    size_t h = home(m, m->keys[j]);

    return i <= j ? (h <= i || h > j) : (h <= i && h > j);
}

bool vm_map_del(vm_map *m, uint64_t key)
{
    size_t i, j;

    if (!find(m, key, &i))
        return false;
    for (j = (i + 1) & (m->cap - 1); m->keys[j] != VM_MAP_EMPTY;
         j = (j + 1) & (m->cap - 1)) {
        if (may_fill(m, i, j)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = VM_MAP_EMPTY;
    m->count--;
    return true;
}

void vm_map_clear(vm_map *m, size_t keep)
{
    if (m->cap > keep) {
        vm_map_fini(m);
        return;
    }
    if (m->count && m->cap)
        memset(m->keys, 0xff, m->cap * sizeof *m->keys);
    m->count = 0;
}

size_t vm_map_memory(const vm_map *m)
{
    if (!m->cap)
        return 0;
    return vm_mem_block(m->cap * sizeof *m->keys) +
           vm_mem_block(m->cap * sizeof *m->vals);
}

/* ---- vm_idmap ---- */

static size_t id_home(const vm_idmap *m, vm_id id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (m->cap - 1);
}

void vm_idmap_init(vm_idmap *m, const vm_allocator *alloc)
{
    memset(m, 0, sizeof *m);
    m->alloc = alloc;
}

void vm_idmap_fini(vm_idmap *m)
{
    vm_mem_free(m->alloc, m->b);
    m->b = NULL;
    m->cap = m->count = 0;
}

static size_t id_slot(const vm_idmap *m, vm_id id)
{
    size_t i = id_home(m, id);

    while (m->b[i].id != VM_ID_NONE && m->b[i].id != id)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void vm_idmap_put(vm_idmap *m, vm_id id, uint32_t val)
{
    size_t i = id_slot(m, id);

    m->count += m->b[i].id == VM_ID_NONE;
    m->b[i] = (struct vm_idmap_bucket){id, val};
}

int vm_idmap_reserve(vm_idmap *m, size_t n)
{
    size_t need = m->count + n, ncap = m->cap ? m->cap : 8;
    vm_idmap old = *m;

    while (need * 8 > ncap * 7)
        ncap *= 2;
    if (ncap == m->cap)
        return VM_OK;
    if (ncap > SIZE_MAX / sizeof *m->b ||
        !(m->b = vm_mem_realloc(m->alloc, NULL, ncap * sizeof *m->b))) {
        m->b = old.b;
        return VM_ENOMEM;
    }
    memset(m->b, 0xff, ncap * sizeof *m->b);
    m->cap = ncap;
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.b[i].id != VM_ID_NONE)
            vm_idmap_put(m, old.b[i].id, old.b[i].val);
    vm_mem_free(m->alloc, old.b);
    return VM_OK;
}

bool vm_idmap_get(const vm_idmap *m, vm_id id, uint32_t *val)
{
    size_t i;

    if (!m->cap || id == VM_ID_NONE)
        return false;
    i = id_slot(m, id);
    if (m->b[i].id == VM_ID_NONE)
        return false;
    *val = m->b[i].val;
    return true;
}

bool vm_idmap_del(vm_idmap *m, vm_id id)
{
    size_t i, j, mask = m->cap - 1;

    if (!m->cap || id == VM_ID_NONE || m->b[i = id_slot(m, id)].id != id)
        return false;
    /* Backward shift: bucket j may fill hole i unless its home is
     * cyclically in (i, j]. */
    for (j = (i + 1) & mask; m->b[j].id != VM_ID_NONE; j = (j + 1) & mask) {
        size_t h = id_home(m, m->b[j].id);
        if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
            m->b[i] = m->b[j];
            i = j;
        }
    }
    m->b[i].id = VM_ID_NONE;
    m->count--;
    return true;
}

size_t vm_idmap_memory(const vm_idmap *m)
{
    return m->cap ? vm_mem_block(m->cap * sizeof *m->b) : 0;
}
