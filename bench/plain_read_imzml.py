#!/usr/bin/python3
# Usage: plain_read_imzml.py FILE.imzML FILE.ibd (processed, float64 m/z, float32 intensities)
# A plain read of every array of a processed imzML, twice: offsets from the
# XML by regex, each array pread and decoded with numpy. The reference for
# `omsi-catalog check --stats` (issue 17).
import re, sys, time, os
import numpy as np
t0 = time.time()
xml = open(sys.argv[1], 'rb').read()
t_xml0 = time.time()
off = [int(v) for v in re.findall(rb'accession="IMS:1000102"[^>]*value="(\d+)"', xml)]
ln = [int(v) for v in re.findall(rb'accession="IMS:1000103"[^>]*value="(\d+)"', xml)]
t_xml = time.time() - t_xml0
fd = os.open(sys.argv[2], os.O_RDONLY)
total = 0.0
for rep in range(2):
    for i in range(0, len(off), 2):
        mz = np.frombuffer(os.pread(fd, ln[i] * 8, off[i]), '<f8')
        it = np.frombuffer(os.pread(fd, ln[i + 1] * 4, off[i + 1]), '<f4')
        total += float(it.sum()) + float(mz[-1])
print(f"{len(off)//2} spectra, xml regex {t_xml:.2f} s, total {time.time()-t0:.2f} s")
