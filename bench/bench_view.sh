#!/bin/sh
# Seeing the data (issue "See the data"): on a converted realistic Analyze
# dataset of about OMSI_BENCH_GB gigabytes (default 2), the whole-process time
# of an ion image, a TIC image, one pixel's spectrum and the mean spectrum
# (goal: under 50 ms each), and the cost of the summaries during conversion
# (default vs --no-summaries, alternated; goal: under 5 %). Median of
# OMSI_BENCH_RUNS (default 5) runs each. Nothing is asserted. Usage:
#   OMSI_BENCH_GB=2 bench/bench_view.sh [WORKDIR]      (needs ~2.5x the size free)
set -eu
builddir=${OMSI_BUILDDIR:-.}
work=${1:-${TMPDIR:-/tmp}/omsi-bench-view}
gb=${OMSI_BENCH_GB:-2}
runs=${OMSI_BENCH_RUNS:-5}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cli="$builddir/omsi-catalog --catalog $work/c.sqlite"

# 16000 int16 bins per spectrum; a square grid of the asked size.
side=$("$py" -c "import math,sys; print(max(8, int(math.sqrt(float(sys.argv[1]) * 1e9 / (16000 * 2)))))" "$gb")
echo "generating a ${side} x ${side} x 16000 int16 Analyze dataset (realistic content)..."
"$builddir/omsi-gen" img "$work/in" --stem big --shape "$side" "$side" 16000 --dtype int16 --content realistic >/dev/null
bytes=$(stat -c %s "$work/in/big.img")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
clock() { # command...: seconds
    t0=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || echo "  (failed: $*: $(cat "$work/err"))" >&2; t1=$(date +%s.%N)
    "$py" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1"
}

echo "conversion: default (with summaries) vs --no-summaries, alternated, $runs runs..."
: > "$work/with"; : > "$work/without"
i=0
while [ "$i" -lt "$runs" ]; do
    rm -f "$work/a.h5"; /usr/bin/time -f '%e %U' -a -o "$work/with" "$builddir/omsi-convert" -q "$work/in/big.hdr" "$work/a.h5"
    rm -f "$work/b.h5"; /usr/bin/time -f '%e %U' -a -o "$work/without" "$builddir/omsi-convert" -q --no-summaries "$work/in/big.hdr" "$work/b.h5"
    i=$((i + 1))
done
w=$(awk '{ print $1 }' "$work/with" | median); wo=$(awk '{ print $1 }' "$work/without" | median)
wu=$(awk '{ print $2 }' "$work/with" | median); wou=$(awk '{ print $2 }' "$work/without" | median)
"$py" -c "import sys
w, wo, wu, wou, b = map(float, sys.argv[1:])
print(f'  with summaries    {w:7.2f} s wall ({b/w/1e6:6.1f} MB/s), {wu:7.2f} s user CPU')
print(f'  --no-summaries    {wo:7.2f} s wall ({b/wo/1e6:6.1f} MB/s), {wou:7.2f} s user CPU')
print(f'  summaries cost    {100*(w-wo)/wo:+6.1f} % wall, {100*(wu-wou)/wou:+6.1f} % CPU (goal < 5 %)')" "$w" "$wo" "$wu" "$wou" "$bytes"
rm -f "$work/b.h5"
"$builddir/omsi-catalog" --catalog "$work/c.sqlite" -q ingest "$work/in/big.hdr" --output-dir "$work/out" >/dev/null
rm -f "$work/a.h5"

mid=$((side / 2))
peak=$($cli show 1 --json | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["experiments"][0]["datasets"][0]["strongest_peaks"][0]["mz"])')
echo "reading back ($runs runs each, whole process, output file in $work):"
for case in "image 1 --mz $peak --width 1" "image 1 --tic" "spectrum 1 --x $mid --y $mid" "spectrum 1 --mean" "thumbnail 1"; do
    : > "$work/t"
    i=0
    while [ "$i" -lt "$runs" ]; do
        out="$work/o.png"; case $case in spectrum*) out="$work/o.csv" ;; esac
        # shellcheck disable=SC2086
        clock $cli $case -o "$out" >> "$work/t"
        i=$((i + 1))
    done
    printf '  %-40s %8.1f ms (median)\n' "$case" "$("$py" -c "import sys; print(float(sys.argv[1]) * 1000)" "$(median < "$work/t")")"
done
echo "input $bytes bytes; goal: each read under 50 ms"
