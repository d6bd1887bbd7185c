/* test_traffic_chart.c -- orbweb traffic's kind labels and share chart:
 * labels shortened and cut to fit, hostile kinds escaped, bars bounded
 * when a run is long, and the SVG's parts (bars, legend with shares). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traffic_chart.h"

Test(traffic_chart, labels)
{
    static const struct {
        const char *kind, *label;
    } cases[] = {
        {"presence", "presence"},
        {"message", "message"},
        {"iq:http://jabber.org/protocol/disco#info:get", "iq get disco#info"},
        {"iq:urn:xmpp:ping:result", "iq result ping"},
        {"iq:jabber:iq:roster:set", "iq set roster"},
        {"iq:-:result", "iq result -"},
        {"iq:urn:example:very-long-namespace-for-testing:error",
         "iq error urn:example:very-lon~"},
        {"bad\001kind", "bad?kind"},
        /* cut before a 2-byte character rather than inside it */
        {"iq:abcdefghijklmnopqrstu\xc3\xa9\xc3\xa9:get",
         "iq get abcdefghijklmnopqrstu~"},
        {"iq:abcdefghijklmnopqrstuv\xc3\xa9\xc3\xa9:get",
         "iq get abcdefghijklmnopqrstuv~"},
        {"iq:abcdefghijklmnopqrst\xc3\xa9\xc3\xa9\xc3\xa9:get",
         "iq get abcdefghijklmnopqrst\xc3\xa9~"},
    };
    char buf[31];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(chart_label(cases[i].kind, buf, sizeof buf),
                         cases[i].label, "%s", cases[i].kind);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s = calloc(1, 1 << 20);
    size_t n;

    cr_assert(f && s);
    n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

Test(traffic_chart, svg_parts)
{
    char path[] = "/tmp/test_traffic_chart_XXXXXX", err[256];
    chart *c;
    char *svg;
    int fd = mkstemp(path);

    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(chart_new(&c), CHART_OK);
    for (int i = 0; i < 10; i++) {
        chart_begin(c, i + 1.0);
        chart_add(c, "message", 3);
        chart_add(c, "presence", 1);
        chart_add(c, "iq:a<b&\"c:get", i % 2); /* hostile, escaped */
    }
    cr_assert_eq(chart_write_svg(c, path, "t<1>", err, sizeof err), CHART_OK,
                 "%s", err);
    svg = read_all(path);
    cr_expect(strstr(svg, "<svg xmlns='http://www.w3.org/2000/svg'"));
    cr_expect(strstr(svg, "t&lt;1&gt;"));
    cr_expect(strstr(svg, ">message 66.7%</text>"), "%s", svg);
    cr_expect(strstr(svg, ">presence 22.2%</text>"), "%s", svg);
    cr_expect(strstr(svg, "iq get a&lt;b&amp;&quot;c"), "%s", svg);
    cr_expect_null(strstr(svg, "a<b"));
    cr_expect(strstr(svg, "<rect class='k0'"));
    cr_expect(strstr(svg, "</svg>"));
    free(svg);
    chart_free(c);
    unlink(path);
}

/* A long run: bars are merged in pairs, the stanzas are all kept. */
Test(traffic_chart, bounded_samples)
{
    char path[] = "/tmp/test_traffic_chart_XXXXXX", err[256];
    chart *c;
    char *svg, *p;
    int fd = mkstemp(path), bars = 0;

    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(chart_new(&c), CHART_OK);
    for (int i = 0; i < 5 * CHART_MAX_SAMPLES; i++) {
        chart_begin(c, i);
        chart_add(c, "message", 1);
    }
    for (int k = 0; k < 2 * CHART_MAX_KINDS; k++) { /* kinds beyond: other */
        char kind[32];
        snprintf(kind, sizeof kind, "iq:ns%d:get", k);
        chart_add(c, kind, 1);
    }
    cr_assert_eq(chart_write_svg(c, path, "long", err, sizeof err), CHART_OK);
    svg = read_all(path);
    for (p = svg; (p = strstr(p, "<rect class='k0'")); p++)
        bars++;
    cr_expect(bars > 0 && bars <= CHART_MAX_SAMPLES, "%d bars", bars);
    cr_expect(strstr(svg, ">other "), "no other in the legend");
    free(svg);
    chart_free(c);
    unlink(path);
}
