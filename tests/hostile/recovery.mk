# tests/hostile/recovery.mk -- recovery: peers rejoin after xmucd loses its state.
#
# test_recovery: xmucd killed (SIGKILL) and started again, with and
# without its data folder, on Prosody and ejabberd: every peer back, the
# room with its configuration and owner, groupcasts once and in order.
check_PROGRAMS += tests/hostile/test_recovery
TESTS += tests/hostile/test_recovery
tests_hostile_test_recovery_SOURCES = tests/hostile/test_recovery.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_recovery_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS) -I$(top_srcdir)/tests/integration
tests_hostile_test_recovery_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_hostile_test_recovery_DEPENDENCIES = src/xmuc/xmucd
