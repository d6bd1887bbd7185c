# tests/hostile/direct.mk -- direct streams: who may open one, listener floods.
#
# test_direct: a stranger's empty ordered message and session-initiate
# (the victim never connects to the port it names), and 64 half-open
# connections from one source against a peer's direct listener (a new
# session still comes up).  Real Prosody and ejabberd.
check_PROGRAMS += tests/hostile/test_direct
TESTS += tests/hostile/test_direct
tests_hostile_test_direct_SOURCES = tests/hostile/test_direct.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_direct_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_hostile_test_direct_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
