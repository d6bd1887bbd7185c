#!/bin/sh
# test_install.sh -- liborbweb as an application sees it: `make install`
# into a scratch DESTDIR in the build tree, then the examples installed
# in $(docdir)/examples built by their own Makefile (pkg-config), and
# ob_echo.c built against what was installed, with nothing but pkg-config:
#
#   shared   cc ob_echo.c $(pkg-config --cflags --libs orbweb)
#   static   cc ob_echo.c $(pkg-config --cflags orbweb) \
#              $(pkg-config --static --libs orbweb), liborbweb.a linked
#
# Each program is run without arguments (its usage, exit 2), which loads
# and starts it.  Every installed header must compile alone as
# <orbweb/NAME.h>.
#
# The static link takes liborbweb.a and each dependency's .a (Debian 12's
# -dev packages ship them all), except the C library's own (libc, libm,
# libdl, libpthread, libresolv) and expat: liborbweb defines XML_Parse
# to interpose libstrophe's calls (src/substrate/ob_expat.c), which
# libexpat.a defines too, and it reaches expat's own through
# dlsym(RTLD_NEXT), so expat stays a shared library.  A dependency whose
# .a is missing is linked shared too, and the log says so.
set -u
: "${OB_BUILDDIR:?}" "${OB_SRCDIR:?}"
make=${OB_MAKE:-make}
cc=${OB_CC:-cc}
flags="${OB_SAN_CFLAGS:-}"
work="$OB_BUILDDIR/tests/package/install"
status=0

fail() { echo "not ok - $*"; status=1; }
ok() { echo "ok - $*"; }

rm -rf "$work" && mkdir -p "$work" || exit 1
# A make of its own, not the parent's jobserver (the test runs under make
# check); everything is built already, so install only copies.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
     $make -s -C "$OB_BUILDDIR" install DESTDIR="$work/root" \
     >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  fail "make install DESTDIR=$work/root"
  exit 1
fi
pc=$(find "$work/root" -name orbweb.pc | head -n 1)
[ -n "$pc" ] || { fail "no orbweb.pc installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
ok "make install: $pc"
# The installed orbweb.pc, its absolute folders moved under DESTDIR as
# the files were (PKG_CONFIG_SYSROOT_DIR would move the dependencies' too).
mkdir -p "$work/pc" &&
  sed -E "s#^(prefix|exec_prefix|libdir|includedir)=/#\1=$work/root/#" \
    "$pc" >"$work/pc/orbweb.pc" || exit 1
export PKG_CONFIG_PATH="$work/pc"
cflags=$(pkg-config --cflags orbweb) || { fail "pkg-config --cflags orbweb"; exit 1; }
incdir=$(pkg-config --variable=includedir orbweb)
case " $cflags " in
  *" -I$incdir "*) [ -f "$incdir/orbweb/orbweb.h" ] ||
                     fail "no $incdir/orbweb/orbweb.h" ;;
  *) fail "Cflags ($cflags) do not name $incdir" ;;
esac

# Every installed header on its own, as an application includes it.
for h in "$incdir"/orbweb/*.h; do
  name=orbweb/$(basename "$h")
  if printf '#include <%s>\nint main(void) { return 0; }\n' "$name" |
     $cc $flags -Werror -Wall -Wextra $cflags -x c -o /dev/null - \
     >"$work/header.log" 2>&1; then
    ok "<$name> compiles alone"
  else
    cat "$work/header.log"; fail "<$name> does not compile alone"
  fi
done

# run NAME BINARY: starts it without arguments: usage, exit 2.
run() {
  LD_LIBRARY_PATH="$libdir" "$2" >"$work/$1.out" 2>&1
  rc=$?
  if [ "$rc" = 2 ] && grep -q '^usage: ' "$work/$1.out"; then
    ok "$1 ob_echo starts (usage, exit 2)"
  else
    cat "$work/$1.out"; fail "$1 ob_echo: exit $rc"
  fi
}

# The examples as installed, in $(docdir)/examples with their Makefile:
# copied to a folder of the user's and built there with `make`, which
# builds every NAME.c with pkg-config's flags.
examples=$(find "$work/root" -type d -path '*/doc/orbweb/examples' | head -n 1)
src="$examples/ob_echo.c"
[ -f "$src" ] || { fail "no ob_echo.c installed in \$(docdir)/examples"; exit 1; }
cp -R "$examples" "$work/examples" || exit 1
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $make -C "$work/examples" \
     CC="$cc" CFLAGS="$flags -Wall -Wextra -Werror" >"$work/examples.log" 2>&1; then
  for c in "$examples"/*.c; do
    name=$(basename "$c" .c)
    [ -x "$work/examples/$name" ] && ok "installed example $name built by its Makefile" ||
      fail "the examples' Makefile did not build $name"
  done
  run examples "$work/examples/ob_echo"
else
  cat "$work/examples.log"; fail "make in the installed examples folder"
fi
event=$(pkg-config --cflags --libs libevent_core)
if $cc $flags -o "$work/echo-shared" "$src" \
     $(pkg-config --cflags --libs orbweb) $event >"$work/shared.log" 2>&1; then
  ok "shared: cc ob_echo.c \$(pkg-config --cflags --libs orbweb)"
  LD_LIBRARY_PATH="$libdir" ldd "$work/echo-shared" | grep -q "$libdir/liborbweb.so" ||
    fail "shared ob_echo does not load the installed liborbweb.so"
  run shared "$work/echo-shared"
else
  cat "$work/shared.log"; fail "shared link"
fi

# The static link line: pkg-config --static's, each -lNAME wrapped in
# -Bstatic where libNAME.a exists and is not one of the exceptions above.
static_libs() {
  for w in $(pkg-config --static --libs orbweb libevent_core); do
    case "$w" in
      -lc|-lm|-ldl|-lpthread|-lrt|-lresolv|-lexpat) echo "$w" ;;
      -l*)
        a=lib${w#-l}.a
        if [ "$($cc -print-file-name="$a")" != "$a" ] ||
           [ -f "$libdir/$a" ]; then
          echo "-Wl,-Bstatic $w -Wl,-Bdynamic"
        else
          echo "# no $a: ${w#-l} linked shared" >&2
          echo "$w"
        fi ;;
      *) echo "$w" ;;
    esac
  done
}
[ -f "$libdir/liborbweb.a" ] || fail "no liborbweb.a installed"
slibs=$(static_libs)
echo "# static link: $slibs" | tr '\n' ' '; echo
if $cc $flags -o "$work/echo-static" "$src" $cflags -L"$libdir" $slibs \
     >"$work/static.log" 2>&1; then
  ok "static: cc ob_echo.c \$(pkg-config --static --libs orbweb)"
  needed=$(readelf -d "$work/echo-static" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  echo "# static ob_echo needs: $needed"
  for lib in liborbweb libstrophe libevent libssl libcrypto libidn; do
    case " $needed" in
      *" $lib"[.-]*) fail "static ob_echo needs $lib shared" ;;
    esac
  done
  run static "$work/echo-static"
else
  cat "$work/static.log"; fail "static link"
fi
[ "$status" = 0 ] && rm -rf "$work"
exit "$status"
