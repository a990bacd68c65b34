/* Ingest: classify a dataset, fingerprint it, convert it to OpenMSI HDF5 and
 * record it in the catalog in one transaction. The one place where readers,
 * the writer and the catalog meet; omsi-catalog ingest and omsi-watchd's
 * workers call it. */
#ifndef OMSI_INGEST_H
#define OMSI_INGEST_H

#include "catalog/catalog.h"
#include "writer/convert.h"

#include <stdint.h>

typedef struct omsi_ingest_options {
    const char *output_dir;         /* where <name>.h5 files go */
    omsi_convert_options convert;   /* writer options */
    int64_t job_id;                 /* job marked done in the recording transaction, or 0 */
} omsi_ingest_options;

typedef enum omsi_ingest_outcome {
    OMSI_INGEST_NEW,        /* converted and recorded as a new source */
    OMSI_INGEST_NEW_VERSION,/* the path was known with other content: new version recorded */
    OMSI_INGEST_UNCHANGED,  /* same path and fingerprint already recorded: nothing done */
    OMSI_INGEST_RESTORED    /* already recorded, but its output was missing or broken:
                               converted again and the new output recorded */
} omsi_ingest_outcome;

typedef struct omsi_ingest_report {
    omsi_ingest_outcome outcome;
    int64_t source_id;
    char *output_path;      /* malloc'ed; NULL when unchanged */
    int output_number;      /* which name of its stem output_path is: 1 "<stem>.h5", k "<stem>-k.h5" */
    uint64_t datasets;
} omsi_ingest_report;

void omsi_ingest_report_free(omsi_ingest_report *report);

int omsi_ingest_path(omsi_catalog *cat, const char *path, const omsi_ingest_options *opts,
                     omsi_ingest_report *report, omsi_error *err);

#endif
