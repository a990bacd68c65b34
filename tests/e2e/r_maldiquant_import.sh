#!/bin/sh
# End-to-end: generated fixtures of all four formats (Analyze 7.5, imzML
# continuous and processed with gaps, imaging mzML, a Bruker flex spot tree)
# import with MALDIquantForeign (importAnalyze, importImzMl, importMzMl,
# importBrukerFlex), and every spectrum it returns equals ours: m/z to 1e-12
# relative, intensities exactly, at the pixel its position names in the cube
# omsi-convert writes (read with h5py); every other cube value is 0. Analyze
# positions are transposed (our cube follows BASTet's (dim[3], dim[2]) order,
# spec 1.5). Skips (77) without Rscript + MALDIquantForeign
# (r-cran-maldiquantforeign) or python3-h5py.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

command -v Rscript >/dev/null 2>&1 || { echo "SKIP: r_maldiquant_import: no Rscript (r-base-core)"; exit 77; }
Rscript -e 'library(MALDIquantForeign)' >/dev/null 2>&1 ||
    { echo "SKIP: r_maldiquant_import: R package MALDIquantForeign missing (r-cran-maldiquantforeign)"; exit 77; }
py=""
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py, numpy' 2>/dev/null && { py=$p; break; }
done
[ -n "$py" ] || { echo "SKIP: r_maldiquant_import: no python3 with h5py (python3-h5py)"; exit 77; }
[ -x "$CONVERT" ] && [ -x "$GEN" ] || fail "omsi-convert / omsi-gen not built"

in=$work/in
set -- \
    "importAnalyze img $("$GEN" img "$in" --stem a --shape 4 3 40 --seed 3)" \
    "importImzMl imzml $("$GEN" imzml "$in" --stem c --shape 4 3 40 --seed 4)" \
    "importImzMl imzml $("$GEN" imzml "$in" --stem p --shape 4 3 40 --seed 5 --variant processed,gaps,missing=5)" \
    "importMzMl mzml $("$GEN" mzml "$in" --stem m --shape 4 3 40 --seed 6 --variant coords=ims)" \
    "importBrukerFlex bruckerflex $("$GEN" brukerflex "$in" --stem b --shape 4 3 40 --seed 7 --variant origin=2)"
n=0
: >"$work/jobs"
for job in "$@"; do
    set -- $job
    [ $# -eq 3 ] || fail "omsi-gen failed for $1"
    n=$((n + 1))
    "$CONVERT" -q -f "$2" "$3" "$work/$n.h5" || fail "omsi-convert $3"
    printf '%s\t%s\t%s\n' "$1" "$3" "$work/$n" >>"$work/jobs"
done
# MALDIquantForeign's spectra (one R start for all): x, y, then masses and
# intensities at full precision, one line per spectrum
Rscript - "$work/jobs" <<'R' || fail "MALDIquantForeign import"
suppressMessages(library(MALDIquantForeign))
jobs <- read.delim(commandArgs(trailingOnly = TRUE)[1], header = FALSE, stringsAsFactors = FALSE)
for (j in seq_len(nrow(jobs))) {
  fn <- jobs[j, 1]; src <- jobs[j, 2]
  s <- tryCatch(suppressWarnings(do.call(fn, list(src, verbose = FALSE))),
                error = function(e) stop(fn, "(", src, "): ", conditionMessage(e)))
  if (!length(s)) stop(src, ": no spectra")
  out <- file(paste0(jobs[j, 3], ".txt"), "w")
  for (sp in s) {
    pos <- sp@metaData$imaging$pos
    if (length(pos) != 2) stop(src, ": a spectrum without an imaging position")
    f <- function(v) paste(sprintf("%.17g", v), collapse = ",")
    writeLines(paste(pos[["x"]], pos[["y"]], f(MALDIquant::mass(sp)), f(MALDIquant::intensity(sp)), sep = "\t"), out)
  }
  close(out)
}
R
"$py" - "$work/jobs" <<'PY' || fail "our spectra differ from MALDIquantForeign's"
import sys, h5py, numpy as np
for job in open(sys.argv[1]):
    fn, src, base = job.rstrip("\n").split("\t")
    rows = []
    for line in open(base + ".txt"):
        x, y, m, i = line.rstrip("\n").split("\t")
        rows.append((float(x), float(y), np.array([float(v) for v in m.split(",")]),
                     np.array([float(v) for v in i.split(",")])))
    with h5py.File(base + ".h5", "r") as f:
        cube = f["/entry_0/data_0/data_0"][...].astype(np.float64)
        mz = f["/entry_0/data_0/mz"][...].astype(np.float64)
    xs = np.array([r[0] for r in rows]); ys = np.array([r[1] for r in rows])
    seen = np.zeros(cube.shape[:2], dtype=bool)
    for x, y, m, i in rows:
        # Analyze: our cube is BASTet's (dim[3], dim[2]): index 0 is MALDIquantForeign's y
        cx, cy = (int(y) - 1, int(x) - 1) if fn == "importAnalyze" else (int(x - xs.min()), int(y - ys.min()))
        assert not seen[cx, cy], f"{src}: two spectra at ({x}, {y})"
        seen[cx, cy] = True
        k = np.searchsorted(mz, m)
        assert len(m) == len(i) and np.all(k < len(mz)), f"{src} ({x}, {y}): m/z outside our axis"
        rel = np.max(np.abs(mz[k] - m) / m)
        assert rel <= 1e-12, f"{src} ({x}, {y}): m/z differs by {rel:.3g} (relative)"
        want = np.zeros(len(mz)); want[k] = i
        diff = cube[cx, cy] != want
        assert not diff.any(), f"{src} ({x}, {y}): {diff.sum()} intensities differ, e.g. ours {cube[cx, cy][diff][:3]} vs {want[diff][:3]}"
    assert np.count_nonzero(cube[~seen]) == 0, f"{src}: values at pixels MALDIquantForeign has no spectrum for"
    print(f"{fn} {src.rsplit('/', 1)[-1]}: {len(rows)} spectra of {cube.shape[0]}x{cube.shape[1]} agree, {len(mz)} m/z values")
PY
echo "ok: r_maldiquant_import"
