#!/bin/sh
# End-to-end: declared checksums (issue 16). imzML fixtures declaring the
# .ibd's MD5 or SHA-1, right and wrong (omsi-gen md5/sha1/bad_checksum), and
# the shared indexed mzML (fileChecksum) as it is and with its checksum text
# changed in a temporary copy: `check` (text and JSON) says ok, mismatch or
# absent; the HDF5 metadata and the catalog (query --meta checksum=mismatch)
# record it; --strict-checksums fails the conversion without an output file.
# Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: checksums: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] && [ -x "$CONVERT" ] || fail "programs not built"

md5=$("$GEN" imzml "$work/in" --stem md5 --shape 3 2 10 --variant md5) || fail "omsi-gen md5"
sha=$("$GEN" imzml "$work/in" --stem sha --shape 3 2 10 --variant sha1,processed,zlib) || fail "omsi-gen sha1"
f64=$("$GEN" imzml "$work/in" --stem f64 --shape 3 2 10 --dtype float64 --variant md5,processed) || fail "omsi-gen f64"
bad=$("$GEN" imzml "$work/in" --stem bad --shape 3 2 10 --variant md5,bad_checksum) || fail "omsi-gen bad md5"
badsha=$("$GEN" imzml "$work/in" --stem badsha --shape 3 2 10 --variant sha1,processed,bad_checksum) ||
    fail "omsi-gen bad sha1"
none=$("$GEN" imzml "$work/in" --stem none --shape 3 2 10) || fail "omsi-gen plain"

"$CATALOG_BIN" check --json "$md5" "$sha" "$bad" "$badsha" "$none" "$f64" >"$work/check.json" 2>"$work/check.err" ||
    fail "check --json"
python3 - "$work/check.json" <<'PY' || fail "check --json checksum fields"
import json, sys
paths = json.load(open(sys.argv[1]))["paths"]
got = [p["datasets"][0]["checksum"] for p in paths]
assert got == ["ok", "ok", "mismatch", "mismatch", "absent", "ok"], got
PY
grep -q "bad.ibd: MD5 is .*, but .*bad.imzML declares" "$work/check.err" || fail "no mismatch warning: $(cat "$work/check.err")"

# --stats reads every spectrum first: the verdict comes from those reads
"$CATALOG_BIN" check --stats "$bad" "$md5" >"$work/check.txt" 2>/dev/null || fail "check --stats (text)"
grep -c "^    checksum          mismatch$" "$work/check.txt" | grep -qx 1 || fail "check text: $(cat "$work/check.txt")"
grep -c "^    checksum          ok$" "$work/check.txt" | grep -qx 1 || fail "check text: $(cat "$work/check.txt")"

# strict: a mismatch is a failed conversion and leaves no file
if "$CONVERT" -q --strict-checksums "$bad" "$work/bad.h5" 2>"$work/strict.err"; then
    fail "--strict-checksums converted a wrong MD5"
fi
[ ! -e "$work/bad.h5" ] || fail "--strict-checksums left $work/bad.h5"
grep -q "MD5 is .*--strict-checksums" "$work/strict.err" || fail "strict error: $(cat "$work/strict.err")"
"$CONVERT" -q --strict-checksums "$sha" "$work/sha.h5" || fail "--strict-checksums refused a right SHA-1"
"$CONVERT" -q "$bad" "$work/bad.h5" 2>/dev/null || fail "a mismatch without --strict-checksums is a warning"
if command -v h5dump >/dev/null 2>&1; then
    h5dump -d /entry_0/data_0/metadata/checksum "$work/bad.h5" | grep -qF '"mismatch"' || fail "bad.h5: metadata/checksum"
    h5dump -d /entry_0/data_0/metadata/checksum "$work/sha.h5" | grep -qF '"ok"' || fail "sha.h5: metadata/checksum"
fi

# indexed mzML: the shared file's fileChecksum is right; a copy with one
# digit of it changed is not
real="$OMSI_SHARED/testdata/mzml/tiny.pwiz.1.1.mzML"
if [ -f "$real" ]; then
    sed 's|<fileChecksum>8|<fileChecksum>9|' "$real" >"$work/in/wrong.mzML"
    cmp -s "$real" "$work/in/wrong.mzML" && fail "sed did not change the fileChecksum"
    "$CATALOG_BIN" check --json "$real" "$work/in/wrong.mzML" >"$work/mz.json" 2>/dev/null || fail "check mzML"
    python3 - "$work/mz.json" <<'PY' || fail "mzML checksum fields"
import json, sys
paths = json.load(open(sys.argv[1]))["paths"]
got = [sorted({d["checksum"] for d in p["datasets"]}) for p in paths]
assert got == [["ok"], ["mismatch"]], got
PY
    if "$CONVERT" -q --strict-checksums "$work/in/wrong.mzML" "$work/wrong.h5" 2>/dev/null; then
        fail "--strict-checksums converted a wrong fileChecksum"
    fi
    [ ! -e "$work/wrong.h5" ] || fail "--strict-checksums left $work/wrong.h5"
else
    echo "note: $real absent; the indexed-mzML part is skipped"
fi

# real imzML files declaring an .ibd checksum (pyimzML, MALDIquantForeign
# examples) verify: a real file must report ok
n_real=0
for f in "$OMSI_SHARED"/testdata/imzml/*/*.imzML; do
    [ -f "$f" ] && grep -q 'IMS:100009[01]' "$f" || continue
    n_real=$((n_real + 1))
    "$CATALOG_BIN" check --stats --json "$f" >"$work/real.json" 2>/dev/null || fail "check $f"
    python3 - "$work/real.json" <<'PY' || fail "$f: checksum is not ok"
import json, sys
d = json.load(open(sys.argv[1]))["paths"][0]["datasets"][0]
assert d["checksum"] == "ok", d["checksum"]
PY
done
[ "$n_real" -gt 0 ] || echo "note: no shared imzML with a declared checksum; that part is skipped"

# the catalog finds them
"$CATALOG_BIN" --catalog "$work/cat.sqlite" ingest "$md5" "$bad" --output-dir "$work/out" >/dev/null 2>&1 ||
    fail "ingest"
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --json --meta checksum=mismatch >"$work/q.json" ||
    fail "query --meta checksum=mismatch"
python3 - "$work/q.json" <<'PY' || fail "query --meta checksum=mismatch rows: $(cat "$work/q.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert [r["path"].rsplit("/", 1)[-1] for r in rows] == ["bad.imzML"], rows
PY
exit 0
