/* The reader interface: one table of functions per input format, mirroring
 * BASTet's file_reader_base (see ../shared/spec/input-formats.md section 0.1).
 *
 *   const omsi_format *fmt = omsi_format_by_name("img");
 *   omsi_reader *r;
 *   if (fmt->open(path, &opts, &r, &err) == 0) {
 *       omsi_dataset_info info; omsi_reader_info(r, &info);
 *       omsi_spectrum s;
 *       while ((rc = omsi_reader_next(r, &s, &err)) == 1) { ... s.intensities ... }
 *       omsi_reader_close(r);
 *   }
 *
 * Readers stream: memory is one spectrum (or chunk) plus small indexes.
 * Multi-dataset formats (mzML scan types) and region formats (Bruker flex)
 * expose the selection API; the shape, m/z axis and iterator follow the
 * current selection. Every size, offset and count read from a file is
 * checked before use. */
#ifndef OMSI_READER_H
#define OMSI_READER_H

#include "base/omsi_budget.h"
#include "base/omsi_contents.h"
#include "base/omsi_dtype.h"
#include "base/omsi_error.h"
#include "base/omsi_log.h"
#include "base/omsi_metadata.h"
#include "base/omsi_util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- classification ---- */
typedef enum omsi_validity {
    OMSI_NOT_THIS_FORMAT = 0, /* classifier: no */
    OMSI_VALID = 1,           /* yes, complete and consistent (cheap checks) */
    OMSI_INCOMPLETE = 2,      /* this format, but companions missing or sizes short: wait */
    OMSI_BROKEN = 3           /* this format, but inconsistent: a settled one is quarantined */
} omsi_validity;

/* A link from the selected dataset to another dataset of the same reader. */
typedef struct omsi_dependency {
    char link_name[256];  /* e.g. "MS1", "MS2_760.59@cid35.00_[205.00-775.00]", "msi_region_0" */
    long dataset;         /* target dataset index, or -1 for "the same dataset" */
    long region;          /* target region index, -1 = merged/all, -2 = not a region link */
    char type[16];        /* "co_modality", "contains", "subset" */
    char help[256];
} omsi_dependency;

/* One spectrum from the iterator. x, y (and z) are 0-based cube indices of the
 * current selection; intensities holds nz values of info.dtype in host byte
 * order, owned by the reader and valid until the next call. */
typedef struct omsi_spectrum {
    uint64_t x, y, z;
    const void *intensities;
} omsi_spectrum;

/* How processed/centroid data get a common m/z axis. */
typedef enum omsi_axis_mode {
    OMSI_AXIS_EXACT = 0, /* union of distinct m/z values (default; lossless) */
    OMSI_AXIS_BIN_PPM,   /* geometric axis at ppm, intensities summed per bin */
    OMSI_AXIS_BASTET     /* BASTet-compatible axis (parity mode) */
} omsi_axis_mode;

/* Which mass calibration Bruker flex spectra get (spec 4.6). */
typedef enum omsi_calibration {
    OMSI_CALIBRATION_AUTO = 0, /* HPC where the acqu declares usable coefficients, else plain */
    OMSI_CALIBRATION_PLAIN,    /* the TOF formula only */
    OMSI_CALIBRATION_HPC       /* HPC required: a file without it is refused */
} omsi_calibration;

typedef struct omsi_open_options {
    omsi_axis_mode axis_mode;
    double ppm;                   /* for BIN_PPM / BASTET; 0 = format default */
    uint64_t max_axis_points;     /* refuse an exact axis larger than this; 0 = default */
    bool force_unsigned;          /* Analyze datatype 4 read as uint16 */
    bool bastet_grid;             /* parity options: BASTet's grid/origin rules */
    bool strict_checksums;        /* a wrong declared checksum (imzML .ibd, mzML fileChecksum) is an error */
    omsi_calibration calibration; /* Bruker flex: auto (default), plain or hpc */
    uint64_t memory_limit;        /* bytes for everything file content makes us allocate
                                   * (omsi_budget_check); 0 = OMSI_MEMORY_LIMIT_DEFAULT */
    const omsi_logger *log;       /* warnings go here; may be NULL */
} omsi_open_options;

/* Defaults: exact axis, no parity modes, lenient checksums. */
omsi_open_options omsi_open_options_default(void);

typedef struct omsi_reader omsi_reader;

/* A checksum the input declares over its own bytes (imzML: MD5/SHA-1 of the
 * .ibd; indexed mzML: fileChecksum), verified while the reader streams. */
typedef enum omsi_checksum_state {
    OMSI_CHECKSUM_ABSENT = 0, /* none declared (or the format has none) */
    OMSI_CHECKSUM_OK,
    OMSI_CHECKSUM_MISMATCH
} omsi_checksum_state;
const char *omsi_checksum_name(omsi_checksum_state s); /* "absent", "ok", "mismatch" */

/* Functions of an open reader. Optional ones may be NULL. */
typedef struct omsi_reader_ops {
    size_t (*number_of_datasets)(omsi_reader *r);
    int (*set_dataset_selection)(omsi_reader *r, size_t index, omsi_error *err);
    size_t (*number_of_regions)(omsi_reader *r);                /* 0 if none */
    int (*get_region)(omsi_reader *r, size_t index, omsi_region *out);
    int (*set_region_selection)(omsi_reader *r, long index, omsi_error *err); /* -1 = all */
    void (*info)(omsi_reader *r, omsi_dataset_info *out);
    const double *(*mz)(omsi_reader *r);                        /* nz values */
    /* Dependencies of the current selection; *out valid until selection changes. */
    size_t (*dependencies)(omsi_reader *r, const omsi_dependency **out);
    /* File-level and current-selection metadata. */
    const omsi_metadata *(*metadata)(omsi_reader *r);
    int (*rewind)(omsi_reader *r, omsi_error *err);
    /* 1 = spectrum returned, 0 = end, < 0 = error (err set). */
    int (*next_spectrum)(omsi_reader *r, omsi_spectrum *out, omsi_error *err);
    /* Random access: copies pixel (x, y) of the selection into buf (nz values);
     * 0 ok, 1 = no spectrum at that pixel (buf zeroed). Optional. */
    int (*read_spectrum)(omsi_reader *r, uint64_t x, uint64_t y, void *buf, omsi_error *err);
    /* Values z0 .. z0 + n - 1 of pixel (x, y) into buf (n values), the same
     * answers; for readers where reading a whole spectrum to use a part of
     * it costs (the writer's blocks of m/z). Optional. */
    int (*read_values)(omsi_reader *r, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                       omsi_error *err);
    /* The declared checksum's verdict; reads what the reader has not read yet
     * (so a checksum is always verified, at most once). Optional: NULL = absent. */
    int (*checksum)(omsi_reader *r, omsi_checksum_state *out, omsi_error *err);
    void (*close)(omsi_reader *r);
} omsi_reader_ops;

/* Every reader implementation embeds this as its first member. */
struct omsi_reader {
    const struct omsi_format *format;
    const omsi_reader_ops *ops;
};

/* One table per format. */
typedef struct omsi_format {
    const char *name;          /* "img", "imzml", "mzml", "bruckerflex" (BASTet's option names) */
    const char *bastet_name;   /* "img_file", "imzml_file", ... */
    const char *description;   /* one line for `omsi-catalog formats` */
    bool supports_regions;
    bool supports_multidata;
    bool supports_multiexperiment;
    /* path: a file of the dataset, its stem, or a directory. Cheap: headers only.
     * why (may be NULL) explains a no / incomplete / broken answer. */
    omsi_validity (*is_valid_dataset)(const char *path, omsi_error *why);
    /* Estimated bytes of the full cube; OMSI_ERR_UNSUPPORTED when unknown. */
    int (*size)(const char *path, uint64_t *bytes, omsi_error *err);
    /* The same estimate from a reader of this format already open (NULL
     * where size() is cheap): for formats whose size() opens a reader, so a
     * caller holding one does not read the index twice. */
    int (*size_of_reader)(omsi_reader *r, uint64_t *bytes, omsi_error *err);
    /* Every file that makes up the dataset (for settling and fingerprints),
     * in a stable order. */
    int (*list_files)(const char *path, omsi_path_list *files, omsi_error *err);
    /* The bytes of the files list_files names, from a reader of this format
     * already open (NULL: list them and stat each): for formats of many
     * files whose reader found them all (a Bruker tree, 2 files a spot). */
    int (*input_bytes_of_reader)(omsi_reader *r, uint64_t *bytes, omsi_error *err);
    int (*open)(const char *path, const omsi_open_options *opts, omsi_reader **out,
                omsi_error *err);
} omsi_format;

/* ---- registry (readers/registry.c) ---- */
/* The registered formats in probe order (most specific first); *count set. */
const omsi_format *const *omsi_available_formats(size_t *count);
const omsi_format *omsi_format_by_name(const char *name); /* NULL if unknown */
/* Auto-detection: the one format whose is_valid_dataset says VALID,
 * INCOMPLETE or BROKEN. OMSI_ERR_NOT_FORMAT when none claims it; OMSI_ERR_FORMAT
 * naming both when two formats claim a path. *validity gets that format's answer. */
int omsi_detect_format(const char *path, const omsi_format **out, omsi_validity *validity,
                       omsi_error *err);

/* ---- dispatch helpers over ops (readers/reader.c) ---- */
size_t omsi_reader_number_of_datasets(omsi_reader *r);
int omsi_reader_set_dataset(omsi_reader *r, size_t index, omsi_error *err);
size_t omsi_reader_number_of_regions(omsi_reader *r);
int omsi_reader_get_region(omsi_reader *r, size_t index, omsi_region *out);
int omsi_reader_set_region(omsi_reader *r, long index, omsi_error *err);
void omsi_reader_info(omsi_reader *r, omsi_dataset_info *out);
const double *omsi_reader_mz(omsi_reader *r);
size_t omsi_reader_dependencies(omsi_reader *r, const omsi_dependency **out);
const omsi_metadata *omsi_reader_metadata(omsi_reader *r);
int omsi_reader_rewind(omsi_reader *r, omsi_error *err);
int omsi_reader_next(omsi_reader *r, omsi_spectrum *out, omsi_error *err);
int omsi_reader_read_spectrum(omsi_reader *r, uint64_t x, uint64_t y, void *buf,
                              omsi_error *err);
/* ops->read_values where the reader has it; false when it has not. */
bool omsi_reader_has_read_values(const omsi_reader *r);
int omsi_reader_read_values(omsi_reader *r, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                            omsi_error *err);
/* For read_values: OMSI_ERR_USAGE naming file when values z0 .. z0 + n - 1
 * are not all within a spectrum of nz values; 0 when they are. */
int omsi_reader_check_values_range(const char *file, uint64_t z0, uint64_t n, uint64_t nz, omsi_error *err);
void omsi_reader_close(omsi_reader *r);
/* ops->checksum, or ABSENT for readers without checksums. */
int omsi_reader_checksum(omsi_reader *r, omsi_checksum_state *out, omsi_error *err);

/* fmt->size() for formats whose estimate needs an open reader: opens path
 * with the default options and asks fmt->size_of_reader. */
int omsi_format_size_by_opening(const omsi_format *fmt, const char *path, uint64_t *bytes, omsi_error *err);

/* Opens path with fmt (or auto-detects when fmt is NULL). */
int omsi_reader_open(const char *path, const omsi_format *fmt, const omsi_open_options *opts,
                     omsi_reader **out, omsi_error *err);

const char *omsi_validity_name(omsi_validity v);

/* Refuses an absurd grid at open (readers/reader.c): the writer allocates
 * per grid cell, so one pixel at (1000000, 1000) must not make a 10^9-cell
 * cube. Refused (OMSI_ERR_NOMEM, naming path, grid and spectrum count) when
 * one per-pixel image of doubles (cells x 8 bytes, e.g. the TIC) exceeds the
 * memory budget, or when the grid has more than 64 cells per spectrum and
 * its dense cube (cells x nz x dtype_size) exceeds the budget. */
#define OMSI_GRID_MAX_CELLS_PER_SPECTRUM 64
int omsi_reader_check_grid(const char *path, uint64_t nx, uint64_t ny, uint64_t nz, size_t dtype_size,
                           uint64_t spectra, uint64_t memory_limit, omsi_error *err); /* "not-format", "valid", ... */

#endif
