#!/bin/sh
# test_up_installed.sh -- installed programs find each other where they
# were installed, never in the build folder: `make install` into a
# scratch DESTDIR outside the build and source trees, then the installed
# `orbweb up` run in a private mount namespace where a tmpfs is mounted
# over the source and build trees (they are gone, as far as it can
# tell).  It must start the installed xmucd (the path it prints) and
# come up: demo peers in the room, topology drawn.  On main it printed
# the build tree's xmucd, or, with the tree gone, $(bindir)'s, which a
# DESTDIR install does not fill.
#
# Needs unshare(1) with mount namespaces: as root (CI's fresh root), or
# an unprivileged user namespace otherwise; where neither works it says
# so and skips (exit 77).
set -u
: "${OB_BUILDDIR:?}" "${OB_SRCDIR:?}"
make=${OB_MAKE:-make}
build=$(cd "$OB_BUILDDIR" && pwd -P); src=$(cd "$OB_SRCDIR" && pwd -P)
# the scratch folder must stay visible once the trees are hidden
tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
case "$tmp/" in "$build"/*|"$src"/*) tmp=/tmp ;; esac
work=$(mktemp -d "$tmp/ob-up-installed.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
     $make -s -C "$OB_BUILDDIR" install DESTDIR="$work/root" \
     >"$work/install.log" 2>&1; then
  cat "$work/install.log"; echo "not ok - make install DESTDIR=$work/root"; exit 1
fi
orbweb=$(find "$work/root" -path '*/bin/orbweb' | head -n 1)
libdir=$(dirname "$(find "$work/root" -name 'liborbweb.so' | head -n 1)")
[ -x "$orbweb" ] || { echo "not ok - no orbweb installed"; exit 1; }
echo "ok - installed $orbweb"

if [ "$(id -u)" = 0 ]; then ns="unshare -m"; else ns="unshare -rm"; fi
if ! $ns true 2>/dev/null; then
  echo "# SKIP: '$ns' does not work here, the build tree cannot be hidden"
  exit 77
fi
# Inside: hide both trees, check they are hidden, run the installed orbweb.
cat >"$work/inside.sh" <<'INSIDE'
set -u
for d in "$SRC" "$BUILD"; do
  [ -d "$d" ] && mount -t tmpfs -o size=1m hidden "$d" 2>/dev/null
done
if [ -e "$BUILD/src/xmuc/xmucd" ] || [ -e "$SRC/configure.ac" ]; then
  echo "not ok - the trees are still visible"; exit 1
fi
echo "ok - $SRC and $BUILD hidden"
cd "$WORK" && env -u OB_XMUCD TMPDIR="$WORK" LD_LIBRARY_PATH="$LIBDIR" \
  "$ORBWEB" up --for 1 --peers 3 --svg "$WORK/demo.svg" </dev/null
INSIDE
SRC=$src BUILD=$build WORK=$work LIBDIR=$libdir ORBWEB=$orbweb \
  $ns sh "$work/inside.sh" >"$work/up.out" 2>&1
rc=$?
sed 's/^/# /' "$work/up.out"
status=0
want="starting xmucd (${orbweb%/orbweb}/xmucd)"
grep -qF "$want" "$work/up.out" && echo "ok - $want" ||
  { echo "not ok - orbweb up did not start the installed xmucd"; status=1; }
grep -q '^orbweb is up' "$work/up.out" && [ "$rc" = 0 ] &&
  [ -s "$work/demo.svg" ] && echo "ok - orbweb up came up and drew the room" ||
  { echo "not ok - orbweb up: exit $rc"; status=1; }
exit "$status"
