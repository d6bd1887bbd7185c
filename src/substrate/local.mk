# src/substrate/local.mk -- liborbweb proper (prefix ob_, internals obi_).
#
# libob.la is the client library's core (connection, rooms, the relayed
# transport), linked into liborbweb; orbweb.h is its public header.  Its
# modules are layered (docs in each *_internal.h): client -> groupcast ->
# room, direct -> relay -> core -> parse; tools/layers checks that no
# include runs back up (tests/layers, below).
# Tests: tests/unit/test_ob_parse (presences and messages into events,
# no server), tests/unit/test_ob_client (API misuse, FD_SETSIZE refusal),
# tests/unit/test_ob_order (ordering across paths, scripted and seeded),
# tests/integration/test_ob (rooms, views, unicast, groupcast, errors and
# reconnection on real Prosody and ejabberd, and the example programs).

noinst_LTLIBRARIES += src/substrate/libob.la
src_substrate_libob_la_SOURCES = \
	src/substrate/orbweb.h \
	src/substrate/ob_client.c \
	src/substrate/ob_groupcast.c src/substrate/ob_groupcast_internal.h \
	src/substrate/ob_room.c src/substrate/ob_room_internal.h \
	src/substrate/ob_direct.c src/substrate/ob_direct_internal.h \
	src/substrate/ob_relay.c src/substrate/ob_relay_internal.h \
	src/substrate/ob_core.c src/substrate/ob_core_internal.h \
	src/substrate/ob_parse.c src/substrate/ob_parse_internal.h \
	src/substrate/ob_recover.c src/substrate/ob_recover_internal.h \
	src/substrate/ob_order.c src/substrate/ob_order.h \
	src/substrate/ob_expat.c src/substrate/ob_expat_internal.h \
	src/substrate/ob_sock.c src/substrate/ob_sock_internal.h \
	src/substrate/ob_abi.c src/substrate/ob_abi_internal.h \
	src/substrate/ob_timer.c src/substrate/ob_timer_internal.h \
	src/substrate/ob_rpc_core.c src/substrate/ob_rpc.c src/substrate/ob_rpc_internal.h \
	src/substrate/ob_view.c src/substrate/ob_view_internal.h \
	src/substrate/ob_wait.c src/substrate/ob_wait_internal.h \
	src/substrate/ob_form.c src/substrate/ob_form_internal.h \
	src/substrate/ob_room_admin.c src/substrate/ob_peer.c
src_substrate_libob_la_CPPFLAGS = $(OB_CPPFLAGS)
src_substrate_libob_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS)
# the groupcast engines (src/gc), the direct streams (src/e2e) and the
# XML stream layer (src/xs); libfi comes with liborbweb, and the test
# programs name it (OB_FI below)
src_substrate_libob_la_LIBADD = src/gc/libgc.la src/gc/libgcsig.la src/e2e/libe2ejingle.la src/e2e/libe2epolicy.la \
	src/e2e/libe2elink.la src/xs/libxs.la $(STROPHE_LIBS) $(EVENT_LIBS) \
	$(EXPAT_LIBS)
OB_FI = fi/libfi.la $(EXPAT_LIBS)
liborbweb_la_LIBADD += src/substrate/libob.la
orbwebinclude_HEADERS += src/substrate/orbweb.h

# The modules depend on each other one way: tools/layers on every
# folder's includes and on the calls between its objects; liborbweb must
# have no cycle (docs in tests/unit/test_layers.sh).
TESTS += tests/unit/test_layers.sh
EXTRA_DIST += tests/unit/test_layers.sh tools/layers

# Example programs (docs/api.md): built by make, linked against the
# shared liborbweb as an application would, run by tests/integration/test_ob.
# Their include path holds only the public headers, laid out as installed
# (include/orbweb/, made by Makefile.am), so they write <orbweb/orbweb.h>.
noinst_PROGRAMS += tools/examples/ob_echo
tools_examples_ob_echo_SOURCES = tools/examples/ob_echo.c
tools_examples_ob_echo_CPPFLAGS = $(PUBLIC_CPPFLAGS)
tools_examples_ob_echo_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS)
tools_examples_ob_echo_LDADD = liborbweb.la $(EVENT_LIBS)
# ob_hello: the wait helpers and a poll(2) loop, no libevent of its own
# (run by tests/integration/test_ob_api).
noinst_PROGRAMS += tools/examples/ob_hello
tools_examples_ob_hello_SOURCES = tools/examples/ob_hello.c
tools_examples_ob_hello_CPPFLAGS = $(PUBLIC_CPPFLAGS)
tools_examples_ob_hello_LDADD = liborbweb.la

# The recovery decisions and epochs (ob_recover.c, ob_parse.c).
check_PROGRAMS += tests/unit/test_ob_recover
TESTS += tests/unit/test_ob_recover
tests_unit_test_ob_recover_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_recover_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_recover_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_ob_parse tests/unit/test_ob_client
TESTS += tests/unit/test_ob_parse tests/unit/test_ob_client
tests_unit_test_ob_parse_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_parse_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_parse_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)
tests_unit_test_ob_client_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_client_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_ob_client_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

# The core's registries and dispatcher (ob_core.c), without a connection.
check_PROGRAMS += tests/unit/test_ob_core
TESTS += tests/unit/test_ob_core
tests_unit_test_ob_core_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_core_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_core_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

# liborbweb's XML_Parse (ob_expat.c): libstrophe's parser reports every
# element with its last byte.
check_PROGRAMS += tests/unit/test_ob_expat
TESTS += tests/unit/test_ob_expat
tests_unit_test_ob_expat_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_expat_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_expat_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

# Ordering unicasts across the relayed and direct paths (sans-I/O).
check_PROGRAMS += tests/unit/test_ob_order
TESTS += tests/unit/test_ob_order
tests_unit_test_ob_order_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_order_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_order_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

check_PROGRAMS += tests/integration/test_ob
TESTS += tests/integration/test_ob
tests_integration_test_ob_SOURCES = tests/integration/test_ob.c \
	tools/orbweb/topo.c tools/orbweb/topo.h \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_integration_test_ob_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_ob_DEPENDENCIES = src/xmuc/xmucd \
	tools/examples/ob_echo

# Direct streams end to end: 2,000 unicasts across a direct stream that
# comes up and is cut, strangers and a wrong certificate.
check_PROGRAMS += tests/integration/test_ob_direct
TESTS += tests/integration/test_ob_direct
tests_integration_test_ob_direct_SOURCES = tests/integration/test_ob_direct.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_integration_test_ob_direct_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_direct_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_direct_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)

# A stanza handed over one byte per read is delivered with its last
# byte (expat's reparse deferral): liborbweb, xmucd's link, and libstrophe
# alone, through a relay in front of real Prosody and ejabberd.
check_PROGRAMS += tests/integration/test_split
TESTS += tests/integration/test_split
tests_integration_test_split_SOURCES = tests/integration/test_split.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_integration_test_split_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_split_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_split_LDADD = src/substrate/libob.la $(OB_FI) src/xmuc/libxmuc.la \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_split_DEPENDENCIES = src/xmuc/xmucd

# Fuzzing the library's reading of what rooms send.
check_PROGRAMS += tests/fuzz/fuzz_ob_parse
TESTS += tests/fuzz/fuzz_ob_parse
FUZZ_TARGETS += fuzz_ob_parse
tests_fuzz_fuzz_ob_parse_SOURCES = tests/fuzz/fuzz_ob_parse.c \
	tests/fuzz/stanzas.c tests/fuzz/stanzas.h tests/fuzz/replay.c
tests_fuzz_fuzz_ob_parse_CPPFLAGS = $(OB_CPPFLAGS)
tests_fuzz_fuzz_ob_parse_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_ob_parse_LDADD = src/substrate/libob.la $(OB_FI)
fuzz_ob_parse_FUZZ_SRCS = tests/fuzz/stanzas.c src/substrate/ob_parse.c \
	src/xs/xs_parser.c
fuzz_ob_parse_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_ob_parse

# Groupcast engines through the library (ob_groupcast.c): twelve peers in
# tree and pbcast rooms on Prosody with xmucd; every groupcast delivered
# once, FIFO, and xmucd sending k stanzas per groupcast.
check_PROGRAMS += tests/integration/test_ob_groupcast
TESTS += tests/integration/test_ob_groupcast
tests_integration_test_ob_groupcast_SOURCES = \
	tests/integration/test_ob_groupcast.c tools/orbweb/topo.c \
	tools/orbweb/topo.h tests/integration/it_support.c \
	tests/integration/it_support.h tests/integration/it_world.c \
	tests/integration/it_world.h
tests_integration_test_ob_groupcast_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_groupcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_groupcast_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_ob_groupcast_DEPENDENCIES = src/xmuc/xmucd

# The groupcast payload, attributes and <gc/> parsing (no server).
check_PROGRAMS += tests/unit/test_ob_groupcast
TESTS += tests/unit/test_ob_groupcast
tests_unit_test_ob_groupcast_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_groupcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_groupcast_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

# ta-pbcast across real network segments (namespaces; needs root): segment
# detection through the peers' probes, then one stanza per segment per
# groupcast and every groupcast delivered once.
check_PROGRAMS += tests/integration/test_tapbcast_segments
TESTS += tests/integration/test_tapbcast_segments
tests_integration_test_tapbcast_segments_SOURCES = \
	tests/integration/test_tapbcast_segments.c tools/orbweb/topo.c \
	tools/orbweb/topo.h tests/integration/it_support.c \
	tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_integration_test_tapbcast_segments_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_tapbcast_segments_CFLAGS = $(AM_CFLAGS) \
	$(CRITERION_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_tapbcast_segments_LDADD = src/substrate/libob.la \
	$(OB_FI) src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) \
	$(EVENT_LIBS) -lpthread
EXTRA_tests_integration_test_tapbcast_segments_DEPENDENCIES = src/xmuc/xmucd

# liborbweb under failing allocations.
#
# The test programs here are linked with the linker's --wrap on the
# allocation functions (FA_WRAP), so every allocation made by liborbweb's
# own objects (the convenience libraries linked statically into the test)
# goes through tests/unit/fail_alloc.c, which counts them, fails the Nth
# and checks that nothing leaks; libstrophe, libevent, OpenSSL and libc
# keep the real allocator.  Tests: tests/unit/test_ob_alloc (the sans-I/O
# cores, every allocation index).  See docs/testing.md, "Failing
# allocations".

FA_WRAP = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc \
	-Wl,--wrap=strdup -Wl,--wrap=strndup -Wl,--wrap=free
FA_SOURCES = tests/unit/fail_alloc.c tests/unit/fail_alloc.h

check_PROGRAMS += tests/unit/test_ob_alloc
TESTS += tests/unit/test_ob_alloc
tests_unit_test_ob_alloc_SOURCES = tests/unit/test_ob_alloc.c $(FA_SOURCES)
tests_unit_test_ob_alloc_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_alloc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_ob_alloc_LDFLAGS = $(AM_LDFLAGS) $(FA_WRAP)
tests_unit_test_ob_alloc_LDADD = src/substrate/libob.la $(OB_FI) \
	$(CRITERION_LIBS)

# The client end to end (tests/integration/test_ob_alloc): connect, join,
# a view change, unicast both ways, groupcast, leave, free, on Prosody and
# ejabberd with xmucd, under allocation failures (a few hundred indices
# per mode: OB_ALLOC_RUNS).
check_PROGRAMS += tests/integration/test_ob_alloc
TESTS += tests/integration/test_ob_alloc
tests_integration_test_ob_alloc_SOURCES = tests/integration/test_ob_alloc.c \
	$(FA_SOURCES)
tests_integration_test_ob_alloc_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_integration_test_ob_alloc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_alloc_LDFLAGS = $(AM_LDFLAGS) $(FA_WRAP)
tests_integration_test_ob_alloc_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) \
	$(EVENT_LIBS)
EXTRA_tests_integration_test_ob_alloc_DEPENDENCIES = src/xmuc/xmucd

# The services' API (ob_abi.c, ob_timer.c, ob_rpc_core.c, ob_rpc.c,
# ob_view.c): growable structs, timers, RPC (sans-I/O core with a fake
# clock and wire), without a server; then RPC, timers and the view
# accessors between real peers on Prosody and ejabberd, relayed and direct.
check_PROGRAMS += tests/unit/test_ob_abi tests/unit/test_ob_rpc
TESTS += tests/unit/test_ob_abi tests/unit/test_ob_rpc
tests_unit_test_ob_abi_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_abi_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_ob_abi_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS) $(EVENT_LIBS)
tests_unit_test_ob_rpc_CPPFLAGS = $(OB_CPPFLAGS)
tests_unit_test_ob_rpc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_ob_rpc_LDADD = src/substrate/libob.la $(OB_FI) $(CRITERION_LIBS)

# Fuzzing the RPC frames a peer may send (ob_rpc_core.c).
check_PROGRAMS += tests/fuzz/fuzz_ob_rpc
TESTS += tests/fuzz/fuzz_ob_rpc
FUZZ_TARGETS += fuzz_ob_rpc
tests_fuzz_fuzz_ob_rpc_SOURCES = tests/fuzz/fuzz_ob_rpc.c tests/fuzz/replay.c
tests_fuzz_fuzz_ob_rpc_CPPFLAGS = $(OB_CPPFLAGS)
tests_fuzz_fuzz_ob_rpc_LDADD = src/substrate/libob.la $(OB_FI)
fuzz_ob_rpc_FUZZ_SRCS = src/substrate/ob_rpc_core.c
EXTRA_DIST += tests/fuzz/corpus/fuzz_ob_rpc

check_PROGRAMS += tests/integration/test_ob_services
TESTS += tests/integration/test_ob_services
tests_integration_test_ob_services_SOURCES = tests/integration/test_ob_services.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_integration_test_ob_services_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_services_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_services_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_ob_services_DEPENDENCIES = src/xmuc/xmucd

# The API for simple programs and room owners (ob_wait.c, ob_room_admin.c):
# poll-loop accessors, wait helpers, configure, kick, ban, destroy and
# presence status on real Prosody.
check_PROGRAMS += tests/integration/test_ob_api
TESTS += tests/integration/test_ob_api
tests_integration_test_ob_api_SOURCES = tests/integration/test_ob_api.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_integration_test_ob_api_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_api_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_api_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) \
	$(EVENT_LIBS)
EXTRA_tests_integration_test_ob_api_DEPENDENCIES = src/xmuc/xmucd \
	tools/examples/ob_hello

# Connection errors (refused, wrong password: one login attempt), TLS
# trust (the harness's own CA, pins) and flow control (OB_EAGAIN and the
# drained callback, relayed and direct) on real Prosody and ejabberd.
check_PROGRAMS += tests/integration/test_ob_conn
TESTS += tests/integration/test_ob_conn
tests_integration_test_ob_conn_SOURCES = tests/integration/test_ob_conn.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_integration_test_ob_conn_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_ob_conn_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS) $(SSL_CFLAGS)
tests_integration_test_ob_conn_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS) $(SSL_LIBS)
