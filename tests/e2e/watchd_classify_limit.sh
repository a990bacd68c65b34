#!/bin/sh
# End-to-end: classification of untrusted files never stalls the daemon.
# The slow dataset is real: an mzML whose root start tag carries 60000
# attributes. libxml2 (2.9) checks duplicate attributes pairwise, so just
# deciding whether it is an mzML takes tens of seconds of CPU.
#  1. With classify_timeout_seconds = 1 (config file) the slow dataset is
#     quarantined with the reason "classification exceeded 1 s CPU/wall
#     time", and a valid dataset beside it is cataloged.
#  2. With a long timeout (--classify-timeout-seconds 600), while the slow
#     file is being classified, a new valid dataset is cataloged; SIGTERM
#     stops the daemon (exit 0) and no child process is left.
#  3. A change (the slow file replaced by a valid mzML) releases it from
#     quarantine and it is cataloged.
# Hang guards only: nothing here asserts how fast anything is.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_classify_limit

mkdir -p "$W/drop/slow" "$W/drop/ok1"
python3 - "$W/stage/slow.mzML" <<'EOF' || fail "writing the slow mzML"
import sys
attrs = " ".join('a%d=""' % i for i in range(60000))
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n'
            '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0" %s>\n'
            '<run id="r"/>\n</mzML>\n' % attrs)
EOF
# With a libxml2 that checks attributes in linear time the file is not slow:
# nothing to test then.
if command -v timeout >/dev/null 2>&1; then
    timeout 2 "$CATALOG_TOOL" check "$W/stage/slow.mzML" >/dev/null 2>&1
    [ $? -eq 124 ] || skip "the 60000-attribute mzML classifies in under 2 s with this libxml2"
fi
cp "$W/stage/slow.mzML" "$W/drop/slow/slow.mzML"
"$GEN" img "$W/drop/ok1" --stem ok1 --seed 1 >/dev/null || fail "omsi-gen img"

cat >"$W/watchd.conf" <<EOF
watch = $W/drop
output_dir = $W/out
catalog = $CAT
settle = 0.5
classify_timeout_seconds = 1
EOF
start_config() {
    "$WATCHD" --config "$W/watchd.conf" "$@" >>"$W/daemon.log" 2>&1 &
    DAEMON_PID=$!
}
# stop_daemon: SIGTERM, a generous hang guard, exit status 0, and every
# child the daemon had just before (workers, classifiers) gone.
stop_daemon() {
    children=$(pgrep -P "$DAEMON_PID" | tr '\n' ' ')
    kill -TERM "$DAEMON_PID"
    i=0
    while kill -0 "$DAEMON_PID" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 300 ] || fail "the daemon did not stop within 60 s of SIGTERM"
        sleep 0.2
    done
    wait "$DAEMON_PID"
    rc=$?
    [ "$rc" -eq 0 ] || fail "the daemon exited with $rc after SIGTERM"
    DAEMON_PID=
    for c in $children; do
        kill -0 "$c" 2>/dev/null && fail "child $c of the daemon outlived it ($(ps -o pid,args -p "$c" | tail -n 1))"
    done
    return 0
}
in_state() { [ "$(jobs_in_state "$1")" -eq "$2" ]; }
last_error_of_state() {
    "$CATALOG_TOOL" --catalog "$CAT" query --state "$1" --json | python3 -c 'import json,sys
d = json.load(sys.stdin); rows = d["rows"] if isinstance(d, dict) else d
print(rows[0].get("last_error") or rows[0].get("error") or "" if rows else "")'
}

# 1. Timeout 1 s: quarantined with the reason; the valid one cataloged.
start_config
wait_until 60 in_state quarantined 1 || fail "the slow dataset was not quarantined"
wait_until 60 sources_at_least 1 || fail "the valid dataset beside it was not cataloged"
reason=$(last_error_of_state quarantined)
case $reason in
*slow.mzML*"classification exceeded 1 s CPU/wall time"*) ;;
*) fail "quarantine reason: '$reason'" ;;
esac
say "quarantined: $reason"
stop_daemon

# 2. A long timeout, the slow file changed (a new classification starts):
#    meanwhile a new valid dataset is cataloged; then SIGTERM.
echo "<!-- changed -->" >>"$W/drop/slow/slow.mzML"
start_config -v --classify-timeout-seconds 600
classifier_pid() {
    sed -n 's/.*slow\.mzML: classifying (pid \([0-9]*\), at most 600 s).*/\1/p' "$W/daemon.log" | tail -n 1
}
wait_until 60 sh -c "grep -q 'slow.mzML: classifying (pid [0-9]*, at most 600 s)' '$W/daemon.log'" ||
    fail "the changed slow dataset was not handed to a classifier"
slow=$(classifier_pid)
kill -0 "$slow" 2>/dev/null || fail "its classifier $slow does not run"
mkdir -p "$W/stage/ok2"
"$GEN" img "$W/stage/ok2" --stem ok2 --seed 2 >/dev/null || fail "omsi-gen img"
mv "$W/stage/ok2" "$W/drop/ok2"
wait_until 60 sources_at_least 2 || fail "a new dataset was not cataloged while the slow one was being classified"
kill -0 "$slow" 2>/dev/null || fail "the slow classification (pid $slow) ended before the test could use it"
say "cataloged ok2 while classifier $slow was still busy"
stop_daemon
kill -0 "$slow" 2>/dev/null && fail "classifier $slow outlived the daemon"
grep -q "killing 1 classifier(s)" "$W/daemon.log" || fail "the stop did not say it killed the classifier"
partial=$(find "$W/out" -name '*.partial-*' | wc -l)
[ "$partial" -eq 0 ] || fail "$partial partial file(s) left in the output folder"

# 3. The slow file replaced by a valid mzML: out of quarantine, cataloged.
if "$GEN" mzml "$W/stage/m" --stem slow >/dev/null 2>&1 &&
    "$CATALOG_TOOL" check "$W/stage/m/slow.mzML" --json 2>/dev/null | grep -q '"validity": *"valid"'; then
    cp "$W/stage/m/slow.mzML" "$W/stage/slow.new"
    mv "$W/stage/slow.new" "$W/drop/slow/slow.mzML"
    start_config
    wait_until 60 sources_at_least 3 || fail "the replaced dataset was not cataloged"
    [ "$(jobs_in_state quarantined)" -eq 0 ] || fail "still $(jobs_in_state quarantined) job(s) in quarantine"
    "$CATALOG_TOOL" --catalog "$CAT" query --state done --json | grep -q "superseded: the dataset changed" ||
        fail "the released job does not say why"
    stop_daemon
    say "released from quarantine by the change and cataloged"
else
    say "omsi-gen mzml or the mzML reader not working: release step skipped"
fi
check_output_clean
say "ok: a slow classification was quarantined and never stalled the daemon"
exit 0
