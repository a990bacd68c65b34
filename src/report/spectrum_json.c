#include "report/spectrum_json.h"
#include "report/json_doc.h"

json_object *omsi_spectrum_json_doc(const omsi_spectrum_doc *s)
{
    json_object *j = omsi_json_doc(), *jm = json_object_new_array_ext((int)s->n),
                *ji = json_object_new_array_ext((int)s->n);
    json_object_object_add(j, "source_id", json_object_new_int64(s->source_id));
    json_object_object_add(j, "dataset", json_object_new_int64(s->dataset));
    json_object_object_add(j, "hdf5_path", json_object_new_string(s->hdf5_path));
    json_object_object_add(j, "spectrum", json_object_new_string(omsi_spectrum_kind_name(s->kind)));
    if (s->kind == OMSI_SPECTRUM_PIXEL) {
        json_object_object_add(j, "x", json_object_new_int64((int64_t)s->x));
        json_object_object_add(j, "y", json_object_new_int64((int64_t)s->y));
    }
    for (uint64_t i = 0; i < s->n; i++) {
        json_object_array_add(jm, json_object_new_double(s->mz[i]));
        json_object_array_add(ji, json_object_new_double(s->intensity[i]));
    }
    json_object_object_add(j, "mz", jm);
    json_object_object_add(j, "intensity", ji);
    return j;
}
