#!/bin/sh
# Load on the web view (issue "A web view of the catalog"): OMSI_BENCH_N
# (default 200) concurrent requests for ion images (each at its own m/z, so
# nothing is cached) against `omsi-catalog serve` over a converted realistic
# dataset (OMSI_BENCH_SHAPE, default "128 128 4000" int16), sent at once by
# curl --parallel; prints how many were answered with 200, the latency p50,
# p99 and max, the wall time, and beside it the whole-process time of the
# same ion image from `omsi-catalog image` (the CLI, one process per image).
# Run for each --threads in OMSI_BENCH_THREADS (default "1 4"). Nothing is
# asserted. Usage: bench/serve_load.sh [WORKDIR]
set -eu
builddir=${OMSI_BUILDDIR:-.}
work=${1:-${TMPDIR:-/tmp}/omsi-bench-serve}
n=${OMSI_BENCH_N:-200}
shape=${OMSI_BENCH_SHAPE:-128 128 4000}
command -v curl >/dev/null || { echo "serve_load: curl is not installed"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
cat_=$work/c.sqlite
# shellcheck disable=SC2086 # the shape is three words
"$builddir/omsi-gen" img "$work/in" --stem load --shape $shape --dtype int16 --content realistic >/dev/null
"$builddir/omsi-catalog" --catalog "$cat_" -q ingest "$work/in/load.hdr" --output-dir "$work/out" >/dev/null
echo "dataset: $shape int16 (realistic), $(du -h "$work/out"/*.h5 | cut -f1) converted"

# m/z of bin k is 100 + 0.5 k: request i asks for an ion in the lower half.
urls() { awk -v n="$n" -v base="$1" 'BEGIN { for (i = 0; i < n; i++)
    printf "url = \"%s/api/datasets/1/image.png?mz=%.1f&ppm=50\"\noutput = \"/dev/null\"\n", base, 150 + i * 2.5 }'; }
summary() { # file of "code seconds" lines
    sort -k2 -n "$1" | awk -v n="$n" '{ t[NR] = $2; if ($1 == 200) ok++ }
        END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
              printf "  answered %d/%d with 200; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", ok, n, t[i50] * 1000, t[i99] * 1000, t[NR] * 1000 }'
}

for threads in ${OMSI_BENCH_THREADS:-1 4}; do
    rm -f "$work/port"
    "$builddir/omsi-catalog" --catalog "$cat_" -q serve --listen 127.0.0.1:0 --port-file "$work/port" \
        --threads "$threads" --rate-limit 0 2>"$work/serve.log" &
    pid=$!
    i=0
    while [ ! -s "$work/port" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    base=http://127.0.0.1:$(cat "$work/port")
    urls "$base" > "$work/urls"
    t0=$(date +%s.%N)
    curl -s --parallel --parallel-immediate --parallel-max "$n" -K "$work/urls" -w '%{http_code} %{time_total}\n' \
        > "$work/times" 2>/dev/null || true
    t1=$(date +%s.%N)
    echo "serve --threads $threads: $n concurrent ion-image requests in $(echo "$t1 - $t0" | bc) s"
    summary "$work/times"
    kill "$pid"
    wait "$pid" || true
    pid=
done

# The CLI beside it: the same kind of image, one process each (median of 5).
for i in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    "$builddir/omsi-catalog" --catalog "$cat_" image 1 --mz "$((150 + i * 10))" --ppm 50 -o "$work/cli.png" 2>/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
done | sort -n | awk '{ v[NR] = $1 } END { printf "omsi-catalog image (one process per image): median %.1f ms\n", v[3] * 1000 }'
