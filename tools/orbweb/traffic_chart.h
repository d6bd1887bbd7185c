/* traffic_chart.h -- what `orbweb traffic` draws and how it names kinds:
 * short labels for the counters' kinds ("iq get disco#info" for
 * "iq:http://jabber.org/protocol/disco#info:get") and the stacked share
 * chart (SVG) of the kinds over time, one bar per interval whose parts are
 * each kind's share of that interval's stanzas.  Memory is bounded: at
 * most CHART_MAX_SAMPLES bars (older ones are merged in pairs when full)
 * and CHART_MAX_KINDS kinds (the rest are "other"). */
#ifndef TOOLS_ORBWEB_TRAFFIC_CHART_H
#define TOOLS_ORBWEB_TRAFFIC_CHART_H

#include <stddef.h>
#include <stdint.h>

#define CHART_MAX_SAMPLES 512
#define CHART_MAX_KINDS 64

enum chart_err { CHART_OK = 0, CHART_ENOMEM = -1, CHART_EIO = -2 };

/* A short label for kind, for a person: "presence", "message", or
 * "iq TYPE NS" with well-known namespace prefixes left out; control
 * characters become '?'; cut to len - 1 bytes with a final '~' when
 * longer.  Returns buf. */
char *chart_label(const char *kind, char *buf, size_t len);

typedef struct chart chart;

/* 0 (CHART_OK) with *out set, or CHART_ENOMEM. */
int chart_new(chart **out);
void chart_free(chart *c);

/* Starts the bar of the interval that ended at t seconds (the server's
 * clock); the following chart_add calls fill it. */
void chart_begin(chart *c, double t);

/* Adds n stanzas of kind to the current bar (none yet: ignored). */
void chart_add(chart *c, const char *kind, uint64_t n);

/* Writes the chart to path (through a temporary file renamed over it, so
 * a reader never sees half a file), titled title.  CHART_OK or CHART_EIO
 * with the reason in err. */
int chart_write_svg(const chart *c, const char *path, const char *title,
                    char *err, size_t errlen);

#endif
