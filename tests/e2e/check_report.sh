#!/bin/sh
# End-to-end: the honest parts of `omsi-catalog check` (text and --json):
# whether a file is imaging, pixel_count (grid cells) beside n_spectra
# (spectra stored) on a sparse grid, and the empty spectra an mzML reader
# skips, counted and named in the report, in the HDF5 metadata and in the
# catalog (query --meta skipped_spectra=3). Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: check_report: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] || fail "omsi-catalog / omsi-gen not built"

empty=$("$GEN" mzml "$work/in" --stem empty --shape 3 2 10 --variant empty=3) || fail "omsi-gen mzml empty=3"
flat=$("$GEN" mzml "$work/in" --stem flat --shape 3 2 10 --variant coords=none) || fail "omsi-gen mzml coords=none"
sparse=$("$GEN" imzml "$work/in" --stem sparse --shape 4 3 10 --variant missing=4) || fail "omsi-gen imzml missing=4"
targets=$("$GEN" brukerflex "$work/in" --stem targets --shape 2 2 10 --variant targets) || fail "omsi-gen brukerflex"

"$CATALOG_BIN" check --json "$empty" "$flat" "$sparse" "$targets" >"$work/check.json" || fail "check --json"
python3 - "$work/check.json" <<'PY' || fail "check --json fields"
import json, sys
paths = json.load(open(sys.argv[1]))["paths"]
want = [  # imaging, n_spectra, pixel_count, n_skipped, skipped ids
    (True, 6, 6, 3, "empty=0, empty=1, empty=2"),
    (False, 6, 6, 0, None),
    (True, 9, 12, 0, None),
    (False, 4, 4, 0, None),
]
for p, (imaging, spectra, pixels, skipped, ids) in zip(paths, want):
    d = p["datasets"][0]
    got = (p["imaging"], d["imaging"], d["n_spectra"], d["pixel_count"], d["n_skipped"], d["skipped_spectra"])
    assert got == (imaging, imaging, spectra, pixels, skipped, ids), (p["path"], got)
PY

"$CATALOG_BIN" check "$empty" "$flat" "$sparse" >"$work/check.txt" || fail "check (text)"
for want in "imaging             yes (pixels are sample positions)" \
    "imaging             no (spectra are not grid positions: one row, one pixel per spectrum)" \
    "skipped           3 empty spectra (zero points): empty=0, empty=1, empty=2" \
    "spectra           9 stored in 12 pixels (grid cells)"; do
    grep -qF "$want" "$work/check.txt" || { cat "$work/check.txt"; fail "check text lacks '$want'"; }
done

# The same count in the converted file and the catalog.
"$CATALOG_BIN" --catalog "$work/cat.sqlite" ingest "$empty" "$flat" --output-dir "$work/out" >/dev/null ||
    fail "ingest"
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --json --meta skipped_spectra=3 >"$work/q.json" ||
    fail "query --meta skipped_spectra=3"
python3 - "$work/q.json" <<'PY' || fail "query --meta skipped_spectra=3 rows"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert [r["path"].rsplit("/", 1)[-1] for r in rows] == ["empty.mzML"], rows
PY
out=$(python3 - "$work/q.json" <<'PY'
import json, sys
print(json.load(open(sys.argv[1]))["rows"][0]["output"])
PY
)
if command -v h5dump >/dev/null 2>&1; then
    h5dump -d /entry_0/data_0/metadata/skipped_spectrum_ids "$out" | grep -qF '"empty=0, empty=1, empty=2"' ||
        fail "$out: metadata/skipped_spectrum_ids"
fi
echo "ok: check_report"
