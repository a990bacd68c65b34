#!/bin/sh
# Conversion benchmark: generates an Analyze dataset of OMSI_BENCH_GB (default
# 2.1 GB) and a quarter-size one, then measures in the same run
#   - `cat INPUT > /dev/null` (the raw read baseline),
#   - omsi-convert with the default (auto chunking: spectrum-chunked data_0 +
#     image-chunked data_1, gzip 4), with gzip 1, and with plain spectrum chunks
#     and no compression (the streaming path alone),
# and prints MB/s, spectra/s, peak RSS and the ratio to cat for each.
# Peak RSS at both sizes shows memory does not grow with the input.
# Usage: bench/bench_convert.sh [WORKDIR]   (needs ~3x the dataset size free)
set -eu
builddir=${OMSI_BUILDDIR:-.}
work=${1:-${TMPDIR:-/tmp}/omsi-bench-convert}
gb=${OMSI_BENCH_GB:-2.1}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# 16000 int16 bins per spectrum (32 KB); pixels chosen to reach the size.
nz=16000
pixels=$(python3 -c "import math; print(int(math.ceil($gb * 1e9 / ($nz * 2))))")
side=$(python3 -c "import math; print(int(math.ceil(math.sqrt($pixels))))")
quarter=$(( side / 2 ))

now() { python3 -c 'import time; print(time.monotonic())'; }

measure() { # label input spectra bytes args...
    label=$1 input=$2 spectra=$3 bytes=$4
    shift 4
    rm -f "$work/out.h5"
    t0=$(now)
    /usr/bin/time -f '%M' -o "$work/rss" "$builddir/omsi-convert" -q "$@" "$input" "$work/out.h5"
    t1=$(now)
    rss_kb=$(tail -n 1 "$work/rss")
    out_bytes=$(stat -c %s "$work/out.h5")
    python3 - "$label" "$t0" "$t1" "$bytes" "$spectra" "$rss_kb" "$cat_seconds" "$out_bytes" <<'PY'
import sys
label, t0, t1, nbytes, spectra, rss, cat, out = sys.argv[1], *map(float, sys.argv[2:])
s = t1 - t0
print(f"  {label:<34} {s:7.2f} s  {nbytes/s/1e6:8.1f} MB/s  {spectra/s:9.0f} spectra/s  "
      f"peak RSS {rss/1024:6.1f} MB  {cat/s*100:5.1f}% of cat speed  out {out/1e6:8.1f} MB")
PY
}

run_size() { # side
    n=$1
    rm -rf "$work/in"
    "$builddir/omsi-gen" img "$work/in" --stem bench --shape "$n" "$n" "$nz" --dtype int16 >/dev/null
    input="$work/in/bench.img"
    bytes=$(stat -c %s "$input")
    spectra=$((n * n))
    cat "$input" > /dev/null # warm the page cache the same way for every run
    t0=$(now); cat "$work/in/bench.hdr" "$work/in/bench.t2m" "$input" > /dev/null; t1=$(now)
    cat_seconds=$(python3 -c "print($t1 - $t0)")
    echo "input: ${n} x ${n} x ${nz} int16, $(python3 -c "print(round($bytes/1e9, 3))") GB, $spectra spectra"
    python3 -c "print(f'  cat > /dev/null                    {$cat_seconds:7.2f} s  {$bytes/$cat_seconds/1e6:8.1f} MB/s')"
    measure "spectrum chunks, no compression" "$work/in/bench.hdr" "$spectra" "$bytes" \
        --chunking 1 1 "$nz" --no-compression
    measure "spectrum chunks, gzip 1" "$work/in/bench.hdr" "$spectra" "$bytes" --chunking 1 1 "$nz" --compression 1
    measure "default (auto chunking + copy, gzip 4)" "$work/in/bench.hdr" "$spectra" "$bytes"
}

echo "omsi-convert benchmark ($(nproc) cores; page cache warm for cat and convert alike)"
run_size "$quarter"
run_size "$side"
