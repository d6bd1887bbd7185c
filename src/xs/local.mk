# src/xs/local.mk -- the XML stream layer we own (prefix xs_): a stanza
# parser on expat, a stream on a bufferevent, the writer, and canonical
# JIDs.  xmucd's component link, liborbweb, the direct links of src/e2e
# and the membership benchmark all read and write XML through it, so it
# sits below them all (docs/architecture.md).

noinst_LTLIBRARIES += src/xs/libxs.la
src_xs_libxs_la_SOURCES = \
	src/xs/xs_parser.c src/xs/xs_parser.h \
	src/xs/xs_stream.c src/xs/xs_stream.h src/xs/xs_write.c
src_xs_libxs_la_CPPFLAGS = $(XS_CPPFLAGS)
src_xs_libxs_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EXPAT_CFLAGS) \
	$(EVENT_CFLAGS)
src_xs_libxs_la_LIBADD = $(STROPHE_LIBS) $(EXPAT_LIBS) $(EVENT_LIBS)
# canonical JIDs (libidn's stringprep), for xmucd and liborbweb alike
src_xs_libxs_la_SOURCES += src/xs/xs_jid.c src/xs/xs_jid.h
src_xs_libxs_la_CFLAGS += $(IDN_CFLAGS)
src_xs_libxs_la_LIBADD += $(IDN_LIBS)
check_PROGRAMS += tests/unit/test_xs_jid
TESTS += tests/unit/test_xs_jid
tests_unit_test_xs_jid_CPPFLAGS = $(XS_CPPFLAGS)
tests_unit_test_xs_jid_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_xs_jid_LDADD = src/xs/libxs.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xs_parser
TESTS += tests/unit/test_xs_parser
tests_unit_test_xs_parser_CPPFLAGS = $(XS_CPPFLAGS)
tests_unit_test_xs_parser_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_xs_parser_LDADD = src/xs/libxs.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xs_stream
TESTS += tests/unit/test_xs_stream
tests_unit_test_xs_stream_CPPFLAGS = $(XS_CPPFLAGS)
tests_unit_test_xs_stream_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_xs_stream_LDADD = src/xs/libxs.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_xs_parser
TESTS += tests/fuzz/fuzz_xs_parser
FUZZ_TARGETS += fuzz_xs_parser
tests_fuzz_fuzz_xs_parser_SOURCES = tests/fuzz/fuzz_xs_parser.c tests/fuzz/replay.c
tests_fuzz_fuzz_xs_parser_CPPFLAGS = $(XS_CPPFLAGS)
tests_fuzz_fuzz_xs_parser_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_xs_parser_LDADD = src/xs/libxs.la
fuzz_xs_parser_FUZZ_SRCS = src/xs/xs_parser.c
fuzz_xs_parser_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_xs_parser
