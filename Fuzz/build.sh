#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Targets/*.swift) into .build-fuzz/ (or $SOMACUE_FUZZ_BUILD):
# SomacueCore and SomacueProtocol are compiled as static libraries with coverage instrumentation
# and ASan (-sanitize=fuzzer,address), then each target is linked against them with libFuzzer's
# main. The Swift runtime is linked dynamically (the sanitizers need to see its allocations).
# Usage: Fuzz/build.sh [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SOMACUE_FUZZ_BUILD:-.build-fuzz}
mkdir -p "$out"
all_targets=(toml schema json request compiler)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# -O keeps Swift's overflow and precondition checks (the traps we are looking for); -g gives
# symbolized stack traces.
flags=(-sanitize=fuzzer,address -O -g -swift-version 6 -parse-as-library)

library() {  # module name
  local name=$1
  swiftc "${flags[@]}" -wmo -I "$out" -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
    -emit-library -static -o "$out/lib$name.a" $(find "Sources/$name" -name '*.swift' | sort)
}
library SomacueCore
library SomacueProtocol  # imports SomacueCore from $out

for t in "${targets[@]}"; do
  [ -f "Fuzz/Targets/$t.swift" ] || { echo "Fuzz/build.sh: no target \"$t\" (Fuzz/Targets/$t.swift)" >&2; exit 64; }
  rm -f "$out/fuzz-$t"
  # ld.gold warns once per ASan helper symbol it cannot export; those lines are noise.
  swiftc "${flags[@]}" -I "$out" -L "$out" "Fuzz/Targets/$t.swift" Fuzz/Targets/Support.swift \
    -lSomacueProtocol -lSomacueCore -o "$out/fuzz-$t" 2>&1 | { grep -v "Cannot export local symbol '__asan" || true; } >&2
  [ -x "$out/fuzz-$t" ] || { echo "Fuzz/build.sh: building fuzz-$t failed" >&2; exit 1; }
  echo "built $out/fuzz-$t"
done
