#!/usr/bin/env bash
# Runs the fuzz targets built by Fuzz/build.sh, each for SECONDS (default 60), two at a time
# (SOMACUE_FUZZ_JOBS). Each target starts from its committed seeds (Fuzz/corpus/<target>/) and
# the crash fixtures of the test suite (Fuzz/regressions/<target>/); what it discovers goes to a
# scratch corpus under .build-fuzz/, never into the repository. A crash, a hang (10 s on one
# input), an ASan report or a failed invariant stops that target: its input is saved as
# .build-fuzz/artifacts/<target>/crash-* and the script exits 1 after the other targets finish.
# Usage: Fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SOMACUE_FUZZ_BUILD:-.build-fuzz}
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(toml schema json request compiler)
jobs=${SOMACUE_FUZZ_JOBS:-2}

# The Swift runtime's own crash handler would race libFuzzer's for the trap and can hang under
# ASan; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

run_one() {
  local t=$1 dict=toml max_len=4096
  case $t in json|request) dict=json ;; compiler) max_len=32768 ;; esac
  local scratch="$out/corpus/$t" artifacts="$out/artifacts/$t"
  mkdir -p "$scratch" "$artifacts" "Fuzz/regressions/$t"
  local log="$out/fuzz-$t.log"
  local start=$SECONDS
  local opts=(-timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -dict="Fuzz/dict/$dict.dict")
  if "$out/fuzz-$t" -max_total_time="$seconds" "${opts[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$scratch" "Fuzz/corpus/$t" "Fuzz/regressions/$t" > "$log" 2>&1; then
    echo "fuzz $t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs in $((SECONDS - start)) s, $(grep -o 'cov: [0-9]*' "$log" | tail -1)"
    return 0
  fi
  # The target stopped. Say why, and run the saved input once more on its own: a crash, an ASan
  # report or a failed invariant reproduces and fails the run; a timeout or out-of-memory that
  # does not reproduce on an input run alone was the machine's load, and is reported as such.
  local input kind
  input=$(ls -t "$artifacts" 2>/dev/null | head -1)
  kind=$(grep -o -m1 -E "ERROR: libFuzzer: [a-z-]+|ERROR: AddressSanitizer: [a-z-]+|ERROR: LeakSanitizer|invariant failed|Fatal error|runtime failure" "$log" || echo "no error line")
  {
    echo "fuzz $t: stopped after $((SECONDS - start)) s: $kind; log $log${input:+; input $artifacts/$input}"
    grep -E "ERROR|invariant failed|Fatal error|runtime failure|#[0-9]+ 0x" "$log" | head -20
    if [ -n "$input" ]; then
      echo "fuzz $t: the input (base64): $(base64 -w0 "$artifacts/$input" | head -c 3000)"
    fi
  } > "$out/fuzz-$t.failure"
  cat "$out/fuzz-$t.failure" >&2
  if [ -n "$input" ] && [[ $kind == *timeout* || $kind == *out-of-memory* || $kind == *rss-limit* ]]; then
    if "$out/fuzz-$t" "${opts[@]}" "$artifacts/$input" > "$log.again" 2>&1; then
      echo "fuzz $t: the input runs clean on its own ($(grep -o 'Executed .* in [0-9]* ms' "$log.again" | head -1)): a slow machine, not a hang" | tee -a "$out/fuzz-$t.failure" >&2
      return 0
    fi
    echo "fuzz $t: the input fails again on its own: a real hang or memory blow-up" | tee -a "$out/fuzz-$t.failure" >&2
  fi
  return 1
}

for t in "${targets[@]}"; do
  [ -x "$out/fuzz-$t" ] || { echo "Fuzz/run.sh: $out/fuzz-$t missing; run Fuzz/build.sh first" >&2; exit 64; }
done
status=0
rm -f "$out"/fuzz-*.failure
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || status=1; done
  run_one "$t" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || status=1; done
# Repeat what went wrong at the end, where a CI log's tail shows it.
if compgen -G "$out/fuzz-*.failure" > /dev/null; then cat "$out"/fuzz-*.failure >&2; fi
exit $status
