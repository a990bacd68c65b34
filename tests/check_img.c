/* The Analyze 7.5 reader: the shared real file against expected.json (when
 * ../shared exists), generated fixtures of every type and both byte orders
 * against the closed form, malformed variants against exact error texts,
 * and `omsi-catalog check --json` on fixtures. */
#include "tools/gen.h"
#include "readers/reader.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the shared corpus ---- */

static json_object *expected_root(void)
{
    char *path = omsi_test_shared_path("expected.json");
    json_object *root = path ? json_object_from_file(path) : NULL;
    free(path);
    ck_assert_msg(root != NULL, "expected.json unreadable");
    return root;
}

/* Checks one shared Analyze dataset entry of expected.json. */
static void check_shared_analyze(const char *rel, json_object *e)
{
    char *path = omsi_test_shared_path(rel);
    const omsi_format *img = omsi_format_by_name("img");
    omsi_error err = {0};
    ck_assert_int_eq(img->is_valid_dataset(path, &err), OMSI_VALID);
    const omsi_format *detected = NULL;
    omsi_validity v;
    ck_assert_int_eq(omsi_detect_format(path, &detected, &v, &err), 0);
    ck_assert_str_eq(detected->name, "img");
    uint64_t bytes = 0;
    ck_assert_int_eq(img->size(path, &bytes, &err), 0);
    ck_assert_uint_eq(bytes, (uint64_t)omsi_test_jint(e, "img_size"));

    omsi_reader *r = NULL;
    omsi_logger quiet = omsi_logger_make("check_img", OMSI_LOG_ERR);
    omsi_open_options opts = omsi_open_options_default();
    opts.log = &quiet;
    ck_assert_msg(img->open(path, &opts, &r, &err) == 0, "%s", err.message);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    json_object *shape = omsi_test_jget(e, "bastet_shape");
    ck_assert_uint_eq(info.nx, (uint64_t)json_object_get_int64(json_object_array_get_idx(shape, 0)));
    ck_assert_uint_eq(info.ny, (uint64_t)json_object_get_int64(json_object_array_get_idx(shape, 1)));
    ck_assert_uint_eq(info.nz, (uint64_t)json_object_get_int64(json_object_array_get_idx(shape, 2)));
    ck_assert_uint_eq(info.nz, (uint64_t)omsi_test_jint(e, "n_mz"));
    ck_assert_uint_eq(info.n_spectra, (uint64_t)omsi_test_jint(e, "pixel_count"));
    ck_assert_int_eq(omsi_test_jint(e, "datatype"), 4);
    ck_assert_str_eq(omsi_dtype_name(info.dtype), "int16");

    const double *mz = omsi_reader_mz(r);
    OMSI_ASSERT_CLOSE(mz[0], omsi_test_jdouble(e, "mz_first"), 1e-11);
    OMSI_ASSERT_CLOSE(mz[info.nz - 1], omsi_test_jdouble(e, "mz_last"), 1e-11);
    double lo = mz[0], hi = mz[0];
    long first_drop = -1;
    for (uint64_t k = 1; k < info.nz; k++) {
        lo = fmin(lo, mz[k]);
        hi = fmax(hi, mz[k]);
        if (first_drop < 0 && !(mz[k] > mz[k - 1]))
            first_drop = (long)k - 1;
    }
    OMSI_ASSERT_CLOSE(lo, omsi_test_jdouble(e, "mz_min"), 1e-11);
    OMSI_ASSERT_CLOSE(hi, omsi_test_jdouble(e, "mz_max"), 1e-11);
    json_object *drops = omsi_test_jget(e, "mz_nonincreasing_at");
    ck_assert_int_eq(first_drop, json_object_get_int64(json_object_array_get_idx(drops, 0)));
    ck_assert_ptr_nonnull(omsi_meta_find(omsi_reader_metadata(r), "mz_nonincreasing_at"));

    /* Selected intensities by BASTet cube index (random access). */
    json_object *samples = omsi_test_jget(e, "samples_bastet_index");
    void *buf = malloc(info.nz * omsi_dtype_size(info.dtype));
    for (size_t i = 0; i < json_object_array_length(samples); i++) {
        json_object *s = json_object_array_get_idx(samples, i);
        uint64_t x = (uint64_t)omsi_test_jint(s, "i"), y = (uint64_t)omsi_test_jint(s, "j");
        uint64_t k = (uint64_t)omsi_test_jint(s, "k");
        ck_assert_int_eq(omsi_reader_read_spectrum(r, x, y, buf, &err), 0);
        ck_assert(omsi_dtype_get(info.dtype, buf, k) == omsi_test_jdouble(s, "value"));
        OMSI_ASSERT_CLOSE(mz[k], omsi_test_jdouble(s, "mz"), 1e-11);
    }
    free(buf);

    /* The iterator: file order, per-spectrum sums, the total. */
    json_object *sums = omsi_test_jget(e, "spectrum_sums_by_file_index");
    omsi_spectrum s;
    int rc;
    uint64_t n = 0;
    double total = 0;
    while ((rc = omsi_reader_next(r, &s, &err)) == 1) {
        ck_assert_uint_eq(s.x * info.ny + s.y, n);
        double sum = 0;
        for (uint64_t k = 0; k < info.nz; k++)
            sum += omsi_dtype_get(info.dtype, s.intensities, k);
        ck_assert(sum == json_object_get_double(json_object_array_get_idx(sums, n)));
        total += sum;
        n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(n, info.n_spectra);
    ck_assert(total == omsi_test_jdouble(e, "total_intensity"));
    omsi_reader_close(r);

    /* BASTet's reading (uint16) gives the same total on this file. */
    opts.force_unsigned = true;
    ck_assert_int_eq(img->open(path, &opts, &r, &err), 0);
    omsi_reader_info(r, &info);
    ck_assert_str_eq(omsi_dtype_name(info.dtype), "uint16");
    total = 0;
    while (omsi_reader_next(r, &s, &err) == 1)
        for (uint64_t k = 0; k < info.nz; k++)
            total += omsi_dtype_get(info.dtype, s.intensities, k);
    ck_assert(total == omsi_test_jdouble(e, "total_intensity_if_uint16"));
    omsi_reader_close(r);

    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_int_eq(img->list_files(path, &files, &err), 0);
    ck_assert_uint_eq(files.count, 3);
    omsi_path_list_free(&files);
    free(path);
}

START_TEST(shared_analyze_files)
{
    json_object *root = expected_root(), *datasets = omsi_test_jget(root, "datasets");
    int checked = 0;
    json_object_object_foreach(datasets, key, entry) {
        json_object *format;
        if (json_object_object_get_ex(entry, "format", &format) &&
            strcmp(json_object_get_string(format), "analyze75") == 0) {
            check_shared_analyze(key, entry);
            checked++;
        }
    }
    ck_assert_int_ge(checked, 1);
    json_object_put(root);
}
END_TEST

START_TEST(shared_analyze_by_stem_and_directory)
{
    const omsi_format *img = omsi_format_by_name("img");
    const char *forms[] = {"analyze/Analyze75", "analyze/Analyze75.img", "analyze/Analyze75.t2m",
                           "analyze"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *path = omsi_test_shared_path(forms[i]);
        omsi_error err = {0};
        ck_assert_msg(img->is_valid_dataset(path, &err) == OMSI_VALID, "%s: %s", forms[i],
                      err.message);
        free(path);
    }
}
END_TEST

/* ---- generated fixtures ---- */

static const omsi_dtype fixture_types[] = {OMSI_DT_UINT8, OMSI_DT_INT16, OMSI_DT_INT32,
                                           OMSI_DT_FLOAT32, OMSI_DT_FLOAT64};

/* Generates, opens and compares every value with the closed form. */
static void check_fixture(omsi_gen_params p, bool force_unsigned, omsi_dtype want)
{
    char *dir = omsi_test_mkdtemp("img");
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_gen_img(dir, "fx", &p, &path, &err) == 0, "%s", err.message);
    const omsi_format *img = omsi_format_by_name("img");
    ck_assert_msg(img->is_valid_dataset(path, &err) == OMSI_VALID, "%s", err.message);
    omsi_open_options opts = omsi_open_options_default();
    opts.force_unsigned = force_unsigned;
    omsi_reader *r = NULL;
    ck_assert_msg(img->open(path, &opts, &r, &err) == 0, "%s", err.message);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_uint_eq(info.nx, p.nx);
    ck_assert_uint_eq(info.ny, p.ny);
    ck_assert_uint_eq(info.nz, p.nz);
    ck_assert_str_eq(omsi_dtype_name(info.dtype), omsi_dtype_name(want));
    const double *mz = omsi_reader_mz(r);
    for (uint64_t k = 0; k < p.nz; k++)
        ck_assert(mz[k] == (double)(float)omsi_gen_mz(&p, k));
    omsi_spectrum s;
    uint64_t n = 0;
    int rc;
    while ((rc = omsi_reader_next(r, &s, &err)) == 1) {
        for (uint64_t k = 0; k < p.nz; k++)
            ck_assert_msg(omsi_dtype_get(info.dtype, s.intensities, k) ==
                              omsi_gen_intensity(&p, s.x, s.y, k),
                          "%s%s: (%llu, %llu, %llu)", omsi_dtype_name(want),
                          p.big_endian ? " big-endian" : "", (unsigned long long)s.x,
                          (unsigned long long)s.y, (unsigned long long)k);
        n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(n, p.nx * p.ny);
    /* Random access to the last pixel; rewind restarts the iterator. */
    void *buf = malloc(p.nz * omsi_dtype_size(info.dtype));
    ck_assert_int_eq(omsi_reader_read_spectrum(r, p.nx - 1, p.ny - 1, buf, &err), 0);
    ck_assert(omsi_dtype_get(info.dtype, buf, p.nz - 1) ==
              omsi_gen_intensity(&p, p.nx - 1, p.ny - 1, p.nz - 1));
    ck_assert_int_ne(omsi_reader_read_spectrum(r, p.nx, 0, buf, &err), 0);
    /* a block of one spectrum's values alone (byte order as above) */
    ck_assert_int_eq(omsi_reader_read_values(r, p.nx - 1, p.ny - 1, p.nz - 3, 2, buf, &err), 0);
    for (uint64_t k = 0; k < 2; k++)
        ck_assert(omsi_dtype_get(info.dtype, buf, k) == omsi_gen_intensity(&p, p.nx - 1, p.ny - 1, p.nz - 3 + k));
    omsi_error_clear(&err);
    ck_assert_int_lt(omsi_reader_read_values(r, 0, 0, p.nz - 1, 2, buf, &err), 0);
    ck_assert_msg(strstr(err.message, ".img: values ") && strstr(err.message, "are outside the"), "%s", err.message);
    omsi_error_clear(&err);
    ck_assert_int_lt(omsi_reader_read_values(r, p.nx, 0, 0, 1, buf, &err), 0);
    ck_assert_msg(strstr(err.message, "outside"), "%s", err.message);
    free(buf);
    ck_assert_int_eq(omsi_reader_rewind(r, &err), 0);
    ck_assert_int_eq(omsi_reader_next(r, &s, &err), 1);
    ck_assert_uint_eq(s.x, 0);
    ck_assert_uint_eq(s.y, 0);
    omsi_reader_close(r);
    uint64_t bytes;
    ck_assert_int_eq(img->size(path, &bytes, &err), 0);
    ck_assert_uint_eq(bytes, p.nx * p.ny * p.nz * omsi_dtype_size(want));
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}

START_TEST(fixture_every_dtype_both_orders)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 5;
    p.ny = 3;
    p.nz = 37;
    p.dtype = fixture_types[_i / 2];
    p.big_endian = _i % 2;
    p.seed = (uint32_t)_i + 2;
    check_fixture(p, false, p.dtype);
}
END_TEST

START_TEST(fixture_uint16_force_unsigned)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.dtype = OMSI_DT_UINT16;
    p.big_endian = true;
    check_fixture(p, true, OMSI_DT_UINT16);
}
END_TEST

START_TEST(fixture_header_variants)
{
    static const char *const variants[] = {"hdr384", "vox_offset=64", "hdr384,vox_offset=8"};
    omsi_gen_params p = omsi_gen_params_default();
    p.dtype = OMSI_DT_INT16;
    p.big_endian = _i % 2;
    p.variant = variants[_i / 2];
    check_fixture(p, false, OMSI_DT_INT16);
}
END_TEST

START_TEST(fixture_more_bins_than_dim1)
{
    /* 40000 bins: dim[1] cannot hold it; the .t2m size decides. */
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 1;
    p.nz = 40000;
    p.dtype = OMSI_DT_INT16;
    check_fixture(p, false, OMSI_DT_INT16);
}
END_TEST

START_TEST(fixture_negative_int16_values)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.dtype = OMSI_DT_INT16;
    p.variant = "negative";
    char *dir = omsi_test_mkdtemp("img");
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "neg", &p, &path, &err), 0);
    omsi_reader *r = NULL;
    omsi_logger quiet = omsi_logger_make("check_img", OMSI_LOG_ERR);
    omsi_open_options opts = omsi_open_options_default();
    opts.log = &quiet;
    ck_assert_int_eq(omsi_format_by_name("img")->open(path, &opts, &r, &err), 0);
    omsi_spectrum s;
    ck_assert_int_eq(omsi_reader_next(r, &s, &err), 1);
    ck_assert(omsi_dtype_get(OMSI_DT_INT16, s.intensities, 0) ==
              -omsi_gen_intensity(&p, 0, 0, 0) - 1);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- malformed datasets ---- */

typedef struct malformed_case {
    const char *variant;
    omsi_validity validity;
    const char *file;    /* the file the message must name */
    const char *message; /* substring of the message */
} malformed_case;

static const malformed_case malformed[] = {
    {"truncated", OMSI_INCOMPLETE, "bad.img: ", "bytes, but 3 x 4 pixels x 50 m/z bins"},
    {"long", OMSI_BROKEN, "bad.img: ", "1201 bytes, but 3 x 4 pixels x 50 m/z bins"},
    {"no_t2m", OMSI_INCOMPLETE, "bad.t2m: ", "missing"},
    {"no_img", OMSI_INCOMPLETE, "bad.img: ", "missing"},
    /* a size no copy stops at: broken, not waiting forever */
    {"t2m_odd", OMSI_BROKEN, "bad.t2m: ", "202 bytes is not a whole number of float32"},
    {"bad_sizeof", OMSI_NOT_THIS_FORMAT, "bad.hdr: ", "sizeof_hdr is 123"},
    {"bad_bitpix", OMSI_BROKEN, "bad.hdr: ", "bitpix 17 disagrees with datatype 4"},
    {"datatype=32", OMSI_BROKEN, "bad.hdr: ", "datatype 32 is not supported"},
    {"datatype=1", OMSI_BROKEN, "bad.hdr: ", "datatype 1 is not supported"},
    {"datatype=128", OMSI_BROKEN, "bad.hdr: ", "datatype 128 is not supported"},
    /* dim[2] = dim[3] = -1 as the int16 Analyze declares: broken */
    {"huge_dims", OMSI_BROKEN, "bad.hdr: ", "dim[2] x dim[3] = -1 x -1 is negative (as unsigned 65535 x 65535 pixels"},
    {"zero_dims", OMSI_BROKEN, "bad.hdr: ", "must be > 0"},
};

START_TEST(malformed_variant)
{
    const malformed_case *c = &malformed[_i];
    omsi_gen_params p = omsi_gen_params_default();
    p.dtype = OMSI_DT_INT16;
    p.variant = c->variant;
    char *dir = omsi_test_mkdtemp("img-bad");
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "bad", &p, &path, &err), 0);
    const omsi_format *img = omsi_format_by_name("img");
    omsi_error why = {0};
    ck_assert_msg(img->is_valid_dataset(path, &why) == c->validity, "%s: validity %s (%s)",
                  c->variant, omsi_validity_name(img->is_valid_dataset(path, NULL)), why.message);
    ck_assert_msg(strstr(why.message, c->file) && strstr(why.message, c->message),
                  "%s: message '%s'", c->variant, why.message);
    omsi_reader *r = NULL;
    omsi_open_options opts = omsi_open_options_default();
    ck_assert_int_lt(img->open(path, &opts, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, c->file) && strstr(err.message, c->message),
                  "%s: open message '%s'", c->variant, err.message);
    uint64_t bytes = 0;
    ck_assert_int_lt(img->size(path, &bytes, &err), 0);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(missing_header_is_incomplete)
{
    omsi_gen_params p = omsi_gen_params_default();
    char *dir = omsi_test_mkdtemp("img-nohdr");
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "late", &p, &path, &err), 0);
    ck_assert_int_eq(remove(path), 0); /* the .hdr */
    const omsi_format *img = omsi_format_by_name("img");
    const char *forms[] = {path, dir};
    for (size_t i = 0; i < 2; i++) {
        omsi_error why = {0};
        ck_assert_int_eq(img->is_valid_dataset(forms[i], &why), OMSI_INCOMPLETE);
        ck_assert_msg(strstr(why.message, "late.hdr: missing"), "%s", why.message);
        const omsi_format *fmt = NULL;
        omsi_validity v;
        ck_assert_int_eq(omsi_detect_format(forms[i], &fmt, &v, &why), 0);
        ck_assert_int_eq(v, OMSI_INCOMPLETE);
        ck_assert_str_eq(fmt->name, "img");
    }
    omsi_reader *r = NULL;
    ck_assert_int_lt(img->open(path, NULL, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.message, "late.hdr: missing"));
    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_int_eq(img->list_files(dir, &files, &err), 0);
    ck_assert_uint_eq(files.count, 3);
    omsi_path_list_free(&files);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A FIFO or a device (a symlink to /dev/zero) in the triplet is "not a
 * regular file": broken with that reason, never "missing, waiting". */
static const struct {
    const char *ext;
    bool fifo; /* else a symlink to /dev/zero */
    const char *reason;
} odd_companions[] = {
    {".t2m", true, "odd.t2m: not a regular file (a FIFO)"},
    {".img", true, "odd.img: not a regular file (a FIFO)"},
    {".img", false, "odd.img: not a regular file (a character device)"},
    {".t2m", false, "odd.t2m: not a regular file (a character device)"},
    {".hdr", true, "odd.hdr: not a regular file (a FIFO)"},
};

START_TEST(companion_not_a_regular_file)
{
    omsi_gen_params p = omsi_gen_params_default();
    char *dir = omsi_test_mkdtemp("img-fifo");
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "odd", &p, &path, &err), 0);
    char odd[4096];
    snprintf(odd, sizeof odd, "%s/odd%s", dir, odd_companions[_i].ext);
    ck_assert_int_eq(remove(odd), 0);
    if (odd_companions[_i].fifo)
        ck_assert_int_eq(mkfifo(odd, 0600), 0);
    else
        ck_assert_int_eq(symlink("/dev/zero", odd), 0);
    char stem[4096];
    snprintf(stem, sizeof stem, "%s/odd", dir);
    const omsi_format *img = omsi_format_by_name("img");
    const char *forms[] = {stem, dir};
    for (size_t i = 0; i < 2; i++) {
        omsi_error why = {0};
        omsi_validity v = img->is_valid_dataset(forms[i], &why);
        ck_assert_msg(v == OMSI_BROKEN, "%s: %s (%s)", odd, omsi_validity_name(v), why.message);
        ck_assert_msg(strstr(why.message, odd_companions[_i].reason), "%s", why.message);
    }
    omsi_reader *r = NULL;
    ck_assert_int_lt(img->open(stem, NULL, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, odd_companions[_i].reason), "%s", err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(not_analyze)
{
    const omsi_format *img = omsi_format_by_name("img");
    char *dir = omsi_test_mkdtemp("img-none");
    omsi_error err = {0};
    ck_assert_int_eq(img->is_valid_dataset(dir, &err), OMSI_NOT_THIS_FORMAT);
    /* An ENVI-style text header without a .t2m is somebody else's. */
    ck_assert_int_eq(omsi_gen_write_file(dir, "envi.hdr", "ENVI\nsamples = 3\n", 17, &err), 0);
    char *path = omsi_path_join(dir, "envi.hdr");
    ck_assert_int_eq(img->is_valid_dataset(path, &err), OMSI_NOT_THIS_FORMAT);
    free(path);
    path = omsi_path_join(dir, "nothing.hdr");
    ck_assert_int_eq(img->is_valid_dataset(path, &err), OMSI_NOT_THIS_FORMAT);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- omsi-catalog check on fixtures ---- */

/* Runs omsi-catalog with args; returns the exit status and stdout (malloc'ed). */
static int run_catalog(const char *args, char **out);

/* Runs omsi-catalog with args; returns the exit status and the stdout JSON. */
static int run_check(const char *args, json_object **out)
{
    char *text = NULL;
    int status = run_catalog(args, &text);
    *out = json_tokener_parse(text);
    free(text);
    return status;
}

static int run_catalog(const char *args, char **out)
{
    char *prog = omsi_test_program("omsi-catalog");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", prog, args);
    free(prog);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t got;
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap)
            text = realloc(text, cap *= 2);
    }
    text[len] = '\0';
    int status = pclose(f);
    *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static json_object *jpath(json_object *o, const char *key, int index)
{
    json_object *v = omsi_test_jget(o, key);
    return index >= 0 ? json_object_array_get_idx(v, (size_t)index) : v;
}

START_TEST(cli_check_json_on_fixtures)
{
    char *dir = omsi_test_mkdtemp("img-cli");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 9;
    p.dtype = OMSI_DT_FLOAT64;
    p.big_endian = true;
    omsi_error err = {0};
    char *good = NULL, *bad = NULL;
    ck_assert_int_eq(omsi_gen_img(dir, "good", &p, &good, &err), 0);
    omsi_gen_params q = p;
    q.variant = "truncated";
    ck_assert_int_eq(omsi_gen_img(dir, "short", &q, &bad, &err), 0);
    double total = 0;
    for (uint64_t x = 0; x < p.nx; x++)
        for (uint64_t y = 0; y < p.ny; y++)
            for (uint64_t k = 0; k < p.nz; k++)
                total += omsi_gen_intensity(&p, x, y, k);

    char args[4096];
    snprintf(args, sizeof args, "check --stats --json '%s'", good);
    json_object *root = NULL;
    ck_assert_int_eq(run_check(args, &root), 0);
    ck_assert_ptr_nonnull(root);
    json_object *path0 = jpath(root, "paths", 0);
    ck_assert_str_eq(omsi_test_jstring(path0, "format"), "img");
    ck_assert(json_object_get_boolean(jpath(path0, "valid", -1)));
    ck_assert_int_eq(omsi_test_jint(path0, "size_bytes"), 3 * 2 * 9 * 8);
    ck_assert_uint_eq(json_object_array_length(jpath(path0, "files", -1)), 3);
    json_object *d = jpath(path0, "datasets", 0);
    ck_assert_int_eq(json_object_get_int64(jpath(d, "shape", 0)), 3);
    ck_assert_int_eq(json_object_get_int64(jpath(d, "shape", 1)), 2);
    ck_assert_int_eq(json_object_get_int64(jpath(d, "shape", 2)), 9);
    ck_assert_str_eq(omsi_test_jstring(d, "dtype"), "float64");
    ck_assert_int_eq(omsi_test_jint(d, "n_mz"), 9);
    ck_assert(omsi_test_jdouble(d, "mz_min") == (double)(float)omsi_gen_mz(&p, 0));
    ck_assert(omsi_test_jdouble(d, "mz_max") == (double)(float)omsi_gen_mz(&p, 8));
    ck_assert_int_eq(omsi_test_jint(d, "n_spectra"), 6);
    ck_assert_int_eq(omsi_test_jint(d, "spectra_read"), 6);
    ck_assert(omsi_test_jdouble(d, "total_intensity") == total);
    ck_assert_uint_eq(json_object_array_length(jpath(d, "dependencies", -1)), 0);
    json_object_put(root);

    /* A broken one next to a good one: exit 1, both described. */
    snprintf(args, sizeof args, "check --json '%s' '%s' '%s/nothing'", good, bad, dir);
    ck_assert_int_eq(run_check(args, &root), 1);
    ck_assert(!json_object_get_boolean(jpath(root, "ok", -1)));
    json_object *p1 = jpath(root, "paths", 1), *p2 = jpath(root, "paths", 2);
    ck_assert_str_eq(omsi_test_jstring(p1, "format"), "img");
    ck_assert_str_eq(omsi_test_jstring(p1, "validity"), "incomplete");
    ck_assert(!json_object_get_boolean(jpath(p1, "valid", -1)));
    ck_assert_ptr_nonnull(strstr(omsi_test_jstring(p1, "error"), "short.img: "));
    ck_assert_str_eq(omsi_test_jstring(p2, "format"), "unknown");
    ck_assert_ptr_nonnull(strstr(omsi_test_jstring(p2, "error"), "nothing"));
    json_object_put(root);

    /* The aligned text for people. */
    char *text = NULL;
    snprintf(args, sizeof args, "check --stats '%s'", good);
    ck_assert_int_eq(run_catalog(args, &text), 0);
    const char *lines[] = {"  format              img\n", "  valid               yes (valid)\n",
                           "  size                432 bytes\n",
                           "    shape             3 x 2 x 9 (x, y, m/z)\n",
                           "    data type         float64 (m/z axis float32)\n",
                           "    m/z               9 values, 100 .. 104\n",
                           "    spectra           6 stored in 6 pixels (grid cells)\n",
                           "  imaging             yes (pixels are sample positions)\n",
                           "    dependencies      none\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(strstr(text, lines[i]), "no line '%s' in:\n%s", lines[i], text);
    char want_total[96];
    snprintf(want_total, sizeof want_total, "    total intensity   %.15g (6 spectra read)\n",
             total);
    ck_assert_msg(strstr(text, want_total), "no '%s' in:\n%s", want_total, text);
    free(text);

    /* Usage errors. */
    ck_assert_int_eq(run_check("check --no-such-option x", &root), 2);
    json_object_put(root);
    ck_assert_int_eq(run_check("check", &root), 2);
    json_object_put(root);
    ck_assert_int_eq(run_check("check --format nosuch x", &root), 2);
    json_object_put(root);

    free(good);
    free(bad);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(cli_formats_json)
{
    json_object *root = NULL;
    ck_assert_int_eq(run_check("formats --json", &root), 0);
    json_object *list = jpath(root, "formats", -1);
    size_t n = 0;
    omsi_available_formats(&n);
    ck_assert_uint_eq(json_object_array_length(list), n);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(list, i);
        if (strcmp(omsi_test_jstring(f, "name"), "img") == 0) {
            found = true;
            ck_assert_str_eq(omsi_test_jstring(f, "bastet_name"), "img_file");
            ck_assert(!json_object_get_boolean(jpath(f, "supports_regions", -1)));
        }
    }
    ck_assert(found);
    json_object_put(root);
    ck_assert_int_eq(run_check("formats extra", &root), 2);
    json_object_put(root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("img");
    TCase *shared = tcase_create("shared");
    if (omsi_test_shared_dir()) {
        tcase_add_test(shared, shared_analyze_files);
        tcase_add_test(shared, shared_analyze_by_stem_and_directory);
        suite_add_tcase(s, shared);
    } else {
        omsi_test_say_skipped("img reader vs shared Analyze75 and expected.json");
    }
    TCase *fixtures = tcase_create("fixtures");
    tcase_add_loop_test(fixtures, fixture_every_dtype_both_orders, 0,
                        (int)(2 * sizeof fixture_types / sizeof fixture_types[0]));
    tcase_add_test(fixtures, fixture_uint16_force_unsigned);
    tcase_add_loop_test(fixtures, fixture_header_variants, 0, 6);
    tcase_add_test(fixtures, fixture_more_bins_than_dim1);
    tcase_add_test(fixtures, fixture_negative_int16_values);
    suite_add_tcase(s, fixtures);
    TCase *bad = tcase_create("malformed");
    tcase_add_loop_test(bad, malformed_variant, 0, (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(bad, missing_header_is_incomplete);
    tcase_add_loop_test(bad, companion_not_a_regular_file, 0,
                        (int)(sizeof odd_companions / sizeof odd_companions[0]));
    tcase_add_test(bad, not_analyze);
    suite_add_tcase(s, bad);
    TCase *cli = tcase_create("cli");
    tcase_add_test(cli, cli_check_json_on_fixtures);
    tcase_add_test(cli, cli_formats_json);
    suite_add_tcase(s, cli);
    return omsi_test_run(s, true);
}
