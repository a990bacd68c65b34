#!/bin/sh
# End-to-end: two `omsi-catalog ingest` of the same dataset at once, on a
# fresh catalog each trial (so they also race on creating the schema). Both
# must succeed, the catalog must hold exactly one current source for the
# dataset, its recorded output must exist with its recorded checksum
# (`verify` clean), and no other file may be left in the output folder: the
# loser removes only what it wrote itself. Even trials start from an existing
# catalog, so that the race on the output file is tested on its own.
# Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: ingest_race: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] || fail "omsi-catalog / omsi-gen not built"

"$GEN" imzml "$work/drop" --stem race --shape 24 24 400 --seed 5 >/dev/null || fail "omsi-gen imzml"
"$GEN" img "$work/other" --stem other --shape 2 2 5 --seed 1 >/dev/null || fail "omsi-gen img"
trials=${OMSI_RACE_TRIALS:-6}
t=1
while [ "$t" -le "$trials" ]; do
    cat_file=$work/cat$t.sqlite
    out=$work/out$t
    mkdir -p "$out"
    if [ $((t % 2)) -eq 0 ]; then
        "$CATALOG_BIN" -q --catalog "$cat_file" ingest "$work/other/other.hdr" --output-dir "$work/other_out" \
            >/dev/null || fail "trial $t: creating the catalog"
    fi
    "$CATALOG_BIN" -q --catalog "$cat_file" ingest "$work/drop/race.imzML" --output-dir "$out" \
        >"$work/a$t.log" 2>&1 &
    pa=$!
    "$CATALOG_BIN" -q --catalog "$cat_file" ingest "$work/drop/race.imzML" --output-dir "$out" \
        >"$work/b$t.log" 2>&1 &
    pb=$!
    wait "$pa"; ra=$?
    wait "$pb"; rb=$?
    [ "$ra" -eq 0 ] || fail "trial $t: first ingest exited $ra: $(cat "$work/a$t.log")"
    [ "$rb" -eq 0 ] || fail "trial $t: second ingest exited $rb: $(cat "$work/b$t.log")"
    "$CATALOG_BIN" --catalog "$cat_file" query --json >"$work/q$t.json" || fail "trial $t: query"
    python3 - "$work/q$t.json" "$out" <<'PY' || fail "trial $t: catalog state (see above)"
import json, os, sys
rows = json.load(open(sys.argv[1]))["rows"]
sources = {r["source_id"] for r in rows if r["path"].endswith("/race.imzML")}
assert len(sources) == 1, "current sources: %r" % rows
outputs = {r["output"] for r in rows if r["path"].endswith("/race.imzML")}
assert len(outputs) == 1, outputs
output = outputs.pop()
assert os.path.isfile(output), "recorded output %s is missing" % output
left = sorted(os.listdir(sys.argv[2]))
assert left == [os.path.basename(output)], "output folder holds %r, catalog %s" % (left, output)
PY
    "$CATALOG_BIN" --catalog "$cat_file" verify >"$work/v$t.txt" 2>&1 ||
        fail "trial $t: verify not clean: $(cat "$work/v$t.txt")"
    t=$((t + 1))
done
echo "ingest_race: $trials trials, one source and one intact output each"
