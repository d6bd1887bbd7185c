# src/views/local.mk -- view managers (prefix vm_): pure logic, no I/O.
#
# libvm.la is a convenience library linked into liborbweb; vm.h is the
# public header.  Tests: tests/unit/test_vm (hand-checked delta cases and
# the API) and tests/unit/test_vm_props (seeded property runs; VM_SEED
# reproduces one).  The benchmark is `orbweb bench views`.

noinst_LTLIBRARIES += src/views/libvm.la
src_views_libvm_la_SOURCES = \
	src/views/vm.h src/views/vm_internal.h src/views/vm.c \
	src/views/vm_plain.h src/views/vm_plain.c \
	src/views/vm_registry.h src/views/vm_registry.c \
	src/views/vm_map.h src/views/vm_map.c \
	src/views/vm_set.h src/views/vm_set.c \
	src/views/vm_net.h src/views/vm_net.c \
	src/views/vm_rbtree.h src/views/vm_rbtree.c \
	src/views/vm_complete.c src/views/vm_blind.c \
	src/views/vm_rbt.c src/views/vm_ring.c src/views/vm_random.c \
	src/views/vm_composite.h src/views/vm_composite.c \
	src/views/vm_treegossip.c \
	src/views/vm_tapbcast.c \
	src/views/vm_export.h src/views/vm_export.c
src_views_libvm_la_CPPFLAGS = $(VM_CPPFLAGS)
liborbweb_la_LIBADD += src/views/libvm.la
orbwebinclude_HEADERS += src/views/vm.h

ORBWEB_CLI_SOURCES += tools/bench/bench_views.c
ORBWEB_CLI_LIBS += src/views/libvm.la

check_PROGRAMS += tests/unit/test_vm tests/unit/test_vm_props
TESTS += tests/unit/test_vm tests/unit/test_vm_props
tests_unit_test_vm_SOURCES = tests/unit/test_vm.c tests/unit/test_vm_util.h
tests_unit_test_vm_CPPFLAGS = $(VM_CPPFLAGS)
tests_unit_test_vm_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_vm_LDADD = src/views/libvm.la $(CRITERION_LIBS)
tests_unit_test_vm_props_SOURCES = tests/unit/test_vm_props.c \
	tests/unit/test_vm_util.h
tests_unit_test_vm_props_CPPFLAGS = $(VM_CPPFLAGS)
tests_unit_test_vm_props_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_vm_props_LDADD = src/views/libvm.la $(CRITERION_LIBS)

# docs/views/*.dot and *.svg are drawn by this helper (built by make check,
# not run): src/views/vm_draw $(srcdir)/docs/views  (see docs/views.md).
check_PROGRAMS += src/views/vm_draw
src_views_vm_draw_SOURCES = src/views/vm_draw.c
src_views_vm_draw_CPPFLAGS = $(VM_CPPFLAGS)
src_views_vm_draw_LDADD = src/views/libvm.la
