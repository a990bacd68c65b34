#!/bin/sh
# End-to-end (issue 14): two omsi-watchd processes, pretending to be two
# hosts (OMSI_HOST host-a and host-b), on one drop folder and one catalog,
# 200 small generated datasets (and a few larger ones, so that conversions
# are caught in the act). Midway host A dies whole (kill -9 of its main
# process and workers, frozen first while one of its workers converts, so
# its job stays running under its lease and its partial file stays
# behind). Host B takes that job over once the lease (2 s) expired and
# removes the partial file. At the end every dataset is cataloged exactly
# once, no partial output is left, every .h5 is the catalog's.
# On SQLite always; on PostgreSQL too when $OMSI_TEST_PG_URI is set.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup two_daemons
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not found (needed to count rows)"
command -v setsid >/dev/null 2>&1 || skip "setsid not found"
N_SMALL=${TWO_DAEMONS_SMALL:-196}
N_BIG=4
N=$((N_SMALL + N_BIG))
PID_A=
PID_B=

# sql QUERY: one value per line, on the catalog under test.
sql() {
    case $CAT in
    postgres://* | postgresql://*) psql -qAtX "$CAT" -c "$1" ;;
    *) sqlite3 -cmd ".timeout 10000" "$CAT" "$1" ;;
    esac
}

stop_both() {
    for p in $PID_A $PID_B; do
        kill -KILL "-$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    PID_A=
    PID_B=
}
trap 'stop_both; watchd_cleanup' EXIT

# start_host NAME: a daemon as host NAME in its own process group (so that
# all of it can be frozen and killed at once); its pid in $started.
start_host() {
    OMSI_HOST=$1 setsid "$WATCHD" --watch "$W/drop" --output-dir "$W/out" --catalog "$CAT" --settle 1 \
        --workers 2 --lease-seconds 2 >>"$W/$1.log" 2>&1 &
    started=$!
}

host_a_partial() { [ -n "$(find "$W/out" -name '*.partial-*.host-a-*' -print -quit)" ]; }
cataloged() { sql "SELECT COUNT(*) FROM sources"; }

scenario() {
    label=$1
    rm -rf "$W/drop" "$W/out" "$W/stage" "$W"/host-*.log
    mkdir -p "$W/drop" "$W/out" "$W/stage"
    i=0
    while [ "$i" -lt "$N_SMALL" ]; do
        "$GEN" img "$W/stage/batch$((i % 8))" --stem "d$i" --seed "$i" --shape 3 2 8 >/dev/null ||
            fail "omsi-gen $i"
        i=$((i + 1))
    done
    i=0
    while [ "$i" -lt "$N_BIG" ]; do
        "$GEN" img "$W/stage/big" --stem "big$i" --seed "$((1000 + i))" --shape 60 60 1500 >/dev/null ||
            fail "omsi-gen big$i"
        i=$((i + 1))
    done
    start_host host-a
    PID_A=$started
    start_host host-b
    PID_B=$started
    sleep 0.5
    kill -0 "$PID_A" 2>/dev/null && kill -0 "$PID_B" 2>/dev/null || fail "$label: a daemon did not start"
    mv "$W/stage" "$W/drop/batch"

    # Midway, host A dies while one of its workers converts: frozen whole
    # when a partial file of host A is there, killed once the freeze shows
    # it still is (a conversion that ended meanwhile: let it go on, again).
    end=$(($(date +%s) + 60))
    killed=
    while [ -z "$killed" ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "$label: host A never caught converting"
        if [ "$(cataloged)" -ge 40 ] && host_a_partial; then
            kill -STOP "-$PID_A"
            if host_a_partial && [ "$(sql "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND host = 'host-a'")" -ge 1 ]; then
                held=$(sql "SELECT id FROM jobs WHERE state = 'running' AND host = 'host-a' ORDER BY id LIMIT 1")
                kill -KILL "-$PID_A"
                killed=1
            else
                kill -CONT "-$PID_A"
            fi
        fi
        sleep 0.05
    done
    wait "$PID_A" 2>/dev/null
    PID_A=
    say "$label: host A killed -9 while it held job $held ($(cataloged) of $N cataloged)"

    # Host B finishes everything, host A's job included, after its lease.
    last=-1
    stalled_since=$(date +%s)
    while :; do
        n=$(cataloged)
        left=$(sql "SELECT COUNT(*) FROM jobs WHERE state <> 'done'")
        [ "$n" -ge "$N" ] && [ "$left" -eq 0 ] && break
        now=$(date +%s)
        if [ "$n" -ne "$last" ]; then
            last=$n
            stalled_since=$now
        elif [ $((now - stalled_since)) -ge 60 ]; then
            fail "$label: only $n of $N datasets cataloged, none for 60 s"
        fi
        kill -0 "$PID_B" 2>/dev/null || fail "$label: host B died with $n of $N cataloged"
        sleep 0.5
    done
    kill -TERM "$PID_B"
    wait "$PID_B" 2>/dev/null
    PID_B=

    [ "$(sql "SELECT COUNT(*) FROM sources")" -eq "$N" ] || fail "$label: $(cataloged) sources, expected $N"
    [ "$(sql "SELECT COUNT(DISTINCT path) FROM sources")" -eq "$N" ] ||
        fail "$label: a dataset was cataloged more than once"
    [ "$(sql "SELECT COUNT(*) FROM sources WHERE host IS NULL OR host NOT IN ('host-a', 'host-b')")" -eq 0 ] ||
        fail "$label: sources without their converting host"
    [ "$(sql "SELECT COUNT(*) FROM jobs WHERE state = 'failed' OR state = 'quarantined'")" -eq 0 ] ||
        fail "$label: failed jobs"
    # The job host A held was taken over by B after the lease and converted
    # there; B removed A's partial file.
    [ "$(sql "SELECT host FROM jobs WHERE id = $held")" = host-b ] || fail "$label: job $held not retaken by host B"
    [ "$(sql "SELECT attempts FROM jobs WHERE id = $held")" -ge 2 ] || fail "$label: job $held: retake not counted"
    grep -q "job $held: taken over from host host-a" "$W/host-b.log" ||
        fail "$label: host B did not report taking job $held over"
    grep -q "removed the partial file of a worker whose lease expired" "$W/host-b.log" ||
        fail "$label: host B did not remove host A's partial file"
    partial=$(find "$W/out" -name '*.partial-*' | wc -l)
    [ "$partial" -eq 0 ] || fail "$label: $partial partial file(s) left in the output folder: $(find "$W/out" -name '*.partial-*'); $(grep -e partial -e 'taken over' "$W/host-b.log")"
    on_disk=$(find "$W/out" -name '*.h5' | wc -l)
    [ "$on_disk" -eq "$N" ] ||
        fail "$label: $on_disk .h5 files in the output folder, $N datasets: $(sql "SELECT path FROM output_files" | sort >"$W/rec"; find "$W/out" -name '*.h5' | sort | comm -13 "$W/rec" -); $(grep -e removed -e 'taken over' "$W/host-b.log")"
    both=$(sql "SELECT COUNT(DISTINCT host) FROM sources")
    say "ok ($label): $N datasets cataloged once each by $both host(s); job $held retaken by host B"
}

CAT=$W/catalog.sqlite
scenario sqlite

if [ -n "${OMSI_TEST_PG_URI:-}" ]; then
    command -v psql >/dev/null 2>&1 || skip "OMSI_TEST_PG_URI is set but psql is missing"
    CAT=$OMSI_TEST_PG_URI
    # A clean catalog for the run (the harness gives a throwaway database).
    psql -qAtX "$CAT" -c "DELETE FROM search; DELETE FROM jobs; UPDATE sources SET superseded_by = NULL; DELETE FROM sources" \
        >/dev/null 2>&1 || true
    scenario postgresql
else
    say "PostgreSQL half skipped: OMSI_TEST_PG_URI is not set"
fi
exit 0
