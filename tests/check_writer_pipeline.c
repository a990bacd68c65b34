/* The write pipeline (src/writer/convert_write.c, chunk_pool.c): whole
 * chunks compressed on 1 or 3 threads hold every value the reader returns,
 * in data_0 and in the image-chunked copy, for seekable readers (Analyze
 * and Bruker) and streaming ones (imzML's iterator, mzML), in one slab or many (small memory limits),
 * with edge chunks; the deflate filter sits in the creation plist at the
 * requested level; cancellation and a too-small memory limit leave nothing. */
#include "writer/convert.h"
#include "tools/gen.h"
#include "tests/test_support.h"

#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *read_cube(hid_t file, const char *path, hsize_t dims[3])
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", path);
    hid_t s = H5Dget_space(d);
    ck_assert_int_eq(H5Sget_simple_extent_ndims(s), 3);
    H5Sget_simple_extent_dims(s, dims, NULL);
    double *v = malloc((size_t)(dims[0] * dims[1] * dims[2]) * sizeof *v);
    ck_assert_int_ge(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

/* The deflate level in the dataset creation plist, -1 without deflate. */
static int deflate_level(hid_t file, const char *path)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t p = H5Dget_create_plist(d);
    ck_assert_int_eq(H5Pget_layout(p), H5D_CHUNKED);
    int level = -1;
    for (int i = 0; i < H5Pget_nfilters(p); i++) {
        unsigned flags, cd[4];
        size_t n = 4;
        if (H5Pget_filter2(p, (unsigned)i, &flags, &n, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE)
            level = (int)cd[0];
    }
    H5Pclose(p);
    H5Dclose(d);
    return level;
}

/* Every value of the cube at path equals the reader's spectrum (pixels the
 * reader has no spectrum for are 0). */
static void compare_with_reader(hid_t f, const char *path, const char *input, double *total)
{
    hsize_t dims[3];
    double *cube = read_cube(f, path, dims);
    omsi_reader *r = NULL;
    omsi_error err = {0};
    omsi_open_options oo = omsi_open_options_default();
    ck_assert_msg(omsi_reader_open(input, NULL, &oo, &r, &err) == 0, "%s", err.message);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_uint_eq(dims[0], info.nx);
    ck_assert_uint_eq(dims[1], info.ny);
    ck_assert_uint_eq(dims[2], info.nz);
    size_t n = (size_t)(info.nx * info.ny * info.nz);
    char *seen = calloc((size_t)(info.nx * info.ny), 1);
    omsi_spectrum s;
    int rc;
    /* Mismatches are counted, not asserted one by one: every ck_assert is
     * a write to Check's pipe. */
    uint64_t bad = 0, first_bad = 0;
    while ((rc = omsi_reader_next(r, &s, &err)) == 1) {
        seen[s.x * info.ny + s.y] = 1;
        for (uint64_t k = 0; k < info.nz; k++) {
            double want = omsi_dtype_get(info.dtype, s.intensities, k);
            size_t at = (size_t)((s.x * info.ny + s.y) * info.nz + k);
            *total += want;
            if (cube[at] != want && bad++ == 0)
                first_bad = at;
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert(info.dtype == OMSI_DT_INT16 || info.dtype == OMSI_DT_FLOAT32 || info.dtype == OMSI_DT_INT32);
    for (size_t i = 0; i < n; i++)
        if (!seen[i / info.nz] && cube[i] != 0 && bad++ == 0)
            first_bad = i;
    ck_assert_msg(bad == 0, "%s: %llu values differ from the reader's, the first at index %llu", path,
                  (unsigned long long)bad, (unsigned long long)first_bad);
    free(seen);
    free(cube);
    omsi_reader_close(r);
}

static const struct {
    const char *format;     /* "img" ("img-be": big-endian), "imzml", "mzml", "brukerflex" */
    unsigned threads;
    uint64_t memory_limit;  /* 0 = default; small ones force many slabs / separate passes */
    int level;              /* -1: --no-compression */
    bool explicit_chunk;    /* --chunking 4 4 2048 (edge chunks on every side) */
    uint64_t nx, ny, nz;    /* 0: 9 x 7 x 3000 */
    uint64_t chunk[3];      /* explicit chunk shape instead of 4 4 2048 */
    const char *variant;    /* generator variant instead of imzML's missing=5 */
} cases[] = {
    /* chunks that divide neither side, so the tiles the seekable readers
     * are read in are ragged at the edges; pixels without a spectrum */
    {"img", 2, 1 << 20, 4, true, 23, 17, 3001, {3, 5, 700}, "missing=6"},
    {"imzml", 3, 0, 1, true, 23, 17, 3001, {5, 3, 1000}, "missing=9"},
    {"img", 2, 1 << 20, 4, false, 70, 51, 801, {0, 0, 0}, "missing=11"},
    /* a streaming reader (mzML) whose image copy needs blocks of its own:
     * they are read back from the temporary raw copy (16 KB spectra, so
     * data_0 has 1 x 1 x nz chunks, straight from the iterator) */
    {"mzml", 2, 1 << 20, 4, false, 12, 10, 4096, {0, 0, 0}, "missing=7"},
    /* mzML in chunks wider than one pixel, a cube larger than the budget:
     * the first pass writes the raw copy, the later blocks read it */
    {"mzml", 2, 1 << 20, 4, true, 23, 17, 1000, {4, 4, 256}, "missing=7"},
    {"mzml", 1, 1 << 20, -1, true, 23, 17, 1000, {3, 5, 100}, NULL},
    /* 64 x 64 images: image chunks 64 x 64 x 2, gathered in panels */
    {"img", 3, 1 << 20, 4, false, 64, 64, 301, {0, 0, 0}, NULL}, {"imzml", 2, 0, 4, false, 64, 64, 301, {0, 0, 0}, NULL},
    /* 1 x 1 x 10000 spectrum chunks of a streaming reader: straight from one pass */
    {"imzml", 3, 1 << 20, 4, false, 9, 7, 20000, {0, 0, 0}, NULL}, /* the reader alone needs 0.8 MiB */
    {"img", 1, 0, 4, false, 0, 0, 0, {0, 0, 0}, NULL},         {"img", 3, 0, 4, false, 0, 0, 0, {0, 0, 0}, NULL},
    {"img", 3, 512 << 10, 1, false, 0, 0, 0, {0, 0, 0}, NULL}, {"imzml", 1, 0, 4, false, 0, 0, 0, {0, 0, 0}, NULL},
    {"imzml", 3, 512 << 10, 4, false, 0, 0, 0, {0, 0, 0}, NULL}, {"img", 3, 0, 6, true, 0, 0, 0, {0, 0, 0}, NULL},
    {"imzml", 1, 0, -1, true, 0, 0, 0, {0, 0, 0}, NULL},       {"img", 3, 1 << 20, 2, true, 0, 0, 0, {0, 0, 0}, NULL},
    /* Bruker (seekable, int32) larger than the budget: the image copy's
     * blocks of m/z read only their part of each fid (read_values) */
    {"brukerflex", 2, 1 << 20, 4, false, 23, 17, 1000, {0, 0, 0}, "missing=7"},
    {"brukerflex", 3, 1 << 20, 4, true, 23, 17, 1000, {4, 4, 256}, "missing=7,origin=2"},
    /* Analyze and imzML larger than the budget: the image copy's blocks of
     * m/z read their part of each spectrum alone (read_values): big-endian
     * values, a declared checksum read out of order (strict: a wrong
     * verdict fails), and the whole-spectrum way for arrays that are not
     * the cube's bytes (processed, zlib) */
    {"img-be", 2, 1 << 20, 4, false, 40, 30, 2000, {0, 0, 0}, NULL},
    {"imzml", 2, 1 << 20, 4, false, 40, 30, 2000, {0, 0, 0}, "missing=9,md5"},
    {"imzml", 2, 1 << 20, 4, false, 30, 20, 1500, {0, 0, 0}, "processed,missing=9,sha1"},
    {"imzml", 2, 1 << 20, 4, false, 30, 20, 1500, {0, 0, 0}, "zlib,missing=4"},
    /* chunks one value deep (the transpose in blocks of pixels and values):
     * image chunks of half the image (182 x 182 x 1, ragged at the far
     * edges), of the whole image in float32, explicit 7 x 9 x 1 chunks */
    {"img", 2, 0, 4, false, 363, 363, 40, {0, 0, 0}, "missing=6"},
    {"imzml", 2, 0, 4, false, 100, 90, 300, {0, 0, 0}, "missing=9"},
    {"img", 3, 0, 1, true, 50, 40, 200, {7, 9, 1}, NULL},
};

START_TEST(threads_values_and_filter)
{
    char *dir = omsi_test_mkdtemp("writer-pipeline");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = cases[_i].nx ? cases[_i].nx : 9;
    p.ny = cases[_i].ny ? cases[_i].ny : 7;
    p.nz = cases[_i].nz ? cases[_i].nz : 3000;
    bool img = strncmp(cases[_i].format, "img", 3) == 0;
    p.dtype = img ? OMSI_DT_INT16 : OMSI_DT_FLOAT32;
    p.variant = cases[_i].variant ? cases[_i].variant : strcmp(cases[_i].format, "imzml") == 0 ? "missing=5" : NULL;
    p.big_endian = strcmp(cases[_i].format, "img-be") == 0;
    char *input = NULL;
    omsi_error err = {0};
    int rc = img                                           ? omsi_gen_img(dir, "cube", &p, &input, &err)
             : strcmp(cases[_i].format, "mzml") == 0       ? omsi_gen_mzml(dir, "cube", &p, &input, &err)
             : strcmp(cases[_i].format, "brukerflex") == 0 ? omsi_gen_bruker_flex(dir, "cube", &p, &input, &err)
                                                           : omsi_gen_imzml(dir, "cube", &p, &input, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    char out[4096];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.threads = cases[_i].threads;
    o.reader.memory_limit = cases[_i].memory_limit;
    o.reader.strict_checksums = true;
    o.compression_level = cases[_i].level;
    if (cases[_i].explicit_chunk) {
        o.chunking = OMSI_CHUNK_EXPLICIT;
        bool given = cases[_i].chunk[0] != 0;
        o.chunk[0] = given ? cases[_i].chunk[0] : 4;
        o.chunk[1] = given ? cases[_i].chunk[1] : 4;
        o.chunk[2] = given ? cases[_i].chunk[2] : 2048;
    }
    const char *inputs[] = {input};
    omsi_convert_result res;
    memset(&res, 0, sizeof res);
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    double total = 0, total1 = 0;
    compare_with_reader(f, "/entry_0/data_0/data_0", input, &total);
    /* the statistics are summed once per spectrum, whatever the tile order */
    ck_assert_uint_eq(res.n_datasets, 1);
    ck_assert_msg(res.datasets[0].total_intensity == total, "total intensity %.17g, the reader's %.17g",
                  res.datasets[0].total_intensity, total);
    omsi_convert_result_free(&res);
    ck_assert_int_eq(deflate_level(f, "/entry_0/data_0/data_0"), cases[_i].level);
    if (!cases[_i].explicit_chunk) {
        compare_with_reader(f, "/entry_0/data_0/data_1", input, &total1);
        ck_assert_int_eq(deflate_level(f, "/entry_0/data_0/data_1"), cases[_i].level);
    } else {
        ck_assert_int_le(H5Lexists(f, "/entry_0/data_0/data_1", H5P_DEFAULT), 0);
    }
    H5Fclose(f);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Cancels once a few hundred spectra are in: chunks are then in flight on
 * the compression threads. */
static void cancel_midway(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)stage;
    if (done >= total / 3)
        *(volatile sig_atomic_t *)ctx = 1;
}

START_TEST(cancel_with_threads)
{
    char *dir = omsi_test_mkdtemp("writer-cancel3");
    char *src = omsi_test_mkdtemp("writer-cancel3-src");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 40;
    p.ny = 30;
    p.nz = 2000;
    p.dtype = OMSI_DT_FLOAT32;
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(src, "big", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    volatile sig_atomic_t cancel = 0;
    omsi_convert_options o = omsi_convert_options_default();
    o.threads = 3;
    o.cancel = &cancel;
    o.progress = cancel_midway;
    o.progress_ctx = (void *)&cancel;
    const char *inputs[] = {input};
    ck_assert_int_eq(omsi_convert(inputs, 1, out, false, &o, NULL, &err), OMSI_ERR_CANCELLED);
    ck_assert_int_eq(cancel, 1);
    ck_assert_uint_eq(omsi_test_count_entries(dir), 0); /* neither output nor temp file */
    free(input);
    omsi_test_rmtree(dir);
    omsi_test_rmtree(src);
    free(dir);
    free(src);
}
END_TEST

START_TEST(memory_limit_below_one_chunk)
{
    char *dir = omsi_test_mkdtemp("writer-tiny-limit");
    char *src = omsi_test_mkdtemp("writer-tiny-limit-src");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 9;
    p.ny = 7;
    p.nz = 3000;
    p.dtype = OMSI_DT_INT16;
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(src, "cube", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.reader.memory_limit = 256 << 10;
    o.chunking = OMSI_CHUNK_EXPLICIT; /* one 378 KB chunk: the whole cube */
    o.chunk[0] = 9;
    o.chunk[1] = 7;
    o.chunk[2] = 3000;
    const char *inputs[] = {input};
    ck_assert_int_eq(omsi_convert(inputs, 1, out, false, &o, NULL, &err), OMSI_ERR_NOMEM);
    ck_assert_msg(strstr(err.message, "--memory-limit") && strstr(err.message, "378000"), "%s",
                  err.message);
    ck_assert_msg(strstr(err.message, input), "%s", err.message);
    ck_assert_uint_eq(omsi_test_count_entries(dir), 0);
    free(input);
    omsi_test_rmtree(dir);
    omsi_test_rmtree(src);
    free(dir);
    free(src);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writer_pipeline");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, threads_values_and_filter, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, cancel_with_threads);
    tcase_add_test(tc, memory_limit_below_one_chunk);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
