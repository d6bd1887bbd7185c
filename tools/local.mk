# tools/local.mk -- the orbweb command line, the server harness, benchmarks.

# The harness (prefix hs_): starts Prosody and ejabberd from generated
# configurations in a throwaway folder.  Used by tests, orbweb up, benches.
noinst_LTLIBRARIES += tools/harness/libharness.la
tools_harness_libharness_la_SOURCES = \
	tools/harness/hs_server.c tools/harness/hs_server.h \
	tools/harness/hs_proc.c tools/harness/hs_proc.h \
	tools/harness/hs_client.c tools/harness/hs_client.h tools/harness/hs_cert.c \
	tools/harness/hs_internal.h tools/harness/hs_xmucd.c \
	tools/harness/hs_netns.c tools/harness/hs_netns.h \
	tools/harness/hs_proxy.c tools/harness/hs_proxy.h
tools_harness_libharness_la_CPPFLAGS = $(HS_CPPFLAGS)
tools_harness_libharness_la_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) \
	-DOB_BINDIR='"$(bindir)"' -DOB_BUILD_XMUCD='"$(abs_top_builddir)/src/xmuc/xmucd"' \
	-DOB_TRAFFIC_LUA_DIR='"$(abs_top_srcdir)/tools/servers"' \
	-DOB_TRAFFIC_BEAM_DIR='"$(abs_top_builddir)/tools/servers"'
tools_harness_libharness_la_LIBADD = $(STROPHE_LIBS) $(SSL_LIBS)

bin_PROGRAMS += tools/orbweb/orbweb
tools_orbweb_orbweb_SOURCES = tools/orbweb/main.c tools/orbweb/cli.h \
	tools/orbweb/cmd_up.c tools/bench/bench.c tools/bench/bench.h \
	$(ORBWEB_CLI_SOURCES)
tools_orbweb_orbweb_CPPFLAGS = $(CLI_CPPFLAGS)
tools_orbweb_orbweb_CFLAGS = $(AM_CFLAGS) $(STROPHE_CFLAGS) $(EVENT_CFLAGS) $(XML2_CFLAGS)
tools_orbweb_orbweb_LDADD = $(ORBWEB_CLI_LIBS) tools/harness/libharness.la \
	$(STROPHE_LIBS) $(EVENT_LIBS) $(XML2_LIBS) -lm

dist_man_MANS += docs/xmucd.8 docs/orbweb.1
dist_noinst_SCRIPTS = tools/demo tools/check tools/fuzz-campaign tools/format

# The whole-server traffic modules for `orbweb traffic --whole-server`:
# Prosody's (Lua) and ejabberd's (Erlang, compiled here when erlc is found;
# the tests' harness loads them from the build tree).  Prosody's goes to
# $(prefix)/lib/prosody/modules, a folder Debian's prosody.cfg.lua already
# lists in plugin_paths for /usr/local, so one modules_enabled entry turns
# it on; ejabberd's to $(pkgdatadir)/ejabberd.
prosodymoddir = $(prefix)/lib/prosody/modules
dist_prosodymod_DATA = tools/servers/mod_orbweb_traffic.lua
ejabberdmoddir = $(pkgdatadir)/ejabberd
dist_ejabberdmod_DATA = tools/servers/mod_orbweb_traffic.erl
if HAVE_ERLC
ejabberdmod_DATA = tools/servers/mod_orbweb_traffic.beam
CLEANFILES += tools/servers/mod_orbweb_traffic.beam
tools/servers/mod_orbweb_traffic.beam: tools/servers/mod_orbweb_traffic.erl
	$(AM_V_GEN)$(MKDIR_P) tools/servers && \
	$(ERLC) -o tools/servers $(srcdir)/tools/servers/mod_orbweb_traffic.erl
endif
