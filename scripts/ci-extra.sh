#!/usr/bin/env bash
# The CI stages after the test suite: fuzzing and sanitizers. `scripts/test.sh` runs them when it
# is called without arguments (as `.ci/run` does); SOMACUE_EXTRA=0 leaves them out.
#   1. Fuzz/build.sh, then Fuzz/run.sh: every fuzz target for SOMACUE_FUZZ_SECONDS (default 60),
#      two at a time; a crash fails.
#   2. scripts/sanitize.sh address: the core, protocol, daemon and audio tests under ASan with
#      leak detection; any report fails.
#   3. scripts/sanitize.sh thread: the same under TSan.
# Every stage runs even when an earlier one failed; the time each took is printed at the end.
# Usage: scripts/ci-extra.sh [fuzz|asan|tsan]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(fuzz asan tsan)
seconds=${SOMACUE_FUZZ_SECONDS:-60}

status=0
report=()
run_stage() {
  local name=$1; shift
  local t0=$SECONDS result=ok
  echo "== ci-extra: $name" >&2
  "$@" || { result=FAILED; status=1; }
  report+=("$(printf '%-34s %-6s %4d s' "$name" "$result" $((SECONDS - t0)))")
}
for s in "${stages[@]}"; do
  case $s in
    fuzz)
      run_stage "fuzz: build targets" Fuzz/build.sh
      run_stage "fuzz: 5 targets x ${seconds} s, 2 at once" Fuzz/run.sh "$seconds" ;;
    asan) run_stage "ASan + leaks: build and tests" scripts/sanitize.sh address ;;
    tsan) run_stage "TSan: build and tests" scripts/sanitize.sh thread ;;
    *) echo "ci-extra.sh: unknown stage \"$s\" (fuzz, asan, tsan)" >&2; exit 64 ;;
  esac
done
echo "== ci-extra: summary" >&2
printf '%s\n' "${report[@]}" >&2
# A fuzz target's failure (its kind, stack and input) is repeated here, where a log's tail shows it.
for f in "${SOMACUE_FUZZ_BUILD:-.build-fuzz}"/fuzz-*.failure; do [ -f "$f" ] && cat "$f" >&2; done
exit $status
