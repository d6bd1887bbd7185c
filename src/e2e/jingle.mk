# src/e2e/jingle.mk -- Jingle negotiation of direct streams (prefix e2e_jingle_, sans-I/O).
#
# libe2ejingle.la uses libstrophe's stanza model only (no sockets, no
# event loop).  Tests: tests/unit/test_e2e_jingle (exact stanzas, the
# session table's states, limits and errors) and the fuzz harness
# fuzz_e2e_jingle (parser and table fed mutated stanzas).

noinst_LTLIBRARIES += src/e2e/libe2ejingle.la
src_e2e_libe2ejingle_la_SOURCES = src/e2e/e2e_jingle.c src/e2e/e2e_jingle.h
src_e2e_libe2ejingle_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
src_e2e_libe2ejingle_la_LIBADD = $(STROPHE_LIBS)

check_PROGRAMS += tests/unit/test_e2e_jingle
TESTS += tests/unit/test_e2e_jingle
tests_unit_test_e2e_jingle_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_e2e_jingle_LDADD = src/e2e/libe2ejingle.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_e2e_jingle
TESTS += tests/fuzz/fuzz_e2e_jingle
FUZZ_TARGETS += fuzz_e2e_jingle
tests_fuzz_fuzz_e2e_jingle_SOURCES = tests/fuzz/fuzz_e2e_jingle.c \
	tests/fuzz/stanzas.c tests/fuzz/stanzas.h tests/fuzz/replay.c
tests_fuzz_fuzz_e2e_jingle_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_e2e_jingle_LDADD = src/e2e/libe2ejingle.la src/e2e/libe2e.la
fuzz_e2e_jingle_FUZZ_SRCS = tests/fuzz/stanzas.c src/e2e/e2e_jingle.c \
	src/e2e/xs_parser.c
fuzz_e2e_jingle_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_e2e_jingle
