/* The Bruker flex reader: the shared spots and spot list against
 * expected.json, generated trees with regions against their closed form,
 * malformed trees against their error. */
#include "readers/bruker_acqu.h"
#include "readers/bruker_spots.h"
#include "tools/gen.h"
#include "readers/reader.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const omsi_format *flex(void) { return omsi_format_by_name("bruckerflex"); }

static omsi_reader *open_ok(const char *path)
{
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    omsi_error err = {0};
    ck_assert_msg(flex()->open(path, &o, &r, &err) == 0, "open %s: %s", path, err.message);
    return r;
}

/* Calibration of spec 4.6 for the generator's constants. */
static double gen_mz(uint64_t i)
{
    double A = -0.0013, B = sqrt(1e12 / 2400000.0), C = 280 - (10000 + 20.0 * (double)i);
    double s = (-B + sqrt(B * B - 4 * A * C)) / (2 * A);
    return s * s;
}

START_TEST(shared_spot_trees)
{
    const char *keys[] = {"brukerflex/2010_05_19_Gibb_C8_A1/", "brukerflex/maldiquantforeign_tiny/"};
    char *path = omsi_test_shared_path(keys[_i]);
    json_object *e = omsi_test_expected(keys[_i]);
    omsi_error why = {0};
    ck_assert_int_eq(flex()->is_valid_dataset(path, &why), OMSI_VALID);
    omsi_reader *r = open_ok(path);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    json_object *spots = omsi_test_jget(e, "spots");
    size_t n = json_object_array_length(spots);
    ck_assert_uint_eq(info.nx, n);
    ck_assert_uint_eq(info.ny, 1);
    ck_assert_str_eq(omsi_dtype_name(info.dtype), "int32");
    json_object *s0 = json_object_array_get_idx(spots, 0);
    ck_assert_uint_eq(info.nz, (uint64_t)omsi_test_jint(s0, "TD"));
    const double *mz = omsi_reader_mz(r);
    OMSI_ASSERT_CLOSE(mz[0], omsi_test_jdouble(s0, "mz_first"), 1e-10);
    OMSI_ASSERT_CLOSE(mz[info.nz - 1], omsi_test_jdouble(s0, "mz_last"), 1e-10);
    OMSI_ASSERT_CLOSE(mz[info.nz / 2], omsi_test_jdouble(s0, "mz_at_half"), 1e-10);
    omsi_spectrum s;
    double total = 0;
    size_t count = 0;
    while (omsi_reader_next(r, &s, &why) == 1) {
        json_object *in = omsi_test_jget(json_object_array_get_idx(spots, s.x), "intensity");
        const int32_t *v = s.intensities;
        double sum = 0;
        for (uint64_t k = 0; k < info.nz; k++)
            sum += v[k];
        OMSI_ASSERT_CLOSE(sum, omsi_test_jdouble(in, "sum"), 1e-12);
        json_object_object_foreach(omsi_test_jget(in, "values_at"), key, value)
            ck_assert_double_eq(v[atoi(key)], json_object_get_double(value));
        total += sum;
        count++;
    }
    ck_assert_uint_eq(count, n);
    OMSI_ASSERT_CLOSE(total, omsi_test_jdouble(e, "total_intensity"), 1e-12);
    omsi_reader_close(r);
    free(path);
}
END_TEST

/* The real flexImaging 5 spot list, paired with a generated tree. */
START_TEST(shared_spot_list_with_generated_tree)
{
    const char *key = "brukerflex/spotlist_msv000088438/20210920_vc_rugose_1mMTCA_gordon_spot_list.txt";
    char *list = omsi_test_shared_path(key);
    json_object *e = omsi_test_expected(key);
    omsi_error why = {0};
    ck_assert_int_eq(flex()->is_valid_dataset(list, &why), OMSI_INCOMPLETE);
    ck_assert_ptr_nonnull(strstr(why.message, "spot folder"));
    bruker_run run;
    ck_assert_int_eq(bruker_run_find(list, 0, &run, &why), 0);
    ck_assert_uint_eq(run.listed, (size_t)omsi_test_jint(e, "n_spots"));
    ck_assert_uint_eq(run.n_names, 4);
    /* Build DIR/<run>/0_<spot>/1/1SLin/{acqu,fid} for every listed spot. */
    char *dir = omsi_test_mkdtemp("flex-list");
    char copy[4096], cmd[8192];
    snprintf(copy, sizeof copy, "%s/20210920_vc_rugose_1mMTCA_gordon_spot_list.txt", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", list, copy);
    ck_assert_int_eq(system(cmd), 0);
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 1;
    p.ny = 1;
    p.nz = 8;
    for (size_t i = 0; i < run.count; i++) {
        char spot[4200];
        snprintf(spot, sizeof spot, "%s/20210920_vc_rugose_1mMTCA_gordon/0_%s", dir, run.spots[i].name);
        char *path = NULL;
        /* reuse the generator for one spot's acqu + fid, then move it in place */
        ck_assert_int_eq(omsi_gen_bruker_flex(dir, "one", &p, &path, &(omsi_error){0}), 0);
        char from[4200];
        snprintf(from, sizeof from, "%s/one/0_R00X000Y000", dir);
        char parent[4200];
        snprintf(parent, sizeof parent, "%s/20210920_vc_rugose_1mMTCA_gordon", dir);
        mkdir(parent, 0755);
        ck_assert_int_eq(rename(from, spot), 0);
        free(path);
    }
    bruker_run_free(&run);
    ck_assert_int_eq(flex()->is_valid_dataset(copy, &why), OMSI_VALID);
    omsi_reader *r = open_ok(copy);
    json_object *regions = omsi_test_jget(e, "regions");
    json_object *tight = omsi_test_jget(e, "tight_bbox_xy");
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    long bx0 = json_object_get_int(json_object_array_get_idx(omsi_test_jget(tight, "x"), 0));
    long by0 = json_object_get_int(json_object_array_get_idx(omsi_test_jget(tight, "y"), 0));
    ck_assert_uint_eq(info.nx, (uint64_t)(json_object_get_int(json_object_array_get_idx(omsi_test_jget(tight, "x"), 1)) - bx0 + 1));
    ck_assert_uint_eq(info.ny, (uint64_t)(json_object_get_int(json_object_array_get_idx(omsi_test_jget(tight, "y"), 1)) - by0 + 1));
    ck_assert_uint_eq(omsi_reader_number_of_regions(r), json_object_array_length(regions));
    for (size_t g = 0; g < json_object_array_length(regions); g++) {
        json_object *x = json_object_array_get_idx(regions, g);
        omsi_region reg;
        ck_assert_int_eq(omsi_reader_get_region(r, g, &reg), 0);
        ck_assert_str_eq(reg.name, omsi_test_jstring(x, "name"));
        ck_assert_uint_eq(reg.n_spectra, (uint64_t)omsi_test_jint(x, "count"));
        json_object *xr = omsi_test_jget(x, "x"), *yr = omsi_test_jget(x, "y");
        ck_assert_uint_eq(reg.x0, (uint64_t)(json_object_get_int(json_object_array_get_idx(xr, 0)) - bx0));
        ck_assert_uint_eq(reg.y0, (uint64_t)(json_object_get_int(json_object_array_get_idx(yr, 0)) - by0));
        ck_assert_uint_eq(reg.nx, (uint64_t)(json_object_get_int(json_object_array_get_idx(xr, 1)) -
                                             json_object_get_int(json_object_array_get_idx(xr, 0)) + 1));
    }
    omsi_reader_close(r);
    omsi_test_rmtree(dir);
    free(dir);
    free(list);
}
END_TEST

static const char *const fixture_variants[] = {"regions=3", "regions=3,spotlist,origin=2", "oldlist,regions=2",
                                               "missing=5", "targets", "regions=2,missing=5,spotlist",
                                               "spotlist,origin=1", "regions=1"};

START_TEST(fixture_values_and_regions)
{
    char *dir = omsi_test_mkdtemp("flex");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 6;
    p.ny = 4;
    p.nz = 40;
    p.seed = 5;
    p.big_endian = _i % 2 == 1;
    p.variant = fixture_variants[_i];
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    long regions = 1, missing = 0;
    omsi_gen_variant(&p, "regions", 1, &regions);
    omsi_gen_variant(&p, "missing", 0, &missing);
    /* A spot list naming spots without folders is incomplete (spec 4.3). */
    omsi_validity expected_validity = missing && strstr(p.variant, "spotlist") ? OMSI_INCOMPLETE : OMSI_VALID;
    omsi_error why = {0};
    ck_assert_msg(flex()->is_valid_dataset(path, &why) == expected_validity, "%s: %s", p.variant, why.message);
    omsi_reader *r = open_ok(path);
    bool targets = strstr(p.variant, "targets") != NULL;
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    if (targets) {
        ck_assert_uint_eq(info.nx, p.nx * p.ny);
        ck_assert_uint_eq(info.ny, 1);
    } else {
        ck_assert_uint_eq(info.nx, p.nx);
        ck_assert_uint_eq(info.ny, p.ny);
    }
    const double *mz = omsi_reader_mz(r);
    for (uint64_t k = 0; k < p.nz; k++)
        OMSI_ASSERT_CLOSE(mz[k], gen_mz(k), 1e-12);
    /* a spot list's single region is a region too (its name is kept); a bare
     * tree of one R number is only the merged cube */
    bool listed = strstr(p.variant, "spotlist") || strstr(p.variant, "oldlist");
    ck_assert_uint_eq(omsi_reader_number_of_regions(r), (regions > 1 || listed) && !targets ? (size_t)regions : 0);
    /* merged selection, then each region: every value from the closed form */
    for (long g = -1; g < (long)omsi_reader_number_of_regions(r); g++) {
        ck_assert_int_eq(omsi_reader_set_region(r, g, &err), 0);
        omsi_region reg = {0};
        if (g >= 0) {
            ck_assert_int_eq(omsi_reader_get_region(r, (size_t)g, &reg), 0);
            char want[64];
            if (strstr(p.variant, "oldlist"))
                snprintf(want, sizeof want, "region_%ld", g);
            else if (strstr(p.variant, "spotlist"))
                snprintf(want, sizeof want, "area %ld tissue", g);
            else
                snprintf(want, sizeof want, "region_%ld", g);
            ck_assert_str_eq(reg.name, want);
        }
        /* the selection's metadata: its own spot count, name and origin */
        const omsi_metadata *md = omsi_reader_metadata(r);
        const omsi_meta_entry *spots = omsi_meta_find(md, "spots");
        ck_assert_ptr_nonnull(spots);
        long origin = 0;
        omsi_gen_variant(&p, "origin", 0, &origin);
        if (g < 0) {
            /* spots listed, or found when there is no list */
            uint64_t found = p.nx * p.ny;
            if (missing > 0 && !listed)
                found -= p.nx * p.ny / (uint64_t)missing;
            ck_assert_int_eq(spots->i, (int64_t)found);
            ck_assert_ptr_null(omsi_meta_find(md, "region_name"));
        } else {
            /* band g holds the columns x with x * regions / nx == g */
            uint64_t cols = 0, first = UINT64_MAX;
            for (uint64_t x = 0; x < p.nx; x++)
                if (x * (uint64_t)regions / p.nx == (uint64_t)g) {
                    cols++;
                    first = first < x ? first : x;
                }
            ck_assert_int_eq(spots->i, (int64_t)(cols * p.ny));
            ck_assert_str_eq(omsi_meta_find(md, "region_name")->text, reg.name);
            ck_assert_int_eq(omsi_meta_find(md, "region_index")->i, g);
            ck_assert_int_eq(omsi_meta_find(md, "region_origin_x")->i, (int64_t)reg.x0);
            ck_assert_int_eq(omsi_meta_find(md, "region_origin_y")->i, (int64_t)reg.y0);
            ck_assert_uint_eq(reg.x0, first);
            ck_assert_int_eq(omsi_meta_find(md, "region_spot_x")->i, (int64_t)first + origin);
            ck_assert_int_eq(omsi_meta_find(md, "region_spot_y")->i, origin);
            ck_assert_int_eq(omsi_meta_find(md, "spectra")->i, (int64_t)reg.n_spectra);
        }
        const omsi_dependency *deps;
        size_t n_deps = omsi_reader_dependencies(r, &deps);
        if (omsi_reader_number_of_regions(r)) {
            ck_assert_uint_eq(n_deps, g < 0 ? (size_t)regions : 1);
            ck_assert_str_eq(deps[0].link_name, g < 0 ? "msi_region_0" : "msi_full");
            ck_assert_str_eq(deps[0].type, g < 0 ? "contains" : "subset");
        }
        omsi_spectrum s;
        uint64_t count = 0;
        ck_assert_int_eq(omsi_reader_rewind(r, &err), 0);
        while (omsi_reader_next(r, &s, &err) == 1) {
            uint64_t x = s.x + reg.x0, y = s.y + reg.y0;
            if (targets) { /* spots in name order: letter (y) first, then number (x) */
                x = s.x % p.nx;
                y = s.x / p.nx;
            }
            ck_assert(!(missing > 0 && (x * p.ny + y) % (uint64_t)missing == (uint64_t)missing - 1));
            const int32_t *v = s.intensities;
            for (uint64_t k = 0; k < p.nz; k++)
                ck_assert_int_eq(v[k], (int32_t)omsi_gen_intensity(&p, x, y, k));
            count++;
        }
        omsi_dataset_info sel;
        omsi_reader_info(r, &sel);
        ck_assert_uint_eq(count, sel.n_spectra);
    }
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
    {"truncated_fid", OMSI_INCOMPLETE, "TD = 30 needs 120"},
    {"long_fid", OMSI_BROKEN, "TD = 30 needs 120"},
    {"no_calibration", OMSI_VALID, "no ##$ML1="},
    {"td_mismatch", OMSI_BROKEN, "differs from the first spot"},
    {"lift", OMSI_VALID, "LIFT spectrum"},
};

START_TEST(malformed)
{
    char *dir = omsi_test_mkdtemp("flex-bad");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 30;
    p.variant = broken[_i].variant;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    omsi_error why = {0};
    omsi_validity v = flex()->is_valid_dataset(path, &why);
    if (broken[_i].validity != OMSI_VALID || v != OMSI_VALID)
        ck_assert_msg(v == broken[_i].validity || v == OMSI_BROKEN, "%s: validity %d (%s)", p.variant, v, why.message);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    int rc = flex()->open(path, &o, &r, &err);
    if (rc == 0) { /* some problems surface while reading */
        omsi_spectrum s;
        while ((rc = omsi_reader_next(r, &s, &err)) == 1)
            ;
        omsi_reader_close(r);
    }
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(err.message, broken[_i].message) != NULL, "%s: '%s' lacks '%s'", p.variant, err.message,
                  broken[_i].message);
    ck_assert_msg(strstr(err.message, "run") != NULL, "%s: '%s' names no file", p.variant, err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(symlinked_spot_is_not_followed)
{
    char *dir = omsi_test_mkdtemp("flex-escape");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 2;
    p.nz = 10;
    p.variant = "escape";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_int_eq(flex()->list_files(path, &files, &err), 0);
    for (size_t i = 0; i < files.count; i++)
        ck_assert_ptr_null(strstr(files.paths[i], "outside_spot"));
    ck_assert_uint_eq(files.count, 6); /* 3 spots inside, acqu + fid each */
    omsi_path_list_free(&files);
    omsi_reader *r = open_ok(path);
    omsi_spectrum s;
    int n = 0;
    while (omsi_reader_next(r, &s, &err) == 1)
        n++;
    ck_assert_int_eq(n, 3);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The walk trusts readdir's types only for real directories: a symlinked
 * <k>SLin folder is followed through realpath, read when it stays in the run
 * folder and refused ("outside the dataset folder") when it leaves it. */
START_TEST(symlinked_acquisition_folder)
{
    char *dir = omsi_test_mkdtemp("flex-acq-link");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 2;
    p.nz = 10;
    omsi_error err = {0};
    char buf[4096], target[4096];
    for (int outside = 0; outside < 2; outside++) {
        char stem[16];
        snprintf(stem, sizeof stem, "run%d", outside);
        char *path = NULL;
        ck_assert_int_eq(omsi_gen_bruker_flex(dir, stem, &p, &path, &err), 0);
        snprintf(buf, sizeof buf, "%s/0_R00X001Y000/1/1SLin", path);
        snprintf(target, sizeof target, "%s/%s_moved", outside ? dir : path, stem);
        ck_assert_int_eq(rename(buf, target), 0);
        ck_assert_int_eq(symlink(target, buf), 0);
        omsi_open_options o = omsi_open_options_default();
        omsi_reader *r = NULL;
        int rc = flex()->open(path, &o, &r, &err);
        if (outside) {
            ck_assert_int_ne(rc, 0);
            ck_assert_msg(strstr(err.message, "outside the dataset folder"), "%s", err.message);
        } else {
            ck_assert_msg(rc == 0, "%s", err.message);
            omsi_spectrum s;
            int n = 0;
            bool linked = false;
            while (omsi_reader_next(r, &s, &err) == 1) {
                n++;
                /* closed content: (31x + 17y + 7k + 13 seed) mod 251 at bin 1 */
                if (s.x == 1 && s.y == 0)
                    linked = ((const int32_t *)s.intensities)[1] == (31 + 7 + 13 * (int)p.seed) % 251;
            }
            ck_assert_int_eq(n, 4);
            ck_assert(linked);
            omsi_reader_close(r);
        }
        free(path);
    }
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A spot list row whose name matches several "<chip>_" folders takes the
 * first in name order that has an acqu (the folder lookup is a binary
 * search over the names; ties must keep that order). */
START_TEST(spot_list_duplicate_chip_folders)
{
    char *dir = omsi_test_mkdtemp("flex-dupchip");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 2;
    p.nz = 10;
    p.variant = "spotlist";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "dup", &p, &path, &err), 0);
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/dup/0_R00X001Y000", dir);
    snprintf(to, sizeof to, "%s/dup/5_R00X001Y000", dir);
    ck_assert_int_eq(rename(from, to), 0);
    const char *empty[] = {"1_R00X001Y000", "1_R00X001Y000/1", "1_R00X001Y000/1/1SLin", "9_R00X001Y000"};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        snprintf(from, sizeof from, "%s/dup/%s", dir, empty[i]);
        ck_assert_int_eq(mkdir(from, 0700), 0);
    }
    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_msg(flex()->list_files(path, &files, &err) == 0, "%s", err.message);
    int chip5 = 0;
    for (size_t i = 0; i < files.count; i++)
        chip5 += strstr(files.paths[i], "/5_R00X001Y000/") != NULL;
    ck_assert_int_eq(chip5, 2); /* its acqu and fid */
    ck_assert_uint_eq(files.count, 1 + 4 * 2);
    omsi_path_list_free(&files);
    omsi_reader *r = open_ok(path);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    ck_assert_uint_eq(info.n_spectra, 4);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Runs open with stderr captured into a file; returns the number of lines
 * that contain needle (the logger writes to stderr). */
static int open_counting_lines(const omsi_format *f, const char *path, const omsi_open_options *o,
                               const char *capture, const char *needle, int *rc, omsi_error *err,
                               char *last_line, size_t last_size)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = fopen(capture, "w+");
    ck_assert_ptr_nonnull(cap);
    dup2(fileno(cap), 2);
    omsi_reader *r = NULL;
    *rc = f->open(path, o, &r, err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (r)
        omsi_reader_close(r);
    rewind(cap);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, cap))
        if (strstr(line, needle)) {
            n++;
            snprintf(last_line, last_size, "%s", line);
        }
    fclose(cap);
    return n;
}

/* A spot list of 200000 lines naming 6 existing spots: the missing ones are
 * warned about by name ten times, then counted in one line; the table stays
 * within the memory budget. */
START_TEST(huge_spot_list_summarised)
{
    char *dir = omsi_test_mkdtemp("flex-hugelist");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 10;
    p.variant = "spotlist";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "big", &p, &path, &err), 0);
    char list[4096];
    snprintf(list, sizeof list, "%s/big_spot_list.txt", dir);
    FILE *f = fopen(list, "a");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 200000 - 6; i++)
        fprintf(f, "%d %d R00X%03dY%03d area 0 tissue\n", i, i, 10 + i % 500, 10 + i / 500);
    fclose(f);
    omsi_logger log = omsi_logger_make("omsi", OMSI_LOG_WARNING);
    omsi_open_options o = omsi_open_options_default();
    o.log = &log;
    char capture[4096], last[4096] = "";
    snprintf(capture, sizeof capture, "%s/stderr.txt", dir);
    int rc;
    int warnings = open_counting_lines(flex(), list, &o, capture, "no spectrum", &rc, &err, last, sizeof last);
    ck_assert_msg(warnings <= 12, "%d warning lines", warnings);
    ck_assert_int_eq(warnings, 11);
    ck_assert_msg(strstr(last, "... and 199984 more spots have no spectrum") != NULL, "last: %s", last);
    /* 6 spectra on a 500 x 400 grid of 10-point spectra: opens (the cube is small) */
    ck_assert_msg(rc == 0, "%s", err.message);
    /* a budget too small for the spot table refuses the list, naming it */
    o.memory_limit = 1 << 20;
    ck_assert_int_eq(open_counting_lines(flex(), list, &o, capture, "no spectrum", &rc, &err, last, sizeof last), 0);
    ck_assert_int_eq(rc, OMSI_ERR_NOMEM);
    ck_assert_msg(strstr(err.message, "big_spot_list.txt") && strstr(err.message, "spots"), "%s", err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A spot list naming 5000 regions: refused (region lookups are linear). */
START_TEST(too_many_regions_refused)
{
    char *dir = omsi_test_mkdtemp("flex-regions");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 10;
    p.variant = "spotlist";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "reg", &p, &path, &err), 0);
    char list[4096];
    snprintf(list, sizeof list, "%s/reg_spot_list.txt", dir);
    FILE *f = fopen(list, "a");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 5000; i++)
        fprintf(f, "%d 0 R%dX%dY100 %d\n", i, i + 10, i, i + 10);
    fclose(f);
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    ck_assert_int_eq(flex()->open(list, &o, &r, &err), OMSI_ERR_UNSUPPORTED);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "reg_spot_list.txt") && strstr(err.message, "more than 4096 regions"), "%s",
                  err.message);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A FIFO or a symlink to /dev/zero as a spot's fid or acqu: broken, "not a
 * regular file", never "spot has no fid yet" forever. */
START_TEST(companion_not_a_regular_file)
{
    char *dir = omsi_test_mkdtemp("flex-fifo");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 1;
    p.nz = 10;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_int_eq(flex()->list_files(path, &files, &err), 0);
    const char *want = _i < 2 ? "/fid" : "/acqu";
    char *victim = NULL;
    for (size_t i = 0; i < files.count && !victim; i++) {
        size_t n = strlen(files.paths[i]);
        if (n > strlen(want) && strcmp(files.paths[i] + n - strlen(want), want) == 0)
            victim = strdup(files.paths[i]);
    }
    omsi_path_list_free(&files);
    ck_assert_ptr_nonnull(victim);
    ck_assert_int_eq(remove(victim), 0);
    if (_i % 2 == 0)
        ck_assert_int_eq(mkfifo(victim, 0600), 0);
    else
        ck_assert_int_eq(symlink("/dev/zero", victim), 0);
    omsi_error why = {0};
    omsi_validity v = flex()->is_valid_dataset(path, &why);
    ck_assert_msg(v == OMSI_BROKEN, "%s: %s (%s)", victim, omsi_validity_name(v), why.message);
    const char *kind = _i % 2 == 0 ? "not a regular file (a FIFO)" : "not a regular file (a character device)";
    ck_assert_msg(strstr(why.message, victim) && strstr(why.message, kind), "%s", why.message);
    omsi_reader *r = NULL;
    omsi_open_options o = omsi_open_options_default();
    ck_assert_int_ne(flex()->open(path, &o, &r, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, kind), "%s", err.message);
    free(victim);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The HPC formula on known coefficients: m - (c0 + c1 m + c2 m^2) inside
 * [lo, hi] (both ends included), unchanged outside. */
START_TEST(hpc_formula)
{
    bruker_hpc h = {.lo = 200, .hi = 400, .order = 2, .n = 3, .c = {0.1, 1e-3, -2e-6}};
    double mz[] = {150, 199.999, 200, 250, 400, 400.001, 1000};
    bruker_hpc_apply(&h, mz, sizeof mz / sizeof mz[0]);
    OMSI_ASSERT_CLOSE(mz[0], 150, 0);
    OMSI_ASSERT_CLOSE(mz[1], 199.999, 0);
    OMSI_ASSERT_CLOSE(mz[2], 200 - (0.1 + 0.2 - 0.08), 1e-12);
    OMSI_ASSERT_CLOSE(mz[3], 250 - (0.1 + 0.25 - 0.125), 1e-12);
    OMSI_ASSERT_CLOSE(mz[4], 400 - (0.1 + 0.4 - 0.32), 1e-12);
    OMSI_ASSERT_CLOSE(mz[5], 400.001, 0);
    OMSI_ASSERT_CLOSE(mz[6], 1000, 0);
}
END_TEST

/* $HPCStr parsing: readBrukerFlexData's documented order-10 example gives its
 * 11 coefficients; malformed strings give none. */
START_TEST(hpc_string)
{
    bruker_hpc h = {0};
    ck_assert_int_eq(bruker_hpc_parse("V1.0CHPCData  Order 10 vCoeff V1.0VectorDouble 11 -0.48579224953906053 "
                                      "0.0009361303203700988 -6.92711401708155e-008 -1.0992953299897006e-009 "
                                      "1.1718229914003113e-012 -5.392578762547374e-016 9.0176664604755316e-020 "
                                      "1.9704001597871883e-023 -1.1794161284667635e-026 2.0351573912658823e-030 "
                                      "-1.2617853301428769e-034 c2 -0.046701600316874939 c0 237.64781433281422 "
                                      "minMass 736.50266799999997 maxMass 3698.6377320000001 bUse 1 endCHPCData",
                                      &h),
                     0);
    ck_assert_uint_eq(h.n, 11);
    OMSI_ASSERT_CLOSE(h.c[0], -0.48579224953906053, 0);
    OMSI_ASSERT_CLOSE(h.c[10], -1.2617853301428769e-034, 0);
    static const char *const bad[] = {
        "", "V1.0VectorDouble", "V1.0VectorDouble 2 1.0 c2 0", "V1.0VectorDouble 2 1.0 2.0 3.0 c2 0",
        "V1.0VectorDouble 0 c2 0", "V1.0VectorDouble 99 1 c2 0", "V1.0VectorDouble 1 x c2 0", "V1.0VectorDouble 1 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(bruker_hpc_parse(bad[i], &h) == -1, "'%s' parsed", bad[i]);
        ck_assert_uint_eq(h.n, 0);
    }
}
END_TEST

static const char *meta_text(const omsi_metadata *md, const char *key)
{
    const omsi_meta_entry *e = omsi_meta_find(md, key);
    return e && e->kind == OMSI_META_TEXT ? e->text : NULL;
}

/* A generated run with HPC: auto and hpc apply it (the axis moves by the
 * correction inside the range only), plain does not; hpc on a run without
 * HPC is refused naming the acqu. */
START_TEST(hpc_calibration_modes)
{
    char *dir = omsi_test_mkdtemp("flexhpc");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 2;
    p.ny = 1;
    p.nz = 200;
    p.variant = "hpc";
    char *path = NULL, *plain_path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    p.variant = "";
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "plain", &p, &plain_path, &err), 0);
    bruker_hpc h = {.lo = OMSI_GEN_HPC_LO, .hi = OMSI_GEN_HPC_HI};
    ck_assert_int_eq(bruker_hpc_parse("V1.0VectorDouble 4 " OMSI_GEN_HPC_COEFFS " c2", &h), 0);
    static const omsi_calibration modes[] = {OMSI_CALIBRATION_AUTO, OMSI_CALIBRATION_HPC, OMSI_CALIBRATION_PLAIN};
    for (size_t m = 0; m < 3; m++) {
        omsi_open_options o = omsi_open_options_default();
        o.calibration = modes[m];
        omsi_reader *r = NULL;
        ck_assert_msg(flex()->open(path, &o, &r, &err) == 0, "%s", err.message);
        bool applied = modes[m] != OMSI_CALIBRATION_PLAIN;
        const double *mz = omsi_reader_mz(r);
        size_t inside = 0;
        for (uint64_t k = 0; k < p.nz; k++) {
            double want = gen_mz(k);
            if (applied && want >= OMSI_GEN_HPC_LO && want <= OMSI_GEN_HPC_HI) {
                bruker_hpc_apply(&h, &want, 1);
                ck_assert(fabs(want - gen_mz(k)) / want > 10e-6); /* a visible shift */
                inside++;
            }
            OMSI_ASSERT_CLOSE(mz[k], want, 1e-12);
        }
        ck_assert_uint_eq(inside, applied ? 59 : 0);
        const omsi_metadata *md = omsi_reader_metadata(r);
        ck_assert_str_eq(meta_text(md, "calibration"), applied ? "hpc" : "plain");
        ck_assert_str_eq(meta_text(md, "hpc_calibration"),
                         applied ? "present, applied" : "present, not applied (plain calibration requested)");
        omsi_reader_close(r);
    }
    omsi_open_options o = omsi_open_options_default();
    o.calibration = OMSI_CALIBRATION_HPC;
    omsi_reader *r = NULL;
    ck_assert_int_eq(flex()->open(plain_path, &o, &r, &err), OMSI_ERR_UNSUPPORTED);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.message, "acqu: calibration hpc requested, but the acqu has no usable HPC"), "%s",
                  err.message);
    o.calibration = OMSI_CALIBRATION_AUTO;
    r = open_ok(plain_path);
    ck_assert_str_eq(meta_text(omsi_reader_metadata(r), "calibration"), "plain");
    ck_assert_ptr_null(meta_text(omsi_reader_metadata(r), "hpc_calibration"));
    omsi_reader_close(r);
    free(path);
    free(plain_path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* read_spectrum (the writer's tile order) gives every selection's pixels
 * as the iterator does, zeros and 1 where no spot of the selection is,
 * and 1 outside the grid: merged cube and each region, with missing spots,
 * an origin, big-endian fids and a non-imaging run. */
static const char *const random_variants[] = {"regions=3,missing=4,origin=2", "targets,missing=3", "regions=2,spotlist"};

START_TEST(random_access_matches_iterator)
{
    char *dir = omsi_test_mkdtemp("flex-random");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 7;
    p.ny = 5;
    p.nz = 30;
    p.big_endian = _i == 1;
    p.variant = random_variants[_i];
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    omsi_reader *r = open_ok(path);
    ck_assert_ptr_nonnull(r->ops->read_spectrum);
    size_t regions = omsi_reader_number_of_regions(r);
    for (long g = -1; g < (long)regions; g++) {
        ck_assert_int_eq(omsi_reader_set_region(r, g, &err), 0);
        omsi_dataset_info info;
        omsi_reader_info(r, &info);
        size_t bytes = (size_t)info.nz * 4;
        unsigned char *seen = calloc((size_t)(info.nx * info.ny), 1), *got = malloc(bytes);
        ck_assert_ptr_nonnull(seen);
        ck_assert_ptr_nonnull(got);
        omsi_spectrum sp;
        int rc, n = 0;
        while ((rc = omsi_reader_next(r, &sp, &err)) == 1) {
            seen[sp.y * info.nx + sp.x] = 1;
            memset(got, 0xa5, bytes);
            ck_assert_int_eq(omsi_reader_read_spectrum(r, sp.x, sp.y, got, &err), 0);
            ck_assert_msg(memcmp(sp.intensities, got, bytes) == 0, "%s, region %ld: pixel (%llu, %llu) differs",
                          p.variant, g, (unsigned long long)sp.x, (unsigned long long)sp.y);
            /* a block of values alone, as the writer reads blocks of m/z */
            memset(got, 0xa5, bytes);
            ck_assert_int_eq(r->ops->read_values(r, sp.x, sp.y, 7, 11, got, &err), 0);
            ck_assert_msg(memcmp((const unsigned char *)sp.intensities + 7 * 4, got, 11 * 4) == 0,
                          "%s, region %ld: values 7..17 of pixel (%llu, %llu) differ", p.variant, g,
                          (unsigned long long)sp.x, (unsigned long long)sp.y);
            n++;
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq((uint64_t)n, info.n_spectra);
        for (uint64_t y = 0; y < info.ny; y++)
            for (uint64_t x = 0; x < info.nx; x++) {
                if (seen[y * info.nx + x])
                    continue;
                memset(got, 0xa5, bytes);
                ck_assert_int_eq(omsi_reader_read_spectrum(r, x, y, got, &err), 1);
                for (size_t b = 0; b < bytes; b++)
                    ck_assert_uint_eq(got[b], 0);
                memset(got, 0xa5, bytes);
                ck_assert_int_eq(r->ops->read_values(r, x, y, 3, 5, got, &err), 1);
                for (size_t b = 0; b < 5 * 4; b++)
                    ck_assert_uint_eq(got[b], 0);
            }
        ck_assert_int_eq(omsi_reader_read_spectrum(r, info.nx, 0, got, &err), 1);
        ck_assert_int_lt(r->ops->read_values(r, 0, 0, info.nz - 2, 3, got, &err), 0); /* past the spectrum */
        ck_assert_int_eq(omsi_reader_read_spectrum(r, 0, info.ny, got, &err), 1);
        free(seen);
        free(got);
    }
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The reader's sum of its files (no second walk of the tree) is what
 * listing them and stat'ing each gives. */
START_TEST(input_bytes_match_the_listed_files)
{
    char *dir = omsi_test_mkdtemp("flex-bytes");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 6;
    p.ny = 4;
    p.nz = 40 + 10 * (uint64_t)_i;
    p.variant = random_variants[_i];
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(dir, "run", &p, &path, &err), 0);
    omsi_path_list files;
    omsi_path_list_init(&files);
    ck_assert_int_eq(omsi_format_by_name("bruckerflex")->list_files(path, &files, &err), 0);
    uint64_t listed = 0, size;
    for (size_t i = 0; i < files.count; i++) {
        ck_assert_int_eq(omsi_file_size(files.paths[i], &size, &err), 0);
        listed += size;
    }
    ck_assert_uint_gt(files.count, 2);
    omsi_reader *r = open_ok(path);
    uint64_t known = 0;
    ck_assert_int_eq(r->format->input_bytes_of_reader(r, &known, &err), 0);
    ck_assert_msg(known == listed, "%s: the reader sums %llu bytes, the %zu listed files have %llu", p.variant,
                  (unsigned long long)known, files.count, (unsigned long long)listed);
    omsi_reader_close(r);
    omsi_path_list_free(&files);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bruker_flex");
    if (omsi_test_shared_dir()) {
        TCase *shared = tcase_create("shared");
        tcase_set_timeout(shared, 60);
        tcase_add_loop_test(shared, shared_spot_trees, 0, 2);
        tcase_add_test(shared, shared_spot_list_with_generated_tree);
        suite_add_tcase(s, shared);
    } else {
        omsi_test_say_skipped("Bruker flex shared corpus");
    }
    TCase *fixtures = tcase_create("fixtures");
    tcase_add_loop_test(fixtures, fixture_values_and_regions, 0, sizeof fixture_variants / sizeof fixture_variants[0]);
    tcase_add_loop_test(fixtures, malformed, 0, sizeof broken / sizeof broken[0]);
    tcase_add_test(fixtures, symlinked_spot_is_not_followed);
    tcase_add_test(fixtures, symlinked_acquisition_folder);
    tcase_add_test(fixtures, spot_list_duplicate_chip_folders);
    tcase_add_test(fixtures, huge_spot_list_summarised);
    tcase_add_test(fixtures, too_many_regions_refused);
    tcase_add_loop_test(fixtures, companion_not_a_regular_file, 0, 4);
    tcase_add_test(fixtures, hpc_formula);
    tcase_add_test(fixtures, hpc_string);
    tcase_add_test(fixtures, hpc_calibration_modes);
    tcase_add_loop_test(fixtures, random_access_matches_iterator, 0, sizeof random_variants / sizeof random_variants[0]);
    tcase_add_loop_test(fixtures, input_bytes_match_the_listed_files, 0, sizeof random_variants / sizeof random_variants[0]);
    suite_add_tcase(s, fixtures);
    return omsi_test_run(s, false);
}
