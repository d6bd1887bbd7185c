/* vm.h -- view managers: which members of a room are told about whom.
 *
 * A view manager (prefix vm_) is pure logic.  It is given join and leave
 * events for compact member ids and answers with view deltas: "observer A
 * now sees subject B, with these attributes" (VM_SEE) and "A no longer
 * sees B" (VM_UNSEE).  The delta stream is exact: replaying every delta
 * since creation onto empty views yields the manager's current views, and
 * within one operation no (A, B) pair is reported twice, so no delta is
 * cancelled by a later one.  A VM_SEE for a pair A already sees replaces
 * its attribute set.
 *
 * Managers: complete (everyone sees everyone, XEP-0045), blind (nobody sees
 * anyone), rbt (red-black tree neighbours), ring (predecessor and
 * successor in an order), random (out-degree d), composite (a union of
 * sub-managers chosen per join by a small composition table) and
 * tapbcast (a composite of network segments, see "Segments").  See
 * docs/views.md for the policies and their costs.
 *
 * Results: 0 (VM_OK) on success, a negative enum vm_result on failure;
 * vm_strerror() names them.  Out of memory is returned, never aborted on.
 * Nothing here does I/O: exports go through a writer callback. */
#ifndef SRC_VIEWS_VM_H
#define SRC_VIEWS_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* A member: a compact id chosen by the caller (the component maps ids to
 * JIDs).  VM_ID_NONE is reserved. */
typedef uint32_t vm_id;
#define VM_ID_NONE UINT32_MAX

enum vm_result {
    VM_OK = 0,
    VM_ENOMEM = -1,   /* an allocation failed; state is still consistent */
    VM_EINVAL = -2,   /* bad argument or parameter */
    VM_EEXIST = -3,   /* join of a member already joined */
    VM_ENOENT = -4,   /* leave of (or query on) an unknown member */
    VM_ECORRUPT = -5, /* vm_check found a broken invariant */
    VM_EWRITE = -6,   /* an export writer callback failed */
    VM_EBUSY = -7,    /* called from inside this manager's own callback */
};

/* Words for a result code; never NULL. */
VM_API const char *vm_strerror(int code);

/* Attributes say why an edge exists.  They form a bitmask; an edge held
 * for several reasons (in a composite) carries the union. */
enum vm_attr {
    VM_ATTR_MEMBER = 1u << 0,    /* "member": complete view */
    VM_ATTR_TREE = 1u << 1,      /* "tree": red-black tree neighbour */
    VM_ATTR_GOSSIP = 1u << 2,    /* "gossip": random contact */
    VM_ATTR_RING_NEXT = 1u << 3, /* "ring-next": successor in the ring */
    VM_ATTR_RING_PREV = 1u << 4, /* "ring-prev": predecessor in the ring */
    VM_ATTR_LEADER = 1u << 5,    /* "leader": a leaders' ring or tree */
};
/* "finger-N", N in 0..VM_ATTR_FINGER_MAX (Chord-like compositions). */
#define VM_ATTR_FINGER_MAX 23
#define VM_ATTR_FINGER(n) (1u << (8 + (n)))

/* The name of one attribute bit ("tree", "finger-3"), or NULL when the
 * argument is not a single known bit.  The returned string is static. */
VM_API const char *vm_attr_name(uint32_t bit);
/* The bit named `name`, or 0 when unknown. */
VM_API uint32_t vm_attr_parse(const char *name);
/* Writes the comma-separated names of `attrs` into buf (always
 * terminated when len > 0).  Returns the length it needed, as snprintf. */
VM_API int vm_attrs_format(uint32_t attrs, char *buf, size_t len);

enum vm_delta_kind { VM_SEE = 1, VM_UNSEE = 2 };

typedef struct vm_delta {
    vm_id observer; /* the member whose view changes */
    vm_id subject;  /* the member it starts or stops seeing */
    enum vm_delta_kind kind;
    uint32_t attrs; /* VM_SEE: the full new attribute set; VM_UNSEE: 0 */
} vm_delta;

/* The delta sink.  Called during vm_join/vm_leave, in the order the deltas
 * apply.  It must not call back into the manager that emits (join, leave,
 * free: those return VM_EBUSY); reading other managers is fine. */
typedef void (*vm_emit_fn)(void *ctx, const vm_delta *d);

/* Optional allocator; NULL members mean the C library's.  realloc must
 * accept NULL like realloc(3); free must accept NULL. */
typedef struct vm_allocator {
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} vm_allocator;

/* Orders ring members: negative, zero or positive as a sorts before, with
 * or after b.  Ties are broken by member id, so any consistent function
 * gives a total order.  Keys come from vm_params.key (or the id). */
typedef int (*vm_order_fn)(void *ctx, vm_id a, uint64_t key_a, vm_id b,
                           uint64_t key_b);

typedef struct vm_config {
    vm_emit_fn emit; /* may be NULL: deltas are dropped */
    void *emit_ctx;
    uint64_t seed;             /* seeds the manager's own PRNG (rbt, random) */
    const vm_allocator *alloc; /* copied; NULL for the C library's */
    vm_order_fn order;         /* ring only; NULL: by key, then by id */
    void *order_ctx;
    uint32_t attr; /* complete, rbt, random: attribute their edges
                    * carry instead of the default (0: default);
                    * ring: added to ring-next and ring-prev, which
                    * still say the direction */
} vm_config;

/* Per-join parameters; zero means "default" everywhere. */
typedef struct vm_params {
    uint32_t view_size; /* rbt: s, default 3; the member is inserted
                         * max(1, s/3) times and sees at most s others */
    uint32_t degree;    /* random: out-degree; 0 follows ceil(log2 |G|) */
    uint64_t key;       /* rbt: first tree key; ring: sort key */
    bool has_key;       /* key is meaningful (else rbt random, ring id) */
    uint32_t segment;   /* for compositions (network segment, ...) */
} vm_params;

#define VM_VIEW_SIZE_MAX 255

/* One entry of a view: whom the observer sees and why. */
typedef struct vm_edge {
    vm_id subject;
    uint32_t attrs;
} vm_edge;

typedef struct vm vm;

/* Constructors.  *out is set only on VM_OK; the caller frees with
 * vm_free.  cfg may be NULL (no sink, seed 0, libc allocator). */
VM_API int vm_complete_new(const vm_config *cfg, vm **out);
VM_API int vm_blind_new(const vm_config *cfg, vm **out);
VM_API int vm_rbt_new(const vm_config *cfg, vm **out);
/* The first tree key of a member of an rbt manager (VM_EINVAL when v is
 * not one, VM_ENOENT for an unknown member).  For pictures: the key says
 * where the member sits in the tree. */
VM_API int vm_rbt_key(const vm *v, vm_id id, uint64_t *key);
VM_API int vm_ring_new(const vm_config *cfg, vm **out);
VM_API int vm_random_new(const vm_config *cfg, vm **out);
/* The example composition (see vm_treegossip.c): every member joins an rbt
 * (attr "tree") and a random manager (attr "gossip"). */
VM_API int vm_treegossip_new(const vm_config *cfg, vm **out);
/* Topology-aware bimodal multicast (see vm_tapbcast.c and "Segments"
 * below): per segment an rbt ("tree") and a random manager ("gossip");
 * the oldest member of each segment in a ring ordered by segment id. */
VM_API int vm_tapbcast_new(const vm_config *cfg, vm **out);
/* By name: "complete", "rbt", "ring", "random", "blind", "treegossip",
 * "tapbcast" (the registry, walked with vm_manager_name). */
VM_API int vm_new(const char *type, const vm_config *cfg, vm **out);
/* The name of the i-th manager vm_new knows, in a fixed order; NULL when
 * i is past the last, so `for (i = 0; (n = vm_manager_name(i)); i++)`
 * walks them all. */
VM_API const char *vm_manager_name(size_t i);
/* Whether vm_new knows name (NULL: false). */
VM_API bool vm_manager_known(const char *name);
/* Frees the manager; emits nothing.  NULL is accepted. */
VM_API void vm_free(vm *v);

/* The manager's type name ("rbt", ...; a composite's composition name). */
VM_API const char *vm_name(const vm *v);

/* Adds a member (p NULL: defaults).  VM_EEXIST, VM_EINVAL (bad id or
 * params), VM_ENOMEM (nothing changed).  Once a random manager has
 * recorded the member, running out of memory while drawing contacts is
 * not an error: the member joins short of contacts and later operations
 * repair it.  Composites undo a failed join in every child. */
VM_API int vm_join(vm *v, vm_id id, const vm_params *p);
/* Removes a member; deltas unsee it everywhere.  VM_ENOENT if unknown. */
VM_API int vm_leave(vm *v, vm_id id);

VM_API bool vm_contains(const vm *v, vm_id id);
VM_API size_t vm_size(const vm *v);

/* Iteration callbacks return 0 to continue; any other value stops the
 * walk and is returned by the walking function.  The manager must not be
 * changed during a walk. */
typedef int (*vm_member_fn)(void *ctx, vm_id id);
typedef int (*vm_edge_fn)(void *ctx, vm_id observer, const vm_edge *e);

/* Every member, in an unspecified but deterministic order. */
VM_API int vm_members_each(const vm *v, vm_member_fn fn, void *ctx);
/* The view of `observer` (VM_ENOENT if not a member). */
VM_API int vm_view_each(const vm *v, vm_id observer, vm_edge_fn fn, void *ctx);
/* Copies the view of `observer` into out[0..cap), sorted by subject, and
 * sets *n to its full size (which may exceed cap). */
VM_API int vm_view(const vm *v, vm_id observer, vm_edge *out, size_t cap,
                   size_t *n);
/* Every edge of the topology: members_each, then each one's view. */
VM_API int vm_topology_each(const vm *v, vm_edge_fn fn, void *ctx);

/* Bytes of memory the manager holds (its allocations, approximately
 * including allocator headers; children included). */
VM_API size_t vm_memory(const vm *v);
/* Checks internal invariants (red-black rules, ring order, degrees,
 * reference counts).  VM_OK or VM_ECORRUPT.  O(|G| log |G|). */
VM_API int vm_check(const vm *v);

/* Topology export.  The writer returns 0 on success; any failure makes
 * vm_export return VM_EWRITE.  JSON: {"manager":..,"members":[ids],
 * "edges":[{"from":a,"to":b,"attrs":["tree",...]}]}, then, when there
 * are any, "keys":{"id":"16 hex digits"} (the member's rbt key, found in
 * the manager or its composite children) and "segments":{"id":segment}
 * (tapbcast).  DOT: a digraph;
 * a pair of opposite edges with equal attributes is drawn once with
 * dir=both; edges are labelled and coloured by attribute. */
enum vm_format { VM_FORMAT_JSON = 1, VM_FORMAT_DOT = 2 };
typedef int (*vm_write_fn)(void *ctx, const char *buf, size_t len);
VM_API int vm_export(const vm *v, enum vm_format fmt, vm_write_fn write,
                     void *ctx);

/* ---- Composite managers -------------------------------------------
 *
 * A composition says what happens on join and leave: which sub-managers
 * (children) receive the member, with which params.  The composite merges
 * the children's deltas: A sees B while any child has the edge A->B, with
 * the union of their attributes, and unsees B when none has it.  Deltas
 * are netted per operation, so a composite's stream is exact too. */
typedef struct vm_composition {
    const char *name;  /* what vm_name returns */
    size_t state_size; /* bytes of zeroed state handed to the hooks */
    /* Creates the initial children with vm_composite_add.  May be NULL. */
    int (*init)(vm *self, void *state);
    /* Places a joining member into children (vm_composite_join).  On
     * failure the composite removes the member from every child (and
     * calls leave, when join succeeded but the bookkeeping failed). */
    int (*join)(vm *self, void *state, vm_id id, const vm_params *p);
    /* Removes a leaving member.  NULL: from every child that holds it. */
    int (*leave)(vm *self, void *state, vm_id id);
    /* Releases what init and join allocated in state.  May be NULL. */
    void (*fini)(vm *self, void *state);
    /* Checks the composition's own invariants (vm_check calls it before
     * the composite's).  VM_OK or VM_ECORRUPT.  May be NULL. */
    int (*check)(const vm *self, const void *state);
    /* Makes a child for vm_composite_add.  NULL: the plain managers only
     * (complete, rbt, ring, random, blind); a composition that nests
     * compositions sets vm_new, so its children may be any registered
     * manager ("treegossip", "tapbcast", ...).  The composite sits below
     * the registry, so it never reaches up for one by itself. */
    int (*make)(const char *type, const vm_config *cfg, vm **out);
} vm_composition;

/* `c` must outlive the manager (a static table, typically). */
VM_API int vm_composite_new(const vm_config *cfg, const vm_composition *c,
                            vm **out);
/* Adds a child of the given type to a composite: made by the
 * composition's `make` (any registered manager when it is vm_new), or,
 * when that is NULL, one of the plain types ("complete", "rbt", "ring",
 * "random", "blind"; VM_EINVAL for another); only
 * child->order, order_ctx and attr of child_cfg are used (may be NULL).
 * The child's seed is drawn from the composite's PRNG.  Sets *index. */
VM_API int vm_composite_add(vm *self, const char *type,
                            const vm_config *child_cfg, size_t *index);
VM_API int vm_composite_join(vm *self, size_t child, vm_id id,
                             const vm_params *p);
VM_API int vm_composite_leave(vm *self, size_t child, vm_id id);
VM_API size_t vm_composite_children(const vm *self);
/* A child, for reading only (NULL if out of range or not a composite). */
VM_API const vm *vm_composite_child(const vm *self, size_t child);

/* ---- Segments (tapbcast managers only; VM_EINVAL for others) -------
 *
 * A member joins the segment vm_params.segment (any value but
 * UINT32_MAX; 0 is an ordinary segment).  The representative of a
 * segment, the member it puts in the ring, is its longest-present
 * member (the earliest join; a move keeps a member's age).  Moves and
 * merges are single operations with exact deltas, like joins. */

/* Moves a member to `segment` (created if new; the old one disappears
 * when emptied).  VM_ENOENT for an unknown member.  VM_ENOMEM: either
 * nothing changed, or the move is recorded (vm_tapbcast_segment says the
 * new segment) and the views catch up at a later operation. */
VM_API int vm_tapbcast_move(vm *v, vm_id id, uint32_t segment);
/* Moves every member of segment `from` into `into` (created if new):
 * one operation, O(|from| + |into|) steps plus the children's work.
 * VM_ENOENT for an unknown `from`; VM_ENOMEM as for move. */
VM_API int vm_tapbcast_merge(vm *v, uint32_t from, uint32_t into);
/* The segment of a member (VM_ENOENT if unknown). */
VM_API int vm_tapbcast_segment(const vm *v, vm_id id, uint32_t *segment);
/* The representative of a segment (VM_ENOENT if it has no member). */
VM_API int vm_tapbcast_representative(const vm *v, uint32_t segment,
                                      vm_id *rep);
/* How many segments have members. */
VM_API size_t vm_tapbcast_segments(const vm *v);
/* The members of a segment, oldest first. */
VM_API int vm_tapbcast_segment_each(const vm *v, uint32_t segment,
                                    vm_member_fn fn, void *ctx);
/* The representatives (the ring), in an unspecified order. */
VM_API int vm_tapbcast_ring_each(const vm *v, vm_member_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
