/* The conversion pipeline (convert.h): readers -> one OpenMSI HDF5 file,
 * laid out as openmsi-hdf5.md section 11 says, with each input its own
 * experiment, written to a temporary file and renamed into place. */
#include "writer/convert.h"
#include "writer/chunking.h"
#include "writer/convert_write.h"
#include "writer/omsi_analysis.h"
#include "writer/omsi_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

omsi_convert_options omsi_convert_options_default(void)
{
    omsi_convert_options o;
    memset(&o, 0, sizeof o);
    o.compression_level = 4;
    o.summaries = true;
    o.reader = omsi_open_options_default();
    return o;
}

/* A reader dependency waiting for every dataset of its input to exist. */
typedef struct pending_link {
    size_t owner;           /* converted dataset */
    omsi_dependency dep;
} pending_link;

typedef struct run {
    const omsi_convert_options *opts;
    hid_t file;
    omsi_convert_result *res;
    pending_link *links;
    size_t n_links, cap_links;
    omsi_write_progress progress;
} run;

static int grow(void **array, size_t *cap, size_t need, size_t item, omsi_error *err)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    void *p = realloc(*array, n * item);
    if (!p)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    memset((char *)p + *cap * item, 0, (n - *cap) * item);
    *array = p;
    *cap = n;
    return 0;
}

/* The path-free identifier (spec 6, recommended deviation): the base name
 * without a known extension. */
static void default_identifier(const char *input, char *out, size_t size)
{
    char *base = omsi_path_basename(input);
    const char *exts[] = {".hdr", ".img", ".t2m", ".imzML", ".ibd", ".mzML", "_spot_list.txt", ".txt"};
    snprintf(out, size, "%s", base ? base : input);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (omsi_has_suffix_ci(out, exts[i]) && strlen(out) > strlen(exts[i])) {
            out[strlen(out) - strlen(exts[i])] = '\0';
            break;
        }
    free(base);
}

static void axis_range(const double *mz, uint64_t n, double *lo, double *hi)
{
    *lo = n ? mz[0] : 0;
    *hi = n ? mz[0] : 0;
    for (uint64_t k = 1; k < n; k++) {
        if (mz[k] < *lo)
            *lo = mz[k];
        if (mz[k] > *hi)
            *hi = mz[k];
    }
}

static void plan_chunks(const omsi_convert_options *o, const omsi_dataset_info *info,
                        omsi_msidata_spec *spec)
{
    uint64_t shape[3] = {info->nx, info->ny, info->nz};
    size_t item = omsi_dtype_size(info->dtype);
    spec->compression_level = o->compression_level > 9 ? 9 : o->compression_level;
    if (o->chunking == OMSI_CHUNK_NONE) {
        spec->chunked = false;
        spec->compression_level = -1; /* HDF5 filters need chunks */
        return;
    }
    spec->chunked = true;
    uint64_t want[3];
    if (o->chunking == OMSI_CHUNK_EXPLICIT) {
        memcpy(want, o->chunk, sizeof want);
    } else {
        omsi_chunk_auto_spectrum(info->nx, info->ny, info->nz, item, want);
        omsi_chunk_raise(shape, item, false, want);
        uint64_t image[3];
        omsi_chunk_auto_image(info->nx, info->ny, info->nz, item, image);
        omsi_chunk_raise(shape, item, true, image);
        omsi_chunk_clip(shape, image, item, spec->image_chunk);
        spec->image_copy = true;
    }
    omsi_chunk_clip(shape, want, item, spec->chunk);
}

/* Summaries need X*Y*16 + Z*36 bytes; beyond an eighth of the memory budget
 * they are skipped (said in the log and the dataset's metadata). */
static int start_summary(run *ctx, omsi_converted_dataset *cd, omsi_summary *s, bool *on,
                         omsi_error *err)
{
    *on = false;
    if (!ctx->opts->summaries)
        return 0;
    uint64_t need = omsi_summary_bytes(cd->info.nx, cd->info.ny, cd->info.nz);
    uint64_t limit = omsi_budget_limit(ctx->opts->reader.memory_limit);
    if (need > limit / 8) {
        omsi_log(ctx->opts->log, OMSI_LOG_WARNING,
                 "%s: no summaries (TIC, mean spectrum, peaks): they need %llu MiB, more than an "
                 "eighth of the memory limit (--memory-limit)",
                 cd->hdf5_path, (unsigned long long)(need >> 20));
        return omsi_meta_text(&cd->metadata, OMSI_COLL_DATASET, "summaries",
                              "skipped: more than an eighth of the memory limit", NULL, NULL)
                   ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory")
                   : 0;
    }
    int rc = omsi_summary_init(s, cd->info.nx, cd->info.ny, cd->info.nz, cd->info.dtype, err);
    *on = rc == 0;
    return rc;
}

/* The peaks, the analysis group, and what the catalog records. */
static int finish_summary(run *ctx, hid_t experiment, omsi_converted_dataset *cd,
                          const omsi_summary *s, const double *mz, omsi_error *err)
{
    omsi_peak *peaks = NULL;
    size_t n = 0, max_peaks = ctx->opts->max_peaks ? ctx->opts->max_peaks : 500;
    int rc = omsi_summary_peaks(s, mz, max_peaks, &peaks, &n, err);
    if (!rc)
        rc = omsi_file_write_summary(experiment, cd->data_index, cd->hdf5_path, s, peaks, n, max_peaks, err);
    size_t pixels = (size_t)(cd->info.nx * cd->info.ny);
    if (!rc && !(cd->tic_image = malloc(pixels * sizeof *cd->tic_image)))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (rc) {
        free(peaks);
        return rc;
    }
    memcpy(cd->tic_image, s->tic, pixels * sizeof *cd->tic_image);
    cd->peaks = peaks;
    cd->n_peaks = n;
    snprintf(cd->analysis_path, sizeof cd->analysis_path, "/entry_%zu/analysis_%zu", cd->entry_index,
             cd->data_index);
    return 0;
}

/* One reader selection -> /entry_N/data_M. */
static int convert_selection(run *ctx, omsi_reader *r, hid_t experiment, size_t exp_index,
                             size_t dataset, long region, omsi_error *err)
{
    omsi_convert_result *res = ctx->res;
    size_t cap = res->n_datasets;
    int rc = grow((void **)&res->datasets, &cap, res->n_datasets + 1, sizeof *res->datasets, err);
    if (rc)
        return rc;
    omsi_converted_experiment *e = &res->experiments[exp_index];
    omsi_converted_dataset *cd = &res->datasets[res->n_datasets];
    memset(cd, 0, sizeof *cd);
    omsi_meta_init(&cd->metadata);
    cd->experiment = exp_index;
    cd->entry_index = exp_index;
    cd->data_index = e->n_datasets;
    cd->source_dataset = dataset;
    cd->source_region = region;
    cd->is_region = region >= 0;
    if (cd->is_region)
        omsi_reader_get_region(r, (size_t)region, &cd->region);
    snprintf(cd->hdf5_path, sizeof cd->hdf5_path, "/entry_%zu/data_%zu", cd->entry_index, cd->data_index);
    res->n_datasets++;
    e->n_datasets++;

    omsi_reader_info(r, &cd->info);
    const double *mz = omsi_reader_mz(r);
    axis_range(mz, cd->info.nz, &cd->mz_min, &cd->mz_max);
    omsi_msidata_spec spec = {
        .shape = {cd->info.nx, cd->info.ny, cd->info.nz},
        .dtype = cd->info.dtype,
        .mz_type = cd->info.mz_dtype == OMSI_DT_FLOAT64 ? OMSI_DT_FLOAT64 : OMSI_DT_FLOAT32,
        .mz = mz,
    };
    if (cd->info.nx == 0 || cd->info.ny == 0 || cd->info.nz == 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: dataset %s is empty (%llu x %llu x %llu)",
                              e->input_path, cd->hdf5_path, (unsigned long long)cd->info.nx,
                              (unsigned long long)cd->info.ny, (unsigned long long)cd->info.nz);
    plan_chunks(ctx->opts, &cd->info, &spec);
    omsi_msidata d = {-1, -1, -1, -1, -1};
    omsi_summary summary = {0};
    bool summarise = false;
    rc = omsi_file_create_msidata(experiment, cd->data_index, &spec, &d, err);
    if (!rc)
        rc = start_summary(ctx, cd, &summary, &summarise, err);
    if (!rc)
        rc = omsi_write_selection(r, &cd->info, &d, &spec, cd, summarise ? &summary : NULL,
                                  &ctx->progress, err);
    if (!rc && summarise)
        rc = finish_summary(ctx, experiment, cd, &summary, mz, err);
    omsi_summary_free(&summary);
    const omsi_metadata *md = omsi_reader_metadata(r);
    if (!rc && md && omsi_meta_append(&cd->metadata, md))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = omsi_file_write_metadata(d.metadata, md, OMSI_COLL_DATASET, err);
    if (!rc)
        rc = omsi_file_write_optional_collection(d.group, md, OMSI_COLL_INSTRUMENT, err);
    if (!rc)
        rc = omsi_file_write_optional_collection(d.group, md, OMSI_COLL_METHODS, err);
    const omsi_dependency *deps = NULL;
    size_t n_deps = rc ? 0 : omsi_reader_dependencies(r, &deps);
    for (size_t i = 0; i < n_deps && !rc; i++) {
        rc = grow((void **)&ctx->links, &ctx->cap_links, ctx->n_links + 1, sizeof *ctx->links, err);
        if (!rc) {
            ctx->links[ctx->n_links].owner = res->n_datasets - 1;
            ctx->links[ctx->n_links].dep = deps[i];
            ctx->n_links++;
        }
    }
    rc = omsi_file_close_msidata(&d, rc, err);
    if (rc)
        omsi_error_prefix(err, "%s", cd->hdf5_path);
    return rc;
}

/* Every (dataset, region) selection of an open reader, in convertToOMSI order. */
static int plan_jobs(omsi_reader *r, omsi_region_mode mode, long **jobs, size_t *n_jobs,
                     uint64_t *spectra, omsi_error *err)
{
    size_t n_datasets = omsi_reader_number_of_datasets(r);
    size_t cap = 0;
    *jobs = NULL;
    *n_jobs = 0;
    for (size_t d = 0; d < n_datasets; d++) {
        int rc = omsi_reader_set_dataset(r, d, err);
        if (rc)
            return rc;
        size_t n_regions = omsi_reader_number_of_regions(r);
        bool merged = n_regions == 0 || mode != OMSI_REGIONS_SPLIT;
        bool split = n_regions > 0 && mode != OMSI_REGIONS_MERGE;
        for (long g = merged ? -1 : 0; g < (long)(split ? n_regions : 0); g++) {
            rc = grow((void **)jobs, &cap, *n_jobs + 1, 2 * sizeof **jobs, err);
            if (rc)
                return rc;
            (*jobs)[2 * *n_jobs] = (long)d;
            (*jobs)[2 * *n_jobs + 1] = g;
            (*n_jobs)++;
            omsi_dataset_info info;
            if (g >= 0) {
                omsi_region region;
                if (omsi_reader_get_region(r, (size_t)g, &region) == 0)
                    *spectra += region.n_spectra;
            } else {
                omsi_reader_info(r, &info);
                *spectra += info.n_spectra;
            }
        }
    }
    return 0;
}

static uint64_t input_bytes(omsi_reader *r, const char *path)
{
    const omsi_format *fmt = r->format;
    omsi_error ignore = {0};
    uint64_t total = 0, size;
    if (fmt->input_bytes_of_reader)
        return fmt->input_bytes_of_reader(r, &total, &ignore) == 0 ? total : 0;
    omsi_path_list files;
    omsi_path_list_init(&files);
    if (fmt->list_files(path, &files, &ignore) == 0)
        for (size_t i = 0; i < files.count; i++)
            if (omsi_file_size(files.paths[i], &size, &ignore) == 0)
                total += size;
    omsi_path_list_free(&files);
    return total;
}

static int convert_input(run *ctx, const char *input, size_t index, omsi_error *err)
{
    const omsi_convert_options *o = ctx->opts;
    omsi_convert_result *res = ctx->res;
    const omsi_format *fmt = o->format_table;
    if (!fmt && o->format && strcmp(o->format, "auto") != 0) {
        fmt = omsi_format_by_name(o->format);
        if (!fmt)
            return omsi_error_set(err, OMSI_ERR_USAGE, "unknown format '%s'", o->format);
    }
    omsi_reader *r = NULL;
    long *jobs = NULL;
    size_t n_jobs = 0;
    hid_t experiment = -1;
    int rc = omsi_reader_open(input, fmt, &o->reader, &r, err);
    if (rc)
        goto done;
    omsi_converted_experiment *e = &res->experiments[index];
    e->format = r->format->name;
    e->first_dataset = res->n_datasets;
    e->input_path = strdup(input);
    e->input_bytes = input_bytes(r, input);
    res->bytes_in += e->input_bytes;
    if (!e->input_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (o->experiment_id && index == 0)
        snprintf(e->identifier, sizeof e->identifier, "%s", o->experiment_id);
    else if (o->experiment_id)
        snprintf(e->identifier, sizeof e->identifier, "%s_%zu", o->experiment_id, index);
    else
        default_identifier(input, e->identifier, sizeof e->identifier);
    rc = plan_jobs(r, o->regions, &jobs, &n_jobs, &ctx->progress.total, err);
    if (rc)
        goto done;
    if (n_jobs == 0) {
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: no datasets to convert", input);
        goto done;
    }
    for (size_t j = 0; j < n_jobs && !rc; j++) {
        size_t dataset = (size_t)jobs[2 * j];
        long region = jobs[2 * j + 1];
        rc = omsi_reader_set_dataset(r, dataset, err);
        if (!rc && (region >= 0 || omsi_reader_number_of_regions(r) > 0))
            rc = omsi_reader_set_region(r, region, err);
        if (!rc && experiment < 0) {
            /* instrument/mz is the first dataset's axis, in the reader's type (spec 7.5). */
            omsi_dataset_info info;
            omsi_reader_info(r, &info);
            rc = omsi_file_create_experiment(ctx->file, index, e->identifier, omsi_reader_mz(r),
                                             info.nz, info.mz_dtype == OMSI_DT_FLOAT64 ? OMSI_DT_FLOAT64 : OMSI_DT_FLOAT32,
                                             &experiment, err);
        }
        if (!rc)
            rc = convert_selection(ctx, r, experiment, index, dataset, region, err);
    }
done:
    free(jobs);
    rc = omsi_h5_close(&experiment, rc, err);
    if (r)
        omsi_reader_close(r);
    if (rc && !strstr(err->message, input))
        omsi_error_prefix(err, "%s", input);
    return rc;
}

/* The converted dataset of experiment e made from (dataset, region), or -1. */
static long find_converted(const omsi_convert_result *res, size_t e, size_t dataset, long region)
{
    const omsi_converted_experiment *x = &res->experiments[e];
    for (size_t i = x->first_dataset; i < x->first_dataset + x->n_datasets; i++)
        if (res->datasets[i].source_dataset == dataset && res->datasets[i].source_region == region)
            return (long)i;
    return -1;
}

static int write_links(run *ctx, omsi_error *err)
{
    omsi_convert_result *res = ctx->res;
    for (size_t i = 0; i < ctx->n_links; i++) {
        const pending_link *p = &ctx->links[i];
        omsi_converted_dataset *owner = &res->datasets[p->owner];
        size_t dataset = p->dep.dataset < 0 ? owner->source_dataset : (size_t)p->dep.dataset;
        long region = p->dep.region == -2 ? -1 : p->dep.region;
        long target = find_converted(res, owner->experiment, dataset, region);
        if (target < 0 || (size_t)target == p->owner)
            continue; /* not converted (e.g. --regions split) or a self-link */
        char group_path[96];
        snprintf(group_path, sizeof group_path, "%s/dependency", owner->hdf5_path);
        hid_t g = H5Gopen2(ctx->file, group_path, H5P_DEFAULT);
        if (g < 0)
            return omsi_h5_fail(err, "%s", group_path);
        int rc = omsi_file_add_dependency(g, p->dep.link_name, res->datasets[target].hdf5_path,
                                          p->dep.type, p->dep.help, err);
        rc = omsi_h5_close(&g, rc, err);
        if (rc)
            return rc;
        size_t cap = owner->n_links;
        if (grow((void **)&owner->links, &cap, owner->n_links + 1, sizeof *owner->links, err))
            return err->status;
        omsi_converted_link *l = &owner->links[owner->n_links++];
        snprintf(l->link_name, sizeof l->link_name, "%s", p->dep.link_name);
        snprintf(l->type, sizeof l->type, "%s", p->dep.type);
        snprintf(l->help, sizeof l->help, "%s", p->dep.help);
        l->target = (size_t)target;
    }
    return 0;
}

static int fsync_path(const char *path, bool directory, omsi_error *err)
{
    int fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    int rc = fsync(fd) == 0 ? 0 : omsi_error_errno(err, OMSI_ERR_IO, errno, "fsync %s", path);
    close(fd);
    return rc;
}

/* A fresh temporary name beside output, hidden and marked as partial. */
static char *make_temp(const char *output, omsi_error *err)
{
    char *dir = omsi_path_dirname(output), *base = omsi_path_basename(output);
    char *tmp = NULL;
    if (dir && base) {
        size_t n = strlen(dir) + strlen(base) + 32;
        tmp = malloc(n);
        if (tmp) {
            /* The writer's pid in the name: a restarted omsi-watchd removes
             * only the partial files whose writer is dead. */
            snprintf(tmp, n, "%s/.%s.partial-%ld-XXXXXX", dir, base, (long)getpid());
            int fd = mkstemp(tmp);
            if (fd < 0) {
                omsi_error_errno(err, OMSI_ERR_IO, errno, "cannot create a file in %s", dir);
                free(tmp);
                tmp = NULL;
            } else {
                /* mkstemp makes 0600; the finished file is meant to be shared. */
                fchmod(fd, 0644);
                close(fd);
            }
        }
    }
    if (!tmp && err->status == OMSI_OK)
        omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    free(dir);
    free(base);
    return tmp;
}

int omsi_convert(const char *const *inputs, size_t n_inputs, const char *output,
                 bool overwrite, const omsi_convert_options *opts, omsi_convert_result *result,
                 omsi_error *err)
{
    omsi_convert_options defaults = omsi_convert_options_default();
    omsi_convert_result local;
    memset(&local, 0, sizeof local);
    omsi_convert_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    run ctx = {.opts = opts ? opts : &defaults, .file = -1, .res = res};
    ctx.progress.opts = ctx.opts;
    double t0 = omsi_monotonic_seconds();
    char *tmp = NULL;
    int rc = 0;
    bool renamed = false;
    omsi_h5_quiet();
    if (n_inputs == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "no input datasets");
    struct stat st;
    if (!overwrite && lstat(output, &st) == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: already exists (use --overwrite to replace it)", output);
    if (ctx.opts->chunking == OMSI_CHUNK_NONE && ctx.opts->compression_level >= 0)
        omsi_log(ctx.opts->log, OMSI_LOG_INFO, "no chunking: writing without compression");
    res->experiments = calloc(n_inputs, sizeof *res->experiments);
    res->output_path = strdup(output);
    if (!res->experiments || !res->output_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    res->n_experiments = n_inputs;
    tmp = make_temp(output, err);
    if (!tmp) {
        rc = err->status;
        goto done;
    }
    rc = omsi_file_create(tmp, &ctx.file, err);
    for (size_t i = 0; i < n_inputs && !rc; i++)
        rc = convert_input(&ctx, inputs[i], i, err);
    if (!rc)
        rc = write_links(&ctx, err);
    rc = omsi_file_close(&ctx.file, tmp, rc, err);
    if (!rc && ctx.opts->cancel && *ctx.opts->cancel)
        rc = omsi_error_set(err, OMSI_ERR_CANCELLED, "conversion cancelled");
    if (!rc)
        rc = fsync_path(tmp, false, err);
    if (!rc && rename(tmp, output) != 0)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "rename %s to %s", tmp, output);
    else if (!rc)
        renamed = true;
    if (!rc) {
        char *dir = omsi_path_dirname(output);
        rc = dir ? fsync_path(dir, true, err) : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        free(dir);
        if (!rc && omsi_file_size(output, &res->bytes_out, err))
            rc = err->status;
    }
done:
    omsi_file_close(&ctx.file, tmp, rc ? rc : OMSI_ERR_INTERNAL, err);
    /* A failure reports no OUTPUT: not even one renamed into place whose
     * folder could not be synced after. */
    if (rc && renamed)
        unlink(output);
    if (rc && tmp)
        unlink(tmp); /* never leave a partial file behind */
    free(tmp);
    free(ctx.links);
    res->seconds = omsi_monotonic_seconds() - t0;
    if (rc || !result)
        omsi_convert_result_free(res);
    return rc;
}
