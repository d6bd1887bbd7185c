/* traffic_chart.c -- kind labels and the stacked share chart of
 * `orbweb traffic --chart` (see traffic_chart.h), written as SVG by hand:
 * a plot of one bar per interval, each split by kind in proportion to
 * that interval's stanzas, and a legend with each kind's share of the
 * whole run.  The largest kinds get their own colour, the rest "other". */
#include "config.h"

#include "traffic_chart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Labels ------------------------------------------------------- */

static const char *const ns_prefixes[] = {
    "http://jabber.org/protocol/",
    "urn:xmpp:", "jabber:iq:", "https://orbweb.dev/ns/",
    "urn:ietf:params:xml:ns:"};

static const char *short_ns(const char *ns, size_t *len)
{
    for (size_t i = 0; i < sizeof ns_prefixes / sizeof ns_prefixes[0]; i++) {
        size_t n = strlen(ns_prefixes[i]);
        if (*len > n && !strncmp(ns, ns_prefixes[i], n)) {
            *len -= n;
            return ns + n;
        }
    }
    return ns;
}

static void put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *at + 1 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[(*at)++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    buf[*at] = '\0';
}

char *chart_label(const char *kind, char *buf, size_t len)
{
    const char *type = strrchr(kind, ':');
    size_t at = 0, full;

    if (!len)
        return buf;
    buf[0] = '\0';
    if (!strncmp(kind, "iq:", 3) && type && type > kind + 3) {
        const char *ns = kind + 3;
        size_t nslen = (size_t)(type - ns);
        ns = short_ns(ns, &nslen);
        full = 4 + strlen(type + 1) + nslen;
        put(buf, len, &at, "iq ", 3);
        put(buf, len, &at, type + 1, strlen(type + 1));
        put(buf, len, &at, " ", 1);
        put(buf, len, &at, ns, nslen);
    } else {
        full = strlen(kind);
        put(buf, len, &at, kind, full);
    }
    if (full > len - 1 && len > 1) { /* cut, never inside a UTF-8 char */
        size_t i = at - 1;
        while (i > 0 && ((unsigned char)buf[i] & 0xc0) == 0x80)
            i--;
        buf[i] = '~';
        buf[i + 1] = '\0';
    }
    return buf;
}

/* ---- Samples ------------------------------------------------------ */

struct chart {
    char *kinds[CHART_MAX_KINDS]; /* [CHART_MAX_KINDS - 1]: "other" */
    int nkinds;
    double t[CHART_MAX_SAMPLES];
    uint64_t n[CHART_MAX_SAMPLES][CHART_MAX_KINDS];
    int nsamples; /* the current bar is nsamples - 1 */
};

int chart_new(chart **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CHART_OK : CHART_ENOMEM;
}

void chart_free(chart *c)
{
    if (!c)
        return;
    for (int i = 0; i < CHART_MAX_KINDS; i++) /* "other" is the last */
        free(c->kinds[i]);
    free(c);
}

/* Halves the bars: each pair becomes one (the later time). */
static void merge_pairs(chart *c)
{
    int j = 0;

    for (int i = 0; i + 1 < c->nsamples; i += 2, j++) {
        c->t[j] = c->t[i + 1];
        for (int k = 0; k < CHART_MAX_KINDS; k++)
            c->n[j][k] = c->n[i][k] + c->n[i + 1][k];
    }
    if (c->nsamples % 2) {
        c->t[j] = c->t[c->nsamples - 1];
        memcpy(c->n[j], c->n[c->nsamples - 1], sizeof c->n[j]);
        j++;
    }
    c->nsamples = j;
}

void chart_begin(chart *c, double t)
{
    if (c->nsamples == CHART_MAX_SAMPLES)
        merge_pairs(c);
    c->t[c->nsamples] = t;
    memset(c->n[c->nsamples], 0, sizeof c->n[c->nsamples]);
    c->nsamples++;
}

static int kind_index(chart *c, const char *kind)
{
    for (int i = 0; i < c->nkinds; i++)
        if (!strcmp(c->kinds[i], kind))
            return i;
    if (c->nkinds < CHART_MAX_KINDS - 1 && (c->kinds[c->nkinds] = strdup(kind)))
        return c->nkinds++;
    if (!c->kinds[CHART_MAX_KINDS - 1])
        c->kinds[CHART_MAX_KINDS - 1] = strdup("other");
    return CHART_MAX_KINDS - 1;
}

void chart_add(chart *c, const char *kind, uint64_t n)
{
    if (c->nsamples && n)
        c->n[c->nsamples - 1][kind_index(c, kind)] += n;
}

/* ---- SVG ---------------------------------------------------------- */

#define NCOLOURS 11 /* kinds with a colour; the rest are "other" */
static const char *const colours[NCOLOURS + 1] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d", "#499894", "#bab0ac"};

#define PLOT_X 60
#define PLOT_Y 40
#define PLOT_W 640
#define PLOT_H 300
#define LEGEND_X (PLOT_X + PLOT_W + 20)
#define WIDTH (LEGEND_X + 260)
#define HEIGHT (PLOT_Y + PLOT_H + 50)

/* Which colour (series) each kind is drawn in: the NCOLOURS largest by
 * volume, then "other" (NCOLOURS). */
struct series {
    int of_kind[CHART_MAX_KINDS];
    int kind_of[NCOLOURS]; /* the kind of each coloured series */
    int n;                 /* coloured series used */
    uint64_t sum[NCOLOURS + 1], all;
};

static void rank(const chart *c, struct series *s)
{
    uint64_t tot[CHART_MAX_KINDS] = {0};
    int used[CHART_MAX_KINDS] = {0};

    memset(s, 0, sizeof *s);
    for (int i = 0; i < c->nsamples; i++)
        for (int k = 0; k < CHART_MAX_KINDS; k++)
            tot[k] += c->n[i][k];
    for (int k = 0; k < CHART_MAX_KINDS; k++)
        s->of_kind[k] = NCOLOURS;
    for (s->n = 0; s->n < NCOLOURS; s->n++) {
        int best = -1;
        for (int k = 0; k < CHART_MAX_KINDS - 1; k++)
            if (!used[k] && tot[k] && (best < 0 || tot[k] > tot[best]))
                best = k;
        if (best < 0)
            break;
        used[best] = 1;
        s->of_kind[best] = s->n;
        s->kind_of[s->n] = best;
    }
    for (int k = 0; k < CHART_MAX_KINDS; k++) {
        s->sum[s->of_kind[k]] += tot[k];
        s->all += tot[k];
    }
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc((unsigned char)*s < 0x20 ? '?' : *s, f); /* not in XML */
        }
    }
}

static void draw_axes(FILE *f, const chart *c, const char *title)
{
    fprintf(f, "<text x='%d' y='24' font-size='15'>", PLOT_X);
    xml_text(f, title);
    fputs("</text>\n", f);
    for (int p = 0; p <= 100; p += 25) {
        int y = PLOT_Y + PLOT_H - p * PLOT_H / 100;
        fprintf(f,
                "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#ccc'/>"
                "<text x='%d' y='%d' text-anchor='end'>%d%%</text>\n",
                PLOT_X, y, PLOT_X + PLOT_W, y, PLOT_X - 6, y + 4, p);
    }
    if (c->nsamples)
        fprintf(f,
                "<text x='%d' y='%d'>%.1f s</text>"
                "<text x='%d' y='%d' text-anchor='end'>%.1f s</text>\n",
                PLOT_X, PLOT_Y + PLOT_H + 18, c->t[0], PLOT_X + PLOT_W,
                PLOT_Y + PLOT_H + 18, c->t[c->nsamples - 1]);
    fprintf(f,
            "<text x='%d' y='%d' text-anchor='middle'>time (server clock); "
            "bars: share of each kind in the interval's stanzas, in + "
            "out</text>\n",
            PLOT_X + PLOT_W / 2, PLOT_Y + PLOT_H + 38);
}

static void draw_bar(FILE *f, const chart *c, const struct series *s, int i)
{
    uint64_t part[NCOLOURS + 1] = {0}, all = 0;
    double x0 = PLOT_X + (double)i * PLOT_W / c->nsamples;
    double w = (double)PLOT_W / c->nsamples, y = PLOT_Y + PLOT_H;

    for (int k = 0; k < CHART_MAX_KINDS; k++) {
        part[s->of_kind[k]] += c->n[i][k];
        all += c->n[i][k];
    }
    if (!all)
        return; /* nothing in this interval: no bar */
    for (int j = 0; j <= NCOLOURS; j++) {
        double h = (double)part[j] * PLOT_H / (double)all;
        if (!part[j])
            continue;
        y -= h;
        fprintf(f,
                "<rect class='k%d' x='%.2f' y='%.2f' width='%.2f' "
                "height='%.2f' fill='%s'/>\n",
                j, x0, y, w, h, colours[j]);
    }
}

static void draw_legend(FILE *f, const chart *c, const struct series *s)
{
    char label[64];
    int y = PLOT_Y;

    for (int j = 0; j <= NCOLOURS; j++) {
        const char *kind = j < s->n ? c->kinds[s->kind_of[j]] : "other";
        if (j >= s->n && j < NCOLOURS)
            continue;
        if (j == NCOLOURS && !s->sum[NCOLOURS])
            break;
        fprintf(f,
                "<rect x='%d' y='%d' width='12' height='12' fill='%s'/>"
                "<text x='%d' y='%d'><title>",
                LEGEND_X, y, colours[j], LEGEND_X + 18, y + 11);
        xml_text(f, kind);
        fputs("</title>", f);
        xml_text(f, chart_label(kind, label, 30));
        fprintf(f, " %.1f%%</text>\n",
                s->all ? 100.0 * (double)s->sum[j] / (double)s->all : 0.0);
        y += 18;
    }
}

static int write_to(FILE *f, const chart *c, const char *title)
{
    struct series s;

    rank(c, &s);
    fprintf(f,
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "viewBox='0 0 %d %d' font-family='sans-serif' font-size='12'>\n"
            "<rect width='100%%' height='100%%' fill='white'/>\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    draw_axes(f, c, title);
    for (int i = 0; i < c->nsamples; i++)
        draw_bar(f, c, &s, i);
    draw_legend(f, c, &s);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

int chart_write_svg(const chart *c, const char *path, const char *title,
                    char *err, size_t errlen)
{
    char tmp[4096];
    FILE *f;
    int rc;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return CHART_EIO;
    }
    if (!(f = fopen(tmp, "w"))) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return CHART_EIO;
    }
    rc = write_to(f, c, title);
    if (fclose(f) || rc || rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return CHART_EIO;
    }
    return CHART_OK;
}
