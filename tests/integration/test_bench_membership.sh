#!/bin/sh
# test_bench_membership.sh -- smoke test of `orbweb bench membership`: a
# tiny run against Prosody must print a JSON object with every field for
# each system, nonzero stanza counts, and the ratios.  Never timed.
set -u
orbweb="$OB_BUILDDIR/tools/orbweb/orbweb"
status=0
out=$("$orbweb" bench membership --quick --max-n 16 --cycles 2 --json 2>/dev/null)
rc=$?
[ "$rc" = 0 ] && echo "ok - exit 0" || { echo "not ok - exit $rc"; status=1; }
for sys in prosody-muc xmucd-complete xmucd-rbt; do
  line=$(printf '%s\n' "$out" | grep "\"system\":\"$sys\",\"n\":16," | head -n 1)
  if [ -z "$line" ]; then
    echo "not ok - no point for $sys in:"; printf '%s\n' "$out"; status=1; continue
  fi
  for f in server_cpu_ms_per_cycle xmucd_cpu_ms_per_cycle kb_per_cycle stanzas_per_cycle; do
    case "$line" in
      *"\"$f\":"[0-9]*) echo "ok - $sys: $f" ;;
      *) echo "not ok - $sys: no $f in $line"; status=1 ;;
    esac
  done
  case "$line" in
    *'"stanzas_per_cycle":0.0'*|*'"kb_per_cycle":0.000'*)
      echo "not ok - $sys: nothing delivered: $line"; status=1 ;;
    *) echo "ok - $sys: stanzas delivered" ;;
  esac
done
case "$out" in
  *'"ratios":'*'"n":16,"xmucd-complete":'*'"xmucd-rbt":'*) echo "ok - ratios at 16" ;;
  *) echo "not ok - no ratios in:"; printf '%s\n' "$out"; status=1 ;;
esac
exit $status
