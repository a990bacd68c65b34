#!/bin/sh
# The page of omsi-catalog serve in a real browser: headless Chromium loads
# it, runs a search (the state the page keeps in the URL's #fragment) and
# opens a dataset; the rendered DOM must hold the results, the dataset's
# name and metadata and an <img> of its ion image, which the browser then
# fetched (the server's request log says so). A screenshot is kept beside
# the test's log (serve_page.png).
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
. "$srcdir/tests/e2e/serve_lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (Debian: apt-get install chromium)"; exit 77; }
cat_=$work/c.sqlite
run() { "$CATALOG_BIN" --catalog "$cat_" "$@"; }
# The DOM after the page's script ran (virtual time: no waiting on a clock).
dom() { # url out
    HOME=$work "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" \
        --virtual-time-budget=8000 --dump-dom "$1" > "$2" 2> "$work/chromium.err" ||
        fail "chromium --dump-dom $1: $(tail -n 3 "$work/chromium.err")"
}

"$GEN" img "$work/in" --stem mouse_brain --shape 12 9 300 --dtype int16 >/dev/null || fail "omsi-gen img"
"$GEN" imzml "$work/in2" --stem kidney --shape 24 18 400 --dtype float32 --content realistic >/dev/null ||
    fail "omsi-gen imzml"
run -q ingest "$work/in/mouse_brain.hdr" "$work/in2/kidney.imzML" --output-dir "$work/out" >/dev/null || fail "ingest"
start_server "$work/serve.log" || fail "server did not start: $(cat "$work/serve.log")"

# A search: format=img finds the Analyze dataset only, with its thumbnail.
dom "$base/#q=format%3Dimg" "$work/search.html"
grep -q 'id="results"' "$work/search.html" || fail "no results table: $(head -c 600 "$work/search.html")"
grep -q 'mouse_brain.hdr' "$work/search.html" || fail "search: the img dataset is missing"
grep -q 'kidney.imzML' "$work/search.html" && fail "search: format=img shows the imzML dataset"
grep -q '<img class="thumb" alt="" src="/api/datasets/1/thumbnail.png?dataset=0">' "$work/search.html" ||
    fail "search: no thumbnail <img>"
grep -q '1 datasets' "$work/search.html" || fail "search: count line"

# The dataset: name, metadata, regions, the ion image at the m/z of the URL.
dom "$base/#ds=1&d=0&mz=105" "$work/dataset.html"
grep -q '<h2 id="title">Source 1: mouse_brain</h2>' "$work/dataset.html" ||
    fail "dataset: title: $(grep -o '<h2[^<]*</h2>' "$work/dataset.html")"
grep -q '<dd>12 × 9 × 300</dd>' "$work/dataset.html" || fail "dataset: shape"
grep -q '<td>Analyze 7.5</td>' "$work/dataset.html" || fail "dataset: metadata"
grep -q '<h3>Regions</h3>' "$work/dataset.html" || fail "dataset: regions"
grep -q '<h3>Dependencies</h3>' "$work/dataset.html" || fail "dataset: dependencies"
grep -q '<img id="ion" alt="ion image" width="[0-9]*" height="[0-9]*" src="/api/datasets/1/image.png?dataset=0&amp;mz=105&amp;zoom=[0-9]*">' \
    "$work/dataset.html" || fail "dataset: no ion image <img>: $(grep -o '<img id="ion"[^>]*>' "$work/dataset.html")"
grep -q 'GET /api/datasets/1/image.png 200' "$work/serve.log" || fail "the browser did not load the ion image"
grep -q 'GET /api/datasets/1/spectrum.json 200' "$work/serve.log" || fail "the browser did not load the spectrum"

# A screenshot of the realistic dataset, kept with the test's log.
shot=$builddir/tests/e2e/serve_page.png
mkdir -p "$(dirname "$shot")"
HOME=$work "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" \
    --virtual-time-budget=8000 --window-size=1400,1000 --hide-scrollbars --screenshot="$shot" \
    "$base/#ds=2&d=0" > /dev/null 2>&1 || fail "chromium --screenshot"
[ "$(head -c 4 "$shot" | tail -c 3)" = PNG ] || fail "no screenshot at $shot"
stop_server || fail "server exit"
echo "serve_page: search, dataset page and ion image rendered by chromium; screenshot $shot"
