#!/bin/sh
# test_up.sh -- `orbweb up` (what tools/demo runs) on each server: it must
# show the component answering, the demo peers' room topology and the
# traffic, stop on SIGINT, and leave no process or folder behind.  Each
# run is stopped once its log shows what is checked (no --for: waits are
# bounded only to catch hangs, tests/integration/sh_support.sh).
set -u
. "$OB_SRCDIR/tests/integration/sh_support.sh"
status=0
work=$(mktemp -d)   # orbweb up draws orbweb-demo.svg in the current folder
cd "$work" || exit 1
log=$(mktemp)
for kind in prosody ejabberd; do
  rm -f orbweb-demo.svg
  up_start "$log" --server-kind "$kind" --peers 6
  wait_for "$log" "press Ctrl-C" "$UP_DEADLINE" "$up_pid" &&
    wait_for "$log" "traffic: in " "$UP_DEADLINE" "$up_pid"
  up_stop
  rc=$up_rc
  out=$(cat "$log")
  dir=$(printf '%s\n' "$out" | sed -n 's/.*folder \(\/[^ ]*\)$/\1/p')
  for want in "identity: conference/text" "ping rooms.localhost: result" \
              "6 peers joined demo@rooms.localhost" "peer1 [key " "orbweb is up." \
              "drawn: orbweb-demo.svg" "traffic: in " \
              "stopped; nothing left running."; do
    case "$out" in
      *"$want"*) echo "ok - $kind: '$want'" ;;
      *) echo "not ok - $kind: no '$want' in:"; printf '%s\n' "$out"; status=1 ;;
    esac
  done
  [ "$rc" = 0 ] && echo "ok - $kind: exit 0" || { echo "not ok - $kind: exit $rc"; status=1; }
  grep -q "<svg" orbweb-demo.svg 2>/dev/null && echo "ok - $kind: topology drawn as SVG" \
    || { echo "not ok - $kind: no SVG drawing"; status=1; }
  # drawn as `orbweb topo --format svg` draws (topo_draw.h): no text on
  # edges, as Graphviz's dot put "tree" on every one
  edge_text=$(xmllint --xpath "count(//*[local-name()='g'][@class='edge']//*[local-name()='text'])" \
                orbweb-demo.svg 2>/dev/null)
  [ "$edge_text" = 0 ] && echo "ok - $kind: no text on the picture's edges" \
    || { echo "not ok - $kind: $edge_text texts on edges"; status=1; }
  if [ -n "$dir" ] && [ ! -e "$dir" ]; then
    echo "ok - $kind: $dir removed"
  else
    echo "not ok - $kind: folder '$dir' left behind"; status=1
  fi
  if [ -n "$dir" ] && pgrep -f -- "$dir" >/dev/null; then
    echo "not ok - $kind: processes of $dir still running"; status=1
  else
    echo "ok - $kind: no process left"
  fi
done
# The admin tools against a running `orbweb up`: orbweb topo and traffic.
up_start "$log" --peers 5
wait_for "$log" "press Ctrl-C" "$UP_DEADLINE" "$up_pid"
server=$(sed -n 's/.*Clients: \([0-9.]*:[0-9]*\),.*/\1/p' "$log")
password=$(sed -n 's/.*with password \([0-9a-f]*\) .*/\1/p' "$log")
pwfile=$(mktemp)
printf '%s\n' "$password" > "$pwfile"
topo=$("$orbweb" topo demo@rooms.localhost --format text --server "$server" \
       --jid user1@localhost --password-file "$pwfile" 2>&1)
case "$topo" in
  *"peer1 [key "*) echo "ok - orbweb topo prints the demo room" ;;
  *) echo "not ok - orbweb topo: $topo"; status=1 ;;
esac
traffic=$("$orbweb" traffic --count 1 --json --server "$server" \
          --jid user1@localhost --password-file "$pwfile" 2>&1)
case "$traffic" in
  *'"presence"'*) echo "ok - orbweb traffic reports presence counters" ;;
  *) echo "not ok - orbweb traffic: $traffic"; status=1 ;;
esac
denied=$("$orbweb" topo demo@rooms.localhost --server "$server" \
         --jid user2@localhost --password-file "$pwfile" 2>&1)
rc=$?
case "$rc:$denied" in
  0:*) echo "not ok - a non-admin got the topology: $denied"; status=1 ;;
  *forbidden*|*admin*) echo "ok - a non-admin is refused" ;;
  *) echo "not ok - a non-admin got: $denied (exit $rc)"; status=1 ;;
esac
up_stop
grep -q "stopped; nothing left running." "$log" \
  && echo "ok - orbweb up stops on SIGINT" \
  || { echo "not ok - orbweb up did not stop cleanly"; cat "$log"; status=1; }
rm -f "$log" "$pwfile"
cd / && rm -rf "$work"
exit $status
