#!/usr/bin/env bash
# Writes the seed corpora Fuzz/corpus/<target>/ from the shipped files and the test fixtures
# (sessions, exercises, config, voice manifest, diagnostics fixtures) and from protocol lines
# written here. Run it again after adding shipped files; the output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=Fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus"/{toml,schema,compiler,json,request}

# TOML and schema readers: every TOML file of the repository (shipped, fixtures).
toml_files=$(git ls-files '*.toml' | grep -v '^Fuzz/' | sort)
for f in $toml_files; do
  name=$(echo "$f" | tr '/' '_')
  cp "$f" "$corpus/toml/$name"
  cp "$f" "$corpus/schema/$name"
done

# The compiler: each session followed by the exercises it names, separated by "#---" lines.
for s in sessions/*.toml Tests/EndToEndTests/Fixtures/short-session.toml; do
  out="$corpus/compiler/$(basename "$s")"
  cat "$s" > "$out"
  for id in $(sed -n 's/^exercise = "\([a-z0-9-]*\)".*/\1/p' "$s" | sort -u); do
    [ -f "exercises/$id.toml" ] || continue
    printf '\n#---\n' >> "$out"
    cat "exercises/$id.toml" >> "$out"
  done
done

# The protocol: one request per file for the JSON parser; the request path gets the same lines
# and a few multi-line streams (pipelining, CRLF, blank lines, a partial last line).
n=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  n=$((n + 1))
  printf '%s' "$line" > "$corpus/json/line-$n"
  printf '%s\n' "$line" > "$corpus/request/line-$n"
done <<'LINES'
{"id":1,"cmd":"ping"}
{"id":2,"cmd":"start","args":{"session":"gluteal-release","tempo":0.8}}
{"id":3,"cmd":"start","args":{"session":"sessions/mine.toml","tempo":1.25,"voice":"default","lead_in":120,"replace":true}}
{"id":4,"cmd":"pause"}
{"id":5,"cmd":"resume"}
{"id":6,"cmd":"toggle"}
{"id":7,"cmd":"stop"}
{"id":8,"cmd":"next"}
{"id":9,"cmd":"prev"}
{"id":10,"cmd":"tempo","args":{"value":0.9}}
{"id":11,"cmd":"tempo","args":{"step":-0.1}}
{"id":12,"cmd":"volume","args":{"class":"voice","value":0.8}}
{"id":13,"cmd":"volume","args":{"class":"master","value":1.5}}
{"id":14,"cmd":"status"}
{"id":15,"cmd":"sessions"}
{"id":16,"cmd":"voices"}
{"id":17,"cmd":"subscribe"}
{"id":18,"cmd":"subscribe","args":{"events":["state","phase","exercise","cue","error"]}}
{"id":19,"cmd":"reload"}
{"id":-9223372036854775808,"cmd":"ping"}
{"id":9223372036854775807,"cmd":"ping"}
{"id":1e2,"cmd":"ping"}
{"id":99999999999999999999,"cmd":"ping"}
{"id":20,"cmd":"tempo","args":{"value":"fast"}}
{"id":21,"cmd":"volume","args":{"class":"voice","value":2}}
{"id":22,"cmd":"strat","args":{}}
{"id":23,"cmd":"ping","extra":true}
{"id":24,"cmd":"start","args":{"session":"caf\u00e9 \ud83d\ude00 \"x\"\\\/\b\f\n\r\t"}}
{"id":7,"ok":true,"data":{"volume":{"master":1,"voice":0.8,"tone":0.6}}}
{"id":7,"ok":false,"error":{"code":"out_of_range","message":"argument \"value\" of volume must be between 0 and 1.5, got 2"}}
{"event":"phase","frame":28800000,"elapsed":600,"exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10},"phase":"contract","rep":2,"side":"left"}
{"somacue":1,"version":"0.1.0"}
[1,-0,0.5,-1.25e-7,1E+300,123456789012345678901234567890,true,false,null,[],{},""]
 {"a" : [ {"b" : null} ] } 
LINES
printf '{"id":1,"cmd":"ping"}\n{"id":2,"cmd":"status"}\r\n\n{"id":3,"cmd":"subscribe"}\n{"id":4,"cmd":"pa' > "$corpus/request/stream-pipelined"
printf '\r\n   \n{"id":1,"cmd":"tempo","args":{"step":0.25}}\r\n{"id":2,"cmd":"volume","args":{"class":"tone","value":0}}\n' > "$corpus/request/stream-blank-lines"
printf '{"id":1,"cmd":"start","args":{"session":"%s"}}\n{"id":2,"cmd":"ping"}\n' "$(printf 'x%.0s' $(seq 1 300))" > "$corpus/request/stream-long-line"
printf '\xff\xfe{"id":1}\n{"id":2,"cmd":"ping"\x00}\n' > "$corpus/request/stream-bad-bytes"
for d in "$corpus"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) files"; done
