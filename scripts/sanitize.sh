#!/usr/bin/env bash
# Builds the package with a sanitizer and runs the unit, protocol, daemon and audio tests under
# it; any sanitizer report fails the run. Usage: scripts/sanitize.sh address|thread [swift test args]
#   address: AddressSanitizer with leak detection (.build-asan)
#   thread:  ThreadSanitizer (.build-tsan)
# SOMACUE_SANITIZE=1 makes Package.swift drop its static link flags, which would hide the
# sanitizers' interceptors. Suppressions (scripts/sanitizers/*.supp) name third-party frames only.
# Tests read SOMACUE_SANITIZER to loosen time limits; their correctness checks stay as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh address|thread [swift test arguments]}
shift
case $kind in
  address) scratch=.build-asan ;;
  thread) scratch=.build-tsan ;;
  *) echo "sanitize.sh: unknown sanitizer \"$kind\" (address or thread)" >&2; exit 64 ;;
esac
supp=$PWD/scripts/sanitizers
filter=(--filter 'SomacueCoreTests|SomacueProtocolTests|SomacueDaemonTests|SomacueAudioTests')
[ $# -eq 0 ] || filter=("$@")

export SOMACUE_SANITIZE=1 SOMACUE_SANITIZER=$kind
# The Swift runtime's crash handler would fight the sanitizer's over a trap; the sanitizer
# prints the stack itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export TSAN_OPTIONS=suppressions=$supp/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1

swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
log=$scratch/sanitize-tests.log
status=0
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "${filter[@]}" 2>&1 | tee "$log" || status=$?
# An exit status can be lost between swift test and the test processes: look at the output too.
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:" "$log"; then
  echo "sanitize.sh: $kind sanitizer reports above (log: $log)" >&2
  status=1
fi
[ $status -eq 0 ] && echo "sanitize.sh: $kind: no reports, tests passed"
exit $status
