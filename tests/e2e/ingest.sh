#!/bin/sh
# End-to-end: `omsi-catalog ingest` of generated fixtures (content known in
# closed form) and of the shared corpus into a temporary catalog, rows
# asserted through `query --json`, `show --json` and `stats --json`;
# re-ingest unchanged / changed; the CLI's exit codes and error messages.
# The shared part covers the formats in OMSI_INGEST_FORMATS (default: all
# four readers) and is left out without ../shared.
# Skips (77) without python3.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: ingest: python3 not found"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] || fail "omsi-catalog / omsi-gen not built"

shared=${OMSI_SHARED:-$srcdir/../shared}
formats=${OMSI_INGEST_FORMATS-"img imzml mzml bruckerflex"}
cat_file=$work/cat.sqlite
export CATALOG_BIN
cli() { "$CATALOG_BIN" --catalog "$cat_file" "$@"; }

# ---- generated fixtures ----
"$GEN" img "$work/drop/a" --stem run_a --shape 4 3 50 --seed 1 >/dev/null || fail "omsi-gen img"
"$GEN" imzml "$work/drop/b" --stem run_b --shape 5 2 30 --seed 3 --variant processed >/dev/null ||
    fail "omsi-gen imzml"
cli ingest "$work/drop/a/run_a.hdr" "$work/drop/b/run_b.imzML" --output-dir "$work/out" --json \
    >"$work/ingest1.json" || fail "ingest of generated fixtures"

python3 - "$work" <<'EOF' || fail "generated fixtures: rows"
import json, subprocess, sys, os
work = sys.argv[1]
def total(nx, ny, nz, seed):
    return float(sum((31*x + 17*y + 7*k + 13*seed) % 251
                     for x in range(nx) for y in range(ny) for k in range(nz)))
doc = json.load(open(os.path.join(work, "ingest1.json")))
assert doc["schema_version"] == 1, doc
ing = doc["results"]
assert [r["outcome"] for r in ing] == ["new", "new"], ing
assert all(os.path.isfile(r["output"]) for r in ing), ing
q = json.loads(subprocess.check_output(
    [os.environ["CATALOG_BIN"], "--catalog", work + "/cat.sqlite", "query", "--json"]))
assert q["truncated"] is False and q["schema_version"] == 1, q
rows = {r["format"]: r for r in q["rows"]}
assert len(q["rows"]) == 2 and set(rows) == {"img", "imzml"}, q
a, b = rows["img"], rows["imzml"]
assert a["shape"] == [4, 3, 50] and a["n_spectra"] == 12 and a["pixel_count"] == 12, a
assert a["ingested_at"].endswith("Z") and a["ingested_at_unix"] > 0, a
assert os.path.isfile(a["output"]) and a["output"].endswith(".h5"), a
assert a["mz_min"] == 100.0 and a["mz_max"] == 124.5, a
assert a["total_intensity"] == total(4, 3, 50, 1), (a["total_intensity"], total(4, 3, 50, 1))
assert a["path"] == os.path.realpath(work + "/drop/a/run_a.hdr"), a
assert a["hdf5_path"] == "/entry_0/data_0" and a["version"] == 1, a
assert b["shape"][:2] == [5, 2] and b["n_spectra"] == 10, b
assert b["total_intensity"] == total(5, 2, 30, 3), (b["total_intensity"], total(5, 2, 30, 3))
assert b["mz_min"] == 100.0 and b["mz_max"] == 114.5, b
EOF

# Filters through the CLI.
n_rows() { cli query --json "$@" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))'; }
[ "$(n_rows --format img)" = 1 ] || fail "--format img"
[ "$(n_rows --mz 114.5 --ppm 0)" = 2 ] || fail "--mz 114.5 covers both"
[ "$(n_rows --mz 120)" = 1 ] || fail "--mz 120 only the img"
[ "$(n_rows --min-pixels 11)" = 1 ] || fail "--min-pixels 11"
[ "$(n_rows --text run_b)" = 1 ] || fail "--text run_b"
[ "$(n_rows --since 2000-01-01 --until 2000-01-02)" = 0 ] || fail "--since/--until"
[ "$(n_rows --meta format~analyze)" = 1 ] || fail "--meta format~analyze"
cli query --json --limit 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["truncated"] and len(d["rows"])==1' ||
    fail "--limit 1: truncated flag"
cli query --csv | head -1 | grep -q '^SOURCE,FORMAT,DATASET,NAME,SHAPE' || fail "--csv header"
cli query | grep -q 'run_a.hdr' || fail "table output"

# Re-ingest: unchanged, then changed content -> a new version.
cli ingest "$work/drop/a/run_a.hdr" --output-dir "$work/out" | grep -q '^unchanged' || fail "re-ingest unchanged"
"$GEN" img "$work/drop/a" --stem run_a --shape 4 3 50 --seed 2 >/dev/null || fail "omsi-gen img (changed)"
cli ingest "$work/drop/a/run_a.hdr" --output-dir "$work/out" | grep -q '^new-version' || fail "re-ingest changed"
[ "$(n_rows --format img)" = 1 ] || fail "only the current version listed"
[ "$(n_rows --format img --all-versions)" = 2 ] || fail "--all-versions lists both"
ls "$work/out" | grep -c '\.h5$' | grep -qx 3 || fail "three HDF5 files expected in the output folder"

cli show 1 --json | python3 -c '
import json,sys; s=json.load(sys.stdin)
assert s["format"]=="img" and s["superseded_by"]==3 and len(s["versions"])==2, s
assert [j["state"] for j in s["jobs"]]==["done", "done", "done"], s["jobs"]
d=s["experiments"][0]["datasets"][0]
assert s["schema_version"]==1 and s["source_id"]==1 and s["ingested_at"].endswith("Z"), s
assert d["shape"]==[4,3,50] and d["pixel_count"]==12 and d["n_spectra"]==12 and any(m["key"]=="format" for m in d["metadata"]), d' || fail "show --json"
cli stats --json | python3 -c '
import json,sys; s=json.load(sys.stdin); t=s["totals"]
assert t["sources"]==2 and t["superseded"]==1 and t["datasets"]==2, s' || fail "stats --json"

# Exit codes and messages.
cli query --mz abc >/dev/null 2>"$work/err"; [ $? = 2 ] || fail "bad filter: exit 2"
grep -q "not a number" "$work/err" || fail "bad filter message"
cli show 99 >/dev/null 2>"$work/err"; [ $? = 1 ] || fail "show of a missing source: exit 1"
grep -q "no source with id 99" "$work/err" || fail "show 99 message"
"$CATALOG_BIN" --catalog "$work/nope/cat.sqlite" query >/dev/null 2>"$work/err"; [ $? = 1 ] ||
    fail "missing catalog: exit 1"
grep -q "nope/cat.sqlite" "$work/err" || fail "missing catalog message names the file"
head -c 5000 /dev/zero | tr '\0' 'x' >"$work/junk.sqlite"
"$CATALOG_BIN" --catalog "$work/junk.sqlite" stats >/dev/null 2>"$work/err"; [ $? = 1 ] || fail "corrupt catalog: exit 1"
grep -q "not an omsi-catalog SQLite file" "$work/err" || fail "corrupt catalog message"
cli ingest "$work/junk.sqlite" --output-dir "$work/out" >/dev/null 2>"$work/err"; [ $? = 1 ] ||
    fail "ingest of a non-dataset: exit 1"
grep -q "junk.sqlite" "$work/err" || fail "non-dataset message names the file"
cli query --state quarantined --json | python3 -c '
import json,sys; r=json.load(sys.stdin)["rows"]
assert len(r)==1 and r[0]["path"].endswith("junk.sqlite") and "junk.sqlite" in r[0]["last_error"], r' ||
    fail "failed ingest recorded as a quarantined job"
for c in ingest query show stats; do
    cli "$c" --help | grep -q "^Usage: omsi-catalog" || fail "$c --help"
done
echo "ok: generated fixtures ingested, filters, versions, show/stats, exit codes"

# Regions and dependencies from real conversions: a Bruker tree with two
# regions and an mzML file with two scan types (MS1 and MS2).
"$GEN" brukerflex "$work/drop/c" --stem br --shape 4 4 30 --variant regions=2 >/dev/null || fail "omsi-gen brukerflex"
"$GEN" mzml "$work/drop/c" --stem ms --shape 3 2 20 --variant scantypes=2 >/dev/null || fail "omsi-gen mzml"
"$CATALOG_BIN" --catalog "$work/links.sqlite" ingest "$work/drop/c/br" "$work/drop/c/ms.mzML" \
    --output-dir "$work/out" >/dev/null || fail "ingest of Bruker regions and mzML scan types"
"$CATALOG_BIN" --catalog "$work/links.sqlite" show 1 --json | python3 -c '
import json,sys; ds=json.load(sys.stdin)["experiments"][0]["datasets"]
got=[(d["hdf5_path"], d["source_region"], d["shape"][0], d["shape"][1],
      [(r["name"], r["x0"], r["y0"], r["shape"][0], r["shape"][1], r["n_spectra"]) for r in d["regions"]],
      [(k["link_name"], k["target"], k["type"]) for k in d["dependencies"]]) for d in ds]
want=[("/entry_0/data_0", -1, 4, 4, [], [("msi_region_0", "/entry_0/data_1", "contains"),
                                        ("msi_region_1", "/entry_0/data_2", "contains")]),
      ("/entry_0/data_1", 0, 2, 4, [("region_0", 0, 0, 2, 4, 8)], [("msi_full", "/entry_0/data_0", "subset")]),
      ("/entry_0/data_2", 1, 2, 4, [("region_1", 2, 0, 2, 4, 8)], [("msi_full", "/entry_0/data_0", "subset")])]
assert got==want, got' || fail "Bruker regions and dependencies rows"
"$CATALOG_BIN" --catalog "$work/links.sqlite" show 2 --json | python3 -c '
import json,sys; ds=json.load(sys.stdin)["experiments"][0]["datasets"]
got=[(d["name"].split(" [")[0], d["n_spectra"], [(k["link_name"], k["target"]) for k in d["dependencies"]]) for d in ds]
assert got==[("FTMS + p MALDI Full ms", 6, [("MS2_760.59@cid35.00_[205.00-775.00]", "/entry_0/data_1")]),
             ("ITMS + c MALDI Full ms2 760.59@cid35.00", 6, [("MS1", "/entry_0/data_0")])], got' ||
    fail "mzML scan types and MS1/MS2 links"
[ "$("$CATALOG_BIN" --catalog "$work/links.sqlite" query --json --text ms2 |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))')" = 2 ] || fail "--text ms2 (scan type names)"
echo "ok: regions and dependencies of generated Bruker and mzML datasets"

# ---- shared corpus ----
if [ ! -f "$shared/testdata/expected.json" ]; then
    echo "SKIP (part): ingest of the shared corpus: $shared/testdata not found (set OMSI_SHARED)"
    exit 0
fi
python3 - "$shared/testdata" "$work" "$formats" <<'EOF' || fail "shared corpus"
import json, os, subprocess, sys
testdata, work, wanted = sys.argv[1], sys.argv[2], sys.argv[3].split()
FORMAT_OF = {"analyze75": "img", "imzml": "imzml", "mzml": "mzml",
             "brukerflex": "bruckerflex", "brukerflex-spotlist": "bruckerflex"}
expected = json.load(open(os.path.join(testdata, "expected.json")))["datasets"]
cat = os.path.join(work, "shared.sqlite")
cli = [os.environ["CATALOG_BIN"], "--catalog", cat]
checked = 0
for key, exp in sorted(expected.items()):
    fmt = FORMAT_OF.get(exp.get("format"))
    if fmt not in wanted:
        continue
    path = os.path.join(testdata, key)
    out = subprocess.run(cli + ["ingest", path, "--output-dir", os.path.join(work, "shared-out"), "--json"],
                         capture_output=True, text=True)
    res = json.loads(out.stdout)["results"][0]
    if exp.get("spot_folder_present") is False:
        # a spot list without its spectra: refused as incomplete, nothing recorded
        assert out.returncode == 1 and res["outcome"] == "failed" and "missing" in res["error"], \
            (key, out.stdout)
        checked += 1
        continue
    assert out.returncode == 0 and res["outcome"] == "new", (key, out.stdout, out.stderr)
    show = json.loads(subprocess.check_output(cli + ["show", str(res["source_id"]), "--json"]))
    assert show["format"] == fmt and show["path"] == os.path.realpath(path.rstrip("/")), (key, show)
    datasets = [d for x in show["experiments"] for d in x["datasets"] if d["source_region"] == -1]
    assert datasets, key
    tot = sum(d["total_intensity"] for d in datasets)
    assert abs(tot - exp["total_intensity"]) <= 1e-9 * max(1.0, abs(exp["total_intensity"])), \
        (key, tot, exp["total_intensity"])
    d = datasets[0]
    if "pixel_count" in exp and exp.get("empty_grid_cells", 0) == 0:
        assert d["n_spectra"] == exp["pixel_count"], (key, d["n_spectra"], exp["pixel_count"])
    if "n_mz" in exp:
        assert d["shape"][2] == exp["n_mz"], (key, d["shape"], exp["n_mz"])
    for k in ("mz_min", "mz_max"):
        if k in exp:
            assert abs(d[k] - exp[k]) <= 1e-6 * abs(exp[k]), (key, k, d[k], exp[k])
    # the same dataset again: unchanged
    again = json.loads(subprocess.check_output(
        cli + ["ingest", path, "--output-dir", os.path.join(work, "shared-out"), "--json"]))["results"][0]
    assert again["outcome"] == "unchanged" and again["source_id"] == res["source_id"], (key, again)
    q = json.loads(subprocess.check_output(cli + ["query", "--json", "--format", fmt, "--limit", "0"]))
    assert any(r["source_id"] == res["source_id"] for r in q["rows"]), (key, q)
    checked += 1
assert checked > 0, "no shared dataset of formats %s" % wanted
print("ok: %d shared datasets ingested and asserted (formats: %s)" % (checked, " ".join(wanted)))
EOF
