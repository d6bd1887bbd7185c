/* vm_treegossip.c -- an example composition: a red-black tree for cheap
 * groupcast ("tree" edges) plus a random graph for gossip repair
 * ("gossip" edges), the pair Bimodal Multicast needs.  Every member joins
 * both children with the same params (view size for the tree, out-degree
 * for gossip); leaving uses the composite's default (every child).
 *
 * This is the whole cost of a new composite: a table of hooks.
 * vm_tapbcast.c is a larger one: children per network segment, a shared
 * ring, and operations of its own (moves, merges). */
#include "vm_composite.h"

enum { TREE, GOSSIP };

static int tg_init(vm *self, void *state)
{
    vm_config tree = {.attr = VM_ATTR_TREE};
    vm_config gossip = {.attr = VM_ATTR_GOSSIP};
    int rc = vm_composite_add(self, "rbt", &tree, NULL);

    return rc ? rc : vm_composite_add(self, "random", &gossip, NULL);
}

static int tg_join(vm *self, void *state, vm_id id, const vm_params *p)
{
    int rc = vm_composite_join(self, TREE, id, p);

    return rc ? rc : vm_composite_join(self, GOSSIP, id, p);
}

static const vm_composition treegossip = {
    .name = "treegossip",
    .init = tg_init,
    .join = tg_join,
};

int vm_treegossip_new(const vm_config *cfg, vm **out)
{
    return vm_composite_new(cfg, &treegossip, out);
}
