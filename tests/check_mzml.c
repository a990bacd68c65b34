/* The mzML reader: the shared files against expected.json (scan types,
 * totals, m/z ranges, links without BASTet's Full-ms2 bug), generated
 * imaging fixtures against their closed form, malformed files. */
#include "tools/gen.h"
#include "readers/reader.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const shared_files[] = {"mzml/tiny.pwiz.1.1.mzML", "mzml/tiny1.mzML1.1.mzML",
                                           "mzml/tiny1-compressed.mzML1.1.mzML", "mzml/tiny1-centroided.mzML1.1.mzML"};

static omsi_reader *open_ok(const char *path)
{
    omsi_reader *r = NULL;
    omsi_error err = {0};
    omsi_open_options o = omsi_open_options_default();
    ck_assert_msg(omsi_format_by_name("mzml")->open(path, &o, &r, &err) == 0, "open %s: %s", path, err.message);
    return r;
}

static double selection_total(omsi_reader *r, uint64_t *spectra)
{
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    omsi_error err = {0};
    omsi_spectrum s;
    double total = 0;
    int rc;
    *spectra = 0;
    ck_assert_int_eq(omsi_reader_rewind(r, &err), 0);
    while ((rc = omsi_reader_next(r, &s, &err)) == 1) {
        for (uint64_t k = 0; k < info.nz; k++)
            total += omsi_dtype_get(info.dtype, s.intensities, k);
        (*spectra)++;
    }
    ck_assert_msg(rc == 0, "%s", err.message);
    return total;
}

START_TEST(shared_file)
{
    char *path = omsi_test_shared_path(shared_files[_i]);
    json_object *e = omsi_test_expected(shared_files[_i]);
    omsi_error why = {0};
    ck_assert_int_eq(omsi_format_by_name("mzml")->is_valid_dataset(path, &why), OMSI_VALID);
    omsi_reader *r = open_ok(path);
    json_object *types = omsi_test_jget(e, "scan_type_summary");
    size_t n_types = json_object_array_length(types);
    if (n_types == 0) { /* no filter strings: one type per ms level */
        ck_assert_uint_eq(omsi_reader_number_of_datasets(r), 1);
        uint64_t spectra;
        OMSI_ASSERT_CLOSE(selection_total(r, &spectra), omsi_test_jdouble(e, "total_intensity"), 1e-12);
        ck_assert_uint_eq(spectra, (uint64_t)omsi_test_jint(e, "n_spectra"));
        omsi_dataset_info info;
        omsi_reader_info(r, &info);
        ck_assert_uint_eq(info.nx, 2); /* not imaging: one row */
        ck_assert_uint_eq(info.ny, 1);
        ck_assert_uint_eq(info.nz, 5);
        const omsi_meta_entry *m = omsi_meta_find(omsi_reader_metadata(r), "layout");
        ck_assert_ptr_nonnull(strstr(m->text, "not imaging"));
    } else {
        ck_assert_uint_eq(omsi_reader_number_of_datasets(r), n_types);
        for (size_t t = 0; t < n_types; t++) {
            json_object *x = json_object_array_get_idx(types, t);
            ck_assert_int_eq(omsi_reader_set_dataset(r, t, &why), 0);
            omsi_dataset_info info;
            omsi_reader_info(r, &info);
            ck_assert_str_eq(info.name, omsi_test_jstring(x, "filter"));
            const double *mz = omsi_reader_mz(r);
            OMSI_ASSERT_CLOSE(mz[0], omsi_test_jdouble(x, "mz_min"), 1e-12);
            OMSI_ASSERT_CLOSE(mz[info.nz - 1], omsi_test_jdouble(x, "mz_max"), 1e-12);
            uint64_t spectra;
            OMSI_ASSERT_CLOSE(selection_total(r, &spectra), omsi_test_jdouble(x, "total_intensity"), 1e-12);
            ck_assert_uint_eq(spectra, (uint64_t)omsi_test_jint(x, "n_spectra"));
            /* links by ms level: MS1 types -> the MS2 type; the MS2 type -> both MS1 types, never itself */
            const omsi_dependency *deps;
            size_t n = omsi_reader_dependencies(r, &deps);
            int level = json_object_get_int(json_object_array_get_idx(omsi_test_jget(x, "ms_level"), 0));
            if (level == 1) {
                ck_assert_uint_eq(n, 1);
                ck_assert_str_eq(deps[0].link_name, "MS2_445.35@cid35.00_[_110.00-905.00]");
                ck_assert_int_eq(deps[0].dataset, 1);
            } else {
                ck_assert_uint_eq(n, 2);
                ck_assert_str_eq(deps[0].link_name, "MS1");
                ck_assert_str_eq(deps[1].link_name, "MS1_1");
                for (size_t i = 0; i < n; i++)
                    ck_assert_int_ne(deps[i].dataset, (long)t);
                const omsi_meta_entry *m = omsi_meta_find(omsi_reader_metadata(r), "msn_value_of_n");
                ck_assert_int_eq(m->i, 2);
            }
        }
    }
    omsi_reader_close(r);
    free(path);
}
END_TEST

static const char *const fixture_variants[] = {"scantypes=3", "scantypes=2,coords=bruker,zlib", "coords=ims,gaps,mz32",
                                               "coords=none,scantypes=2", "nofilter,scantypes=2"};

START_TEST(fixture_exact_values)
{
    char *dir = omsi_test_mkdtemp("mzml");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 4;
    p.ny = 3;
    p.nz = 17;
    p.dtype = _i % 2 ? OMSI_DT_FLOAT64 : OMSI_DT_FLOAT32;
    p.variant = fixture_variants[_i];
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "fx", &p, &path, &err), 0);
    omsi_reader *r = open_ok(path);
    long types = 1;
    omsi_gen_variant(&p, "scantypes", 1, &types);
    bool imaging = !strstr(p.variant, "coords=none"), gaps = strstr(p.variant, "gaps") != NULL;
    ck_assert_uint_eq(omsi_reader_number_of_datasets(r), (size_t)types);
    for (long t = 0; t < types; t++) {
        ck_assert_int_eq(omsi_reader_set_dataset(r, (size_t)t, &err), 0);
        omsi_dataset_info info;
        omsi_reader_info(r, &info);
        ck_assert_uint_eq(info.nz, p.nz);
        ck_assert_uint_eq(info.nx, imaging ? p.nx : p.nx * p.ny);
        ck_assert_uint_eq(info.ny, imaging ? p.ny : 1);
        const double *mz = omsi_reader_mz(r);
        for (uint64_t k = 0; k < p.nz; k++)
            ck_assert_double_eq_tol(mz[k], omsi_gen_mz(&p, k) + 0.25 * (double)t, 1e-4);
        const omsi_dependency *deps;
        size_t n = omsi_reader_dependencies(r, &deps);
        ck_assert_uint_eq(n, t == 0 ? (size_t)types - 1 : 1);
        if (t > 0)
            ck_assert_str_eq(deps[0].link_name, "MS1");
        omsi_spectrum s;
        uint64_t count = 0;
        while (omsi_reader_next(r, &s, &err) == 1) {
            uint64_t x = imaging ? s.x : s.x / p.ny, y = imaging ? s.y : s.x % p.ny;
            for (uint64_t k = 0; k < p.nz; k++) {
                double want = gaps && (k + x + y) % 3 == 0 ? 0 : omsi_gen_intensity(&p, x, y, k) + (double)t;
                ck_assert_double_eq(omsi_dtype_get(info.dtype, s.intensities, k), want);
            }
            count++;
        }
        ck_assert_uint_eq(count, p.nx * p.ny);
    }
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* MS-Numpress fixtures against the generator's content, within each
 * codec's documented error: linear stores round(v * fp) with fp =
 * floor((2^31 - 1) / d), d at most 3 max + 1 (the largest prediction
 * residual), so |error| <= 0.5 / fp; pic is exact for non-negative
 * integers; slof stores round(log(v + 1) * fp), fp = 65535 / log(max + 1),
 * so (v + 1) is off by at most a factor exp(0.5 / fp). */
static const char *const numpress_variants[] = {"numpress_linear", "numpress_pic", "numpress_slof",
                                                "numpress_linear,zlib", "numpress_pic,zlib", "numpress_slof,zlib"};

static double numpress_tolerance(const char *variant, double v, double max)
{
    if (strstr(variant, "pic"))
        return 0;
    if (strstr(variant, "slof"))
        return (v + 1) * expm1(0.5 / (floor(65535 / log(max + 1)) - 1));
    return 0.5 / floor(2147483647.0 / (3 * max + 1));
}

START_TEST(numpress_values)
{
    char *dir = omsi_test_mkdtemp("mzml-np");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 4;
    p.ny = 3;
    p.nz = 40;
    p.dtype = OMSI_DT_FLOAT64;
    p.content = _i % 2 ? OMSI_GEN_REALISTIC : OMSI_GEN_CLOSED; /* up to 250, or up to 32767 */
    p.variant = numpress_variants[_i];
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "np", &p, &path, &err), 0);
    omsi_reader *r = open_ok(path);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_uint_eq(info.nz, p.nz);
    double max = 0, max_mz = omsi_gen_mz(&p, p.nz - 1);
    for (uint64_t x = 0; x < p.nx; x++)
        for (uint64_t y = 0; y < p.ny; y++)
            for (uint64_t k = 0; k < p.nz; k++)
                max = fmax(max, omsi_gen_intensity(&p, x, y, k));
    const double *mz = omsi_reader_mz(r);
    for (uint64_t k = 0; k < p.nz; k++) /* m/z: always linear */
        ck_assert_double_eq_tol(mz[k], omsi_gen_mz(&p, k), numpress_tolerance("linear", 0, max_mz));
    omsi_spectrum s;
    uint64_t count = 0;
    double worst = 0;
    while (omsi_reader_next(r, &s, &err) == 1) {
        for (uint64_t k = 0; k < p.nz; k++) {
            double want = omsi_gen_intensity(&p, s.x, s.y, k), got = omsi_dtype_get(info.dtype, s.intensities, k);
            ck_assert_double_le(fabs(got - want), numpress_tolerance(p.variant, want, max));
            worst = fmax(worst, fabs(got - want));
        }
        count++;
    }
    ck_assert_uint_eq(count, p.nx * p.ny);
    /* slof is lossy on these values, so the comparison can see an error
     * (linear is exact on integers: its fixed point is a whole number) */
    if (strstr(p.variant, "slof"))
        ck_assert_double_gt(worst, 0);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ppm axes: float64 lower edges even for float32 m/z arrays, and every
 * source point summed into the bin whose edges hold it (readers/ppm_axis.h). */
static const double ppm_widths[] = {20000, 3};

START_TEST(ppm_points_inside_bins)
{
    char *dir = omsi_test_mkdtemp("mzml-ppm");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 60;
    p.variant = "coords=ims,gaps,mz32";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "pb", &p, &path, &err), 0);
    omsi_open_options o = omsi_open_options_default();
    o.axis_mode = OMSI_AXIS_BIN_PPM;
    o.ppm = ppm_widths[_i];
    omsi_reader *r = NULL;
    ck_assert_msg(omsi_format_by_name("mzml")->open(path, &o, &r, &err) == 0, "open: %s", err.message);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_int_eq(info.mz_dtype, OMSI_DT_FLOAT64);
    const double *edges = omsi_reader_mz(r);
    double *want = calloc(info.nz, sizeof *want);
    ck_assert_ptr_nonnull(want);
    omsi_spectrum s;
    uint64_t count = 0;
    while (omsi_reader_next(r, &s, &err) == 1) {
        memset(want, 0, info.nz * sizeof *want);
        for (uint64_t k = 0; k < p.nz; k++) {
            if ((k + s.x + s.y) % 3 == 0)
                continue; /* gaps */
            double mz = (double)(float)omsi_gen_mz(&p, k);
            uint64_t b = 0;
            while (b + 1 < info.nz && edges[b + 1] <= mz)
                b++;
            ck_assert_double_ge(mz, edges[b]);
            want[b] += omsi_gen_intensity(&p, s.x, s.y, k);
        }
        for (uint64_t b = 0; b < info.nz; b++)
            ck_assert_double_eq_tol(omsi_dtype_get(info.dtype, s.intensities, b), want[b], 1e-9);
        count++;
    }
    ck_assert_uint_eq(count, p.nx * p.ny);
    free(want);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

static const struct {
    const char *variant;
    omsi_validity validity;
    const char *message;
} broken[] = {
    {"bad_base64", OMSI_VALID, "invalid base64"},
    {"bad_zlib,scantypes=1", OMSI_VALID, "zlib data"},
    {"numpress", OMSI_VALID, "numpress linear (MS:1002312)"},
    {"truncated", OMSI_INCOMPLETE, "file ends"},
    {"billion_laughs", OMSI_BROKEN, "(DTD) are not allowed"},
    {"external_entity", OMSI_BROKEN, "(DTD) are not allowed"},
    {"duplicate_pixel", OMSI_VALID, "two spectra of scan type"},
    {"count_mismatch", OMSI_VALID, "values need"},
};

START_TEST(malformed)
{
    char *dir = omsi_test_mkdtemp("mzml-bad");
    omsi_gen_params p = omsi_gen_params_default();
    p.variant = broken[_i].variant;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "bad", &p, &path, &err), 0);
    const omsi_format *f = omsi_format_by_name("mzml");
    omsi_error why = {0};
    omsi_validity v = f->is_valid_dataset(path, &why);
    ck_assert_msg(v == broken[_i].validity, "%s: validity %d (%s)", p.variant, v, why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_ne(f->open(path, &o, &r, &err), 0);
    ck_assert_ptr_null(r);
    if (strcmp(broken[_i].variant, "truncated") != 0)
        ck_assert_msg(strstr(err.message, broken[_i].message) != NULL, "%s: '%s'", p.variant, err.message);
    ck_assert_msg(strstr(err.message, "bad.mzML") != NULL, "%s: '%s' names no file", p.variant, err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Rewrites path with `insert` after its XML declaration and `attr` added to
 * the root element: hostile variants of a generated file. */
static void rewrite_root(const char *path, const char *insert, const char *attr)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    char *decl_end = strstr(text, "?>") + 3, *root = strstr(text, "<mzML ") + 6;
    f = fopen(path, "wb");
    fwrite(text, 1, (size_t)(decl_end - text), f);
    fputs(insert, f);
    fwrite(decl_end, 1, (size_t)(root - decl_end), f);
    fputs(attr, f);
    fputs(root, f);
    fclose(f);
    free(text);
}

static const char laughs[] =
    "<!DOCTYPE mzML [\n <!ENTITY lol0 \"lol\">\n"
    " <!ENTITY lol1 \"&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n]>\n";

/* Billion laughs in an attribute of the root: refused before libxml2
 * expands anything (it took 118 s and 308 MB when the DTD was only refused
 * after parsing). */
START_TEST(doctype_in_attribute_refused)
{
    char *dir = omsi_test_mkdtemp("mzml-laughs");
    omsi_gen_params p = omsi_gen_params_default();
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "laughs", &p, &path, &err), 0);
    rewrite_root(path, laughs, "zz=\"&lol8;\" ");
    const omsi_format *f = omsi_format_by_name("mzml");
    omsi_error why = {0};
    ck_assert_int_eq(f->is_valid_dataset(path, &why), OMSI_BROKEN);
    ck_assert_msg(strstr(why.message, "DOCTYPE not allowed") && strstr(why.message, "laughs.mzML"), "%s",
                  why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_eq(f->open(path, &o, &r, &err), OMSI_ERR_FORMAT);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "DOCTYPE not allowed") && strstr(err.message, "laughs.mzML"), "%s",
                  err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* One spectrum larger than the budget (the 13.1 M point case, scaled down
 * with a small memory_limit): refused before its arrays are decoded, the
 * message names the file, the spectrum and the limit. */
START_TEST(spectrum_over_budget_refused)
{
    char *dir = omsi_test_mkdtemp("mzml-huge");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 1;
    p.nz = 40000;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "huge", &p, &path, &err), 0);
    const omsi_format *f = omsi_format_by_name("mzml");
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_msg(f->open(path, &o, &r, &err) == 0, "%s", err.message); /* fits the default */
    omsi_reader_close(r);
    r = NULL;
    o.memory_limit = 1 << 20; /* 40000 points need 1.2 MiB */
    ck_assert_int_eq(f->open(path, &o, &r, &err), OMSI_ERR_NOMEM);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "huge.mzML") && strstr(err.message, "spectrum") &&
                      strstr(err.message, "40000 points") && strstr(err.message, "memory limit"),
                  "%s", err.message);
    /* a defaultArrayLength that lies is refused from the attribute alone */
    FILE *fh = fopen(path, "rb");
    fseek(fh, 0, SEEK_END);
    long n = ftell(fh);
    rewind(fh);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, fh), (size_t)n);
    fclose(fh);
    char *len = strstr(text, "defaultArrayLength=\"40000\"");
    ck_assert_ptr_nonnull(len);
    fh = fopen(path, "wb");
    fwrite(text, 1, (size_t)(len - text), fh);
    fputs("defaultArrayLength=\"13100000\"", fh);
    fputs(len + strlen("defaultArrayLength=\"40000\""), fh);
    fclose(fh);
    free(text);
    o.memory_limit = 0;
    ck_assert_int_eq(f->open(path, &o, &r, &err), OMSI_ERR_NOMEM);
    ck_assert_msg(strstr(err.message, "huge.mzML") && strstr(err.message, "13100000 points") &&
                      strstr(err.message, "memory limit of 256.0 MiB"),
                  "%s", err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* size() and size_of_reader() agree (every scan type's cube summed), and
 * the latter leaves the first dataset selected, as open does. */
START_TEST(size_of_open_reader)
{
    char *dir = omsi_test_mkdtemp("mzml-size");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 4;
    p.ny = 3;
    p.nz = 17;
    p.dtype = OMSI_DT_FLOAT32;
    p.variant = "scantypes=3";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_mzml(dir, "sz", &p, &path, &err), 0);
    const omsi_format *f = omsi_format_by_name("mzml");
    uint64_t by_path = 0, by_reader = 0;
    ck_assert_msg(f->size(path, &by_path, &err) == 0, "%s", err.message);
    omsi_reader *r = open_ok(path);
    omsi_dataset_info first, after;
    omsi_reader_info(r, &first);
    ck_assert_ptr_nonnull(f->size_of_reader);
    ck_assert_int_eq(f->size_of_reader(r, &by_reader, &err), 0);
    ck_assert_uint_eq(by_reader, by_path);
    ck_assert_uint_eq(by_path, 3 * 4 * 3 * 17 * 4); /* three scan types of 4 x 3 x 17 float32 */
    omsi_reader_info(r, &after);
    ck_assert_str_eq(after.name, first.name);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mzml");
    if (omsi_test_shared_dir()) {
        TCase *shared = tcase_create("shared");
        tcase_add_loop_test(shared, shared_file, 0, sizeof shared_files / sizeof shared_files[0]);
        suite_add_tcase(s, shared);
    } else {
        omsi_test_say_skipped("mzML shared corpus");
    }
    TCase *fixtures = tcase_create("fixtures");
    tcase_add_loop_test(fixtures, fixture_exact_values, 0, sizeof fixture_variants / sizeof fixture_variants[0]);
    tcase_add_loop_test(fixtures, malformed, 0, sizeof broken / sizeof broken[0]);
    tcase_add_loop_test(fixtures, numpress_values, 0, sizeof numpress_variants / sizeof numpress_variants[0]);
    tcase_add_loop_test(fixtures, ppm_points_inside_bins, 0, sizeof ppm_widths / sizeof ppm_widths[0]);
    tcase_add_test(fixtures, doctype_in_attribute_refused);
    tcase_add_test(fixtures, spectrum_over_budget_refused);
    tcase_add_test(fixtures, size_of_open_reader);
    suite_add_tcase(s, fixtures);
    return omsi_test_run(s, false);
}
