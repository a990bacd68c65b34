/* omsi_ingest_path: classify, fingerprint, convert, record. */
#include "ingest/ingest.h"
#include "catalog/fingerprint.h"
#include "catalog/record.h"

#include <errno.h>
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

/* <output_dir>/<stem>-<first 12 hex digits of the fingerprint>.h5: stable
 * for the same content, distinct for a new version. */
static char *output_name(const char *output_dir, const char *path, const char *fingerprint)
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
        snprintf(out, n, "%s/%s-%.12s.h5", output_dir, base, fingerprint);
    free(base);
    return out;
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
    char *output = NULL;
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
    if (rc)
        goto done;
    if (existing) {
        report->outcome = OMSI_INGEST_UNCHANGED;
        report->source_id = existing;
        goto done;
    }
    output = output_name(output_dir, canonical, fingerprint);
    if (!output) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    omsi_convert_options copts = opts->convert;
    copts.format = fmt->name;
    const char *inputs[] = {canonical};
    /* The name carries the fingerprint: an existing file is ours from an
     * ingest that stopped before recording, so replacing it is safe. */
    rc = omsi_convert(inputs, 1, output, true, &copts, &result, err);
    if (!rc)
        rc = omsi_fingerprint_file(output, output_sha, err);
    if (!rc) {
        omsi_record_source src = {
            .path = canonical, .format = fmt->name, .size_bytes = bytes, .n_files = files.count,
            .fingerprint = fingerprint, .output_sha256 = output_sha, .job_id = opts->job_id,
        };
        rc = omsi_catalog_record(cat, &src, &result, &report->source_id, err);
        if (rc)
            unlink(output); /* all or nothing: no file the catalog does not know */
    }
    if (!rc) {
        report->outcome = version > 0 ? OMSI_INGEST_NEW_VERSION : OMSI_INGEST_NEW;
        report->output_path = output;
        report->datasets = result.n_datasets;
        output = NULL;
    }
done:
    omsi_convert_result_free(&result);
    omsi_path_list_free(&files);
    free(output);
    free(output_dir);
    free(canonical);
    return rc;
}
