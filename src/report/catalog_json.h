/* The documents of `omsi-catalog show --json` and `stats --json`, built
 * once for the CLI and the web API (src/serve). */
#ifndef OMSI_REPORT_CATALOG_JSON_H
#define OMSI_REPORT_CATALOG_JSON_H

#include "catalog/catalog.h"

#include <json-c/json.h>
#include <stdint.h>

/* Everything about source_id in the vocabulary of docs/json.md, with
 * "schema_version" first. OMSI_ERR_USAGE when there is no such source. */
int omsi_show_json_doc(omsi_catalog *cat, int64_t source_id, json_object **out, omsi_error *err);

/* Counts by format and job state, bytes in and out, "schema_version" first. */
int omsi_stats_json_doc(omsi_catalog *cat, json_object **out, omsi_error *err);

#endif
