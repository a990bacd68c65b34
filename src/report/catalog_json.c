#include "report/catalog_json.h"
#include "report/json_doc.h"
#include "catalog/report.h"

int omsi_show_json_doc(omsi_catalog *cat, int64_t source_id, json_object **out, omsi_error *err)
{
    json_object *o = NULL;
    *out = NULL;
    int rc = omsi_catalog_show(cat, source_id, &o, err);
    if (rc)
        return rc;
    omsi_json_vocabulary(o); /* shape, n_spectra, ISO times: docs/json.md */
    *out = omsi_json_doc_of(o);
    return 0;
}

int omsi_stats_json_doc(omsi_catalog *cat, json_object **out, omsi_error *err)
{
    json_object *o = NULL;
    *out = NULL;
    int rc = omsi_catalog_stats(cat, &o, err);
    if (rc)
        return rc;
    *out = omsi_json_doc_of(o);
    return 0;
}
