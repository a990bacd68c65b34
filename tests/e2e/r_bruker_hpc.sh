#!/bin/sh
# End-to-end: the m/z axis omsi-convert writes for a generated Bruker flex
# run with high-precision calibration equals readBrukerFlexData's
# readBrukerFlexFile(useHpc = TRUE) with --calibration auto (the default) and
# hpc, and readBrukerFlexFile(useHpc = FALSE) with --calibration plain; the
# two differ (so the comparison can fail), and the metadata say which was
# used. Skips (77) without Rscript + readBrukerFlexData
# (r-cran-readbrukerflexdata) or python3-h5py.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v Rscript >/dev/null 2>&1 || { echo "SKIP: r_bruker_hpc: no Rscript (r-base-core)"; exit 77; }
Rscript -e 'library(readBrukerFlexData)' >/dev/null 2>&1 ||
    { echo "SKIP: r_bruker_hpc: R package readBrukerFlexData missing (r-cran-readbrukerflexdata)"; exit 77; }
py=""
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py, numpy' 2>/dev/null && { py=$p; break; }
done
[ -n "$py" ] || { echo "SKIP: r_bruker_hpc: no python3 with h5py (python3-h5py)"; exit 77; }
[ -x "$CONVERT" ] && [ -x "$GEN" ] || fail "omsi-convert / omsi-gen not built"

run=$("$GEN" brukerflex "$work/in" --stem hpc --shape 2 1 300 --variant hpc) || fail "omsi-gen brukerflex hpc"
"$CONVERT" -q "$run" "$work/auto.h5" || fail "convert (auto)"
"$CONVERT" -q --calibration hpc "$run" "$work/hpc.h5" || fail "convert --calibration hpc"
"$CONVERT" -q --calibration plain "$run" "$work/plain.h5" || fail "convert --calibration plain"

# Ours, one value per line at full precision, and the calibration recorded.
for c in auto hpc plain; do
    "$py" - "$work/$c.h5" "$work/$c.txt" <<'PY' || fail "h5py read of $c.h5"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    g = f["/entry_0/data_0"]
    with open(sys.argv[2], "w") as out:
        out.write("\n".join(repr(float(v)) for v in g["mz"][...]) + "\n")
    print(g["metadata/calibration"][0].decode())
PY
done >"$work/calibrations.txt"
[ "$(tr '\n' ' ' <"$work/calibrations.txt")" = "hpc hpc plain " ] ||
    fail "recorded calibrations: $(tr '\n' ' ' <"$work/calibrations.txt") (want hpc hpc plain)"

fid=$(find "$run" -name fid | sort | head -n 1)
[ -n "$fid" ] || fail "no fid under $run"
Rscript - "$fid" "$work" <<'R' || fail "readBrukerFlexData comparison"
suppressMessages(library(readBrukerFlexData))
args <- commandArgs(trailingOnly = TRUE)
fid <- args[1]; work <- args[2]
hpc <- suppressWarnings(readBrukerFlexFile(fid, useHpc = TRUE))$spectrum$mass
plain <- suppressWarnings(readBrukerFlexFile(fid, useHpc = FALSE))$spectrum$mass
ours <- function(name) scan(file.path(work, paste0(name, ".txt")), quiet = TRUE)
check <- function(name, want) {
  got <- ours(name)
  if (length(got) != length(want))
    stop(name, ": ", length(got), " m/z values, readBrukerFlexData has ", length(want))
  rel <- max(abs(got - want) / want)
  if (rel > 1e-12) stop(name, ": m/z differs from readBrukerFlexData by ", rel * 1e6, " ppm")
  cat(name, ": ", length(got), " values, max relative difference ", format(rel), "\n", sep = "")
}
shift <- max(abs(hpc - plain) / plain) * 1e6
if (shift < 10) stop("the fixture's HPC moves m/z by only ", shift, " ppm: the comparison could not fail")
check("auto", hpc)
check("hpc", hpc)
check("plain", plain)
R
echo "ok: r_bruker_hpc"
