#!/bin/sh
# End-to-end fault injection (issue 11, "nothing lost, nothing stalled"):
# tests/fault_shim.so (LD_PRELOAD) fails the Nth call that writes to the
# file system (open for writing, mkstemp, write, pwrite, fsync, fdatasync,
# ftruncate, rename, link: HDF5's sec2 driver, SQLite and our own code) during
#   1. one omsi-convert, with EIO on call N alone, then with ENOSPC on every
#      call from N on (a full disk: the audit's crash at exit after ENOSPC);
#   2. one omsi-catalog ingest into a catalog that already holds a dataset,
#      EIO on call N alone, then ENOSPC from N on.
# N runs 1, 2, ... until the shim reports that call N never came (the run
# had fewer calls): every call of the first FAULT_DENSE (40), then every
# FAULT_STRIDE-th (6; for the full-disk ingest: the first 16, then every
# 18th), to keep the test fast; OMSI_FAULTS_FULL=1 tries every call. A run
# has ~35 calls for omsi-convert and ~135 for the ingest of the small
# fixtures used here.
# For each N:
#   - a failed run exits 1 (never >= 128, no sanitizer report) with an
#     "error:" line on stderr that names a file under the work folder;
#   - a run that succeeds although call N failed (HDF5 retries a tentative
#     open, SQLite's checkpoint at close is optional) wrote everything: the
#     converted values equal a fault-free conversion (h5dump of data_0,
#     data_1 and mz), the catalog records it;
#   - no ".partial*" or other stray file is left, the sources are unchanged
#     (sha256 of every file), `omsi-catalog verify --json` finds nothing
#     wrong, and an ingest without faults afterwards succeeds ("new", or
#     "unchanged" after a successful run) and the catalog then holds
#     exactly one source for the dataset.
# Skips (77) without the shim or python3, or when preloading does not work
# (the sanitizer build preloads it with ASAN_OPTIONS=verify_asan_link_order=0).
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

SHIM=$builddir/tests/fault_shim.so
FAULT_DENSE=${FAULT_DENSE:-40}
FAULT_STRIDE=${FAULT_STRIDE:-6}
[ "${OMSI_FAULTS_FULL:-0}" = 1 ] && FAULT_STRIDE=1
command -v python3 >/dev/null 2>&1 || { echo "SKIP: faults: python3 not found"; exit 77; }
[ -f "$SHIM" ] || { echo "SKIP: faults: $SHIM not built (make check builds it)"; exit 77; }
[ -x "$CATALOG_BIN" ] && [ -x "$GEN" ] && [ -x "$CONVERT" ] || fail "programs not built"
H5DUMP=$(command -v h5dump || true)
# An uninstrumented preload must come before the ASan runtime.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

# run_faulty N ERRNO STICKY REPORT CMD...: CMD with call N failing.
run_faulty() {
    n=$1 e=$2 s=$3 rep=$4
    shift 4
    OMSI_FAULT_AT=$n OMSI_FAULT_ERRNO=$e OMSI_FAULT_STICKY=$s OMSI_FAULT_REPORT=$rep \
        LD_PRELOAD=$SHIM "$@"
}

# The next N: every one up to FAULT_DENSE, then a stride.
next_n() { if [ "$1" -lt "$FAULT_DENSE" ]; then echo $(($1 + 1)); else echo $(($1 + FAULT_STRIDE)); fi; }

# check_exit WHAT RC ERRFILE: exit 1, a clear error naming a file, no crash.
check_exit() {
    what=$1 rc=$2 errf=$3
    if grep -q -e AddressSanitizer -e LeakSanitizer -e "runtime error:" "$errf"; then
        fail "$what: sanitizer report: $(head -c 2000 "$errf")"
    fi
    [ "$rc" -lt 128 ] || fail "$what: killed by signal $((rc - 128)): $(head -c 600 "$errf")"
    [ "$rc" -eq 0 ] && return 0
    [ "$rc" -eq 1 ] || fail "$what: exit $rc, not 1: $(head -c 600 "$errf")"
    grep -q "error: .*$work/" "$errf" || fail "$what: no error naming a file: $(head -c 600 "$errf")"
    [ "$(grep -c "error:" "$errf")" -ge 1 ] || fail "$what: no error line"
}

# no_stray DIR WHAT ALLOWED...: DIR holds exactly the ALLOWED names.
no_stray() {
    dir=$1 what=$2
    shift 2
    have=$(ls -A "$dir" 2>/dev/null | sort | tr '\n' ' ')
    want=$(for f in "$@"; do echo "$f"; done | sort | tr '\n' ' ')
    [ "$have" = "$want" ] || fail "$what: left in $dir: '$have', expected '$want'"
}

values() { # the converted values of a file, without attributes (timestamps differ)
    for d in /entry_0/data_0/data_0 /entry_0/data_0/data_1 /entry_0/data_0/mz /entry_0/instrument/mz; do
        "$H5DUMP" -d "$d" "$1" | sed 1,2d
    done
}

# ---- fixtures ----
"$GEN" img "$work/src" --stem run --shape 4 3 50 --seed 1 >/dev/null || fail "omsi-gen img run"
"$GEN" img "$work/src" --stem other --shape 3 3 40 --seed 2 >/dev/null || fail "omsi-gen img other"
tree_hash "$work/src" >"$work/src.sha" || fail "hashing the sources"
mkdir -p "$work/ref"
"$CONVERT" -q "$work/src/run.hdr" "$work/ref/run.h5" || fail "fault-free conversion"
[ -n "$H5DUMP" ] && values "$work/ref/run.h5" >"$work/ref.values"

# The shim must see this program's calls (preload works, also under ASan).
run_faulty 0 EIO 0 "$work/probe.rep" "$CONVERT" -q "$work/src/run.hdr" "$work/probe.h5" 2>"$work/probe.err" ||
    fail "omsi-convert under the shim without a fault: $(head -c 600 "$work/probe.err")"
calls=$(sed -n 's/^calls=\([0-9]*\).*/\1/p' "$work/probe.rep" 2>/dev/null | tail -1)
[ -n "$calls" ] && [ "$calls" -gt 5 ] ||
    { echo "SKIP: faults: the LD_PRELOAD shim sees no calls here ($(cat "$work/probe.rep" 2>/dev/null))"; exit 77; }
rm -f "$work/probe.h5"

# ---- 1. omsi-convert ----
convert_sweep() { # ERRNO STICKY
    e=$1 s=$2 n=1 runs=0 failed=0
    while [ "$n" -le 2000 ]; do
        out=$work/c-out
        rm -rf "$out" && mkdir -p "$out"
        rm -f "$work/c.rep"
        run_faulty "$n" "$e" "$s" "$work/c.rep" "$CONVERT" -q "$work/src/run.hdr" "$out/run.h5" \
            >/dev/null 2>"$work/c.err"
        rc=$?
        what="omsi-convert, $e on call $n$([ "$s" = 1 ] && echo ' and after') ($(sed 's/.*failed=//' "$work/c.rep" 2>/dev/null))"
        check_exit "$what" "$rc" "$work/c.err"
        runs=$((runs + 1))
        if [ "$rc" -eq 0 ]; then
            no_stray "$out" "$what" run.h5
            if [ -n "$H5DUMP" ]; then
                values "$out/run.h5" >"$work/c.values"
                cmp -s "$work/ref.values" "$work/c.values" || fail "$what: succeeded, but the values differ"
            fi
        else
            failed=$((failed + 1))
            no_stray "$out" "$what"
        fi
        tree_hash "$work/src" | cmp -s - "$work/src.sha" || fail "$what: a source file changed"
        grep -q "failed=-" "$work/c.rep" && break # call n never came: all done
        n=$(next_n "$n")
    done
    [ "$failed" -ge 10 ] || fail "omsi-convert $e: only $failed of $runs runs failed: the shim missed calls"
    echo "omsi-convert, $e$([ "$s" = 1 ] && echo ' sticky'): $runs runs, $failed failed cleanly"
}
convert_sweep EIO 0
convert_sweep ENOSPC 1

# ---- 2. omsi-catalog ingest ----
mkdir -p "$work/base"
"$CATALOG_BIN" --catalog "$work/base/cat.sqlite" ingest "$work/src/other.hdr" --output-dir "$work/base/out" \
    >/dev/null 2>"$work/base.err" || fail "ingest of the first dataset: $(cat "$work/base.err")"
other_h5=$(ls "$work/base/out")
one_source() { # catalog what N: verify checked N output files, no problem
    "$CATALOG_BIN" --catalog "$1" verify --json >"$work/v.json" 2>"$work/v.err" ||
        fail "$2: verify: $(cat "$work/v.json" "$work/v.err")"
    tr -d ' \n' <"$work/v.json" | grep -q "\"checked\":$3,\"problems\":\[\]" ||
        fail "$2: verify --json: $(cat "$work/v.json"), expected $3 output(s) and no problem"
}

ingest_sweep() { # ERRNO STICKY DENSE STRIDE
    e=$1 s=$2 n=1 runs=0 failed=0 FAULT_DENSE=$3 FAULT_STRIDE=$4
    [ "${OMSI_FAULTS_FULL:-0}" = 1 ] && FAULT_STRIDE=1 FAULT_DENSE=100000
    while [ "$n" -le 5000 ]; do
        r=$work/i
        rm -rf "$r" && cp -a "$work/base" "$r"
        rm -f "$work/i.rep"
        run_faulty "$n" "$e" "$s" "$work/i.rep" "$CATALOG_BIN" --catalog "$r/cat.sqlite" \
            ingest "$work/src/run.hdr" --output-dir "$r/out" >"$work/i.out" 2>"$work/i.err"
        rc=$?
        what="ingest, $e on call $n$([ "$s" = 1 ] && echo ' and after') ($(sed 's/.*failed=//' "$work/i.rep" 2>/dev/null))"
        check_exit "$what" "$rc" "$work/i.err"
        runs=$((runs + 1))
        if [ "$rc" -eq 0 ]; then
            grep -q "^new " "$work/i.out" || fail "$what: succeeded without recording: $(cat "$work/i.out")"
            published=$(ls "$r/out" | grep '^run-' || true)
            no_stray "$r/out" "$what" "$other_h5" "$published"
            one_source "$r/cat.sqlite" "$what" 2
            again=unchanged
        else
            failed=$((failed + 1))
            no_stray "$r/out" "$what" "$other_h5"
            one_source "$r/cat.sqlite" "$what" 1
            again=new
        fi
        tree_hash "$work/src" | cmp -s - "$work/src.sha" || fail "$what: a source file changed"
        # Then without faults: the dataset is recorded exactly once.
        "$CATALOG_BIN" --catalog "$r/cat.sqlite" ingest "$work/src/run.hdr" --output-dir "$r/out" \
            >"$work/i2.out" 2>"$work/i2.err" || fail "$what: the ingest after it failed: $(cat "$work/i2.err")"
        grep -q "^$again " "$work/i2.out" || fail "$what: the ingest after it: $(cat "$work/i2.out"), expected $again"
        one_source "$r/cat.sqlite" "$what, then without faults" 2
        grep -q "failed=-" "$work/i.rep" && break
        n=$(next_n "$n")
    done
    [ "$failed" -ge 10 ] || fail "ingest $e: only $failed of $runs runs failed: the shim missed calls"
    echo "ingest, $e$([ "$s" = 1 ] && echo ' sticky'): $runs runs, $failed failed cleanly"
}
ingest_sweep EIO 0 "$FAULT_DENSE" "$FAULT_STRIDE"
# A full disk stays full: a coarser sample is enough after the first calls.
ingest_sweep ENOSPC 1 16 $((FAULT_STRIDE * 3))
# And the catalog holds exactly one source of run.hdr after such a retry.
[ "$(count_sources "$work/i/cat.sqlite" /run.hdr)" -eq 1 ] || fail "not exactly one source of run.hdr after the last retry"
echo "ok: faults injected into omsi-convert and ingest left nothing partial"
