#include "tests/fuzz/fuzz_targets.h"

#include "catalog/catalog.h"
#include "catalog/query.h"
#include "readers/reader.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const omsi_fuzz_target targets[] = {
    {"img", "img", {"d.hdr", "d.t2m", "d.img", NULL}, "d.hdr"},
    {"imzml", "imzml", {"d.imzML", "d.ibd", NULL}, "d.imzML"},
    {"mzml", "mzml", {"d.mzML", NULL}, "d.mzML"},
    {"bruker_tree", "bruckerflex",
     {"run/0_R00X000Y000/1/1SLin/acqu", "run/0_R00X000Y000/1/1SLin/fid",
      "run/0_R00X001Y000/1/1SLin/acqu", "run/0_R00X001Y000/1/1SLin/fid", NULL},
     "run"},
    {"bruker_spotlist", "bruckerflex",
     {"run_spot_list.txt", "run/0_R00X000Y000/1/1SLin/acqu",
      "run/0_R00X000Y000/1/1SLin/fid", NULL},
     "run_spot_list.txt"},
    /* The argument parser and SQL builder of `omsi-catalog query`: the input
     * is split at newlines into arguments. */
    {"query", NULL, {NULL}, NULL},
};

const omsi_fuzz_target *omsi_fuzz_target_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(targets[i].name, name) == 0)
            return &targets[i];
    return NULL;
}

/* mkdir -p for the parent directories of rel inside base. */
static void make_parents(const char *base, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    for (char *p = path + strlen(base) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
}

static void write_file(const char *base, const char *rel, const uint8_t *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    make_parents(base, rel);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
}

/* One private directory per process, reused for every input. */
static const char *work_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/omsi-fuzz-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
        mkdir(dir, 0700);
    }
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void omsi_fuzz_cleanup(void)
{
    nftw(work_dir(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void unpack(const omsi_fuzz_target *t, const char *dir, const uint8_t *data, size_t size)
{
    size_t pos = 0;
    for (size_t i = 0; t->files[i]; i++) {
        size_t n;
        bool last = t->files[i + 1] == NULL;
        if (last || size - pos < 4) {
            n = size - pos;
        } else {
            n = (size_t)omsi_le32(data + pos);
            pos += 4;
            if (n > size - pos)
                n = size - pos;
        }
        write_file(dir, t->files[i], data + pos, n);
        pos += n;
    }
}

static void remove_files(const omsi_fuzz_target *t, const char *dir)
{
    char path[4096];
    for (size_t i = 0; t->files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, t->files[i]);
        unlink(path);
    }
}

/* Reads every spectrum of the current selection (bounded, so that a huge
 * but valid declared shape cannot make one input run for minutes). */
static void drain(omsi_reader *r)
{
    omsi_error err = {0};
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    const double *mz = omsi_reader_mz(r);
    volatile double sink = 0;
    for (uint64_t k = 0; mz && k < info.nz && k < 1u << 20; k++)
        sink += mz[k];
    const omsi_dependency *deps;
    size_t n_deps = omsi_reader_dependencies(r, &deps);
    for (size_t i = 0; i < n_deps; i++)
        sink += (double)strlen(deps[i].link_name);
    const omsi_metadata *md = omsi_reader_metadata(r);
    for (size_t i = 0; md && i < md->count; i++)
        sink += (double)strlen(md->items[i].key);
    if (omsi_reader_rewind(r, &err))
        return;
    omsi_spectrum s;
    size_t item = omsi_dtype_size(info.dtype);
    for (int count = 0; count < 4096 && omsi_reader_next(r, &s, &err) == 1; count++) {
        if (info.nz && item) {
            const unsigned char *p = s.intensities;
            sink += p[0] + p[info.nz * item - 1]; /* touch both ends: ASan checks bounds */
        }
    }
    (void)sink;
}

static int count_rows(void *ctx, const omsi_query_row *r)
{
    (void)r;
    (*(size_t *)ctx)++;
    return 0;
}

static int count_jobs(void *ctx, const omsi_job_row *r)
{
    (void)r;
    (*(size_t *)ctx)++;
    return 0;
}

static void run_query(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[17] = {"query"};
    int argc = 1;
    for (char *p = text; argc < 17;) {
        argv[argc++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    omsi_query q;
    bool help, truncated;
    omsi_error err = {0};
    if (omsi_query_parse(argc, argv, &q, &help, &err) == 0 && !help) {
        char path[4096];
        snprintf(path, sizeof path, "%s/query.sqlite", work_dir());
        omsi_catalog *cat = NULL;
        if (omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err) == 0) {
            int64_t id;
            omsi_catalog_job_enqueue(cat, "/drop/a.imzML", "imzml", &id, &err);
            size_t rows = 0;
            /* Huge limits and offsets go through as given: the catalog
             * is tiny, and the LIMIT arithmetic is part of what is fuzzed. */
            if (q.limit == 0)
                q.limit = 1000;
            (void)omsi_catalog_query(cat, &q, count_rows, &rows, &truncated, &err);
            (void)omsi_catalog_query_jobs(cat, &q, count_jobs, &rows, &truncated, &err);
            int64_t n;
            (void)omsi_catalog_query_count(cat, &q, &n, &err);
            omsi_catalog_close(cat);
        }
    }
    free(text);
}

void omsi_fuzz_run(const omsi_fuzz_target *t, const uint8_t *data, size_t size)
{
    if (!t->format) {
        run_query(data, size);
        return;
    }
    const char *dir = work_dir();
    unpack(t, dir, data, size);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, t->dataset_path);
    const omsi_format *fmt = omsi_format_by_name(t->format);
    omsi_error err = {0};
    (void)fmt->is_valid_dataset(path, &err);
    uint64_t bytes;
    (void)fmt->size(path, &bytes, &err);
    omsi_path_list files;
    omsi_path_list_init(&files);
    (void)fmt->list_files(path, &files, &err);
    omsi_path_list_free(&files);
    omsi_open_options opts = omsi_open_options_default();
    opts.max_axis_points = 1u << 16;
    omsi_logger quiet = omsi_logger_make("fuzz", 0);
    opts.log = &quiet;
    omsi_reader *r = NULL;
    if (fmt->open(path, &opts, &r, &err) == 0 && r) {
        size_t n_datasets = omsi_reader_number_of_datasets(r);
        for (size_t d = 0; d < n_datasets && d < 8; d++) {
            if (omsi_reader_set_dataset(r, d, &err))
                continue;
            size_t n_regions = omsi_reader_number_of_regions(r);
            drain(r);
            for (size_t g = 0; g < n_regions && g < 8; g++) {
                omsi_region region;
                if (omsi_reader_get_region(r, g, &region) == 0 &&
                    omsi_reader_set_region(r, (long)g, &err) == 0)
                    drain(r);
            }
        }
        omsi_reader_close(r);
    }
    remove_files(t, dir);
}

int omsi_fuzz_pack(const omsi_fuzz_target *t, const char *dir, const char *out_path)
{
    FILE *out = fopen(out_path, "wb");
    if (!out) {
        fprintf(stderr, "%s: %s\n", out_path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; t->files[i] && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, t->files[i]);
        char *content = NULL;
        size_t len = 0;
        omsi_error err = {0};
        if (omsi_read_small_file(path, 64u << 20, &content, &len, &err)) {
            fprintf(stderr, "%s\n", err.message);
            rc = -1;
            break;
        }
        if (t->files[i + 1]) {
            unsigned char le[4] = {(unsigned char)len, (unsigned char)(len >> 8),
                                   (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
            fwrite(le, 1, 4, out);
        }
        fwrite(content, 1, len, out);
        free(content);
    }
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}
