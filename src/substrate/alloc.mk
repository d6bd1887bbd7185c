# src/substrate/alloc.mk -- liborbweb under failing allocations.
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
tests_integration_test_ob_alloc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_integration_test_ob_alloc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_ob_alloc_LDFLAGS = $(AM_LDFLAGS) $(FA_WRAP)
tests_integration_test_ob_alloc_LDADD = src/substrate/libob.la $(OB_FI) \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) \
	$(EVENT_LIBS)
EXTRA_tests_integration_test_ob_alloc_DEPENDENCIES = src/xmuc/xmucd
