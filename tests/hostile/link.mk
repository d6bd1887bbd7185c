# tests/hostile/link.mk -- the component link and room ownership: nested stanzas, link loss, JIDs.
#
# Each program runs its attack on Prosody and on ejabberd; they share
# tests/hostile/link_support.c (prefix lk_) and, with the other
# integration tests, tests/integration/it_support.c (prefix it_).
LINK_TEST_FLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	-I$(top_srcdir)/tests/integration
LINK_TEST_LIBS = src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) $(EVENT_LIBS)

check_PROGRAMS += tests/hostile/test_link_nested
TESTS += tests/hostile/test_link_nested
tests_hostile_test_link_nested_SOURCES = tests/hostile/test_link_nested.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_nested_CFLAGS = $(LINK_TEST_FLAGS)
tests_hostile_test_link_nested_LDADD = $(LINK_TEST_LIBS)
EXTRA_tests_hostile_test_link_nested_DEPENDENCIES = src/xmuc/xmucd

check_PROGRAMS += tests/hostile/test_link_grace
TESTS += tests/hostile/test_link_grace
tests_hostile_test_link_grace_SOURCES = tests/hostile/test_link_grace.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_grace_CFLAGS = $(LINK_TEST_FLAGS)
tests_hostile_test_link_grace_LDADD = $(LINK_TEST_LIBS)
EXTRA_tests_hostile_test_link_grace_DEPENDENCIES = src/xmuc/xmucd

check_PROGRAMS += tests/hostile/test_link_jid
TESTS += tests/hostile/test_link_jid
tests_hostile_test_link_jid_SOURCES = tests/hostile/test_link_jid.c \
	tests/hostile/link_support.c tests/hostile/link_support.h \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_link_jid_CFLAGS = $(LINK_TEST_FLAGS) $(EVENT_CFLAGS)
tests_hostile_test_link_jid_LDADD = src/substrate/libob.la $(OB_FI) $(LINK_TEST_LIBS) \
	$(EVENT_LIBS)
EXTRA_tests_hostile_test_link_jid_DEPENDENCIES = src/xmuc/xmucd
