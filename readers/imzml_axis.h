/* Common m/z axes of processed imzML data (spec 2.8). */
#ifndef OMSI_IMZML_AXIS_H
#define OMSI_IMZML_AXIS_H

#include "readers/imzml_internal.h"

/* Sorted union of every distinct m/z value; fails above max_points (0 = none).
 * *unsorted: how many m/z arrays were not in increasing order (sorted here).
 * Marks the spectra whose m/z array turned out to be the axis itself
 * (mz_is_axis), so that their m/z need not be read again. */
int imzml_axis_union(imzml_index *ix, int fd, const char *ibd_path, uint64_t max_points,
                     double **axis, uint64_t *n, uint64_t *unsorted, omsi_error *err);

typedef struct imzml_ppm_axis {
    double lo, log_step;
    uint64_t n;
    const double *edges;  /* the axis itself (readers/ppm_axis.h), owned by the caller */
} imzml_ppm_axis;

/* Geometric bins of ppm width from the smallest m/z; axis[k] = lower edge
 * (readers/ppm_axis.h). */
int imzml_axis_ppm(const imzml_index *ix, int fd, const char *ibd_path, double ppm, uint64_t max_points,
                   imzml_ppm_axis *out, double **axis, uint64_t *n, omsi_error *err);
/* The bin of one m/z value. */
uint64_t imzml_ppm_bin(const imzml_ppm_axis *a, double mz);

#endif
