/* vm_plain.c -- the plain view managers by name (see vm_plain.h). */
#include "vm_plain.h"

#include <string.h>

static const struct {
    const char *name;
    int (*make)(const vm_config *, vm **);
} types[] = {
    {"complete", vm_complete_new}, {"rbt", vm_rbt_new},
    {"ring", vm_ring_new},         {"random", vm_random_new},
    {"blind", vm_blind_new},
};
#define NTYPES (sizeof types / sizeof *types)

int vm_plain_new(const char *type, const vm_config *cfg, vm **out)
{
    if (!type || !out)
        return VM_EINVAL;
    for (size_t i = 0; i < NTYPES; i++)
        if (!strcmp(type, types[i].name))
            return types[i].make(cfg, out);
    return VM_EINVAL;
}

const char *vm_plain_name(size_t i)
{
    return i < NTYPES ? types[i].name : NULL;
}
