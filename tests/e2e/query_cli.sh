#!/bin/sh
# End-to-end: the CLI conventions of issue 13 on generated fixtures: query's
# options parsed like getopt_long (--count, conflicting outputs, unknown
# --format, the brukerflex alias), --catalog after the command, help and
# did-you-mean, --count/--ndjson/--columns/--sort, the output file in table,
# CSV and JSON, the --limit note on stderr, schema_version on every JSON
# document, show's text numbers, and exit 1 for an existing output.
# Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: query_cli: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] && [ -x "$CONVERT" ] || fail "omsi-catalog / omsi-gen / omsi-convert not built"

cat_file=$work/cat.sqlite
cli() { "$CATALOG_BIN" --catalog "$cat_file" "$@"; }
# exit status of a command, its output thrown away
status() { "$@" >"$work/out.txt" 2>"$work/err.txt"; echo $?; }

"$GEN" img "$work/drop/a" --stem kidney_a --shape 4 3 50 --seed 1 >/dev/null || fail "omsi-gen img"
"$GEN" imzml "$work/drop/b" --stem liver_b --shape 5 2 30 --seed 3 >/dev/null || fail "omsi-gen imzml"
"$GEN" brukerflex "$work/drop/c" --stem br --shape 2 2 20 >/dev/null || fail "omsi-gen brukerflex"
cli ingest "$work/drop/a/kidney_a.hdr" "$work/drop/b/liver_b.imzML" "$work/drop/c/br" \
    --output-dir "$work/out" >/dev/null || fail "ingest"

# ---- parsing ----
[ "$(cli query --count)" = 3 ] || fail "--count: $(cli query --count 2>&1)"
[ "$(cli query --count --limit 1)" = 3 ] || fail "--count ignores --limit"
[ "$(cli query --count --format img --format imzml)" = 2 ] || fail "repeated --format: OR"
[ "$(cli query --count --format brukerflex)" = 1 ] || fail "--format brukerflex (alias)"
[ "$(cli query --count --text kid*)" = 1 ] || fail "--text kid* (prefix)"
[ "$(cli query --count --text kid)" = 0 ] || fail "--text kid (no prefix: whole words)"
cli query --count --json | python3 -c 'import json,sys; d=json.load(sys.stdin)
assert d == {"schema_version": 1, "count": 3}, d' || fail "--count --json"
[ "$(status cli query --json --csv)" = 2 ] || fail "--json --csv: exit 2"
grep -q "conflict" "$work/err.txt" || fail "--json --csv message: $(cat "$work/err.txt")"
[ "$(status cli query --format nope)" = 2 ] || fail "unknown --format: exit 2"
grep -q "img, imzml, mzml, bruckerflex" "$work/err.txt" || fail "unknown --format lists the formats: $(cat "$work/err.txt")"
[ "$(status cli query --count=3)" = 2 ] || fail "--count=3: a flag takes no value"
[ "$(status cli query --sort bogus)" = 2 ] || fail "--sort bogus: exit 2"
[ "$(status cli query --columns source,bogus)" = 2 ] || fail "--columns bogus: exit 2"
grep -q "output" "$work/err.txt" || fail "--columns message lists the columns"
[ "$(status "$CONVERT" --format brukerflex "$work/drop/c/br" "$work/br.h5")" = 0 ] ||
    fail "omsi-convert --format brukerflex: $(cat "$work/err.txt")"
[ "$(status cli check --format brukerflex "$work/drop/c/br")" = 0 ] || fail "check --format brukerflex"
[ "$(status cli check --format nope "$work/drop/c/br")" = 2 ] || fail "check --format nope: exit 2"
grep -q "formats: bruckerflex, imzml, img, mzml" "$work/err.txt" || fail "check --format nope lists the formats: $(cat "$work/err.txt")"
[ "$(status "$CONVERT" --format nope "$work/drop/c/br" "$work/nope.h5")" = 2 ] || fail "omsi-convert --format nope: exit 2"
grep -q "bruckerflex" "$work/err.txt" || fail "omsi-convert --format nope lists the formats"

# ---- --catalog after the command, help, did-you-mean ----
[ "$("$CATALOG_BIN" query --catalog "$cat_file" --count)" = 3 ] || fail "--catalog after query"
[ "$("$CATALOG_BIN" query --count --catalog="$cat_file")" = 3 ] || fail "--catalog= after query"
"$CATALOG_BIN" stats --catalog "$cat_file" --json >/dev/null || fail "--catalog after stats"
"$CATALOG_BIN" show 1 --catalog "$cat_file" >/dev/null || fail "--catalog after show"
cli help query | grep -q "^Usage: omsi-catalog .*query" || fail "help query"
[ "$(cli help query)" = "$(cli query --help)" ] || fail "help query = query --help"
cli help | grep -q "^Usage: omsi-catalog" || fail "help"
[ "$(status cli qeury)" = 2 ] || fail "mistyped command: exit 2"
grep -qx "omsi-catalog: unknown command 'qeury'; did you mean 'query'?" "$work/err.txt" ||
    fail "did-you-mean: $(cat "$work/err.txt")"
[ "$(status cli frobnicate)" = 2 ] || fail "unknown command: exit 2"
grep -q "did you mean" "$work/err.txt" && fail "a suggestion for frobnicate: $(cat "$work/err.txt")"

# ---- output ----
out_a=$(cli query --format img --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["output"])')
[ -f "$out_a" ] || fail "JSON output path $out_a"
cli query --format img | grep -qF "$out_a" || fail "the output file in the table"
cli query --format img --csv | grep -qF "$out_a" || fail "the output file in the CSV"
cli query --format img --csv | head -n 1 | grep -q "OUTPUT" || fail "CSV header OUTPUT"
cli query --ndjson >"$work/nd.txt" || fail "--ndjson"
python3 - "$work/nd.txt" <<'PY' || fail "--ndjson: $(cat "$work/nd.txt")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
rows = [json.loads(l) for l in lines]
assert len(rows) == 3 and all("source_id" in r and "n_spectra" in r for r in rows), rows
PY
[ "$(cli query --csv --columns format,source --sort source)" = "$(printf 'FORMAT,SOURCE\r\nimg,1\r\nimzml,2\r\nbruckerflex,3\r')" ] ||
    fail "--columns format,source --sort source: $(cli query --csv --columns format,source --sort source | cat -A)"
[ "$(cli query --columns format --sort=-source)" = "$(printf 'FORMAT\nbruckerflex\nimzml\nimg')" ] ||
    fail "table --columns format --sort=-source: $(cli query --columns format --sort=-source)"
cli query --limit 1 >"$work/t.txt" 2>"$work/t.err" || fail "query --limit 1"
[ "$(wc -l <"$work/t.txt")" = 2 ] || fail "--limit 1: header and one row on stdout: $(cat "$work/t.txt")"
grep -q "only the first 1 rows" "$work/t.err" || fail "--limit note on stderr: $(cat "$work/t.err")"
cli query --csv --limit 2 2>"$work/t.err" | grep -q "more rows\|only the first" && fail "the note in the CSV"
grep -q "only the first 2 rows" "$work/t.err" || fail "--limit note for CSV"
[ "$(cli query --ndjson --limit 2 2>"$work/t.err" | wc -l)" = 2 ] || fail "--ndjson --limit 2: two lines"
grep -q "only the first 2 rows" "$work/t.err" || fail "--limit note for NDJSON"
cli query --limit 3 2>"$work/t.err" >/dev/null; [ -s "$work/t.err" ] && fail "a note when nothing was cut: $(cat "$work/t.err")"

# ---- one vocabulary, schema_version everywhere ----
for args in "check $work/drop/a/kidney_a.hdr --json" "formats --json" "query --json" "show 1 --json" \
    "stats --json" "verify --json" "spectrum 1 --mean --json"; do
    # shellcheck disable=SC2086
    cli $args >"$work/doc.json" || fail "$args"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert isinstance(d, dict) and d.get("schema_version") == 1 and list(d)[0] == "schema_version", list(d)' \
        "$work/doc.json" || fail "$args: no schema_version first"
done
cli ingest "$work/drop/a/kidney_a.hdr" --output-dir "$work/out" --json | python3 -c 'import json,sys
d=json.load(sys.stdin); assert d["schema_version"]==1 and d["results"][0]["outcome"]=="unchanged", d' ||
    fail "ingest --json"
"$CONVERT" --json "$work/drop/a/kidney_a.hdr" "$work/conv.h5" 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); ds=d["experiments"][0]["datasets"][0]
assert d["schema_version"]==1 and ds["shape"]==[4,3,50] and ds["pixel_count"]==12 and ds["n_spectra"]==12, d' ||
    fail "omsi-convert --json"
python3 - "$CATALOG_BIN" "$cat_file" "$work/drop/a/kidney_a.hdr" <<'PY' || fail "the same names in check, show and query"
import json, subprocess, sys
bin, cat, path = sys.argv[1:]
run = lambda *a: json.loads(subprocess.check_output([bin, "--catalog", cat] + list(a)))
c = run("check", path, "--json")["paths"][0]["datasets"][0]
s = run("show", "1", "--json")
d = s["experiments"][0]["datasets"][0]
q = run("query", "--format", "img", "--json")["rows"][0]
for k in ("shape", "pixel_count", "n_spectra"):
    assert c[k] == d[k] == q[k], (k, c.get(k), d.get(k), q.get(k))
assert s["ingested_at"] == q["ingested_at"] and s["ingested_at"].endswith("Z") and "T" in s["ingested_at"], s
assert s["ingested_at_unix"] == q["ingested_at_unix"], (s, q)
# Every time in show is ISO with its unix seconds beside it, jobs too.
job = s["jobs"][0]
for k in ("created_at", "started_at", "finished_at"):
    assert isinstance(job[k], str) and job[k].endswith("Z") and "T" in job[k], (k, job)
    assert isinstance(job[k + "_unix"], float) and job[k + "_unix"] > 1.5e9, (k, job)
assert job["created_at_unix"] <= job["started_at_unix"] <= job["finished_at_unix"], job
assert isinstance(run("stats", "--json")["totals"], dict)
PY
cli show 1 >"$work/show.txt" || fail "show text"
# %.10g: no number of more than 10 significant digits (0.04533296799 is
# ten, 760.59000000000003 is seventeen).
long_number=$(grep -oE '[0-9]+\.[0-9]+' "$work/show.txt" |
    awk '{ d = $0; sub(/\./, "", d); sub(/^0+/, "", d); if (length(d) > 10) print $0 }' | head -n 1)
[ -z "$long_number" ] || fail "show text prints a double in full: $long_number"
grep -qE '^ingested_at: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$work/show.txt" || fail "show text: ingested_at as ISO"
grep -q "_unix" "$work/show.txt" && fail "show text prints unix seconds"

# ---- an existing output is not a usage error ----
[ "$(status "$CONVERT" "$work/drop/a/kidney_a.hdr" "$work/conv.h5")" = 1 ] || fail "omsi-convert onto an existing file: exit 1"
grep -q "already exists" "$work/err.txt" || fail "existing output message: $(cat "$work/err.txt")"

# ---- tables on a terminal (script(1) gives a pty; COLUMNS its width) ----
if command -v script >/dev/null 2>&1; then
    "$GEN" img "$work/drop/ñandú_sämple_ünïcode_folder" --stem kidney_u --shape 2 2 10 >/dev/null || fail "omsi-gen img (non-ASCII)"
    cli ingest "$work/drop/ñandú_sämple_ünïcode_folder/kidney_u.hdr" --output-dir "$work/out" >/dev/null || fail "ingest (non-ASCII)"
    tty_query() { # width args...
        w=$1; shift
        COLUMNS=$w script -qec "$CATALOG_BIN --catalog $cat_file query $*" /dev/null | tr -d '\r'
    }
    tty_query 80 >"$work/tty80.txt" || fail "query on a terminal"
    python3 - "$work/tty80.txt" <<'PY' || fail "80-column table: $(cat "$work/tty80.txt")"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 5, lines
assert all(len(l) <= 80 for l in lines), [len(l) for l in lines]
assert lines[0].split()[:2] == ["SOURCE", "FORMAT"] and "PATH" in lines[0] and "OUTPUT" in lines[0], lines[0]
assert any("\u2026" in l and l.rstrip().endswith(".h5") for l in lines[1:]), lines  # cut in the middle
path = [l.split()[4] for l in lines[1:] if l.split()[0] == "4"][0]
head, tail = path.split("\u2026")  # the start and the end of the real path
assert head.startswith("/") and tail.endswith("_u.hdr") and len(tail) > len(head), path
PY
    tty_query 200 --columns source,path,ingested >"$work/tty200.txt" || fail "query --columns on a terminal"
    python3 - "$work/tty200.txt" "$work/drop" <<'PY' || fail "non-ASCII alignment: $(cat "$work/tty200.txt")"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines[0].split() == ["SOURCE", "PATH", "INGESTED"], lines[0]
cols = [lines[0].index("INGESTED")] + [l.index(" 20", 10) + 1 for l in lines[1:]]
assert len(set(cols)) == 1, cols  # every row's INGESTED at the same column (ñ, ä, ü: one cell each)
assert any(sys.argv[2] + "/ñandú_sämple_ünïcode_folder/kidney_u.hdr" in l for l in lines), lines
PY
else
    echo "SKIP (part): terminal tables: script(1) not found"
fi
echo "ok: query options, help, did-you-mean, output forms, one JSON vocabulary, terminal tables"
