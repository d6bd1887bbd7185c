# src/e2e/link.mk -- direct end-to-end links: TLS, listener, connector, XEP-0246 streams, Fast Infoset framing (prefix e2e_link_).

noinst_LTLIBRARIES += src/e2e/libe2elink.la
src_e2e_libe2elink_la_SOURCES = \
	src/e2e/e2e_link.h src/e2e/e2e_int.h \
	src/e2e/e2e_ident.c src/e2e/e2e_fi.c src/e2e/e2e_reader.c \
	src/e2e/e2e_link.c src/e2e/e2e_listener.c
src_e2e_libe2elink_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
# libe2e and libfi are left to the programs and to liborbweb: nested in
# here they would be linked twice into liborbweb, which has libfi already.
src_e2e_libe2elink_la_LIBADD = $(STROPHE_LIBS) $(EVENT_LIBS) $(SSL_LIBS)

check_PROGRAMS += tests/unit/test_e2e_link
TESTS += tests/unit/test_e2e_link
tests_unit_test_e2e_link_SOURCES = tests/unit/test_e2e_link.c
tests_unit_test_e2e_link_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_e2e_link_LDADD = src/e2e/libe2elink.la src/e2e/libe2e.la \
	fi/libfi.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_e2e_frames
TESTS += tests/fuzz/fuzz_e2e_frames
FUZZ_TARGETS += fuzz_e2e_frames
tests_fuzz_fuzz_e2e_frames_SOURCES = tests/fuzz/fuzz_e2e_frames.c tests/fuzz/replay.c
tests_fuzz_fuzz_e2e_frames_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
tests_fuzz_fuzz_e2e_frames_LDADD = src/e2e/libe2elink.la src/e2e/libe2e.la \
	fi/libfi.la
fuzz_e2e_frames_FUZZ_SRCS = src/e2e/e2e_reader.c src/e2e/e2e_fi.c \
	src/e2e/xs_parser.c $(filter %.c,$(fi_libfi_la_SOURCES))
fuzz_e2e_frames_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_e2e_frames
