#!/usr/bin/env bash
# Engine benchmarks for the README's table. Release build; prints Markdown table rows on stdout.
#   bench/run.sh
# Every time is a ratio against an anchor measured in the same run (sox, mpc), because the
# machines are shared and noisy: absolute times move from run to run, ratios much less.
# hyperfine runs the commands of one comparison alternately in rounds (-r runs each, several
# rounds), and a ratio is the median over the rounds.
# Needs hyperfine, mpc, python3-numpy, sox (all installed by scripts/deps.sh).
#   BENCH_QUICK=1 bench/run.sh   one round of two runs per render comparison, and no growth,
#                                RSS or onset rows (for a heavily loaded machine)
# The whole run takes about 6 minutes on an idle 2-core machine. The FLAC comparison, the
# slowest (sox takes about 10 s per encode), runs 2 rounds of 2 instead of 3 of 3.
set -euo pipefail
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then rr="1 2"; rf="1 1"; else rr="3 3"; rf="2 2"; fi
cd "$(dirname "$0")/.."
# BENCH_NO_BUILD=1 (set by bench/all.sh, which builds once) uses the release build as it is.
[ "${BENCH_NO_BUILD:-0}" = 1 ] || swift build -c release >/dev/null 2>&1
bin=$PWD/.build/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOMACUE_DATA_DIR=$PWD XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache

. bench/compare.sh
# compare ROUNDS RUNS CMD...: see compare_rounds; one warm-up run.
compare() { compare_rounds "$1" "$2" 1 "${@:3}"; }

sessions_json=$("$bin/somacue" sessions --json)
longest=$(python3 -c 'import json,sys; print(max(json.load(sys.stdin), key=lambda s: s["duration"])["id"])' <<<"$sessions_json")
duration=$(python3 -c "import json,sys; print([s['duration'] for s in json.load(sys.stdin) if s['id']=='$longest'][0])" <<<"$sessions_json")

# 1. Render vs sox decoding the same cue files (every event's file, in timeline order),
#    padding with silence to the same length and writing the same 48 kHz 16-bit stereo WAV.
"$bin/somacue" timeline "$longest" --json > "$tmp/t.json"
python3 - "$tmp/t.json" "$tmp/out-sox.wav" > "$tmp/sox.sh" <<'PY'
import json, shlex, sys
t = json.load(open(sys.argv[1]))
events = sorted(t["events"], key=lambda e: e["frame"])
pad = t["frames"] - sum(e["frames"] for e in events)
assert pad >= 0
print("exec sox --combine concatenate " + " ".join(shlex.quote(e["source"]) for e in events)
      + f" -r {t['sampleRate']} -c 2 -b 16 {shlex.quote(sys.argv[2])} pad 0 {pad}s")
PY
"$bin/somacue" render "$longest" -o "$tmp/warm.wav"   # warms the cue header cache and the page cache
read -r rw rc sw sc ratio_wall ratio_cpu < <(compare $rr "$bin/somacue render $longest -o $tmp/out.wav" "sh $tmp/sox.sh")
[ "$(stat -c %s "$tmp/out.wav")" = "$(stat -c %s "$tmp/out-sox.wav")" ] || { echo "bench: the sox anchor wrote a different size" >&2; exit 1; }
realtime_wall=$(python3 -c "print(f'{$duration / $rw:.0f}')")
realtime_cpu=$(python3 -c "print(f'{$duration / $rc:.0f}')")

# 2. FLAC: render to .flac vs sox encoding the rendered WAV.
read -r fw fc xw xc flac_wall flac_cpu < <(compare $rf "$bin/somacue render $longest -o $tmp/out.flac" "sox $tmp/out.wav $tmp/sox.flac")

# 3. Rests cost little: CPU of tempo 0.25 (a timeline about 2.9x longer, the added time rests
#    under the pacing guide's tone) vs tempo 1.0.
tl_len() { "$bin/somacue" timeline "$longest" --tempo "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])'; }
longer=$(python3 -c "print(f'{$(tl_len 0.25) / $(tl_len 1.0):.2f}')")
read -r qw qc ow oc slow_wall slow_cpu < <(compare $rr "$bin/somacue render $longest --tempo 0.25 -o $tmp/slow.wav" "$bin/somacue render $longest -o $tmp/out.wav")

if [ "$quick" != 1 ]; then
# 4. Growth: render time (wall and CPU, one run each) and peak RSS against session length
#    (tempo) and against the distinct cues a session holds decoded.
growth_tempo=""
for tempo in 2.0 1.0 0.5 0.25; do
  secs=$("$bin/somacue" timeline "$longest" --tempo $tempo --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["frames"]/t["sampleRate"])')
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$bin/somacue" render "$longest" --tempo $tempo -o "$tmp/g.wav"
  read -r e u s m < "$tmp/time"
  growth_tempo+=$(python3 -c "print(f'{$tempo}: {$secs:.0f} s of audio, {$e:.2f} s wall, {$u+$s:.2f} s CPU, {$m/1024:.0f} MB; ')")
done
growth_cues=""
for id in $(python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))' <<<"$sessions_json"); do
  "$bin/somacue" timeline "$id" --json > "$tmp/c.json"
  read -r distinct cue_secs secs < <(python3 -c '
import json,sys
t=json.load(open(sys.argv[1])); seen={}
for e in t["events"]: seen[e["cue"]]=e["frames"]
print(len(seen), sum(seen.values())/t["sampleRate"], t["frames"]/t["sampleRate"])' "$tmp/c.json")
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$bin/somacue" render "$id" -o "$tmp/g.wav"
  read -r e u s m < "$tmp/time"
  growth_cues+="$distinct $(python3 -c "print(f'{$cue_secs:.0f} {$secs:.0f} {$e:.2f} {$u+$s:.2f} {$m/1024:.0f}')")"$'\n'
done
growth_cues=$(sort -n <<<"$growth_cues" | awk 'NF {printf "%s cues (%s s of cue audio, %s s session): %s s wall, %s s CPU, %s MB; ", $1, $2, $3, $4, $5, $6}')

# 5. Peak RSS of play through the unpaced capture device, and the distinct cue audio it uses.
ALSA_CONFIG_PATH=$PWD/scripts/alsa/capture-raw.conf SOMACUE_CAPTURE=/dev/null \
  /usr/bin/time -f "%M" -o "$tmp/rss" "$bin/somacue" play "$longest" >/dev/null
rss_kb=$(cat "$tmp/rss")
cue_seconds=$(python3 -c '
import json,sys
t=json.load(open(sys.argv[1])); seen={}
for e in t["events"]: seen[e["cue"]]=e["frames"]
print(sum(seen.values())/t["sampleRate"])' "$tmp/t.json")
budget_kb=$(python3 -c "print(int(30*1024 + 100*$cue_seconds))")

fi

# 6. Start-up: somacue --version against mpc (Debian's mpc 0.34 has no --version; `mpc help`
#    is its closest equivalent: print and exit, no server), whole process.
read -r vw vc mw mc ver_wall ver_cpu < <(compare 5 100 "$bin/somacue --version" "mpc help")
# `somacue voices` (the shipped packs and the user's, each pack's manifest read) against the same
# anchor; bench/start.sh measures sessions, exercises and timeline.
read -r lw lc _ _ voices_wall _ < <(compare 3 20 "$bin/somacue voices" "mpc help")

if [ "$quick" != 1 ]; then
# 7. Onset accuracy of the render: voices and tones rendered apart, each cue found by
#    cross-correlation at exactly its frame.
#    The pacing guide is off in both: it sounds at the master volume, under voices and tones
#    alike, and its tone would pull the cross-correlation off the cue.
printf '[volume]\ntone = 0\n[guide]\nenabled = false\n' > "$tmp/voices.toml"
printf '[volume]\nvoice = 0\n[guide]\nenabled = false\n' > "$tmp/tones.toml"
"$bin/somacue" render "$longest" -o "$tmp/v.wav" --config "$tmp/voices.toml"
"$bin/somacue" render "$longest" -o "$tmp/t.wav" --config "$tmp/tones.toml"
onsets=$(python3 bench/onsets.py "$tmp/t.json" "$tmp/v.wav" "$tmp/t.wav" | tail -n 1)

fi
ms() { python3 -c "print(f'{$1 * 1000:.2f}')"; }
s2() { python3 -c "print(f'{$1:.2f}')"; }
echo "| render \`$longest\` (${duration%.*} s) to .wav vs sox decoding the same cues, padding, writing the same WAV (median wall; CPU) | <= 1.0x; >= 2,500x real time | $(s2 $rw) s vs $(s2 $sw) s = ${ratio_wall}x; CPU ${ratio_cpu}x; ${realtime_wall}x real time (${realtime_cpu}x per CPU second) |"
echo "| render to .flac vs \`sox x.wav x.flac\` (median wall; CPU; 2 rounds of 2) | <= 1.0x | $(s2 $fw) s vs $(s2 $xw) s = ${flac_wall}x; CPU ${flac_cpu}x |"
echo "| render at tempo 0.25 (${longer}x longer, the added time rests under the guide tone) vs tempo 1.0, CPU | <= 1.3x | $(s2 $qc) s vs $(s2 $oc) s = ${slow_cpu}x |"
if [ "$quick" != 1 ]; then
echo "| growth with session length: render of \`$longest\` by tempo (wall, CPU, peak RSS; one run each) | | ${growth_tempo%; } |"
echo "| growth with distinct cues: render of each shipped session (wall, CPU, peak RSS; one run each) | | ${growth_cues%; } |"
echo "| peak RSS of \`somacue play $longest\` (capture-raw.conf) | <= 30 MB + 100 KB/s of distinct cue audio (${cue_seconds%.*} s: $((budget_kb / 1024)) MB) | $((rss_kb / 1024)) MB |"
fi
echo "| start-up, \`somacue --version\` vs \`mpc help\` (median wall) | <= 1.2x | $(ms $vw) ms vs $(ms $mw) ms = ${ver_wall}x |"
echo "| \`somacue voices\` (median wall; CPU) | <= 20 ms | $(ms $lw) ms ($(ms $lc) ms CPU; ${voices_wall}x \`mpc help\`) |"
[ "$quick" = 1 ] || echo "| onset accuracy of the render (each cue found by cross-correlation) | 0 samples off | ${onsets#onsets: } |"
