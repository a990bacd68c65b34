#!/bin/sh
# tests/pg_cluster.sh, the throwaway PostgreSQL cluster of the tests: it
# starts, answers on its Unix socket only, stops and leaves nothing behind;
# and a cluster whose owner is killed (kill -9: no cleanup ran) is stopped
# and removed by the harness's watcher.
. "$OMSI_SRCDIR/tests/e2e/lib.sh"
. "$OMSI_SRCDIR/tests/e2e/pg_lib.sh"
why=$(sh "$PG_CLUSTER" available) || { echo "SKIP: $why"; exit 77; }
command -v psql >/dev/null || { echo "SKIP: psql not found (Debian: postgresql-client)"; exit 77; }

dir=$(mktemp -d /tmp/omsi-pg.XXXXXX)
uri=$(sh "$PG_CLUSTER" start "$dir" $$) || fail "start failed"
[ "$uri" = "postgresql:///omsi_test?host=$dir&user=$(cat "$dir/user")" ] || fail "unexpected URI $uri"
[ "$(sh "$PG_CLUSTER" uri "$dir")" = "$uri" ] || fail "uri does not repeat the URI"
[ "$(psql "$uri" -Atc 'SELECT 6 * 7')" = 42 ] || fail "no answer on $uri"
[ "$(psql "$uri" -Atc 'SHOW listen_addresses')" = "" ] || fail "the server listens on TCP"
[ -S "$dir/.s.PGSQL.5432" ] || fail "no socket in $dir"
sh "$PG_CLUSTER" stop "$dir" || fail "stop failed"
[ ! -e "$dir" ] || fail "stop left $dir"

# The owner dies without cleaning up.
dir=$(mktemp -d /tmp/omsi-pg.XXXXXX)
sleep 300 &
owner=$!
bg_pids="$bg_pids $owner"
uri=$(sh "$PG_CLUSTER" start "$dir" "$owner") || fail "start failed"
pid=$(head -1 "$dir/data/postmaster.pid")
kill -0 "$pid" || fail "no server process"
kill -9 "$owner"
i=0
while [ -e "$dir" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ ! -e "$dir" ] || { sh "$PG_CLUSTER" stop "$dir"; fail "the cluster of a killed owner was left in $dir"; }
# Gone, or a zombie not yet reaped by whoever inherited it.
alive() { st=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${st#Z}" = "$st" ]; }
i=0
while alive "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
! alive "$pid" || fail "the server of a killed owner still runs (pid $pid)"

# No binaries: a skip, not a failure.
OMSI_PG_BINDIR=/nonexistent sh "$PG_CLUSTER" available >"$work/avail.out"
[ $? = 77 ] || fail "available without binaries did not exit 77"
grep -q "not found" "$work/avail.out" || fail "available without binaries says: $(cat "$work/avail.out")"
echo "pg_harness: start, uri, stop, and the watcher after kill -9"
