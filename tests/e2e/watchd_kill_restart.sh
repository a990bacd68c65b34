#!/bin/sh
# End-to-end: crash and stop in the middle of a conversion.
#  1. kill -9 the daemon and its workers while a conversion is writing its
#     temporary file; restart: every dataset is cataloged exactly once, no
#     partial .h5 is left or visible, the sources are byte-identical.
#  2. SIGTERM during a conversion: exit 0 quickly, the temporary file is
#     gone, the job is back to pending; a restart finishes it.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_kill_restart

# Three ~50 MB Analyze datasets (about a second of conversion each) and
# two small ones.
n=0
for i in 1 2 3; do
    "$GEN" img "$W/drop/big$i" --stem "big$i" --seed "$i" --shape 80 80 2000 >/dev/null || fail "omsi-gen"
    n=$((n + 1))
done
for i in 1 2; do
    "$GEN" img "$W/drop/small$i" --stem "small$i" --seed "$((i + 10))" >/dev/null || fail "omsi-gen"
    n=$((n + 1))
done
(cd "$W/drop" && find . -type f -exec sha256sum {} + | sort -k2) >"$W/sha.before"

partial_present() { [ -n "$(find "$W/out" -name '*.partial-*' -print -quit)" ]; }

start_daemon --settle 1 --workers 1
wait_until 30 partial_present || fail "no conversion started"
workers=$(pgrep -P "$DAEMON_PID")
kill -KILL $workers "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
say "killed -9 during a conversion ($(jobs_in_state running) job(s) left running)"
[ "$(jobs_in_state running)" -ge 1 ] || fail "no job was running at the kill"

start_daemon --settle 1 --workers 2
wait_until 120 sources_at_least "$n" || fail "only $(catalog_sources | cut -d' ' -f1) of $n datasets cataloged after the restart"
wait_until 10 sh -c "[ \$(find '$W/out' -name '*.partial-*' | wc -l) -eq 0 ]" || true
sleep 1
set -- $(catalog_sources)
[ "$1" -eq "$n" ] || fail "$1 sources cataloged, expected $n"
[ "$2" -eq 0 ] || fail "$2 dataset(s) cataloged more than once"
[ "$(jobs_in_state running)" -eq 0 ] || fail "jobs still running"
[ "$(jobs_in_state failed)" -eq 0 ] || fail "failed jobs: $("$CATALOG_TOOL" --catalog "$CAT" query --state failed)"
check_output_clean
grep -q "interrupted job(s) back to pending" "$W/daemon.log" || fail "the restart did not requeue the interrupted job"
(cd "$W/drop" && find . -type f -exec sha256sum {} + | sort -k2) >"$W/sha.after"
cmp -s "$W/sha.before" "$W/sha.after" || fail "source files changed"
say "restart after kill -9: $n datasets cataloged once each"

# 2. SIGTERM in the middle of a conversion.
"$GEN" img "$W/drop/big4" --stem big4 --seed 4 --shape 80 80 2000 >/dev/null || fail "omsi-gen"
wait_until 30 partial_present || fail "the new dataset was not converted"
kill -TERM "$DAEMON_PID"
start=$(date +%s)
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
[ $(($(date +%s) - start)) -le 10 ] || fail "SIGTERM took more than 10 s"
partial_present && fail "a partial file is left after SIGTERM"
check_output_clean
big4_done=$("$CATALOG_TOOL" --catalog "$CAT" query --json | grep -c 'big4.hdr')
if [ "$big4_done" -eq 0 ]; then
    [ "$(jobs_in_state pending)" -eq 1 ] || fail "the interrupted job is not pending"
fi
start_daemon --settle 1 --workers 1
wait_until 90 sources_at_least $((n + 1)) || fail "big4 not cataloged after the restart"
sleep 1
set -- $(catalog_sources)
[ "$1" -eq $((n + 1)) ] && [ "$2" -eq 0 ] || fail "after SIGTERM and restart: $1 sources, $2 duplicates"
check_output_clean
say "ok: SIGTERM exit 0 without partial output; restart finished the job"
exit 0
