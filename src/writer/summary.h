/* Summaries of a dataset computed in the conversion's one pass over its
 * spectra: TIC and base-peak images, mean and maximum spectra, and per bin
 * the number of pixels whose intensity exceeds that pixel's own noise level
 * (from which a peak's coverage follows). The peak list of the mean spectrum
 * is derived at the end (omsi_summary_peaks). */
#ifndef OMSI_SUMMARY_H
#define OMSI_SUMMARY_H

#include "base/omsi_contents.h"
#include "base/omsi_dtype.h"
#include "base/omsi_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct omsi_summary {
    uint64_t nx, ny, nz;
    omsi_dtype dtype;
    double *tic;        /* nx * ny, index x * ny + y: sum of the spectrum */
    double *base_peak;  /* nx * ny: highest intensity of the spectrum */
    double *sum;        /* nz: sum over pixels (mean = sum / spectra) */
    double *max;        /* nz */
    uint32_t *above;    /* nz: pixels above their noise level in that bin */
    uint64_t spectra;   /* spectra added */
    double *scratch;    /* the noise sample of one spectrum (255 values) */
} omsi_summary;

/* Bytes omsi_summary_init allocates for a shape (for the memory budget). */
uint64_t omsi_summary_bytes(uint64_t nx, uint64_t ny, uint64_t nz);

int omsi_summary_init(omsi_summary *s, uint64_t nx, uint64_t ny, uint64_t nz, omsi_dtype dtype,
                      omsi_error *err);
void omsi_summary_free(omsi_summary *s);

/* Adds the spectrum of pixel (x, y): nz values of s->dtype. Returns its
 * sum (the TIC, summed in order; 0 outside the shape). */
double omsi_summary_add(omsi_summary *s, uint64_t x, uint64_t y, const void *values);

/* A spectrum's noise level: median + 3 x 1.4826 MAD of (at most 255) evenly
 * spaced samples; robust against the peaks and cheap per spectrum. */
double omsi_noise_level(const double *values, uint64_t n, double *scratch);

/* Local maxima of the mean spectrum above its noise level, strongest first
 * trimmed to max_peaks, returned in m/z order (malloc'ed *out). */
int omsi_summary_peaks(const omsi_summary *s, const double *mz, size_t max_peaks, omsi_peak **out,
                       size_t *n_out, omsi_error *err);

#endif
