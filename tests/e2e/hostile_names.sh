#!/bin/sh
# End-to-end: a dataset whose folder name holds a newline, a tab and an ESC
# sequence. `omsi-catalog ingest` and `query` text output and the error log
# print it escaped (\n \t \e) on one line, never raw; --json keeps the exact
# name; --csv quotes it and escapes the tab and ESC (the newline stays, inside
# the quotes, as RFC 4180 allows). Also the audit's hostile query arguments:
# an INT64_MAX --limit, an empty --text and a date that does not exist. Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: hostile_names: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] || fail "omsi-catalog / omsi-gen not built"

nl=$(printf '\nx'); nl=${nl%x}
tab=$(printf '\t')
esc=$(printf '\033')
evil="$work/drop/evil${nl}forged: job 1 done${tab}tab${esc}[31mred"
escaped='evil\nforged: job 1 done\ttab\e[31mred'
cat_file=$work/cat.sqlite
cli() { "$CATALOG_BIN" --catalog "$cat_file" "$@"; }

"$GEN" img "$evil" --stem run --shape 3 2 20 --seed 2 >/dev/null || fail "omsi-gen img into a hostile folder"

cli ingest "$evil/run.hdr" --output-dir "$work/out" >"$work/ingest.txt" 2>"$work/ingest.err" ||
    fail "ingest: $(cat "$work/ingest.err")"
[ "$(wc -l <"$work/ingest.txt")" -eq 1 ] || fail "ingest text output is not one line: $(cat -A "$work/ingest.txt")"
grep -qF "$escaped" "$work/ingest.txt" || fail "ingest text output not escaped: $(cat -A "$work/ingest.txt")"

cli query >"$work/query.txt" 2>"$work/query.err" || fail "query: $(cat "$work/query.err")"
[ "$(wc -l <"$work/query.txt")" -eq 2 ] || fail "query text output: not header + one row: $(cat -A "$work/query.txt")"
grep -qF "$escaped/run.hdr" "$work/query.txt" || fail "query text output not escaped: $(cat -A "$work/query.txt")"
if grep -q "$esc" "$work/query.txt" "$work/ingest.txt"; then fail "a raw ESC reached the terminal output"; fi

# JSON keeps the exact name.
cli query --json | python3 -c 'import json, sys
rows = json.load(sys.stdin)["rows"]
want = sys.argv[1] + "/run.hdr"
assert len(rows) == 1 and rows[0]["path"] == want, (rows, want)' "$evil" || fail "query --json: path not exact"

# CSV (RFC 4180): the path is one quoted field; its newline stays (RFC 4180
# allows it inside quotes), the tab and the ESC are escaped like the table.
cli query --csv >"$work/query.csv" 2>"$work/csv.err" || fail "query --csv: $(cat "$work/csv.err")"
if grep -q -e "$esc" -e "$tab" "$work/query.csv"; then fail "a raw ESC or tab in the CSV output: $(cat -A "$work/query.csv")"; fi
python3 - "$work/query.csv" "$work/drop" <<'PY' || fail "query --csv: $(cat -A "$work/query.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) == 2 and "PATH" in rows[0], rows
path = rows[1][rows[0].index("PATH")]
want = sys.argv[2] + "/evil\nforged: job 1 done\\ttab\\e[31mred/run.hdr"
assert path == want, (path, want)
PY

# The error log of a broken dataset under the same name: one escaped line.
printf 'not a header' >"$evil/broken.hdr"
printf 'xx' >"$evil/broken.t2m"
printf 'yy' >"$evil/broken.img"
cli ingest "$evil/broken.hdr" --output-dir "$work/out" >/dev/null 2>"$work/broken.err" &&
    fail "ingest of a broken dataset succeeded"
[ "$(wc -l <"$work/broken.err")" -eq 1 ] || fail "error log is not one line: $(cat -A "$work/broken.err")"
grep -qF "$escaped" "$work/broken.err" || fail "error log not escaped: $(cat -A "$work/broken.err")"

# Hostile query arguments: clear usage errors (exit 2), or rows.
cli query --limit 9223372036854775807 >"$work/big.txt" 2>&1 || fail "--limit INT64_MAX: $(cat "$work/big.txt")"
[ "$(wc -l <"$work/big.txt")" -eq 2 ] || fail "--limit INT64_MAX: $(cat "$work/big.txt")"
cli query --limit 1 --offset 9223372036854775807 >/dev/null 2>&1 || fail "--offset INT64_MAX failed"
cli query --text '' >/dev/null 2>"$work/text.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--text: '' has no words" "$work/text.err" ||
    fail "--text '': exit $rc, $(cat "$work/text.err")"
cli query --text 'NEAR(" AND' >/dev/null 2>"$work/near.err" || fail "--text with FTS5 syntax: $(cat "$work/near.err")"
cli query --since 2026-02-30 >/dev/null 2>"$work/date.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "not a date that exists" "$work/date.err" ||
    fail "--since 2026-02-30: exit $rc, $(cat "$work/date.err")"
echo "ok: hostile names escaped in ingest/query/log output, exact in JSON; hostile query arguments"
