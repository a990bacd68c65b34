#!/bin/sh
# The demo: a drop folder with generated datasets of every format whose
# reader is built, one pass of the daemon (omsi-watchd --once) converting
# them to OpenMSI HDF5 and cataloging them, then queries of the catalog.
# Everything lives under $OMSI_DEMO_DIR (default ./demo); rerunning starts over.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${OMSI_BUILDDIR:-$top}
demo=${OMSI_DEMO_DIR:-$top/demo}
rm -rf "$demo"
mkdir -p "$demo/drop"
say() { printf '\n== %s\n' "$*"; }

say "generating datasets into $demo/drop"
"$bin/omsi-gen" img "$demo/drop/analyze" --stem kidney --shape 40 30 2000 --dtype int16 --content realistic
"$bin/omsi-gen" img "$demo/drop/analyze" --stem liver_be --shape 20 20 500 --dtype float32 --big-endian
"$bin/omsi-gen" imzml "$demo/drop/imzml" --stem brain_continuous --shape 30 20 1000 --dtype float32
"$bin/omsi-gen" imzml "$demo/drop/imzml" --stem brain_processed --shape 25 25 800 --dtype float32 \
    --variant processed,gaps,missing=7
# mzML and Bruker flex fixtures, where those readers are built:
"$bin/omsi-gen" mzml "$demo/drop/mzml" --stem lipids --shape 10 8 300 --variant scantypes=3 2>/dev/null || true
"$bin/omsi-gen" brukerflex "$demo/drop/flex" --stem tumour --shape 12 10 400 --variant regions=3 2>/dev/null || true

say "omsi-catalog check: what the readers see"
"$bin/omsi-catalog" check "$demo/drop/analyze/kidney.hdr" "$demo/drop/imzml/brain_processed.imzML"

say "omsi-watchd --once: settle, convert, catalog"
"$bin/omsi-watchd" --once --watch "$demo/drop" --output-dir "$demo/omsi" \
    --catalog "$demo/catalog.sqlite" --settle 1 --workers 2 || true

say "omsi-catalog query (all datasets)"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query
say "omsi-catalog query --mz 450 --format imzml"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --mz 450 --format imzml
say "omsi-catalog query --format imzml --format brukerflex --sort -spectra --columns source,format,shape,spectra,path"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --format imzml --format brukerflex --sort -spectra \
    --columns source,format,shape,spectra,path
say "omsi-catalog query --text 'brain*' --count"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --text 'brain*' --count
say "omsi-catalog query --text kidney --json"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --text kidney --json
say "omsi-catalog query --peak 259.46 --ppm 20: the datasets in which that ion is present"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --peak 259.46 --ppm 20
kidney=$("$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" query --text kidney --csv | awk -F, 'NR == 2 { print $1 }')
say "omsi-catalog image $kidney --mz 259.46 --width 1: an ion image (docs/demo-ion-image.png)"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" image "$kidney" --mz 259.46 --width 1 --zoom 6 \
    --colorbar -o "$demo/kidney-mz259.png"
say "omsi-catalog spectrum $kidney --mean: the mean spectrum (docs/demo-mean-spectrum.png)"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" spectrum "$kidney" --mean -o "$demo/kidney-mean-spectrum.png"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" spectrum "$kidney" --x 20 --y 15 --mz-range 255 265
say "omsi-catalog stats"
"$bin/omsi-catalog" --catalog "$demo/catalog.sqlite" stats
say "converted files"
ls -l "$demo/omsi"
say "done: catalog $demo/catalog.sqlite, HDF5 files in $demo/omsi, pictures $demo/*.png"
echo "browse it: $bin/omsi-catalog --catalog $demo/catalog.sqlite serve  (then open http://127.0.0.1:8642/)"
