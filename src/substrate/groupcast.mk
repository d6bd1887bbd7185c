# src/substrate/groupcast.mk -- groupcast engines: tree cast, pbcast, ta-pbcast (prefix gc_, sans-I/O).
#
# libgc.la is pure logic with no external dependency (gc.h is internal to
# liborbweb, not installed).  Tests: tests/unit/test_gc (exact small
# scenarios), tests/sim/sim_groupcast (1,000 and 10,000 peers with loss
# and churn in the simulator; SIM_SEED reproduces a run, SIM_BIG=1 runs
# the whole table at 10,000 peers), tests/sim/test_sim (the simulator
# itself) and tests/fuzz/fuzz_gc_wire (the wire decoder).  See
# docs/groupcast.md.

noinst_LTLIBRARIES += src/substrate/libgc.la
src_substrate_libgc_la_SOURCES = \
	src/substrate/gc.h src/substrate/gc_internal.h \
	src/substrate/gc_wire.c src/substrate/gc_buffer.c \
	src/substrate/gc_engine.c src/substrate/gc_gossip.c
# (it reaches liborbweb through libob, whose ob_groupcast.c drives it)

# Authenticated groupcast (gc_sig.h): the room's signatures and membership
# tokens, one module for both sides (xmucd signs, liborbweb verifies).
# A library of its own so that libgc, its tests and the simulator stay
# free of OpenSSL (docs/architecture.md).
noinst_LTLIBRARIES += src/substrate/libgcsig.la
src_substrate_libgcsig_la_SOURCES = src/substrate/gc_sig.c src/substrate/gc_sig.h
src_substrate_libgcsig_la_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
src_substrate_libgcsig_la_LIBADD = $(SSL_LIBS)

check_PROGRAMS += tests/unit/test_gc_sig
TESTS += tests/unit/test_gc_sig
tests_unit_test_gc_sig_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_gc_sig_LDADD = src/substrate/libgcsig.la $(CRITERION_LIBS)

# Fuzzing the signed record and the token (decoders, then verification).
check_PROGRAMS += tests/fuzz/fuzz_gc_sig
TESTS += tests/fuzz/fuzz_gc_sig
FUZZ_TARGETS += fuzz_gc_sig
tests_fuzz_fuzz_gc_sig_SOURCES = tests/fuzz/fuzz_gc_sig.c tests/fuzz/replay.c
tests_fuzz_fuzz_gc_sig_LDADD = src/substrate/libgcsig.la src/substrate/libgc.la
fuzz_gc_sig_FUZZ_SRCS = src/substrate/gc_sig.c src/substrate/gc_wire.c
fuzz_gc_sig_FUZZ_LIBS = $(SSL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_gc_sig

check_PROGRAMS += tests/unit/test_gc
TESTS += tests/unit/test_gc
tests_unit_test_gc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_gc_LDADD = src/substrate/libgc.la $(CRITERION_LIBS)

# The simulator (tests/sim/sim.c) is shared: other protocols' simulation
# tests add it to their sources the same way.
check_PROGRAMS += tests/sim/sim_groupcast
TESTS += tests/sim/sim_groupcast
tests_sim_sim_groupcast_SOURCES = tests/sim/sim_groupcast.c \
	tests/sim/sim_gcworld.c tests/sim/sim_gcworld.h \
	tests/sim/sim.c tests/sim/sim.h
tests_sim_sim_groupcast_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_sim_sim_groupcast_LDADD = src/substrate/libgc.la src/views/libvm.la

check_PROGRAMS += tests/sim/test_sim
TESTS += tests/sim/test_sim
tests_sim_test_sim_SOURCES = tests/sim/test_sim.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_test_sim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_sim_test_sim_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_sim_test_sim_LDADD = $(CRITERION_LIBS)

# Fuzzing the wire decoder (and an engine fed what it accepts).
check_PROGRAMS += tests/fuzz/fuzz_gc_wire
TESTS += tests/fuzz/fuzz_gc_wire
FUZZ_TARGETS += fuzz_gc_wire
tests_fuzz_fuzz_gc_wire_SOURCES = tests/fuzz/fuzz_gc_wire.c tests/fuzz/replay.c
tests_fuzz_fuzz_gc_wire_LDADD = src/substrate/libgc.la
fuzz_gc_wire_FUZZ_SRCS = src/substrate/gc_wire.c src/substrate/gc_buffer.c \
	src/substrate/gc_engine.c src/substrate/gc_gossip.c
EXTRA_DIST += tests/fuzz/corpus/fuzz_gc_wire
