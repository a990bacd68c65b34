# Shared helpers of the end-to-end scripts (sourced).
builddir=${OMSI_BUILDDIR:-.}
srcdir=${OMSI_SRCDIR:-.}
GEN=$builddir/omsi-gen
CATALOG_BIN=$builddir/omsi-catalog
WATCHD=$builddir/omsi-watchd
CONVERT=$builddir/omsi-convert

fail() { echo "FAIL: $*"; exit 1; }

# A fresh work folder, removed on exit (daemons started with start_bg are killed).
work=$(mktemp -d "${TMPDIR:-/tmp}/omsi-e2e-XXXXXX")
bg_pids=""
cleanup() {
    for p in $bg_pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# Number of current catalog sources whose path ends in $2 (or all when $2 is empty).
count_sources() { # catalog [suffix]
    "$CATALOG_BIN" --catalog "$1" query --limit 0 --json 2>/dev/null |
        python3 -c 'import json,sys
try:
    rows=json.load(sys.stdin)["rows"]
except ValueError:
    rows=[]  # no catalog yet
suffix=sys.argv[1]
print(len({r["source_id"] for r in rows if r["path"].endswith(suffix)}))' "${2:-}"
}

# Waits until count_sources reaches n (timeout in seconds).
wait_sources() { # catalog n timeout
    i=0
    while [ "$i" -lt "$(( $3 * 5 ))" ]; do
        [ "$(count_sources "$1")" -ge "$2" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}

# Hashes of every file under a folder, for "sources untouched" checks.
tree_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
