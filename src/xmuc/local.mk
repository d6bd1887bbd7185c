# src/xmuc/local.mk -- xmucd, the X-MUC component (prefix xm_).

noinst_LTLIBRARIES += src/xmuc/libxmuc.la
src_xmuc_libxmuc_la_SOURCES = \
	src/xmuc/xm_config.c src/xmuc/xm_config.h \
	src/xmuc/xm_link.c src/xmuc/xm_link.h \
	src/xmuc/xm_log.c src/xmuc/xm_log.h \
	src/xmuc/xm_notify.c src/xmuc/xm_notify.h \
	src/xmuc/xm_service.c src/xmuc/xm_service.h \
	src/xmuc/xm_stanza.c src/xmuc/xm_stanza.h \
	src/xmuc/xm_roomcfg.c src/xmuc/xm_roomcfg.h \
	src/xmuc/xm_room.c src/xmuc/xm_room.h src/xmuc/xm_room_internal.h \
	src/xmuc/xm_room_admin.c src/xmuc/xm_room_link.c src/xmuc/xm_room_link.h \
	src/xmuc/xm_room_parts.c src/xmuc/xm_room_parts.h \
	src/xmuc/xm_room_limits.c \
	src/xmuc/xm_flow.c src/xmuc/xm_flow.h \
	src/xmuc/xm_quota.c src/xmuc/xm_quota.h \
	src/xmuc/xm_error.h \
	src/xmuc/xm_store.c src/xmuc/xm_store.h \
	src/xmuc/xm_live.c src/xmuc/xm_live.h \
	src/xmuc/xm_room_live.c src/xmuc/xm_room_live.h \
	src/xmuc/xm_stats.c src/xmuc/xm_stats.h
src_xmuc_libxmuc_la_CPPFLAGS = $(XM_CPPFLAGS)
src_xmuc_libxmuc_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
src_xmuc_libxmuc_la_LIBADD = src/util/libut.la src/gc/libgcsig.la src/xs/libxs.la src/views/libvm.la $(STROPHE_LIBS) $(EVENT_LIBS) \
	$(SSL_LIBS)

bin_PROGRAMS += src/xmuc/xmucd
src_xmuc_xmucd_SOURCES = src/xmuc/xmucd.c
src_xmuc_xmucd_CPPFLAGS = $(XM_CPPFLAGS)
src_xmuc_xmucd_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS)
src_xmuc_xmucd_LDADD = src/xmuc/libxmuc.la

check_PROGRAMS += tests/unit/test_xm_config
TESTS += tests/unit/test_xm_config
tests_unit_test_xm_config_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_config_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_xm_config_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

# Every option of xmucd --help is in xmucd(8) and docs/xmucd.md.
TESTS += tests/unit/test_xmucd_options.sh
EXTRA_DIST += tests/unit/test_xmucd_options.sh

# systemd's notifications (xm_notify.c), received on our own socket.
check_PROGRAMS += tests/unit/test_xm_notify
TESTS += tests/unit/test_xm_notify
tests_unit_test_xm_notify_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_notify_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_xm_notify_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xm_flow
TESTS += tests/unit/test_xm_flow
tests_unit_test_xm_flow_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_flow_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_xm_flow_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_xm_room
TESTS += tests/unit/test_xm_room

# The live state across a restart of xmucd (xm_live.c, xm_room_live.c).
check_PROGRAMS += tests/unit/test_xm_live
TESTS += tests/unit/test_xm_live
tests_unit_test_xm_live_SOURCES = tests/unit/test_xm_live.c \
	tests/unit/xm_capture.c tests/unit/xm_capture.h
tests_unit_test_xm_live_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_live_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_xm_live_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
tests_unit_test_xm_room_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_room_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(STROPHE_CFLAGS)
tests_unit_test_xm_room_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

# Statistics and inspection: the OpenMetrics endpoint (xm_stats.c is
# listed above), the admin commands orbweb traffic and orbweb topo, their
# unit tests and the topology reader's fuzz harness.
src_xmuc_libxmuc_la_SOURCES += src/xmuc/xm_http.c src/xmuc/xm_http.h \
	src/xmuc/xm_metrics.c src/xmuc/xm_metrics.h \
	src/xmuc/xm_refusal.c src/xmuc/xm_refusal.h

check_PROGRAMS += tests/unit/test_xm_stats tests/unit/test_xm_http \
	tests/unit/test_topo
TESTS += tests/unit/test_xm_stats tests/unit/test_xm_http tests/unit/test_topo
# orbweb topo from the command line, offline (--from-json, src/views/vm_draw)
TESTS += tests/unit/test_topo_cli.sh
EXTRA_DIST += tests/unit/test_topo_cli.sh
tests_unit_test_xm_stats_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_stats_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_xm_stats_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
tests_unit_test_xm_http_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_http_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_xm_http_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
# The Prometheus project's parsers check both exposition formats
# (python3-prometheus-client); test_xmuc runs it on a live xmucd too.
EXTRA_DIST += tests/unit/om_parse.py
tests_unit_test_topo_SOURCES = tests/unit/test_topo.c \
	tools/orbweb/topo.c tools/orbweb/topo.h tools/orbweb/topo_around.c \
	tools/orbweb/topo_draw.c tools/orbweb/topo_draw.h
tests_unit_test_topo_CPPFLAGS = $(CLI_CPPFLAGS)
tests_unit_test_topo_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(XML2_CFLAGS)
tests_unit_test_topo_LDADD = src/views/libvm.la $(CRITERION_LIBS) \
	$(XML2_LIBS) -lm

ORBWEB_CLI_SOURCES += tools/orbweb/cmd_traffic.c tools/orbweb/cmd_topo.c \
	tools/orbweb/traffic_chart.c tools/orbweb/traffic_chart.h \
	tools/orbweb/cli_admin.c tools/orbweb/cli_admin.h \
	tools/orbweb/topo.c tools/orbweb/topo.h tools/orbweb/topo_around.c \
	tools/orbweb/topo_draw.c tools/orbweb/topo_draw.h
ORBWEB_CLI_LIBS += src/xmuc/libxmuc.la

check_PROGRAMS += tests/fuzz/fuzz_topo_json
TESTS += tests/fuzz/fuzz_topo_json
FUZZ_TARGETS += fuzz_topo_json
tests_fuzz_fuzz_topo_json_SOURCES = tests/fuzz/fuzz_topo_json.c \
	tests/fuzz/replay.c tools/orbweb/topo.c tools/orbweb/topo.h
tests_fuzz_fuzz_topo_json_CPPFLAGS = $(CLI_CPPFLAGS)
tests_fuzz_fuzz_topo_json_CFLAGS = $(AM_CFLAGS)
fuzz_topo_json_FUZZ_SRCS = tools/orbweb/topo.c
EXTRA_DIST += tests/fuzz/corpus/fuzz_topo_json

# Fuzzing xmucd's stanza handling (the whole service, in memory).
check_PROGRAMS += tests/fuzz/fuzz_xm_service
TESTS += tests/fuzz/fuzz_xm_service
FUZZ_TARGETS += fuzz_xm_service
tests_fuzz_fuzz_xm_service_SOURCES = tests/fuzz/fuzz_xm_service.c \
	tests/fuzz/stanzas.c tests/fuzz/stanzas.h tests/fuzz/replay.c
tests_fuzz_fuzz_xm_service_CPPFLAGS = $(XM_CPPFLAGS)
tests_fuzz_fuzz_xm_service_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_xm_service_LDADD = src/xmuc/libxmuc.la
fuzz_xm_service_FUZZ_SRCS = tests/fuzz/stanzas.c $(src_xmuc_libxmuc_la_SOURCES) \
	$(src_util_libut_la_SOURCES) \
	$(src_xs_libxs_la_SOURCES) $(src_views_libvm_la_SOURCES) \
	$(src_gc_libgcsig_la_SOURCES)
fuzz_xm_service_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS) $(EVENT_LIBS) $(SSL_LIBS) -lm \
	$(IDN_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_xm_service

# Fuzzing xmucd's reader of its own live state (restarts, xm_live.c).
check_PROGRAMS += tests/fuzz/fuzz_xm_live
TESTS += tests/fuzz/fuzz_xm_live
FUZZ_TARGETS += fuzz_xm_live
tests_fuzz_fuzz_xm_live_SOURCES = tests/fuzz/fuzz_xm_live.c tests/fuzz/replay.c
tests_fuzz_fuzz_xm_live_CPPFLAGS = $(XM_CPPFLAGS)
tests_fuzz_fuzz_xm_live_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS)
tests_fuzz_fuzz_xm_live_LDADD = src/xmuc/libxmuc.la
fuzz_xm_live_FUZZ_SRCS = $(src_xmuc_libxmuc_la_SOURCES) \
	$(src_util_libut_la_SOURCES) \
	$(src_xs_libxs_la_SOURCES) $(src_views_libvm_la_SOURCES) \
	$(src_gc_libgcsig_la_SOURCES)
fuzz_xm_live_FUZZ_LIBS = $(STROPHE_LIBS) $(EXPAT_LIBS) $(EVENT_LIBS) $(SSL_LIBS) -lm \
	$(IDN_LIBS)
EXTRA_DIST += tests/fuzz/corpus/fuzz_xm_live

# Segment detection and ta-pbcast rooms in xmucd.
#
# The tapbcast view manager itself is in src/views (libvm.la); its tests
# live here.  VM_SEED=<n> reproduces a property run.

check_PROGRAMS += tests/unit/test_vm_tapbcast
TESTS += tests/unit/test_vm_tapbcast
tests_unit_test_vm_tapbcast_SOURCES = tests/unit/test_vm_tapbcast.c \
	tests/unit/test_vm_util.h
tests_unit_test_vm_tapbcast_CPPFLAGS = $(VM_CPPFLAGS)
tests_unit_test_vm_tapbcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_vm_tapbcast_LDADD = src/views/libvm.la $(CRITERION_LIBS)

# Segment detection (sans-I/O) and its unit tests.
src_xmuc_libxmuc_la_SOURCES += src/xmuc/xm_segments.c src/xmuc/xm_segments.h \
	src/xmuc/xm_room_gc.c src/xmuc/xm_room_gc.h

check_PROGRAMS += tests/unit/test_xm_segments
TESTS += tests/unit/test_xm_segments
tests_unit_test_xm_segments_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_segments_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_xm_segments_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)

# The detection simulator: thousands of members in k true segments, lost
# and false answers, churn (SIM_SEED=<n> reproduces a run).
check_PROGRAMS += tests/sim/sim_segments
TESTS += tests/sim/sim_segments
tests_sim_sim_segments_CPPFLAGS = $(XM_CPPFLAGS)
tests_sim_sim_segments_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_sim_sim_segments_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS) -lm

# Groupcast engines in rooms (xm_room_gc.c, listed above).
check_PROGRAMS += tests/unit/test_xm_groupcast
TESTS += tests/unit/test_xm_groupcast
tests_unit_test_xm_groupcast_SOURCES = tests/unit/test_xm_groupcast.c \
	tests/unit/xm_capture.c tests/unit/xm_capture.h
tests_unit_test_xm_groupcast_CPPFLAGS = $(XM_CPPFLAGS)
tests_unit_test_xm_groupcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(STROPHE_CFLAGS)
tests_unit_test_xm_groupcast_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
