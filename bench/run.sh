#!/usr/bin/env bash
# Benchmarks for the README's table. Release build; prints a Markdown table on stdout.
#   bench/run.sh            all benchmarks
# Needs hyperfine, mpc, python3-numpy, sox (all installed by scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOMACUE_DATA_DIR=$PWD XDG_CONFIG_HOME=$tmp/config

# The longest shipped session.
longest=$($bin/somacue sessions --json | python3 -c 'import json,sys; print(max(json.load(sys.stdin), key=lambda s: s["duration"])["id"])')
duration=$($bin/somacue sessions --json | python3 -c "import json,sys; print([s['duration'] for s in json.load(sys.stdin) if s['id']=='$longest'][0])")

# 1. Render speed, cold (first run after the build, file cache dropped where allowed) and warm.
sync; (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null || true
t0=$(date +%s.%N); $bin/somacue render "$longest" -o "$tmp/r.wav"; t1=$(date +%s.%N)
cold=$(python3 -c "print(f'{$duration/($t1-$t0):.0f}')")
best=999
for i in 1 2 3; do
  t0=$(date +%s.%N); $bin/somacue render "$longest" -o "$tmp/r.wav"; t1=$(date +%s.%N)
  best=$(python3 -c "print(min($best, $t1-$t0))")
done
warm=$(python3 -c "print(f'{$duration/$best:.0f}')")

# 2. Peak RSS of play through the unpaced capture device, and the distinct cue audio it uses.
ALSA_CONFIG_PATH=$PWD/scripts/alsa/capture-raw.conf SOMACUE_CAPTURE=/dev/null \
  /usr/bin/time -f "%M" -o "$tmp/rss" $bin/somacue play "$longest" >/dev/null
rss_kb=$(cat "$tmp/rss")
cue_seconds=$($bin/somacue timeline "$longest" --json | python3 -c '
import json,sys
t=json.load(sys.stdin); seen={}
for e in t["events"]: seen[e["cue"]]=e["frames"]
print(sum(seen.values())/t["sampleRate"])')
budget_kb=$(python3 -c "print(int(30*1024 + 100*$cue_seconds))")

# 3. Start-up: somacue --version against mpc (Debian's mpc 0.34 has no --version; `mpc help`
#    is its closest equivalent: print and exit, no server), whole process, median.
hyperfine -N -w 20 -r 200 --export-json "$tmp/h.json" "$bin/somacue --version" "mpc help" >/dev/null 2>&1
ratio=$(python3 -c "
import json; r=json.load(open('$tmp/h.json'))['results']
print(f\"{r[0]['median']*1000:.2f} ms vs {r[1]['median']*1000:.2f} ms = {r[0]['median']/r[1]['median']:.2f}x\")")

# 4. Onset accuracy of the render: voices and tones rendered apart, each cue found by
#    cross-correlation at exactly its frame.
printf '[volume]\ntone = 0\n' > "$tmp/voices.toml"
printf '[volume]\nvoice = 0\n' > "$tmp/tones.toml"
$bin/somacue render "$longest" -o "$tmp/v.wav" --config "$tmp/voices.toml"
$bin/somacue render "$longest" -o "$tmp/t.wav" --config "$tmp/tones.toml"
$bin/somacue timeline "$longest" --json > "$tmp/t.json"
onsets=$(python3 bench/onsets.py "$tmp/t.json" "$tmp/v.wav" "$tmp/t.wav" | tail -n 1)

echo "| benchmark | target | result |"
echo "|---|---|---|"
echo "| render \`$longest\` (${duration%.*} s of audio) to .wav, cold | >= 500x real time | ${cold}x |"
echo "| same, warm (best of 3) | | ${warm}x |"
echo "| peak RSS of \`somacue play $longest\` (capture-raw.conf) | <= 30 MB + 100 KB/s of distinct cue audio (${cue_seconds%.*} s: $((budget_kb / 1024)) MB) | $((rss_kb / 1024)) MB |"
echo "| start-up, \`somacue --version\` vs \`mpc help\` (median) | <= 2x | $ratio |"
echo "| onset accuracy of the render | 0 samples off | ${onsets#onsets: } |"
