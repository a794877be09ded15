# Sourced by the benchmarks (bench/run.sh, bench/daemon.sh): hyperfine comparisons in rounds.
# Needs hyperfine and python3, and $tmp set to a scratch folder.

# compare_rounds ROUNDS RUNS WARMUP CMD...
# Runs hyperfine ROUNDS times over the commands (each -r RUNS after WARMUP warm-up runs; the
# commands alternate within each round) and prints, per command, its median wall time and mean
# CPU time (user + system) in seconds over all rounds, then the first command against the second
# as "wall cpu" ratios (medians of the per-round ratios, three decimals): one line,
# "wall1 cpu1 wall2 cpu2 ... ratio_wall ratio_cpu".
compare_rounds() {
  local rounds=$1 runs=$2 warmup=$3; shift 3
  for r in $(seq "$rounds"); do
    hyperfine -N -w "$warmup" -r "$runs" --export-json "$tmp/cmp.$r.json" "$@" >/dev/null 2>&1
  done
  python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
res = [json.load(open(f"{tmp}/cmp.{r}.json"))["results"] for r in range(1, rounds + 1)]
n = len(res[0])
wall = [statistics.median([t for rr in res for t in rr[i]["times"]]) for i in range(n)]
cpu = [statistics.mean([rr[i]["user"] + rr[i]["system"] for rr in res]) for i in range(n)]
rw = statistics.median([rr[0]["median"] / rr[1]["median"] for rr in res])
rc = statistics.median([(rr[0]["user"] + rr[0]["system"]) / (rr[1]["user"] + rr[1]["system"]) for rr in res])
print(" ".join(f"{w:.6f} {c:.6f}" for w, c in zip(wall, cpu)), f"{rw:.3f} {rc:.3f}")
PY
}
