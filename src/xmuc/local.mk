# src/xmuc/local.mk -- xmucd, the X-MUC component (prefix xm_).

noinst_LTLIBRARIES += src/xmuc/libxmuc.la
src_xmuc_libxmuc_la_SOURCES = \
	src/xmuc/xm_config.c src/xmuc/xm_config.h \
	src/xmuc/xm_link.c src/xmuc/xm_link.h \
	src/xmuc/xm_log.c src/xmuc/xm_log.h \
	src/xmuc/xm_service.c src/xmuc/xm_service.h
src_xmuc_libxmuc_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) \
	$(SSL_CFLAGS)
src_xmuc_libxmuc_la_LIBADD = src/e2e/libe2e.la $(STROPHE_LIBS) $(EVENT_LIBS) \
	$(SSL_LIBS)

bin_PROGRAMS += src/xmuc/xmucd
src_xmuc_xmucd_SOURCES = src/xmuc/xmucd.c
src_xmuc_xmucd_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS)
src_xmuc_xmucd_LDADD = src/xmuc/libxmuc.la

check_PROGRAMS += tests/unit/test_xm_config
TESTS += tests/unit/test_xm_config
tests_unit_test_xm_config_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_xm_config_LDADD = src/xmuc/libxmuc.la $(CRITERION_LIBS)
