#!/usr/bin/env bash
# Builds everything and runs the whole test suite on the real audio path. A private, headless
# PulseAudio server (scripts/headless-pulse.sh) is started for the run and stopped afterwards;
# tests that need an unclocked capture device load scripts/alsa/*.conf themselves.
# Arguments go to `swift test` (e.g. --filter Daemon). Without arguments (the full run, as in
# CI) the fuzz targets and the ASan and TSan test runs follow (scripts/ci-extra.sh);
# SOMACUE_EXTRA=0 leaves them out. Install the packages with scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
server_env=$(scripts/headless-pulse.sh start)
eval "$server_env"
trap 'scripts/headless-pulse.sh stop || true' EXIT
# Each test chooses its own ALSA configuration per process; the server is found through PULSE_SERVER.
unset ALSA_CONFIG_PATH
t0=$SECONDS
swift build --build-tests
t1=$SECONDS
# The suites that play through the shared sound server (or start one of their own and load the
# machine) run one at a time, after the rest: two daemons playing into the one pipe sink, or two
# captures reading its FIFO, corrupt each other's capture. Swift Testing runs suites in parallel
# and `.serialized` orders tests within a suite only.
audio_suites='EndToEndTests\.(DaemonTests|RestoreTests|DeviceLossTests|ServiceTests|HistoryTests|RestartTests|MPRISTests|NavigationTests|ForegroundPlayTests|LibraryRefreshTests)'
if [ $# -eq 0 ]; then
  swift test --skip-build --skip "$audio_suites"
  swift test --skip-build --filter "$audio_suites" --no-parallel
else
  swift test --skip-build "$@"
fi
echo "test.sh: build $((t1 - t0)) s, tests $((SECONDS - t1)) s" >&2
if [ $# -eq 0 ] && [ "${SOMACUE_EXTRA:-1}" != 0 ]; then
  scripts/ci-extra.sh
fi
