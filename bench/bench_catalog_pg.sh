#!/bin/sh
# Issue 14: the catalog on SQLite beside PostgreSQL, in one run.
#
#   1. bench_catalog_filters --bulk and bench_catalog --bulk at
#      $OMSI_BENCH_DATASETS (default 100000) datasets on both backends
#      (--peaks $OMSI_BENCH_PEAKS, default 50, per dataset);
#   2. ingest rate of 1, 2 and 4 omsi-watchd daemons (OMSI_HOST bench-1..4,
#      --workers 1 each) on one drop folder of $OMSI_BENCH_INGEST (default
#      400) small generated Analyze datasets, on PostgreSQL (and one daemon
#      on SQLite for reference).
#
# PostgreSQL: a throwaway cluster (tests/pg_cluster.sh: Unix socket only,
# fsync off, shared_buffers 128MB here) per run, so every run starts empty.
# Figures are printed, nothing asserted. Skips (77) without the server.
set -u
B=${OMSI_BUILDDIR:?OMSI_BUILDDIR not set}
S=${OMSI_SRCDIR:-$(dirname "$0")/..}
N=${OMSI_BENCH_DATASETS:-100000}
P=${OMSI_BENCH_PEAKS:-50}
NI=${OMSI_BENCH_INGEST:-400}
PGC="$S/tests/pg_cluster.sh"
sh "$PGC" available || exit 77
W=$(mktemp -d /tmp/omsi-bench-pg.XXXXXX) || exit 1
chmod 711 "$W" # the postgres user (as root) reaches its cluster in there
export OMSI_PG_SERVER_OPTS="${OMSI_PG_SERVER_OPTS:--c shared_buffers=128MB}"
PIDS=
cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    sh "$PGC" stop "$W/pg" >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pg_start() { sh "$PGC" stop "$W/pg" >/dev/null 2>&1; sh "$PGC" start "$W/pg" $$; }

if [ "${OMSI_BENCH_SKIP_QUERIES:-}" != 1 ]; then
    echo "== bench_catalog_filters --bulk --datasets $N --peaks $P: SQLite"
    "$B/bench/bench_catalog_filters" --bulk --datasets "$N" --peaks "$P" --catalog "$W/f.sqlite" || exit 1
    rm -f "$W"/f.sqlite*
    echo "== bench_catalog_filters --bulk --datasets $N --peaks $P: PostgreSQL"
    uri=$(pg_start) || exit 1
    "$B/bench/bench_catalog_filters" --bulk --datasets "$N" --peaks "$P" --catalog "$uri" || exit 1
    echo "== bench_catalog $N --bulk: SQLite"
    "$B/bench/bench_catalog" "$N" "$W/c.sqlite" --bulk || exit 1
    rm -f "$W"/c.sqlite*
    echo "== bench_catalog $N --bulk: PostgreSQL"
    uri=$(pg_start) || exit 1
    "$B/bench/bench_catalog" "$N" "$uri" --bulk || exit 1
fi

# Ingest: K daemons, one drop folder, until all NI datasets are cataloged.
mkdir -p "$W/stage0"
i=0
while [ "$i" -lt "$NI" ]; do
    "$B/omsi-gen" img "$W/stage0/batch$((i % 8))" --stem "d$i" --seed "$i" --shape 3 2 8 >/dev/null || exit 1
    i=$((i + 1))
done
sql() { # CATALOG QUERY
    case $1 in
    postgresql://*) psql -qAtX "$1" -c "$2" ;;
    *) sqlite3 -cmd ".timeout 10000" "$1" "$2" 2>/dev/null ;;
    esac
}
sql_count() { sql "$1" "SELECT COUNT(*) FROM sources"; }
sql_hosts() { sql "$1" "SELECT host || '=' || COUNT(*) FROM sources GROUP BY host ORDER BY host" | tr '\n' ' '; }
ingest() { # BACKEND K
    rm -rf "$W/drop" "$W/out" "$W"/i.sqlite*
    mkdir -p "$W/drop" "$W/out"
    cp -r "$W/stage0" "$W/stage"
    if [ "$1" = pg ]; then cat=$(pg_start) || exit 1; else cat=$W/i.sqlite; fi
    PIDS=
    k=1
    while [ "$k" -le "$2" ]; do
        OMSI_HOST=bench-$k "$B/omsi-watchd" --watch "$W/drop" --output-dir "$W/out" --catalog "$cat" \
            --settle 1 --workers 1 >>"$W/watchd.log" 2>&1 &
        PIDS="$PIDS $!"
        k=$((k + 1))
    done
    sleep 1
    t0=$(date +%s.%N)
    mv "$W/stage" "$W/drop/batch"
    end=$(($(date +%s) + 600))
    while :; do
        n=$(sql_count "$cat")
        [ "${n:-0}" -ge "$NI" ] && break
        [ "$(date +%s)" -lt "$end" ] || { echo "ingest: only $n of $NI after 600 s" >&2; break; }
        sleep 0.2
    done
    t1=$(date +%s.%N)
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    PIDS=
    hosts=$(sql_hosts "$cat")
    awk -v n="$n" -v a="$t0" -v b="$t1" -v k="$2" -v be="$1" -v h="$hosts" \
        'BEGIN { printf "ingest %-10s %d daemon(s): %d datasets in %.1f s (including the 1 s settle) = %.1f datasets/s; per host: %s\n", be, k, n, b - a, n / (b - a), h }'
}

command -v psql >/dev/null 2>&1 || { echo "psql not found: no ingest figures"; exit 0; }
ingest sqlite 1
for k in 1 2 4; do ingest pg "$k"; done
