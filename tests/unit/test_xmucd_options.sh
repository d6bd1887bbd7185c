#!/bin/sh
# test_xmucd_options.sh -- every option xmucd --help lists is documented:
# in xmucd(8)'s synopsis and OPTIONS, and in docs/xmucd.md's synopsis
# (dashes) and settings table (underscores).
set -u
: "${OB_SRCDIR:?}" "${OB_BUILDDIR:?}"
man="$OB_SRCDIR/docs/xmucd.8"
md="$OB_SRCDIR/docs/xmucd.md"
status=0
opts=$("$OB_BUILDDIR/src/xmuc/xmucd" --help |
    grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || { echo "not ok - xmucd --help lists no option"; exit 1; }
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$man" | sed 's/\\//g')
options=$(sed -n '/^\.SH OPTIONS/,/^\.SH SIGNALS/p' "$man" | sed 's/\\//g')
for o in $opts; do
    name=$(echo "$o" | sed 's/^--//; s/-/_/g')
    echo "$synopsis" | grep -q -- "$o\$\\|$o " ||
        { echo "not ok - $o is not in xmucd(8)'s synopsis"; status=1; }
    echo "$options" | grep -q -- "$o" ||
        { echo "not ok - $o is not in xmucd(8)'s OPTIONS"; status=1; }
    grep -q -- "\\[$o\\|xmucd $o\\| $o " "$md" ||
        { echo "not ok - $o is not in docs/xmucd.md's synopsis"; status=1; }
    case $o in --help|--version|--config|--secret-file) continue ;; esac
    grep -q "^| \`$name\`" "$md" ||
        { echo "not ok - $name is not in docs/xmucd.md's settings"; status=1; }
done
[ $status = 0 ] && echo "ok - $(echo "$opts" | wc -l) options documented"
exit $status
