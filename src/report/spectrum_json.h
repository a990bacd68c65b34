/* The document of `omsi-catalog spectrum --json`, also served by
 * /api/datasets/ID/spectrum.json. */
#ifndef OMSI_REPORT_SPECTRUM_JSON_H
#define OMSI_REPORT_SPECTRUM_JSON_H

#include "view/view_select.h"

#include <json-c/json.h>
#include <stdint.h>

typedef struct omsi_spectrum_doc {
    int64_t source_id;
    unsigned dataset;         /* the source's dataset number, from 0 */
    const char *hdf5_path;
    omsi_spectrum_kind kind;
    uint64_t x, y;            /* with OMSI_SPECTRUM_PIXEL */
    const double *mz, *intensity;
    uint64_t n;
} omsi_spectrum_doc;

/* {"schema_version", "source_id", "dataset", "hdf5_path", "spectrum", ["x",
 * "y",] "mz": [...], "intensity": [...]} */
json_object *omsi_spectrum_json_doc(const omsi_spectrum_doc *s);

#endif
