#!/bin/sh
# test_layers.sh -- modules depend on each other one way (tools/layers).
# First the checker itself, on made-up folders: a ring through calls that
# the includes hide, a ring of includes, and a header with its
# implementation (allowed).  Then every folder of the tree, includes and
# the calls between its built objects: liborbweb (src/substrate) must be
# acyclic; the folders listed in KNOWN had cycles when this test was
# written (the log says which) and are reported, not failed, until they
# are fixed; then the test asks for them to be taken off the list.
set -u
: "${OB_SRCDIR:?}" "${OB_BUILDDIR:?}"
layers="$OB_SRCDIR/tools/layers"
KNOWN=""
status=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; status=1; }

command -v nm >/dev/null || { echo "not ok - nm (binutils) is needed"; exit 1; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

# a (low) and b (high): b.c includes a.h; a.c includes b.h
mkdir "$t/inc"
printf '#include "a_internal.h"\n#include "b.h"\nint a(void) { return b(); }\n' > "$t/inc/a.c"
printf 'int a(void);\n' > "$t/inc/a_internal.h"
printf '#include "a_internal.h"\nint b(void) { return a(); }\n' > "$t/inc/b.c"
printf '#include "a_internal.h"\nint b(void);\n' > "$t/inc/b.h"
if out=$("$layers" "$t/inc"); then
    notok "a ring of includes is found"
else
    case $out in
    *"cycle between modules: a b"*"a.c includes b.h"*) ok "a ring of includes is found" ;;
    *) notok "a ring of includes is named: $out" ;;
    esac
fi

# b above a, but a calls b through a declaration in a's header (the old
# ob_internal.h declared everything): only the calls show the ring
mkdir "$t/call"
printf 'int a(void);\nint b(void);\n' > "$t/call/a.h"
printf '#include "a.h"\nint a(void) { return b(); }\n' > "$t/call/a.c"
printf '#include "a.h"\nint c(void);\n' > "$t/call/b.h"
printf '#include "b.h"\nint b(void) { return 1; }\nint c(void) { return a(); }\n' > "$t/call/b.c"
if ${CC:-cc} -c -o "$t/call/a.o" "$t/call/a.c" &&
   ${CC:-cc} -c -o "$t/call/b.o" "$t/call/b.c"; then
    "$layers" "$t/call" >/dev/null && ok "a declaration in a lower header hides the ring from includes" ||
        notok "includes alone: no cycle expected"
    if out=$("$layers" -o "$t/call" "$t/call/a.o" "$t/call/b.o"); then
        notok "a ring of calls is found"
    else
        case $out in
        *"a -> b (a.c calls b (b.c))"*) ok "a ring of calls is found" ;;
        *) notok "a ring of calls is named: $out" ;;
        esac
    fi
else
    notok "compiling the made-up objects"
fi

# a header, its implementation, and a second file implementing it
mkdir "$t/mod"
printf '#include "m.h"\nint m(void) { return n(); }\n' > "$t/mod/m.c"
printf '#include "m.h"\nint n(void) { return 1; }\n' > "$t/mod/m_extra.c"
printf '#include "m_internal.h"\nint m(void);\n' > "$t/mod/m.h"
printf '#include "m.h"\nint n(void);\n' > "$t/mod/m_internal.h"
"$layers" "$t/mod" >/dev/null && ok "a header and its implementation are one module" ||
    notok "a header and its implementation are one module"

# the tree
for dir in "$OB_SRCDIR"/src/*/ "$OB_SRCDIR"/fi/; do
    dir=${dir%/}
    rel=${dir#"$OB_SRCDIR"/}
    set --
    for o in "$OB_BUILDDIR/$rel"/*.o; do
        [ -f "$o" ] && set -- "$@" "$o"
    done
    if [ $# -eq 0 ]; then # libtool built no static objects: its PIC ones
        for o in "$OB_BUILDDIR/$rel"/.libs/*.o; do
            [ -f "$o" ] && set -- "$@" "$o"
        done
    fi
    if [ "$rel" = src/substrate ] && [ $# -eq 0 ]; then
        notok "$rel: no objects in $OB_BUILDDIR/$rel"
        continue
    fi
    if [ $# -gt 0 ]; then
        out=$("$layers" -o "$dir" "$@")
    else
        out=$("$layers" "$dir")
    fi
    rc=$?
    known=no
    for k in $KNOWN; do [ "$k" = "$rel" ] && known=yes; done
    case $rc,$known in
    0,no) ok "$rel: no cycle ($# objects)" ;;
    0,yes) notok "$rel: no cycle now: take it off KNOWN in this test" ;;
    *,yes) printf '%s\n' "$out"; ok "$rel: known cycles (above) # TODO" ;;
    *) printf '%s\n' "$out"; notok "$rel: cycles" ;;
    esac
done
exit $status
