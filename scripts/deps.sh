#!/usr/bin/env bash
# Installs every Debian 12 package somacue builds, plays, tests and benchmarks with: the one
# package list of the project (.ci/run installs through this script too).
# The Swift 6 toolchain itself is expected on PATH (swift.org's Debian 12 tarball).
set -euo pipefail
packages=(
  libsndfile1-dev portaudio19-dev libsamplerate0-dev libebur128-dev libsystemd-dev  # build
  espeak-ng flite sox libsox-fmt-all python3                          # cue generation
  alsa-utils libasound2-plugins pulseaudio pulseaudio-utils           # tests: headless audio (scripts/headless-pulse.sh, scripts/alsa/)
  golang-github-burntsushi-toml-dev                                   # tests: the toml-test conformance suite
  git systemd util-linux                                              # tests: git ls-files, systemd-analyze, setpriv
  man-db groff-base bash zsh fish                                     # tests: man pages render (man -l), the bash, zsh and fish completions
  hyperfine mpd mpc python3-numpy                                     # bench/
  dbus playerctl                                                      # tests: MPRIS on a private bus (dbus-daemon, playerctl)
)
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}" >&2
  run apt-get update
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "deps.sh: swift is not on PATH; install the Swift 6 toolchain for Debian 12" >&2; exit 1; }
