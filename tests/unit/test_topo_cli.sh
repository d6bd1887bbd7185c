#!/bin/sh
# test_topo_cli.sh -- orbweb topo from the command line, offline
# (--from-json): the text is the same bytes twice, --around cuts, svg and
# png are pictures, and the usage errors say so with exit status 2.
set -u
: "${OB_BUILDDIR:?}"
orbweb="$OB_BUILDDIR/tools/orbweb/orbweb"
draw="$OB_BUILDDIR/src/views/vm_draw"
status=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; status=1; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

"$draw" --room tapbcast 60 3 > "$t/room.json" || { notok "vm_draw --room"; exit 1; }
"$orbweb" topo --from-json "$t/room.json" > "$t/a.txt" &&
    "$orbweb" topo r@rooms --from-json - < "$t/room.json" > "$t/b.txt" &&
    cmp -s "$t/a.txt" "$t/b.txt" && [ "$(wc -l < "$t/a.txt")" -eq 60 ] &&
    [ "$(head -c 21 "$t/a.txt")" = "peer0001 [segment 1, " ] &&
    LC_ALL=C sort -c "$t/a.txt" &&
    ok "text: 60 sorted lines, the same from a file and stdin" ||
    notok "text: 60 sorted lines, the same from a file and stdin"

"$orbweb" topo --from-json "$t/room.json" --around peer0005 --depth 0 \
    > "$t/c.txt" && [ "$(wc -l < "$t/c.txt")" -eq 1 ] &&
    grep -q '^peer0005 ' "$t/c.txt" &&
    "$orbweb" topo --from-json "$t/room.json" --around peer0005 > "$t/d.txt" &&
    [ "$(wc -l < "$t/d.txt")" -gt 1 ] &&
    ok "--around: depth 0 is the member, depth 1 more" ||
    notok "--around: depth 0 is the member, depth 1 more"

if command -v neato > /dev/null; then
    "$orbweb" topo --from-json "$t/room.json" --format svg > "$t/r.svg" &&
        grep -q '<svg' "$t/r.svg" && grep -q 'edges (A sees B)' "$t/r.svg" &&
        "$orbweb" topo --from-json "$t/room.json" --format png \
            --around peer0005 > "$t/r.png" &&
        [ "$(head -c 4 "$t/r.png" | tail -c 3)" = PNG ] &&
        ok "svg with a legend, png around a member" ||
        notok "svg with a legend, png around a member"
else
    notok "Graphviz (neato) is needed: tools/setup installs graphviz"
fi

usage() { # expected status, words of the message, arguments...
    want=$1 words=$2
    shift 2
    "$orbweb" topo --from-json "$t/room.json" "$@" > /dev/null 2> "$t/err"
    got=$?
    [ "$got" -eq "$want" ] && grep -q -- "$words" "$t/err" &&
        ok "$* -> $want ($words)" || notok "$* -> $got, want $want ($words): $(cat "$t/err")"
}
usage 2 "--depth wants" --around peer0005 --depth x
usage 2 "--depth wants" --around peer0005 --depth 65
usage 2 "--layout is" --layout spring
usage 2 "--format is" --format gif
usage 2 "--around shows" --around peer0005 --format json
usage 1 "no occupant is called nobody" --around nobody
exit $status
