#!/bin/sh
# test_bench_e2e.sh -- `orbweb bench e2e --quick --json` runs on every path
# (a throwaway Prosody for the relayed ones, without TLS and with it) and
# prints a row per path and payload size, with the bytes on the wire
# showing what Fast Infoset saves on binary payloads, and ratios taken
# against the relayed path of the same security.  A smoke test: never
# timed, no figure is judged.
set -u
orbweb="$OB_BUILDDIR/tools/orbweb/orbweb"
status=0
out=$("$orbweb" bench e2e --quick --json 2>&1)
rc=$?
[ "$rc" = 0 ] && echo "ok - bench e2e: exit 0" || { echo "not ok - exit $rc:"; printf '%s\n' "$out"; status=1; }
for path in relayed-plain relayed-tls direct-xml direct-tls direct-tls-fi; do
  for size in 1 64 1024 16384 65536 262144 524288; do
    case "$out" in
      *"\"path\":\"$path\",\"payload_bytes\":$size,"*) echo "ok - $path $size" ;;
      *) echo "not ok - no row for $path $size"; status=1 ;;
    esac
  done
done
# each direct path against the relayed one of its security
for ratio in relayed-plain/direct-xml relayed-tls/direct-tls \
             relayed-tls/direct-tls-fi relayed-tls/liborbweb; do
  case "$out" in
    *"\"ratio\":\"$ratio\",\"payload_bytes\":65536,"*) echo "ok - ratio $ratio" ;;
    *) echo "not ok - no ratio $ratio at 64 KB"; status=1 ;;
  esac
done
# wire bytes per 64 KB message: base64 text on XML paths, raw octets on FI
wire() {
  printf '%s\n' "$out" | sed -n "s/.*\"path\":\"$1\",\"payload_bytes\":65536,.*\"wire_bytes_per_msg\":\([0-9]*\)}.*/\1/p"
}
xml=$(wire direct-tls) fi=$(wire direct-tls-fi)
if [ -n "$xml" ] && [ -n "$fi" ] && [ "$fi" -lt 66560 ] && [ "$xml" -gt 87000 ]; then
  echo "ok - 64 KB on the wire: $xml bytes as XML (base64), $fi as Fast Infoset"
else
  echo "not ok - 64 KB on the wire: '$xml' as XML, '$fi' as Fast Infoset"; status=1
fi
case "$out" in
  *'"throughput_mb_s":0.0000'*) echo "not ok - a path moved nothing"; status=1 ;;
  *) echo "ok - every path moved data" ;;
esac
exit $status
