# tools/bench/groupcast.mk -- orbweb bench groupcast (Fig. 18): a master
# groupcasts into rooms of real bench_peers members, for the server's own
# MUC and xmucd's relay, tree, pbcast and tapbcast modes; the members'
# groupcast engines exchange records over kernel socket pairs
# (bench_gcnet, prefix bgn_), never through the server.

ORBWEB_CLI_SOURCES += tools/bench/bench_groupcast.c \
	tools/bench/bench_gcnet.c tools/bench/bench_gcnet.h

# orbweb bench gcsig: sign and verify cost of authenticated groupcast
# (gc_sig.h); bench groupcast's members verify too.
ORBWEB_CLI_SOURCES += tools/bench/bench_gcsig.c
ORBWEB_CLI_LIBS += src/substrate/libgcsig.la

# Smoke test: a quick run against Prosody (never timed).
TESTS += tests/integration/test_bench_groupcast.sh
EXTRA_DIST += tests/integration/test_bench_groupcast.sh

# The socket-pair legs on their own (a real event loop, no server).
check_PROGRAMS += tests/unit/test_bench_gcnet
TESTS += tests/unit/test_bench_gcnet
tests_unit_test_bench_gcnet_SOURCES = tests/unit/test_bench_gcnet.c \
	tools/bench/bench_gcnet.c tools/bench/bench_gcnet.h
tests_unit_test_bench_gcnet_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(EVENT_CFLAGS)
tests_unit_test_bench_gcnet_LDADD = $(CRITERION_LIBS) $(EVENT_LIBS)
