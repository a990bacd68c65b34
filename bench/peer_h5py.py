#!/usr/bin/env python3
"""The peer a user would write instead of omsi-convert: plain h5py + numpy,
one (nx, ny, nz) cube chunked (4, 4, 2048) with gzip 4, from an Analyze 7.5
(.hdr/.t2m/.img) or a continuous imzML (.imzML + .ibd) input.

    peer_h5py.py INPUT OUTPUT.h5

No OpenMSI metadata, no second copy, no checks: it is the baseline that
bench/bench_convert.sh measures omsi-convert against, not a converter.
"""
import struct
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

CHUNK = (4, 4, 2048)
DTYPES = {"MS:1000521": "f4", "MS:1000523": "f8", "MS:1000519": "i4",
          "MS:1000522": "i8", "IMS:1000141": "i4", "IMS:1000142": "i8"}


def analyze(path, out):
    stem = path.rsplit(".", 1)[0]
    hdr = open(stem + ".hdr", "rb").read(348)
    endian = "<" if struct.unpack("<i", hdr[:4])[0] in (348, 384) else ">"
    dim = struct.unpack(endian + "8H", hdr[40:56])
    datatype = struct.unpack(endian + "h", hdr[70:72])[0]
    dtype = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8"}[datatype]
    mz = np.fromfile(stem + ".t2m", dtype=endian + "f4")
    # BASTet's cube: the .img as a C array of shape (dim[3], dim[2], nz).
    shape = (dim[3], dim[2], mz.size)
    cube = np.memmap(stem + ".img", dtype=endian + dtype, mode="r", shape=shape)
    with h5py.File(out, "w") as f:
        f.create_dataset("mz", data=mz)
        d = f.create_dataset("data", shape=shape, dtype=dtype, chunks=CHUNK,
                             compression="gzip", compression_opts=4)
        for x0 in range(0, shape[0], CHUNK[0]):  # one band of whole chunks at a time
            d[x0:x0 + CHUNK[0]] = cube[x0:x0 + CHUNK[0]]


def imzml(path, out):
    ns = "{http://psi.hupo.org/ms/mzml}"
    spectra, nx, ny = [], 0, 0
    for _, el in ET.iterparse(path):
        if el.tag != ns + "spectrum":
            continue
        params = {p.get("accession"): p.get("value") for p in el.iter(ns + "cvParam")}
        x, y = int(params["IMS:1000050"]), int(params["IMS:1000051"])
        arrays = []
        for a in el.iter(ns + "binaryDataArray"):
            ap = {p.get("accession"): p.get("value") for p in a.iter(ns + "cvParam")}
            kind = "mz" if "MS:1000514" in ap else "int"
            dtype = next((t for acc, t in DTYPES.items() if acc in ap), "f4")
            arrays.append((kind, dtype, int(ap["IMS:1000102"]), int(ap["IMS:1000103"])))
        spectra.append((x, y, arrays))
        nx, ny = max(nx, x), max(ny, y)
        el.clear()
    ibd = np.memmap(path.rsplit(".", 1)[0] + ".ibd", dtype="u1", mode="r")
    (_, mz_t, mz_off, nz), = [a for a in spectra[0][2] if a[0] == "mz"]
    int_t = [a for a in spectra[0][2] if a[0] == "int"][0][1]
    mz = np.frombuffer(ibd[mz_off:mz_off + nz * np.dtype(mz_t).itemsize], dtype=mz_t)
    by_row = {}
    for x, y, arrays in spectra:
        by_row.setdefault((y - 1) // CHUNK[1], []).append((x, y, arrays))
    with h5py.File(out, "w") as f:
        f.create_dataset("mz", data=mz)
        d = f.create_dataset("data", shape=(nx, ny, nz), dtype=int_t, chunks=CHUNK,
                             compression="gzip", compression_opts=4)
        for band in sorted(by_row):
            y0 = band * CHUNK[1]
            block = np.zeros((nx, min(CHUNK[1], ny - y0), nz), dtype=int_t)
            for x, y, arrays in by_row[band]:
                _, t, off, n = [a for a in arrays if a[0] == "int"][0]
                block[x - 1, y - 1 - y0] = np.frombuffer(ibd[off:off + n * np.dtype(t).itemsize], dtype=t)
            d[:, y0:y0 + block.shape[1], :] = block


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    (imzml if src.lower().endswith(".imzml") else analyze)(src, out)


if __name__ == "__main__":
    main()
