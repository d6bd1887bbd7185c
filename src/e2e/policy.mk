# src/e2e/policy.mk -- the direct-session policy (prefix e2e_policy_, sans-I/O).
#
# libe2epolicy.la depends on nothing but libm (no XMPP, libevent or
# OpenSSL).  Tests: tests/unit/test_e2e_policy (every rule with exact
# numbers, allocation failures) and tests/sim/sim_e2e_policy (2,000 peers
# each with its own policy, scripted traffic; SIM_SEED reproduces a run).
# See docs/e2e-policy.md.

noinst_LTLIBRARIES += src/e2e/libe2epolicy.la
src_e2e_libe2epolicy_la_SOURCES = src/e2e/e2e_policy.c src/e2e/e2e_policy.h
src_e2e_libe2epolicy_la_LIBADD = -lm

check_PROGRAMS += tests/unit/test_e2e_policy tests/sim/sim_e2e_policy
TESTS += tests/unit/test_e2e_policy tests/sim/sim_e2e_policy
tests_unit_test_e2e_policy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_e2e_policy_LDADD = src/e2e/libe2epolicy.la $(CRITERION_LIBS)
tests_sim_sim_e2e_policy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_sim_sim_e2e_policy_LDADD = src/e2e/libe2epolicy.la $(CRITERION_LIBS)
