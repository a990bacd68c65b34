/* `omsi-catalog check`: classify one path with the format registry, open it,
 * and describe every dataset and region (optionally summing all intensities,
 * streaming spectrum by spectrum). Generic over all registered formats. */
#include "cli/check_report.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_object *json_number(double v)
{
    /* JSON has no NaN/Inf. */
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

static json_object *json_u64(uint64_t v)
{
    return v <= INT64_MAX ? json_object_new_int64((int64_t)v) : json_object_new_uint64(v);
}

static json_object *json_text_or_null(const char *s)
{
    return s && s[0] ? json_object_new_string(s) : NULL;
}

/* Neumaier-compensated sum: the float64 sum stays exact far longer. */
typedef struct kahan_sum {
    double sum, compensation;
} kahan_sum;

static void kahan_add(kahan_sum *k, double v)
{
    double t = k->sum + v;
    if (fabs(k->sum) >= fabs(v))
        k->compensation += (k->sum - t) + v;
    else
        k->compensation += (v - t) + k->sum;
    k->sum = t;
}

static void add_mz_summary(json_object *o, const double *mz, uint64_t nz)
{
    json_object_object_add(o, "n_mz", json_u64(nz));
    if (!mz || nz == 0) {
        json_object_object_add(o, "mz_min", NULL);
        json_object_object_add(o, "mz_max", NULL);
        return;
    }
    double lo = mz[0], hi = mz[0];
    bool increasing = true;
    for (uint64_t k = 1; k < nz; k++) {
        if (mz[k] < lo)
            lo = mz[k];
        if (mz[k] > hi)
            hi = mz[k];
        if (!(mz[k] > mz[k - 1]))
            increasing = false;
    }
    json_object_object_add(o, "mz_min", json_number(lo));
    json_object_object_add(o, "mz_max", json_number(hi));
    json_object_object_add(o, "mz_first", json_number(mz[0]));
    json_object_object_add(o, "mz_last", json_number(mz[nz - 1]));
    json_object_object_add(o, "mz_strictly_increasing", json_object_new_boolean(increasing));
}

static json_object *describe_dependencies(omsi_reader *r)
{
    const omsi_dependency *deps = NULL;
    size_t n = omsi_reader_dependencies(r, &deps);
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < n && deps; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "link_name", json_object_new_string(deps[i].link_name));
        json_object_object_add(d, "dataset", json_object_new_int64(deps[i].dataset));
        json_object_object_add(d, "region", deps[i].region == -2
                                                ? NULL
                                                : json_object_new_int64(deps[i].region));
        json_object_object_add(d, "type", json_object_new_string(deps[i].type));
        json_object_object_add(d, "help", json_text_or_null(deps[i].help));
        json_object_array_add(list, d);
    }
    return list;
}

/* Adds the n values of one spectrum (host byte order) to k; one loop per
 * type so a multi-GB --stats pass is not dominated by dispatch. */
#define SUM_AS(ctype)                                                                     \
    do {                                                                                  \
        for (size_t i = 0; i < n; i++) {                                                  \
            ctype v;                                                                      \
            memcpy(&v, (const unsigned char *)values + i * sizeof v, sizeof v);           \
            kahan_add(k, (double)v);                                                      \
        }                                                                                 \
    } while (0)

static void sum_values(kahan_sum *k, omsi_dtype t, const void *values, size_t n)
{
    switch (t) {
    case OMSI_DT_UINT8: SUM_AS(uint8_t); break;
    case OMSI_DT_INT8: SUM_AS(int8_t); break;
    case OMSI_DT_UINT16: SUM_AS(uint16_t); break;
    case OMSI_DT_INT16: SUM_AS(int16_t); break;
    case OMSI_DT_UINT32: SUM_AS(uint32_t); break;
    case OMSI_DT_INT32: SUM_AS(int32_t); break;
    case OMSI_DT_UINT64: SUM_AS(uint64_t); break;
    case OMSI_DT_INT64: SUM_AS(int64_t); break;
    case OMSI_DT_FLOAT32: SUM_AS(float); break;
    case OMSI_DT_FLOAT64: SUM_AS(double); break;
    }
}
#undef SUM_AS

/* Reads every spectrum of the current selection; adds total_intensity and
 * spectra_read. */
static int add_stats(omsi_reader *r, const omsi_dataset_info *info, json_object *o,
                     omsi_error *err)
{
    int rc = omsi_reader_rewind(r, err);
    if (rc)
        return rc;
    kahan_sum total = {0, 0};
    uint64_t spectra = 0;
    omsi_spectrum s;
    while ((rc = omsi_reader_next(r, &s, err)) == 1) {
        if (s.x >= info->nx || s.y >= info->ny)
            return omsi_error_set(err, OMSI_ERR_INTERNAL,
                                  "%s reader yielded pixel (%" PRIu64 ", %" PRIu64
                                  ") outside its %" PRIu64 " x %" PRIu64 " cube",
                                  r->format->name, s.x, s.y, info->nx, info->ny);
        sum_values(&total, info->dtype, s.intensities, (size_t)info->nz);
        spectra++;
    }
    if (rc < 0)
        return rc;
    json_object_object_add(o, "total_intensity", json_number(total.sum + total.compensation));
    json_object_object_add(o, "spectra_read", json_u64(spectra));
    return 0;
}

/* One entry for the current dataset/region selection. */
static int describe_selection(omsi_reader *r, size_t dataset, long region,
                              const check_options *opts, json_object *list, omsi_error *err)
{
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    json_object *o = json_object_new_object();
    json_object_array_add(list, o);
    json_object_object_add(o, "dataset", json_u64(dataset));
    json_object_object_add(o, "region", region < 0 ? NULL : json_object_new_int64(region));
    json_object_object_add(o, "name", json_object_new_string(info.name));
    if (region >= 0) {
        omsi_region reg;
        if (omsi_reader_get_region(r, (size_t)region, &reg) == 0) {
            json_object *origin = json_object_new_array(), *size = json_object_new_array();
            json_object_array_add(origin, json_u64(reg.x0));
            json_object_array_add(origin, json_u64(reg.y0));
            json_object_array_add(size, json_u64(reg.nx));
            json_object_array_add(size, json_u64(reg.ny));
            json_object_object_add(o, "region_name", json_object_new_string(reg.name));
            json_object_object_add(o, "region_origin", origin);
            json_object_object_add(o, "region_size", size);
        }
    }
    json_object *shape = json_object_new_array();
    json_object_array_add(shape, json_u64(info.nx));
    json_object_array_add(shape, json_u64(info.ny));
    json_object_array_add(shape, json_u64(info.nz));
    json_object_object_add(o, "shape", shape);
    json_object_object_add(o, "dtype", json_object_new_string(omsi_dtype_name(info.dtype)));
    json_object_object_add(o, "mz_dtype", json_object_new_string(omsi_dtype_name(info.mz_dtype)));
    add_mz_summary(o, omsi_reader_mz(r), info.nz);
    json_object_object_add(o, "imaging", json_object_new_boolean(!info.not_imaging));
    json_object_object_add(o, "n_spectra", json_u64(info.n_spectra));
    uint64_t pixels;
    json_object_object_add(o, "pixel_count",
                           omsi_mul_u64(info.nx, info.ny, &pixels) ? json_u64(pixels) : NULL);
    json_object_object_add(o, "n_skipped", json_u64(info.n_skipped));
    const omsi_meta_entry *ids = omsi_meta_find(omsi_reader_metadata(r), "skipped_spectrum_ids");
    json_object_object_add(o, "skipped_spectra",
                           info.n_skipped && ids && ids->kind == OMSI_META_TEXT ? json_object_new_string(ids->text)
                                                                                : NULL);
    json_object_object_add(o, "dependencies", describe_dependencies(r));
    int rc = opts->stats ? add_stats(r, &info, o, err) : 0;
    omsi_checksum_state sum = OMSI_CHECKSUM_ABSENT;
    if (!rc) /* after the stats pass, which then verified it on the way */
        rc = omsi_reader_checksum(r, &sum, err);
    json_object_object_add(o, "checksum", json_object_new_string(omsi_checksum_name(sum)));
    return rc;
}

/* Every dataset, and per dataset all regions merged plus each region. */
static int describe_datasets(omsi_reader *r, const check_options *opts, json_object *list,
                             omsi_error *err)
{
    size_t ndatasets = omsi_reader_number_of_datasets(r);
    for (size_t d = 0; d < ndatasets; d++) {
        int rc = omsi_reader_set_dataset(r, d, err);
        if (rc)
            return rc;
        size_t nregions = omsi_reader_number_of_regions(r);
        if (nregions > 0 && (rc = omsi_reader_set_region(r, -1, err)) != 0)
            return rc;
        if ((rc = describe_selection(r, d, -1, opts, list, err)) != 0)
            return rc;
        for (size_t g = 0; g < nregions; g++) {
            if ((rc = omsi_reader_set_region(r, (long)g, err)) != 0 ||
                (rc = describe_selection(r, d, (long)g, opts, list, err)) != 0)
                return rc;
        }
        if (nregions > 0 && (rc = omsi_reader_set_region(r, -1, err)) != 0)
            return rc;
    }
    return 0;
}

static json_object *list_files(const omsi_format *fmt, const char *path)
{
    json_object *files = json_object_new_array();
    omsi_path_list list;
    omsi_path_list_init(&list);
    omsi_error err = {0};
    if (fmt->list_files && fmt->list_files(path, &list, &err) == 0)
        for (size_t i = 0; i < list.count; i++)
            json_object_array_add(files, json_object_new_string(list.paths[i]));
    omsi_path_list_free(&list);
    return files;
}

/* Which format, and its cheap answer. */
static int classify(const char *path, const check_options *opts, const omsi_format **fmt,
                    omsi_validity *validity, omsi_error *why)
{
    if (!opts->format)
        return omsi_detect_format(path, fmt, validity, why);
    *fmt = opts->format;
    *validity = opts->format->is_valid_dataset(path, why);
    if (*validity == OMSI_NOT_THIS_FORMAT) {
        if (!why->message[0])
            omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: not a %s dataset", path,
                           opts->format->name);
        return OMSI_ERR_NOT_FORMAT;
    }
    return 0;
}

/* The format's estimate of the cube, from the reader where one is open and
 * the format can (no second open), else from the path; null when unknown. */
static json_object *size_json(const omsi_format *fmt, const char *path, omsi_reader *r)
{
    uint64_t bytes;
    omsi_error ignored = {0};
    int rc = r && fmt->size_of_reader ? fmt->size_of_reader(r, &bytes, &ignored)
             : fmt->size              ? fmt->size(path, &bytes, &ignored)
                                      : OMSI_ERR_UNSUPPORTED;
    return rc == 0 ? json_u64(bytes) : NULL;
}

bool check_describe_path(const char *path, const check_options *opts, json_object **out)
{
    json_object *o = json_object_new_object();
    *out = o;
    json_object_object_add(o, "path", json_object_new_string(path));
    const omsi_format *fmt = NULL;
    omsi_validity validity = OMSI_NOT_THIS_FORMAT;
    omsi_error err = {0};
    int rc = classify(path, opts, &fmt, &validity, &err);
    struct stat st;
    if (rc == OMSI_ERR_NOT_FORMAT && stat(path, &st) != 0) /* say why: e.g. no such file */
        omsi_error_errno(&err, OMSI_ERR_IO, errno, "%s", path);
    json_object_object_add(o, "format", json_object_new_string(rc || !fmt ? "unknown"
                                                                         : fmt->name));
    json_object_object_add(o, "validity", json_object_new_string(omsi_validity_name(validity)));
    json_object *datasets = json_object_new_array();
    bool ok = false;
    if (rc == 0 && fmt) {
        omsi_reader *r = NULL;
        if (validity == OMSI_VALID) { /* opened first: the size of an open reader costs no second open */
            omsi_open_options oo = omsi_open_options_default();
            oo.force_unsigned = opts->force_unsigned;
            oo.log = opts->log;
            omsi_error_clear(&err);
            rc = fmt->open(path, &oo, &r, &err);
        }
        json_object_object_add(o, "size_bytes", rc == 0 ? size_json(fmt, path, r) : NULL);
        json_object_object_add(o, "files", list_files(fmt, path));
        if (validity == OMSI_VALID) {
            if (rc == 0)
                rc = describe_datasets(r, opts, datasets, &err);
            if (rc == 0) { /* the file's answer: the first dataset's (one per file for every format) */
                omsi_dataset_info info;
                omsi_reader_info(r, &info);
                json_object_object_add(o, "imaging", json_object_new_boolean(!info.not_imaging));
            }
            omsi_reader_close(r);
            ok = rc == 0;
        } else if (!err.message[0]) {
            omsi_error_set(&err, OMSI_ERR_FORMAT, "%s: %s %s dataset", path,
                           omsi_validity_name(validity), fmt->name);
        }
    } else {
        json_object_object_add(o, "size_bytes", NULL);
        json_object_object_add(o, "files", json_object_new_array());
    }
    json_object_object_add(o, "valid", json_object_new_boolean(ok));
    json_object_object_add(o, "error", ok ? NULL : json_text_or_null(err.message));
    json_object_object_add(o, "datasets", datasets);
    return ok;
}
