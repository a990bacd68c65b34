/* Geometric m/z axes of ppm-wide bins (--axis ppm:N), shared by the imzML
 * and mzML readers. The stored axis value of bin k is its LOWER EDGE,
 * edge[k] = lo * (1 + ppm 1e-6)^k, as float64 (float32 would move edges
 * past the points they bound); bin k holds every m/z with
 * edge[k] <= m/z < edge[k + 1], the last bin everything from its edge up
 * to the largest m/z. */
#ifndef OMSI_PPM_AXIS_H
#define OMSI_PPM_AXIS_H

#include <stdint.h>

/* The bin of mz: the logarithm's guess, corrected against the edges so
 * that rounding never puts a point outside its bin. mz below edge[0]
 * gives 0. */
uint64_t ppm_axis_bin(const double *edges, uint64_t n, double lo, double log_step, double mz);

#endif
