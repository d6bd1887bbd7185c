# tools/bench/local.mk -- the membership benchmark (Fig. 16) and its
# load-generating client engine (prefix bp_): thousands of anonymous XMPP
# clients in one process, on libevent and our own stream parser.

ORBWEB_CLI_SOURCES += tools/bench/bench_membership.c \
	tools/bench/bench_peers.c tools/bench/bench_peers.h
ORBWEB_CLI_LIBS += src/e2e/libe2e.la $(EXPAT_LIBS)

# The engine's login and room state machine, fed bytes without a socket.
check_PROGRAMS += tests/unit/test_bench_peers
TESTS += tests/unit/test_bench_peers
tests_unit_test_bench_peers_SOURCES = tests/unit/test_bench_peers.c \
	tools/bench/bench_peers.c tools/bench/bench_peers.h
tests_unit_test_bench_peers_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_bench_peers_LDADD = src/e2e/libe2e.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)

# Smoke test: a tiny run of the benchmark against Prosody (never timed).
TESTS += tests/integration/test_bench_membership.sh
EXTRA_DIST += tests/integration/test_bench_membership.sh

# orbweb swarm: N logical peers in one room on the same engine.
ORBWEB_CLI_SOURCES += tools/orbweb/cmd_swarm.c
TESTS += tests/integration/test_swarm.sh
EXTRA_DIST += tests/integration/test_swarm.sh

# orbweb bench e2e (Fig. 17): relayed unicasts (liborbweb) against direct
# links (src/e2e), over XML, TLS and TLS + Fast Infoset.
ORBWEB_CLI_SOURCES += tools/bench/bench_e2e.c
ORBWEB_CLI_LIBS += src/substrate/libob.la
TESTS += tests/integration/test_bench_e2e.sh
EXTRA_DIST += tests/integration/test_bench_e2e.sh
