# tests/local.mk -- shared test support, integration tests, fuzz replay.
#
# Unit tests (tests/unit/test_<module>.c, Criterion) are declared by their
# subsystem's local.mk.  Fuzz harnesses (tests/fuzz/fuzz_<name>.c, one
# LLVMFuzzerTestOneInput each) are built twice: linked with replay.c as a
# check program that replays tests/fuzz/corpus/fuzz_<name>/ plus seeded
# mutations, and with clang's libFuzzer by `make fuzz`.

EXTRA_DIST += tests/fuzz/replay.c tests/seed.h

# Every test, program or script, runs under one global bound (none of
# them is in TEST_EXTENSIONS, so LOG_COMPILER runs them all): coreutils
# timeout sends TERM to the test's process group after TEST_BOUND
# seconds, KILL 30 s later, and says so in the test's log; the test
# fails (exit 124 or 137).  A hang detector, never a budget: the slowest
# test (test_xmuc) took 172 s, the whole suite 656 s, run one at a time
# under the sanitizers on a two-core machine shared with three builds; a
# hang costs at most 10 minutes of CI's 45.  Criterion suites stop their
# tests sooner (480 s at most) and the tests' own waits sooner still,
# with a message naming what did not happen.
TEST_BOUND = 600
LOG_COMPILER = timeout --verbose --kill-after=30 $(TEST_BOUND)

# make fuzz: each harness built with libFuzzer from its module's sources
# (NAME_FUZZ_SRCS, NAME_FUZZ_LIBS) and run for FUZZ_SECONDS, growing a
# working corpus in fuzz-corpus/NAME seeded from the committed one.
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	$(DEFS) $(TEST_CPPFLAGS)

tests/fuzz/%.libfuzzer: $(srcdir)/tests/fuzz/%.c
	@test -n "$(FUZZ_CC)" || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	@mkdir -p tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< \
	  $(addprefix $(srcdir)/,$(filter %.c,$($*_FUZZ_SRCS))) $($*_FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS:%=tests/fuzz/%.libfuzzer)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz-corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  tests/fuzz/$$t.libfuzzer -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 fuzz-corpus/$$t \
	    $(srcdir)/tests/fuzz/corpus/$$t || exit 1; \
	done

clean-local: clean-fuzz clean-package
clean-fuzz:
	rm -rf fuzz-corpus tests/fuzz/*.libfuzzer
# what a failing tests/package/test_install.sh leaves to look at
clean-package:
	rm -rf tests/package/install

# tools/fuzz-campaign asks which harnesses exist.
fuzz-targets:
	@echo $(FUZZ_TARGETS)

.PHONY: fuzz clean-fuzz clean-package fuzz-targets

# Packaging: liborbweb installed into a scratch DESTDIR, the example
# built against it with pkg-config, shared and static (test_install.sh);
# liborbweb.so exporting nothing but what the installed headers declare
# (test_exports.sh).
TESTS += tests/package/test_install.sh tests/package/test_exports.sh
EXTRA_DIST += tests/package/test_install.sh tests/package/test_exports.sh

# Integration tests: real servers through the harness.
check_PROGRAMS += tests/integration/test_servers
TESTS += tests/integration/test_servers
tests_integration_test_servers_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_servers_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_integration_test_servers_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_integration_test_servers_DEPENDENCIES = src/xmuc/xmucd

# xmucd as operators run it: exit 2 at start, SIGHUP, logs, sd_notify.
check_PROGRAMS += tests/integration/test_xmucd_ops
TESTS += tests/integration/test_xmucd_ops
tests_integration_test_xmucd_ops_SOURCES = \
	tests/integration/test_xmucd_ops.c tests/integration/it_support.c \
	tests/integration/it_support.h
tests_integration_test_xmucd_ops_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_xmucd_ops_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_xmucd_ops_LDADD = src/xmuc/libxmuc.la \
	tools/harness/libharness.la $(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_xmucd_ops_DEPENDENCIES = src/xmuc/xmucd

check_PROGRAMS += tests/integration/test_xmuc
TESTS += tests/integration/test_xmuc
tests_integration_test_xmuc_SOURCES = tests/integration/test_xmuc.c \
	tests/integration/it_support.c tests/integration/it_support.h
tests_integration_test_xmuc_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_xmuc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_xmuc_LDADD = src/xmuc/libxmuc.la tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS) $(EVENT_LIBS)
EXTRA_tests_integration_test_xmuc_DEPENDENCIES = src/xmuc/xmucd

# Compatibility: a stock XEP-0045 client (python3-slixmpp) against xmucd's
# complete-view rooms, on Prosody and ejabberd.
check_PROGRAMS += tests/compat/test_slixmpp
TESTS += tests/compat/test_slixmpp
tests_compat_test_slixmpp_CPPFLAGS = $(TEST_CPPFLAGS)
tests_compat_test_slixmpp_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_compat_test_slixmpp_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_compat_test_slixmpp_DEPENDENCIES = src/xmuc/xmucd
EXTRA_DIST += tests/compat/slixmpp_muc.py

# orbweb up, as the README's first command runs it.
TESTS += tests/integration/test_up.sh
EXTRA_DIST += tests/integration/test_up.sh tests/integration/sh_support.sh

# orbweb up --server: against a server it did not start.
check_PROGRAMS += tests/integration/test_up_server
TESTS += tests/integration/test_up_server
tests_integration_test_up_server_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_up_server_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_up_server_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_integration_test_up_server_DEPENDENCIES = src/xmuc/xmucd \
	tools/orbweb/orbweb

# Network segments (namespaces) for the topology tests; needs root.
check_PROGRAMS += tests/integration/test_netns
TESTS += tests/integration/test_netns
tests_integration_test_netns_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_netns_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_netns_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS) -lpthread

# Direct streams across real network segments (namespaces; needs root).
check_PROGRAMS += tests/integration/test_e2e_segments
TESTS += tests/integration/test_e2e_segments
tests_integration_test_e2e_segments_SOURCES = \
	tests/integration/test_e2e_segments.c tests/integration/it_support.c \
	tests/integration/it_support.h tests/integration/it_world.c \
	tests/integration/it_world.h
tests_integration_test_e2e_segments_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_e2e_segments_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_integration_test_e2e_segments_LDADD = src/substrate/libob.la $(OB_FI) \
	src/xmuc/libxmuc.la tools/harness/libharness.la $(CRITERION_LIBS) \
	$(STROPHE_LIBS) \
	$(EVENT_LIBS) -lpthread
EXTRA_tests_integration_test_e2e_segments_DEPENDENCIES = src/xmuc/xmucd

# orbweb traffic --whole-server with our server modules (tools/servers/).
check_PROGRAMS += tests/integration/test_traffic
TESTS += tests/integration/test_traffic
tests_integration_test_traffic_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_traffic_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_traffic_LDADD = tools/harness/libharness.la \
	$(CRITERION_LIBS) $(STROPHE_LIBS)
EXTRA_tests_integration_test_traffic_DEPENDENCIES = tools/orbweb/orbweb
check_PROGRAMS += tests/unit/test_traffic_chart
TESTS += tests/unit/test_traffic_chart
tests_unit_test_traffic_chart_SOURCES = tests/unit/test_traffic_chart.c \
	tools/orbweb/traffic_chart.c tools/orbweb/traffic_chart.h
tests_unit_test_traffic_chart_CPPFLAGS = $(CLI_CPPFLAGS)
tests_unit_test_traffic_chart_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_traffic_chart_LDADD = $(CRITERION_LIBS)
