#!/usr/bin/env bash
# The README's whole benchmark table in one run (about 10 minutes on an idle 2-core machine; at
# most 15 is the aim: run.sh's slowest comparison, FLAC, runs fewer rounds for it):
#   bench/all.sh            prints the table (Markdown) on stdout
#   bench/all.sh --readme   also puts it into README.md, between the bench-table markers
# It runs bench/run.sh (render, start-up), bench/start.sh when present (listing, start, idle
# memory after a session) and bench/daemon.sh (status, playing CPU, pause), one after the other,
# and says how busy the machine was: every row is a ratio against an anchor measured in the
# same run, but a machine that is busy with other work still stretches both sides unevenly.
set -euo pipefail
cd "$(dirname "$0")/.."
write_readme=0
[ "${1:-}" = --readme ] && write_readme=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
swift build -c release >/dev/null 2>&1

load() { cut -d' ' -f1 /proc/loadavg; }
t0=$SECONDS
l0=$(load)
parts=""
# part SCRIPT: runs one benchmark script and notes how long it took.
part() {
  local s=$SECONDS
  BENCH_NO_BUILD=1 "bench/$1"
  parts+="${parts:+, }$1 $(( (SECONDS - s + 30) / 60 )) min"
  echo "bench/all.sh: $1 took $((SECONDS - s)) s" >&2
}
{
  echo "| benchmark | target | result |"
  echo "|---|---|---|"
  part run.sh
  if [ -x bench/start.sh ]; then part start.sh; fi
  part daemon.sh
} > "$tmp/table"
l1=$(load)
minutes=$(( (SECONDS - t0 + 30) / 60 ))
{
  echo "Measured $(date -u +%Y-%m-%d) by \`bench/all.sh\` in $minutes min ($parts) on $(nproc) cores"
  echo "($(uname -m)), load average $l0 at the start and $l1 at the end."
  echo
  cat "$tmp/table"
} > "$tmp/out"
cat "$tmp/out"

if [ "$write_readme" = 1 ]; then
  python3 - README.md "$tmp/out" <<'PY'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- bench-table:begin -->\n", "<!-- bench-table:end -->\n"
i, j = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:i] + table + text[j:])
PY
  echo "bench/all.sh: README.md updated" >&2
fi
