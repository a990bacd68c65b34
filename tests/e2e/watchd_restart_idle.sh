#!/bin/sh
# End-to-end: restarts of an idle daemon add no jobs. 10 datasets are
# cataloged, then the daemon starts 5 more times over the unchanged drop
# folder: no job row is added (each dataset is skipped by its file count,
# size and newest mtime, before any hashing). A changed dataset is still
# taken: a new version of the same source.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_restart_idle

n=10
for i in $(seq 1 $n); do
    "$GEN" img "$W/drop/d$i" --stem "d$i" --seed "$i" >/dev/null || fail "omsi-gen"
done
all_jobs() {
    total=0
    for st in pending running done failed quarantined; do
        total=$((total + $(jobs_in_state $st)))
    done
    echo $total
}

"$WATCHD" --watch "$W/drop" --output-dir "$W/out" --catalog "$CAT" --settle 1 --once >>"$W/daemon.log" 2>&1 ||
    fail "first pass failed"
set -- $(catalog_sources)
[ "$1" -eq "$n" ] && [ "$2" -eq 0 ] || fail "first pass: $1 sources, $2 duplicates, expected $n and 0"
first=$(all_jobs)
[ "$first" -eq "$n" ] || fail "first pass: $first job rows, expected $n"

for r in 1 2 3 4; do
    "$WATCHD" --watch "$W/drop" --output-dir "$W/out" --catalog "$CAT" --settle 1 --once >>"$W/daemon.log" 2>&1 ||
        fail "restart $r failed"
done
# And one long-running start, stopped by SIGTERM once it has looked.
start_daemon --settle 1
wait_until 20 grep -q "dataset(s) found" "$W/daemon.log" || fail "the daemon did not start"
sleep 3
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "the daemon failed"
DAEMON_PID=
after=$(all_jobs)
[ "$after" -eq "$first" ] || fail "5 restarts of an idle daemon: $after job rows, was $first"
say "5 restarts over $n unchanged datasets: $after job rows (was $first)"

# A changed dataset is taken again: a new version, not a second source.
"$GEN" img "$W/stage/d1" --stem d1 --seed 99 >/dev/null || fail "omsi-gen"
cp "$W/stage/d1/"* "$W/drop/d1/"
"$WATCHD" --watch "$W/drop" --output-dir "$W/out" --catalog "$CAT" --settle 1 --once >>"$W/daemon.log" 2>&1 ||
    fail "pass after a change failed"
[ "$(all_jobs)" -eq $((first + 1)) ] || fail "a changed dataset: $(all_jobs) job rows, expected $((first + 1))"
set -- $(catalog_sources)
[ "$1" -eq "$n" ] && [ "$2" -eq 0 ] || fail "after a change: $1 source paths, $2 with more than one source"
say "ok: a changed dataset is queued once more"
exit 0
