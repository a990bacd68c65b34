/* What an OpenMSI file holds, as the writer reports it and the catalog
 * records it: experiments, datasets (cube shape, type, region), dependency
 * links, metadata. Plain data, so every layer can pass it without knowing
 * the readers or the HDF5 writer. */
#ifndef OMSI_CONTENTS_H
#define OMSI_CONTENTS_H

#include "base/omsi_dtype.h"
#include "base/omsi_metadata.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shape of one dataset (a reader's current selection, or a data_M written). */
typedef struct omsi_dataset_info {
    uint64_t nx, ny, nz;   /* cube shape (X, Y, m/z) */
    omsi_dtype dtype;      /* intensity type of the cube */
    omsi_dtype mz_dtype;   /* type of the m/z axis in the source (float32/float64) */
    uint64_t n_spectra;    /* spectra the iterator yields for this selection */
    uint64_t n_skipped;    /* spectra of the file left out of every cube (empty: zero points) */
    bool not_imaging;      /* the spectra carry no positions: one row, one pixel per spectrum */
    char name[256];        /* scan type, region name, or "" */
} omsi_dataset_info;

/* A region of the full grid: origin and size (not BASTet's "extend"). */
typedef struct omsi_region {
    uint64_t x0, y0; /* origin in the merged cube */
    uint64_t nx, ny; /* number of pixels */
    uint64_t n_spectra;
    char name[128];
} omsi_region;

/* A dependency link as written (owner data_M -> target data_K). */
typedef struct omsi_converted_link {
    char link_name[256];
    size_t target;        /* index into omsi_convert_result.datasets */
    char type[16];
    char help[256];
} omsi_converted_link;

/* A peak of a dataset's mean spectrum (summaries computed at conversion). */
typedef struct omsi_peak {
    double mz;          /* centroid (3-point Gaussian interpolation) */
    double intensity;   /* height in the mean spectrum */
    double coverage;    /* fraction of spectra above their own noise at the peak's bin */
    uint64_t bin;
} omsi_peak;

/* One data_M written. */
typedef struct omsi_converted_dataset {
    size_t experiment;        /* index into omsi_convert_result.experiments */
    size_t entry_index;       /* N of /entry_N */
    size_t data_index;        /* M of /entry_N/data_M */
    char hdf5_path[64];       /* "/entry_N/data_M" */
    size_t source_dataset;    /* reader dataset (scan type) index */
    long source_region;       /* -1 = merged / no regions */
    bool is_region;
    omsi_region region;       /* when is_region */
    omsi_dataset_info info;   /* shape, dtype, n_spectra, name */
    double mz_min, mz_max;
    uint64_t spectra_written;
    double total_intensity;   /* sum of all stored intensities */
    omsi_metadata metadata;   /* copy of the reader's metadata for this dataset */
    omsi_converted_link *links;
    size_t n_links;
    /* Summaries (src/writer/summary.h), when computed: analysis_path is
     * "/entry_N/analysis_K", else "". */
    char analysis_path[64];
    double *tic_image;        /* nx * ny, index x * ny + y */
    omsi_peak *peaks;         /* in m/z order */
    size_t n_peaks;
    unsigned char *thumbnail_png; /* the TIC thumbnail, made by ingest for the catalog */
    size_t thumbnail_bytes;
    uint32_t thumbnail_width, thumbnail_height;
} omsi_converted_dataset;

typedef struct omsi_converted_experiment {
    char identifier[512];
    char *input_path;
    const char *format;       /* format name (a static string of its reader) */
    size_t first_dataset;     /* index into datasets */
    size_t n_datasets;
    uint64_t input_bytes;     /* sum of the sizes of the input's files */
} omsi_converted_experiment;

typedef struct omsi_convert_result {
    char *output_path;
    omsi_converted_experiment *experiments;
    size_t n_experiments;
    omsi_converted_dataset *datasets;
    size_t n_datasets;
    uint64_t bytes_in;
    uint64_t bytes_out;       /* size of the finished HDF5 file */
    double seconds;
} omsi_convert_result;

/* Frees what a result owns and zeroes it (NULL is fine). */
void omsi_convert_result_free(omsi_convert_result *result);

#endif
