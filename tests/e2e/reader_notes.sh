#!/bin/sh
# End-to-end (issue 16, honest reports): `--axis ppm:N` on continuous imzML
# says it has nothing to do (and the axis stays the shared m/z array); a
# ppm axis is stored as float64 lower edges; imzML spectra with zero points
# are skipped, counted and named in `check` and in the catalog
# (query --meta skipped_spectra=2), as mzML's are.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: reader_notes: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] && [ -x "$CONVERT" ] || fail "programs not built"

cont=$("$GEN" imzml "$work/in" --stem cont --shape 3 2 10) || fail "omsi-gen continuous"
"$CONVERT" --axis ppm:10 "$cont" "$work/cont.h5" 2>"$work/cont.err" >/dev/null || fail "convert continuous"
grep -q "cont.imzML: continuous: every spectrum shares one m/z array, so --axis ppm:10 has nothing to do" \
    "$work/cont.err" || fail "no note: $(cat "$work/cont.err")"

proc=$("$GEN" imzml "$work/in" --stem proc --shape 3 2 10 --variant processed,gaps,mz32) || fail "omsi-gen processed"
"$CONVERT" -q --axis ppm:20000 "$proc" "$work/proc.h5" || fail "convert --axis ppm"
if command -v h5dump >/dev/null 2>&1; then
    h5dump -H -d /entry_0/data_0/mz "$work/proc.h5" | grep -q "H5T_IEEE_F64LE" || fail "ppm axis is not float64"
fi

empty=$("$GEN" imzml "$work/in" --stem empty --shape 3 4 10 --variant processed,empty=2) || fail "omsi-gen empty=2"
"$CATALOG_BIN" check "$empty" >"$work/check.txt" || fail "check"
grep -qF "skipped           2 empty spectra (zero points): 10 (3, 3), 11 (3, 4)" "$work/check.txt" ||
    fail "check text: $(cat "$work/check.txt")"
grep -qF "spectra           10 stored in 12 pixels (grid cells)" "$work/check.txt" || fail "check text: spectra"
"$CATALOG_BIN" --catalog "$work/cat.sqlite" ingest "$empty" "$cont" --output-dir "$work/out" >/dev/null 2>&1 ||
    fail "ingest"
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --json --meta skipped_spectra=2 >"$work/q.json" ||
    fail "query --meta skipped_spectra=2"
python3 - "$work/q.json" <<'PY' || fail "query rows: $(cat "$work/q.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert [r["path"].rsplit("/", 1)[-1] for r in rows] == ["empty.imzML"], rows
PY
exit 0
