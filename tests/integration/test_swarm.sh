#!/bin/sh
# test_swarm.sh -- `orbweb swarm` against a running `orbweb up`: 200 peers
# in a red-black tree room with churn, unicasts and groupcasts, then 50 in
# a complete room, then 130 in one whose topology comes by pages; every peer must join, messages must be delivered and
# --verify must find each peer's view equal to the room's topology.  Never
# timed.
#
# `orbweb up --peers 0` starts no demo room (and so draws nothing in the
# current folder, which make distcheck requires to stay clean); the swarms
# use rooms of their own.  It runs until the swarms are done (no --for:
# tests/integration/sh_support.sh).
set -u
. "$OB_SRCDIR/tests/integration/sh_support.sh"
ci_seed SWARM_SEED # the swarms' random choices (each prints its seed)
status=0
log=$(mktemp)
pwfile=$(mktemp)
up_start "$log" --peers 0
wait_for "$log" "press Ctrl-C" "$UP_DEADLINE" "$up_pid"
server=$(sed -n 's/.*Clients: \([0-9.]*:[0-9]*\),.*/\1/p' "$log")
password=$(sed -n 's/.*with password \([0-9a-f]*\) .*/\1/p' "$log")
if [ -z "$server" ] || [ -z "$password" ]; then
  echo "not ok - orbweb up did not come up:"; cat "$log"
  up_stop
  rm -f "$log" "$pwfile"
  exit 1
fi
echo "ok - orbweb up on $server"
printf '%s\n' "$password" > "$pwfile"

# check NAME JSON FIELD=VALUE|FIELD>0 ...
check() {
  name=$1 json=$2
  shift 2
  for want in "$@"; do
    case "$want" in
      *'>0')
        f=${want%>0}
        case "$json" in
          *"\"$f\":0,"*|*"\"$f\":0}"*|*"\"$f\":0."*) echo "not ok - $name: $f is 0"; status=1 ;;
          *"\"$f\":"[0-9]*) echo "ok - $name: $f > 0" ;;
          *) echo "not ok - $name: no $f in $json"; status=1 ;;
        esac ;;
      *)
        f=${want%%=*} v=${want#*=}
        case "$json" in
          *"\"$f\":$v,"*|*"\"$f\":$v}"*) echo "ok - $name: $f = $v" ;;
          *) echo "not ok - $name: $f is not $v in $json"; status=1 ;;
        esac ;;
    esac
  done
}

err=$(mktemp)
out=$("$orbweb" swarm --server "$server" --room swarm-rbt@rooms.localhost \
      --peers 200 --view rbt --churn 0.1:2 --groupcast 20 --unicast 20 \
      --duration 6 --verify --admin-jid user1@localhost \
      --admin-password-file "$pwfile" --json --tls off 2>"$err")
rc=$?
out=$(printf '%s\n' "$out" | tail -n 1) # the summary, after a line a second
grep 'seed' "$err"
[ "$rc" = 0 ] && echo "ok - rbt swarm: exit 0" \
  || { echo "not ok - rbt swarm: exit $rc"; cat "$err"; status=1; }
check "rbt swarm" "$out" peers=200 joined=200 failed_logins=0 \
  verify='"ok"' verify_differences=0 views_received'>0' \
  unicast_sent'>0' unicast_received'>0' groupcast_sent'>0' \
  groupcast_received'>0' churn_leaves'>0'

out=$("$orbweb" swarm --server "$server" --room swarm-complete@rooms.localhost \
      --peers 50 --view complete --duration 1 --verify \
      --admin-jid user1@localhost --admin-password-file "$pwfile" --json \
      --tls off 2>"$err")
rc=$?
out=$(printf '%s\n' "$out" | tail -n 1)
grep 'seed' "$err"
[ "$rc" = 0 ] && echo "ok - complete swarm: exit 0" \
  || { echo "not ok - complete swarm: exit $rc"; cat "$err"; status=1; }
# a complete view: each of the 50 sees the 49 others
check "complete swarm" "$out" peers=50 joined=50 verify='"ok"' \
  verify_differences=0 views_received=2450

# 130 in a complete room: its topology (16,770 edges, about 700 KB of
# JSON) is larger than one stanza may be, so --verify reads it by pages.
out=$("$orbweb" swarm --server "$server" --room swarm-paged@rooms.localhost \
      --peers 130 --view complete --duration 1 --verify \
      --admin-jid user1@localhost --admin-password-file "$pwfile" --json \
      --tls off 2>"$err")
rc=$?
out=$(printf '%s\n' "$out" | tail -n 1)
grep 'seed' "$err"
[ "$rc" = 0 ] && echo "ok - paged topology swarm: exit 0" \
  || { echo "not ok - paged topology swarm: exit $rc"; cat "$err"; status=1; }
check "paged topology swarm" "$out" peers=130 joined=130 verify='"ok"' \
  verify_differences=0 views_received=16770

# usage errors are exit 2, never a run
"$orbweb" swarm --server "$server" --peers 5 >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && echo "ok - no --room: exit 2" \
  || { echo "not ok - no --room: exit $rc"; status=1; }
"$orbweb" swarm --server "$server" --room r@rooms.localhost --peers 5 --verify \
  >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && echo "ok - --verify without an admin: exit 2" \
  || { echo "not ok - --verify without an admin: exit $rc"; status=1; }

up_stop
grep -q "stopped; nothing left running." "$log" \
  && echo "ok - orbweb up stops on SIGINT" \
  || { echo "not ok - orbweb up did not stop cleanly"; cat "$log"; status=1; }
rm -f "$log" "$pwfile" "$err"
exit $status
