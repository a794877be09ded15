#!/usr/bin/env bash
# Start-up benchmarks for the README (issue 7): listing and planning against `mpc help`, the
# daemon's `start` reply, time from `start` to the first non-silent sample at the sound server
# (cold and warm decoded-cue cache), and the idle daemon's memory after a session. Release
# build; prints Markdown table rows on stdout. Needs hyperfine, mpc, python3 and pulseaudio (all
# installed by scripts/deps.sh); the private sound server is scripts/headless-pulse.sh, whose pipe
# sink writes everything it plays to a FIFO that this script reads.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
session=release-the-lower-back

# 1. Listing and planning with a warm header cache (the first run fills it), against `mpc help`
#    (a C program that prints and exits), interleaved in one hyperfine run.
"$bin/somacue" sessions >/dev/null
hyperfine -N -w 5 -r 40 --export-json "$tmp/list.json" "mpc help" "$bin/somacue sessions" "$bin/somacue exercises" \
  "$bin/somacue timeline $session" >/dev/null 2>&1
read -r mpc sessions exercises timeline < <(python3 -c "
import json; r=json.load(open('$tmp/list.json'))['results']
print(' '.join(f\"{x['median']*1000:.1f}\" for x in r))")
ratio() { python3 -c "print(f'{$1 / $2:.1f}')"; }

# 2. start -> reply, start -> first non-silent sample in the sink's FIFO. The reader drains the
#    FIFO all the time (the sink plays silence when nothing plays) and notes when the first
#    non-zero sample arrives after the request was sent.
"$bin/somacued" serve >"$tmp/somacued.log" 2>&1 & daemon=$!; pids+=($daemon)
for _ in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/somacue/socket" ] && break; sleep 0.1; done
# Resident memory in MB, split: "total anonymous file-backed own-binary shared-libraries" (the
# file-backed pages are the executable's and the libraries' code and read-only data, clean pages
# of the page cache; the anonymous ones are the process's own: heap, stacks, arenas).
memory() {
  python3 - "/proc/$1/smaps" "$bin/somacued" <<'PY'
import os, sys
own = os.path.realpath(sys.argv[2])
anon = file_own = file_libs = 0
path = None
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and "-" in f[0] and not f[0].endswith(":"):
        path = f[5] if len(f) > 5 and f[5].startswith("/") else None
    elif f[0] == "Rss:":
        rss = int(f[1])
    elif f[0] == "Anonymous:":
        a = int(f[1]); anon += a
        if path == own: file_own += rss - a
        elif path: file_libs += rss - a
print(f"{(anon + file_own + file_libs) / 1024:.1f} {anon / 1024:.1f} {(file_own + file_libs) / 1024:.1f} {file_own / 1024:.1f} {file_libs / 1024:.1f}")
PY
}
sleep 1; read -r fresh_rss fresh_anon fresh_file _ < <(memory $daemon)
preroll_ms=500
measure() {
  python3 - "$XDG_RUNTIME_DIR/somacue/socket" "$SOMACUE_PULSE_FIFO" "$session" <<'PY'
import json, os, socket, sys, threading, time, array
sock_path, fifo, session = sys.argv[1:4]
sent = [None]; first = [None]; stop = [False]
def reader():
    fd = os.open(fifo, os.O_RDONLY)
    while not stop[0]:
        data = os.read(fd, 4096)
        now = time.monotonic()
        if sent[0] is not None and first[0] is None:
            samples = array.array('h', data[:len(data) - len(data) % 2])
            if any(samples):
                first[0] = now
    os.close(fd)
t = threading.Thread(target=reader, daemon=True); t.start()
time.sleep(0.5)  # the reader has drained what was waiting
s = socket.socket(socket.AF_UNIX); s.connect(sock_path); f = s.makefile('rwb')
f.readline()  # greeting
sent[0] = time.monotonic()
f.write((json.dumps({"id": 1, "cmd": "start", "args": {"session": session, "replace": True}}) + "\n").encode()); f.flush()
while True:
    line = json.loads(f.readline())
    if line.get("id") == 1: break
reply = time.monotonic()
deadline = time.monotonic() + 20
while first[0] is None and time.monotonic() < deadline: time.sleep(0.001)
f.write(b'{"id":2,"cmd":"stop"}\n'); f.flush()
stop[0] = True
print(f"{(reply - sent[0]) * 1000:.1f} {((first[0] or float('nan')) - sent[0]) * 1000:.1f}")
PY
}
wait_idle() {
  for _ in $(seq 100); do "$bin/somacue" status 2>/dev/null | grep -q '^idle' && return; sleep 0.1; done
}
read -r cold_reply cold_sound < <(measure); sleep 3; wait_idle
warm=$(for i in 1 2 3 4 5; do measure; sleep 3; wait_idle; done)
warm_reply=$(echo "$warm" | awk '{print $1}' | sort -n | sed -n 3p)
warm_sound=$(echo "$warm" | awk '{print $2}' | sort -n | sed -n 3p)

# 3. Idle memory 5 s after a session ended (after a start, 5 s of playing, a stop).
"$bin/somacue" start "$session" >/dev/null; sleep 5; "$bin/somacue" stop >/dev/null; wait_idle; sleep 5
read -r idle_rss idle_anon idle_file idle_own idle_libs < <(memory $daemon)

sub() { python3 -c "print(f'{$1 - $2:.0f}')"; }
echo "| \`somacue sessions\` vs \`mpc help\` (median, warm header cache) | <= 20 ms | $sessions ms vs $mpc ms = $(ratio "$sessions" "$mpc")x |"
echo "| \`somacue exercises\` (median) | <= 20 ms | $exercises ms |"
echo "| \`somacue timeline $session\` (median) | <= 25 ms | $timeline ms |"
echo "| \`start\` reply (warm cache, median of 5; cold) | <= 50 ms | $warm_reply ms; cold $cold_reply ms |"
echo "| \`start\` -> first sound at the sound server, minus the ${preroll_ms} ms pre-roll (warm, median of 5; cold) | <= 150 ms | $(sub "$warm_sound" $preroll_ms) ms; cold $(sub "$cold_sound" $preroll_ms) ms |"
echo "| idle daemon 5 s after a session (RSS: anonymous + file-backed; before any session) | <= 15 MB RSS | $idle_rss MB: $idle_anon anonymous + $idle_file file-backed (somacued's own binary $idle_own, shared libraries $idle_libs); before any session $fresh_rss MB: $fresh_anon + $fresh_file |"
