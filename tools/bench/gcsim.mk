# tools/bench/gcsim.mk -- the simulator's rows of orbweb bench groupcast:
# the deterministic simulator and its groupcast world (tests/sim/) linked
# into the orbweb command, so one command gives the real peers' figures
# and the 10,000-member network cost.

ORBWEB_CLI_SOURCES += tools/bench/bench_gcsim.c tools/bench/bench_gcsim.h \
	tests/sim/sim_gcworld.c tests/sim/sim_gcworld.h \
	tests/sim/sim.c tests/sim/sim.h
ORBWEB_CLI_LIBS += src/substrate/libgc.la src/views/libvm.la
tools_orbweb_orbweb_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
