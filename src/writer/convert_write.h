/* Writing one reader selection (dataset or region) into one data_M group:
 * the streaming part of the conversion pipeline.
 *
 * The cube is read in slabs of x_block x Y x z_block values (whole chunks
 * of every dataset the slab serves). Whole chunks are cut out of the slab,
 * deflated on the compression threads (chunk_pool.h) and written with
 * H5Dwrite_chunk, so HDF5's filter pipeline and chunk cache are never in
 * the hot path. When one slab can serve data_0 and data_1 both copies come
 * from the same reads; otherwise data_1 gets passes of its own. */
#ifndef OMSI_CONVERT_WRITE_H
#define OMSI_CONVERT_WRITE_H

#include "writer/convert.h"
#include "writer/omsi_file.h"
#include "writer/summary.h"

typedef struct omsi_write_progress {
    const omsi_convert_options *opts;
    uint64_t done, total;     /* spectra over the whole run */
    double last_report;
} omsi_write_progress;

/* Streams every spectrum of the reader's current selection into d->cube
 * and (if any) d->copy within opts->reader.memory_limit. Fills the
 * statistics of cd (spectra_written, total_intensity) and, when summary is
 * not NULL, adds every spectrum to it in the same pass. spec is what d was
 * created with (chunk shapes, compression level). */
int omsi_write_selection(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                         const omsi_msidata_spec *spec, omsi_converted_dataset *cd,
                         omsi_summary *summary, omsi_write_progress *progress, omsi_error *err);

#endif
