# tests/hostile/gcauth.mk -- authenticated groupcast: forged, silencing and reading records.
#
# test_gcauth (Prosody and ejabberd, xmucd, four liborbweb peers and two
# raw attackers): forged records from an outsider and from a member are
# not delivered; a seq of 10^9 and digests with a watermark of 10^6 cost
# no real groupcast; digests from a stranger draw nothing.  The unit
# side (signatures, tokens, the engine's window and verifier) is in
# src/substrate/groupcast.mk.  docs/security.md, "Authenticated groupcast".
check_PROGRAMS += tests/hostile/test_gcauth
TESTS += tests/hostile/test_gcauth
tests_hostile_test_gcauth_SOURCES = tests/hostile/test_gcauth.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_hostile_test_gcauth_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_hostile_test_gcauth_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_hostile_test_gcauth_LDADD = src/substrate/libob.la $(OB_FI) \
	src/substrate/libgc.la src/xmuc/libxmuc.la tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_hostile_test_gcauth_DEPENDENCIES = src/xmuc/xmucd
