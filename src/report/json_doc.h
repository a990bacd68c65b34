/* The JSON documents the CLI prints: one vocabulary (docs/json.md) and a
 * schema_version at the top of each. */
#ifndef OMSI_JSON_DOC_H
#define OMSI_JSON_DOC_H

#include <json-c/json.h>
#include <stdio.h>

enum { OMSI_JSON_SCHEMA_VERSION = 1 };

/* A new top-level object holding only "schema_version". */
json_object *omsi_json_doc(void);

/* A document of o's members after "schema_version" (o is released). */
json_object *omsi_json_doc_of(json_object *o);

/* Prints doc (pretty, slashes unescaped) and a newline. */
void omsi_json_print(json_object *doc, FILE *out);

/* Rewrites rows read from the catalog into the vocabulary, in place and
 * through nested objects and arrays: "nx", "ny"[, "nz"] become "shape":
 * [nx, ny(, nz)] with "pixel_count" (nx * ny); an integer "spectra"
 * becomes "n_spectra"; a time ("*_at", "first_seen", in unix seconds)
 * becomes an ISO 8601 UTC string with the number kept as "*_unix". */
void omsi_json_vocabulary(json_object *o);

/* "2026-12-02T01:34:16Z", or NULL (JSON null) when t is not positive. */
json_object *omsi_json_time(double unix_seconds);

#endif
