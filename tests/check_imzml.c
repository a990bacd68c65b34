/* The imzML reader: the shared corpus against expected.json, generated
 * fixtures against their closed form, malformed files against their error. */
#include "tools/gen.h"
#include "readers/reader.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const shared_files[] = {
    "imzml/pyimzml/Example_Continuous.imzML", "imzml/pyimzml/Example_Processed.imzML",
    "imzml/maldiquantforeign/tiny_continuous.imzML", "imzml/maldiquantforeign/tiny_processed.imzML",
};

static omsi_reader *open_ok(const char *path, const omsi_open_options *o)
{
    const omsi_format *f = omsi_format_by_name("imzml");
    omsi_reader *r = NULL;
    omsi_error err = {0};
    omsi_open_options defaults = omsi_open_options_default();
    int rc = f->open(path, o ? o : &defaults, &r, &err);
    ck_assert_msg(rc == 0, "open %s: %s", path, err.message);
    return r;
}

/* Reads the whole cube into a dense array (tests only; small inputs). */
static double *read_cube(omsi_reader *r, omsi_dataset_info *info, uint64_t *spectra)
{
    omsi_reader_info(r, info);
    double *cube = calloc(info->nx * info->ny * info->nz, sizeof *cube);
    ck_assert_ptr_nonnull(cube);
    omsi_error err = {0};
    omsi_spectrum s;
    int rc;
    *spectra = 0;
    ck_assert_int_eq(omsi_reader_rewind(r, &err), 0);
    while ((rc = omsi_reader_next(r, &s, &err)) == 1) {
        ck_assert_uint_lt(s.x, info->nx);
        ck_assert_uint_lt(s.y, info->ny);
        for (uint64_t k = 0; k < info->nz; k++)
            cube[(s.x * info->ny + s.y) * info->nz + k] = omsi_dtype_get(info->dtype, s.intensities, k);
        (*spectra)++;
    }
    ck_assert_msg(rc == 0, "iteration: %s", err.message);
    return cube;
}

START_TEST(shared_file)
{
    const char *rel = shared_files[_i];
    char *path = omsi_test_shared_path(rel);
    json_object *e = omsi_test_expected(rel);
    ck_assert_ptr_nonnull(e);
    omsi_error why = {0};
    ck_assert_int_eq(omsi_format_by_name("imzml")->is_valid_dataset(path, &why), OMSI_VALID);
    omsi_reader *r = open_ok(path, NULL);
    omsi_dataset_info info;
    uint64_t spectra;
    double *cube = read_cube(r, &info, &spectra);
    json_object *grid = omsi_test_jget(e, "grid_shape_xy");
    ck_assert_uint_eq(info.nx, (uint64_t)json_object_get_int64(json_object_array_get_idx(grid, 0)));
    ck_assert_uint_eq(info.ny, (uint64_t)json_object_get_int64(json_object_array_get_idx(grid, 1)));
    ck_assert_uint_eq(spectra, (uint64_t)omsi_test_jint(e, "n_spectra"));
    bool processed = strcmp(omsi_test_jstring(e, "mode_by_offsets"), "processed") == 0;
    uint64_t nz = processed ? (uint64_t)omsi_test_jint(e, "mz_distinct_values") : (uint64_t)omsi_test_jint(e, "n_mz");
    ck_assert_uint_eq(info.nz, nz);
    const double *mz = omsi_reader_mz(r);
    OMSI_ASSERT_CLOSE(mz[0], omsi_test_jdouble(e, "mz_min"), 1e-9);
    OMSI_ASSERT_CLOSE(mz[info.nz - 1], omsi_test_jdouble(e, "mz_max"), 1e-9);
    const char *dtype = json_object_get_string(json_object_array_get_idx(omsi_test_jget(e, "intensity_dtype"), 0));
    ck_assert_str_eq(omsi_dtype_name(info.dtype), strcmp(dtype, "<f4") == 0 ? "float32" : "float64");
    /* Each sampled spectrum: its sum and the values at the recorded indices
     * (continuous: cube bins; processed files here reuse one axis). */
    json_object *samples = omsi_test_jget(e, "samples");
    double total = 0;
    for (uint64_t i = 0; i < info.nx * info.ny * info.nz; i++)
        total += cube[i];
    for (size_t i = 0; i < json_object_array_length(samples); i++) {
        json_object *smp = json_object_array_get_idx(samples, i);
        uint64_t x = (uint64_t)omsi_test_jint(smp, "x") - (uint64_t)omsi_test_jint(e, "x_min");
        uint64_t y = (uint64_t)omsi_test_jint(smp, "y") - (uint64_t)omsi_test_jint(e, "y_min");
        json_object *in = omsi_test_jget(smp, "intensity");
        const double *spectrum = cube + (x * info.ny + y) * info.nz;
        double sum = 0;
        for (uint64_t k = 0; k < info.nz; k++)
            sum += spectrum[k];
        OMSI_ASSERT_CLOSE(sum, omsi_test_jdouble(in, "sum"), 1e-9);
        if (!processed || info.nz == (uint64_t)omsi_test_jint(in, "n")) {
            json_object_object_foreach(omsi_test_jget(in, "values_at"), key, value) {
                if (processed) {
                    /* processed: look the value up by its m/z */
                    continue;
                }
                OMSI_ASSERT_CLOSE(spectrum[atoi(key)], json_object_get_double(value), 1e-9);
            }
        }
    }
    if (json_object_object_get(e, "total_intensity"))
        OMSI_ASSERT_CLOSE(total, omsi_test_jdouble(e, "total_intensity"), 1e-9);
    free(cube);
    omsi_reader_close(r);
    free(path);
}
END_TEST

/* Example_Processed has the same content as Example_Continuous: the exact
 * union axis must reproduce the continuous cube value for value. */
START_TEST(shared_processed_equals_continuous)
{
    char *cont = omsi_test_shared_path("imzml/pyimzml/Example_Continuous.imzML");
    char *proc = omsi_test_shared_path("imzml/pyimzml/Example_Processed.imzML");
    omsi_reader *a = open_ok(cont, NULL), *b = open_ok(proc, NULL);
    omsi_dataset_info ia, ib;
    uint64_t na, nb;
    double *ca = read_cube(a, &ia, &na), *cb = read_cube(b, &ib, &nb);
    ck_assert_uint_eq(ia.nz, ib.nz);
    ck_assert_int_eq(memcmp(omsi_reader_mz(a), omsi_reader_mz(b), ia.nz * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(ca, cb, ia.nx * ia.ny * ia.nz * sizeof(double)), 0);
    free(ca);
    free(cb);
    omsi_reader_close(a);
    omsi_reader_close(b);
    free(cont);
    free(proc);
}
END_TEST

typedef struct fixture_case {
    const char *variant;
    omsi_dtype dtype;
} fixture_case;

static const fixture_case fixture_cases[] = {
    {"", OMSI_DT_FLOAT32},
    {"", OMSI_DT_FLOAT64},
    {"", OMSI_DT_INT32},
    {"processed", OMSI_DT_FLOAT32},
    {"processed,gaps", OMSI_DT_FLOAT64},
    {"processed,gaps,zlib,mz32", OMSI_DT_INT32},
    {"zlib,refgroups", OMSI_DT_FLOAT32},
    {"missing=4,origin=5", OMSI_DT_FLOAT32},
    {"processed,refgroups,missing=3", OMSI_DT_INT64},
};

START_TEST(fixture_exact_values)
{
    const fixture_case *c = &fixture_cases[_i];
    char *dir = omsi_test_mkdtemp("imzml");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 5;
    p.ny = 4;
    p.nz = 23;
    p.dtype = c->dtype;
    p.seed = 3;
    p.variant = c->variant;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_gen_imzml(dir, "fx", &p, &path, &err) == 0, "%s", err.message);
    omsi_reader *r = open_ok(path, NULL);
    omsi_dataset_info info;
    uint64_t spectra;
    double *cube = read_cube(r, &info, &spectra);
    long missing = 0;
    omsi_gen_variant(&p, "missing", 0, &missing);
    bool gaps = strstr(c->variant, "gaps") != NULL;
    /* missing=4 drops the last pixel of the grid too: the box shrinks */
    ck_assert_uint_eq(info.nx, p.nx);
    ck_assert_uint_eq(info.nz, p.nz);
    ck_assert_str_eq(omsi_dtype_name(info.dtype),
                     c->dtype == OMSI_DT_INT64 ? "float64" : omsi_dtype_name(c->dtype));
    const double *mz = omsi_reader_mz(r);
    for (uint64_t k = 0; k < info.nz; k++)
        ck_assert_double_eq_tol(mz[k], omsi_gen_mz(&p, k), 1e-12);
    uint64_t expected_spectra = 0;
    for (uint64_t x = 0; x < p.nx; x++)
        for (uint64_t y = 0; y < info.ny; y++) {
            bool acquired = !(missing > 0 && (x * p.ny + y) % (uint64_t)missing == (uint64_t)missing - 1);
            expected_spectra += acquired;
            for (uint64_t k = 0; k < p.nz; k++) {
                double want = acquired && !(gaps && (k + x + y) % 3 == 0) ? omsi_gen_intensity(&p, x, y, k) : 0;
                double got = cube[(x * info.ny + y) * info.nz + k];
                ck_assert_msg(got == want, "%s: (%llu,%llu,%llu) = %g, want %g", c->variant,
                              (unsigned long long)x, (unsigned long long)y, (unsigned long long)k, got, want);
            }
        }
    ck_assert_uint_eq(spectra, expected_spectra);
    const omsi_meta_entry *m = omsi_meta_find(omsi_reader_metadata(r), "mode_by_offsets");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->text, strstr(c->variant, "processed") ? "processed" : "continuous");
    free(cube);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ppm binning keeps the total intensity of every spectrum. */
START_TEST(fixture_ppm_binning_keeps_totals)
{
    char *dir = omsi_test_mkdtemp("imzml");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 40;
    p.variant = "processed,gaps";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "pp", &p, &path, &err), 0);
    omsi_open_options o = omsi_open_options_default();
    o.axis_mode = OMSI_AXIS_BIN_PPM;
    o.ppm = 20000; /* 2% bins: several points share a bin */
    omsi_reader *r = open_ok(path, &o);
    omsi_dataset_info info;
    uint64_t spectra;
    double *cube = read_cube(r, &info, &spectra);
    ck_assert_uint_lt(info.nz, p.nz);
    ck_assert_str_eq(omsi_dtype_name(info.dtype), "float64");
    for (uint64_t x = 0; x < p.nx; x++)
        for (uint64_t y = 0; y < p.ny; y++) {
            double want = 0, got = 0;
            for (uint64_t k = 0; k < p.nz; k++)
                want += (k + x + y) % 3 ? omsi_gen_intensity(&p, x, y, k) : 0;
            for (uint64_t k = 0; k < info.nz; k++)
                got += cube[(x * info.ny + y) * info.nz + k];
            ck_assert_double_eq_tol(got, want, 1e-9);
        }
    free(cube);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The bin of m/z on an axis of lower edges, by a plain scan (the
 * definition in readers/ppm_axis.h), failing when m/z is outside it. */
static uint64_t bin_by_edges(const double *edges, uint64_t n, double mz)
{
    uint64_t b = 0;
    while (b + 1 < n && edges[b + 1] <= mz)
        b++;
    ck_assert_double_ge(mz, edges[b]);
    if (b + 1 < n)
        ck_assert_double_lt(mz, edges[b + 1]);
    return b;
}

/* ppm axes: float64 lower edges (also for float32 m/z arrays), every
 * source point summed into the bin whose edges hold it. */
static const double ppm_widths[] = {20000, 3};

START_TEST(fixture_ppm_points_inside_bins)
{
    char *dir = omsi_test_mkdtemp("imzml");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 60;
    p.variant = "processed,gaps,mz32";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "pb", &p, &path, &err), 0);
    omsi_open_options o = omsi_open_options_default();
    o.axis_mode = OMSI_AXIS_BIN_PPM;
    o.ppm = ppm_widths[_i];
    omsi_reader *r = open_ok(path, &o);
    omsi_dataset_info info;
    uint64_t spectra;
    double *cube = read_cube(r, &info, &spectra);
    ck_assert_int_eq(info.mz_dtype, OMSI_DT_FLOAT64);
    const double *edges = omsi_reader_mz(r);
    for (uint64_t k = 1; k < info.nz; k++)
        ck_assert_double_eq_tol(edges[k] / edges[k - 1], 1 + o.ppm * 1e-6, 1e-12);
    double *want = calloc(info.nz, sizeof *want);
    ck_assert_ptr_nonnull(want);
    for (uint64_t x = 0; x < p.nx; x++)
        for (uint64_t y = 0; y < p.ny; y++) {
            memset(want, 0, info.nz * sizeof *want);
            for (uint64_t k = 0; k < p.nz; k++)
                if ((k + x + y) % 3)
                    want[bin_by_edges(edges, info.nz, (double)(float)omsi_gen_mz(&p, k))] +=
                        omsi_gen_intensity(&p, x, y, k);
            for (uint64_t b = 0; b < info.nz; b++)
                ck_assert_double_eq_tol(cube[(x * info.ny + y) * info.nz + b], want[b], 1e-9);
        }
    free(want);
    free(cube);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Spectra with zero points are left out, counted and named (as mzML's). */
START_TEST(fixture_empty_spectra_skipped)
{
    char *dir = omsi_test_mkdtemp("imzml");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 4;
    p.nz = 10;
    p.variant = "processed,empty=2";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "em", &p, &path, &err), 0);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = open_ok(path, &o);
    omsi_dataset_info info;
    uint64_t spectra;
    double *cube = read_cube(r, &info, &spectra);
    ck_assert_uint_eq(info.n_skipped, 2);
    ck_assert_uint_eq(info.n_spectra, 10);
    ck_assert_uint_eq(spectra, 10);
    ck_assert_uint_eq(info.nx * info.ny, 12); /* the grid keeps its cells */
    const omsi_meta_entry *n = omsi_meta_find(omsi_reader_metadata(r), "skipped_spectra");
    const omsi_meta_entry *ids = omsi_meta_find(omsi_reader_metadata(r), "skipped_spectrum_ids");
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->i, 2);
    ck_assert_ptr_nonnull(ids);
    ck_assert_str_eq(ids->text, "10 (3, 3), 11 (3, 4)");
    free(cube);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

typedef struct broken_case {
    const char *variant;
    omsi_validity validity;   /* what the cheap classifier says */
    const char *message;      /* substring of the open error */
} broken_case;

static const broken_case broken_cases[] = {
    {"truncated_ibd", OMSI_VALID, "outside the .ibd"},
    {"wrong_uuid", OMSI_BROKEN, "wrong .ibd file"},
    {"huge_offset", OMSI_VALID, "outside the .ibd"},
    {"negative_offset", OMSI_VALID, "not a non-negative integer"},
    {"bad_xml", OMSI_VALID, "malformed XML"},
    {"billion_laughs", OMSI_BROKEN, "(DTD) are not allowed"},
    {"external_entity", OMSI_BROKEN, "(DTD) are not allowed"},
    {"duplicate_pixel", OMSI_VALID, "two spectra at pixel"},
    {"no_ibd", OMSI_INCOMPLETE, "missing"},
    {"numpress", OMSI_VALID, "MS:1002312 is not supported"},
    {"length_mismatch", OMSI_VALID, "m/z values but"},
    {"processed,huge_offset", OMSI_VALID, "outside the .ibd"},
};

START_TEST(malformed)
{
    const broken_case *c = &broken_cases[_i];
    char *dir = omsi_test_mkdtemp("imzml-bad");
    omsi_gen_params p = omsi_gen_params_default();
    p.variant = c->variant;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "bad", &p, &path, &err), 0);
    const omsi_format *f = omsi_format_by_name("imzml");
    omsi_error why = {0};
    ck_assert_msg(f->is_valid_dataset(path, &why) == c->validity, "%s: validity %d (%s)", c->variant,
                  f->is_valid_dataset(path, &why), why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_ne(f->open(path, &o, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, c->message) != NULL, "%s: '%s' lacks '%s'", c->variant, err.message, c->message);
    ck_assert_msg(strstr(err.message, "bad.i") != NULL, "%s: '%s' does not name the file", c->variant, err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

/* Writes text with [at, at + cut) replaced by insert. */
static void splice(const char *path, const char *text, const char *at, size_t cut, const char *insert)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(insert, f);
    fputs(at + cut, f);
    fclose(f);
}

static char *generate(const char *dir, const char *stem, const char *variant)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.variant = variant;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, stem, &p, &path, &err), 0);
    return path;
}

START_TEST(doctype_in_attribute_refused)
{
    char *dir = omsi_test_mkdtemp("imzml-laughs");
    char *path = generate(dir, "laughs", NULL);
    char *text = slurp(path);
    char *root = strstr(text, "<mzML ");
    ck_assert_ptr_nonnull(root);
    char head[2048];
    snprintf(head, sizeof head,
             "<!DOCTYPE mzML [<!ENTITY l0 \"lol\"><!ENTITY l1 \"&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;\">"
             "<!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\"><!ENTITY l3 \"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">"
             "<!ENTITY l4 \"&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;\"><!ENTITY l5 \"&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;\">"
             "<!ENTITY l6 \"&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;\"><!ENTITY l7 \"&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;\">"
             "<!ENTITY l8 \"&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;\">]>\n<mzML zz=\"&l8;\" ");
    splice(path, text, root, 6, head);
    const omsi_format *f = omsi_format_by_name("imzml");
    omsi_error why = {0}, err = {0};
    ck_assert_int_eq(f->is_valid_dataset(path, &why), OMSI_BROKEN);
    ck_assert_msg(strstr(why.message, "DOCTYPE not allowed") && strstr(why.message, "laughs.imzML"), "%s",
                  why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_eq(f->open(path, &o, &r, &err), OMSI_ERR_FORMAT);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "DOCTYPE not allowed") && strstr(err.message, "laughs.imzML"), "%s",
                  err.message);
    free(text);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* One pixel at (1000000, 1000) in a 12-spectrum file: refused at open
 * (the writer would allocate 10^9 cells), naming file, grid and count. */
START_TEST(far_pixel_refused)
{
    char *dir = omsi_test_mkdtemp("imzml-far");
    char *path = generate(dir, "far", NULL);
    char *text = slurp(path);
    const char *key = "name=\"position x\" value=\"";
    char *last = NULL;
    for (char *p = strstr(text, key); p; p = strstr(p + 1, key))
        last = p;
    ck_assert_ptr_nonnull(last);
    char *value = last + strlen(key);
    char *y = strstr(value, "name=\"position y\" value=\"");
    ck_assert_ptr_nonnull(y);
    /* "4"/> ... value="3" -> 1000000 ... 1000 */
    char *xq = strchr(value, '"'), *yv = y + strlen("name=\"position y\" value=\""), *yq = strchr(yv, '"');
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, (size_t)(value - text), f);
    fputs("1000000", f);
    fwrite(xq, 1, (size_t)(yv - xq), f);
    fputs("1000", f);
    fputs(yq, f);
    fclose(f);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_format_by_name("imzml")->open(path, &o, &r, &err), OMSI_ERR_NOMEM);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "far.imzML") && strstr(err.message, "grid 1000000 x 1000") &&
                      strstr(err.message, "for 12 spectra"),
                  "%s", err.message);
    free(text);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Two spectra reading the same intensity bytes: opens, one warning. */
START_TEST(overlapping_offsets_warned_once)
{
    char *dir = omsi_test_mkdtemp("imzml-overlap");
    char *path = generate(dir, "overlap", "processed");
    char *text = slurp(path);
    /* the second spectrum reads the first one's intensity bytes (offsets: mz, intensity, mz, intensity) */
    const char *key = "accession=\"IMS:1000102\" name=\"external offset\" value=\"";
    char *p1 = strstr(text, key);
    ck_assert_ptr_nonnull(p1);
    char *p2 = strstr(p1 + 1, key);
    ck_assert_ptr_nonnull(p2);
    char *v2 = p2 + strlen(key);
    char offset[32];
    snprintf(offset, sizeof offset, "%.*s", (int)(strchr(v2, '"') - v2), v2);
    char *p4 = strstr(strstr(p2 + 1, key) + 1, key); /* the second spectrum's intensity array */
    ck_assert_ptr_nonnull(p4);
    char *v4 = p4 + strlen(key);
    splice(path, text, v4, (size_t)(strchr(v4, '"') - v4), offset);
    char capture[4096];
    snprintf(capture, sizeof capture, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = fopen(capture, "w+");
    dup2(fileno(cap), 2);
    omsi_logger log = omsi_logger_make("omsi", OMSI_LOG_WARNING);
    omsi_open_options o = omsi_open_options_default();
    o.log = &log;
    omsi_reader *r = NULL;
    omsi_error err = {0};
    int rc = omsi_format_by_name("imzml")->open(path, &o, &r, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_msg(rc == 0, "%s", err.message);
    omsi_reader_close(r);
    rewind(cap);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, cap))
        n += strstr(line, "overlap") && strstr(line, "overlap.imzML");
    fclose(cap);
    ck_assert_int_eq(n, 1);
    free(text);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A FIFO or a symlink to /dev/zero as the .ibd: broken, "not a regular
 * file", never "missing, waiting". */
START_TEST(ibd_not_a_regular_file)
{
    char *dir = omsi_test_mkdtemp("imzml-fifo");
    omsi_gen_params p = omsi_gen_params_default();
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "odd", &p, &path, &err), 0);
    char ibd[4096];
    snprintf(ibd, sizeof ibd, "%s/odd.ibd", dir);
    ck_assert_int_eq(remove(ibd), 0);
    if (_i == 0)
        ck_assert_int_eq(mkfifo(ibd, 0600), 0);
    else
        ck_assert_int_eq(symlink("/dev/zero", ibd), 0);
    const char *reason = _i == 0 ? "odd.ibd: not a regular file (a FIFO)"
                                 : "odd.ibd: not a regular file (a character device)";
    const omsi_format *f = omsi_format_by_name("imzml");
    omsi_error why = {0};
    omsi_validity v = f->is_valid_dataset(path, &why);
    ck_assert_msg(v == OMSI_BROKEN, "%s (%s)", omsi_validity_name(v), why.message);
    ck_assert_msg(strstr(why.message, reason), "%s", why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_ne(f->open(path, &o, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, reason), "%s", err.message);
    ck_assert_int_ne(err.status, OMSI_ERR_INCOMPLETE);
    /* and a missing one is still "waiting" */
    ck_assert_int_eq(remove(ibd), 0);
    ck_assert_int_eq(f->is_valid_dataset(path, &why), OMSI_INCOMPLETE);
    ck_assert_msg(strstr(why.message, "odd.ibd: missing"), "%s", why.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* read_spectrum(x, y) returns what the iterator yields at (x, y), zeros and
 * 1 where no spectrum is, for both layouts. */
START_TEST(random_access_matches_iterator)
{
    char *dir = omsi_test_mkdtemp("imzml-random");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 5;
    p.ny = 4;
    p.nz = 40;
    p.variant = _i == 0 ? "missing=3" : "processed,missing=3";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "ra", &p, &path, &err), 0);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_msg(omsi_reader_open(path, NULL, &o, &r, &err) == 0, "%s", err.message);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    size_t item = omsi_dtype_size(info.dtype), bytes = (size_t)info.nz * item;
    unsigned char *seen = calloc((size_t)(info.nx * info.ny), 1);
    unsigned char *expect = malloc(bytes), *got = malloc(bytes);
    omsi_spectrum sp;
    int rc, n = 0;
    while ((rc = omsi_reader_next(r, &sp, &err)) == 1) {
        memcpy(expect, sp.intensities, bytes);
        seen[sp.y * info.nx + sp.x] = 1;
        ck_assert_int_eq(omsi_reader_read_spectrum(r, sp.x, sp.y, got, &err), 0);
        ck_assert_msg(memcmp(expect, got, bytes) == 0, "pixel (%llu, %llu) differs", (unsigned long long)sp.x,
                      (unsigned long long)sp.y);
        ck_assert_double_eq(omsi_dtype_get(info.dtype, got, 3), omsi_gen_intensity(&p, sp.x, sp.y, 3));
        /* a block of values alone, as the writer reads blocks of m/z */
        memset(got, 0xa5, bytes);
        ck_assert_int_eq(omsi_reader_read_values(r, sp.x, sp.y, 7, 11, got, &err), 0);
        ck_assert_msg(memcmp(expect + 7 * item, got, 11 * item) == 0, "values 7..17 of pixel (%llu, %llu) differ",
                      (unsigned long long)sp.x, (unsigned long long)sp.y);
        n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(n, 0);
    int missing = 0;
    for (uint64_t y = 0; y < info.ny; y++)
        for (uint64_t x = 0; x < info.nx; x++) {
            if (seen[y * info.nx + x])
                continue;
            memset(got, 0xff, bytes);
            ck_assert_int_eq(omsi_reader_read_spectrum(r, x, y, got, &err), 1);
            ck_assert_double_eq(omsi_dtype_get(info.dtype, got, 0), 0.0);
            ck_assert_double_eq(omsi_dtype_get(info.dtype, got, info.nz - 1), 0.0);
            memset(got, 0xff, bytes);
            ck_assert_int_eq(omsi_reader_read_values(r, x, y, 3, 5, got, &err), 1);
            for (size_t b = 0; b < 5 * item; b++)
                ck_assert_uint_eq(got[b], 0);
            missing++;
        }
    ck_assert_int_eq(missing, (int)(info.nx * info.ny) - n);
    ck_assert_int_gt(missing, 0);
    ck_assert_int_eq(omsi_reader_read_spectrum(r, info.nx, 0, got, &err), 1); /* outside the grid */
    omsi_error_clear(&err);
    ck_assert_int_lt(omsi_reader_read_values(r, 0, 0, info.nz - 2, 3, got, &err), 0); /* past the spectrum */
    ck_assert_msg(strstr(err.message, ".ibd: values 38 + 3 are outside the 40 of a spectrum"), "%s", err.message);
    free(seen);
    free(expect);
    free(got);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The value of the n-th `accession` cvParam of an imzML file (tests only). */
static unsigned long long nth_param_value(const char *path, const char *accession, int n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *at = text;
    for (int i = 0; i <= n; i++) {
        at = strstr(at, accession);
        ck_assert_ptr_nonnull(at);
        at += strlen(accession);
    }
    const char *v = strstr(at, "value=\"");
    ck_assert_ptr_nonnull(v);
    return strtoull(v + 7, NULL, 10);
}

/* A processed spectrum whose m/z array is the axis is read straight into
 * the cube's type; it must give the bits the way through doubles gives a
 * value alone in its bin (0.0 + v): -0.0 -> 0.0, signalling NaN -> quiet,
 * the rest unchanged. Case 1 has gaps, so it goes the way through doubles. */
START_TEST(processed_values_alone_in_their_bin)
{
    char *dir = omsi_test_mkdtemp("imzml-bits");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 12;
    p.dtype = OMSI_DT_FLOAT32;
    p.variant = _i == 0 ? "processed" : "processed,gaps";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "bits", &p, &path, &err), 0);
    /* the first spectrum's second array holds its intensities */
    unsigned long long offset = nth_param_value(path, "IMS:1000102", 1);
    char ibd[4096];
    snprintf(ibd, sizeof ibd, "%s/bits.ibd", dir);
    const uint32_t put[4] = {0x80000000u, 0x7f800001u, 0xff800000u, 0x3f800001u};
    FILE *f = fopen(ibd, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseeko(f, (off_t)offset, SEEK_SET), 0);
    for (int i = 0; i < 4; i++) {
        unsigned char le[4] = {(unsigned char)put[i], (unsigned char)(put[i] >> 8), (unsigned char)(put[i] >> 16),
                               (unsigned char)(put[i] >> 24)};
        ck_assert_uint_eq(fwrite(le, 1, 4, f), 4);
    }
    ck_assert_int_eq(fclose(f), 0);
    omsi_reader *r = open_ok(path, NULL);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_int_eq(info.dtype, OMSI_DT_FLOAT32);
    omsi_spectrum sp;
    ck_assert_int_eq(omsi_reader_next(r, &sp, &err), 1);
    /* where gaps leave a point out, the stored values fill the bins after it */
    const uint32_t want[4] = {0x00000000u, 0x7fc00001u, 0xff800000u, 0x3f800001u};
    uint64_t k = 0;
    for (int i = 0; i < 4; i++, k++) {
        if (_i == 1)
            while ((k + sp.x + sp.y) % 3 == 0)
                k++;
        uint32_t bits;
        memcpy(&bits, (const unsigned char *)sp.intensities + 4 * k, 4);
        ck_assert_msg(bits == want[i], "value %d (bin %llu): bits %08x, want %08x", i, (unsigned long long)k,
                      bits, want[i]);
    }
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("imzml");
    TCase *shared = tcase_create("shared");
    if (omsi_test_shared_dir()) {
        tcase_add_loop_test(shared, shared_file, 0, sizeof shared_files / sizeof shared_files[0]);
        tcase_add_test(shared, shared_processed_equals_continuous);
        suite_add_tcase(s, shared);
    } else {
        omsi_test_say_skipped("imzML shared corpus");
    }
    TCase *fixtures = tcase_create("fixtures");
    tcase_add_loop_test(fixtures, fixture_exact_values, 0, sizeof fixture_cases / sizeof fixture_cases[0]);
    tcase_add_test(fixtures, fixture_ppm_binning_keeps_totals);
    tcase_add_loop_test(fixtures, fixture_ppm_points_inside_bins, 0, sizeof ppm_widths / sizeof ppm_widths[0]);
    tcase_add_test(fixtures, fixture_empty_spectra_skipped);
    tcase_add_loop_test(fixtures, malformed, 0, sizeof broken_cases / sizeof broken_cases[0]);
    tcase_add_test(fixtures, doctype_in_attribute_refused);
    tcase_add_test(fixtures, far_pixel_refused);
    tcase_add_test(fixtures, overlapping_offsets_warned_once);
    tcase_add_loop_test(fixtures, ibd_not_a_regular_file, 0, 2);
    tcase_add_loop_test(fixtures, random_access_matches_iterator, 0, 2);
    tcase_add_loop_test(fixtures, processed_values_alone_in_their_bin, 0, 2);
    suite_add_tcase(s, fixtures);
    return omsi_test_run(s, false);
}
