/* topo_draw.h -- pictures of a room's view graph (SVG or PNG) that stay
 * readable at 1,000 members.
 *
 * The layout is computed on the structural edges only (tree, ring,
 * leader: what gives the graph its shape); gossip and member edges are
 * drawn over it, faintly when there are many.  Graphviz places the nodes
 * (neato up to CLI_DRAW_SMALL members, sfdp above, or the engine the
 * caller names), then `neato -n2` draws them at those positions scaled
 * into a bounded canvas.  No text on edges: edge kinds are colours,
 * segments are node colours, and a legend under the picture says which
 * is which.  Up to CLI_DRAW_SMALL members, nodes carry their nick and
 * the first four hex digits of their rbt key; above, those are in each
 * node's tooltip. */
#ifndef TOOLS_ORBWEB_TOPO_DRAW_H
#define TOOLS_ORBWEB_TOPO_DRAW_H

#include <stddef.h>
#include <stdio.h>

#include "topo.h"

#define CLI_DRAW_SMALL 150         /* members: labels and arrows up to this */
#define CLI_DRAW_CANVAS 1400       /* points (= PNG pixels): largest side */
#define CLI_DRAW_MAX_EDGES 20000   /* more are counted in the legend only */
#define CLI_DRAW_MAX_MEMBERS 20000 /* more are refused: use --around */

enum cli_draw_format { CLI_DRAW_SVG, CLI_DRAW_PNG };

/* Draws t titled title into out.  layout is NULL or "auto" (by size),
 * or one of dot, neato, sfdp, circo, twopi.  0, or -1 with a sentence in
 * err (Graphviz missing or failing, out of memory, write error). */
int cli_topo_draw(const struct cli_topo *t, const char *title,
                  const char *layout, enum cli_draw_format fmt, FILE *out,
                  char *err, size_t errlen);

/* True when layout is NULL, "auto" or an engine cli_topo_draw takes. */
int cli_topo_layout_ok(const char *layout);

#endif
