#!/bin/sh
# The service installs: `make install DESTDIR=DIR`, then the real systemd
# tools on that tree: systemd-sysusers --root=DIR creates the user omsi,
# systemd-tmpfiles --root=DIR --create the folders with their owner and
# mode; the unit passes `systemd-analyze verify` and its
# `systemd-analyze security --offline=yes` score is printed.
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
T=systemd_install
skip() { echo "SKIP: $T: $*"; exit 77; }
for tool in systemd-sysusers systemd-tmpfiles systemd-analyze; do
    command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian package systemd)"
done
[ "$(id -u)" = 0 ] || skip "not root: systemd-tmpfiles cannot chown to the user omsi"

D=$work/root
MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory -C "$builddir" install DESTDIR="$D" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "$T: make install DESTDIR failed"; }

# Where the snippets went: named *.conf, or systemd ignores them.
sysusers=$(find "$D" -path '*/sysusers.d/*' -type f)
tmpfiles=$(find "$D" -path '*/tmpfiles.d/*' -type f)
unit=$(find "$D" -path '*/systemd/system/omsi-watchd.service' -type f)
[ "$(basename "$sysusers")" = omsi-watchd.conf ] || fail "$T: sysusers snippet installed as '$sysusers'"
[ "$(basename "$tmpfiles")" = omsi-watchd.conf ] || fail "$T: tmpfiles snippet installed as '$tmpfiles'"
[ -n "$unit" ] || fail "$T: no omsi-watchd.service installed"
echo "$T: installed ${sysusers#$D} ${tmpfiles#$D} ${unit#$D}"

# systemd reads sysusers.d/tmpfiles.d below /etc, /run, /usr/local/lib and
# /usr/lib of the root; another prefix (distcheck's) is named explicitly
# (by its path outside the root: that is how both tools open it).
in_search_path() {
    case "${1#$D}" in
    /etc/*|/run/*|/usr/local/lib/*|/usr/lib/*) return 0 ;;
    esac
    return 1
}
mkdir -p "$D/etc"
if in_search_path "$sysusers"; then set --; else set -- "$sysusers"; fi
systemd-sysusers --root="$D" "$@" || fail "$T: systemd-sysusers --root failed"
line=$(grep '^omsi:' "$D/etc/passwd") || fail "$T: no user omsi in DIR/etc/passwd"
uid=$(echo "$line" | cut -d: -f3)
gid=$(grep '^omsi:' "$D/etc/group" | cut -d: -f3)
[ -n "$gid" ] || fail "$T: no group omsi in DIR/etc/group"
[ "$(echo "$line" | cut -d: -f4)" = "$gid" ] || fail "$T: user omsi not in group omsi: $line"
echo "$T: user omsi $uid:$gid"

if in_search_path "$tmpfiles"; then set --; else set -- "$tmpfiles"; fi
systemd-tmpfiles --root="$D" --create "$@" || fail "$T: systemd-tmpfiles --root --create failed"
# Numeric owners: the names are those of DIR/etc/passwd, not the host's.
check_dir() { # path mode uid gid
    [ -d "$D$1" ] || fail "$T: $1 not created"
    got=$(stat -c '%a %u %g' "$D$1")
    [ "$got" = "$2 $3 $4" ] || fail "$T: $1 is '$got' (mode uid gid), expected '$2 $3 $4'"
}
check_dir /srv/omsi 755 0 "$gid"
check_dir /srv/omsi/drop 2775 0 "$gid"
check_dir /srv/omsi/output 2750 "$uid" "$gid"
check_dir /var/lib/omsi-catalog 750 "$uid" "$gid"

# The unit, hardened.
for want in User=omsi UMask=0027 ProtectProc=invisible ProcSubset=pid PrivateNetwork=yes \
        IPAddressDeny=any ProtectSystem=strict NoNewPrivileges=yes CapabilityBoundingSet=; do
    grep -qx "$want" "$unit" || fail "$T: the unit lacks $want"
done
security=$(systemd-analyze security --offline=yes "$unit" 2>&1) ||
    { echo "$security"; fail "$T: systemd-analyze security failed"; }
score=$(echo "$security" | sed -n 's/.*Overall exposure level for omsi-watchd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "$security"; fail "$T: no exposure score"; }
echo "$T: systemd-analyze security --offline=yes: exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.0) }' || { echo "$security"; fail "$T: exposure $score > 1.0"; }

# verify, offline: a copy whose ExecStart names the binary in DIR, so that
# only the unit's own mistakes remain (unknown keys, bad values); its man
# pages are not installed on this machine (--man=no).
bin=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
mkdir -p "$work/verify"
sed "s|^ExecStart=$bin|ExecStart=$D$bin|" "$unit" >"$work/verify/omsi-watchd.service"
if systemd-analyze verify --man=no "$work/verify/omsi-watchd.service" >"$work/verify.log" 2>&1; then
    echo "$T: systemd-analyze verify: ok"
elif grep -Eq 'Unknown (key|section)|Failed to parse|[Ii]nvalid|ignoring' "$work/verify.log"; then
    cat "$work/verify.log"
    fail "$T: systemd-analyze verify found mistakes in the unit"
else # e.g. no systemd units on this machine to resolve dependencies against
    echo "$T: systemd-analyze verify could not run offline here:"
    cat "$work/verify.log"
fi
echo "PASS: $T"
