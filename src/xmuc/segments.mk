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

# Segment detection (sans-I/O) and its unit tests.
src_xmuc_libxmuc_la_SOURCES += src/xmuc/xm_segments.c src/xmuc/xm_segments.h \
	src/xmuc/xm_room_gc.c

check_PROGRAMS += tests/unit/test_xm_segments
TESTS += tests/unit/test_xm_segments
tests_unit_test_xm_segments_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_xm_segments_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

# The detection simulator: thousands of members in k true segments, lost
# and false answers, churn (SIM_SEED=<n> reproduces a run).
check_PROGRAMS += tests/sim/sim_segments
TESTS += tests/sim/sim_segments
tests_sim_sim_segments_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_sim_sim_segments_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS) -lm

# Groupcast engines in rooms (xm_room_gc.c, listed above).
check_PROGRAMS += tests/unit/test_xm_groupcast
TESTS += tests/unit/test_xm_groupcast
tests_unit_test_xm_groupcast_SOURCES = tests/unit/test_xm_groupcast.c \
	tests/unit/xm_capture.c tests/unit/xm_capture.h
tests_unit_test_xm_groupcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_xm_groupcast_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
