#!/bin/sh
# End-to-end: `omsi-catalog verify [--repair] [--json]` against a catalog
# whose output files are deleted or damaged; re-ingest of the unchanged
# source restores them; query/show/stats on a read-only catalog.
# Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: verify: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] || fail "omsi-catalog / omsi-gen not built"

cat_file=$work/cat.sqlite
cli() { "$CATALOG_BIN" --catalog "$cat_file" "$@"; }
json_get() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$@"; }

"$GEN" img "$work/drop" --stem v --shape 4 3 20 --seed 2 >/dev/null || fail "omsi-gen img"
src=$work/drop/v.hdr
cli ingest "$src" --output-dir "$work/out" --json >"$work/i1.json" || fail "first ingest"
out=$(json_get results 0 output <"$work/i1.json") || fail "ingest --json has no output"
[ -f "$out" ] || fail "output $out not written"
cli verify >"$work/v0.txt" || fail "verify of a sound catalog: $(cat "$work/v0.txt")"
grep -q "1 output file(s) checked, 0 problem(s)" "$work/v0.txt" || fail "verify summary: $(cat "$work/v0.txt")"

# ---- a deleted output: reported, exit 1, --json names both paths ----
rm -f "$out"
cli verify >"$work/v1.txt"; rc=$?
[ "$rc" -eq 1 ] || fail "verify with a missing output exited $rc"
grep -q "^missing .*$out" "$work/v1.txt" || fail "verify text: $(cat "$work/v1.txt")"
cli verify --json >"$work/v1.json"; rc=$?
[ "$rc" -eq 1 ] || fail "verify --json with a missing output exited $rc"
python3 - "$work/v1.json" "$out" "$(cd "$work/drop" && pwd -P)/v.hdr" <<'PY' || fail "verify --json: $(cat "$work/v1.json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["checked"] == 1 and v["repaired"] is False, v
[p] = v["problems"]
assert p["output"] == sys.argv[2] and p["problem"] == "missing", p
assert p["path"] == sys.argv[3] and p["source_id"] == 1 and p["current"] is True, p
PY

# ---- re-ingest of the unchanged source converts it again ----
cli ingest "$src" --output-dir "$work/out" --json >"$work/i2.json" || fail "re-ingest"
[ "$(json_get results 0 outcome <"$work/i2.json")" = restored ] || fail "re-ingest: $(cat "$work/i2.json")"
[ "$(json_get results 0 source_id <"$work/i2.json")" = 1 ] || fail "restored as another source"
out2=$(json_get results 0 output <"$work/i2.json")
[ -f "$out2" ] || fail "restored output $out2 missing"
cli verify >/dev/null || fail "verify after restore"
[ "$(count_sources "$cat_file" /v.hdr)" = 1 ] || fail "restore made a second source"

# ---- one damaged byte: checksum mismatch; --repair queues the source ----
python3 - "$out2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(2000); b = f.read(1); f.seek(2000); f.write(bytes([b[0] ^ 0xff]))
PY
cli verify >"$work/v2.txt"; rc=$?
[ "$rc" -eq 1 ] || fail "verify with a damaged output exited $rc"
grep -q "^checksum mismatch .*$out2" "$work/v2.txt" || fail "verify text: $(cat "$work/v2.txt")"
[ "$(cli query --state pending --json | json_get rows | wc -c)" -le 3 ] || fail "a pending job before --repair"
cli verify --repair --json >"$work/v3.json"; rc=$?
[ "$rc" -eq 1 ] || fail "verify --repair exited $rc"
job=$(json_get problems 0 job_id <"$work/v3.json") || fail "verify --repair: no job_id: $(cat "$work/v3.json")"
cli query --state pending --json >"$work/jobs.json" || fail "query --state pending"
python3 - "$work/jobs.json" "$job" <<'PY' || fail "pending job: $(cat "$work/jobs.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert [r["job_id"] for r in rows] == [int(sys.argv[2])], rows
assert rows[0]["path"].endswith("/v.hdr"), rows
PY
cli ingest "$src" --output-dir "$work/out" --json >"$work/i3.json" || fail "ingest after repair"
[ "$(json_get results 0 outcome <"$work/i3.json")" = restored ] || fail "ingest after repair: $(cat "$work/i3.json")"
cli verify >"$work/v4.txt" || fail "verify after repair and re-ingest: $(cat "$work/v4.txt")"
cli ingest "$src" --output-dir "$work/out" --json >"$work/i4.json" || fail "ingest again"
[ "$(json_get results 0 outcome <"$work/i4.json")" = unchanged ] || fail "third ingest: $(cat "$work/i4.json")"

cli verify --bogus >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "verify --bogus exited $rc, not 2"
echo "verify: missing and damaged outputs reported, repaired and restored"
