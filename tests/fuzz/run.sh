#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each (default 60) and reports
# executions and crashes. Builds a clang fuzzing tree in _build/fuzz.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Crashing inputs are copied to tests/fuzz/regressions/<target>/ so that
# `make check` replays them from then on (commit them with the fix).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}; shift || true
targets=${*:-img imzml mzml bruker_tree bruker_spotlist query}
build=$top/_build/fuzz
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  (cd "$build" && CC=clang "$top/configure" -q --enable-fuzzing)
fi
make -C "$build" -j"$(nproc)" >/dev/null
make -C "$build" tests/fuzz/fuzz_replay omsi-gen >/dev/null
export OMSI_BUILDDIR=$build OMSI_SRCDIR=$top
. "$top/tests/fuzz/seeds.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/omsi-fuzz-run-XXXXXX")
trap 'rm -rf "$work"' EXIT
make_seeds "$work/seeds"
printf '%-16s %10s %8s %s\n' target execs crashes corpus
for t in $targets; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  cp "$work/seeds/$t"/* "$work/corpus/$t/" 2>/dev/null || true
  log="$work/$t.log"
  ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/fuzz_$t" "$work/corpus/$t" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 || true
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  crashes=$(ls "$work/artifacts/$t" | wc -l)
  printf '%-16s %10s %8s %s\n' "$t" "${execs:-?}" "$crashes" "$(ls "$work/corpus/$t" | wc -l)"
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "$top/tests/fuzz/regressions/$t"
    cp "$work/artifacts/$t"/* "$top/tests/fuzz/regressions/$t/"
    grep -m3 -E 'ERROR|SUMMARY' "$log" || true
  fi
done
