#!/bin/sh
# omsi-watchd --check-config FILE: exit 0 and "FILE: ok" for a good config;
# exit 1 listing every problem (bad lines with their numbers, values out of
# range, missing folders, an output folder inside a drop folder); exit 2 on
# a usage error.
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
T=watchd_check_config
[ -x "$WATCHD" ] || fail "$T: $WATCHD not built"
mkdir -p "$work/drop" "$work/out"
: >"$work/plainfile"

cat >"$work/good.conf" <<CONF
# a good one
watch = $work/drop
output_dir = "$work/out"
catalog = $work/out/catalog.sqlite
workers = 2
CONF
out=$("$WATCHD" --check-config "$work/good.conf" 2>&1); rc=$?
[ $rc = 0 ] || fail "$T: good config: exit $rc: $out"
[ "$out" = "$work/good.conf: ok" ] || fail "$T: good config said '$out'"

cat >"$work/bad.conf" <<CONF
watch = $work/drop
watch = $work/missing
output_dir = $work/drop/sub
workers = many
bogus = 1
no equals sign
settle = -3
max_attempts = 0
catalog = $work/plainfile/catalog.sqlite
CONF
mkdir -p "$work/drop/sub"
"$WATCHD" --check-config "$work/bad.conf" >"$work/stdout" 2>"$work/stderr"; rc=$?
[ $rc = 1 ] || fail "$T: bad config: exit $rc, expected 1"
[ -s "$work/stdout" ] && fail "$T: bad config printed on stdout: $(cat "$work/stdout")"
expect() {
    grep -qF -- "$1" "$work/stderr" || { cat "$work/stderr"; fail "$T: no '$1' in the report"; }
}
expect "bad.conf:4: workers must be a whole number 1..256, not 'many'"
expect "bad.conf:5: unknown key 'bogus'"
expect "bad.conf:6: expected 'key = value'"
expect "bad.conf:7: settle must be a number of seconds >= 0, not '-3'"
expect "bad.conf:8: max_attempts must be a whole number 1..1000, not '0'"
expect "watch: $work/missing: No such file or directory"
expect "output_dir: $work/drop/sub is inside the drop folder $work/drop"
expect "catalog folder: $work/plainfile is not a folder"
expect "omsi-watchd: 8 problem(s) in $work/bad.conf"
[ "$(wc -l <"$work/stderr")" -eq 9 ] || { cat "$work/stderr"; fail "$T: expected 8 problems and a summary"; }

# Missing settings, a missing file.
printf 'log_level = loud\n' >"$work/empty.conf"
"$WATCHD" --check-config "$work/empty.conf" 2>"$work/stderr"; rc=$?
[ $rc = 1 ] || fail "$T: empty config: exit $rc"
expect "empty.conf:1: log_level must be error, warning, notice, info or debug, not 'loud'"
expect "no drop folder"
expect "no output folder"
"$WATCHD" --check-config "$work/nonexistent.conf" 2>"$work/stderr"; rc=$?
[ $rc = 1 ] || fail "$T: missing config: exit $rc"
expect "nonexistent.conf"

# Not writable: only an unprivileged user sees it (root may write anywhere).
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$work/ro" && chmod 555 "$work/ro"
    printf 'watch = %s\noutput_dir = %s\ncatalog = %s/c.sqlite\n' "$work/drop" "$work/ro" "$work/out" >"$work/ro.conf"
    "$WATCHD" --check-config "$work/ro.conf" 2>"$work/stderr"; rc=$?
    [ $rc = 1 ] || fail "$T: read-only output: exit $rc"
    expect "output_dir: $work/ro is not writable"
fi

# Usage errors: exit 2.
"$WATCHD" --check-config >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "$T: --check-config without FILE: exit $rc"
"$WATCHD" --check-config "$work/good.conf" --once >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "$T: --check-config with --once: exit $rc"
"$WATCHD" --check-config "$work/good.conf" "$work/drop" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "$T: --check-config with a folder: exit $rc"
echo "PASS: $T"
