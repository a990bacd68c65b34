#!/bin/sh
# End-to-end: omsi-watchd (inotify) on a temp drop folder while datasets are
# copied in slowly: every file grows in two halves, a companion (.t2m)
# arrives long after the rest, sub-folders appear on the fly. Each dataset
# must be cataloged exactly once, never half-written (no failed job), and the
# sources must be byte-identical afterwards. SIGTERM then exits 0.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_growing

formats=$(watchd_working_formats)
say "formats with a working generator and reader: $formats"
n=0
for f in $formats; do
    for seed in 1 2; do
        "$GEN" "$f" "$W/stage/$f-$seed" --stem "ds_${f}_$seed" --seed "$seed" --shape 6 5 40 >/dev/null ||
            fail "omsi-gen $f"
        n=$((n + 1))
    done
done
(cd "$W/stage" && find . -type f -exec sha256sum {} + | sort -k2) >"$W/sha.before"

start_daemon --settle 2 --workers 2
sleep 0.5
kill -0 "$DAEMON_PID" 2>/dev/null || fail "daemon did not start"

# Analyze: .hdr and .img first, the .t2m only after more than the settle
# time: the dataset must wait (incomplete), not fail.
mkdir -p "$W/drop/late"
cp "$W/stage/img-1/ds_img_1.hdr" "$W/stage/img-1/ds_img_1.img" "$W/drop/late/"
sleep 3.5
[ "$(jobs_in_state failed)" -eq 0 ] || fail "a dataset without its .t2m was taken"
sources_at_least 1 && fail "a dataset without its .t2m was cataloged"
cp "$W/stage/img-1/ds_img_1.t2m" "$W/drop/late/"

# Everything else grows slowly, in new nested folders.
for d in "$W"/stage/*; do
    name=$(basename "$d")
    [ "$name" = img-1 ] && continue
    copy_slowly "$d" "$W/drop/incoming/$name"
done

wait_until 90 sources_at_least "$n" || fail "only $(catalog_sources | cut -d' ' -f1) of $n datasets cataloged"
sleep 3 # a late duplicate would show up now
set -- $(catalog_sources)
[ "$1" -eq "$n" ] || fail "$1 sources cataloged, expected $n"
[ "$2" -eq 0 ] || fail "$2 dataset(s) cataloged more than once"
[ "$(jobs_in_state failed)" -eq 0 ] || fail "failed jobs: $("$CATALOG_TOOL" --catalog "$CAT" query --state failed)"
[ "$(jobs_in_state quarantined)" -eq 0 ] || fail "quarantined jobs"
[ "$(jobs_in_state done)" -eq "$n" ] || fail "$(jobs_in_state done) jobs done, expected $n"
check_output_clean

(cd "$W/stage" && find . -type f -exec sha256sum {} + | sort -k2) >"$W/sha.after"
cmp -s "$W/sha.before" "$W/sha.after" || fail "source files changed"
for f in $(cd "$W/stage" && find . -type f); do
    case $f in ./img-1/*) dest=$W/drop/late/$(basename "$f") ;; *) dest=$W/drop/incoming/${f#./} ;; esac
    cmp -s "$W/stage/$f" "$dest" || fail "$dest differs from what was copied in"
done

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
[ "$rc" -eq 0 ] || fail "daemon exited $rc after SIGTERM"
grep -q "stopping" "$W/daemon.log" || fail "no stop message in the log"
say "ok: $n datasets cataloged once each while growing; SIGTERM exit 0"
exit 0
