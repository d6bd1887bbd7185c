#!/bin/sh
# test_swarm_tls.sh -- `orbweb swarm` and `orbweb up` against a Prosody
# that requires encryption, as its default c2s_require_encryption does
# (`orbweb up --require-encryption`):
#   - a swarm with --tls trust logs in over STARTTLS, joins and delivers;
#     its --json lines parse, come once a second (at least one) and their
#     counts never go down;
#   - with --tls off every login fails with the real reason (encryption
#     required, not "no SASL ANONYMOUS"), printed, and the swarm stops at
#     once with exit 1 instead of running its --duration of 120 s;
#   - with --tls verify the self-signed certificate is named as the reason;
#   - the demo peers' unicasts and groupcasts are received, and the
#     picture is redrawn when the demo room changes (a swarm joins it).
# Waits are bounded only to catch hangs (tests/integration/sh_support.sh).
set -u
. "$OB_SRCDIR/tests/integration/sh_support.sh"
ci_seed SWARM_SEED
status=0
work=$(mktemp -d)
log="$work/up.log"
up_start "$log" --require-encryption --peers 3 --svg "$work/demo.svg"
wait_for "$log" "press Ctrl-C" "$UP_DEADLINE" "$up_pid"
server=$(sed -n 's/.*Clients: \([0-9.]*:[0-9]*\),.*/\1/p' "$log")
if [ -z "$server" ]; then
  echo "not ok - orbweb up --require-encryption did not come up:"; cat "$log"
  up_stop
  rm -rf "$work"
  exit 1
fi
echo "ok - orbweb up --require-encryption on $server"
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; status=1; }
dir=$(sed -n 's/.*folder \(\/[^ ]*\)$/\1/p' "$log")
grep -q "c2s_require_encryption = true" "$dir/prosody.cfg.lua" \
  && pass "the server requires encryption" \
  || fail "no c2s_require_encryption = true in $dir/prosody.cfg.lua"

# 1. STARTTLS, trusting the throwaway certificate
"$orbweb" swarm --server "$server" --room tls@rooms.localhost --peers 20 \
  --tls trust --unicast 10 --groupcast 5 --duration 2 --json \
  >"$work/trust.json" 2>"$work/trust.err"
rc=$?
[ "$rc" = 0 ] && pass "trust: exit 0" \
  || { fail "trust: exit $rc"; cat "$work/trust.err"; }
python3 - "$work/trust.json" <<'EOF' && pass "trust: JSON lines" \
  || fail "trust: JSON lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
secs = [l for l in lines if l["type"] == "second"]
summary = lines[-1]
def check(what, ok):
    print(("ok" if ok else "not ok") + " - trust: " + what)
    return ok
ok = check("the last line is the summary", summary["type"] == "summary")
ok &= check("TLS trust", summary["tls"] == "trust")
ok &= check("20 joined, no failed login",
            summary["joined"] == 20 and summary["failed_logins"] == 0)
ok &= check("unicasts and groupcasts delivered",
            summary["unicast_received"] > 0 and
            summary["groupcast_received"] > 0)
ok &= check("%d lines a second before it" % len(secs),
            len(secs) >= 1 and len(secs) == len(lines) - 1)
keys = ["views_received", "unicast_sent", "unicast_received",
        "groupcast_sent", "groupcast_received", "stanzas_received"]
ok &= check("time and counts never go down", all(
    b["t"] > a["t"] and all(b[k] >= a[k] for k in keys)
    for a, b in zip(secs, secs[1:])))
ok &= check("the summary's counts are the last line's or more", all(
    summary[k] >= secs[-1][k] for k in keys if k in summary))
sys.exit(0 if ok else 1)
EOF

# 2. TLS off: the real reason, at once, and no run
start=$(date +%s)
"$orbweb" swarm --server "$server" --room off@rooms.localhost --peers 50 \
  --tls off --duration 120 --json >"$work/off.json" 2>"$work/off.err"
rc=$?
took=$(($(date +%s) - start))
[ "$rc" = 1 ] && pass "off: exit 1" || fail "off: exit $rc"
grep -q "login failed: the server requires encryption" "$work/off.err" \
  && pass "off: the reason is encryption required" \
  || { fail "off: reason"; cat "$work/off.err"; }
grep -q "SASL ANONYMOUS" "$work/off.err" \
  && fail "off: still blames SASL ANONYMOUS" \
  || pass "off: SASL ANONYMOUS not blamed"
grep -q "no peer could log in" "$work/off.err" \
  && pass "off: says it stops" || fail "off: no stop message"
# a hang guard, not a timing: the run would take 120 s
[ "$took" -lt 60 ] && pass "off: stopped early ($took s of --duration 120)" \
  || fail "off: ran $took s"
grep -q '"failed_logins":50,.*"run_seconds":0.000' "$work/off.json" \
  && pass "off: summary has 50 failed logins and no run" \
  || { fail "off: summary"; cat "$work/off.json"; }

# 3. verify: the certificate is the reason
"$orbweb" swarm --server "$server" --room verify@rooms.localhost --peers 5 \
  --duration 120 >/dev/null 2>"$work/verify.err"
rc=$?
[ "$rc" = 1 ] && grep -q "certificate .* not trusted" "$work/verify.err" \
  && pass "verify (default): the self-signed certificate is refused, exit 1" \
  || { fail "verify: exit $rc"; cat "$work/verify.err"; }

# 4. orbweb up's demo peers: traffic received, picture redrawn
demo_moves() {
  grep -q 'demo peers: unicast [0-9]* sent [1-9][0-9]* received, groupcast [0-9]* sent [1-9]' "$log"
}
end=$(($(date +%s) + UP_DEADLINE))
until demo_moves || [ "$(date +%s)" -ge "$end" ]; do sleep 0.5; done
demo_moves && pass "up: the demo peers' unicasts and groupcasts arrive" \
  || { fail "up: no demo traffic"; tail -5 "$log"; }
"$orbweb" swarm --server "$server" --room demo@rooms.localhost --peers 2 \
  --tls trust --duration 1 >/dev/null 2>&1 \
  && pass "a swarm joins the demo room" || fail "a swarm in the demo room"
wait_for "$log" "demo@rooms.localhost changed: 5 members" "$UP_DEADLINE" \
  "$up_pid" && pass "up: the picture is redrawn when the room changes" \
  || { fail "up: no redraw"; tail -5 "$log"; }
if [ -x /usr/bin/dot ]; then
  grep -q "<svg" "$work/demo.svg" && pass "up: the drawing is an SVG" \
    || fail "up: no SVG"
fi

up_stop
grep -q "stopped; nothing left running." "$log" \
  && pass "orbweb up stops on SIGINT" \
  || { fail "orbweb up did not stop cleanly"; cat "$log"; }
rm -rf "$work"
exit $status
