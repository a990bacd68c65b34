/* Unit tests of the core helpers: errors, paths, checked arithmetic,
 * byte order, metadata lists, the format registry. */
#include "base/omsi_budget.h"
#include "base/omsi_error.h"
#include "base/omsi_metadata.h"
#include "base/omsi_util.h"
#include "readers/reader.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(error_set_prefix_and_exit_codes)
{
    omsi_error err = {0};
    ck_assert_int_eq(omsi_error_set(&err, OMSI_ERR_FORMAT, "%s: bad %d", "a.img", 7),
                     OMSI_ERR_FORMAT);
    ck_assert_str_eq(err.message, "a.img: bad 7");
    omsi_error_prefix(&err, "job %d", 3);
    ck_assert_str_eq(err.message, "job 3: a.img: bad 7");
    ck_assert_int_eq(err.status, OMSI_ERR_FORMAT);
    ck_assert_int_eq(omsi_exit_code(OMSI_OK), 0);
    ck_assert_int_eq(omsi_exit_code(OMSI_ERR_USAGE), 2);
    ck_assert_int_eq(omsi_exit_code(OMSI_ERR_IO), 1);
    ck_assert_str_eq(omsi_status_name(OMSI_ERR_INCOMPLETE), "incomplete");
}
END_TEST

START_TEST(checked_arithmetic)
{
    uint64_t out;
    ck_assert(omsi_mul4_u64(3, 3, 44538, 2, &out));
    ck_assert_uint_eq(out, 801684);
    ck_assert(!omsi_mul_u64(UINT64_MAX / 2 + 1, 2, &out));
    ck_assert(!omsi_add_u64(UINT64_MAX, 1, &out));
    ck_assert(!omsi_mul4_u64(1u << 20, 1u << 20, 1u << 20, 1u << 20, &out));
}
END_TEST

START_TEST(byte_order)
{
    const unsigned char le[] = {0x5c, 0x01, 0x00, 0x00};
    const unsigned char be[] = {0x00, 0x00, 0x01, 0x5c};
    ck_assert_uint_eq(omsi_le32(le), 348);
    ck_assert_uint_eq(omsi_be32(be), 348);
    const unsigned char one[] = {0x3f, 0x80, 0, 0};
    ck_assert(omsi_bits_to_f32(omsi_be32(one)) == 1.0f);
    uint32_t v = 0x01020304;
    omsi_swap_items(&v, 4, 1);
    ck_assert_uint_eq(v, 0x04030201);
}
END_TEST

START_TEST(paths)
{
    char *p = omsi_path_join("/a/b", "c.img");
    ck_assert_str_eq(p, "/a/b/c.img");
    free(p);
    p = omsi_path_join("/a/b/", "c");
    ck_assert_str_eq(p, "/a/b/c");
    free(p);
    p = omsi_path_basename("/x/y/run/");
    ck_assert_str_eq(p, "run");
    free(p);
    p = omsi_path_dirname("/x/y/run.img");
    ck_assert_str_eq(p, "/x/y");
    free(p);
    p = omsi_path_dirname("run.img");
    ck_assert_str_eq(p, ".");
    free(p);
    /* one extension, not a character set (BASTet's rstrip bug) */
    p = omsi_strip_suffix_ci("testimg.IMG", ".img");
    ck_assert_str_eq(p, "testimg");
    free(p);
    ck_assert_ptr_null(omsi_strip_suffix_ci("test.hdr", ".img"));
}
END_TEST

START_TEST(metadata_list)
{
    omsi_metadata md;
    omsi_meta_init(&md);
    ck_assert_int_eq(omsi_meta_text(&md, OMSI_COLL_DATASET, "descrip", "hello", NULL, NULL), 0);
    ck_assert_int_eq(omsi_meta_float(&md, OMSI_COLL_DATASET, "pixel_size_x", 25.0, "um",
                                     "IMS:1000046"), 0);
    ck_assert_int_eq(omsi_meta_describe_last(&md, "Pixel size x"), 0);
    ck_assert_int_eq(omsi_meta_int(&md, OMSI_COLL_INSTRUMENT, "n", -3, NULL, NULL), 0);
    ck_assert_uint_eq(md.count, 3);
    const omsi_meta_entry *e = omsi_meta_find(&md, "pixel_size_x");
    ck_assert_ptr_nonnull(e);
    ck_assert(e->f == 25.0);
    ck_assert_str_eq(e->unit, "um");
    ck_assert_str_eq(e->accession, "IMS:1000046");
    ck_assert_str_eq(e->description, "Pixel size x");
    omsi_metadata copy;
    omsi_meta_init(&copy);
    ck_assert_int_eq(omsi_meta_append(&copy, &md), 0);
    omsi_meta_free(&md);
    ck_assert_str_eq(omsi_meta_find(&copy, "descrip")->text, "hello");
    ck_assert_int_eq(omsi_meta_find(&copy, "n")->i, -3);
    omsi_meta_free(&copy);
}
END_TEST

START_TEST(registry_lists_formats_in_probe_order)
{
    size_t n;
    const omsi_format *const *formats = omsi_available_formats(&n);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(formats[0]->name, "bruckerflex");
    ck_assert_str_eq(formats[1]->name, "imzml");
    ck_assert_str_eq(formats[2]->name, "img");
    ck_assert_str_eq(formats[3]->name, "mzml");
    ck_assert_ptr_eq(omsi_format_by_name("img_file"), formats[2]);
    ck_assert_ptr_eq(omsi_format_by_name("brukerflex"), formats[0]);
    ck_assert_ptr_null(omsi_format_by_name("nope"));
    const omsi_format *fmt;
    omsi_validity v;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_detect_format("/nonexistent/x.img", &fmt, &v, &err),
                     OMSI_ERR_NOT_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/x.img"));
}
END_TEST

START_TEST(dtype_helpers)
{
    ck_assert_uint_eq(omsi_dtype_size(OMSI_DT_INT16), 2);
    ck_assert_str_eq(omsi_dtype_name(OMSI_DT_FLOAT32), "float32");
    int16_t a[] = {-5, 7};
    ck_assert(omsi_dtype_get(OMSI_DT_INT16, a, 0) == -5.0);
    ck_assert(omsi_dtype_get(OMSI_DT_INT16, a, 1) == 7.0);
}

START_TEST(memory_budget)
{
    uint64_t v = 0;
    ck_assert_int_eq(omsi_parse_bytes("256M", &v), 0);
    ck_assert_uint_eq(v, (uint64_t)256 << 20);
    ck_assert_int_eq(omsi_parse_bytes("2GiB", &v), 0);
    ck_assert_uint_eq(v, (uint64_t)2 << 30);
    ck_assert_int_eq(omsi_parse_bytes("1048576", &v), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(omsi_parse_bytes("4kb", &v), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(omsi_parse_bytes("-1M", &v), -1);
    ck_assert_int_eq(omsi_parse_bytes("12Q", &v), -1);
    ck_assert_int_eq(omsi_parse_bytes("", &v), -1);
    ck_assert_int_eq(omsi_parse_bytes("99999999999T", &v), -1);
    ck_assert_uint_eq(omsi_budget_limit(0), OMSI_MEMORY_LIMIT_DEFAULT);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_budget_check(0, OMSI_MEMORY_LIMIT_DEFAULT, "a.mzML", "one spectrum", &err), 0);
    ck_assert_int_eq(omsi_budget_check(64 << 20, (uint64_t)210 << 20, "a.mzML", "spectrum 7", &err),
                     OMSI_ERR_NOMEM);
    ck_assert_str_eq(err.message, "a.mzML: spectrum 7 needs 210.0 MiB, more than the memory limit of 64.0 MiB "
                                  "(--memory-limit)");
}
END_TEST
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, error_set_prefix_and_exit_codes);
    tcase_add_test(tc, checked_arithmetic);
    tcase_add_test(tc, byte_order);
    tcase_add_test(tc, paths);
    tcase_add_test(tc, metadata_list);
    tcase_add_test(tc, registry_lists_formats_in_probe_order);
    tcase_add_test(tc, dtype_helpers);
    tcase_add_test(tc, memory_budget);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
