# tests/hostile/flood.mk -- bounded resources: output queue, bytes x recipients, room creation, memory.
#
# test_flood: attacks 5 (a relay-room flood: peak RSS under max_memory,
# the flooder refused, other rooms answering, SIGTERM prompt) and 7 (a
# room flood refused past the per-JID quota) on Prosody and ejabberd.
check_PROGRAMS += tests/hostile/test_flood
TESTS += tests/hostile/test_flood
tests_hostile_test_flood_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_hostile_test_flood_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_hostile_test_flood_DEPENDENCIES = src/xmuc/xmucd
