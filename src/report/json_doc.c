#include "report/json_doc.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

json_object *omsi_json_doc(void)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "schema_version", json_object_new_int(OMSI_JSON_SCHEMA_VERSION));
    return o;
}

json_object *omsi_json_doc_of(json_object *o)
{
    json_object *doc = omsi_json_doc();
    json_object_object_foreach(o, key, value) json_object_object_add(doc, key, json_object_get(value));
    json_object_put(o);
    return doc;
}

void omsi_json_print(json_object *doc, FILE *out)
{
    fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), out);
    fputc('\n', out);
}

json_object *omsi_json_time(double unix_seconds)
{
    char text[32];
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (!(unix_seconds > 0) || !gmtime_r(&t, &tm) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return NULL;
    return json_object_new_string(text);
}

static bool is_time_key(const char *key)
{
    size_t n = strlen(key);
    return strcmp(key, "first_seen") == 0 || (n > 3 && strcmp(key + n - 3, "_at") == 0);
}

static bool is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* The keys are copied first: json-c's iteration breaks when the object
 * changes under it, and a deleted key's string is freed. Catalog rows have
 * short column names; longer keys are left alone. */
static void rewrite_object(json_object *o)
{
    enum { MAX_KEYS = 64, KEY_SIZE = 48 };
    char keys[MAX_KEYS][KEY_SIZE];
    size_t n = 0;
    json_object_object_foreach(o, key, value) {
        (void)value;
        if (n < MAX_KEYS && strlen(key) < KEY_SIZE)
            snprintf(keys[n++], KEY_SIZE, "%s", key);
    }
    json_object *nx = NULL, *ny = NULL, *nz = NULL;
    bool has_nx = json_object_object_get_ex(o, "nx", &nx), has_ny = json_object_object_get_ex(o, "ny", &ny);
    bool has_nz = json_object_object_get_ex(o, "nz", &nz);
    if (has_nx && has_ny && is_number(nx) && is_number(ny)) {
        json_object *shape = json_object_new_array();
        json_object_array_add(shape, json_object_get(nx));
        json_object_array_add(shape, json_object_get(ny));
        if (has_nz)
            json_object_array_add(shape, json_object_get(nz));
        int64_t pixels = json_object_get_int64(nx) * json_object_get_int64(ny);
        json_object_object_del(o, "nx");
        json_object_object_del(o, "ny");
        json_object_object_del(o, "nz");
        json_object_object_add(o, "shape", shape);
        json_object_object_add(o, "pixel_count", json_object_new_int64(pixels));
    }
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        if (!json_object_object_get_ex(o, keys[i], &v))
            continue; /* nx, ny, nz: moved into shape */
        if (strcmp(keys[i], "spectra") == 0 && json_object_is_type(v, json_type_int)) {
            json_object_object_add(o, "n_spectra", json_object_get(v));
            json_object_object_del(o, "spectra");
        } else if (is_time_key(keys[i]) && is_number(v)) {
            char unix_key[80];
            snprintf(unix_key, sizeof unix_key, "%s_unix", keys[i]);
            json_object *seconds = json_object_get(v);
            json_object_object_add(o, keys[i], omsi_json_time(json_object_get_double(seconds)));
            json_object_object_add(o, unix_key, seconds);
        } else {
            omsi_json_vocabulary(v);
        }
    }
}

void omsi_json_vocabulary(json_object *o)
{
    if (json_object_is_type(o, json_type_object)) {
        rewrite_object(o);
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            omsi_json_vocabulary(json_object_array_get_idx(o, i));
    }
}
