#!/bin/sh
# omsi-catalog image and spectrum on an ingested generated dataset whose
# content is known in closed form: (31x + 17y + 7k + 13) mod 251 at bin k,
# m/z 100 + 0.5k. Checks CSV values exactly, the PNG's pixels (decoded by
# libpng), JSON, and the errors (no such source, m/z outside the axis, pixel
# outside the grid, unwritable output: exit 1, no partial file). Where
# python3-h5py is installed, the values are also compared with h5py's
# reading of the converted file (an independent reader).
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
PIXELS=$builddir/tests/png_pixels
cat_=$work/c.sqlite
run() { "$CATALOG_BIN" --catalog "$cat_" "$@"; }

"$GEN" img "$work/in" --stem v --shape 12 9 300 --dtype int16 >/dev/null || fail "omsi-gen"
run -q ingest "$work/in/v.hdr" --output-dir "$work/out" >/dev/null || fail "ingest"
h5=$(ls "$work"/out/*.h5)

# Image of bin 10 (m/z 105): value = (31x + 17y + 70 + 13) mod 251.
run image 1 --mz 105 --csv -o "$work/ion.csv" 2>/dev/null || fail "image --csv"
[ "$(head -1 "$work/ion.csv")" = "x,y,intensity" ] || fail "CSV header: $(head -1 "$work/ion.csv")"
bad=$(awk -F, 'NR > 1 { want = (31 * $1 + 17 * $2 + 83) % 251; if ($3 != want) print }' "$work/ion.csv" | head -3)
[ -z "$bad" ] || fail "ion image values differ from the formula: $bad"
[ "$(wc -l < "$work/ion.csv")" -eq 109 ] || fail "CSV rows: $(wc -l < "$work/ion.csv")"

# --width 1.1 around m/z 105: bins 9, 10, 11 summed.
run image 1 --mz 105 --width 1.1 --csv -o "$work/w.csv" 2>/dev/null || fail "image --width"
bad=$(awk -F, 'NR > 1 { s = 0; for (k = 9; k <= 11; k++) s += (31 * $1 + 17 * $2 + 7 * k + 13) % 251; if ($3 != s) print }' "$work/w.csv" | head -3)
[ -z "$bad" ] || fail "windowed image differs: $bad"

# The PNG in gray, zoom 3: pixel (c, r) is round(v(x = c/3, y = r/3) / max * 255).
run -v image 1 --mz 105 --colormap gray --zoom 3 -o "$work/ion.png" 2> "$work/img.err" || fail "image PNG"
grep -q 'read from /entry_0/data_0/data_1' "$work/img.err" || fail "-v does not name the image-chunked copy: $(cat "$work/img.err")"
"$PIXELS" "$work/ion.png" > "$work/ion.px" || fail "PNG does not decode"
[ "$(head -1 "$work/ion.px")" = "36 27" ] || fail "PNG size $(head -1 "$work/ion.px"), expected 36 27"
max=$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m }' "$work/ion.csv")
bad=$(awk -v max="$max" 'NR > 1 { x = int($1 / 3); y = int($2 / 3); v = (31 * x + 17 * y + 83) % 251;
    want = int(v / max * 255 + 0.5); if ($3 != want || $4 != want || $5 != want) print }' "$work/ion.px" | head -3)
[ -z "$bad" ] || fail "PNG pixels differ from the values: $bad"
ls -a "$work" | grep -q partial && fail "a partial file was left"

# Default name without -o, said on stderr.
(cd "$work" && "$CATALOG_BIN" --catalog "$cat_" image 1 --tic 2> tic.err) || fail "image --tic"
[ -s "$work/omsi-1-0-tic.png" ] || fail "no default-named TIC image: $(ls "$work")"
grep -q 'wrote omsi-1-0-tic.png (12x9, TIC' "$work/tic.err" || fail "TIC not reported: $(cat "$work/tic.err")"

# Spectrum at (11, 8): CSV m/z and values exact.
run spectrum 1 --x 11 --y 8 > "$work/s.csv" || fail "spectrum"
bad=$(awk -F, 'NR > 1 { k = NR - 2; if ($1 != 100 + 0.5 * k || $2 != (31 * 11 + 17 * 8 + 7 * k + 13) % 251) print }' "$work/s.csv" | head -3)
[ -z "$bad" ] || fail "spectrum values differ: $bad"
[ "$(wc -l < "$work/s.csv")" -eq 301 ] || fail "spectrum rows"
run spectrum 1 --x 0 --y 0 --mz-range 110 111 --json > "$work/s.json" || fail "spectrum --json"
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
assert j["schema_version"] == 1 and j["spectrum"] == "pixel" and j["x"] == 0 and j["y"] == 0, j
assert j["mz"] == [110.0, 110.5, 111.0], j["mz"]
assert j["intensity"] == [(7 * k + 13) % 251 for k in (20, 21, 22)], j["intensity"]' "$work/s.json" || fail "spectrum JSON"
run spectrum 1 --max -o "$work/max.png" || fail "spectrum --max PNG"
[ "$(head -1 "$work/max.png" | cut -c2-4)" = PNG ] || fail "max.png is not a PNG"
"$PIXELS" "$work/max.png" | head -1 | grep -qx '1000 500' || fail "plot size"

# Errors: exit 1 with the reason, nothing left behind.
out=$(run image 99 --tic -o "$work/e1.png" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "missing source: exit $rc"
echo "$out" | grep -q "no source 99" || fail "missing source message: $out"
out=$(run image 1 --mz 5000 -o "$work/e2.png" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "m/z outside: exit $rc"
echo "$out" | grep -q "m/z 5000 is outside the m/z axis of source 1 dataset 0 (100..249.5)" || fail "m/z message: $out"
out=$(run spectrum 1 --x 12 --y 0 2>&1); rc=$?
[ "$rc" = 1 ] || fail "pixel outside: exit $rc"
echo "$out" | grep -q "pixel (12, 0) is outside the 12 x 9 grid" || fail "pixel message: $out"
out=$(run image 1 --tic -o "$work/nodir/x.png" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "unwritable output: exit $rc"
echo "$out" | grep -q "$work/nodir/x.png" || fail "unwritable message does not name the file: $out"
out=$(run image 1 --dataset 3 --tic -o "$work/e3.png" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "--dataset 3: exit $rc"
echo "$out" | grep -q "source 1 has 1 dataset (--dataset 0..0), not 3" || fail "dataset message: $out"
run image 1 --mz 105 --tic >/dev/null 2>&1; [ $? = 2 ] || fail "--mz with --tic is not a usage error"
run image 1 --colormap jet --tic >/dev/null 2>&1; [ $? = 2 ] || fail "unknown colour map is not a usage error"
run spectrum 1 --x 1 >/dev/null 2>&1; [ $? = 2 ] || fail "--x without --y is not a usage error"
for f in e1.png e2.png e3.png; do [ -e "$work/$f" ] && fail "$f was written"; done
ls -a "$work" | grep -q partial && fail "a partial file was left"

# The TIC image comes from the summaries stored at conversion and equals the
# sum over every bin.
run -v image 1 --tic --csv -o "$work/tic.csv" 2> "$work/tic.err" || fail "image --tic --csv"
grep -q 'read from /entry_0/analysis_0/tic_image' "$work/tic.err" || fail "TIC not from the summary: $(cat "$work/tic.err")"
bad=$(awk -F, 'NR > 1 { s = 0; for (k = 0; k < 300; k++) s += (31 * $1 + 17 * $2 + 7 * k + 13) % 251; if ($3 != s) print }' "$work/tic.csv" | head -3)
[ -z "$bad" ] || fail "TIC values differ: $bad"

# Peaks: a realistic dataset (known Gaussian peaks) is found by the ion it
# holds, not by m/z where it has none; --min-coverage/--min-intensity filter.
"$GEN" img "$work/in2" --stem r --shape 30 24 1300 --dtype int16 --content realistic >/dev/null || fail "omsi-gen realistic"
run -q ingest "$work/in2/r.hdr" --output-dir "$work/out" >/dev/null || fail "ingest realistic"
run query --peak 1 --limit 0 --json > "$work/nopeak.json" || fail "query --peak"
python3 - "$work" "$CATALOG_BIN" "$cat_" <<'PY' || fail "query --peak"
import json, subprocess, sys
work, cli, cat = sys.argv[1:4]
def q(*args):
    out = subprocess.run([cli, "--catalog", cat, "query", "--limit", "0", "--json"] + list(args),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["rows"]
show = json.loads(subprocess.run([cli, "--catalog", cat, "show", "2", "--json"], check=True,
                                 capture_output=True, text=True).stdout)
d = show["experiments"][0]["datasets"][0]
assert d["n_peaks"] > 5 and d["analysis_path"] == "/entry_0/analysis_0", d
strongest = d["strongest_peaks"][0]
assert d["thumbnail"][0]["width"] <= 256 and d["thumbnail"][0]["height"] <= 256, d["thumbnail"]
rows = q("--peak", "%.4f" % strongest["mz"], "--ppm", "5")
assert [r["source_id"] for r in rows] == [2], rows
p = rows[0]["peak"]
assert abs(p["mz"] - strongest["mz"]) < 1e-9 and p["intensity"] == strongest["intensity"], (p, strongest)
assert 0 <= p["coverage"] <= 1
assert q("--peak", "%.4f" % strongest["mz"], "--min-intensity", "%.6f" % (strongest["intensity"] * 2)) == []
import math
assert q("--peak", "%.4f" % strongest["mz"], "--min-coverage", "%.6f" % (math.floor(p["coverage"] * 1e6) / 1e6)) == rows
partial = [k for k in d["strongest_peaks"] if k["coverage"] < 0.99]
if partial:  # a peak present in only part of the image: a higher threshold drops it
    k = partial[0]
    assert len(q("--peak", "%.4f" % k["mz"], "--ppm", "5", "--min-coverage", "%.6f" % (k["coverage"] + 0.005))) == 0
    assert len(q("--peak", "%.4f" % k["mz"], "--ppm", "5", "--min-coverage", "%.6f" % (k["coverage"] - 0.005))) == 1
assert q("--peak", "5000") == [] and q("--peak", "1") == []
# the closed-content dataset 1 has no peak near the strongest realistic one
assert all(r["source_id"] != 1 for r in rows)
PY
run thumbnail 2 -o "$work/thumb.png" || fail "thumbnail"
"$PIXELS" "$work/thumb.png" | head -1 | grep -qx '240 192' || fail "thumbnail size: $("$PIXELS" "$work/thumb.png" | head -1)"
out=$(run thumbnail 2 --dataset 1 -o "$work/t2.png" 2>&1); [ $? = 1 ] || fail "thumbnail of a missing dataset"
[ -e "$work/t2.png" ] && fail "t2.png written"
run query --min-coverage 0.5 >/dev/null 2>&1; [ $? = 2 ] || fail "--min-coverage without --peak is not a usage error"

# An independent reader: h5py's values of data_0 / data_1.
py=""
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py, numpy' 2>/dev/null && { py=$p; break; }
done
if [ -n "$py" ]; then
    "$py" - "$h5" "$work/w.csv" "$work/s.csv" <<'PY' || fail "h5py disagrees"
import csv, sys, h5py, numpy
f = h5py.File(sys.argv[1], "r")
d = f["/entry_0/data_0"]
cube = d["data_1"][:, :, 9:12].astype(numpy.float64).sum(axis=2)
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == cube.size
for r in rows:
    assert float(r["intensity"]) == cube[int(r["x"]), int(r["y"])], r
spec = list(csv.DictReader(open(sys.argv[3])))
want = d["data_0"][11, 8, :]
mz = d["mz"][:]
assert [float(r["intensity"]) for r in spec] == [float(v) for v in want]
assert [float(r["mz"]) for r in spec] == [float(v) for v in mz]
PY
else
    echo "note: h5py cross-check skipped (no python3 with h5py: install python3-h5py)"
fi
echo "view_cli: image and spectrum values, PNG pixels and errors as expected"
