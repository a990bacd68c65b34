#!/bin/sh
# End-to-end: a manual `omsi-catalog ingest` owns its job (pid + start
# time, marked manual; migration 0005) like the daemon's workers do.
#   1. An ingest frozen (SIGSTOP, by tests/fault_shim.so at its first
#      rename: job running, partial files in the output folder) while
#      omsi-watchd --once starts over the same catalog and output folder:
#      the daemon neither requeues nor converts the job, nor removes the
#      partial files; continued (SIGCONT), the ingest finishes as "new";
#      one source, its job done after one attempt, verify clean.
#   2. The same ingest killed (SIGKILL) while frozen: the next daemon start
#      removes its partial files, puts the job back to pending and converts
#      it: one source, verify clean, nothing partial left.
# Skips (77) without the shim or python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup manual_ingest_owner
SHIM=$builddir/tests/fault_shim.so
[ -f "$SHIM" ] || skip "$SHIM not built (make check builds it)"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

state_of() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
wait_stopped() { # pid: until it is stopped (T), at most 60 s
    i=0
    while [ "$(state_of "$1")" != T ]; do
        kill -0 "$1" 2>/dev/null || return 1
        i=$((i + 1))
        [ "$i" -le 600 ] || return 1
        sleep 0.1
    done
}
partials() { ls -A "$1" | grep -c '\.partial' || true; }
jobs_of() { # catalog: "state attempts manual" of every job, one line each
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for row in db.execute("SELECT state, attempts, owner_manual FROM jobs ORDER BY id"):
    print(*row)
PY
}
count_sources() { # catalog suffix: current sources whose path ends in suffix
    "$CATALOG_TOOL" --catalog "$1" query --limit 0 --json 2>/dev/null | python3 -c 'import json, sys
rows = json.load(sys.stdin)["rows"]
print(len({r["source_id"] for r in rows if r["path"].endswith(sys.argv[1])}))' "$2"
}
verify_clean() { # catalog n
    "$CATALOG_TOOL" --catalog "$1" verify --json >"$W/v.json" 2>&1 || fail "verify: $(cat "$W/v.json")"
    tr -d ' \n' <"$W/v.json" | grep -q "\"checked\":$2,\"problems\":\[\]" || fail "verify: $(cat "$W/v.json")"
}
daemon_once() { # out catalog
    "$WATCHD" --watch "$W/drop" --output-dir "$1" --catalog "$2" --settle 1 --once >>"$W/daemon.log" 2>&1 ||
        fail "omsi-watchd --once failed"
}

"$GEN" img "$W/drop" --stem run --shape 6 5 400 --seed 3 >/dev/null || fail "omsi-gen img"
src=$W/drop/run.hdr

# ---- 1. a live (stopped) manual ingest ----
OMSI_FAULT_CALL=rename OMSI_FAULT_AT=1 OMSI_FAULT_ACTION=stop LD_PRELOAD=$SHIM \
    "$CATALOG_TOOL" --catalog "$CAT" ingest "$src" --output-dir "$W/out" >"$W/manual.out" 2>"$W/manual.err" &
manual=$!
wait_stopped "$manual" || fail "the manual ingest did not stop: $(cat "$W/manual.err")"
[ "$(partials "$W/out")" -ge 1 ] || fail "no partial file while the ingest is stopped: $(ls -A "$W/out")"
before=$(ls -A "$W/out" | sort)
daemon_once "$W/out" "$CAT"
[ "$(ls -A "$W/out" | sort)" = "$before" ] ||
    fail "the daemon changed the output folder of a live ingest: '$before' -> '$(ls -A "$W/out" | sort)'"
if grep -q "back to pending" "$W/daemon.log"; then fail "the daemon requeued the live ingest's job"; fi
[ "$(jobs_of "$CAT")" = "running 1 1" ] || fail "jobs while the ingest is stopped: $(jobs_of "$CAT")"
kill -CONT "$manual"
wait "$manual" || fail "the manual ingest failed after SIGCONT: $(cat "$W/manual.err")"
grep -q "^new " "$W/manual.out" || fail "the manual ingest did not record it: $(cat "$W/manual.out")"
[ "$(count_sources "$CAT" /run.hdr)" -eq 1 ] || fail "not one source after the ingest"
verify_clean "$CAT" 1
[ "$(partials "$W/out")" -eq 0 ] || fail "partial files left: $(ls -A "$W/out")"
jobs_of "$CAT" | head -1 | grep -q "^done 1 1$" || fail "the manual job: $(jobs_of "$CAT")"
daemon_once "$W/out" "$CAT" # and a later daemon run leaves it as it is
[ "$(count_sources "$CAT" /run.hdr)" -eq 1 ] || fail "not one source after the next daemon run"
verify_clean "$CAT" 1
say "a stopped manual ingest kept its job and partial files; both finished, one source"

# ---- 2. a dead manual ingest ----
CAT2=$W/catalog2.sqlite
mkdir -p "$W/out2"
: >"$W/daemon.log"
OMSI_FAULT_CALL=rename OMSI_FAULT_AT=1 OMSI_FAULT_ACTION=stop LD_PRELOAD=$SHIM \
    "$CATALOG_TOOL" --catalog "$CAT2" ingest "$src" --output-dir "$W/out2" >/dev/null 2>"$W/manual2.err" &
manual=$!
wait_stopped "$manual" || fail "the second manual ingest did not stop: $(cat "$W/manual2.err")"
kill -KILL "$manual"
wait "$manual" 2>/dev/null
[ "$(partials "$W/out2")" -ge 1 ] || fail "no partial file of the killed ingest"
daemon_once "$W/out2" "$CAT2"
grep -q "1 interrupted job(s) back to pending" "$W/daemon.log" || fail "the dead ingest's job was not requeued"
[ "$(partials "$W/out2")" -eq 0 ] || fail "partial files of a dead ingest left: $(ls -A "$W/out2")"
[ "$(count_sources "$CAT2" /run.hdr)" -eq 1 ] || fail "not one source after the daemon took the job over"
verify_clean "$CAT2" 1
say "ok: a dead manual ingest's job was retaken and its partial files removed"
