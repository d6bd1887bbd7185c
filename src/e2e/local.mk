# src/e2e/local.mk -- XML streams we own (prefix xs_) and, later, direct
# end-to-end streams (prefix e2e_).

noinst_LTLIBRARIES += src/e2e/libe2e.la
src_e2e_libe2e_la_SOURCES = \
	src/e2e/xs_parser.c src/e2e/xs_parser.h \
	src/e2e/xs_stream.c src/e2e/xs_stream.h src/e2e/xs_write.c
src_e2e_libe2e_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EXPAT_CFLAGS) \
	$(EVENT_CFLAGS)
src_e2e_libe2e_la_LIBADD = $(STROPHE_LIBS) $(EXPAT_LIBS) $(EVENT_LIBS)
# canonical JIDs (libidn's stringprep), for xmucd and liborbweb alike
src_e2e_libe2e_la_SOURCES += src/e2e/xs_jid.c src/e2e/xs_jid.h
src_e2e_libe2e_la_CFLAGS += $(IDN_CFLAGS)
src_e2e_libe2e_la_LIBADD += $(IDN_LIBS)
check_PROGRAMS += tests/unit/test_xs_jid
TESTS += tests/unit/test_xs_jid
tests_unit_test_xs_jid_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_xs_jid_LDADD = src/e2e/libe2e.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xs_parser
TESTS += tests/unit/test_xs_parser
tests_unit_test_xs_parser_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_xs_parser_LDADD = src/e2e/libe2e.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xs_stream
TESTS += tests/unit/test_xs_stream
tests_unit_test_xs_stream_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_xs_stream_LDADD = src/e2e/libe2e.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_xs_parser
TESTS += tests/fuzz/fuzz_xs_parser
FUZZ_TARGETS += fuzz_xs_parser
tests_fuzz_fuzz_xs_parser_SOURCES = tests/fuzz/fuzz_xs_parser.c tests/fuzz/replay.c
tests_fuzz_fuzz_xs_parser_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_xs_parser_LDADD = src/e2e/libe2e.la
fuzz_xs_parser_FUZZ_SRCS = src/e2e/xs_parser.c
fuzz_xs_parser_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_xs_parser
