/* Checking the catalog against the disk: is every recorded output file
 * there, with the SHA-256 recorded for it? And the repair side: mark a
 * broken output and queue its source again; record a restored output. */
#ifndef OMSI_CATALOG_VERIFY_H
#define OMSI_CATALOG_VERIFY_H

#include "catalog/catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct omsi_output_problem {
    int64_t source_id;
    int64_t output_id;
    bool current;          /* the source is the current version of its path */
    char *path;            /* the source's path */
    char *format;
    char *output;          /* the output file's recorded path */
    const char *problem;   /* "missing", "not a regular file" or "checksum mismatch" (static) */
    char *detail;          /* why (errno text, or "recorded X, found Y") */
} omsi_output_problem;

typedef struct omsi_verify_report {
    size_t checked;        /* output files looked at */
    omsi_output_problem *problems;
    size_t count;
} omsi_verify_report;

void omsi_verify_report_free(omsi_verify_report *r);

/* Looks at every output file the catalog records: present, a regular file,
 * its SHA-256 as recorded. Problems go to *report (0 even when some are found). */
int omsi_catalog_verify(omsi_catalog *cat, omsi_verify_report *report, omsi_error *err);

/* Marks the output broken (a later ingest of the unchanged source converts
 * again) and, for a current source, queues a pending job for it (*job_id; 0
 * for a superseded version, which has no source left to convert). */
int omsi_catalog_verify_repair(omsi_catalog *cat, const omsi_output_problem *p, int64_t *job_id,
                               omsi_error *err);

/* Whether the newest output of a source can be used as it is: recorded, not
 * marked broken, and a regular file at its path. */
int omsi_catalog_output_usable(omsi_catalog *cat, int64_t source_id, bool *usable, omsi_error *err);

/* *recorded: some output_files row has this path. */
int omsi_catalog_output_recorded(omsi_catalog *cat, const char *path, bool *recorded, omsi_error *err);

typedef struct omsi_restored_output {
    const char *path;
    uint64_t bytes;
    const char *sha256;
    double seconds;
    int64_t job_id;        /* marked done in the same transaction, or 0 */
} omsi_restored_output;

/* Records a new output file for an already recorded (unchanged) source whose
 * output was missing or broken. When a concurrent ingest restored it first,
 * *already is set and nothing is changed (the caller removes its file). */
int omsi_catalog_restore_output(omsi_catalog *cat, int64_t source_id, const omsi_restored_output *o,
                                bool *already, omsi_error *err);

#endif
