/* Writing one reader selection (dataset or region) into one data_M group:
 * the streaming part of the conversion pipeline. */
#ifndef OMSI_CONVERT_WRITE_H
#define OMSI_CONVERT_WRITE_H

#include "writer/convert.h"
#include "writer/omsi_file.h"

/* Bytes of intensity data kept in memory at most while building the
 * image-chunked copy (plus the HDF5 chunk caches). */
#define OMSI_CONVERT_BLOCK_BYTES (256u << 20)
/* Largest chunk cache used to read data_0 back for the copy. */
#define OMSI_CONVERT_READBACK_CACHE (256u << 20)

typedef struct omsi_write_progress {
    const omsi_convert_options *opts;
    uint64_t done, total;     /* spectra over the whole run */
    double last_report;
} omsi_write_progress;

/* Streams every spectrum of the reader's current selection into d->cube,
 * then fills d->copy (if any) from d->cube in bounded blocks. Fills the
 * statistics of cd (spectra_written, total_intensity). */
int omsi_write_selection(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                         omsi_converted_dataset *cd, omsi_write_progress *progress,
                         omsi_error *err);

#endif
