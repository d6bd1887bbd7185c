# fi/local.mk -- the Fast Infoset codec (prefix fi_).
#
# libfi.la is a convenience library linked into liborbweb; fi.h is the
# public header.  Tests: tests/unit/test_fi (vectors in tests/data/fi,
# incremental feeding, encoder round trips, allocation failures, limits),
# tests/compat/fi-compat (against the Java reference implementation,
# Debian libfastinfoset-java) and the fuzz harness fuzz_fi_decode.

noinst_LTLIBRARIES += fi/libfi.la
fi_libfi_la_SOURCES = fi/fi.h fi/fi_internal.h \
	fi/fi_mem.c fi/fi_bits.c fi/fi_text.c fi/fi_vocab.c \
	fi/fi_decode.c fi/fi_encode.c fi/fi_xml.c fi/fi_infoset.c
fi_libfi_la_CPPFLAGS = $(FI_CPPFLAGS)
fi_libfi_la_CFLAGS = $(AM_CFLAGS) $(EXPAT_CFLAGS)
fi_libfi_la_LIBADD = $(EXPAT_LIBS)
liborbweb_la_LIBADD += fi/libfi.la
orbwebinclude_HEADERS += fi/fi.h

ORBWEB_CLI_SOURCES += tools/orbweb/cmd_fi.c tools/bench/bench_fi.c
ORBWEB_CLI_LIBS += fi/libfi.la $(EXPAT_LIBS)

check_PROGRAMS += tests/unit/test_fi
TESTS += tests/unit/test_fi
tests_unit_test_fi_SOURCES = tests/unit/test_fi.c tests/unit/test_fi_util.c \
	tests/unit/test_fi_util.h
tests_unit_test_fi_CPPFLAGS = $(FI_CPPFLAGS)
tests_unit_test_fi_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_fi_LDADD = fi/libfi.la $(CRITERION_LIBS)
EXTRA_DIST += tests/data/fi

# Interoperability with the reference implementation (Debian
# libfastinfoset-java) through tests/compat/FiCompat.java, compiled with
# javac at test time; the script fails, never skips, without java or the
# jar.  It drives our side through `orbweb fi`.
check_SCRIPTS += tests/compat/fi-compat
TESTS += tests/compat/fi-compat
EXTRA_DIST += tests/compat/fi-compat tests/compat/FiCompat.java

check_PROGRAMS += tests/fuzz/fuzz_fi_decode
tests_fuzz_fuzz_fi_decode_SOURCES = tests/fuzz/fuzz_fi_decode.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_fi_decode_CPPFLAGS = $(FI_CPPFLAGS)
tests_fuzz_fuzz_fi_decode_LDADD = fi/libfi.la
TESTS += tests/fuzz/fuzz_fi_decode
FUZZ_TARGETS += fuzz_fi_decode
fuzz_fi_decode_FUZZ_SRCS = $(filter %.c,$(fi_libfi_la_SOURCES))
fuzz_fi_decode_FUZZ_LIBS = $(EXPAT_LIBS) -lpthread
EXTRA_DIST += tests/fuzz/corpus/fuzz_fi_decode
