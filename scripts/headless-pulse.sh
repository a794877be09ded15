#!/usr/bin/env bash
# A private PulseAudio server for somacue's tests and benchmarks on machines without a sound card.
#
#   eval "$(scripts/headless-pulse.sh start)"   # start a server, export its variables
#   scripts/headless-pulse.sh env               # print the variables again (SOMACUE_PULSE_DIR set)
#   scripts/headless-pulse.sh stop              # stop the server of $SOMACUE_PULSE_DIR
#
# The server keeps everything in one folder: $SOMACUE_PULSE_DIR if that is set, else a new one
# under /tmp (removed again by `stop`). It has two sinks, both 16-bit, 48 kHz, stereo:
#   somacue_pipe  the default: clocked by the system clock (so playback runs in real time, as on
#                 a card) and writing the raw samples into the FIFO $SOMACUE_PULSE_FIFO;
#   somacue_null  discards audio; record it through somacue_null.monitor.
# Read the FIFO before playing if you want the audio (`cat "$SOMACUE_PULSE_FIFO" > cap.raw &`);
# with no reader, playback still runs in real time and the audio is dropped.
#
# `start` prints `export NAME=value` lines on stdout (everything else goes to stderr):
#   SOMACUE_PULSE_DIR   the server's folder
#   PULSE_SERVER        its socket, for every libpulse client (pactl, paplay, the ALSA plugin)
#   PULSE_COOKIE        a cookie file in the folder, so clients write nothing under $HOME
#   SOMACUE_PULSE_FIFO  the pipe sink's FIFO
#   ALSA_CONFIG_PATH    scripts/alsa/to-pulse.conf: ALSA's default device is this server
# The server runs with its own HOME and XDG_RUNTIME_DIR inside the folder and no D-Bus, so it
# never meets a desktop's sound server. Only the processes this script started are stopped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
to_pulse=$here/alsa/to-pulse.conf

die() { echo "headless-pulse: $*" >&2; exit 1; }

# The paths inside a server folder.
layout() {
  dir=$1
  runtime=$dir/runtime
  socket=$runtime/pulse/native
  pidfile=$runtime/pulse/pid
  fifo=$dir/sink.fifo
  cookie=$dir/cookie
  script=$dir/server.pa
  logfile=$dir/server.log
  owned=$dir/.created-by-headless-pulse
}

print_env() {
  printf 'export SOMACUE_PULSE_DIR=%q\n' "$dir"
  printf 'export PULSE_SERVER=%q\n' "unix:$socket"
  printf 'export PULSE_COOKIE=%q\n' "$cookie"
  printf 'export SOMACUE_PULSE_FIFO=%q\n' "$fifo"
  printf 'export ALSA_CONFIG_PATH=%q\n' "$to_pulse"
}

server_pid() {
  [ -s "$pidfile" ] || return 1
  local pid
  pid=$(tr -dc '0-9' < "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  command -v pulseaudio >/dev/null || die "pulseaudio is not installed (run scripts/deps.sh)"
  command -v pactl >/dev/null || die "pactl is not installed (run scripts/deps.sh)"
  [ -f "$to_pulse" ] || die "$to_pulse is missing"
  local made=0
  if [ -n "${SOMACUE_PULSE_DIR:-}" ]; then
    mkdir -p "$SOMACUE_PULSE_DIR"
    layout "$(cd "$SOMACUE_PULSE_DIR" && pwd)"
  else
    layout "$(mktemp -d /tmp/somacue-pulse.XXXXXX)"
    made=1
  fi
  if server_pid >/dev/null; then die "a server already runs in $dir (stop it first)"; fi
  mkdir -p "$runtime" "$dir/home"
  chmod 700 "$dir" "$runtime"
  [ "$made" -eq 1 ] && : > "$owned"
  # Anonymous authentication is on, so the cookie's content does not matter; it only has to exist.
  head -c 256 /dev/urandom > "$cookie"
  rm -f "$fifo"
  cat > "$script" <<EOF
# Written by scripts/headless-pulse.sh for one private test server.
load-module module-native-protocol-unix auth-anonymous=1 socket=$socket
load-module module-pipe-sink sink_name=somacue_pipe file=$fifo format=s16le rate=48000 channels=2 use_system_clock_for_timing=yes
load-module module-null-sink sink_name=somacue_null format=s16le rate=48000 channels=2
set-default-sink somacue_pipe
EOF
  HOME=$dir/home XDG_RUNTIME_DIR=$runtime XDG_CONFIG_HOME=$dir/home/.config \
    DBUS_SESSION_BUS_ADDRESS=unix:path=$dir/no-dbus PULSE_RUNTIME_PATH=$runtime/pulse \
    pulseaudio --daemonize=yes --use-pid-file=yes --exit-idle-time=-1 --system=no \
      -n -F "$script" --log-target="file:$logfile" --log-level=warning \
    || { cat "$logfile" >&2 2>/dev/null; die "pulseaudio did not start (log above)"; }
  # Ready when the socket answers.
  local tries=0
  until PULSE_SERVER=unix:$socket PULSE_COOKIE=$cookie pactl info >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
      cat "$logfile" >&2 2>/dev/null || true
      die "the server in $dir did not answer within 10 s (log above)"
    fi
    sleep 0.1
  done
  [ -p "$fifo" ] || die "the pipe sink did not create $fifo"
  # A card's sink thread runs at real-time priority (PulseAudio's ALSA sink asks for it); the
  # pipe sink's does not. On a busy machine its system-clock timer then fires late and the sink
  # catches up in one burst, draining a client's queue faster than real time: a gap in the
  # output that no card would make. Where the system permits, every thread of the server runs
  # under SCHED_RR at PulseAudio's own real-time priority (5).
  chrt -a -r -p 5 "$(server_pid)" >/dev/null 2>&1 \
    || echo "headless-pulse: real-time scheduling not permitted; on a busy machine the pipe sink may stall" >&2
  echo "headless-pulse: server $(server_pid || echo '?') ready in $dir" >&2
  print_env
}

need_dir() {
  [ -n "${SOMACUE_PULSE_DIR:-}" ] || die "set SOMACUE_PULSE_DIR (start prints it)"
  [ -d "$SOMACUE_PULSE_DIR" ] || die "$SOMACUE_PULSE_DIR is not a folder"
  layout "$(cd "$SOMACUE_PULSE_DIR" && pwd)"
}

stop() {
  need_dir
  local pid
  if pid=$(server_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  if [ -f "$owned" ] && [ "${SOMACUE_PULSE_KEEP:-0}" != 1 ]; then
    rm -rf -- "$dir"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) need_dir; print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
