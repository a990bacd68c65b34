#!/bin/sh
# End-to-end: quarantine in and out.
#  1. An Analyze set whose .img stays short (settled, and the reader keeps
#     calling it incomplete) is quarantined with the reader's reason once it
#     has been unchanged for 10 x the settle time, instead of "incomplete,
#     waiting" forever.
#  2. When the dataset then changes (the copy is finished), it leaves
#     quarantine: a new job converts it, and the quarantined job's record
#     says "superseded: the dataset changed".
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_quarantine

"$GEN" img "$W/stage/q" --stem q >/dev/null || fail "omsi-gen"
mkdir -p "$W/drop/q"
cp "$W/stage/q/q.hdr" "$W/stage/q/q.t2m" "$W/drop/q/"
size=$(wc -c <"$W/stage/q/q.img")
head -c $((size / 2)) "$W/stage/q/q.img" >"$W/drop/q/q.img"

start_daemon --settle 0.5 --max-attempts 2 --retry-backoff 1
in_state() { [ "$(jobs_in_state "$1")" -eq "$2" ]; }
wait_until 25 in_state quarantined 1 || fail "the short dataset was not quarantined ($(jobs_in_state quarantined) quarantined)"
reason=$("$CATALOG_TOOL" --catalog "$CAT" query --state quarantined --json | python3 -c 'import json,sys
d = json.load(sys.stdin); rows = d["rows"] if isinstance(d, dict) else d
print(rows[0].get("last_error") or rows[0].get("error") or "")')
case $reason in
*incomplete*) ;;
*) fail "quarantine reason: '$reason'" ;;
esac
say "quarantined: $reason"

# 2. The copy finishes: out of quarantine, converted.
cat "$W/stage/q/q.img" >"$W/drop/q/q.img"
wait_until 30 sources_at_least 1 || fail "the finished dataset was not cataloged"
[ "$(jobs_in_state quarantined)" -eq 0 ] || fail "still $(jobs_in_state quarantined) job(s) in quarantine"
[ "$(jobs_in_state done)" -eq 2 ] || fail "$(jobs_in_state done) done jobs, expected 2 (the released one and the new one)"
"$CATALOG_TOOL" --catalog "$CAT" query --state done --json | grep -q "superseded: the dataset changed" ||
    fail "the released job does not say why: $("$CATALOG_TOOL" --catalog "$CAT" query --state done)"
check_output_clean
say "ok: quarantined with its reason, released by a change, then cataloged"
exit 0
