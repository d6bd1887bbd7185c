/* topo.h -- a room's view graph as xmucd reports it, read and drawn for
 * orbweb topo.
 *
 * The input is the JSON in xmucd's <topology format='json'/> answer:
 * vm_export's shape (src/views/vm.h) plus the occupants' nicks,
 *   {"manager":"rbt","members":[1,2],
 *    "edges":[{"from":1,"to":2,"attrs":["tree"]}],
 *    "nicks":{"1":"alice","2":"bob"},
 *    "keys":{"1":"9f3a1c2e00000000"},"segments":{"1":3}}
 * (keys and segments only when the manager has them).
 * It comes from the network, so the reader is strict and bounded: exactly
 * this shape (unknown keys are skipped), ids are 32-bit decimals, depth,
 * string lengths and counts are capped, and errors carry a byte offset. */
#ifndef TOOLS_ORBWEB_TOPO_H
#define TOOLS_ORBWEB_TOPO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_TOPO_MAX_DEPTH 16
#define CLI_TOPO_MAX_STRING 4096   /* bytes of one decoded string */
#define CLI_TOPO_MAX_ITEMS 4000000 /* members, edges or nicks */

enum cli_topo_err {
    CLI_TOPO_OK = 0,
    CLI_TOPO_ENOMEM = -1,
    CLI_TOPO_ESYNTAX = -2, /* not JSON */
    CLI_TOPO_ESHAPE = -3,  /* JSON, but not a topology */
    CLI_TOPO_ELIMIT = -4,  /* too deep, too long, too many */
};

struct cli_topo_edge {
    uint32_t from, to;
    char *attrs; /* owned: the attribute names joined by ',' ("" if none) */
};

struct cli_topo_nick {
    uint32_t id;
    char *nick; /* owned */
};

struct cli_topo_seg {
    uint32_t id, segment;
};

struct cli_topo {
    char *manager; /* owned; NULL when absent */
    uint32_t *members;
    size_t nmembers;
    struct cli_topo_edge *edges; /* sorted by (from, to) */
    size_t nedges;
    struct cli_topo_nick *nicks; /* sorted by id */
    size_t nnicks;
    struct cli_topo_nick *keys; /* sorted by id; key as the JSON had it */
    size_t nkeys;
    struct cli_topo_seg *segs; /* sorted by id */
    size_t nsegs;
    uint32_t center; /* cli_topo_around's member, when has_center */
    int has_center;
};

/* Reads len bytes of JSON into *t (which it initializes).  Returns 0, or
 * a negative enum cli_topo_err with *offset (when not NULL) set to the
 * byte where reading stopped; t is then empty. */
int cli_topo_parse(const char *json, size_t len, struct cli_topo *t,
                   size_t *offset);

/* Frees what t owns and empties it. */
void cli_topo_clear(struct cli_topo *t);

const char *cli_topo_strerror(int code);

/* The nick of id (lent), or NULL when the topology names none. */
const char *cli_topo_nick(const struct cli_topo *t, uint32_t id);

/* qsort/bsearch order of uint32_t values. */
int cli_topo_cmp_u32(const void *x, const void *y);

/* True when name is one of the comma-separated attrs. */
int cli_topo_has_attr(const char *attrs, const char *name);

/* The rbt key of id (lent, hex), or NULL. */
const char *cli_topo_key(const struct cli_topo *t, uint32_t id);

/* The segment of id into *seg: 0, or -1 when the topology names none. */
int cli_topo_segment(const struct cli_topo *t, uint32_t id, uint32_t *seg);

/* The id of the member called nick: 0, or -1 when none is. */
int cli_topo_find(const struct cli_topo *t, const char *nick, uint32_t *id);

/* The neighbourhood of center: the members at most depth hops from it,
 * following edges either way (whom it sees and who sees it), with the
 * edges between them and their nicks, keys and segments, into *out
 * (initialized here; out->center is center).  0, CLI_TOPO_ENOMEM, or
 * CLI_TOPO_ESHAPE when center is not a member. */
int cli_topo_around(const struct cli_topo *t, uint32_t center, unsigned depth,
                    struct cli_topo *out);

/* One line per member: "alice -> bob(tree), carol(tree,gossip)", or
 * "alice [segment 3, key 9f3a1c2e] -> ..." when the topology has them.
 * Members are sorted by nick (those without one last, by id), and so is
 * each member's list: the same room state gives the same bytes whatever
 * the ids and the order of the JSON.  Control characters in nicks are
 * shown as '?'.  0, -1 on a write error, or CLI_TOPO_ENOMEM. */
int cli_topo_write_text(const struct cli_topo *t, FILE *f);

/* A Graphviz digraph titled title: nicks as node labels, edges labelled
 * and coloured by attribute; two opposite edges with the same attributes
 * are drawn once with dir=both.  0, or -1 on a write error. */
int cli_topo_write_dot(const struct cli_topo *t, const char *title, FILE *f);

#endif
