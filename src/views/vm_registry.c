/* vm_registry.c -- the registry: the one list of view managers, the plain
 * ones (vm_plain.c) then the compositions.  Everything else that names
 * them (xmucd's configuration and room form, the CLI, benchmarks,
 * vm_draw) walks it with vm_manager_name.  The order is the one the room
 * configuration form offers. */
#include "vm_registry.h"
#include "vm_plain.h"

#include <string.h>

static const struct {
    const char *name;
    int (*make)(const vm_config *, vm **);
} compositions[] = {
    {"treegossip", vm_treegossip_new},
    {"tapbcast", vm_tapbcast_new},
};
#define NCOMP (sizeof compositions / sizeof *compositions)

int vm_new(const char *type, const vm_config *cfg, vm **out)
{
    if (!type || !out)
        return VM_EINVAL;
    for (size_t i = 0; i < NCOMP; i++)
        if (!strcmp(type, compositions[i].name))
            return compositions[i].make(cfg, out);
    return vm_plain_new(type, cfg, out);
}

const char *vm_manager_name(size_t i)
{
    size_t nplain = 0;

    while (vm_plain_name(nplain))
        nplain++;
    if (i < nplain)
        return vm_plain_name(i);
    return i - nplain < NCOMP ? compositions[i - nplain].name : NULL;
}

bool vm_manager_known(const char *name)
{
    for (size_t i = 0; name && vm_manager_name(i); i++)
        if (!strcmp(name, vm_manager_name(i)))
            return true;
    return false;
}
