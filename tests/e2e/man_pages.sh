#!/bin/sh
# The man pages (docs/man, mdoc): each passes mandoc -Tlint (or groff's
# warnings where mandoc is missing), and every long option a program's
# --help prints (for omsi-catalog also each command's --help) is in its page.
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
T=man_pages
man=$srcdir/docs/man
pages="omsi-catalog.1 omsi-convert.1 omsi-watchd.8 omsi-watchd.conf.5"
if command -v mandoc >/dev/null 2>&1; then
    lint() { mandoc -Tlint -Wwarning "$1"; }
    render() { mandoc -Tascii "$1" | sed 's/.\x08//g'; }
    echo "$T: linting with mandoc -Tlint -Wwarning"
elif command -v groff >/dev/null 2>&1; then
    lint() { out=$(groff -mandoc -ww -z "$1" 2>&1); [ -z "$out" ] || { echo "$out"; return 1; }; }
    render() { groff -mandoc -Tascii -P-cbou "$1" 2>/dev/null; }
    echo "$T: mandoc not found (Debian package mandoc); linting with groff -ww -z"
else
    echo "SKIP: $T: neither mandoc nor groff found (Debian package mandoc)"
    exit 77
fi
for p in $pages; do
    [ -f "$man/$p" ] || fail "$T: $man/$p missing"
    lint "$man/$p" || fail "$T: $p has lint warnings"
done

# Long options of a --help text (words starting with two dashes).
long_options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
check_options() { # program page help-text-file
    render "$man/$2" >"$work/$2.txt"
    missing=""
    for o in $(long_options <"$3"); do
        grep -Eq -- "(^|[^a-z-])$o([^a-z0-9-]|\$)" "$work/$2.txt" || missing="$missing $o"
    done
    [ -z "$missing" ] || fail "$T: $2 does not mention$missing (printed by $1 --help)"
    echo "$T: $2: the $(long_options <"$3" | wc -l) long options of $1 --help are in it"
}
for prog in omsi-convert omsi-watchd; do
    [ -x "$builddir/$prog" ] || fail "$T: $builddir/$prog not built"
done
"$builddir/omsi-convert" --help >"$work/convert.help" || fail "$T: omsi-convert --help failed"
check_options omsi-convert omsi-convert.1 "$work/convert.help"
"$builddir/omsi-watchd" --help >"$work/watchd.help" || fail "$T: omsi-watchd --help failed"
check_options omsi-watchd omsi-watchd.8 "$work/watchd.help"
"$CATALOG_BIN" --help >"$work/catalog.top" || fail "$T: omsi-catalog --help failed"
cp "$work/catalog.top" "$work/catalog.help"
for cmd in check formats ingest query show stats verify image spectrum thumbnail serve; do
    "$CATALOG_BIN" $cmd --help >>"$work/catalog.help" 2>&1 || fail "$T: omsi-catalog $cmd --help failed"
done
check_options "omsi-catalog (and each command)" omsi-catalog.1 "$work/catalog.help"

# Every command listed by omsi-catalog --help has its entry.
commands=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' "$work/catalog.top")
[ -n "$commands" ] || fail "$T: no commands in omsi-catalog --help"
for cmd in $commands; do
    grep -q "^     $cmd\\b" "$work/omsi-catalog.1.txt" || fail "$T: omsi-catalog.1 has no entry for '$cmd'"
done
echo "PASS: $T"
