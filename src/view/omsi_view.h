/* Reading a converted OpenMSI dataset (/entry_N/data_M of an omsi-catalog or
 * BASTet file) for viewing: its shape, m/z axis, and blocks of intensities
 * from whichever copy (data_0, data_1, ...) covers a selection with the
 * least data, the rule BASTet's reader uses (openmsi-hdf5.md 7.4). */
#ifndef OMSI_VIEW_H
#define OMSI_VIEW_H

#include "base/omsi_error.h"

#include <hdf5.h>
#include <stdbool.h>
#include <stdint.h>

enum { OMSI_VIEW_MAX_COPIES = 8 };

typedef struct omsi_view_copy {
    hid_t dataset;
    char name[16];     /* "data_0" */
    uint64_t chunk[3]; /* the whole shape when contiguous */
} omsi_view_copy;

typedef struct omsi_view {
    char *file_path;
    char *group_path;  /* "/entry_0/data_0" */
    hid_t file, group;
    uint64_t shape[3]; /* X, Y, Z */
    double *mz;        /* Z values of data_M/mz */
    omsi_view_copy copies[OMSI_VIEW_MAX_COPIES];
    unsigned n_copies;
    char summary_path[128]; /* "/entry_0/analysis_0" summarising this dataset, or "" */
} omsi_view;

/* Opens group_path in file_path read-only and checks it is a full_cube with
 * an m/z axis matching its cubes. Errors name the file and the object. */
int omsi_view_open(const char *file_path, const char *group_path, omsi_view *out, omsi_error *err);
void omsi_view_close(omsi_view *v);

/* Index of the copy whose chunks cover [start, start + count) with the least
 * data (first wins ties). */
unsigned omsi_view_pick_copy(const omsi_view *v, const uint64_t start[3], const uint64_t count[3]);

/* Reads the block [start, start + count) as doubles into out (count[0] *
 * count[1] * count[2] values, x outermost, z innermost) from the copy
 * omsi_view_pick_copy chooses; *copy_used (may be NULL) names it. */
int omsi_view_read(const omsi_view *v, const uint64_t start[3], const uint64_t count[3], double *out,
                   const char **copy_used, omsi_error *err);

/* Reads the summary dataset name ("tic_image", "mean_spectrum", ...) of
 * v->summary_path into out, which holds n doubles; OMSI_ERR_FORMAT when its
 * size is not n. Only when v->summary_path is set. */
int omsi_view_read_summary(const omsi_view *v, const char *name, double *out, uint64_t n,
                           omsi_error *err);

/* The bins [*z0, *z1) whose m/z lies within [lo, hi]; OMSI_ERR_USAGE naming
 * the dataset's range when none does. */
int omsi_view_mz_window(const omsi_view *v, double lo, double hi, uint64_t *z0, uint64_t *z1,
                        omsi_error *err);

#endif
