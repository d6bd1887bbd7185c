#!/bin/sh
# test_deploy.sh -- the deployment kit as `make install` leaves it
# (docs/deploy.md): into a scratch DESTDIR, then
#
#   - xmucd.service: every placeholder filled, ExecStart naming the
#     installed xmucd, the hardening docs/deploy.md promises present;
#     `systemd-analyze verify` silent on it (a warning fails, as an
#     unknown directive only warns), and `systemd-analyze security
#     --offline` rating its exposure at most 2.0 (of 10).  Neither needs
#     a running systemd: this root has none, and CI's fresh root neither.
#     The unit is checked with its xmucd path moved under DESTDIR, so
#     verify also finds that the installed xmucd is executable.
#   - the examples and snippets installed, the man page and the guide;
#   - the example xmucd.conf accepted by the installed xmucd
#     (--check-config, exit 0), the same file with a typo refused (exit
#     2), and the Prosody and ejabberd snippets naming the same domain
#     and port as xmucd.conf (the Prosody one parsed by luac, the
#     logrotate one by logrotate --debug, when they are installed).
set -u
: "${OB_BUILDDIR:?}"
make=${OB_MAKE:-make}
work="$OB_BUILDDIR/tests/package/deploy"
status=0

fail() { echo "not ok - $*"; status=1; }
ok() { echo "ok - $*"; }

rm -rf "$work" && mkdir -p "$work" || exit 1
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
     $make -s -C "$OB_BUILDDIR" install DESTDIR="$work/root" \
     >"$work/install.log" 2>&1; then
  cat "$work/install.log"; fail "make install DESTDIR=$work/root"; exit 1
fi
root="$work/root"
unit=$(find "$root" -name xmucd.service | head -n 1)
xmucd=$(find "$root" -path '*/bin/xmucd' | head -n 1)
examples=$(find "$root" -type d -path '*/doc/orbweb/examples' | head -n 1)
[ -n "$unit" ] && [ -n "$xmucd" ] && [ -n "$examples" ] ||
  { fail "installed: unit '$unit', xmucd '$xmucd', examples '$examples'"; exit 1; }
ok "installed $unit"
bindir=${xmucd%/xmucd}; bindir=${bindir#"$root"}

# --- the unit ---
grep -n '@[a-z]*@' "$unit" && fail "placeholders left in the unit"
grep -qx "ExecStart=$bindir/xmucd --config /etc/xmucd/xmucd.conf --secret-file %d/secret" "$unit" ||
  fail "ExecStart does not run the installed $bindir/xmucd"
for d in Type=notify 'ExecReload=/bin/kill -HUP $MAINPID' DynamicUser=yes \
  ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
  NoNewPrivileges=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
  SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
  LockPersonality=yes RestrictNamespaces=yes CapabilityBoundingSet= \
  StateDirectory=xmucd LogsDirectory=xmucd ConfigurationDirectory=xmucd \
  Restart=on-failure RestartPreventExitStatus=2 \
  LoadCredential=secret:/etc/xmucd/secret WantedBy=multi-user.target; do
  grep -qxF "$d" "$unit" || fail "the unit lacks $d"
done
ok "the unit's directives"
mkdir -p "$work/verify" &&
  sed "s#=$bindir/xmucd #=$root$bindir/xmucd #" "$unit" >"$work/verify/xmucd.service"
if command -v systemd-analyze >/dev/null; then
  # --man=no: the man page is under DESTDIR, where man does not look
  systemd-analyze verify --man=no "$work/verify/xmucd.service" \
    >"$work/verify.log" 2>&1
  rc=$?
  if [ "$rc" = 0 ] && [ ! -s "$work/verify.log" ]; then
    ok "systemd-analyze verify: no error, no warning"
  else
    cat "$work/verify.log"; fail "systemd-analyze verify: exit $rc"
  fi
  systemd-analyze security --offline=true --threshold=20 --no-pager \
    "$work/verify/xmucd.service" >"$work/security.log" 2>&1
  rc=$?
  grep 'Overall exposure' "$work/security.log" | sed 's/^/# /'
  [ "$rc" = 0 ] && ok "systemd-analyze security: exposure at most 2.0" ||
    { cat "$work/security.log"; fail "systemd-analyze security: exit $rc"; }
else
  fail "no systemd-analyze (tools/setup --test installs systemd)"
fi

# --- the files ---
missing=""
for f in xmucd.conf prosody-xmucd.cfg.lua ejabberd-xmucd.yml \
  xmucd.logrotate Makefile ob_echo.c; do
  [ -s "$examples/$f" ] || missing="$missing $examples/$f"
done
[ -s "${examples%/examples}/deploy.md" ] || missing="$missing deploy.md"
[ -n "$(find "$root" -path '*/man8/xmucd.8')" ] || missing="$missing xmucd.8"
[ -z "$missing" ] && ok "examples, guide and man page installed" ||
  fail "not installed:$missing"

# --- the example configuration and the snippets ---
conf="$examples/xmucd.conf"
printf 'not-the-real-secret\n' >"$work/secret" && chmod 600 "$work/secret"
check() { # check CONF: the installed xmucd's verdict on CONF
  "$xmucd" --check-config --config "$1" --secret-file "$work/secret" \
    >"$work/check.out" 2>&1
}
if check "$conf" && grep -q '^xmucd: configuration OK' "$work/check.out"; then
  ok "$(cat "$work/check.out")"
else
  cat "$work/check.out"; fail "xmucd --check-config refuses the example"
fi
sed 's/^max_rooms = /max_room = /' "$conf" >"$work/typo.conf"
check "$work/typo.conf"
rc=$?
[ "$rc" = 2 ] && grep -q "unknown setting 'max_room'" "$work/check.out" &&
  ok "a typo is refused: $(cat "$work/check.out")" ||
  { cat "$work/check.out"; fail "a typo: exit $rc, not 2"; }

value() { sed -n "s/^$1 = //p" "$conf"; }
domain=$(value domain); port=$(value server); port=${port##*:}
grep -q "^Component \"$domain\"" "$examples/prosody-xmucd.cfg.lua" &&
  grep -q "^component_ports = { $port }" "$examples/prosody-xmucd.cfg.lua" ||
  fail "the Prosody snippet does not declare $domain on port $port"
grep -q "^ *\"$domain\":" "$examples/ejabberd-xmucd.yml" &&
  grep -q "^ *port: $port\$" "$examples/ejabberd-xmucd.yml" &&
  grep -q "module: ejabberd_service" "$examples/ejabberd-xmucd.yml" ||
  fail "the ejabberd snippet does not declare $domain on port $port"
ok "the snippets declare $domain on port $port"
luac=$(command -v luac5.4 || command -v luac || true)
if [ -n "$luac" ]; then
  "$luac" -p "$examples/prosody-xmucd.cfg.lua" && ok "luac parses the Prosody snippet" ||
    fail "the Prosody snippet is not Lua"
fi
if command -v logrotate >/dev/null; then
  logrotate --debug --state "$work/logrotate.state" "$examples/xmucd.logrotate" \
    >"$work/logrotate.log" 2>&1 && ! grep -qi 'error' "$work/logrotate.log" &&
    ok "logrotate --debug reads the snippet" ||
    { cat "$work/logrotate.log"; fail "logrotate refuses the snippet"; }
fi
[ "$status" = 0 ] && rm -rf "$work"
exit "$status"
