#!/bin/sh
# omsi-watchd end to end: datasets copied in slowly (growing files) are each
# cataloged exactly once, never half-written; sources stay byte-identical;
# SIGTERM exits 0; a broken dataset ends quarantined with its error.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 77; }

mkdir -p "$work/drop/sub" "$work/stage"
"$GEN" img "$work/drop" --stem fast --shape 5 4 30 --dtype int16 >/dev/null || fail "omsi-gen"
"$GEN" img "$work/drop/sub" --stem deep --shape 6 3 40 --dtype float32 >/dev/null || fail "omsi-gen"
"$GEN" img "$work/stage" --stem slow --shape 20 10 500 --dtype int32 >/dev/null || fail "omsi-gen"
"$GEN" img "$work/stage" --stem bad --shape 3 3 10 --variant long >/dev/null || fail "omsi-gen"

"$WATCHD" --watch "$work/drop" --output-dir "$work/out" --catalog "$work/cat.sqlite" \
    --settle 1 --workers 2 --max-attempts 2 --backoff 0.2 -v 2>"$work/watchd.log" &
daemon=$!
bg_pids="$daemon"
wait_sources "$work/cat.sqlite" 2 30 || { cat "$work/watchd.log"; fail "the two complete datasets were not cataloged"; }

# Copy "slow" in pieces: header, axis, then the intensities in two halves
# with pauses shorter than the settle time in between.
cp "$work/stage/slow.hdr" "$work/stage/slow.t2m" "$work/drop/"
size=$(stat -c %s "$work/stage/slow.img")
head -c $((size / 2)) "$work/stage/slow.img" > "$work/drop/slow.img"
sleep 0.6
[ "$(count_sources "$work/cat.sqlite" slow.hdr)" = 0 ] || fail "half-written slow.img was ingested"
tail -c +$((size / 2 + 1)) "$work/stage/slow.img" >> "$work/drop/slow.img"
cp "$work/stage/bad.hdr" "$work/stage/bad.t2m" "$work/stage/bad.img" "$work/drop/"
before=$(tree_hash "$work/drop")
wait_sources "$work/cat.sqlite" 3 30 || { cat "$work/watchd.log"; fail "slow dataset not cataloged"; }

# The broken one: retried, then quarantined with the reader's message.
i=0
while [ $i -lt 100 ]; do
    "$CATALOG_BIN" --catalog "$work/cat.sqlite" query --state quarantined --csv | grep -q 'bad.hdr' && break
    sleep 0.2; i=$((i + 1))
done
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --state quarantined --csv | grep 'bad.hdr' | grep -q 'bytes' ||
    { cat "$work/watchd.log"; fail "bad.hdr not quarantined with a size message"; }

kill -TERM "$daemon"
wait "$daemon"; status=$?
bg_pids=""
[ "$status" = 0 ] || fail "SIGTERM exit status $status"

for name in fast.hdr deep.hdr slow.hdr; do
    [ "$(count_sources "$work/cat.sqlite" "$name")" = 1 ] || fail "$name not cataloged exactly once"
done
[ "$(ls "$work/out" | grep -c '\.h5$')" = 3 ] || fail "expected 3 .h5 files: $(ls -a "$work/out")"
ls -a "$work/out" | grep -q partial && fail "partial file left: $(ls -a "$work/out")"
[ "$(tree_hash "$work/drop")" = "$before" ] || fail "sources changed"
# The slow dataset's cube is complete: spectra and total match the generator.
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --json --text slow | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin)["rows"] if x["path"].endswith("slow.hdr")][0]
assert r["shape"]==[20,10,500], r
assert r["n_spectra"]==200, r
total=sum((x*31+y*17+k*7+13)%251 for x in range(20) for y in range(10) for k in range(500))
assert r["total_intensity"]==total, (r["total_intensity"], total)
' || fail "slow dataset content"
echo "ok: 3 datasets cataloged once each, broken one quarantined, sources untouched, clean SIGTERM"
