/* stanzas.h -- for fuzz harnesses whose target takes stanzas: the input
 * is read as the body of an XMPP stream and each complete stanza is
 * handed to the target, so mutations reach it as parsed stanzas. */
#ifndef TESTS_FUZZ_STANZAS_H
#define TESTS_FUZZ_STANZAS_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

/* The libstrophe context the stanzas are built in (created once). */
xmpp_ctx_t *fuzz_ctx(void);

/* Parses data as a stream body and calls fn for every stanza. */
void fuzz_stanzas(const uint8_t *data, size_t size,
                  void (*fn)(void *ud, xmpp_stanza_t *st, size_t bytes),
                  void *ud);

#endif
