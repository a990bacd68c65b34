/* The OpenMSI HDF5 writer and the conversion pipeline: chunk rule, layout
 * and attributes (openmsi-hdf5.md), values read back with the HDF5 C API,
 * dependency links from a mock multi-dataset/region reader, atomic output. */
#include "writer/chunking.h"
#include "writer/convert.h"
#include "writer/omsi_file.h"
#include "tools/gen.h"
#include "tests/test_support.h"

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the auto chunk rule: the spec's verified examples (12.2) ---- */
static const struct {
    uint64_t x, y, z;
    size_t item;
    uint64_t spectrum, image_x, image_y;
} chunk_examples[] = {
    {100, 100, 100000, 2, 25000, 100, 100}, {227, 108, 63378, 2, 31689, 227, 108},
    {160, 250, 116152, 2, 29038, 160, 250}, {10, 10, 32769, 2, 32769, 10, 10},
    {3, 3, 65536, 8, 8192, 3, 3},           {500, 500, 1000, 4, 1000, 250, 250},
    {512, 513, 50, 8, 50, 256, 257},        {5, 4, 30, 2, 30, 5, 4},
};

START_TEST(auto_chunk_rule)
{
    uint64_t s[3], im[3];
    omsi_chunk_auto_spectrum(chunk_examples[_i].x, chunk_examples[_i].y, chunk_examples[_i].z,
                             chunk_examples[_i].item, s);
    omsi_chunk_auto_image(chunk_examples[_i].x, chunk_examples[_i].y, chunk_examples[_i].z,
                          chunk_examples[_i].item, im);
    ck_assert_uint_eq(s[0], 1);
    ck_assert_uint_eq(s[1], 1);
    ck_assert_uint_eq(s[2], chunk_examples[_i].spectrum);
    ck_assert_uint_eq(im[0], chunk_examples[_i].image_x);
    ck_assert_uint_eq(im[1], chunk_examples[_i].image_y);
    ck_assert_uint_eq(im[2], 1);
}
END_TEST

START_TEST(chunk_clip)
{
    uint64_t shape[3] = {5, 4, 30}, want[3] = {8, 8, 2048}, out[3];
    omsi_chunk_clip(shape, want, 2, out);
    ck_assert_uint_eq(out[0], 5);
    ck_assert_uint_eq(out[1], 4);
    ck_assert_uint_eq(out[2], 30);
    uint64_t big[3] = {100000, 100000, 100000}, huge[3] = {100000, 100000, 100000};
    omsi_chunk_clip(big, huge, 8, out);
    ck_assert_uint_lt(out[0] * out[1] * out[2] * 8, UINT64_C(1) << 32);
}
END_TEST

/* ---- HDF5 read-back helpers ---- */
static char *read_string_attr(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    ck_assert_msg(a >= 0, "attribute %s missing", name);
    hid_t t = H5Aget_type(a);
    ck_assert_msg(H5Tis_variable_str(t) > 0, "attribute %s is not a variable-length string", name);
    ck_assert_int_eq(H5Tget_cset(t), H5T_CSET_UTF8);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char *value = NULL;
    ck_assert_int_ge(H5Aread(a, mt, &value), 0);
    char *copy = strdup(value);
    H5free_memory(value);
    H5Tclose(mt);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

static void assert_managed(hid_t file, const char *path, const char *type, const char *version)
{
    hid_t g = H5Oopen(file, path, H5P_DEFAULT);
    ck_assert_msg(g >= 0, "%s missing", path);
    char *t = read_string_attr(g, "omsi_type"), *v = read_string_attr(g, "version"), *ts = read_string_attr(g, "timestamp");
    ck_assert_str_eq(t, type);
    ck_assert_str_eq(v, version);
    ck_assert_uint_eq(strlen(ts), 24); /* "Tue Nov  4 09:05:01 2025" */
    free(t);
    free(v);
    free(ts);
    H5Oclose(g);
}

/* A text dataset of shape (1,). */
static char *read_text(hid_t file, const char *path)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", path);
    hid_t s = H5Dget_space(d);
    hsize_t dims[1] = {0};
    ck_assert_int_eq(H5Sget_simple_extent_ndims(s), 1);
    H5Sget_simple_extent_dims(s, dims, NULL);
    ck_assert_uint_eq(dims[0], 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char *value = NULL;
    ck_assert_int_ge(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), 0);
    char *copy = strdup(value);
    H5free_memory(value);
    H5Tclose(mt);
    H5Sclose(s);
    H5Dclose(d);
    return copy;
}

static double *read_doubles(hid_t file, const char *path, hsize_t *dims, int *rank)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", path);
    hid_t s = H5Dget_space(d);
    *rank = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    double *v = malloc((size_t)n * sizeof *v);
    ck_assert_int_ge(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

static void chunk_of(hid_t file, const char *path, hsize_t chunk[3], int *level)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t p = H5Dget_create_plist(d);
    ck_assert_int_eq(H5Pget_layout(p), H5D_CHUNKED);
    ck_assert_int_eq(H5Pget_chunk(p, 3, chunk), 3);
    *level = -1;
    for (int i = 0; i < H5Pget_nfilters(p); i++) {
        unsigned flags, cd[4];
        size_t n = 4;
        if (H5Pget_filter2(p, (unsigned)i, &flags, &n, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE)
            *level = (int)cd[0];
    }
    H5Pclose(p);
    H5Dclose(d);
}

/* Converts a generated Analyze fixture and checks the file of spec 14.1. */
START_TEST(analyze_fixture_layout_and_values)
{
    char *dir = omsi_test_mkdtemp("writer");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 5;
    p.ny = 4;
    p.nz = 30;
    p.dtype = OMSI_DT_INT16;
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "tiny_img", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    omsi_convert_result res;
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(res.n_experiments, 1);
    ck_assert_uint_eq(res.n_datasets, 1);
    ck_assert_str_eq(res.experiments[0].identifier, "tiny_img");
    ck_assert_uint_eq(res.datasets[0].spectra_written, 20);

    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    assert_managed(f, "/", "omsi_file", "0.1");
    assert_managed(f, "/entry_0", "omsi_file_experiment", "0.1");
    assert_managed(f, "/entry_0/instrument", "omsi_file_instrument", "0.2");
    assert_managed(f, "/entry_0/methods", "omsi_file_methods", "0.3");
    assert_managed(f, "/entry_0/data_0", "omsi_file_msidata", "0.1");
    assert_managed(f, "/entry_0/data_0/dependency", "omsi_file_dependencies", "0.1");
    assert_managed(f, "/entry_0/data_0/metadata", "omsi_file_metadata_collection", "0.1");
    char *id = read_text(f, "/entry_0/experiment_identifier"), *format = read_text(f, "/entry_0/data_0/format");
    ck_assert_str_eq(id, "tiny_img");
    ck_assert_str_eq(format, "full_cube");
    free(id);
    free(format);
    hid_t mzd = H5Dopen2(f, "/entry_0/instrument/mz", H5P_DEFAULT);
    char *desc = read_string_attr(mzd, "description");
    ck_assert_str_eq(desc, "The global m/z axis for the recordings");
    free(desc);
    H5Dclose(mzd);
    hsize_t dims[3];
    int rank;
    double *mz = read_doubles(f, "/entry_0/data_0/mz", dims, &rank);
    ck_assert_int_eq(rank, 1);
    ck_assert_uint_eq(dims[0], 30);
    for (uint64_t k = 0; k < 30; k++)
        ck_assert_double_eq(mz[k], omsi_gen_mz(&p, k));
    free(mz);
    double *cube = read_doubles(f, "/entry_0/data_0/data_0", dims, &rank);
    double *copy = read_doubles(f, "/entry_0/data_0/data_1", dims, &rank);
    ck_assert_int_eq(rank, 3);
    ck_assert_uint_eq(dims[0], 5);
    ck_assert_uint_eq(dims[1], 4);
    ck_assert_uint_eq(dims[2], 30);
    for (uint64_t x = 0; x < 5; x++)
        for (uint64_t y = 0; y < 4; y++)
            for (uint64_t k = 0; k < 30; k++) {
                ck_assert_double_eq(cube[(x * 4 + y) * 30 + k], omsi_gen_intensity(&p, x, y, k));
                ck_assert_double_eq(copy[(x * 4 + y) * 30 + k], omsi_gen_intensity(&p, x, y, k));
            }
    free(cube);
    free(copy);
    hid_t d0 = H5Dopen2(f, "/entry_0/data_0/data_0", H5P_DEFAULT);
    hid_t t = H5Dget_type(d0);
    ck_assert_int_gt(H5Tequal(t, H5T_STD_I16LE), 0); /* the source type, not BASTet's uint16 */
    H5Tclose(t);
    H5Dclose(d0);
    hsize_t chunk[3];
    int level;
    /* 5 x 4 x 30 int16 is 2.4 KB: both auto chunks grow to the whole cube
     * (chunks are never smaller than 16 KB where the shape allows it). */
    chunk_of(f, "/entry_0/data_0/data_0", chunk, &level);
    ck_assert_uint_eq(chunk[0], 5);
    ck_assert_uint_eq(chunk[1], 4);
    ck_assert_uint_eq(chunk[2], 30);
    ck_assert_int_eq(level, 4);
    chunk_of(f, "/entry_0/data_0/data_1", chunk, &level);
    ck_assert_uint_eq(chunk[0], 5);
    ck_assert_uint_eq(chunk[1], 4);
    ck_assert_uint_eq(chunk[2], 30);
    unsigned super = 99;
    hid_t fcpl = H5Fget_create_plist(f);
    H5Pget_version(fcpl, &super, NULL, NULL, NULL);
    ck_assert_uint_eq(super, 0); /* readable by HDF5 1.8 (spec 2.1) */
    H5Pclose(fcpl);
    H5Fclose(f);
    omsi_convert_result_free(&res);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The image-chunked copy made by re-reading the input (large cubes) holds
 * the same values as data_0. */
START_TEST(copy_from_reader_passes)
{
    char *dir = omsi_test_mkdtemp("writer-passes");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 7;
    p.ny = 5;
    p.nz = 300;
    p.dtype = OMSI_DT_FLOAT32;
    p.variant = "missing=4";
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_imzml(dir, "passes", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/p.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.readback_cache_bytes = 1; /* force the multi-pass path */
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, NULL, &err) == 0, "%s", err.message);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t dims[3];
    int rank;
    double *cube = read_doubles(f, "/entry_0/data_0/data_0", dims, &rank);
    double *copy = read_doubles(f, "/entry_0/data_0/data_1", dims, &rank);
    for (uint64_t i = 0; i < dims[0] * dims[1] * dims[2]; i++)
        ck_assert_double_eq(copy[i], cube[i]);
    ck_assert_double_eq(cube[(1 * dims[1] + 1) * dims[2] + 7], omsi_gen_intensity(&p, 1, 1, 7));
    ck_assert_double_eq(copy[(1 * dims[1] + 2) * dims[2] + 7], 0); /* (1, 2) was not acquired */
    free(cube);
    free(copy);
    H5Fclose(f);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- a mock reader: 2 datasets ("MS1", "MS2"), the second with 2 regions ---- */
typedef struct mock {
    omsi_reader base;
    size_t dataset;
    long region;
    uint64_t next;
    double mz[6];
    float values[6];
    omsi_dependency deps[2];
    omsi_metadata md;
} mock;

static const omsi_region mock_regions[2] = {{0, 0, 2, 1, 2, "left"}, {2, 1, 1, 2, 2, "right"}};

static size_t m_ndatasets(omsi_reader *r) { (void)r; return 2; }
static int m_set_dataset(omsi_reader *r, size_t i, omsi_error *err)
{
    (void)err;
    ((mock *)r)->dataset = i;
    ((mock *)r)->region = -1;
    return 0;
}
static size_t m_nregions(omsi_reader *r) { return ((mock *)r)->dataset == 1 ? 2 : 0; }
static int m_get_region(omsi_reader *r, size_t i, omsi_region *out)
{
    (void)r;
    *out = mock_regions[i];
    return 0;
}
static int m_set_region(omsi_reader *r, long i, omsi_error *err)
{
    (void)err;
    ((mock *)r)->region = i;
    return 0;
}
static void m_info(omsi_reader *r, omsi_dataset_info *out)
{
    mock *m = (mock *)r;
    memset(out, 0, sizeof *out);
    out->nx = m->region < 0 ? 3 : mock_regions[m->region].nx;
    out->ny = m->region < 0 ? 3 : mock_regions[m->region].ny;
    out->nz = m->dataset == 0 ? 6 : 4;
    out->dtype = OMSI_DT_FLOAT32;
    out->mz_dtype = OMSI_DT_FLOAT64;
    out->n_spectra = out->nx * out->ny;
    snprintf(out->name, sizeof out->name, "%s", m->dataset == 0 ? "MS1" : "MS2");
}
static const double *m_mz(omsi_reader *r)
{
    mock *m = (mock *)r;
    for (int k = 0; k < 6; k++)
        m->mz[k] = 100 + 10 * k + 5 * (double)m->dataset;
    return m->mz;
}
static size_t m_deps(omsi_reader *r, const omsi_dependency **out)
{
    mock *m = (mock *)r;
    memset(m->deps, 0, sizeof m->deps);
    size_t n = 0;
    if (m->dataset == 0) {
        m->deps[n++] = (omsi_dependency){"MS2_150.00@hcd35.00", 1, -2, "co_modality", "FTMS + p NSI Full ms"};
        m->deps[n++] = (omsi_dependency){"MS1", 0, -2, "co_modality", "self-link, must be skipped"};
    } else if (m->region < 0) {
        m->deps[n++] = (omsi_dependency){"msi_region_0", -1, 0, "contains", "sub"};
        m->deps[n++] = (omsi_dependency){"msi_region_1", -1, 1, "contains", "sub"};
    } else {
        m->deps[n++] = (omsi_dependency){"msi_full", -1, -1, "subset", "full"};
    }
    *out = m->deps;
    return n;
}
static const omsi_metadata *m_meta(omsi_reader *r) { return &((mock *)r)->md; }
static int m_rewind(omsi_reader *r, omsi_error *err)
{
    (void)err;
    ((mock *)r)->next = 0;
    return 0;
}
/* Pixel (x, y) of the merged grid has value 10*x + y + k (+ 100 in MS2). */
static int m_next(omsi_reader *r, omsi_spectrum *out, omsi_error *err)
{
    (void)err;
    mock *m = (mock *)r;
    omsi_dataset_info info;
    m_info(r, &info);
    if (m->next >= info.nx * info.ny)
        return 0;
    uint64_t x = m->next / info.ny, y = m->next % info.ny;
    uint64_t gx = x + (m->region >= 0 ? mock_regions[m->region].x0 : 0);
    uint64_t gy = y + (m->region >= 0 ? mock_regions[m->region].y0 : 0);
    for (uint64_t k = 0; k < info.nz; k++)
        m->values[k] = (float)(10 * gx + gy + k + 100 * m->dataset);
    out->x = x;
    out->y = y;
    out->intensities = m->values;
    m->next++;
    return 1;
}
static void m_close(omsi_reader *r)
{
    omsi_meta_free(&((mock *)r)->md);
    free(r);
}
static const omsi_reader_ops mock_ops = {
    .number_of_datasets = m_ndatasets, .set_dataset_selection = m_set_dataset,
    .number_of_regions = m_nregions, .get_region = m_get_region, .set_region_selection = m_set_region,
    .info = m_info, .mz = m_mz, .dependencies = m_deps, .metadata = m_meta, .rewind = m_rewind,
    .next_spectrum = m_next, .close = m_close,
};
static omsi_validity m_valid(const char *path, omsi_error *why) { (void)path, (void)why; return OMSI_VALID; }
static int m_size(const char *path, uint64_t *b, omsi_error *e) { (void)path, (void)e; *b = 0; return 0; }
static int m_files(const char *path, omsi_path_list *f, omsi_error *e) { (void)e; return omsi_path_list_add(f, path); }
static int m_open(const char *path, const omsi_open_options *o, omsi_reader **out, omsi_error *err);
static const omsi_format mock_format = {
    .name = "mock", .bastet_name = "mock_file", .description = "test", .supports_regions = true,
    .supports_multidata = true, .is_valid_dataset = m_valid, .size = m_size, .list_files = m_files, .open = m_open,
};
static int m_open(const char *path, const omsi_open_options *o, omsi_reader **out, omsi_error *err)
{
    (void)path, (void)o, (void)err;
    mock *m = calloc(1, sizeof *m);
    m->base.format = &mock_format;
    m->base.ops = &mock_ops;
    m->region = -1;
    omsi_meta_init(&m->md);
    omsi_meta_int(&m->md, OMSI_COLL_DATASET, "msn_value_of_n", 1, "level", NULL);
    omsi_meta_text(&m->md, OMSI_COLL_DATASET, "polarity", "pos", NULL, NULL);
    omsi_meta_json(&m->md, OMSI_COLL_INSTRUMENT, "instrumentConfigurationList", "{\"@count\": \"1\"}");
    omsi_meta_text(&m->md, OMSI_COLL_DATASET, "bad/name", "slash in a key", NULL, NULL);
    *out = &m->base;
    return 0;
}

static char *link_target(hid_t f, const char *owner, const char *link)
{
    char path[512];
    snprintf(path, sizeof path, "%s/dependency/%s/main_name", owner, link);
    return read_text(f, path);
}

START_TEST(mock_datasets_regions_links)
{
    char *dir = omsi_test_mkdtemp("writer-mock");
    char out[4096], input[4096];
    snprintf(out, sizeof out, "%s/mock.h5", dir);
    snprintf(input, sizeof input, "%s/sample.mock", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.format_table = &mock_format;
    omsi_convert_result res;
    omsi_error err = {0};
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    /* MS1, MS2 merged, MS2 region 0, MS2 region 1 */
    ck_assert_uint_eq(res.n_datasets, 4);
    ck_assert_int_eq(res.datasets[2].source_region, 0);
    ck_assert_uint_eq(res.datasets[2].info.nx, 2);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *t = link_target(f, "/entry_0/data_0", "MS2_150.00@hcd35.00");
    ck_assert_str_eq(t, "/entry_0/data_1");
    free(t);
    ck_assert_int_le(H5Lexists(f, "/entry_0/data_0/dependency/MS1", H5P_DEFAULT), 0); /* no self-link */
    t = link_target(f, "/entry_0/data_1", "msi_region_1");
    ck_assert_str_eq(t, "/entry_0/data_3");
    free(t);
    t = link_target(f, "/entry_0/data_2", "msi_full");
    ck_assert_str_eq(t, "/entry_0/data_1");
    free(t);
    t = read_text(f, "/entry_0/data_2/dependency/msi_full/dependency_type");
    ck_assert_str_eq(t, "subset");
    free(t);
    hid_t pn = H5Dopen2(f, "/entry_0/data_1/dependency/msi_region_0/parameter_name", H5P_DEFAULT);
    t = read_string_attr(pn, "help");
    ck_assert_str_eq(t, "sub");
    free(t);
    H5Dclose(pn);
    assert_managed(f, "/entry_0/data_0/instrument", "omsi_file_instrument", "0.2");
    ck_assert_int_gt(H5Aexists_by_name(f, "/entry_0/data_0/instrument/instrumentConfigurationList", "isjson", H5P_DEFAULT), 0);
    ck_assert_int_gt(H5Lexists(f, "/entry_0/data_0/metadata/bad_name", H5P_DEFAULT), 0);
    /* region 1 (origin 2,1; 1 x 2): values from the merged grid */
    hsize_t dims[3];
    int rank;
    double *region = read_doubles(f, "/entry_0/data_3/data_0", dims, &rank);
    ck_assert_uint_eq(dims[0], 1);
    ck_assert_uint_eq(dims[1], 2);
    ck_assert_double_eq(region[1 * 4 + 2], 10 * 2 + 2 + 2 + 100);
    free(region);
    double *mz = read_doubles(f, "/entry_0/instrument/mz", dims, &rank);
    ck_assert_uint_eq(dims[0], 6); /* the first dataset's axis */
    ck_assert_double_eq(mz[1], 110);
    free(mz);
    H5Fclose(f);
    omsi_convert_result_free(&res);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

static void cancel_after_first(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)stage, (void)total;
    if (done >= 1)
        *(volatile sig_atomic_t *)ctx = 1;
}

START_TEST(cancelled_conversion_leaves_nothing)
{
    char *dir = omsi_test_mkdtemp("writer-cancel");
    char *src = omsi_test_mkdtemp("writer-src");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 40;
    p.ny = 40;
    p.nz = 500;
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(src, "big", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    volatile sig_atomic_t cancel = 0;
    omsi_convert_options o = omsi_convert_options_default();
    o.cancel = &cancel;
    o.progress = cancel_after_first;
    o.progress_ctx = (void *)&cancel;
    const char *inputs[] = {input};
    int rc = omsi_convert(inputs, 1, out, false, &o, NULL, &err);
    ck_assert_int_eq(rc, OMSI_ERR_CANCELLED);
    ck_assert_uint_eq(omsi_test_count_entries(dir), 0); /* neither output nor temp file */
    free(input);
    omsi_test_rmtree(dir);
    omsi_test_rmtree(src);
    free(dir);
    free(src);
}
END_TEST

START_TEST(existing_output_and_bad_folder)
{
    char *dir = omsi_test_mkdtemp("writer-exists");
    omsi_gen_params p = omsi_gen_params_default();
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "in", &p, &input, &err), 0);
    char out[4096];
    snprintf(out, sizeof out, "%s/keep.h5", dir);
    FILE *f = fopen(out, "w");
    fputs("precious", f);
    fclose(f);
    omsi_convert_options o = omsi_convert_options_default();
    const char *inputs[] = {input};
    ck_assert_int_eq(omsi_convert(inputs, 1, out, false, &o, NULL, &err), OMSI_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "already exists"));
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_eq(st.st_size, 8);
    ck_assert_int_eq(omsi_convert(inputs, 1, "/nonexistent-omsi-dir/x.h5", false, &o, NULL, &err), OMSI_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-omsi-dir"));
    /* A broken input fails the conversion and leaves no output. */
    char *bad = NULL;
    p.variant = "truncated";
    ck_assert_int_eq(omsi_gen_img(dir, "bad", &p, &bad, &err), 0);
    char out2[4096];
    snprintf(out2, sizeof out2, "%s/bad.h5", dir);
    const char *bad_inputs[] = {bad};
    ck_assert_int_ne(omsi_convert(bad_inputs, 1, out2, false, &o, NULL, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.img"));
    ck_assert_int_ne(stat(out2, &st), 0);
    free(bad);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* HDF5's error stack reaches omsi_error as one line (innermost entry, its
 * major and minor class), and a file given up on an error path is closed
 * with nothing of it left open (no id for the exit handler to trip on). */
START_TEST(hdf5_errors_one_line_and_given_up_file_closed)
{
    char *dir = omsi_test_mkdtemp("writer-h5err");
    char path[4096];
    snprintf(path, sizeof path, "%s/given-up.h5", dir);
    omsi_error err = {0};
    hid_t f = -1;
    omsi_h5_quiet();
    ck_assert_int_eq(omsi_file_create(path, &f, &err), 0);
    hid_t g = -1;
    ck_assert_int_eq(omsi_h5_managed_group(f, "g", "omsi_test", "0.1", &g, &err), 0);
    ck_assert_int_eq(omsi_h5_close(&g, 0, &err), 0);
    ck_assert_int_eq(g, -1);
    ck_assert_int_lt(H5Gopen2(f, "/no/such/group", H5P_DEFAULT), 0);
    ck_assert_int_eq(omsi_h5_fail(&err, "%s: opening /no/such/group", path), OMSI_ERR_HDF5);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "multi-line: %s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "given-up.h5: opening /no/such/group: "));
    ck_assert_msg(strstr(err.message, "(HDF5 ") && strstr(err.message, ": "), "%s", err.message);
    /* given up: closed, returns the first error, nothing stays open */
    omsi_error later = {0};
    ck_assert_int_eq(omsi_file_close(&f, path, OMSI_ERR_IO, &later), OMSI_ERR_IO);
    ck_assert_int_eq(f, -1);
    ck_assert_int_eq(later.status, OMSI_OK);
    ck_assert_int_eq(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    /* and a kept file is flushed and closed */
    ck_assert_int_eq(omsi_file_create(path, &f, &err), 0);
    ck_assert_int_eq(omsi_file_close(&f, path, 0, &err), 0);
    ck_assert_int_eq(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    ck_assert_int_gt(H5Fis_hdf5(path), 0);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Every shared Analyze/imzML file converts and reads back as the reader yields it. */
static const char *const shared_inputs[] = {
    "analyze/Analyze75.hdr", "imzml/pyimzml/Example_Continuous.imzML", "imzml/pyimzml/Example_Processed.imzML",
    "imzml/maldiquantforeign/tiny_processed.imzML",
};

START_TEST(shared_round_trip)
{
    char *input = omsi_test_shared_path(shared_inputs[_i]);
    char *dir = omsi_test_mkdtemp("writer-shared");
    char out[4096];
    snprintf(out, sizeof out, "%s/s.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    omsi_convert_result res;
    omsi_error err = {0};
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    omsi_reader *r = NULL;
    ck_assert_int_eq(omsi_reader_open(input, NULL, NULL, &r, &err), 0);
    omsi_dataset_info info;
    omsi_reader_info(r, &info);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t dims[3];
    int rank;
    double *cube = read_doubles(f, "/entry_0/data_0/data_0", dims, &rank);
    double *mz = read_doubles(f, "/entry_0/data_0/mz", dims + 0, &rank);
    const double *rmz = omsi_reader_mz(r);
    for (uint64_t k = 0; k < info.nz; k++)
        ck_assert_double_eq(mz[k], rmz[k]);
    omsi_spectrum s;
    double total = 0;
    while (omsi_reader_next(r, &s, &err) == 1)
        for (uint64_t k = 0; k < info.nz; k++) {
            double v = omsi_dtype_get(info.dtype, s.intensities, k);
            ck_assert_double_eq(cube[(s.x * info.ny + s.y) * info.nz + k], v);
            total += v;
        }
    OMSI_ASSERT_CLOSE(res.datasets[0].total_intensity, total, 1e-12);
    json_object *e = omsi_test_expected(shared_inputs[_i]);
    if (e && json_object_object_get(e, "total_intensity"))
        OMSI_ASSERT_CLOSE(total, omsi_test_jdouble(e, "total_intensity"), 1e-9);
    free(cube);
    free(mz);
    H5Fclose(f);
    omsi_reader_close(r);
    omsi_convert_result_free(&res);
    omsi_test_rmtree(dir);
    free(dir);
    free(input);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writer");
    TCase *tc = tcase_create("writer");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, auto_chunk_rule, 0, sizeof chunk_examples / sizeof chunk_examples[0]);
    tcase_add_test(tc, chunk_clip);
    tcase_add_test(tc, hdf5_errors_one_line_and_given_up_file_closed);
    tcase_add_test(tc, analyze_fixture_layout_and_values);
    tcase_add_test(tc, mock_datasets_regions_links);
    tcase_add_test(tc, copy_from_reader_passes);
    tcase_add_test(tc, cancelled_conversion_leaves_nothing);
    tcase_add_test(tc, existing_output_and_bad_folder);
    suite_add_tcase(s, tc);
    if (omsi_test_shared_dir()) {
        TCase *shared = tcase_create("shared");
        tcase_set_timeout(shared, 120);
        tcase_add_loop_test(shared, shared_round_trip, 0, sizeof shared_inputs / sizeof shared_inputs[0]);
        suite_add_tcase(s, shared);
    } else {
        omsi_test_say_skipped("writer round trip of the shared corpus");
    }
    return omsi_test_run(s, false);
}
