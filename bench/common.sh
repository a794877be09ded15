# Sourced by the daemon benchmarks (bench/start.sh, bench/daemon.sh) after `cd` to the
# repository: the release build (skipped with BENCH_NO_BUILD=1, which bench/all.sh sets after
# building once), a temporary folder removed on exit with every process listed in `pids`, a
# private sound server (scripts/headless-pulse.sh), and XDG folders inside the temporary one,
# so that nothing of the user's is read or written. Sets `bin`, `tmp` and `pids`.
[ "${BENCH_NO_BUILD:-0}" = 1 ] || swift build -c release >/dev/null 2>&1
bin=$PWD/.build/release
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${SOMACUE_PULSE_DIR:-}" ] && scripts/headless-pulse.sh stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
eval "$(SOMACUE_PULSE_DIR=$tmp/pulse scripts/headless-pulse.sh start 2>/dev/null)"
export SOMACUE_DATA_DIR=$PWD XDG_CONFIG_HOME=$tmp/config XDG_RUNTIME_DIR=$tmp/run XDG_STATE_HOME=$tmp/state
export XDG_CACHE_HOME=$tmp/cache SOMACUE_NO_SPAWN=1
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
