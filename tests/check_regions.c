/* Regions end to end: a Bruker flex run converted and recorded through
 * omsi_ingest_path; every region's data_M carries its own name, origin and
 * spot count (read back with the HDF5 C API), and the catalog has the same
 * in its regions and metadata tables. A spot list with a single region
 * still gets its region dataset and name. */
#include "ingest/ingest.h"
#include "tools/gen.h"
#include "tests/test_support.h"

#include <hdf5.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text dataset of shape (1,) */
static char *h5_text(hid_t file, const char *path)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", path);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char *value = NULL;
    ck_assert_int_ge(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), 0);
    char *copy = strdup(value);
    H5free_memory(value);
    H5Tclose(mt);
    H5Dclose(d);
    return copy;
}

static long long h5_int(hid_t file, const char *path)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", path);
    long long v = 0;
    ck_assert_int_ge(H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v), 0);
    H5Dclose(d);
    return v;
}

static bool h5_exists(hid_t file, const char *path)
{
    return H5Lexists(file, path, H5P_DEFAULT) > 0;
}

/* The one text value of sql (with ?1 = arg), or NULL when there is no row. */
static char *db_text(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static const struct {
    const char *variant;
    long regions;
    uint64_t x0[3];   /* region origins in the merged cube */
    uint64_t spots[3];
    const char *names[3];
} cases[] = {
    {"spotlist", 1, {0}, {24}, {"area 0 tissue"}},
    {"regions=3,spotlist,origin=2", 3, {0, 2, 4}, {8, 8, 8}, {"area 0 tissue", "area 1 tissue", "area 2 tissue"}},
    {"oldlist,regions=2", 2, {0, 3}, {12, 12}, {"region_0", "region_1"}},
};

START_TEST(region_names_origins_and_spots)
{
    char *dir = omsi_test_mkdtemp("regions");
    char data[4096], out[4096], db_path[4096];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(db_path, sizeof db_path, "%s/c.sqlite", dir);
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 6;
    p.ny = 4;
    p.nz = 20;
    p.variant = cases[_i].variant;
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_bruker_flex(data, "run", &p, &input, &err), 0);
    ck_assert_int_eq(omsi_gen_mkdirs(out, &err), 0);
    omsi_catalog *cat = NULL;
    ck_assert_msg(omsi_catalog_open(db_path, OMSI_CATALOG_READ_WRITE, &cat, &err) == 0, "%s", err.message);
    omsi_ingest_options o = {.output_dir = out, .convert = omsi_convert_options_default()};
    omsi_ingest_report rep;
    ck_assert_msg(omsi_ingest_path(cat, input, &o, &rep, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(rep.datasets, 1 + (uint64_t)cases[_i].regions); /* merged + every region */

    hid_t f = H5Fopen(rep.output_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    ck_assert_int_eq(h5_int(f, "/entry_0/data_0/metadata/spots"), 24);
    ck_assert(!h5_exists(f, "/entry_0/data_0/metadata/region_name"));
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (long g = 0; g < cases[_i].regions; g++) {
        char path[128], key[64];
        snprintf(path, sizeof path, "/entry_0/data_%ld/metadata/", g + 1);
        char full[192];
        snprintf(full, sizeof full, "%sregion_name", path);
        char *name = h5_text(f, full);
        ck_assert_str_eq(name, cases[_i].names[g]);
        snprintf(full, sizeof full, "%sspots", path);
        ck_assert_int_eq(h5_int(f, full), (long long)cases[_i].spots[g]);
        snprintf(full, sizeof full, "%sregion_origin_x", path);
        ck_assert_int_eq(h5_int(f, full), (long long)cases[_i].x0[g]);
        snprintf(full, sizeof full, "%sregion_origin_y", path);
        ck_assert_int_eq(h5_int(f, full), 0);
        /* the catalog: a regions row and the same metadata for that dataset */
        snprintf(key, sizeof key, "/entry_0/data_%ld", g + 1);
        char *row = db_text(db,
                            "SELECT r.name || '|' || r.x0 || '|' || r.y0 || '|' || r.nx || '|' || r.region_index "
                            "FROM regions r JOIN datasets d ON d.id = r.dataset_id WHERE d.hdf5_path = ?1",
                            key);
        char want[256];
        uint64_t width = p.nx / (uint64_t)cases[_i].regions;
        snprintf(want, sizeof want, "%s|%llu|0|%llu|%ld", cases[_i].names[g], (unsigned long long)cases[_i].x0[g],
                 (unsigned long long)width, g);
        ck_assert_msg(row && strcmp(row, want) == 0, "regions row of %s: %s, want %s", key, row ? row : "none", want);
        free(row);
        char *md = db_text(db,
                           "SELECT group_concat(m.key || '=' || m.value, ',') FROM (SELECT m.key, m.value FROM metadata m "
                           "JOIN datasets d ON d.id = m.dataset_id WHERE d.hdf5_path = ?1 AND m.key IN "
                           "('region_name', 'region_origin_x', 'spots') ORDER BY m.key) m",
                           key);
        snprintf(want, sizeof want, "region_name=%s,region_origin_x=%llu,spots=%llu", cases[_i].names[g],
                 (unsigned long long)cases[_i].x0[g], (unsigned long long)cases[_i].spots[g]);
        ck_assert_msg(md && strcmp(md, want) == 0, "metadata of %s: %s, want %s", key, md ? md : "none", want);
        free(md);
        free(name);
    }
    sqlite3_close(db);
    H5Fclose(f);
    omsi_ingest_report_free(&rep);
    omsi_catalog_close(cat);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("regions");
    TCase *tc = tcase_create("flex");
    tcase_add_loop_test(tc, region_names_origins_and_spots, 0, sizeof cases / sizeof cases[0]);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
