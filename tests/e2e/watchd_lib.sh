# Shared helpers of the omsi-watchd end-to-end tests (sourced, not run).
# Each test calls watchd_setup NAME first: it finds the programs, makes a
# temp folder ($W with drop/, out/, stage/) and skips (exit 77) while the
# pieces it needs (generator, readers, converter, catalog) are missing.

builddir=${OMSI_BUILDDIR:-.}
GEN=$builddir/omsi-gen
WATCHD=$builddir/omsi-watchd
CATALOG_TOOL=$builddir/omsi-catalog
DAEMON_PID=

say() { echo "$TEST_NAME: $*"; }
skip() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
fail() {
    echo "FAIL: $TEST_NAME: $*"
    if [ -n "${W:-}" ] && [ -f "$W/daemon.log" ]; then
        echo "--- daemon log (last 40 lines) ---"
        tail -n 40 "$W/daemon.log"
    fi
    exit 1
}

watchd_cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        sleep 1
        kill -KILL "$DAEMON_PID" 2>/dev/null
    fi
    [ -n "${W:-}" ] && rm -rf "$W"
}

watchd_setup() {
    TEST_NAME=$1
    for p in "$GEN" "$WATCHD" "$CATALOG_TOOL"; do
        [ -x "$p" ] || fail "$p not built"
    done
    command -v python3 >/dev/null 2>&1 || skip "python3 not found (needed to read JSON)"
    W=$(mktemp -d "${TMPDIR:-/tmp}/omsi-$TEST_NAME.XXXXXX") || fail "mktemp"
    trap watchd_cleanup EXIT
    mkdir -p "$W/drop" "$W/out" "$W/stage" "$W/probe"
    CAT=$W/catalog.sqlite
    # The pieces must have landed: a generated Analyze dataset must ingest.
    if ! "$GEN" img "$W/probe" --stem probe >"$W/probe.log" 2>&1; then
        grep -q "not implemented" "$W/probe.log" && skip "omsi-gen img not implemented yet"
        fail "omsi-gen img: $(cat "$W/probe.log")"
    fi
    if ! "$CATALOG_TOOL" --catalog "$W/probe.sqlite" ingest "$W/probe/probe.hdr" \
        --output-dir "$W/probe" >"$W/probe.log" 2>&1; then
        grep -q "not implemented" "$W/probe.log" && skip "ingest not implemented yet: $(cat "$W/probe.log")"
        fail "omsi-catalog ingest: $(cat "$W/probe.log")"
    fi
    rm -rf "$W/probe" "$W/probe.sqlite"* "$W/probe.log"
}

# Formats whose generator and reader both work (img always, by setup).
watchd_working_formats() {
    mkdir -p "$W/fmtprobe"
    for f in img imzml mzml brukerflex; do
        path=$("$GEN" "$f" "$W/fmtprobe/$f" --stem p 2>/dev/null) || continue
        "$CATALOG_TOOL" check "$path" --json 2>/dev/null | grep -q '"validity": *"valid"' && printf '%s ' "$f"
    done
    rm -rf "$W/fmtprobe"
}

# start_daemon ARGS...: runs omsi-watchd in the background on $W.
start_daemon() {
    "$WATCHD" --watch "$W/drop" --output-dir "$W/out" --catalog "$CAT" "$@" >>"$W/daemon.log" 2>&1 &
    DAEMON_PID=$!
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
    limit=$1
    shift
    end=$(($(date +%s) + limit))
    while ! "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        kill -0 "$DAEMON_PID" 2>/dev/null || [ -z "$DAEMON_PID" ] || return 1
        sleep 0.2
    done
}

# Number of jobs in state $1 (python reads `omsi-catalog stats --json`).
jobs_in_state() {
    "$CATALOG_TOOL" --catalog "$CAT" query --state "$1" --json --limit 100000 2>/dev/null |
        python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)
except Exception:
    print(0); sys.exit()
rows = d["rows"] if isinstance(d, dict) else d
print(len(rows))'
}

# Prints "SOURCES DUPLICATES": distinct source paths and paths recorded more
# than once (a re-ingest of the same content would be a duplicate).
catalog_sources() {
    "$CATALOG_TOOL" --catalog "$CAT" query --json --limit 100000 2>/dev/null |
        python3 -c 'import json,sys,collections
try:
    d = json.load(sys.stdin)
except Exception:
    print("0 0"); sys.exit()
rows = d["rows"] if isinstance(d, dict) else d
by_path = collections.defaultdict(set)
for r in rows:
    by_path[r["path"]].add(r["source_id"])
print(len(by_path), sum(1 for s in by_path.values() if len(s) > 1))'
}

sources_at_least() { set -- $(catalog_sources) "$1"; [ "$1" -ge "$3" ]; }

# copy_slowly SRC_DIR DEST_DIR: every file written in two halves with a
# pause, the way a slow network copy grows files.
copy_slowly() {
    mkdir -p "$2"
    for f in "$1"/*; do
        name=$(basename "$f")
        if [ -d "$f" ]; then
            copy_slowly "$f" "$2/$name"
            continue
        fi
        size=$(wc -c <"$f")
        half=$((size / 2))
        head -c "$half" "$f" >"$2/$name"
        sleep "${COPY_PAUSE:-0.7}"
        tail -c +"$((half + 1))" "$f" >>"$2/$name"
    done
}

# No temporary or stray .h5 in the output: every .h5 is one the catalog names.
check_output_clean() {
    partial=$(find "$W/out" -name '*.partial-*' | wc -l)
    [ "$partial" -eq 0 ] || fail "$partial partial file(s) left in the output folder"
    on_disk=$(find "$W/out" -name '*.h5' | wc -l)
    recorded=$("$CATALOG_TOOL" --catalog "$CAT" query --json --limit 100000 |
        python3 -c 'import json,sys
d = json.load(sys.stdin); rows = d["rows"] if isinstance(d, dict) else d
print(len({r["output"] for r in rows}))')
    [ "$on_disk" -eq "$recorded" ] || fail "$on_disk .h5 files in the output folder, $recorded in the catalog"
}
