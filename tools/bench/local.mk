# tools/bench/local.mk -- the benchmarks of `orbweb bench`, compiled into
# the orbweb command (tools/local.mk) with tools/orbweb's flags.
#
# The membership benchmark (Fig. 16) and its load-generating client
# engine (prefix bp_): thousands of anonymous XMPP clients in one
# process, on libevent and our own stream parser.

ORBWEB_CLI_SOURCES += tools/bench/bench_membership.c \
	tools/bench/bench_peers.c tools/bench/bench_peers.h
ORBWEB_CLI_LIBS += src/xs/libxs.la $(EXPAT_LIBS) $(SSL_LIBS)

# The engine's login and room state machine, fed bytes without a socket.
check_PROGRAMS += tests/unit/test_bench_peers
TESTS += tests/unit/test_bench_peers
tests_unit_test_bench_peers_SOURCES = tests/unit/test_bench_peers.c \
	tools/bench/bench_peers.c tools/bench/bench_peers.h
tests_unit_test_bench_peers_CPPFLAGS = $(CLI_CPPFLAGS)
tests_unit_test_bench_peers_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_bench_peers_LDADD = src/xs/libxs.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS) $(SSL_LIBS)

# Smoke test: a tiny run of the benchmark against Prosody (never timed).
TESTS += tests/integration/test_bench_membership.sh
EXTRA_DIST += tests/integration/test_bench_membership.sh

# orbweb swarm: N logical peers in one room on the same engine.
ORBWEB_CLI_SOURCES += tools/orbweb/cmd_swarm.c
TESTS += tests/integration/test_swarm.sh
EXTRA_DIST += tests/integration/test_swarm.sh
# ... with STARTTLS against a server that requires it; orbweb up's demo.
TESTS += tests/integration/test_swarm_tls.sh
EXTRA_DIST += tests/integration/test_swarm_tls.sh

# orbweb bench e2e (Fig. 17): relayed unicasts (liborbweb) against direct
# links (src/e2e), over XML, TLS and TLS + Fast Infoset.
ORBWEB_CLI_SOURCES += tools/bench/bench_e2e.c
ORBWEB_CLI_LIBS += src/substrate/libob.la
TESTS += tests/integration/test_bench_e2e.sh
EXTRA_DIST += tests/integration/test_bench_e2e.sh

# orbweb bench groupcast (Fig. 18): a master
# groupcasts into rooms of real bench_peers members, for the server's own
# MUC and xmucd's relay, tree, pbcast and tapbcast modes; the members'
# groupcast engines exchange records over kernel socket pairs
# (bench_gcnet, prefix bgn_), never through the server.

ORBWEB_CLI_SOURCES += tools/bench/bench_groupcast.c \
	tools/bench/bench_gcnet.c tools/bench/bench_gcnet.h

# orbweb bench gcsig: sign and verify cost of authenticated groupcast
# (gc_sig.h); bench groupcast's members verify too.
ORBWEB_CLI_SOURCES += tools/bench/bench_gcsig.c
ORBWEB_CLI_LIBS += src/gc/libgcsig.la

# Smoke test: a quick run against Prosody (never timed).
TESTS += tests/integration/test_bench_groupcast.sh
EXTRA_DIST += tests/integration/test_bench_groupcast.sh

# The socket-pair legs on their own (a real event loop, no server).
check_PROGRAMS += tests/unit/test_bench_gcnet
TESTS += tests/unit/test_bench_gcnet
tests_unit_test_bench_gcnet_SOURCES = tests/unit/test_bench_gcnet.c \
	tools/bench/bench_gcnet.c tools/bench/bench_gcnet.h
tests_unit_test_bench_gcnet_CPPFLAGS = $(CLI_CPPFLAGS)
tests_unit_test_bench_gcnet_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(EVENT_CFLAGS)
tests_unit_test_bench_gcnet_LDADD = $(CRITERION_LIBS) $(EVENT_LIBS)

# The simulator's rows of orbweb bench groupcast: the deterministic
# simulator and its groupcast world (libsim.la, src/sim/local.mk) linked
# into the orbweb command, so one command gives the real peers' figures
# and the 10,000-member network cost.

ORBWEB_CLI_SOURCES += tools/bench/bench_gcsim.c tools/bench/bench_gcsim.h
ORBWEB_CLI_LIBS += src/sim/libsim.la src/gc/libgc.la src/views/libvm.la

# orbweb bench flow: a burst of unicasts, the sender's memory with and
# without liborbweb's high-water mark (docs/performance.md).
ORBWEB_CLI_SOURCES += tools/bench/bench_flow.c
