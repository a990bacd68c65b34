#!/usr/bin/env bash
# Demo: generate datasets into a demo drop folder and describe them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
demo=${OMSI_DEMO_DIR:-$top/demo}
mkdir -p "$demo/drop"
for f in img imzml mzml brukerflex; do "$top/omsi-gen" "$f" "$demo/drop" || true; done
"$top/omsi-catalog" check "$demo"/drop/* --json || true
