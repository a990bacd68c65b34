#!/bin/sh
# omsi-watchd --serve: the web view runs in the daemon on its own threads.
# Requests are answered while the daemon forks workers and converts (the
# fork guard keeps request threads out of HDF5 and SQLite at each fork),
# the API sees what the workers catalog, SIGTERM stops both; a non-loopback
# address without a token is refused; --check-config says where it serves.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 77; }
# Not under AddressSanitizer: GCC 12's libasan takes no allocator lock around
# fork(), so a worker forked while a libmicrohttpd thread allocates (at its
# start too, not only in requests) can deadlock inside ASan's own malloc
# (seen twice in CI: the worker stuck in SizeClassAllocator64::GetFromAllocator).
# glibc's malloc is fork-safe; the plain build runs this test.
if grep -q -a 'libasan\.so' "$WATCHD" 2>/dev/null; then
    echo "SKIP: $WATCHD is built with AddressSanitizer, whose allocator is not fork-safe while other threads run"
    exit 77
fi

mkdir -p "$work/drop" "$work/out"
"$GEN" img "$work/drop" --stem a --shape 12 9 300 --dtype int16 >/dev/null || fail "omsi-gen"
"$WATCHD" --watch "$work/drop" --output-dir "$work/out" --catalog "$work/cat.sqlite" --settle 0.5 --workers 2 \
    --serve 127.0.0.1:0 2> "$work/watchd.log" &
daemon=$!
bg_pids="$daemon"
i=0
until grep -q 'serving the catalog on http://127.0.0.1:[0-9]*/' "$work/watchd.log" || [ "$i" -ge 100 ]; do
    sleep 0.1; i=$((i + 1))
done
base=$(sed -n 's|.*serving the catalog on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$work/watchd.log" | head -1)
[ -n "$base" ] || fail "the daemon did not say where it serves: $(cat "$work/watchd.log")"
wait_sources "$work/cat.sqlite" 1 30 || fail "a.hdr not cataloged: $(cat "$work/watchd.log")"

# More datasets arrive (workers fork, classifiers fork) while requests run.
for n in 1 2 3 4; do "$GEN" img "$work/drop" --stem "b$n" --shape 6 5 100 --dtype int16 >/dev/null; done
j=0
while [ "$j" -lt 40 ]; do
    curl -sf --max-time 30 -o /dev/null "$base/api/datasets/1/image.png?mz=105" || fail "image.png during ingest (request $j)"
    curl -sf --max-time 30 -o /dev/null "$base/api/datasets?limit=10" || fail "datasets during ingest"
    j=$((j + 1))
done
wait_sources "$work/cat.sqlite" 5 60 || fail "b1..b4 not cataloged: $(tail -n 20 "$work/watchd.log")"
curl -sf --max-time 30 -o /dev/null "$base/api/datasets/1/image.png?mz=105" || fail "image.png after ingest"
curl -sf "$base/api/datasets" > "$work/q.json" || fail "GET /api/datasets"
"$CATALOG_BIN" --catalog "$work/cat.sqlite" query --json > "$work/q.cli"
python3 -c 'import json,sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a == b and len(a["rows"]) == 5, (len(a["rows"]), len(b["rows"]))' "$work/q.json" "$work/q.cli" ||
    fail "the daemon's /api/datasets differs from query --json"
grep -q 'GET /api/datasets/1/image.png 200' "$work/watchd.log" || fail "no request log line"
kill -TERM "$daemon"
wait "$daemon" || fail "SIGTERM: exit status $?"

# A non-loopback address needs a token.
"$WATCHD" --watch "$work/drop" --output-dir "$work/out" --catalog "$work/cat.sqlite" --serve 0.0.0.0:0 \
    2> "$work/err" && fail "0.0.0.0 without a token was taken"
grep -q 'serve_token_file' "$work/err" || fail "refusal message: $(cat "$work/err")"
"$WATCHD" --watch "$work/drop" --output-dir "$work/out" --serve nowhere:80 2> "$work/err" && fail "a bad serve was taken"
grep -q "nowhere:80" "$work/err" || fail "bad serve message: $(cat "$work/err")"

# --check-config: where it will serve, and the token file's problems.
printf 'watch = %s\noutput_dir = %s\ncatalog = %s\nserve = 127.0.0.1:8642\n' "$work/drop" "$work/out" \
    "$work/cat.sqlite" > "$work/ok.conf"
"$WATCHD" --check-config "$work/ok.conf" 2> "$work/check.out" || fail "check-config: $(cat "$work/check.out")"
grep -q 'serve: the web view on http://127.0.0.1:8642/' "$work/check.out" || fail "check-config: $(cat "$work/check.out")"
printf 'serve = 0.0.0.0:8642\nserve_token_file = %s\n' "$work/missing-token" >> "$work/ok.conf"
"$WATCHD" --check-config "$work/ok.conf" 2> "$work/check.out" && fail "check-config took a missing token file"
grep -q "missing-token" "$work/check.out" || fail "check-config token message: $(cat "$work/check.out")"
echo "watchd_serve: the daemon serves while it converts; refusals as expected"
