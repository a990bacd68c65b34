#include "cli/view_target.h"
#include "cli/catalog_output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool view_parse_double(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool view_parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!*text || *text == '-' || *text == '+')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

int view_target_open(const omsi_cli *cli, const char *command, const char *id_text, unsigned dataset,
                     view_target *out)
{
    memset(out, 0, sizeof *out);
    out->view.file = out->view.group = -1;
    uint64_t id;
    if (!id_text || !view_parse_u64(id_text, &id) || id == 0 || id > INT64_MAX) {
        fprintf(stderr, "omsi-catalog %s: need a source ID (a positive number, the SOURCE column of "
                        "`omsi-catalog query`)%s%s%s\n",
                command, id_text ? ", not '" : "", id_text ? id_text : "", id_text ? "'" : "");
        return 2;
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    omsi_error err = {0};
    int rc = omsi_catalog_locate(cat, (int64_t)id, dataset, &out->loc, &err);
    omsi_catalog_close(cat);
    if (!rc)
        rc = omsi_view_open(out->loc.output_path, out->loc.hdf5_path, &out->view, &err);
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
        view_target_close(out);
        return 1;
    }
    return 0;
}

void view_target_close(view_target *t)
{
    omsi_view_close(&t->view);
    omsi_dataset_location_free(&t->loc);
}

char *view_default_name(const view_target *t, const char *what, const char *ext)
{
    size_t n = strlen(what) + strlen(ext) + 64;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "omsi-%lld-%u-%s.%s", (long long)t->loc.source_id, t->loc.dataset_index, what,
                 ext);
    return name;
}

int view_usage_error(const char *command, const char *usage, const char *fmt, ...)
{
    fprintf(stderr, "omsi-catalog %s: ", command);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}
