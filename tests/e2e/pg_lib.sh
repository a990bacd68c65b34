# PostgreSQL for the end-to-end scripts (sourced after lib.sh).
#   pg_start_or_skip   sets OMSI_TEST_PG_URI: the server given in it, else a
#                      throwaway cluster of tests/pg_cluster.sh for this script
#                      (stopped on exit, and by the harness's watcher should
#                      the script be killed); exits 77 when there is none.
PG_CLUSTER=${OMSI_PG_CLUSTER:-$srcdir/tests/pg_cluster.sh}
pg_dir=""

pg_stop() {
    [ -n "$pg_dir" ] && sh "$PG_CLUSTER" stop "$pg_dir"
    pg_dir=""
}

pg_start_or_skip() {
    [ -n "${OMSI_TEST_PG_URI:-}" ] && return 0
    why=$(sh "$PG_CLUSTER" available) || { echo "SKIP: $why"; exit 77; }
    # /tmp: the socket path must stay short and reachable by the postgres user.
    pg_dir=$(mktemp -d /tmp/omsi-pg.XXXXXX) || fail "cannot create a cluster folder in /tmp"
    OMSI_TEST_PG_URI=$(sh "$PG_CLUSTER" start "$pg_dir" $$) || fail "tests/pg_cluster.sh start failed"
    export OMSI_TEST_PG_URI
    trap 'pg_stop; cleanup' EXIT
}
