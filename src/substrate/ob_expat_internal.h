/* ob_expat_internal.h -- liborbweb's XML_Parse around libstrophe's
 * parser (ob_expat.c). */
#ifndef SRC_SUBSTRATE_OB_EXPAT_INTERNAL_H
#define SRC_SUBSTRATE_OB_EXPAT_INTERNAL_H

#include <stdbool.h>

/* Around xmpp_run_once, so that libstrophe's parser never
 * holds back a stanza whose last byte has arrived (expat's reparse
 * deferral); routed is false while no call of libstrophe's on this thread has
 * come through liborbweb's XML_Parse (then libexpat was found first: link
 * order); parsed counts, on this thread, the calls of libstrophe's that
 * came through (0 forever where expat needs no interposition). */
void obi_expat_enter(void);
void obi_expat_leave(void);
bool obi_expat_routed(void);
unsigned long obi_expat_parsed(void);

#endif
