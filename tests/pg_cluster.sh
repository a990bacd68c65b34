#!/bin/sh
# A throwaway PostgreSQL cluster for the tests, in a directory of its own,
# reachable only by a Unix socket in that directory (no TCP port).
#
#   pg_cluster.sh available          exit 0 when the server binaries exist
#   pg_cluster.sh start DIR [PID]    initdb + start in DIR (created if need be),
#                                    create database omsi_test, print its URI;
#                                    when PID (default: the caller) exits, the
#                                    cluster is stopped and DIR removed even if
#                                    nobody calls stop (a crashed test)
#   pg_cluster.sh uri DIR            print the URI again
#   pg_cluster.sh stop DIR           stop the cluster and remove DIR
#
# The URI is postgresql:///omsi_test?host=DIR&user=USER. As root (CI runs as
# root) the server runs as the `postgres` system user of the Debian package,
# and DIR is given to it; otherwise as the calling user. Authentication is
# trust: only processes that can reach DIR connect. Exit 77 (skip) when the
# server binaries are absent.
set -u

# The server binaries: $OMSI_PG_BINDIR when set (only there), else the
# newest /usr/lib/postgresql/*/bin (Debian), else initdb on the PATH.
bindir() {
    if [ -n "${OMSI_PG_BINDIR:-}" ]; then
        [ -x "$OMSI_PG_BINDIR/initdb" ] && [ -x "$OMSI_PG_BINDIR/pg_ctl" ] && { echo "$OMSI_PG_BINDIR"; return 0; }
        return 1
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) ; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    return 1
}

die() { echo "pg_cluster.sh: $*" >&2; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

owner_name() {
    if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

cmd=${1:-}
case $cmd in
available)
    bindir >/dev/null || { echo "PostgreSQL server binaries not found (Debian: postgresql)"; exit 77; }
    exit 0 ;;
start|stop|uri) ;;
*) echo "usage: pg_cluster.sh available | start DIR [PID] | uri DIR | stop DIR" >&2; exit 2 ;;
esac
dir=${2:-}
[ -n "$dir" ] || die "$cmd: no directory given"

case $cmd in
uri)
    [ -f "$dir/user" ] || die "$dir: no cluster started there"
    echo "postgresql:///omsi_test?host=$dir&user=$(cat "$dir/user")"
    exit 0 ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/watcher.pid" ]; then
        kill "$(cat "$dir/watcher.pid")" 2>/dev/null
    fi
    if [ -f "$dir/data/postmaster.pid" ] && bin=$(bindir); then
        # immediate: a throwaway cluster needs no checkpoint.
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
    exit 0 ;;
esac

# start
bin=$(bindir) || { echo "PostgreSQL server binaries not found (Debian: postgresql)"; exit 77; }
owner=${3:-$PPID}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
# A Unix socket path is limited to 107 bytes: DIR/.s.PGSQL.5432.
[ ${#dir} -le 80 ] || die "$dir: too long for a Unix socket directory (at most 80 characters)"
mkdir -p "$dir" || die "$dir: cannot create"
if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null || die "no postgres system user (Debian: postgresql)"
    chown postgres "$dir" || die "$dir: cannot give it to the postgres user"
    # The server must reach DIR through its parents.
    runuser -u postgres -- test -x "$dir" || die "$dir: the postgres user cannot reach it (use a folder under /tmp)"
fi
chmod 700 "$dir"
owner_name >"$dir/user"

# C.UTF-8: byte order, with Unicode case folding for the text search (as
# fts5 folds); plain C where the system lacks it.
as_owner "$bin/initdb" -D "$dir/data" --auth=trust -E UTF8 --locale=C.UTF-8 -U "$(owner_name)" --no-sync \
    >"$dir/initdb.log" 2>&1 ||
    { rm -rf "$dir/data"; as_owner "$bin/initdb" -D "$dir/data" --auth=trust -E UTF8 --locale=C -U "$(owner_name)" \
        --no-sync >"$dir/initdb.log" 2>&1; } || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
# fsync off and small buffers: nothing here needs to survive a crash.
# $OMSI_PG_SERVER_OPTS adds server options (the benchmarks: more buffers).
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 30 \
    -o "-k $dir -h '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40 ${OMSI_PG_SERVER_OPTS:-}" \
    start >/dev/null 2>&1 || { cat "$dir/data/server.log" >&2; die "the server did not start in $dir"; }
as_owner "$bin/createdb" -h "$dir" -U "$(owner_name)" omsi_test ||
    { "$0" stop "$dir"; die "createdb failed in $dir"; }

# The watcher: stops the cluster when its owner is gone, so that a test
# killed before its cleanup leaves no server behind. Detached from our
# stdout, which the caller may be reading to its end.
(
    trap '' HUP
    while kill -0 "$owner" 2>/dev/null; do sleep 1; done
    rm -f "$dir/watcher.pid"
    "$0" stop "$dir"
) </dev/null >/dev/null 2>&1 &
echo $! >"$dir/watcher.pid"

echo "postgresql:///omsi_test?host=$dir&user=$(owner_name)"
