# tests/hostile/local.mk -- the hostile-input catalogue (docs/security.md).
#
# Each attack from the catalogue is a test here, run against real Prosody
# and ejabberd where it needs a server.  One section per area.

# Authenticated groupcast: forged, silencing and reading records.
#
# test_gcauth (Prosody and ejabberd, xmucd, four liborbweb peers and two
# raw attackers): forged records from an outsider and from a member are
# not delivered; a seq of 10^9 and digests with a watermark of 10^6 cost
# no real groupcast; digests from a stranger draw nothing.  The unit
# side (signatures, tokens, the engine's window and verifier) is in
# src/gc/local.mk.  docs/security.md, "Authenticated groupcast".
check_PROGRAMS += tests/hostile/test_gcauth
TESTS += tests/hostile/test_gcauth
tests_hostile_test_gcauth_SOURCES = tests/hostile/test_gcauth.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_hostile_test_gcauth_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_hostile_test_gcauth_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_hostile_test_gcauth_LDADD = src/substrate/libob.la $(OB_FI) \
	src/gc/libgc.la src/xmuc/libxmuc.la tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_hostile_test_gcauth_DEPENDENCIES = src/xmuc/xmucd

# The component link and room ownership: nested stanzas, link loss, JIDs.
#
# Each program runs its attack on Prosody and on ejabberd; they share
# tests/hostile/link_support.c (prefix lk_) and, with the other
# integration tests, tests/integration/it_support.c (prefix it_).
LINK_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration
LINK_TEST_FLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS)
LINK_TEST_LIBS = src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)

check_PROGRAMS += tests/hostile/test_link_nested
TESTS += tests/hostile/test_link_nested
tests_hostile_test_link_nested_SOURCES = tests/hostile/test_link_nested.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_nested_CPPFLAGS = $(LINK_TEST_CPPFLAGS)
tests_hostile_test_link_nested_CFLAGS = $(LINK_TEST_FLAGS)
tests_hostile_test_link_nested_LDADD = $(LINK_TEST_LIBS)
EXTRA_tests_hostile_test_link_nested_DEPENDENCIES = src/xmuc/xmucd

check_PROGRAMS += tests/hostile/test_link_grace
TESTS += tests/hostile/test_link_grace
tests_hostile_test_link_grace_SOURCES = tests/hostile/test_link_grace.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_grace_CPPFLAGS = $(LINK_TEST_CPPFLAGS)
tests_hostile_test_link_grace_CFLAGS = $(LINK_TEST_FLAGS)
tests_hostile_test_link_grace_LDADD = $(LINK_TEST_LIBS)
EXTRA_tests_hostile_test_link_grace_DEPENDENCIES = src/xmuc/xmucd

check_PROGRAMS += tests/hostile/test_link_jid
TESTS += tests/hostile/test_link_jid
tests_hostile_test_link_jid_SOURCES = tests/hostile/test_link_jid.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_jid_CPPFLAGS = $(LINK_TEST_CPPFLAGS)
tests_hostile_test_link_jid_CFLAGS = $(LINK_TEST_FLAGS) $(EVENT_CFLAGS)
tests_hostile_test_link_jid_LDADD = src/substrate/libob.la $(OB_FI) $(LINK_TEST_LIBS) \
	$(EVENT_LIBS)
EXTRA_tests_hostile_test_link_jid_DEPENDENCIES = src/xmuc/xmucd

# Bounded resources: output queue, bytes x recipients, room creation, memory.
#
# test_flood: attacks 5 (a relay-room flood: peak RSS under max_memory,
# the flooder refused, other rooms answering, SIGTERM prompt) and 7 (a
# room flood refused past the per-JID quota) on Prosody and ejabberd.
check_PROGRAMS += tests/hostile/test_flood
TESTS += tests/hostile/test_flood
tests_hostile_test_flood_CPPFLAGS = $(TEST_CPPFLAGS)
tests_hostile_test_flood_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_hostile_test_flood_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_hostile_test_flood_DEPENDENCIES = src/xmuc/xmucd

# Recovery: peers rejoin after xmucd loses its state.
#
# test_recovery: xmucd killed (SIGKILL) and started again, with and
# without its data folder, on Prosody and ejabberd: every peer back, the
# room with its configuration and owner, groupcasts once and in order.
check_PROGRAMS += tests/hostile/test_recovery
TESTS += tests/hostile/test_recovery
tests_hostile_test_recovery_SOURCES = tests/hostile/test_recovery.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_hostile_test_recovery_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_hostile_test_recovery_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_hostile_test_recovery_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_hostile_test_recovery_DEPENDENCIES = src/xmuc/xmucd

# Direct streams: who may open one, listener floods.
#
# test_direct: a stranger's empty ordered message and session-initiate
# (the victim never connects to the port it names), and 64 half-open
# connections from one source against a peer's direct listener (a new
# session still comes up).  Real Prosody and ejabberd.
check_PROGRAMS += tests/hostile/test_direct
TESTS += tests/hostile/test_direct
tests_hostile_test_direct_SOURCES = tests/hostile/test_direct.c \
	tests/integration/it_support.c tests/integration/it_support.h \
	tests/integration/it_world.c tests/integration/it_world.h
tests_hostile_test_direct_CPPFLAGS = $(TEST_CPPFLAGS)
tests_hostile_test_direct_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_hostile_test_direct_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
