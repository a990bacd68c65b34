/* omsi_ingest_path: classify, fingerprint, convert, record. */
#include "ingest/ingest.h"
#include "view/thumbnail.h"
#include "catalog/fingerprint.h"
#include "catalog/record.h"
#include "catalog/verify.h"
#include "base/omsi_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void omsi_ingest_report_free(omsi_ingest_report *report)
{
    if (!report)
        return;
    free(report->output_path);
    memset(report, 0, sizeof *report);
}

/* <output_dir>/<stem>-<first 12 hex digits of the fingerprint>: stable for
 * the same content, distinct for a new version. ".h5" (or "-N.h5") is added
 * when the file is published. */
static char *output_stem(const char *output_dir, const char *path, const char *fingerprint)
{
    char *base = omsi_path_basename(path);
    if (!base)
        return NULL;
    char *dot = strrchr(base, '.');
    if (dot && dot != base && !omsi_is_directory(path))
        *dot = '\0'; /* "sample.imzML" -> "sample" */
    for (char *p = base; *p; p++)
        if (*p == '.' || *p == ' ' || (unsigned char)*p < 0x20)
            *p = '_';
    size_t n = strlen(output_dir) + strlen(base) + 32;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s-%.12s", output_dir, base, fingerprint);
    free(base);
    return out;
}

/* A fresh hidden name in the output folder that this attempt owns: the
 * conversion is renamed onto it, then published under a name no one else
 * holds (publish()). Named like the writer's own temporary files
 * (".<name>.h5.partial-<pid>.<host>-XXXXXX"), so that what a killed process
 * leaves is recognised and removed as such, what a live one holds is kept
 * (omsi-watchd does that at start), and what another host's worker holds in
 * a shared output folder is left to the host that takes its job over. */
static char *make_staging(const char *output_dir, const char *stem, omsi_error *err)
{
    const char *base = stem + strlen(output_dir) + 1;
    size_t n = strlen(output_dir) + strlen(base) + 48 + OMSI_HOST_MAX;
    char *staged = malloc(n);
    if (!staged) {
        omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char host[OMSI_HOST_MAX];
    snprintf(staged, n, "%s/.%s.h5.partial-%ld.%s-XXXXXX", output_dir, base, (long)getpid(), omsi_proc_host(host));
    int fd = mkstemp(staged);
    if (fd < 0) {
        omsi_error_errno(err, OMSI_ERR_IO, errno, "cannot create a file in %s", output_dir);
        free(staged);
        return NULL;
    }
    close(fd);
    return staged;
}

/* Gives the finished file its public name: <stem>.h5, or <stem>-2.h5, -3...
 * when that name is taken (by a concurrent ingest of the same content, or a
 * file left by an earlier one). link() never replaces a file, so two
 * attempts can never end up with the same name, and each one only ever
 * removes the name it got. Returns the name (malloc'ed) or NULL. */
/* The TIC thumbnails the catalog keeps (longest side 256 px). A dataset
 * without one is still recorded: a thumbnail is a convenience. */
static void make_thumbnails(omsi_convert_result *res, const omsi_ingest_options *opts)
{
    for (size_t i = 0; i < res->n_datasets; i++) {
        omsi_converted_dataset *d = &res->datasets[i];
        if (!d->tic_image)
            continue;
        omsi_error err = {0};
        if (omsi_thumbnail_png(d->tic_image, d->info.nx, d->info.ny, 256, &d->thumbnail_png,
                               &d->thumbnail_bytes, &d->thumbnail_width, &d->thumbnail_height, &err))
            omsi_log(opts->convert.log, OMSI_LOG_WARNING, "%s: no thumbnail: %s", d->hdf5_path,
                     err.message);
    }
}

/* Links staged to the first free name of "<stem>.h5", "<stem>-2.h5", ...;
 * *number gets which one it is. */
static char *publish(const char *staged, const char *stem, int *number, omsi_error *err)
{
    size_t n = strlen(stem) + 32;
    char *name = malloc(n);
    if (!name) {
        omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 1; i <= 1000; i++) {
        if (i == 1)
            snprintf(name, n, "%s.h5", stem);
        else
            snprintf(name, n, "%s-%d.h5", stem, i);
        if (link(staged, name) == 0) {
            *number = i;
            unlink(staged);
            char *dir = omsi_path_dirname(name);
            int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
            if (fd >= 0) {
                fsync(fd); /* the new name survives a crash */
                close(fd);
            }
            free(dir);
            return name;
        }
        if (errno != EEXIST) {
            omsi_error_errno(err, OMSI_ERR_IO, errno, "cannot name the output %s", name);
            free(name);
            return NULL;
        }
    }
    omsi_error_set(err, OMSI_ERR_IO, "%s.h5: 1000 files of that name exist already", stem);
    free(name);
    return NULL;
}

/* The dataset's files and their cheap fingerprint as they lie now. */
static int snapshot(const omsi_format *fmt, const char *path, char quick[65], omsi_error *err)
{
    omsi_path_list files;
    omsi_path_list_init(&files);
    int rc = fmt->list_files(path, &files, err);
    if (!rc)
        rc = omsi_fingerprint_quick(&files, quick, err);
    omsi_path_list_free(&files);
    return rc;
}

int omsi_ingest_path(omsi_catalog *cat, const char *path, const omsi_ingest_options *opts,
                     omsi_ingest_report *report, omsi_error *err)
{
    memset(report, 0, sizeof *report);
    if (!opts || !opts->output_dir)
        return omsi_error_set(err, OMSI_ERR_USAGE, "ingest needs an output directory");
    if (omsi_catalog_is_read_only(cat))
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: opened read-only", omsi_catalog_path(cat));
    char *canonical = realpath(path, NULL);
    if (!canonical)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    char *output_dir = realpath(opts->output_dir, NULL);
    if (!output_dir) {
        int e = errno;
        free(canonical);
        return omsi_error_errno(err, OMSI_ERR_IO, e, "output folder %s", opts->output_dir);
    }
    const omsi_format *fmt = NULL;
    omsi_validity validity;
    omsi_path_list files;
    omsi_path_list_init(&files);
    omsi_convert_result result;
    memset(&result, 0, sizeof result);
    char fingerprint[65] = "", output_sha[65] = "";
    uint64_t bytes = 0;
    char *output = NULL, *stem = NULL, *staged = NULL;
    int rc;
    const char *forced = opts->convert.format;
    if (forced && strcmp(forced, "auto") != 0) {
        fmt = omsi_format_by_name(forced);
        if (!fmt) {
            rc = omsi_error_set(err, OMSI_ERR_USAGE, "unknown format '%s'", forced);
            goto done;
        }
        validity = fmt->is_valid_dataset(canonical, err);
        rc = 0;
    } else {
        rc = omsi_detect_format(canonical, &fmt, &validity, err);
    }
    if (rc)
        goto done;
    if (validity != OMSI_VALID) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message); /* err is rewritten below */
        rc = omsi_error_set(err, validity == OMSI_INCOMPLETE ? OMSI_ERR_INCOMPLETE : OMSI_ERR_FORMAT,
                            "%s %s dataset: %s", omsi_validity_name(validity), fmt->name,
                            why[0] ? why : path);
        goto done;
    }
    /* Taken before the files are read, compared after the conversion: a
     * dataset changed meanwhile must not be recorded with stale contents. */
    char quick_before[65] = "", quick_after[65] = "";
    rc = snapshot(fmt, canonical, quick_before, err);
    if (!rc)
        rc = fmt->list_files(canonical, &files, err);
    /* Names relative to the dataset's folder: the fingerprint is of the
     * content, the same wherever the dataset lies. */
    char *base = rc ? NULL : omsi_path_dirname(canonical);
    if (!rc && !base)
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = omsi_fingerprint_files(&files, base, fingerprint, &bytes, err);
    free(base);
    if (rc)
        goto done;
    int64_t existing = 0;
    int version = 0;
    rc = omsi_catalog_find_source(cat, canonical, fingerprint, &existing, &version, err);
    bool usable = false;
    if (!rc && existing)
        rc = omsi_catalog_output_usable(cat, existing, &usable, err);
    if (rc)
        goto done;
    if (existing && usable) {
        report->outcome = OMSI_INGEST_UNCHANGED;
        report->source_id = existing;
        goto done;
    }
    /* existing && !usable: the source is unchanged but its output is missing
     * or marked broken (omsi-catalog verify --repair): convert it again. */
    stem = output_stem(output_dir, canonical, fingerprint);
    if (!stem) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    staged = make_staging(output_dir, stem, err);
    if (!staged) {
        rc = err->status;
        goto done;
    }
    omsi_convert_options copts = opts->convert;
    copts.format = fmt->name;
    const char *inputs[] = {canonical};
    /* The staging name is ours alone (mkstemp), so replacing it is safe. */
    rc = omsi_convert(inputs, 1, staged, true, &copts, &result, err);
    if (!rc)
        rc = snapshot(fmt, canonical, quick_after, err);
    if (!rc && strcmp(quick_before, quick_after) != 0)
        rc = omsi_error_set(err, OMSI_ERR_INCOMPLETE,
                            "%s: changed during conversion; output discarded, to be converted again",
                            path);
    if (!rc)
        rc = omsi_fingerprint_file(staged, output_sha, err);
    int output_number = 0;
    if (!rc && !(output = publish(staged, stem, &output_number, err)))
        rc = err->status;
    if (rc)
        goto done;
    make_thumbnails(&result, opts);
    free(result.output_path); /* the catalog records the published name */
    result.output_path = strdup(output);
    if (!result.output_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    bool lost_race = false;
    if (existing) {
        omsi_restored_output restored = {.path = output, .bytes = result.bytes_out,
                                         .sha256 = output_sha, .seconds = result.seconds,
                                         .job_id = opts->job_id};
        rc = omsi_catalog_restore_output(cat, existing, &restored, &lost_race, err);
        report->source_id = existing;
    } else {
        omsi_record_source src = {
            .path = canonical, .format = fmt->name, .size_bytes = bytes, .n_files = files.count,
            .fingerprint = fingerprint, .output_sha256 = output_sha, .job_id = opts->job_id,
        };
        rc = omsi_catalog_record(cat, &src, &result, &report->source_id, err);
        if (rc) {
            /* A concurrent ingest of the same content may have recorded it
             * first (UNIQUE (path, fingerprint)): then this one is the loser. */
            omsi_error again = {0};
            int64_t winner = 0;
            int v;
            bool ok = false;
            if (omsi_catalog_find_source(cat, canonical, fingerprint, &winner, &v, &again) == 0 &&
                winner && omsi_catalog_output_usable(cat, winner, &ok, &again) == 0 && ok) {
                rc = 0;
                lost_race = true;
                report->source_id = winner;
            }
        }
    }
    if (rc || lost_race) {
        unlink(output); /* only ever the name this attempt published */
        if (lost_race)
            report->outcome = OMSI_INGEST_UNCHANGED;
        goto done;
    }
    report->outcome = existing ? OMSI_INGEST_RESTORED
                      : version > 0 ? OMSI_INGEST_NEW_VERSION
                                    : OMSI_INGEST_NEW;
    report->output_path = output;
    report->output_number = output_number;
    report->datasets = result.n_datasets;
    output = NULL;
done:
    if (staged)
        unlink(staged); /* gone already once published; never left behind */
    free(staged);
    free(stem);
    omsi_convert_result_free(&result);
    omsi_path_list_free(&files);
    free(output);
    free(output_dir);
    free(canonical);
    return rc;
}
