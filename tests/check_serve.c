/* src/serve, the pure parts: routes and path refusal, IDs, unescaping,
 * request parameters (the query filters through the CLI's own parser),
 * tokens, listen addresses and the rate limit. The HTTP side is
 * tests/e2e/serve_api.sh. */
#include "serve/serve_addr.h"
#include "serve/serve_params.h"
#include "serve/serve_rate.h"
#include "serve/serve_routes.h"
#include "serve/serve_token.h"
#include "tests/test_support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned route(const char *path, serve_route *r)
{
    char why[160];
    return serve_route_parse(path, r, why, sizeof why);
}

START_TEST(routes_map_paths)
{
    serve_route r;
    ck_assert_uint_eq(route("/", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_PAGE);
    ck_assert_uint_eq(route("/api/datasets", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_DATASETS);
    ck_assert_uint_eq(route("/api/datasets/42", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_DATASET);
    ck_assert_int_eq(r.id, 42);
    ck_assert_uint_eq(route("/api/datasets/7/image.png", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_IMAGE);
    ck_assert_int_eq(r.id, 7);
    ck_assert_uint_eq(route("/api/datasets/9223372036854775807/spectrum.json", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_SPECTRUM);
    ck_assert_int_eq(r.id, INT64_MAX);
    ck_assert_uint_eq(route("/api/datasets/3/thumbnail.png", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_THUMBNAIL);
    ck_assert_uint_eq(route("/api/stats", &r), 0);
    ck_assert_int_eq(r.kind, SERVE_ROUTE_STATS);
}
END_TEST

START_TEST(routes_refuse_tricks)
{
    serve_route r;
    ck_assert_uint_eq(route("/etc/passwd", &r), 404);
    ck_assert_uint_eq(route("/api/datasets/1/../../etc/passwd", &r), 400);
    ck_assert_uint_eq(route("/api/./stats", &r), 400);
    ck_assert_uint_eq(route("/api//stats", &r), 400);
    ck_assert_uint_eq(route("/api/datasets/1%00.png", &r), 400);
    ck_assert_uint_eq(route("/api\\stats", &r), 400);
    ck_assert_uint_eq(route("/api/stats\x01", &r), 400);
    ck_assert_uint_eq(route("/api/st\xc3\xa4ts", &r), 400);
    ck_assert_uint_eq(route("api/stats", &r), 400);
    ck_assert_uint_eq(route("/api/datasets/1/image.png/x", &r), 404);
    ck_assert_uint_eq(route("/api/datasets/1/other", &r), 404);
    ck_assert_uint_eq(route("/api/datasetsx", &r), 404);
    ck_assert_uint_eq(route("/api/datasets/abc", &r), 400);
    ck_assert_uint_eq(route("/api/datasets/0", &r), 400);
    ck_assert_uint_eq(route("/api/datasets/-1", &r), 400);
    ck_assert_uint_eq(route("/api/datasets/9223372036854775808", &r), 400);
    char *longpath = malloc(SERVE_MAX_PATH + 10);
    memset(longpath, 'a', SERVE_MAX_PATH + 9);
    longpath[0] = '/';
    longpath[SERVE_MAX_PATH + 9] = '\0';
    ck_assert_uint_eq(route(longpath, &r), 414);
    free(longpath);
}
END_TEST

START_TEST(ids_are_strict)
{
    int64_t id;
    ck_assert(serve_parse_id("1", 1, &id) && id == 1);
    ck_assert(serve_parse_id("123/x", 3, &id) && id == 123);
    ck_assert(!serve_parse_id("", 0, &id));
    ck_assert(!serve_parse_id("01", 2, &id));
    ck_assert(!serve_parse_id("+1", 2, &id));
    ck_assert(!serve_parse_id("1e3", 3, &id));
    ck_assert(!serve_parse_id("99999999999999999999", 20, &id));
}
END_TEST

START_TEST(unescape_keeps_nul_encoded)
{
    char a[] = "%2e%2E/x%41", b[] = "a%00b", c[] = "%zz%4", d[] = "caf%C3%A9";
    ck_assert_uint_eq(serve_unescape(a), 5);
    ck_assert_str_eq(a, "../xA");
    serve_unescape(b);
    ck_assert_str_eq(b, "a%00b");
    serve_unescape(c);
    ck_assert_str_eq(c, "%zz%4");
    serve_unescape(d);
    ck_assert_str_eq(d, "caf\xc3\xa9");
}
END_TEST

static serve_args args_of(const char *const *pairs)
{
    serve_args a = {0};
    for (; pairs[0]; pairs += 2)
        serve_args_add(&a, pairs[0], pairs[1]);
    return a;
}

START_TEST(query_params_use_the_cli_parser)
{
    static const char *const pairs[] = {"format", "imzml", "format", "img", "min_pixels", "50", "mz", "105",
                                        "ppm", "20", "sort", "-name", "limit", "10", "offset", "20",
                                        "all_versions", "1", "meta", "k=v", NULL};
    serve_args a = args_of(pairs);
    serve_query_argv buf;
    omsi_query q;
    char why[512] = "";
    ck_assert_uint_eq(serve_query_params(&a, &buf, &q, why, sizeof why), 0);
    ck_assert_uint_eq(q.n_formats, 2);
    ck_assert_str_eq(q.formats[0], "imzml");
    ck_assert_int_eq(q.min_pixels, 50);
    ck_assert(q.has_mz);
    ck_assert_double_eq(q.mz, 105);
    ck_assert_double_eq(q.ppm, 20);
    ck_assert_uint_eq(q.n_sort, 1);
    ck_assert_int_eq(q.sort[0].field, OMSI_SORT_NAME);
    ck_assert(q.sort[0].descending);
    ck_assert_int_eq(q.limit, 10);
    ck_assert_int_eq(q.offset, 20);
    ck_assert(q.all_versions);
    ck_assert_uint_eq(q.n_meta, 1);
    ck_assert_int_eq(q.output, OMSI_OUT_JSON);
}
END_TEST

static unsigned query_status(const char *const *pairs, char *why, size_t size)
{
    serve_args a = args_of(pairs);
    serve_query_argv buf;
    omsi_query q;
    return serve_query_params(&a, &buf, &q, why, size);
}

START_TEST(query_params_refuse)
{
    char why[512];
    static const char *const unknown[] = {"json", "1", NULL}, *const columns[] = {"columns", "path", NULL},
                             *const bad_format[] = {"format", "tiff", NULL}, *const big[] = {"limit", "5000", NULL},
                             *const all[] = {"limit", "0", NULL}, *const empty[] = {"mz", "", NULL},
                             *const flag[] = {"count", "maybe", NULL}, *const prefix[] = {"min", "3", NULL};
    ck_assert_uint_eq(query_status(unknown, why, sizeof why), 400);
    ck_assert_ptr_nonnull(strstr(why, "unknown parameter 'json'"));
    ck_assert_uint_eq(query_status(columns, why, sizeof why), 400);
    ck_assert_uint_eq(query_status(bad_format, why, sizeof why), 400);
    ck_assert_ptr_nonnull(strstr(why, "tiff"));
    ck_assert_uint_eq(query_status(big, why, sizeof why), 400);
    ck_assert_uint_eq(query_status(all, why, sizeof why), 400);
    ck_assert_uint_eq(query_status(empty, why, sizeof why), 400);
    ck_assert_uint_eq(query_status(flag, why, sizeof why), 400);
    ck_assert_uint_eq(query_status(prefix, why, sizeof why), 400);
    serve_args many = {0};
    for (int i = 0; i < SERVE_MAX_ARGS + 1; i++)
        serve_args_add(&many, "format", "img");
    serve_query_argv buf;
    omsi_query q;
    ck_assert_uint_eq(serve_query_params(&many, &buf, &q, why, sizeof why), 400);
}
END_TEST

START_TEST(image_and_spectrum_params)
{
    char why[256];
    serve_image_params ip;
    static const char *const ok[] = {"mz", "105", "ppm", "100", "zoom", "3", "scale", "sqrt", "dataset", "1", NULL};
    serve_args a = args_of(ok);
    ck_assert_uint_eq(serve_image_params_parse(&a, &ip, why, sizeof why), 0);
    ck_assert_double_eq_tol(ip.half_width, 105 * 100e-6, 1e-12);
    ck_assert_uint_eq(ip.zoom, 3);
    ck_assert_uint_eq(ip.dataset, 1);
    ck_assert_int_eq(ip.scale, OMSI_SCALE_SQRT);
    static const char *const width[] = {"mz", "105", "width", "1.1", NULL}, *const tic[] = {"tic", "1", NULL};
    a = args_of(width);
    ck_assert_uint_eq(serve_image_params_parse(&a, &ip, why, sizeof why), 0);
    ck_assert_double_eq_tol(ip.half_width, 0.55, 1e-12);
    a = args_of(tic);
    ck_assert_uint_eq(serve_image_params_parse(&a, &ip, why, sizeof why), 0);
    ck_assert(ip.tic);
    static const char *const bad[][8] = {
        {NULL}, {"mz", "abc", NULL}, {"mz", "-3", NULL}, {"mz", "nan", NULL}, {"mz", "1", "tic", "1", NULL},
        {"mz", "1", "ppm", "1", "width", "1", NULL}, {"ppm", "5", NULL}, {"mz", "1", "zoom", "17", NULL},
        {"mz", "1", "zoom", "0", NULL}, {"mz", "1", "scale", "cubic", NULL}, {"mz", "1", "colormap", "jet", NULL},
        {"mz", "1", "dataset", "x", NULL}, {"mz", "1", "path", "/etc", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = args_of(bad[i]);
        ck_assert_msg(serve_image_params_parse(&a, &ip, why, sizeof why) == 400, "image case %zu", i);
    }
    serve_spectrum_params sp;
    static const char *const px[] = {"x", "11", "y", "8", NULL}, *const mean[] = {"mean", "", NULL};
    a = args_of(px);
    ck_assert_uint_eq(serve_spectrum_params_parse(&a, &sp, why, sizeof why), 0);
    ck_assert_int_eq(sp.kind, OMSI_SPECTRUM_PIXEL);
    ck_assert_uint_eq(sp.x, 11);
    ck_assert_uint_eq(sp.y, 8);
    a = args_of(mean);
    ck_assert_uint_eq(serve_spectrum_params_parse(&a, &sp, why, sizeof why), 0);
    ck_assert_int_eq(sp.kind, OMSI_SPECTRUM_MEAN);
    static const char *const sbad[][7] = {
        {NULL}, {"x", "1", NULL}, {"x", "-1", "y", "0", NULL}, {"x", "1", "y", "0", "mean", "1", NULL},
        {"mean", "1", "max", "1", NULL}, {"x", "0x1", "y", "1", NULL}, {"mean", "2", NULL},
    };
    for (size_t i = 0; i < sizeof sbad / sizeof sbad[0]; i++) {
        a = args_of(sbad[i]);
        ck_assert_msg(serve_spectrum_params_parse(&a, &sp, why, sizeof why) == 400, "spectrum case %zu", i);
    }
}
END_TEST

START_TEST(tokens_compare_and_parse)
{
    const char *t = "0123456789abcdef";
    ck_assert(serve_token_equal(t, "0123456789abcdef"));
    ck_assert(!serve_token_equal(t, "0123456789abcdeF"));
    ck_assert(!serve_token_equal(t, "0123456789abcde"));
    ck_assert(!serve_token_equal(t, "0123456789abcdef0"));
    ck_assert(!serve_token_equal(t, ""));
    ck_assert(serve_token_accepts(t, "Bearer 0123456789abcdef", NULL));
    ck_assert(!serve_token_accepts(t, "Bearer 0123456789abcdeg", NULL));
    ck_assert(!serve_token_accepts(t, "Basic 0123456789abcdef", NULL));
    ck_assert(!serve_token_accepts(t, NULL, NULL));
    ck_assert(serve_token_accepts(t, NULL, "a=b; omsi_token=0123456789abcdef; c=d"));
    ck_assert(!serve_token_accepts(t, NULL, "omsi_token=wrong"));
    ck_assert(!serve_token_accepts(t, NULL, "xomsi_token=0123456789abcdef"));

    char path[] = "/tmp/check_serve_tokenXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("s3cret-token-0123456789\r\n", f);
    fclose(f);
    char *token = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(serve_token_read(path, &token, &err), 0);
    ck_assert_str_eq(token, "s3cret-token-0123456789");
    free(token);
    f = fopen(path, "w");
    fputs("short\n", f);
    fclose(f);
    ck_assert_int_ne(serve_token_read(path, &token, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, path));
    f = fopen(path, "w");
    fputs("has a blank inside it\n", f);
    fclose(f);
    ck_assert_int_ne(serve_token_read(path, &token, &err), 0);
    f = fopen(path, "w");
    fputs("0123456789abcdef;x=1\n", f);
    fclose(f);
    ck_assert_int_ne(serve_token_read(path, &token, &err), 0);
    unlink(path);
    ck_assert_int_ne(serve_token_read(path, &token, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, path));
}
END_TEST

START_TEST(listen_addresses)
{
    serve_addr a;
    omsi_error err = {0};
    ck_assert_int_eq(serve_addr_parse("127.0.0.1:8642", &a, &err), 0);
    ck_assert(a.loopback);
    ck_assert_int_eq(serve_addr_parse("127.1.2.3:0", &a, &err), 0);
    ck_assert(a.loopback);
    ck_assert_int_eq(serve_addr_parse("localhost:80", &a, &err), 0);
    ck_assert(a.loopback);
    ck_assert_int_eq(serve_addr_parse("[::1]:8642", &a, &err), 0);
    ck_assert(a.loopback);
    ck_assert_int_eq(serve_addr_parse("0.0.0.0:8642", &a, &err), 0);
    ck_assert(!a.loopback);
    ck_assert_int_eq(serve_addr_parse("[::]:8642", &a, &err), 0);
    ck_assert(!a.loopback);
    ck_assert_int_eq(serve_addr_parse("192.168.1.5:1", &a, &err), 0);
    ck_assert(!a.loopback);
    const char *bad[] = {"8642", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "host.example:80",
                         "::1:80", "[127.0.0.1]:80", ":80", "127.0.0.1:80x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(serve_addr_parse(bad[i], &a, &err) == OMSI_ERR_USAGE, "%s", bad[i]);
    ck_assert_ptr_nonnull(strstr(err.message, "127.0.0.1:80x"));
}
END_TEST

START_TEST(rate_limit_buckets)
{
    serve_rate r;
    serve_rate_init(&r, 2, 4);
    for (int i = 0; i < 4; i++)
        ck_assert(serve_rate_allow(&r, "10.0.0.1", 100.0));
    ck_assert(!serve_rate_allow(&r, "10.0.0.1", 100.0));
    ck_assert(serve_rate_allow(&r, "10.0.0.2", 100.0)); /* another client has its own */
    ck_assert(serve_rate_allow(&r, "10.0.0.1", 100.5)); /* one token back after 0.5 s */
    ck_assert(!serve_rate_allow(&r, "10.0.0.1", 100.5));
    for (int i = 0; i < 4; i++) /* refilled to the burst, not beyond */
        ck_assert(serve_rate_allow(&r, "10.0.0.1", 200.0));
    ck_assert(!serve_rate_allow(&r, "10.0.0.1", 200.0));
    serve_rate_destroy(&r);
    serve_rate_init(&r, 0, 0); /* no limit */
    for (int i = 0; i < 1000; i++)
        ck_assert(serve_rate_allow(&r, "x", 0));
    serve_rate_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, routes_map_paths);
    tcase_add_test(tc, routes_refuse_tricks);
    tcase_add_test(tc, ids_are_strict);
    tcase_add_test(tc, unescape_keeps_nul_encoded);
    tcase_add_test(tc, query_params_use_the_cli_parser);
    tcase_add_test(tc, query_params_refuse);
    tcase_add_test(tc, image_and_spectrum_params);
    tcase_add_test(tc, tokens_compare_and_parse);
    tcase_add_test(tc, listen_addresses);
    tcase_add_test(tc, rate_limit_buckets);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
