#!/bin/sh
# End-to-end: a malformed imzML or mzML (`<run` changed to `<rnu`) reports
# libxml2's own error first (file, line, "Opening and ending tag mismatch"),
# in `check` (the classifier's reason) and in omsi-convert, instead of only
# a consequence such as "array ... is outside the .ibd (0 bytes)"; no output
# file is left.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] && [ -x "$CONVERT" ] || fail "programs not built"

imzml=$("$GEN" imzml "$work/in" --stem broken --shape 3 2 10) || fail "omsi-gen imzml"
mzml=$("$GEN" mzml "$work/in" --stem broken --shape 3 2 10) || fail "omsi-gen mzml"
for f in "$imzml" "$mzml"; do
    sed 's/<run /<rnu /' "$f" >"$f.tmp" && mv "$f.tmp" "$f" || fail "sed $f"
    grep -q "<rnu " "$f" || fail "$f: no <run to break"
    if "$CATALOG_BIN" check "$f" >"$work/check.txt" 2>&1; then
        fail "check accepted $f"
    fi
    grep -q "error .*$f: malformed XML: line [0-9]*: Opening and ending tag mismatch: rnu line [0-9]* and run" \
        "$work/check.txt" || fail "check: $(cat "$work/check.txt")"
    if "$CONVERT" -q "$f" "$work/out.h5" 2>"$work/convert.err"; then
        fail "omsi-convert accepted $f"
    fi
    grep -q "^omsi-convert: error: $f: malformed XML: line [0-9]*: Opening and ending tag mismatch" \
        "$work/convert.err" || fail "omsi-convert: $(cat "$work/convert.err")"
    [ ! -e "$work/out.h5" ] || fail "omsi-convert left out.h5 for $f"
done
exit 0
