#!/usr/bin/env bash
# Builds everything and runs the whole test suite on the real audio path. A private, headless
# PulseAudio server (scripts/headless-pulse.sh) is started for the run and stopped afterwards;
# tests that need an unclocked capture device load scripts/alsa/*.conf themselves.
# Arguments go to `swift test` (e.g. --filter Daemon). Install the packages with scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
server_env=$(scripts/headless-pulse.sh start)
eval "$server_env"
trap 'scripts/headless-pulse.sh stop || true' EXIT
# Each test chooses its own ALSA configuration per process; the server is found through PULSE_SERVER.
unset ALSA_CONFIG_PATH
swift build --build-tests
swift test --skip-build "$@"
