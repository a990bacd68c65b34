/* The JSON of `omsi-catalog query` (docs/json.md): one object per dataset
 * or job row, and the whole {"rows", "truncated"} document. The CLI and the
 * web API (src/serve) print these, so the two never drift apart. */
#ifndef OMSI_REPORT_QUERY_JSON_H
#define OMSI_REPORT_QUERY_JSON_H

#include "catalog/query.h"

#include <json-c/json.h>

/* One row of the vocabulary (no schema_version: --ndjson prints them bare). */
json_object *omsi_query_row_json(const omsi_query_row *r);
json_object *omsi_job_row_json(const omsi_job_row *r);

/* Runs q (datasets, or jobs with q->state) and builds {"schema_version",
 * "rows": [...], "truncated": B} into *out. */
int omsi_query_json_doc(omsi_catalog *cat, const omsi_query *q, json_object **out, omsi_error *err);

/* {"schema_version", "count": N} for q (limit and offset ignored). */
int omsi_query_count_json_doc(omsi_catalog *cat, const omsi_query *q, json_object **out, omsi_error *err);

#endif
