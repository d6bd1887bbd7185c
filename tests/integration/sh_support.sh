# sh_support.sh -- what the integration scripts share (sourced, not run):
# seeds fixed under CI, waiting for a line in a log under a hang deadline,
# and an `orbweb up`
# in the background that runs until the script has checked what it needs
# and stops it, instead of one that stops by itself after a fixed time.
#
#   . "$OB_SRCDIR/tests/integration/sh_support.sh"
#   up_start "$log" --peers 0          # orbweb up, in the background
#   wait_for "$log" "press Ctrl-C" "$UP_DEADLINE" "$up_pid" || ...
#   ...                                # the checks
#   up_stop                            # SIGINT, wait; exit code in up_rc
#
# Deadlines only catch hangs: they are minutes where seconds are normal.

orbweb="$OB_BUILDDIR/tools/orbweb/orbweb"
UP_DEADLINE=${UP_DEADLINE:-300}

# wait_for FILE TEXT SECONDS [PID]: returns 0 once FILE contains TEXT; 1
# (saying so) after SECONDS, or at once when PID has exited without
# writing it.
wait_for() {
  _end=$(($(date +%s) + $3))
  while ! grep -qF -- "$2" "$1" 2>/dev/null; do
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
      grep -qF -- "$2" "$1" 2>/dev/null && return 0
      echo "# process $4 ended without writing '$2'"
      return 1
    fi
    if [ "$(date +%s)" -ge "$_end" ]; then
      echo "# no '$2' in $1 within $3 s"
      return 1
    fi
    sleep 0.2
  done
}

# ci_seed VAR: when VAR is not set, sets and exports it from OB_SEED, or
# to a fixed seed under CI (CI set, not "false" or "0"), as tests/seed.h
# does for the C tests.
ci_seed() {
  eval "[ -n \"\${$1:-}\" ]" && return 0
  if [ -n "${OB_SEED:-}" ]; then
    eval "$1=\$OB_SEED"
  else
    case "${CI:-}" in
      ''|false|0) return 0 ;;
      *) eval "$1=20260613" ;;
    esac
  fi
  export "$1"
}

# up_start LOG ARGS...: starts `orbweb up ARGS` (no --for: it runs until
# up_stop) with its output in LOG; its process id in up_pid.  A script
# that exits early still stops it (trap on EXIT).
up_start() {
  _log=$1
  shift
  # emptied now: the background job's own redirection may come after the
  # caller's first wait_for, which would then read the previous run's log
  : >"$_log"
  "$orbweb" up "$@" >"$_log" 2>&1 &
  up_pid=$!
  trap 'up_stop' EXIT
}

# up_stop: asks the running `orbweb up` to stop (SIGINT, as Ctrl-C: call
# it once the log says "press Ctrl-C", when its handler is in place; a
# background process of a script starts with SIGINT ignored) and waits
# for it, with SIGTERM after UP_DEADLINE seconds; exit code in up_rc.
up_stop() {
  up_rc=
  [ -n "${up_pid:-}" ] || return 0
  kill -INT "$up_pid" 2>/dev/null
  _end=$(($(date +%s) + UP_DEADLINE))
  while kill -0 "$up_pid" 2>/dev/null && [ "$(date +%s)" -lt "$_end" ]; do
    sleep 0.2
  done
  kill -0 "$up_pid" 2>/dev/null && {
    echo "# orbweb up still running $UP_DEADLINE s after SIGINT"
    kill -TERM "$up_pid"
  }
  wait "$up_pid"
  up_rc=$?
  up_pid=
}
