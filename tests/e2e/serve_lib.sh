# Helpers of the serve_*.sh scripts (sourced after lib.sh): a catalog of
# generated data, and `omsi-catalog serve` started on a free loopback port.

# Starts the server (extra options in "$@") with its log in $1; sets
# $port, $base and $server_pid. 1 when it did not come up within 10 s.
start_server() { # log [options...]
    log=$1
    shift
    rm -f "$work/port"
    "$CATALOG_BIN" --catalog "$cat_" serve --listen 127.0.0.1:0 --port-file "$work/port" "$@" 2> "$log" &
    server_pid=$!
    bg_pids="$bg_pids $server_pid"
    i=0
    while [ ! -s "$work/port" ] && [ "$i" -lt 100 ]; do
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$work/port" ] || return 1
    port=$(cat "$work/port")
    base=http://127.0.0.1:$port
}

# Stops it with SIGTERM; 1 unless it exits 0 within 10 s.
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null
    i=0
    while kill -0 "$server_pid" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    wait "$server_pid"
}
