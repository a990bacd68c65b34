/* Spectra of a converted dataset: one pixel's, and the mean and maximum over
 * all pixels. */
#ifndef OMSI_VIEW_SPECTRUM_H
#define OMSI_VIEW_SPECTRUM_H

#include "view/omsi_view.h"

#include <stddef.h>

/* out (Z doubles) = the spectrum at pixel (x, y); OMSI_ERR_USAGE naming the
 * grid when the pixel is outside it. */
int omsi_view_spectrum(const omsi_view *v, uint64_t x, uint64_t y, double *out,
                       const char **copy_used, omsi_error *err);

/* mean and max (Z doubles each, either may be NULL) over every pixel of the
 * grid, read in x slabs of at most max_block_bytes (as doubles). */
int omsi_view_mean_max(const omsi_view *v, size_t max_block_bytes, double *mean, double *max,
                       const char **copy_used, omsi_error *err);

#endif
