# src/sim/local.mk -- the deterministic network simulator (prefix sim_)
# and its groupcast world (prefix gcw_), a library of its own.
#
# libsim.la is never installed: the simulation tests (tests/sim) and the
# simulator's rows of `orbweb bench groupcast` (tools/bench/bench_gcsim.c)
# both link it, so no test code is compiled into a product.  It sits
# above the groupcast engines (src/gc) and the view managers (src/views)
# that its world runs.  Tests: tests/sim/test_sim (the simulator itself)
# and tests/sim/sim_groupcast (1,000 and 10,000 peers with loss and churn;
# SIM_SEED reproduces a run, SIM_BIG=1 runs the whole table at 10,000
# peers).  See docs/groupcast.md.

noinst_LTLIBRARIES += src/sim/libsim.la
src_sim_libsim_la_SOURCES = src/sim/sim.c src/sim/sim.h \
	src/sim/sim_gcworld.c src/sim/sim_gcworld.h
src_sim_libsim_la_CPPFLAGS = $(SIM_CPPFLAGS)
src_sim_libsim_la_LIBADD = src/gc/libgc.la src/views/libvm.la

# Other protocols' simulation tests link libsim.la the same way.
check_PROGRAMS += tests/sim/sim_groupcast
TESTS += tests/sim/sim_groupcast
tests_sim_sim_groupcast_SOURCES = tests/sim/sim_groupcast.c
tests_sim_sim_groupcast_CPPFLAGS = $(SIM_CPPFLAGS)
tests_sim_sim_groupcast_LDADD = src/sim/libsim.la

check_PROGRAMS += tests/sim/test_sim
TESTS += tests/sim/test_sim
tests_sim_test_sim_SOURCES = tests/sim/test_sim.c
tests_sim_test_sim_CPPFLAGS = $(SIM_CPPFLAGS)
tests_sim_test_sim_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_sim_test_sim_LDADD = src/sim/libsim.la $(CRITERION_LIBS)
