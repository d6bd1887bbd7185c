# src/e2e/local.mk -- direct end-to-end streams (prefix e2e_): the
# session policy, the Jingle negotiation and the links themselves, three
# convenience libraries linked into liborbweb through libob.  They sit
# on the XML stream layer (src/xs) and the Fast Infoset codec (fi).

# The direct-session policy (prefix e2e_policy_, sans-I/O).
#
# libe2epolicy.la depends on nothing but libm (no XMPP, libevent or
# OpenSSL).  Tests: tests/unit/test_e2e_policy (every rule with exact
# numbers, allocation failures) and tests/sim/sim_e2e_policy (2,000 peers
# each with its own policy, scripted traffic; SIM_SEED reproduces a run).
# See docs/e2e-policy.md.

noinst_LTLIBRARIES += src/e2e/libe2epolicy.la
src_e2e_libe2epolicy_la_SOURCES = src/e2e/e2e_policy.c src/e2e/e2e_policy.h
src_e2e_libe2epolicy_la_CPPFLAGS = $(E2E_CPPFLAGS)
src_e2e_libe2epolicy_la_LIBADD = -lm

check_PROGRAMS += tests/unit/test_e2e_policy tests/sim/sim_e2e_policy
TESTS += tests/unit/test_e2e_policy tests/sim/sim_e2e_policy
tests_unit_test_e2e_policy_CPPFLAGS = $(E2E_CPPFLAGS)
tests_unit_test_e2e_policy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_e2e_policy_LDADD = src/e2e/libe2epolicy.la $(CRITERION_LIBS)
tests_sim_sim_e2e_policy_CPPFLAGS = $(E2E_CPPFLAGS)
tests_sim_sim_e2e_policy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_sim_sim_e2e_policy_LDADD = src/e2e/libe2epolicy.la $(CRITERION_LIBS)

# Jingle negotiation of direct streams (prefix e2e_jingle_, sans-I/O).
#
# libe2ejingle.la uses libstrophe's stanza model only (no sockets, no
# event loop).  Tests: tests/unit/test_e2e_jingle (exact stanzas, the
# session table's states, limits and errors) and the fuzz harness
# fuzz_e2e_jingle (parser and table fed mutated stanzas).

noinst_LTLIBRARIES += src/e2e/libe2ejingle.la
src_e2e_libe2ejingle_la_SOURCES = src/e2e/e2e_jingle.c src/e2e/e2e_jingle.h
src_e2e_libe2ejingle_la_CPPFLAGS = $(E2E_CPPFLAGS)
src_e2e_libe2ejingle_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
src_e2e_libe2ejingle_la_LIBADD = $(STROPHE_LIBS)

check_PROGRAMS += tests/unit/test_e2e_jingle
TESTS += tests/unit/test_e2e_jingle
tests_unit_test_e2e_jingle_CPPFLAGS = $(E2E_CPPFLAGS)
tests_unit_test_e2e_jingle_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_e2e_jingle_LDADD = src/e2e/libe2ejingle.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_e2e_jingle
TESTS += tests/fuzz/fuzz_e2e_jingle
FUZZ_TARGETS += fuzz_e2e_jingle
tests_fuzz_fuzz_e2e_jingle_SOURCES = tests/fuzz/fuzz_e2e_jingle.c \
	tests/fuzz/stanzas.c tests/fuzz/stanzas.h tests/fuzz/replay.c
tests_fuzz_fuzz_e2e_jingle_CPPFLAGS = $(E2E_CPPFLAGS)
tests_fuzz_fuzz_e2e_jingle_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_e2e_jingle_LDADD = src/e2e/libe2ejingle.la src/xs/libxs.la
fuzz_e2e_jingle_FUZZ_SRCS = tests/fuzz/stanzas.c src/e2e/e2e_jingle.c \
	src/xs/xs_parser.c
fuzz_e2e_jingle_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_e2e_jingle

# Direct end-to-end links: TLS, listener, connector, XEP-0246 streams,
# Fast Infoset framing (prefix e2e_link_).

noinst_LTLIBRARIES += src/e2e/libe2elink.la
src_e2e_libe2elink_la_SOURCES = \
	src/e2e/e2e_link.h src/e2e/e2e_link_internal.h \
	src/e2e/e2e_fi.h src/e2e/e2e_reader.h \
	src/e2e/e2e_ident.c src/e2e/e2e_fi.c src/e2e/e2e_reader.c \
	src/e2e/e2e_link.c src/e2e/e2e_listener.c
src_e2e_libe2elink_la_CPPFLAGS = $(E2E_CPPFLAGS)
src_e2e_libe2elink_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
# libxs and libfi are left to the programs and to liborbweb: nested in
# here they would be linked twice into liborbweb, which has libfi already.
src_e2e_libe2elink_la_LIBADD = $(STROPHE_LIBS) $(EVENT_LIBS) $(SSL_LIBS)

check_PROGRAMS += tests/unit/test_e2e_link
TESTS += tests/unit/test_e2e_link
tests_unit_test_e2e_link_SOURCES = tests/unit/test_e2e_link.c
tests_unit_test_e2e_link_CPPFLAGS = $(E2E_CPPFLAGS)
tests_unit_test_e2e_link_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_e2e_link_LDADD = src/e2e/libe2elink.la src/xs/libxs.la \
	fi/libfi.la $(CRITERION_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_e2e_frames
TESTS += tests/fuzz/fuzz_e2e_frames
FUZZ_TARGETS += fuzz_e2e_frames
tests_fuzz_fuzz_e2e_frames_SOURCES = tests/fuzz/fuzz_e2e_frames.c tests/fuzz/replay.c
tests_fuzz_fuzz_e2e_frames_CPPFLAGS = $(E2E_CPPFLAGS)
tests_fuzz_fuzz_e2e_frames_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
tests_fuzz_fuzz_e2e_frames_LDADD = src/e2e/libe2elink.la src/xs/libxs.la fi/libfi.la
fuzz_e2e_frames_FUZZ_SRCS = src/e2e/e2e_reader.c src/e2e/e2e_fi.c \
	src/xs/xs_parser.c $(filter %.c,$(fi_libfi_la_SOURCES))
fuzz_e2e_frames_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_e2e_frames
