# src/util/local.mk -- the utility layer (prefix ut_): hashing (ut_hash.h),
# an index over a dense array (ut_index.h),
# splitmix64 (ut_rand.h), lower-bound search (ut_search.h), a string map
# (ut_map), the namespaces (ut_ns.h).  The lowest layer: it includes
# nothing of ours, and nothing in it is exported from liborbweb.
# libut.la is a convenience library; the headers are not installed.

noinst_LTLIBRARIES += src/util/libut.la
src_util_libut_la_SOURCES = \
	src/util/ut.h src/util/ut_hash.h src/util/ut_rand.h \
	src/util/ut_search.h src/util/ut_ns.h src/util/ut_index.h \
	src/util/ut_map.c src/util/ut_map.h
src_util_libut_la_CPPFLAGS = $(UT_CPPFLAGS)

check_PROGRAMS += tests/unit/test_ut
TESTS += tests/unit/test_ut
tests_unit_test_ut_CPPFLAGS = $(UT_CPPFLAGS)
tests_unit_test_ut_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_ut_LDADD = src/util/libut.la $(CRITERION_LIBS)
