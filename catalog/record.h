/* Recording one finished conversion in the catalog, in one transaction. */
#ifndef OMSI_CATALOG_RECORD_H
#define OMSI_CATALOG_RECORD_H

#include "base/omsi_contents.h"
#include "catalog/catalog.h"

typedef struct omsi_record_source {
    const char *path;          /* canonical path of the dataset */
    const char *format;
    uint64_t size_bytes;
    uint64_t n_files;
    const char *fingerprint;   /* 64 hex digits */
    const char *output_sha256; /* of the HDF5 file */
    int64_t job_id;            /* job to mark done in the same transaction, or 0 */
} omsi_record_source;

/* Inserts the source (as a new version if the path is known with another
 * fingerprint), its output file, experiments, datasets, regions,
 * dependencies, metadata and search document. All or nothing. */
int omsi_catalog_record(omsi_catalog *cat, const omsi_record_source *src,
                        const omsi_convert_result *res, int64_t *source_id, omsi_error *err);

/* The id of the source with this path and fingerprint, 0 if none (and
 * *latest_version gets the highest version recorded for the path, 0 if none). */
int omsi_catalog_find_source(omsi_catalog *cat, const char *path, const char *fingerprint,
                             int64_t *source_id, int *latest_version, omsi_error *err);

/* Bulk fill for the benchmarks only (bench/bench_catalog*.c): begin opens
 * one transaction and prepares the inserts once; record adds one source as
 * omsi_catalog_record does, but without the version lookup (the path must be
 * new; the benchmarks pass job_id 0 and add their jobs by SQL); end commits (commit true) or rolls back, and
 * frees the handle. Not for ingest: one failure loses the whole batch. */
typedef struct omsi_record_bulk omsi_record_bulk;
int omsi_catalog_bulk_begin(omsi_catalog *cat, omsi_record_bulk **out, omsi_error *err);
int omsi_catalog_bulk_record(omsi_record_bulk *b, const omsi_record_source *src,
                             const omsi_convert_result *res, int64_t *source_id, omsi_error *err);
int omsi_catalog_bulk_end(omsi_record_bulk *b, bool commit, omsi_error *err);

#endif
