# src/xmuc/segments.mk -- segment detection and ta-pbcast rooms in xmucd.
#
# The tapbcast view manager itself is in src/views (libvm.la); its tests
# live here.  VM_SEED=<n> reproduces a property run.

check_PROGRAMS += tests/unit/test_vm_tapbcast
TESTS += tests/unit/test_vm_tapbcast
tests_unit_test_vm_tapbcast_SOURCES = tests/unit/test_vm_tapbcast.c \
	tests/unit/test_vm_util.h
tests_unit_test_vm_tapbcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_vm_tapbcast_LDADD = src/views/libvm.la $(CRITERION_LIBS)
