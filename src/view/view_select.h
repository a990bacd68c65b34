/* What `omsi-catalog image` and `spectrum` (and the web API, src/serve)
 * select from a dataset, decided once: the m/z bins of an ion image, and
 * which spectrum (one pixel's, the stored or computed mean or maximum). */
#ifndef OMSI_VIEW_SELECT_H
#define OMSI_VIEW_SELECT_H

#include "view/omsi_view.h"

#include <stddef.h>
#include <stdint.h>

/* The bins [*z0, *z1) of an ion image at mz: within mz +- half_width when
 * half_width > 0, else the one bin nearest to mz; tic: every bin. what (for
 * logs and titles) describes the choice. OMSI_ERR_USAGE naming the axis and
 * label ("source 1 dataset 0") when mz lies outside it. */
int omsi_view_ion_bins(const omsi_view *v, const char *label, bool tic, double mz, double half_width, uint64_t *z0,
                       uint64_t *z1, char *what, size_t what_size, omsi_error *err);

/* img (X * Y doubles) = the ion image of bins [z0, z1); with tic the TIC
 * image stored at conversion when there is one. copy_name gets what was
 * read (a copy's name or the summary's full path). */
int omsi_view_ion_image(const omsi_view *v, bool tic, uint64_t z0, uint64_t z1, double *img, char *copy_name,
                        size_t copy_size, omsi_error *err);

typedef enum omsi_spectrum_kind { OMSI_SPECTRUM_PIXEL, OMSI_SPECTRUM_MEAN, OMSI_SPECTRUM_MAX } omsi_spectrum_kind;

/* "pixel", "mean", "max" */
const char *omsi_spectrum_kind_name(omsi_spectrum_kind kind);

/* values (Z doubles) = the spectrum at (x, y), or the mean or maximum over
 * every pixel (stored at conversion, else computed). copy_name as above. */
int omsi_view_spectrum_of(const omsi_view *v, omsi_spectrum_kind kind, uint64_t x, uint64_t y, double *values,
                          char *copy_name, size_t copy_size, omsi_error *err);

#endif
