#!/bin/sh
# End-to-end: files written by the direct-chunk pipeline read back with
# h5py (what BASTet and users read them with): every value of data_0 and of
# the image-chunked copy equals the generator's closed form, with 1 and 2
# compression threads, at --compression 4 and 1, and with --no-compression
# --chunking 4 4 64; the datasets carry the gzip filter at the level asked.
# Skips (77) without python3-h5py.
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"

# The first python3 with h5py (a pyenv python3 on PATH may lack Debian's).
py=""
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py, numpy' 2>/dev/null && { py=$p; break; }
done
[ -n "$py" ] || { echo "SKIP: h5py_readback: no python3 with h5py (python3-h5py)"; exit 77; }
[ -x "$CONVERT" ] && [ -x "$GEN" ] || fail "omsi-convert / omsi-gen not built"

img=$("$GEN" img "$work/in" --stem cube --shape 33 20 700 --dtype int16 --seed 2) || fail "omsi-gen img"
"$CONVERT" -q --threads 1 "$img" "$work/t1.h5" || fail "convert --threads 1"
"$CONVERT" -q --threads 2 --compression 1 "$img" "$work/t2.h5" || fail "convert --threads 2 --compression 1"
"$CONVERT" -q --no-compression --chunking 4 4 64 "$img" "$work/raw.h5" || fail "convert --no-compression"

"$py" - "$work" <<'PY' || fail "h5py read-back"
import sys, h5py, numpy as np
work = sys.argv[1]
x, y, k = np.meshgrid(np.arange(33), np.arange(20), np.arange(700), indexing="ij")
want = (31 * x + 17 * y + 7 * k + 13 * 2) % 251
for name, level, copy in (("t1", 4, True), ("t2", 1, True), ("raw", None, False)):
    with h5py.File(f"{work}/{name}.h5", "r") as f:
        sets = ["data_0", "data_1"] if copy else ["data_0"]
        for ds in sets:
            d = f[f"/entry_0/data_0/{ds}"]
            assert d.dtype == np.int16, (name, ds, d.dtype)
            assert d.shape == (33, 20, 700), (name, ds, d.shape)
            assert d.compression == ("gzip" if level else None), (name, ds, d.compression)
            assert d.compression_opts == level, (name, ds, d.compression_opts)
            got = d[...]
            bad = np.count_nonzero(got != want)
            assert bad == 0, f"{name} {ds}: {bad} values differ"
        if not copy:
            assert "data_1" not in f["/entry_0/data_0"], name
            assert f["/entry_0/data_0/data_0"].chunks == (4, 4, 64)
print("h5py read-back ok")
PY
exit 0
