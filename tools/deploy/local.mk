# tools/deploy/local.mk -- the deployment kit `make install` puts in place
# (docs/deploy.md): xmucd's systemd unit, the example configuration,
# Prosody, ejabberd and logrotate snippets, the example programs with a
# Makefile that builds them against the installed liborbweb, and where
# the installed orbweb finds the installed xmucd (tools/orbweb/cli_paths.c).

# xmucd.service in systemd's unit folder (configure: --with-systemdsystemunitdir),
# with the installed xmucd's path written in.
if HAVE_SYSTEMD_UNITDIR
systemdsystemunit_DATA = tools/deploy/xmucd.service
endif
tools/deploy/xmucd.service: $(srcdir)/tools/deploy/xmucd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools/deploy && \
	  sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@docdir[@]|$(docdir)|g' \
	    $(srcdir)/tools/deploy/xmucd.service.in >$@.tmp && mv $@.tmp $@
CLEANFILES += tools/deploy/xmucd.service
EXTRA_DIST += tools/deploy/xmucd.service.in
# distcheck installs as a user into its own prefix, never in systemd's
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${dc_install_base}/lib/systemd/system'

# $(docdir)/examples: configuration to copy, programs to build (`make`
# there uses pkg-config, see tools/examples/Makefile).
examplesdir = $(docdir)/examples
dist_examples_DATA = tools/deploy/xmucd.conf \
	tools/deploy/prosody-xmucd.cfg.lua tools/deploy/ejabberd-xmucd.yml \
	tools/deploy/xmucd.logrotate \
	tools/examples/Makefile tools/examples/ob_echo.c
dist_doc_DATA = docs/deploy.md

# orbweb up starts the xmucd installed beside it, the build tree's only
# when it is the build tree's own orbweb.
noinst_LTLIBRARIES += tools/orbweb/libclipaths.la
tools_orbweb_libclipaths_la_SOURCES = tools/orbweb/cli_paths.c \
	tools/orbweb/cli_paths.h
tools_orbweb_libclipaths_la_CPPFLAGS = $(CLI_CPPFLAGS)
tools_orbweb_libclipaths_la_CFLAGS = $(AM_CFLAGS) \
	-DOB_ABS_BUILDDIR='"$(abs_top_builddir)"' -DOB_BINDIR='"$(bindir)"'
ORBWEB_CLI_LIBS += tools/orbweb/libclipaths.la

# Installed programs and files, used from a `make install`: the unit
# (systemd-analyze verify), the examples, and orbweb up with the build
# tree out of reach.
TESTS += tests/package/test_deploy.sh tests/package/test_up_installed.sh
EXTRA_DIST += tests/package/test_deploy.sh tests/package/test_up_installed.sh
# what a failing tests/package/test_deploy.sh leaves to look at
clean-local: clean-deploy
clean-deploy:
	rm -rf tests/package/deploy
.PHONY: clean-deploy
