/* topo_draw.c -- cli_topo_draw (topo_draw.h): lays a room's view graph
 * out with Graphviz on its structural edges, scales it into a bounded
 * canvas and draws it with `neato -n2`, edges coloured by kind, nodes by
 * segment, and a legend.
 *
 * Two Graphviz runs, both through temporary files (popen is one-way):
 * the layout engine reads the structural graph and answers -Tplain,
 * whose "node NAME X Y ..." lines are all we read; then the picture is
 * written as DOT with every position pinned and rendered to SVG or PNG.
 * With no structural edge the members are placed on a sunflower spiral
 * (grouped by segment, then by nick), which needs no Graphviz layout. */
#include "config.h"

#include "topo_draw.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEG_COLOURS 12

/* Edge kinds by their dominant attribute, in that order. */
enum kind { K_RING, K_TREE, K_LEADER, K_GOSSIP, K_MEMBER, K_OTHER, K_COUNT };

static const struct {
    const char *name, *colour;
    bool shapes; /* the layout is computed on these */
} kinds[K_COUNT] = {
    {"ring", "#b22222", true},    {"tree", "#222222", true},
    {"leader", "#ff8c00", true},  {"gossip", "#4169e1", false},
    {"member", "#888888", false}, {"other", "#2e8b57", false},
};

/* Tableau's twelve, then grey for the smaller segments. */
static const char *const seg_colour[SEG_COLOURS] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
};
#define SEG_OTHER "#dddddd"
#define NODE_PLAIN "#8fbc8f"

static const char *const engines[] = {"dot", "neato", "sfdp", "circo", "twopi"};

struct seg_count {
    uint32_t segment;
    size_t members;
};

struct drawing {
    const struct cli_topo *t;
    const char *title;
    size_t n;
    double *x, *y;          /* by member index, in points */
    unsigned char *kind;    /* by edge */
    size_t nkind[K_COUNT];  /* edges of each kind */
    size_t nshape;          /* structural edges */
    struct seg_count *segs; /* by size, largest first */
    size_t nsegs;
    bool small, edges_drawn;
    bool layout_all;    /* no structural edge: lay out on all of them */
    const char *engine; /* of the layout run */
    char *err;
    size_t errlen;
};

int cli_topo_layout_ok(const char *layout)
{
    if (!layout || !strcmp(layout, "auto"))
        return 1;
    for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
        if (!strcmp(layout, engines[i]))
            return 1;
    return 0;
}

static int fail(struct drawing *d, const char *what)
{
    snprintf(d->err, d->errlen, "%s", what);
    return -1;
}

/* True when an executable named prog is on PATH. */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];

    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? path : ".", prog);
        if (access(buf, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

static enum kind kind_of(const char *attrs)
{
    if (cli_topo_has_attr(attrs, "ring-next") ||
        cli_topo_has_attr(attrs, "ring-prev"))
        return K_RING;
    if (cli_topo_has_attr(attrs, "tree"))
        return K_TREE;
    if (cli_topo_has_attr(attrs, "leader"))
        return K_LEADER;
    if (cli_topo_has_attr(attrs, "gossip"))
        return K_GOSSIP;
    if (cli_topo_has_attr(attrs, "member"))
        return K_MEMBER;
    return K_OTHER;
}

/* ---- members by index ---------------------------------------------- */

/* The index of id in t->members, or t->nmembers (linear ids are not
 * assumed: members may be any 32-bit values). */
struct index {
    uint32_t id;
    size_t i;
};

static int cmp_index(const void *x, const void *y)
{
    const struct index *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static size_t member_index(const struct index *ix, size_t n, uint32_t id)
{
    struct index key = {id, 0}, *p;

    p = n ? bsearch(&key, ix, n, sizeof key, cmp_index) : NULL;
    return p ? p->i : n;
}

/* ---- segments -------------------------------------------------------- */

static int cmp_seg_count(const void *x, const void *y)
{
    const struct seg_count *a = x, *b = y;

    if (a->members != b->members)
        return a->members > b->members ? -1 : 1;
    return a->segment < b->segment ? -1 : a->segment > b->segment;
}

/* Counts the members of each segment, largest first (sorting, so that
 * many segments cost n log n). */
static int count_segments(struct drawing *d)
{
    const struct cli_topo *t = d->t;
    uint32_t *v = calloc(t->nsegs + 1, sizeof *v);

    if (!v || !(d->segs = calloc(t->nsegs + 1, sizeof *d->segs))) {
        free(v);
        return fail(d, "out of memory");
    }
    for (size_t i = 0; i < t->nsegs; i++)
        v[i] = t->segs[i].segment;
    if (t->nsegs)
        qsort(v, t->nsegs, sizeof *v, cli_topo_cmp_u32);
    for (size_t i = 0; i < t->nsegs; i++) {
        if (!d->nsegs || d->segs[d->nsegs - 1].segment != v[i])
            d->segs[d->nsegs++] = (struct seg_count){v[i], 0};
        d->segs[d->nsegs - 1].members++;
    }
    free(v);
    if (d->nsegs)
        qsort(d->segs, d->nsegs, sizeof *d->segs, cmp_seg_count);
    return 0;
}

/* The fill colour of member id. */
static const char *fill_of(const struct drawing *d, uint32_t id)
{
    uint32_t seg;

    if (cli_topo_segment(d->t, id, &seg))
        return NODE_PLAIN;
    for (size_t k = 0; k < d->nsegs && k < SEG_COLOURS; k++)
        if (d->segs[k].segment == seg)
            return seg_colour[k];
    return SEG_OTHER;
}

/* ---- layout -------------------------------------------------------- */

/* Sunflower order: by segment rank, then nick, then id. */
struct spot {
    size_t rank;
    const char *nick;
    uint32_t id;
    size_t i;
};

static int cmp_spot(const void *x, const void *y)
{
    const struct spot *a = x, *b = y;
    int c;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->nick && b->nick && (c = strcmp(a->nick, b->nick)))
        return c;
    if (!a->nick != !b->nick)
        return a->nick ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The rank of id's segment by size; the small ones (grey) share one. */
static size_t seg_rank(const struct drawing *d, uint32_t id)
{
    uint32_t seg;

    if (cli_topo_segment(d->t, id, &seg))
        return 0;
    for (size_t k = 0; k < d->nsegs && k < SEG_COLOURS; k++)
        if (d->segs[k].segment == seg)
            return k;
    return SEG_COLOURS;
}

/* Places the members on a sunflower spiral (even density, no Graphviz). */
static int spiral(struct drawing *d)
{
    const double golden = 2.39996322972865332; /* radians */
    struct spot *s = calloc(d->n + 1, sizeof *s);

    if (!s)
        return fail(d, "out of memory");
    for (size_t i = 0; i < d->n; i++) {
        uint32_t id = d->t->members[i];
        s[i] = (struct spot){seg_rank(d, id), cli_topo_nick(d->t, id), id, i};
    }
    if (d->n)
        qsort(s, d->n, sizeof *s, cmp_spot);
    for (size_t k = 0; k < d->n; k++) {
        double r = sqrt((double)k + 0.5), a = (double)k * golden;
        d->x[s[k].i] = r * cos(a);
        d->y[s[k].i] = r * sin(a);
    }
    free(s);
    return 0;
}

/* A temporary file for Graphviz; its name into path. */
static FILE *temp_file(char *path, size_t len)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    FILE *f;

    if (!dir || !*dir || strchr(dir, '\''))
        dir = "/tmp";
    snprintf(path, len, "%s/orbweb-topo-XXXXXX", dir);
    if ((fd = mkstemp(path)) < 0)
        return NULL;
    if (!(f = fdopen(fd, "w+"))) {
        close(fd);
        unlink(path);
    }
    return f;
}

/* Runs "prog args 'in'" and reads its output through fn; 0 when both
 * went well. */
static int run(const char *prog, const char *args, const char *in,
               int (*fn)(struct drawing *, FILE *), struct drawing *d)
{
    char cmd[8192];
    FILE *p;
    int rc, st;

    snprintf(cmd, sizeof cmd, "%s %s '%s'", prog, args, in);
    if (!(p = popen(cmd, "r")))
        return fail(d, "cannot run Graphviz");
    rc = fn ? fn(d, p) : 0;
    st = pclose(p);
    if (!rc && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))) {
        snprintf(d->err, d->errlen, "%s %s failed", prog, args);
        rc = -1;
    }
    return rc;
}

/* Reads -Tplain: "node NAME X Y W H ..." with NAME "m<index>". */
static int read_plain(struct drawing *d, FILE *p)
{
    char line[1024];

    while (fgets(line, sizeof line, p)) {
        unsigned long i;
        double x, y;
        if (sscanf(line, "node m%lu %lf %lf", &i, &x, &y) == 3 && i < d->n) {
            d->x[i] = x;
            d->y[i] = y;
        }
    }
    return 0;
}

/* True when edge i takes part in the layout. */
static bool shapes(const struct drawing *d, size_t i)
{
    return d->layout_all || kinds[d->kind[i]].shapes;
}

/* The layout puts the members in rings of hops around the centre. */
static bool in_rings(const struct drawing *d)
{
    return d->t->has_center && !strcmp(d->engine, "twopi");
}

/* The engine for the layout run. */
static const char *engine_for(const struct drawing *d, const char *layout)
{
    if (layout && strcmp(layout, "auto"))
        return layout;
    if (d->t->has_center && d->n <= CLI_DRAW_SMALL)
        return "twopi"; /* rings of hops around the centre */
    return d->n <= CLI_DRAW_SMALL ? "neato" : "sfdp";
}

/* Lays out the members on the structural edges with Graphviz. */
static int graphviz_layout(struct drawing *d, const struct index *ix)
{
    const struct cli_topo *t = d->t;
    const char *engine = d->engine;
    char path[4096];
    FILE *f;
    int rc;

    if (!on_path(engine)) {
        snprintf(d->err, d->errlen,
                 "the layout needs Graphviz's %s, which is not on PATH: "
                 "install the Debian package graphviz",
                 engine);
        return -1;
    }
    if (!(f = temp_file(path, sizeof path)))
        return fail(d, "cannot create a temporary file");
    fputs("graph L {\n  graph [overlap=false, pack=true, splines=false, "
          "start=1, ranksep=1.2];\n  node [shape=point, width=0.1];\n",
          f);
    if (!strcmp(engine, "twopi") && d->t->has_center)
        fprintf(f, "  root=m%zu;\n", member_index(ix, d->n, d->t->center));
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "  m%zu;\n", i);
    for (size_t i = 0; i < t->nedges; i++) {
        size_t a = member_index(ix, d->n, t->edges[i].from),
               b = member_index(ix, d->n, t->edges[i].to);
        if (shapes(d, i) && a < d->n && b < d->n)
            fprintf(f, "  m%zu -- m%zu;\n", a, b);
    }
    fputs("}\n", f);
    rc = fflush(f) || ferror(f) ? fail(d, "cannot write a temporary file")
                                : run(engine, "-Tplain", path, read_plain, d);
    fclose(f);
    unlink(path);
    return rc;
}

/* Scales the positions into a square of side CLI_DRAW_CANVAS or less:
 * about 45 points a member, so 1,000 members use the whole canvas. */
static void fit(struct drawing *d)
{
    double minx = HUGE_VAL, maxx = -HUGE_VAL, miny = HUGE_VAL, maxy = -HUGE_VAL;
    double side = 45 * sqrt((double)d->n), span, k;

    if (side > CLI_DRAW_CANVAS)
        side = CLI_DRAW_CANVAS;
    if (side < 240)
        side = 240;
    for (size_t i = 0; i < d->n; i++) {
        minx = fmin(minx, d->x[i]);
        maxx = fmax(maxx, d->x[i]);
        miny = fmin(miny, d->y[i]);
        maxy = fmax(maxy, d->y[i]);
    }
    span = fmax(maxx - minx, maxy - miny);
    k = span > 0 ? side / span : 0;
    for (size_t i = 0; i < d->n; i++) {
        d->x[i] = (d->x[i] - minx) * k;
        d->y[i] = (d->y[i] - miny) * k;
    }
}

/* ---- the picture --------------------------------------------------- */

/* Writes s for a double-quoted DOT string or an HTML-like label: no
 * control characters, and the characters either would take ('&' in
 * both: Graphviz reads entities in plain labels too). */
static void put_escaped(const char *s, bool html, FILE *f)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            putc('?', f);
        else if (html && (c == '&' || c == '<' || c == '>' || c == '"'))
            fprintf(f, "&#%u;", c);
        else if (c == '&')
            fputs("&amp;", f);
        else if (!html && (c == '"' || c == '\\'))
            fprintf(f, "\\%c", c);
        else
            putc(c, f);
    }
}

static void put_name(const struct drawing *d, uint32_t id, bool html, FILE *f)
{
    const char *nick = cli_topo_nick(d->t, id);

    if (nick)
        put_escaped(nick, html, f);
    else
        fprintf(f, "#%u", id);
}

/* "nick · segment 3 · key 9f3a1c2e" */
static void put_tooltip(const struct drawing *d, uint32_t id, FILE *f)
{
    const char *key = cli_topo_key(d->t, id);
    uint32_t seg;

    put_name(d, id, false, f);
    if (!cli_topo_segment(d->t, id, &seg))
        fprintf(f, ", segment %u", seg);
    if (key) {
        fputs(", key ", f);
        put_escaped(key, false, f);
    }
}

static void node(const struct drawing *d, size_t i, FILE *f)
{
    uint32_t id = d->t->members[i];
    bool centre = d->t->has_center && d->t->center == id;
    const char *key = cli_topo_key(d->t, id);

    fprintf(f, "  m%zu [pos=\"%.1f,%.1f!\", fillcolor=\"%s\", tooltip=\"", i,
            d->x[i], d->y[i], fill_of(d, id));
    put_tooltip(d, id, f);
    putc('"', f);
    if (d->small) {
        fputs(", xlabel=\"", f);
        put_name(d, id, false, f);
        if (key && strspn(key, "0123456789abcdefABCDEF") >= 4)
            fprintf(f, " %.4s", key);
        putc('"', f);
    }
    if (centre)
        fputs(", width=0.3, height=0.3, penwidth=3, color=\"#d62728\"", f);
    fputs("];\n", f);
}

static const struct cli_topo_edge *reverse(const struct cli_topo *t,
                                           const struct cli_topo_edge *e)
{
    size_t lo = 0, hi = t->nedges;

    while (lo < hi) { /* edges are sorted by (from, to) */
        size_t mid = lo + (hi - lo) / 2;
        const struct cli_topo_edge *m = &t->edges[mid];
        if (m->from < e->to || (m->from == e->to && m->to < e->from))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nedges && t->edges[lo].from == e->to &&
                   t->edges[lo].to == e->from
               ? &t->edges[lo]
               : NULL;
}

/* One line per edge; a pair that see each other with edges of one kind
 * is one line (both ways).  Kinds with more edges than twice the members
 * are faint, so the structure shows through them. */
static void edge(const struct drawing *d, const struct index *ix, size_t i,
                 FILE *f)
{
    const struct cli_topo_edge *e = &d->t->edges[i], *r = reverse(d->t, e);
    enum kind k = d->kind[i];
    bool both = r && d->kind[r - d->t->edges] == k;
    bool faint = !kinds[k].shapes && d->nkind[k] > 2 * d->n;

    if (both && e->from > e->to)
        return;
    fprintf(f, "  m%zu -> m%zu [color=\"%s%s\"%s%s];\n",
            member_index(ix, d->n, e->from), member_index(ix, d->n, e->to),
            kinds[k].colour, faint ? "30" : "",
            !d->small ? ", dir=none"
            : both    ? ", dir=both"
                      : "",
            kinds[k].shapes ? ", penwidth=1.3"
            : faint         ? ", penwidth=0.4"
                            : "");
}

/* A legend row is a table of its own, so that its cells do not share
 * columns with the other rows. */
#define ROW_OPEN                                                               \
    "<tr><td align=\"left\"><table border=\"0\" cellspacing=\"4\" "            \
    "cellpadding=\"0\"><tr>"
#define ROW_CLOSE "</tr></table></td></tr>\n"

/* A legend entry: a swatch (a line for edges, a box for segments) and
 * its words. */
static void swatch(const char *colour, bool line, FILE *f)
{
    fprintf(f,
            "<td width=\"%d\" height=\"%d\" fixedsize=\"true\" "
            "bgcolor=\"%s\"></td>",
            line ? 24 : 12, line ? 3 : 12, colour);
}

static void legend_edges(const struct drawing *d, FILE *f)
{
    fputs(ROW_OPEN "<td align=\"left\"><b>edges (A sees B)</b></td>", f);
    for (int k = 0; k < K_COUNT; k++)
        if (d->nkind[k]) {
            swatch(kinds[k].colour, true, f);
            fprintf(f, "<td align=\"left\">%s %zu</td>", kinds[k].name,
                    d->nkind[k]);
        }
    if (!d->edges_drawn)
        fprintf(f, "<td align=\"left\">(over %d: not drawn)</td>",
                CLI_DRAW_MAX_EDGES);
    fputs(ROW_CLOSE, f);
}

static void legend_segments(const struct drawing *d, FILE *f)
{
    size_t other = 0;

    fputs(ROW_OPEN "<td align=\"left\"><b>nodes: segment</b></td>", f);
    for (size_t k = 0; k < d->nsegs; k++) {
        if (k >= SEG_COLOURS) {
            other += d->segs[k].members;
            continue;
        }
        swatch(seg_colour[k], false, f);
        fprintf(f, "<td align=\"left\">%u (%zu)</td>", d->segs[k].segment,
                d->segs[k].members);
    }
    if (other || d->nsegs > SEG_COLOURS) {
        swatch(SEG_OTHER, false, f);
        fprintf(f, "<td align=\"left\">%zu more segments (%zu)</td>",
                d->nsegs - SEG_COLOURS, other);
    }
    fputs(ROW_CLOSE, f);
}

static void legend(const struct drawing *d, FILE *f)
{
    fputs("<<table border=\"0\" cellspacing=\"3\" cellpadding=\"1\">\n"
          "<tr><td align=\"left\"><b>",
          f);
    put_escaped(d->title ? d->title : "room", true, f);
    fprintf(f, "</b>: %zu members, %zu edges", d->n, d->t->nedges);
    if (d->t->manager) {
        fputs(", manager ", f);
        put_escaped(d->t->manager, true, f);
    }
    if (d->t->has_center) {
        fputs(", around ", f);
        put_name(d, d->t->center, true, f);
        fputs(" (red ring)", f);
    }
    fputs("</td></tr>\n", f);
    legend_edges(d, f);
    if (d->nsegs)
        legend_segments(d, f);
    fprintf(f, "<tr><td align=\"left\">%s; layout: %s</td></tr>\n</table>>",
            d->small ? "labels: nick and the first 4 hex digits of the "
                       "rbt key; arrows: who sees whom"
                     : "hover a node for its nick, segment and rbt key; "
                       "lines without arrows",
            in_rings(d)     ? "rings of hops from the centre"
            : d->layout_all ? "all edges"
                            : "on the structural edges (ring, tree, leader)");
}

static void picture(const struct drawing *d, const struct index *ix, FILE *f)
{
    fprintf(f,
            "digraph room {\n  graph [outputorder=edgesfirst, splines=false, "
            "bgcolor=white, pad=0.2, forcelabels=true, fontname=Helvetica, "
            "fontsize=%d, labelloc=b, labeljust=l, label=",
            d->small ? 11 : 16);
    legend(d, f);
    fprintf(f,
            "];\n  node [shape=circle, style=filled, fixedsize=true, "
            "width=%s, label=\"\", penwidth=0.4, color=\"#333333\", "
            "fontname=Helvetica, fontsize=9];\n"
            "  edge [arrowsize=0.4, penwidth=0.6];\n",
            d->small ? "0.16" : "0.11");
    for (size_t i = 0; i < d->n; i++)
        node(d, i, f);
    for (size_t i = 0; d->edges_drawn && i < d->t->nedges; i++)
        edge(d, ix, i, f);
    fputs("}\n", f);
}

/* Copies Graphviz's output file into out. */
static int copy_out(struct drawing *d, const char *path, FILE *out)
{
    char buf[65536];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return fail(d, "Graphviz wrote no picture");
    while ((n = fread(buf, 1, sizeof buf, f)))
        if (fwrite(buf, 1, n, out) != n)
            break;
    fclose(f);
    if (ferror(out))
        return fail(d, "cannot write the picture");
    return 0;
}

static int render(struct drawing *d, const struct index *ix,
                  enum cli_draw_format fmt, FILE *out)
{
    char in[4096], img[4096], args[4200];
    FILE *f, *g;
    int rc;

    if (!(f = temp_file(in, sizeof in)))
        return fail(d, "cannot create a temporary file");
    if (!(g = temp_file(img, sizeof img))) {
        fclose(f);
        unlink(in);
        return fail(d, "cannot create a temporary file");
    }
    fclose(g);
    picture(d, ix, f);
    snprintf(args, sizeof args, "-n2 -T%s -o '%s'",
             fmt == CLI_DRAW_PNG ? "png" : "svg", img);
    rc = fflush(f) || ferror(f) ? fail(d, "cannot write a temporary file")
                                : run("neato", args, in, NULL, d);
    fclose(f);
    unlink(in);
    if (!rc)
        rc = copy_out(d, img, out);
    unlink(img);
    return rc;
}

static int prepare(struct drawing *d, const char *layout, struct index **ix)
{
    const struct cli_topo *t = d->t;

    d->x = calloc(d->n + 1, sizeof *d->x);
    d->y = calloc(d->n + 1, sizeof *d->y);
    d->kind = calloc(t->nedges + 1, 1);
    *ix = calloc(d->n + 1, sizeof **ix);
    if (!d->x || !d->y || !d->kind || !*ix)
        return fail(d, "out of memory");
    for (size_t i = 0; i < d->n; i++)
        (*ix)[i] = (struct index){t->members[i], i};
    if (d->n)
        qsort(*ix, d->n, sizeof **ix, cmp_index);
    for (size_t i = 0; i < t->nedges; i++) {
        d->kind[i] = (unsigned char)kind_of(t->edges[i].attrs);
        d->nkind[d->kind[i]]++;
        if (kinds[d->kind[i]].shapes &&
            member_index(*ix, d->n, t->edges[i].from) < d->n &&
            member_index(*ix, d->n, t->edges[i].to) < d->n)
            d->nshape++;
    }
    d->small = d->n <= CLI_DRAW_SMALL;
    d->edges_drawn = t->nedges <= CLI_DRAW_MAX_EDGES;
    d->engine = engine_for(d, layout);
    if ((!d->nshape || in_rings(d)) && d->edges_drawn && t->nedges) {
        d->layout_all = true;
        d->nshape = t->nedges;
    }
    return count_segments(d);
}

int cli_topo_draw(const struct cli_topo *t, const char *title,
                  const char *layout, enum cli_draw_format fmt, FILE *out,
                  char *err, size_t errlen)
{
    struct drawing d = {
        .t = t, .title = title, .n = t->nmembers, .err = err, .errlen = errlen};
    struct index *ix = NULL;
    int rc;

    if (!cli_topo_layout_ok(layout)) {
        snprintf(err, errlen, "unknown layout %s", layout);
        return -1;
    }
    if (t->nmembers > CLI_DRAW_MAX_MEMBERS) {
        snprintf(err, errlen,
                 "%zu members are too many to draw (at most %d): draw "
                 "a part with --around",
                 t->nmembers, CLI_DRAW_MAX_MEMBERS);
        return -1;
    }
    if (!on_path("neato"))
        rc = fail(&d, "drawing needs Graphviz's neato, which is not on "
                      "PATH: install the Debian package graphviz");
    else if (!(rc = prepare(&d, layout, &ix)))
        rc = d.nshape ? graphviz_layout(&d, ix) : spiral(&d);
    if (!rc) {
        fit(&d);
        rc = render(&d, ix, fmt, out);
    }
    free(d.x);
    free(d.y);
    free(d.kind);
    free(d.segs);
    free(ix);
    return rc;
}
