#!/bin/sh
# End-to-end: kill -9 of the daemon's main process alone (the OOM killer's
# choice), while its worker converts. The orphan worker is held stopped
# (SIGSTOP) so that it outlives the restart, the worst case of the race:
# the restarted daemon must not start a worker, requeue the orphan's job or
# remove its partial file while the orphan lives; once the orphan is gone,
# every dataset is cataloged exactly once with its output file present.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_kill_main

n=0
for i in 1 2; do
    "$GEN" img "$W/drop/big$i" --stem "big$i" --seed "$i" --shape 80 80 2000 >/dev/null || fail "omsi-gen"
    n=$((n + 1))
done
"$GEN" img "$W/drop/small1" --stem small1 --seed 11 >/dev/null || fail "omsi-gen"
n=$((n + 1))

partial_present() { [ -n "$(find "$W/out" -name '*.partial-*' -print -quit)" ]; }

start_daemon --settle 1 --workers 1
wait_until 60 partial_present || fail "no conversion started"
worker=$(pgrep -P "$DAEMON_PID")
[ -n "$worker" ] || fail "no worker process"
kill -STOP $worker
partial=$(find "$W/out" -name '*.partial-*' | head -n 1)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
# The stopped orphan got SIGTERM from PR_SET_PDEATHSIG; it handles it when
# it runs again.
kill -0 $worker 2>/dev/null || fail "the worker died with the daemon while stopped"
[ "$(jobs_in_state running)" -eq 1 ] || fail "no job was running at the kill"
say "killed -9 the daemon alone; its worker $worker lives on, stopped"

start_daemon --settle 1 --workers 2
sleep 3
kill -0 "$DAEMON_PID" 2>/dev/null || fail "the restarted daemon exited"
[ -z "$(pgrep -P "$DAEMON_PID")" ] || { kill -CONT $worker; fail "the restarted daemon started workers while the orphan $worker lives"; }
[ -f "$partial" ] || { kill -CONT $worker; fail "the restarted daemon removed the partial file of the living orphan"; }
[ "$(jobs_in_state running)" -eq 1 ] || { kill -CONT $worker; fail "the orphan's job was requeued while it lives"; }
grep -q "waiting for 1 worker(s) of a previous daemon" "$W/daemon.log" || { kill -CONT $worker; fail "no wait for the orphan logged"; }
kill -CONT $worker
wait_until 30 sh -c "! kill -0 $worker 2>/dev/null" || fail "the orphan did not stop after SIGCONT"

wait_until 120 sources_at_least "$n" || fail "only $(catalog_sources | cut -d' ' -f1) of $n datasets cataloged after the restart"
wait_until 20 sh -c "[ \$(find '$W/out' -name '*.partial-*' | wc -l) -eq 0 ]" || true
sleep 1
set -- $(catalog_sources)
[ "$1" -eq "$n" ] || fail "$1 sources cataloged, expected $n"
[ "$2" -eq 0 ] || fail "$2 dataset(s) cataloged more than once"
[ "$(jobs_in_state running)" -eq 0 ] || fail "jobs still running"
[ "$(jobs_in_state failed)" -eq 0 ] || fail "failed jobs: $("$CATALOG_TOOL" --catalog "$CAT" query --state failed)"
check_output_clean
missing=$("$CATALOG_TOOL" --catalog "$CAT" query --json --limit 100000 | python3 -c 'import json,os,sys
d = json.load(sys.stdin); rows = d["rows"] if isinstance(d, dict) else d
print(sum(1 for r in rows if not os.path.isfile(r["output"])))')
[ "$missing" -eq 0 ] || fail "$missing cataloged output file(s) missing"
say "ok: the restart waited for the orphan; $n datasets cataloged once each, outputs present"
exit 0
