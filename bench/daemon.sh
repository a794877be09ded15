#!/usr/bin/env bash
# Daemon benchmarks for the README: status round trip against mpc/MPD, pause latency, idle and
# playing cost. Release build; prints Markdown table rows on stdout.
# Needs mpd, mpc, hyperfine, python3, pulseaudio (all installed by scripts/deps.sh); the private
# sound server is the repository's scripts/headless-pulse.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

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

# 1. Idle daemon over 30 s: CPU time and RSS.
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
c0=$(cpu $daemon); sleep 30; c1=$(cpu $daemon)
idle_cpu=$(python3 -c "print(f'{$c1 - $c0:.2f}')")
idle_rss=$(awk '/VmRSS/ {print int($2 / 1024 + 0.5)}' "/proc/$daemon/status")

# Runs hyperfine ROUNDS times over the two commands (each -r RUNS; odd rounds run the second
# command first, so that neither always meets the machine in the same state) and prints the
# medians of both over all runs, the median of the per-round ratios of the medians, and the
# mean CPU time (user + system) of each command's own process.
compare() {
  local rounds=$1 runs=$2; shift 2
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
      hyperfine -N -w 20 -r "$runs" --export-json "$tmp/cmp.$r.json" "$2" "$1" >/dev/null 2>&1
    else
      hyperfine -N -w 20 -r "$runs" --export-json "$tmp/cmp.$r.json" "$1" "$2" >/dev/null 2>&1
    fi
  done
  python3 - "$tmp" "$rounds" "$1" <<'PY'
import json, statistics, sys
tmp, rounds, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = []
for r in range(1, rounds + 1):
    rr = json.load(open(f"{tmp}/cmp.{r}.json"))["results"]
    res.append(rr if rr[0]["command"] == first else rr[::-1])
a = statistics.median([t for rr in res for t in rr[0]["times"]])
b = statistics.median([t for rr in res for t in rr[1]["times"]])
ratio = statistics.median([rr[0]["median"] / rr[1]["median"] for rr in res])
ca = statistics.mean([rr[0]["user"] + rr[0]["system"] for rr in res])
cb = statistics.mean([rr[1]["user"] + rr[1]["system"] for rr in res])
print(f"{a * 1000:.2f} {b * 1000:.2f} {ratio:.2f} {ca * 1000:.2f} {cb * 1000:.2f}")
PY
}

# 2. status round trip against mpc status (two requests in one round trip: status and
#    currentsong), wall time, and the CPU each side spends on it: the client's own process
#    (hyperfine) and the server's (its /proc CPU time over the whole comparison, divided by the
#    runs; the other server is idle meanwhile). Then with other clients connected (subscribed,
#    so the idle timeout leaves them be; 63 others and the one asking fill max_clients = 64).
mpd_pid=${pids[0]}
rounds=10 runs=50
s0=$(cpu $daemon); m0=$(cpu $mpd_pid)
read -r sw mw status_ratio scpu mcpu < <(compare $rounds $runs "$bin/somacue status" "mpc status")
s1=$(cpu $daemon); m1=$(cpu $mpd_pid)
n=$(( rounds * (runs + 20) ))
read -r sd md < <(python3 -c "print(f'{($s1 - $s0) * 1000 / $n:.3f} {($m1 - $m0) * 1000 / $n:.3f}')")
cpu_ratio=$(python3 -c "print(f'{($scpu + $sd) / ($mcpu + $md):.2f}')")
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
  read -r a b r _ < <(compare 4 50 "$bin/somacue status" "mpc status")
  clients+="$n: $a ms vs $b ms = ${r}x; "
  kill "$holder"; wait "$holder" 2>/dev/null || true; rm -f "$tmp/clients.ready"
done

# 3. Playing: CPU of all the daemon's threads over 20 s of a session, and its wakeups: the
#    voluntary context switches of each thread (each one a sleep that ended), as
#    /proc/PID/task/*/status counts them; involuntary ones (preemption by other work on a busy
#    machine) are given apart. The threads: control (the poll loop, whose tick is due at the
#    next timeline event, at most every 250 ms), audio (PortAudio's callback thread, once a
#    period) and the ALSA pulse plugin's mainloop (threaded-ml). The CPU is each thread's run
#    time as the scheduler counts it (/proc/PID/task/TID/schedstat, nanoseconds); the process's
#    utime + stime in /proc/PID/stat are samples at the 10 ms timer tick (a thread charged the
#    whole tick it was running at), too coarse for 0.1 s of CPU in 20 s: the row gives both.
latency_ms=$(awk -F' *= *' '/^latency_ms/ {print $2}' config.toml)  # the default, as shipped
switches() {
  for t in /proc/$1/task/*; do
    awk -v tid="${t##*/}" -v pid="$1" -v comm="$(cat "$t/comm")" \
      '/^voluntary_ctxt_switches/ {v = $2} /^nonvoluntary_ctxt_switches/ {n = $2}
       END {name = (tid == pid) ? "control" : (comm == "threaded-ml" ? "pulse" : "t" tid); print name, v, n, run}' \
      run="$(awk '{print $1}' "$t/schedstat")" "$t/status"
  done
}
"$bin/somacue" start activate-the-abdominals >/dev/null
sleep 2
c0=$(cpu $daemon); switches $daemon > "$tmp/w0"; sleep 20; c1=$(cpu $daemon); switches $daemon > "$tmp/w1"
tick_cpu=$(python3 -c "print(f'{100 * ($c1 - $c0) / 20:.2f}')")
# Run time over the 20 s: a thread started in between counts from its start.
play_cpu=$(python3 - "$tmp/w0" "$tmp/w1" <<'PY'
import sys
a = {l.split()[0]: int(l.split()[3]) for l in open(sys.argv[1])}
b = {l.split()[0]: int(l.split()[3]) for l in open(sys.argv[2])}
print(f"{100 * sum(v - a.get(k, 0) for k, v in b.items()) / 1e9 / 20:.2f}")
PY
)
read -r wakeups wake_detail < <(python3 - "$tmp/w0" "$tmp/w1" <<'PY'
import sys
a = {l.split()[0]: list(map(int, l.split()[1:3])) for l in open(sys.argv[1])}
b = {l.split()[0]: list(map(int, l.split()[1:3])) for l in open(sys.argv[2])}
rates = {k: ((b[k][0] - a[k][0]) / 20, (b[k][1] - a[k][1]) / 20) for k in b if k in a}
# The busiest unnamed thread is PortAudio's callback thread; the others (the state writer)
# sleep until there is something to write.
others = sorted((k for k in rates if k not in ("control", "pulse")), key=lambda k: -rates[k][0])
names = {"control": "control", "pulse": "ALSA pulse plugin"}
if others: names[others[0]] = "audio callback"
parts = [f"{names[k]} {rates[k][0]:.0f}" for k in ("control", others[0] if others else None, "pulse") if k in rates]
rest = sum(rates[k][0] for k in others[1:])
if rest: parts.append(f"other {rest:.0f}")
total = sum(v for v, _ in rates.values())
preempt = sum(n for _, n in rates.values())
print(f"{total:.0f}", "; ".join(parts) + f"; plus {preempt:.0f}/s preemptions")
PY
)
threads=$(ls /proc/$daemon/task | wc -l)

# 4. Pause latency: `somacue pause` returns once the audio thread has rendered the end of the
#    fade (the reply waits for it), so its wall time is command -> silence handed to the device:
#    the wait for the next callback (at most one period, latency_ms) plus the 10 ms fade. What is
#    already queued (latency_ms) plays before it. 10 pauses.
lat=$(for i in $(seq 10); do
  t0=$(date +%s%N); "$bin/somacue" pause >/dev/null; t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
  sleep 0.4; "$bin/somacue" resume >/dev/null; sleep 1.2
done | sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int((NR+1)/2)] / 1000, a[NR] / 1000}')
read -r lat_median lat_max <<<"$lat"
"$bin/somacue" stop >/dev/null || true

echo "| idle daemon, 30 s | 0.00 s CPU, <= 15 MB RSS | ${idle_cpu} s CPU, ${idle_rss} MB RSS |"
echo "| \`somacue status\` round trip vs \`mpc status\` against a local MPD (median of $((rounds * runs)) each; CPU of client + server per request) | <= 1.5x | $sw ms vs $mw ms = ${status_ratio}x; CPU $scpu + $sd ms vs $mcpu + $md ms = ${cpu_ratio}x |"
echo "| same, with 1, 16 and 63 other clients connected to somacued | | ${clients%; } |"
echo "| daemon CPU while playing, all threads (20 s: scheduler run time; timer-tick samples), and wakeups per second (voluntary context switches) | <= 0.5% of one core | ${play_cpu}% ($threads threads; tick samples ${tick_cpu}%); $wakeups wakeups/s: $wake_detail |"
echo "| pause: command sent -> silence rendered (median, max of 10); then the queued latency_ms ($latency_ms ms) plays | <= 20 ms + device buffer ($((2 * latency_ms)) ms): rendered <= $((latency_ms + 20)) ms | median ${lat_median} ms, max ${lat_max} ms (silent at the speaker within max + $latency_ms ms) |"
