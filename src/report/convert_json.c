#include "report/json_doc.h"
#include "report/convert_json.h"

#include <stdio.h>

static json_object *u64(uint64_t v) { return json_object_new_int64((int64_t)v); }

static json_object *dataset_json(const omsi_convert_result *res, const omsi_converted_dataset *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "hdf5_path", json_object_new_string(d->hdf5_path));
    json_object_object_add(o, "name", json_object_new_string(d->info.name));
    json_object *shape = json_object_new_array();
    json_object_array_add(shape, u64(d->info.nx));
    json_object_array_add(shape, u64(d->info.ny));
    json_object_array_add(shape, u64(d->info.nz));
    json_object_object_add(o, "shape", shape);
    json_object_object_add(o, "pixel_count", u64(d->info.nx * d->info.ny));
    json_object_object_add(o, "dtype", json_object_new_string(omsi_dtype_name(d->info.dtype)));
    json_object_object_add(o, "mz_min", json_object_new_double(d->mz_min));
    json_object_object_add(o, "mz_max", json_object_new_double(d->mz_max));
    json_object_object_add(o, "n_spectra", u64(d->spectra_written));
    json_object_object_add(o, "total_intensity", json_object_new_double(d->total_intensity));
    json_object_object_add(o, "source_dataset", u64(d->source_dataset));
    if (d->is_region) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "index", json_object_new_int64(d->source_region));
        json_object_object_add(r, "name", json_object_new_string(d->region.name));
        json_object_object_add(r, "x0", u64(d->region.x0));
        json_object_object_add(r, "y0", u64(d->region.y0));
        json_object *size = json_object_new_array();
        json_object_array_add(size, u64(d->region.nx));
        json_object_array_add(size, u64(d->region.ny));
        json_object_object_add(r, "shape", size);
        json_object_object_add(o, "region", r);
    }
    json_object *links = json_object_new_array();
    for (size_t i = 0; i < d->n_links; i++) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "link_name", json_object_new_string(d->links[i].link_name));
        json_object_object_add(l, "target", json_object_new_string(res->datasets[d->links[i].target].hdf5_path));
        json_object_object_add(l, "type", json_object_new_string(d->links[i].type));
        json_object_array_add(links, l);
    }
    json_object_object_add(o, "dependencies", links);
    return o;
}

json_object *omsi_convert_result_json(const omsi_convert_result *res)
{
    json_object *o = omsi_json_doc();
    json_object_object_add(o, "output", json_object_new_string(res->output_path ? res->output_path : ""));
    json_object_object_add(o, "bytes_in", u64(res->bytes_in));
    json_object_object_add(o, "bytes_out", u64(res->bytes_out));
    json_object_object_add(o, "seconds", json_object_new_double(res->seconds));
    json_object *experiments = json_object_new_array();
    for (size_t e = 0; e < res->n_experiments; e++) {
        const omsi_converted_experiment *x = &res->experiments[e];
        json_object *eo = json_object_new_object();
        char path[32];
        snprintf(path, sizeof path, "/entry_%zu", e);
        json_object_object_add(eo, "path", json_object_new_string(path));
        json_object_object_add(eo, "identifier", json_object_new_string(x->identifier));
        json_object_object_add(eo, "input", json_object_new_string(x->input_path ? x->input_path : ""));
        json_object_object_add(eo, "format", json_object_new_string(x->format ? x->format : ""));
        json_object *datasets = json_object_new_array();
        for (size_t i = x->first_dataset; i < x->first_dataset + x->n_datasets; i++)
            json_object_array_add(datasets, dataset_json(res, &res->datasets[i]));
        json_object_object_add(eo, "datasets", datasets);
        json_object_array_add(experiments, eo);
    }
    json_object_object_add(o, "experiments", experiments);
    return o;
}
