#!/bin/sh
# omsi-catalog serve with a real HTTP client (curl) against a server on a
# free loopback port, over a catalog of generated data whose content is
# known in closed form ((31x + 17y + 7k + 13) mod 251 at bin k, m/z
# 100 + 0.5k): every endpoint's JSON equals the CLI's for the same catalog,
# PNG pixels decoded, bad parameters (400), unknown IDs (404), path tricks,
# methods, the token, the non-loopback refusal, the rate limit, SIGTERM.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
. "$srcdir/tests/e2e/serve_lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
PIXELS=$builddir/tests/png_pixels
cat_=$work/c.sqlite
run() { "$CATALOG_BIN" --catalog "$cat_" "$@"; }
# Two JSON documents (files) are equal as values.
same_json() { python3 -c 'import json,sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)' "$1" "$2"; }
# The HTTP status of a GET (extra curl options after the URL).
status() { url=$1; shift; curl -s -o "$work/body" -w '%{http_code}' "$@" "$url"; }

"$GEN" img "$work/in" --stem v --shape 12 9 300 --dtype int16 >/dev/null || fail "omsi-gen img"
"$GEN" imzml "$work/in2" --stem w --shape 5 4 80 --dtype float32 >/dev/null || fail "omsi-gen imzml"
run -q ingest "$work/in/v.hdr" "$work/in2/w.imzML" --output-dir "$work/out" >/dev/null || fail "ingest"

start_server "$work/serve.log" || fail "server did not start: $(cat "$work/serve.log")"
grep -q "listening on http://127.0.0.1:$port/" "$work/serve.log" || fail "address not reported: $(cat "$work/serve.log")"

# /api/datasets: the rows of `query --json`, filters as parameters.
curl -sf "$base/api/datasets" > "$work/q.json" || fail "GET /api/datasets"
run query --json > "$work/q.cli" || fail "query --json"
same_json "$work/q.json" "$work/q.cli" || fail "/api/datasets differs from query --json"
python3 -c 'import json,sys; j = json.load(open(sys.argv[1])); assert len(j["rows"]) == 2 and j["truncated"] is False, j' \
    "$work/q.json" || fail "two rows expected"
curl -sf "$base/api/datasets?format=imzml&min_pixels=20&sort=-name" > "$work/q.json" || fail "GET filtered"
run query --format imzml --min-pixels 20 --sort=-name --json > "$work/q.cli"
same_json "$work/q.json" "$work/q.cli" || fail "filtered /api/datasets differs: $(cat "$work/q.json")"
grep -q '"format":"imzml"' "$work/q.json" || fail "no imzml row: $(cat "$work/q.json")"
grep -q '"format":"img"' "$work/q.json" && fail "img row with format=imzml"
curl -sf "$base/api/datasets?limit=1&offset=1" > "$work/q.json" || fail "GET page"
run query --limit 1 --offset 1 --json > "$work/q.cli"
same_json "$work/q.json" "$work/q.cli" || fail "page 2 differs"
grep -q '"truncated":false' "$work/q.json" || fail "last page truncated: $(cat "$work/q.json")"
curl -sf "$base/api/datasets?limit=1" | grep -q '"truncated":true' || fail "first page of 1 is not truncated"
curl -sf "$base/api/datasets?count=1&format=img" | grep -q '"count":1' || fail "count"

# /api/datasets/ID and /api/stats: show --json and stats --json.
curl -sf "$base/api/datasets/1" > "$work/s.json" || fail "GET /api/datasets/1"
run show 1 --json > "$work/s.cli"
same_json "$work/s.json" "$work/s.cli" || fail "/api/datasets/1 differs from show --json"
curl -sf "$base/api/stats" > "$work/st.json" || fail "GET /api/stats"
run stats --json > "$work/st.cli"
same_json "$work/st.json" "$work/st.cli" || fail "/api/stats differs from stats --json"

# image.png: bin 10 (m/z 105) in gray; pixel (x, y) = round(v / max * 255).
[ "$(status "$base/api/datasets/1/image.png?mz=105&colormap=gray")" = 200 ] || fail "image.png: $(cat "$work/body")"
"$PIXELS" "$work/body" > "$work/ion.px" || fail "image.png does not decode"
[ "$(head -1 "$work/ion.px")" = "12 9" ] || fail "image size $(head -1 "$work/ion.px")"
bad=$(awk 'NR == 1 { next } { v = (31 * $1 + 17 * $2 + 83) % 251; if (v > max) max = v; px[NR] = $0; val[NR] = v }
    END { for (i in px) { split(px[i], f, " "); want = int(val[i] / max * 255 + 0.5);
          if (f[3] != want || f[4] != want || f[5] != want) print px[i] } }' "$work/ion.px" | head -3)
[ -z "$bad" ] || fail "image.png pixels differ from the values: $bad"
[ "$(status "$base/api/datasets/1/image.png?mz=105&ppm=20000&zoom=2")" = 200 ] || fail "image.png ppm: $(cat "$work/body")"
"$PIXELS" "$work/body" | head -1 | grep -qx '24 18' || fail "zoomed image size"
[ "$(status "$base/api/datasets/1/image.png?tic=1")" = 200 ] || fail "image.png tic"
run image 1 --tic -o "$work/tic.cli.png" 2>/dev/null || fail "image --tic"
cmp -s "$work/body" "$work/tic.cli.png" || fail "image.png?tic=1 differs from image --tic"
curl -sf "$base/api/datasets/1/image.png?mz=105&width=1.1&scale=sqrt&colormap=magma&zoom=3&colorbar=1" > "$work/w.png" ||
    fail "image.png with every option"
run image 1 --mz 105 --width 1.1 --scale sqrt --colormap magma --zoom 3 --colorbar -o "$work/w.cli.png" 2>/dev/null
cmp -s "$work/w.png" "$work/w.cli.png" || fail "image.png differs from image with the same options"

# spectrum.json: spectrum --json.
curl -sf "$base/api/datasets/1/spectrum.json?x=11&y=8" > "$work/sp.json" || fail "spectrum.json"
run spectrum 1 --x 11 --y 8 --json > "$work/sp.cli"
same_json "$work/sp.json" "$work/sp.cli" || fail "spectrum.json differs from spectrum --json"
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
assert j["intensity"][:3] == [(31 * 11 + 17 * 8 + 7 * k + 13) % 251 for k in range(3)], j["intensity"][:3]
assert j["mz"][2] == 101.0 and len(j["mz"]) == 300' "$work/sp.json" || fail "spectrum values"
curl -sf "$base/api/datasets/2/spectrum.json?mean=1" > "$work/sp.json" || fail "mean spectrum.json"
run spectrum 2 --mean --json > "$work/sp.cli"
same_json "$work/sp.json" "$work/sp.cli" || fail "mean spectrum differs"

# thumbnail.png: the bytes `thumbnail` writes.
curl -sf "$base/api/datasets/1/thumbnail.png" > "$work/t.png" || fail "thumbnail.png"
run thumbnail 1 -o "$work/t.cli.png" || fail "thumbnail"
cmp -s "$work/t.png" "$work/t.cli.png" || fail "thumbnail.png differs from the CLI's"

# Bad parameters: 400 with a JSON error naming the problem.
for q in "image.png?mz=abc" "image.png" "image.png?mz=105&zoom=99" "image.png?mz=105&file=/etc/passwd" \
    "image.png?mz=5000" "spectrum.json?x=1" "spectrum.json?x=12&y=0" "spectrum.json?x=-1&y=0" \
    "thumbnail.png?dataset=x"; do
    [ "$(status "$base/api/datasets/1/$q")" = 400 ] || fail "$q: not 400: $(cat "$work/body")"
    grep -q '"error":' "$work/body" || fail "$q: no JSON error: $(cat "$work/body")"
done
[ "$(status "$base/api/datasets/1/image.png?mz=5000")" = 400 ] && grep -q 'm/z 5000 is outside the m/z axis of source 1 dataset 0' \
    "$work/body" || fail "m/z message: $(cat "$work/body")"
for q in "format=tiff" "limit=5000" "limit=0" "json=1" "columns=path" "since=yesterday" "sort=color"; do
    [ "$(status "$base/api/datasets?$q")" = 400 ] || fail "datasets?$q: not 400: $(cat "$work/body")"
done

# Unknown IDs: 404; not an ID: 400.
for p in 999 999/image.png?mz=105 999/spectrum.json?mean=1 999/thumbnail.png "1/image.png?mz=105&dataset=5"; do
    [ "$(status "$base/api/datasets/$p")" = 404 ] || fail "$p: not 404: $(cat "$work/body")"
done
grep -q '"status":404' "$work/body" || fail "404 body: $(cat "$work/body")"
for p in abc 0 01 -1 9223372036854775808 1e3; do
    [ "$(status "$base/api/datasets/$p")" = 400 ] || fail "ID $p: not 400"
done
[ "$(status "$base/nowhere")" = 404 ] || fail "/nowhere: not 404"

# Path tricks never reach the file system.
[ "$(status "$base/api/datasets/1/../../../etc/passwd" --path-as-is)" = 400 ] || fail "../: $(cat "$work/body")"
[ "$(status "$base/api/datasets/%2e%2e/%2e%2e/etc/passwd" --path-as-is)" = 400 ] || fail "%2e%2e"
[ "$(status "$base/api/datasets/1%00/image.png")" = 400 ] || fail "%00: $(cat "$work/body")"
[ "$(status "$base/..%5c..%5cetc/passwd" --path-as-is)" = 400 ] || fail "backslash"
[ "$(status "$base/etc/passwd")" = 404 ] || fail "/etc/passwd"
grep -q root: "$work/body" && fail "a file was served"
long=$(python3 -c 'print("a" * 3000)')
[ "$(status "$base/api/$long")" = 414 ] || fail "overlong path: not 414"
huge=$(python3 -c 'print("a" * 70000)')
code=$(status "$base/api/$huge")
[ "$code" = 414 ] || [ "$code" = 431 ] || fail "a 70 kB request line: $code"

# Methods and bodies: read-only.
[ "$(status "$base/api/stats" -X POST -d x=1)" = 405 ] || fail "POST: not 405"
[ "$(status "$base/api/datasets/1" -X DELETE)" = 405 ] || fail "DELETE: not 405"
[ "$(status "$base/api/stats" -X GET -H 'Content-Length: 5' --data-binary hello)" = 413 ] || fail "GET with a body"
[ "$(status "$base/api/stats" -I)" = 200 ] || fail "HEAD"

# The log: one line per request.
grep -q "GET /api/stats 200 [0-9.]* ms" "$work/serve.log" || fail "request log: $(tail -n 3 "$work/serve.log")"
stop_server || fail "SIGTERM: exit status $?"
grep -q "stopping on signal 15" "$work/serve.log" || fail "no stop line"

# The token: required, accepted, rejected; the page loads without it.
printf 'e2e-token-0123456789abcdef\n' > "$work/token"
start_server "$work/tok.log" --token-file "$work/token" || fail "token server: $(cat "$work/tok.log")"
[ "$(status "$base/api/stats")" = 401 ] || fail "no token: not 401"
[ "$(status "$base/api/stats" -H 'Authorization: Bearer wrong-token-0123456789')" = 401 ] || fail "wrong token"
[ "$(status "$base/api/stats" -H 'Authorization: Bearer e2e-token-0123456789abcdef')" = 200 ] || fail "token refused"
[ "$(status "$base/api/datasets/1/image.png?mz=105" -b 'omsi_token=e2e-token-0123456789abcdef')" = 200 ] || fail "cookie refused"
[ "$(status "$base/")" = 200 ] || fail "page without token"
stop_server || fail "token server stop"
printf 'short\n' > "$work/short"
run serve --listen 127.0.0.1:0 --token-file "$work/short" 2> "$work/err" && fail "a short token was taken"
grep -q "$work/short" "$work/err" || fail "short token message: $(cat "$work/err")"

# Not loopback: refused without a token, unless --insecure.
run serve --listen 0.0.0.0:0 2> "$work/err"
[ $? = 2 ] || fail "0.0.0.0 without a token: not exit 2"
grep -q "not a loopback address" "$work/err" || fail "refusal message: $(cat "$work/err")"
run serve --listen 127.0.0.1:abc 2> "$work/err" && fail "a bad --listen was taken"
start_server "$work/ins.log" --insecure || fail "--insecure on loopback"
stop_server
"$CATALOG_BIN" --catalog "$cat_" serve --listen 0.0.0.0:0 --insecure --port-file "$work/port2" 2> "$work/ins2.log" &
pid=$!
bg_pids="$bg_pids $pid"
i=0
while [ ! -s "$work/port2" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/port2" ] || fail "--insecure 0.0.0.0 did not start: $(cat "$work/ins2.log")"
kill -TERM "$pid"; wait "$pid" || fail "--insecure server exit"

# The rate limit: a burst of 4, then 429.
start_server "$work/rate.log" --rate-limit 1 || fail "rate server"
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(status "$base/api/stats")"; done
[ "$codes" = " 200 200 200 200 429 429" ] || fail "rate limit: $codes"
grep -q '"status":429' "$work/body" || fail "429 body"
stop_server

# No catalog: a clear error, exit 1.
"$CATALOG_BIN" --catalog "$work/none.sqlite" serve --listen 127.0.0.1:0 2> "$work/err"
[ $? = 1 ] || fail "missing catalog: not exit 1"
grep -q none.sqlite "$work/err" || fail "missing catalog message: $(cat "$work/err")"
echo "serve_api: every endpoint equals the CLI, errors and limits as expected"
