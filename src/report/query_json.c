#include "report/query_json.h"
#include "report/json_doc.h"

json_object *omsi_query_row_json(const omsi_query_row *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "source_id", json_object_new_int64(r->source_id));
    json_object_object_add(o, "dataset_id", json_object_new_int64(r->dataset_id));
    json_object_object_add(o, "dataset_index", json_object_new_int64(r->dataset_index));
    json_object_object_add(o, "path", json_object_new_string(r->path));
    json_object_object_add(o, "format", json_object_new_string(r->format));
    json_object_object_add(o, "version", json_object_new_int64(r->version));
    json_object_object_add(o, "output", json_object_new_string(r->output));
    json_object_object_add(o, "hdf5_path", json_object_new_string(r->hdf5_path));
    json_object_object_add(o, "name", json_object_new_string(r->name ? r->name : ""));
    json_object *shape = json_object_new_array();
    json_object_array_add(shape, json_object_new_int64(r->nx));
    json_object_array_add(shape, json_object_new_int64(r->ny));
    json_object_array_add(shape, json_object_new_int64(r->nz));
    json_object_object_add(o, "shape", shape);
    json_object_object_add(o, "pixel_count", json_object_new_int64(r->nx * r->ny));
    json_object_object_add(o, "dtype", json_object_new_string(r->dtype));
    json_object_object_add(o, "mz_min", json_object_new_double(r->mz_min));
    json_object_object_add(o, "mz_max", json_object_new_double(r->mz_max));
    json_object_object_add(o, "n_spectra", json_object_new_int64(r->spectra));
    json_object_object_add(o, "total_intensity", json_object_new_double(r->total_intensity));
    json_object_object_add(o, "ingested_at", omsi_json_time(r->ingested_at));
    json_object_object_add(o, "ingested_at_unix", json_object_new_double(r->ingested_at));
    if (r->has_peak) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "mz", json_object_new_double(r->peak_mz));
        json_object_object_add(p, "intensity", json_object_new_double(r->peak_intensity));
        json_object_object_add(p, "coverage", json_object_new_double(r->peak_coverage));
        json_object_object_add(o, "peak", p);
    }
    return o;
}

json_object *omsi_job_row_json(const omsi_job_row *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "job_id", json_object_new_int64(r->id));
    json_object_object_add(o, "path", json_object_new_string(r->source_path));
    json_object_object_add(o, "state", json_object_new_string(r->state));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    json_object_object_add(o, "last_error", r->last_error ? json_object_new_string(r->last_error) : NULL);
    json_object_object_add(o, "created_at", omsi_json_time(r->created_at));
    json_object_object_add(o, "created_at_unix", json_object_new_double(r->created_at));
    json_object_object_add(o, "next_attempt_at", omsi_json_time(r->next_attempt_at));
    json_object_object_add(o, "next_attempt_at_unix", json_object_new_double(r->next_attempt_at));
    json_object_object_add(o, "source_id", r->source_id ? json_object_new_int64(r->source_id) : NULL);
    return o;
}

static int add_dataset(void *ctx, const omsi_query_row *r)
{
    json_object_array_add(ctx, omsi_query_row_json(r));
    return 0;
}

static int add_job(void *ctx, const omsi_job_row *r)
{
    json_object_array_add(ctx, omsi_job_row_json(r));
    return 0;
}

int omsi_query_json_doc(omsi_catalog *cat, const omsi_query *q, json_object **out, omsi_error *err)
{
    *out = NULL;
    bool truncated = false;
    json_object *rows = json_object_new_array();
    int rc = q->state ? omsi_catalog_query_jobs(cat, q, add_job, rows, &truncated, err)
                      : omsi_catalog_query(cat, q, add_dataset, rows, &truncated, err);
    if (rc) {
        json_object_put(rows);
        return rc;
    }
    json_object *doc = omsi_json_doc();
    json_object_object_add(doc, "rows", rows);
    json_object_object_add(doc, "truncated", json_object_new_boolean(truncated));
    *out = doc;
    return 0;
}

int omsi_query_count_json_doc(omsi_catalog *cat, const omsi_query *q, json_object **out, omsi_error *err)
{
    *out = NULL;
    int64_t n = 0;
    int rc = omsi_catalog_query_count(cat, q, &n, err);
    if (rc)
        return rc;
    *out = omsi_json_doc();
    json_object_object_add(*out, "count", json_object_new_int64(n));
    return 0;
}
