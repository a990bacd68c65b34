/* Whole-record reports of the catalog as JSON (show, stats). */
#ifndef OMSI_CATALOG_REPORT_H
#define OMSI_CATALOG_REPORT_H

#include "catalog/catalog.h"

#include <json-c/json.h>

/* Everything about one source: the source row, output file, experiments with
 * datasets (regions, dependencies, metadata), source metadata, job history.
 * OMSI_ERR_USAGE when there is no such source. */
int omsi_catalog_show(omsi_catalog *cat, int64_t source_id, json_object **out, omsi_error *err);

/* Counts by format and job state, bytes in and out. */
int omsi_catalog_stats(omsi_catalog *cat, json_object **out, omsi_error *err);

#endif
