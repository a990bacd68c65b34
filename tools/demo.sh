#!/usr/bin/env bash
# Demo: generate datasets of each format into a demo drop folder, let
# `omsi-watchd --once` convert and catalog them, then query the catalog.
#   OMSI_DEMO_DIR   where to put the demo (default ./demo; wiped first)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${OMSI_BUILDDIR:-$top}
demo=${OMSI_DEMO_DIR:-$top/demo}
drop=$demo/drop
out=$demo/output
catalog=$demo/catalog.sqlite

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$demo"
mkdir -p "$drop" "$out"

step "1. Generate datasets into the drop folder $drop"
made=0
for fmt in img imzml mzml brukerflex; do
    for seed in 1 2; do
        if path=$("$bin/omsi-gen" "$fmt" "$drop/$fmt-$seed" --stem "demo_${fmt}_$seed" \
            --seed "$seed" --shape 8 6 100 2>"$demo/gen.err"); then
            echo "  $fmt: $path"
            made=$((made + 1))
        else
            echo "  $fmt: skipped ($(head -n1 "$demo/gen.err"))"
            break
        fi
    done
done
rm -f "$demo/gen.err"
echo "  $made dataset(s)"

step "2. Run the daemon once: wait until each dataset settles, convert, record"
run "$bin/omsi-watchd" --once --watch "$drop" --output-dir "$out" --catalog "$catalog" \
    --settle 1 --workers 2 || echo "(omsi-watchd reported failed jobs; see step 3)"

step "3. What the catalog holds"
run "$bin/omsi-catalog" --catalog "$catalog" query
run "$bin/omsi-catalog" --catalog "$catalog" query --mz 110 --ppm 5
run "$bin/omsi-catalog" --catalog "$catalog" stats

step "4. The converted files"
ls -l "$out"
echo
echo "Try: $bin/omsi-catalog --catalog $catalog show 1"
