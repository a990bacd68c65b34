#!/bin/sh
# End-to-end: `omsi-catalog check --stats --json` on every dataset of the
# shared corpus whose format is in OMSI_CHECK_FORMATS, compared with
# ../shared/testdata/expected.json (relative tolerance 1e-9 on floats).
# Skips (77) when ../shared or python3 is absent.
#
#   OMSI_CHECK_FORMATS="img imzml"          formats to check (reader names:
#                                            img imzml mzml bruckerflex)
set -u

CHECK_FORMATS=${OMSI_CHECK_FORMATS-"img imzml mzml bruckerflex"}

builddir=${OMSI_BUILDDIR:-.}
srcdir=${OMSI_SRCDIR:-.}
shared=${OMSI_SHARED:-$srcdir/../shared}
expected=$shared/testdata/expected.json
program=$builddir/omsi-catalog

if [ ! -f "$expected" ]; then
    echo "SKIP: check_cli: $expected not found (set OMSI_SHARED to the shared corpus)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: check_cli: python3 not found (needed to compare JSON)"
    exit 77
fi
if [ ! -x "$program" ]; then
    echo "FAIL: check_cli: $program not built"
    exit 1
fi

exec python3 -c '
import json, subprocess, sys

program, testdata, expected_path, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
REL = 1e-9
# expected.json format names -> reader names
FORMAT_OF = {"analyze75": "img", "imzml": "imzml", "mzml": "mzml",
             "brukerflex": "bruckerflex", "brukerflex-spotlist": "bruckerflex"}

def close(a, b):
    if a is None or b is None:
        return a is b
    return abs(a - b) <= REL * max(abs(a), abs(b), 1.0)

expected = json.load(open(expected_path))["datasets"]
failures = checked = 0
for key in sorted(expected):
    exp = expected[key]
    fmt = FORMAT_OF.get(exp.get("format"), exp.get("format"))
    if fmt not in wanted:
        continue
    checked += 1
    path = testdata + "/" + key
    run = subprocess.run([program, "check", "--stats", "--json", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    problems = []
    try:
        got = json.loads(run.stdout)["paths"][0]
    except Exception as e:
        got = None
        problems.append("no JSON on stdout (%s); exit %d; stderr: %s" % (e, run.returncode, run.stderr.strip()))
    if got is not None:
        if got.get("format") != fmt:
            problems.append("format %r, expected %r" % (got.get("format"), fmt))
        spectra_absent = exp.get("spot_folder_present") is False
        if spectra_absent:
            # a spot list whose spot folder is not there (yet): incomplete, named
            if got.get("validity") != "incomplete" or exp["spot_folder"] not in (got.get("error") or ""):
                problems.append("expected incomplete naming %s: %r %r" % (exp["spot_folder"], got.get("validity"), got.get("error")))
            if run.returncode != 1:
                problems.append("exit status %d, expected 1" % run.returncode)
        elif not got.get("valid"):
            problems.append("not valid: %s" % got.get("error"))
        if run.returncode != 0 and not spectra_absent:
            problems.append("exit status %d" % run.returncode)
        if fmt == "mzml" and exp.get("scan_type_summary"):
            types = exp["scan_type_summary"]
            per_type = got.get("datasets", [])
            if len(per_type) != len(types):
                problems.append("%d datasets, expected %d scan types" % (len(per_type), len(types)))
            for ds, t in zip(per_type, types):
                if ds.get("name") != t["filter"]:
                    problems.append("dataset name %r, expected %r" % (ds.get("name"), t["filter"]))
                for k in ("total_intensity", "mz_min", "mz_max"):
                    h = ds.get(k)
                    if not (isinstance(h, (int, float)) and close(float(h), t[k])):
                        problems.append("%s: %s = %r, expected %r" % (t["filter"], k, h, t[k]))
        if fmt == "bruckerflex" and "spots" in exp:
            first_spot = exp["spots"][0]
            merged_ds = [d for d in got.get("datasets", []) if d.get("region") is None]
            if merged_ds:
                cmp_ok = merged_ds[0].get("n_mz") == first_spot["TD"] and merged_ds[0].get("shape") == [len(exp["spots"]), 1, first_spot["TD"]]
                if not cmp_ok:
                    problems.append("shape %r, expected [%d, 1, %d]" % (merged_ds[0].get("shape"), len(exp["spots"]), first_spot["TD"]))
                for k, e in (("mz_first", first_spot["mz_first"]), ("mz_last", first_spot["mz_last"])):
                    h = merged_ds[0].get(k)
                    if not (isinstance(h, float) and close(h, e)):
                        problems.append("%s = %r, expected %r" % (k, h, e))
        merged = [d for d in got.get("datasets", []) if d.get("region") is None]
        first = merged[0] if merged else {}
        def cmp(name, have, want, exact=False):
            ok = (have == want) if exact else (isinstance(have, (int, float)) and close(float(have), float(want)))
            if not ok:
                problems.append("%s = %r, expected %r" % (name, have, want))
        if "total_intensity" in exp:
            total = sum(d.get("total_intensity") or 0.0 for d in merged)
            cmp("total_intensity", total, exp["total_intensity"])
        if len(merged) == 1:
            if "n_mz" in exp:
                cmp("n_mz", first.get("n_mz"), exp["n_mz"], exact=True)
                if "bastet_shape" in exp:
                    cmp("shape", first.get("shape"), exp["bastet_shape"], exact=True)
            elif "mz_distinct_values" in exp:
                cmp("n_mz", first.get("n_mz"), exp["mz_distinct_values"], exact=True)
            for k in ("mz_min", "mz_max"):
                if k in exp:
                    cmp(k, first.get(k), exp[k])
            if "n_spectra" in exp:
                cmp("n_spectra", first.get("n_spectra"), exp["n_spectra"], exact=True)
                cmp("spectra_read", first.get("spectra_read"), exp["n_spectra"], exact=True)
            if "pixel_count" in exp and exp.get("empty_grid_cells", 0) == 0:
                cmp("pixel_count", first.get("pixel_count"), exp["pixel_count"], exact=True)
        if fmt == "img":
            cmp("size_bytes", got.get("size_bytes"), exp["img_size"], exact=True)
            cmp("dtype", first.get("dtype"), {2: "uint8", 4: "int16", 8: "int32", 16: "float32", 64: "float64"}.get(exp["datatype"]), exact=True)
            cmp("mz_first", first.get("mz_first"), exp["mz_first"])
            cmp("mz_last", first.get("mz_last"), exp["mz_last"])
            cmp("mz_strictly_increasing", first.get("mz_strictly_increasing"), exp["mz_strictly_increasing"], exact=True)
    if problems:
        failures += 1
        print("FAIL: %s" % key)
        for p in problems:
            print("    " + p)
    else:
        print("ok:   %s (%s)" % (key, fmt))
print("check_cli: %d datasets of formats [%s] checked, %d failed" % (checked, " ".join(wanted), failures))
if checked == 0:
    print("SKIP: no expected.json entries for formats %s" % " ".join(wanted))
    sys.exit(77)
sys.exit(1 if failures else 0)
' "$program" "$shared/testdata" "$expected" "$CHECK_FORMATS"
