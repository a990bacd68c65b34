#!/usr/bin/env bash
# make check: replay generated seeds and every recorded crash input
# (tests/fuzz/regressions/<target>/) through each fuzz target. A crash, a
# sanitizer report or a hang (timeout) fails the test.
set -u
. "$OMSI_SRCDIR/tests/fuzz/seeds.sh"
seeds=$(mktemp -d "${TMPDIR:-/tmp}/omsi-replay-XXXXXX")
trap 'rm -rf "$seeds"' EXIT
make_seeds "$seeds"
status=0
for target in img imzml mzml bruker_tree bruker_spotlist query; do
  n_seeds=$(ls "$seeds/$target" 2>/dev/null | wc -l)
  if ! timeout 300 "$OMSI_BUILDDIR/tests/fuzz/fuzz_replay" "$target" "$seeds/$target" \
       "$OMSI_SRCDIR/tests/fuzz/regressions/$target"; then
    echo "FAIL: fuzz target $target crashed or timed out on a replayed input"
    status=1
  else
    echo "ok: $target ($n_seeds generated seeds + recorded regressions)"
  fi
done
exit $status
