/* The conversion pipeline: readers -> OpenMSI HDF5 file (openmsi-hdf5.md),
 * as convertToOMSI does it, but streaming and atomic. Used by omsi-convert,
 * `omsi-catalog ingest` and omsi-watchd.
 *
 * Each input becomes its own experiment (entry_N); each dataset (scan type)
 * and region its own data_M, with dependency links. Output is written to a
 * temporary file in the output's directory and renamed into place only when
 * complete; on any error or cancellation no file is left at output. */
#ifndef OMSI_CONVERT_H
#define OMSI_CONVERT_H

#include "base/omsi_contents.h"
#include "readers/reader.h"

#include <signal.h>

typedef enum omsi_region_mode {
    OMSI_REGIONS_SPLIT_MERGE = 0, /* merged cube + one per region (convertToOMSI default) */
    OMSI_REGIONS_SPLIT,
    OMSI_REGIONS_MERGE
} omsi_region_mode;

typedef enum omsi_chunking_mode {
    OMSI_CHUNK_AUTO = 0,  /* spectrum-chunked data_0 + image-chunked data_1 (spec 12.2) */
    OMSI_CHUNK_EXPLICIT,  /* data_0 chunked as chunk[] (clipped to the shape) */
    OMSI_CHUNK_NONE       /* contiguous data_0 (requires compression_level < 0) */
} omsi_chunking_mode;

typedef void (*omsi_progress_fn)(void *ctx, const char *stage, uint64_t done, uint64_t total);

typedef struct omsi_convert_options {
    const char *format;            /* "auto" or NULL = detect; else a format name */
    const omsi_format *format_table; /* overrides format: a table outside the registry (tests) */
    omsi_region_mode regions;
    omsi_chunking_mode chunking;
    uint64_t chunk[3];             /* for OMSI_CHUNK_EXPLICIT */
    int compression_level;         /* gzip 0..9; < 0 = no compression; default 4 */
    const char *experiment_id;     /* NULL: the input's base name (stable, path-free) */
    omsi_open_options reader;      /* passed to every reader; reader.memory_limit bounds
                                    * the whole conversion (--memory-limit) */
    unsigned threads;              /* compression threads; 0 = online CPUs (--threads) */
    bool summaries;                /* TIC/base-peak images, mean/max spectra, peaks as
                                    * analysis_K (default true; --no-summaries) */
    size_t max_peaks;              /* peaks kept per dataset; 0 = 500 */
    omsi_progress_fn progress;     /* may be NULL; called at most a few times per second */
    void *progress_ctx;
    volatile sig_atomic_t *cancel; /* non-zero -> stop, remove temp file, OMSI_ERR_CANCELLED */
    const omsi_logger *log;
    /* Unused since the image-chunked copy is built from the reader's slabs
     * (convert_write.h), never read back from data_0; kept for callers. */
    uint64_t readback_cache_bytes;
} omsi_convert_options;

omsi_convert_options omsi_convert_options_default(void);

/* Converts inputs into one new OpenMSI file at output (which must not exist
 * unless overwrite is true). result may be NULL; free it with
 * omsi_convert_result_free. */
int omsi_convert(const char *const *inputs, size_t n_inputs, const char *output,
                 bool overwrite, const omsi_convert_options *opts, omsi_convert_result *result,
                 omsi_error *err);

#endif
