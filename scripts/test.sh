#!/usr/bin/env bash
# Builds everything and runs the whole test suite on the real audio path: a private, headless
# PulseAudio (from ../shared/audio-testing, or SOMACUE_SHARED_DIR) is started for the tests and
# stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SOMACUE_SHARED_DIR:-$(cd .. && pwd)/shared}
if [ ! -d "$shared/audio-testing" ]; then
  echo "test.sh: $shared/audio-testing not found; set SOMACUE_SHARED_DIR" >&2
  exit 1
fi
export SOMACUE_SHARED_DIR=$shared
pulse_dir=$(mktemp -d /tmp/somacue-pulse.XXXXXX)
touch "$pulse_dir/.mktemp"
cleanup() { SOMACUE_PULSE_DIR=$pulse_dir bash "$shared/audio-testing/headless-pulse.sh" stop || true; }
trap cleanup EXIT
eval "$(SOMACUE_PULSE_DIR=$pulse_dir bash "$shared/audio-testing/headless-pulse.sh" start)"
# Tests choose their own ALSA config per process; the pulse server is found through PULSE_SERVER.
unset ALSA_CONFIG_PATH
export SOMACUE_TEST_PULSE=1
swift build --build-tests
swift test --skip-build "$@"
