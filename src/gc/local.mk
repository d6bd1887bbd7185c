# src/gc/local.mk -- groupcast engines: tree cast, pbcast, ta-pbcast (prefix gc_, sans-I/O).
#
# libgc.la is pure logic with no external dependency (gc.h is internal to
# liborbweb, not installed).  Tests: tests/unit/test_gc (exact small
# scenarios), tests/sim/sim_groupcast (1,000 and 10,000 peers with loss
# and churn in the simulator, src/sim/local.mk) and
# tests/fuzz/fuzz_gc_wire (the wire decoder).  See docs/groupcast.md.

noinst_LTLIBRARIES += src/gc/libgc.la
src_gc_libgc_la_SOURCES = \
	src/gc/gc.h src/gc/gc_internal.h \
	src/gc/gc_wire.c src/gc/gc_buffer.c \
	src/gc/gc_engine.c src/gc/gc_gossip.c
src_gc_libgc_la_CPPFLAGS = $(GC_CPPFLAGS)
# (it reaches liborbweb through libob, whose ob_groupcast.c drives it)

# Authenticated groupcast (gc_sig.h): the room's signatures and membership
# tokens, one module for both sides (xmucd signs, liborbweb verifies).
# A library of its own so that libgc, its tests and the simulator stay
# free of OpenSSL (docs/architecture.md).
noinst_LTLIBRARIES += src/gc/libgcsig.la
src_gc_libgcsig_la_SOURCES = src/gc/gc_sig.c src/gc/gc_sig.h
src_gc_libgcsig_la_CPPFLAGS = $(GC_CPPFLAGS)
src_gc_libgcsig_la_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
src_gc_libgcsig_la_LIBADD = $(SSL_LIBS)

check_PROGRAMS += tests/unit/test_gc_sig
TESTS += tests/unit/test_gc_sig
tests_unit_test_gc_sig_CPPFLAGS = $(GC_CPPFLAGS)
tests_unit_test_gc_sig_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_gc_sig_LDADD = src/gc/libgcsig.la $(CRITERION_LIBS)

# Fuzzing the signed record and the token (decoders, then verification).
check_PROGRAMS += tests/fuzz/fuzz_gc_sig
TESTS += tests/fuzz/fuzz_gc_sig
FUZZ_TARGETS += fuzz_gc_sig
tests_fuzz_fuzz_gc_sig_SOURCES = tests/fuzz/fuzz_gc_sig.c tests/fuzz/replay.c
tests_fuzz_fuzz_gc_sig_CPPFLAGS = $(GC_CPPFLAGS)
tests_fuzz_fuzz_gc_sig_LDADD = src/gc/libgcsig.la src/gc/libgc.la
fuzz_gc_sig_FUZZ_SRCS = src/gc/gc_sig.c src/gc/gc_wire.c
fuzz_gc_sig_FUZZ_LIBS = $(SSL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_gc_sig

check_PROGRAMS += tests/unit/test_gc
TESTS += tests/unit/test_gc
tests_unit_test_gc_CPPFLAGS = $(GC_CPPFLAGS)
tests_unit_test_gc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_gc_LDADD = src/gc/libgc.la $(CRITERION_LIBS)

# Fuzzing the wire decoder (and an engine fed what it accepts).
check_PROGRAMS += tests/fuzz/fuzz_gc_wire
TESTS += tests/fuzz/fuzz_gc_wire
FUZZ_TARGETS += fuzz_gc_wire
tests_fuzz_fuzz_gc_wire_SOURCES = tests/fuzz/fuzz_gc_wire.c tests/fuzz/replay.c
tests_fuzz_fuzz_gc_wire_CPPFLAGS = $(GC_CPPFLAGS)
tests_fuzz_fuzz_gc_wire_LDADD = src/gc/libgc.la
fuzz_gc_wire_FUZZ_SRCS = $(filter %.c,$(src_gc_libgc_la_SOURCES))
EXTRA_DIST += tests/fuzz/corpus/fuzz_gc_wire
