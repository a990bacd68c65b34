#!/bin/sh
# End-to-end: a flood of 500 small datasets dropped into a running daemon
# (in 10 nested folders, moved in at once, the way a batch export lands).
# All 500 are cataloged exactly once, no job fails, no partial output.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_flood
N=${WATCHD_FLOOD_COUNT:-500}

i=0
while [ "$i" -lt "$N" ]; do
    "$GEN" img "$W/stage/batch$((i % 10))" --stem "d$i" --seed "$i" --shape 3 2 8 >/dev/null || fail "omsi-gen $i"
    i=$((i + 1))
done

start_daemon --settle 1 --workers 2
sleep 0.5
kill -0 "$DAEMON_PID" 2>/dev/null || fail "daemon did not start"
start=$(date +%s)
mv "$W/stage" "$W/drop/flood"
# Done when all N are in; a failure only when nothing moves for 60 s (a
# sanitizer build converts several times slower than a normal one).
last=-1
stalled_since=$(date +%s)
while :; do
    set -- $(catalog_sources)
    [ "$1" -ge "$N" ] && break
    now=$(date +%s)
    if [ "$1" -ne "$last" ]; then
        last=$1
        stalled_since=$now
    elif [ $((now - stalled_since)) -ge 60 ]; then
        fail "only $1 of $N datasets cataloged, none for 60 s"
    fi
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died with $1 of $N datasets cataloged"
    sleep 1
done
sleep 1
set -- $(catalog_sources)
[ "$1" -eq "$N" ] || fail "$1 sources cataloged, expected $N"
[ "$2" -eq 0 ] || fail "$2 dataset(s) cataloged more than once"
[ "$(jobs_in_state failed)" -eq 0 ] || fail "failed jobs"
[ "$(jobs_in_state done)" -eq "$N" ] || fail "$(jobs_in_state done) jobs done, expected $N"
check_output_clean
say "ok: $N datasets cataloged once each in $(($(date +%s) - start)) s"
exit 0
