#!/bin/sh
# test_exports.sh -- liborbweb.so exports the public API and nothing else.
#
# Every symbol `nm -D --defined-only` lists must be declared by the
# installed headers: the test writes one C file that includes them all
# as an application does (<orbweb/NAME.h>, from the build tree's
# include/orbweb/, a copy of what make install installs) and takes the
# address of each exported symbol; the compiler names every one that no
# installed header declares.  Internal modules (e2e_policy_*, gc_*, ...)
# are for the tree's own programs, which link the convenience libraries.
#
# One exception, on purpose: XML_Parse, expat's own function, which
# liborbweb interposes for libstrophe (src/substrate/ob_expat.c).
set -u
: "${OB_BUILDDIR:?}"
cc=${OB_CC:-cc}
so="$OB_BUILDDIR/.libs/liborbweb.so"
inc="$OB_BUILDDIR/include"
[ -f "$so" ] || { echo "not ok - no $so (a build without shared libraries?)"; exit 77; }
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

# The linker's own symbols and the interposed one are not API.
nm -D --defined-only "$so" | awk '{print $NF}' |
  grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start \
    -e XML_Parse | sort -u >"$work/exported"
n=$(wc -l <"$work/exported")
[ "$n" -gt 0 ] || { echo "not ok - nm lists no symbol in $so"; exit 1; }

{
  for h in "$inc"/orbweb/*.h; do
    echo "#include <orbweb/$(basename "$h")>"
  done
  echo "void *exported[] = {"
  sed 's/.*/    (void *)\&&,/' "$work/exported"
  echo "};"
} >"$work/exports.c"
if LC_ALL=C $cc -I"$inc" -c -o "$work/exports.o" "$work/exports.c" >"$work/cc.log" 2>&1; then
  echo "ok - the $n symbols liborbweb.so exports are all declared by installed headers"
  exit 0
fi
echo "not ok - liborbweb.so exports symbols no installed header declares:"
sed -n "s/.*'\([A-Za-z_0-9]*\)' undeclared.*/  \1/p" "$work/cc.log" | sort -u
exit 1
