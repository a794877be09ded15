#!/usr/bin/env bash
# Proves that two builds render the same samples: every shipped session, at tempo 0.25, 1.0 and
# 2.0, as 16-bit WAV and as 32-bit float WAV, rendered by both and compared sample for sample
# (the data chunks; a float WAV's PEAK chunk holds a time stamp).
#   bench/exactness.sh OLD_BIN_DIR NEW_BIN_DIR     (folders holding somacue and somacued)
# Use it for any change to the kernel that must not change the sound: build the commit before
# the change, copy its .build/release, build the change, run this. Exit 0: all identical.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOMACUE_DATA_DIR=$PWD XDG_CONFIG_HOME=$tmp/config
data() {  # the data chunk of a WAV file, to stdout
  python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
o = 12
while o + 8 <= len(d):
    size = int.from_bytes(d[o + 4:o + 8], "little")
    if d[o:o + 4] == b"data":
        sys.stdout.buffer.write(d[o + 8:o + 8 + size]); break
    o += 8 + size + size % 2
else:
    sys.exit("no data chunk in " + sys.argv[1])' "$1"
}
sessions=$("$new/somacue" sessions --json | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
failed=0 compared=0
for s in $sessions; do
  for tempo in 0.25 1.0 2.0; do
    for kind in int float; do
      flag=(); [ $kind = float ] && flag=(--float)
      "$old/somacue" render "$s" --tempo $tempo "${flag[@]}" -o "$tmp/old.wav"
      "$new/somacue" render "$s" --tempo $tempo "${flag[@]}" -o "$tmp/new.wav"
      if cmp -s <(data "$tmp/old.wav") <(data "$tmp/new.wav"); then
        echo "same: $s tempo $tempo $kind ($(stat -c %s "$tmp/new.wav") bytes)"
      else
        echo "DIFFERENT: $s tempo $tempo $kind"; failed=$((failed + 1))
      fi
      compared=$((compared + 1))
    done
  done
done
echo "$((compared - failed)) of $compared renders identical"
[ $failed -eq 0 ]
