#!/usr/bin/env bash
# Daemon benchmarks for the README: status round trip against mpc/MPD, pause latency, idle and
# playing cost. Release build; prints Markdown table rows on stdout.
# Needs mpd, mpc, hyperfine, python3, pulseaudio (all installed by scripts/deps.sh); the private
# sound server is the repository's scripts/headless-pulse.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null 2>&1
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
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# A local MPD with a null output, on a unix socket.
mkdir -p "$tmp/mpd/music" "$tmp/mpd/playlists"
cat > "$tmp/mpd/mpd.conf" <<CONF
music_directory "$tmp/mpd/music"
playlist_directory "$tmp/mpd/playlists"
db_file "$tmp/mpd/db"
state_file "$tmp/mpd/state"
bind_to_address "$tmp/mpd/socket"
audio_output {
  type "null"
  name "null"
}
CONF
mpd --no-daemon "$tmp/mpd/mpd.conf" >/dev/null 2>&1 & pids+=($!)
"$bin/somacued" serve >"$tmp/somacued.log" 2>&1 & daemon=$!; pids+=($daemon)
for _ in $(seq 50); do [ -S "$tmp/mpd/socket" ] && [ -S "$XDG_RUNTIME_DIR/somacue/socket" ] && break; sleep 0.1; done
export MPD_HOST=$tmp/mpd/socket

# 1. Idle daemon over 60 s: CPU time and RSS.
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
c0=$(cpu $daemon); sleep 60; c1=$(cpu $daemon)
idle_cpu=$(python3 -c "print(f'{$c1 - $c0:.2f}')")
idle_rss=$(awk '/VmRSS/ {print int($2 / 1024 + 0.5)}' "/proc/$daemon/status")

. bench/compare.sh
# compare ROUNDS RUNS CMD1 CMD2: "A ms vs B ms = Rx", the median times of both over all runs
# and the median of the per-round ratios (compare_rounds, 20 warm-up runs).
compare() {
  local a b ratio
  read -r a _ b _ ratio _ < <(compare_rounds "$1" "$2" 20 "${@:3}")
  python3 -c "print(f'{$a * 1000:.2f} ms vs {$b * 1000:.2f} ms = {$ratio:.2f}x')"
}

# 2. status round trip against mpc status, and with other clients connected (subscribed and
#    reading, so the idle timeout leaves them be; 63 others and the one asking fill max_clients = 64).
ratio=$(compare 5 200 "$bin/somacue status" "mpc status")
clients=""
for n in 1 16 63; do
  python3 - "$XDG_RUNTIME_DIR/somacue/socket" "$n" "$tmp/clients.ready" <<'PY' & holder=$!; pids+=($holder)
import os, socket, sys, time
path, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conns = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'{"id": 1, "cmd": "subscribe"}\n')
    # The greeting and the reply: a subscriber that leaves bytes unread is closed after
    # client_timeout.
    got = b""
    while got.count(b"\n") < 2:
        got += s.recv(4096)
    conns.append(s)
open(ready, "w").close()
time.sleep(600)
PY
  for _ in $(seq 100); do [ -e "$tmp/clients.ready" ] && break; sleep 0.05; done
  clients+="$n: $(compare 3 200 "$bin/somacue status" "mpc status"); "
  kill "$holder"; wait "$holder" 2>/dev/null || true; rm -f "$tmp/clients.ready"
done

# 3. Playing: CPU of all the daemon's threads over 20 s of a session, and how often its
#    threads are switched in (voluntary + involuntary context switches: the wakeups).
switches() { cat /proc/$1/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }
"$bin/somacue" start activate-the-abdominals >/dev/null
sleep 2
c0=$(cpu $daemon); w0=$(switches $daemon); sleep 20; c1=$(cpu $daemon); w1=$(switches $daemon)
play_cpu=$(python3 -c "print(f'{100 * ($c1 - $c0) / 20:.2f}')")
wakeups=$(( (w1 - w0) / 20 ))
threads=$(ls /proc/$daemon/task | wc -l)

# 4. Pause latency: `somacue pause` returns once the audio thread has rendered the end of the
#    fade (the reply waits for it), so its wall time is command -> silence handed to the device;
#    the sound server's buffer adds its own latency on top. Median of 10 pauses.
lat=$(for i in $(seq 10); do
  t0=$(date +%s%N); "$bin/somacue" pause >/dev/null; t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
  sleep 0.4; "$bin/somacue" resume >/dev/null; sleep 1.2
done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000}')
"$bin/somacue" stop >/dev/null || true

echo "| idle daemon, 60 s | 0.00 s CPU, <= 15 MB RSS | ${idle_cpu} s CPU, ${idle_rss} MB RSS |"
echo "| \`somacue status\` round trip vs \`mpc status\` against a local MPD (median) | <= 1.5x | $ratio |"
echo "| same, with 1, 16 and 63 other clients connected to somacued | | ${clients%; } |"
echo "| daemon CPU while playing, all threads (20 s) | <= 0.5% of one core | ${play_cpu}% ($threads threads, $wakeups wakeups/s) |"
echo "| pause: command sent -> silence rendered (median of 10), \`latency_ms\` 50 | <= 20 ms above the device latency | ${lat} ms + device latency |"
