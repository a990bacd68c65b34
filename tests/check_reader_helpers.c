/* The helpers the readers share: the exact m/z axis union (against a naive
 * sort-and-dedup reference on random sorted and unsorted arrays, its limit,
 * its count of unsorted arrays in the file metadata), the base64 decoder
 * (against the per-character reference it replaced) and zlib arrays. */
#include "tools/gen.h"
#include "readers/mzml_parse.h"
#include "readers/reader.h"
#include "readers/sorted_union.h"
#include "readers/zlib_array.h"
#include "tests/test_support.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* xorshift64: deterministic random numbers, state passed by the caller. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool non_decreasing(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[i - 1])
            return false;
    return true;
}

/* Naive reference: everything concatenated, sorted, exact equals dropped. */
typedef struct reference {
    double *all;
    size_t n, cap;
} reference;

static void reference_add(reference *r, const double *v, size_t n)
{
    if (r->n + n > r->cap) {
        r->cap = 2 * (r->n + n);
        r->all = realloc(r->all, r->cap * sizeof *r->all);
        ck_assert_ptr_nonnull(r->all);
    }
    memcpy(r->all + r->n, v, n * sizeof *v);
    r->n += n;
}

static size_t reference_finish(reference *r)
{
    if (r->n == 0)
        return 0;
    qsort(r->all, r->n, sizeof *r->all, compare_doubles);
    size_t k = 1;
    for (size_t i = 1; i < r->n; i++)
        if (r->all[i] != r->all[k - 1])
            r->all[k++] = r->all[i];
    return k;
}

/* One value: from a grid of `pool` m/z values (real spectra share most of
 * them), or anywhere (pool 0). */
static double random_mz(uint64_t *s, uint64_t pool)
{
    if (pool)
        return 100 + 0.25 * (double)(next_random(s) % pool);
    return 100 + (double)(next_random(s) % 100000000) * 1e-5;
}

typedef struct union_case {
    size_t arrays, max_len;
    uint64_t pool;          /* 0: values anywhere (few repeats) */
    unsigned unsorted_in_8; /* how many arrays of 8 are shuffled */
} union_case;

static const union_case union_cases[] = {
    {1, 1, 10, 0},            /* a single value */
    {300, 50, 40, 4},         /* tiny grid: almost everything repeats */
    {2000, 3000, 5000, 1},    /* like processed spectra: subsets of one grid */
    {400, 2000, 0, 2},        /* few repeats: the set grows, many merges */
    {5000, 40, 0, 8},         /* all unsorted, short arrays: deep cascades */
    {3, 300000, 0, 1},        /* long arrays: bigger than a flush */
    {300, 4000, 600, 0},      /* long stretches already in the set, each value repeated */
};

START_TEST(union_matches_reference)
{
    const union_case *c = &union_cases[_i];
    uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
    sorted_union u;
    sorted_union_init(&u, 0);
    reference ref = {0};
    double *v = malloc(c->max_len * sizeof *v);
    ck_assert_ptr_nonnull(v);
    uint64_t unsorted = 0, arrays = 0;
    for (size_t a = 0; a < c->arrays; a++) {
        size_t n = 1 + (size_t)(next_random(&seed) % c->max_len);
        for (size_t k = 0; k < n; k++)
            v[k] = random_mz(&seed, c->pool);
        qsort(v, n, sizeof *v, compare_doubles);
        if (a % 8 < c->unsorted_in_8)
            for (size_t k = n; k > 1; k--) { /* Fisher-Yates */
                size_t j = (size_t)(next_random(&seed) % k);
                double t = v[k - 1];
                v[k - 1] = v[j];
                v[j] = t;
            }
        unsorted += !non_decreasing(v, n);
        arrays++;
        reference_add(&ref, v, n);
        sorted_union_add(&u, v, n);
        ck_assert(!u.failed && !u.overflow);
    }
    size_t want = reference_finish(&ref);
    ck_assert(sorted_union_finish(&u));
    ck_assert_uint_eq(u.count, want);
    ck_assert_int_eq(memcmp(u.values, ref.all, want * sizeof *u.values), 0);
    ck_assert_uint_eq(u.arrays, arrays);
    ck_assert_uint_eq(u.unsorted, unsorted);
    if (c->unsorted_in_8 == 8 && c->max_len > 2)
        ck_assert_uint_gt(u.unsorted, 0);
    free(v);
    free(ref.all);
    sorted_union_free(&u);
}
END_TEST

/* An array whose values are all in the set, some repeated, adds nothing:
 * no pending run (the repeats of a value just matched included). */
START_TEST(union_subset_adds_nothing)
{
    sorted_union u;
    sorted_union_init(&u, 0);
    double grid[100], sub[150];
    for (size_t k = 0; k < 100; k++)
        grid[k] = 100.0 + 0.5 * (double)k;
    sorted_union_add(&u, grid, 100);
    ck_assert_uint_eq(u.count, 100);
    size_t n = 0;
    for (size_t k = 0; k < 100; k++) {
        if (k % 7 == 3)
            continue; /* gaps: the stretch ends, the gallop takes over */
        sub[n++] = grid[k];
        if (k % 3 == 0)
            sub[n++] = grid[k]; /* the value again */
    }
    sorted_union_add(&u, sub, n);
    ck_assert_uint_eq(u.n_runs, 0);
    ck_assert_uint_eq(u.pending_count, 0);
    ck_assert_uint_eq(u.unsorted, 0);
    ck_assert(sorted_union_finish(&u));
    ck_assert_uint_eq(u.count, 100);
    ck_assert(u.values[0] == 100.0 && u.values[99] == 149.5);
    sorted_union_free(&u);
}
END_TEST

/* More than limit distinct values overflow; exactly limit do not; values
 * repeated any number of times count once. */
START_TEST(union_limit)
{
    for (uint64_t limit = 999; limit <= 1000; limit++) {
        sorted_union u;
        sorted_union_init(&u, limit);
        double v[100];
        for (int rep = 0; rep < 3; rep++)
            for (int a = 0; a < 10; a++) {
                for (int k = 0; k < 100; k++)
                    v[k] = a * 100 + (rep == 1 ? 99 - k : k); /* rep 1: descending */
                sorted_union_add(&u, v, 100);
            }
        ck_assert_int_eq(sorted_union_finish(&u), limit == 1000);
        ck_assert_int_eq(u.overflow, limit == 999);
        if (limit == 1000) {
            ck_assert_uint_eq(u.count, 1000);
            ck_assert_uint_eq(u.unsorted, 10);
            for (size_t k = 0; k < 1000; k++)
                ck_assert_double_eq(u.values[k], (double)k);
        }
        sorted_union_free(&u);
    }
}
END_TEST

START_TEST(gallop_is_lower_bound)
{
    double a[37];
    for (int k = 0; k < 37; k++)
        a[k] = 2.0 * k;
    for (size_t from = 0; from <= 37; from++)
        for (int t = -1; t <= 75; t++) {
            size_t lb = 0;
            while (lb < 37 && a[lb] < t)
                lb++;
            if (lb < from) /* gallop assumes a[from - 1] < value */
                continue;
            ck_assert_uint_eq(sorted_union_gallop(a, 37, from, t), lb);
        }
}
END_TEST

/* Reads the offsets of every m/z array (the first array of each spectrum
 * in a generated processed imzML) from the XML. */
static size_t mz_offsets(const char *imzml, long *out, size_t max)
{
    FILE *f = fopen(imzml, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    size_t n = 0, arrays = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "IMS:1000102");
        if (!p || !(p = strstr(p, "value=\"")))
            continue;
        if (arrays++ % 2 == 0 && n < max)
            out[n++] = strtol(p + 7, NULL, 10);
    }
    fclose(f);
    return n;
}

/* Swaps values k and k + 1 of the float64 array at off. */
static void swap_pair(int fd, long off, int k)
{
    double v[2], w[2];
    ck_assert_int_eq(pread(fd, v, sizeof v, off + 8 * k), (ssize_t)sizeof v);
    w[0] = v[1];
    w[1] = v[0];
    ck_assert_int_eq(pwrite(fd, w, sizeof w, off + 8 * k), (ssize_t)sizeof w);
}

static double *read_all(omsi_reader *r, omsi_dataset_info *info)
{
    omsi_reader_info(r, info);
    size_t cells = (size_t)(info->nx * info->ny * info->nz);
    double *cube = calloc(cells, sizeof *cube);
    ck_assert_ptr_nonnull(cube);
    omsi_error err = {0};
    omsi_spectrum s;
    ck_assert_int_eq(omsi_reader_rewind(r, &err), 0);
    while (omsi_reader_next(r, &s, &err) == 1)
        for (uint64_t k = 0; k < info->nz; k++)
            cube[(s.x * info->ny + s.y) * info->nz + k] = omsi_dtype_get(info->dtype, s.intensities, k);
    return cube;
}

static omsi_reader *open_path(const char *format, const char *path)
{
    omsi_reader *r = NULL;
    omsi_error err = {0};
    omsi_open_options o = omsi_open_options_default();
    ck_assert_msg(omsi_format_by_name(format)->open(path, &o, &r, &err) == 0, "%s", err.message);
    return r;
}

static int64_t sorted_by_reader(omsi_reader *r)
{
    const omsi_meta_entry *m = omsi_meta_find(omsi_reader_metadata(r), "mz_arrays_sorted_by_reader");
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->kind, OMSI_META_INT);
    return m->i;
}

/* Spectra whose m/z and intensity pairs are out of order (swapped in the
 * .ibd) give the same axis and cube; the metadata counts them. */
START_TEST(unsorted_arrays_counted_in_metadata)
{
    char *dir = omsi_test_mkdtemp("helpers");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 4;
    p.ny = 3;
    p.nz = 30;
    p.dtype = OMSI_DT_FLOAT64;
    p.variant = "processed";
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_gen_imzml(dir, "un", &p, &path, &err) == 0, "%s", err.message);
    omsi_reader *r = open_path("imzml", path);
    ck_assert_int_eq(sorted_by_reader(r), 0);
    omsi_dataset_info before, after;
    double *cube = read_all(r, &before);
    double *axis = malloc(before.nz * sizeof *axis);
    ck_assert_ptr_nonnull(axis);
    memcpy(axis, omsi_reader_mz(r), before.nz * sizeof *axis);
    omsi_reader_close(r);

    long off[12];
    ck_assert_uint_eq(mz_offsets(path, off, 12), 12);
    char ibd[4096];
    snprintf(ibd, sizeof ibd, "%.*s.ibd", (int)(strlen(path) - strlen(".imzML")), path);
    int fd = open(ibd, O_RDWR);
    ck_assert_int_ge(fd, 0);
    /* spectra 1, 5 and 6: m/z pair and intensity pair (right after the
     * m/z array, 30 doubles) swapped together */
    const size_t bad[] = {1, 5, 6};
    for (size_t i = 0; i < 3; i++) {
        swap_pair(fd, off[bad[i]], 3 + (int)i);
        swap_pair(fd, off[bad[i]] + 30 * 8, 3 + (int)i);
    }
    close(fd);
    r = open_path("imzml", path);
    ck_assert_int_eq(sorted_by_reader(r), 3);
    double *cube2 = read_all(r, &after);
    ck_assert_uint_eq(after.nz, before.nz);
    ck_assert_int_eq(memcmp(omsi_reader_mz(r), axis, before.nz * sizeof *axis), 0);
    ck_assert_int_eq(memcmp(cube, cube2, (size_t)(before.nx * before.ny * before.nz) * sizeof *cube), 0);
    omsi_reader_close(r);
    free(cube);
    free(cube2);
    free(axis);
    free(path);

    /* mzML: the same key per scan type */
    p.variant = "";
    ck_assert_msg(omsi_gen_mzml(dir, "mz", &p, &path, &err) == 0, "%s", err.message);
    r = open_path("mzml", path);
    ck_assert_int_eq(sorted_by_reader(r), 0);
    omsi_reader_close(r);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The per-character decoder the table-driven one replaced. */
static int reference_base64(const char *text, size_t len, unsigned char *buf, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isspace(c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        const char *at = c ? strchr(alphabet, c) : NULL;
        if (!at || pad)
            return -1;
        acc = (acc << 6) | (uint32_t)(at - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (pad > 2 || bits >= 6)
        return -1;
    *out_len = n;
    return 0;
}

static size_t encode_base64(const unsigned char *in, size_t n, char *out, uint64_t *seed)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t w = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[w++] = alphabet[v >> 18 & 63];
        out[w++] = alphabet[v >> 12 & 63];
        out[w++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        out[w++] = i + 2 < n ? alphabet[v & 63] : '=';
        if (next_random(seed) % 19 == 0) /* line breaks and blanks, as writers put them */
            out[w++] = next_random(seed) % 2 ? '\n' : ' ';
    }
    return w;
}

/* Valid base64 of random bytes (with whitespace) decodes to the bytes; the
 * same texts with one character replaced (often by a bad one) decode
 * exactly as the reference does: the same bytes, or both refuse. */
START_TEST(base64_matches_reference)
{
    uint64_t seed = 12345;
    unsigned char bytes[700], want[700];
    char text[1200];
    static const char noise[] = "A/+z9= \n\t\r*-.\0\x80\xff";
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(next_random(&seed) % sizeof bytes);
        for (size_t i = 0; i < n; i++)
            bytes[i] = (unsigned char)next_random(&seed);
        size_t len = encode_base64(bytes, n, text, &seed);
        unsigned char *out = NULL;
        size_t out_len = 0;
        ck_assert_int_eq(mzml_base64_decode(text, len, &out, &out_len), 0);
        ck_assert_uint_eq(out_len, n);
        ck_assert_int_eq(memcmp(out, bytes, n), 0);
        free(out);
        if (len == 0)
            continue;
        for (int m = 0; m < 1 + round % 3; m++)
            text[next_random(&seed) % len] = noise[next_random(&seed) % (sizeof noise - 1)];
        size_t ref_len = 0;
        int ref = reference_base64(text, len, want, &ref_len);
        out = NULL;
        int got = mzml_base64_decode(text, len, &out, &out_len);
        ck_assert_int_eq(got, ref);
        if (ref == 0) {
            ck_assert_uint_eq(out_len, ref_len);
            ck_assert_int_eq(memcmp(out, want, ref_len), 0);
            free(out);
        }
    }
}
END_TEST

START_TEST(zlib_array_results)
{
    double v[1000];
    for (int k = 0; k < 1000; k++)
        v[k] = 100 + 0.5 * k;
    unsigned char z[12000];
    uLongf zn = sizeof z - 16;
    ck_assert_int_eq(compress2(z, &zn, (const Bytef *)v, sizeof v, 6), Z_OK);
    memset(z + zn, 0xAB, 16); /* bytes after the stream are ignored, as by zlib */
    double out[1001];
    size_t got;
    ck_assert_int_eq(zlib_array_inflate(z, zn + 16, out, sizeof v, &got), ZLIB_ARRAY_OK);
    ck_assert_uint_eq(got, sizeof v);
    ck_assert_int_eq(memcmp(out, v, sizeof v), 0);
    ck_assert_int_eq(zlib_array_inflate(z, zn, out, sizeof v + 8, &got), ZLIB_ARRAY_SHORT);
    ck_assert_uint_eq(got, sizeof v);
    ck_assert_int_eq(zlib_array_inflate(z, zn, out, sizeof v - 8, &got), ZLIB_ARRAY_LONG);
    ck_assert_int_eq(zlib_array_inflate(z, zn / 2, out, sizeof v, &got), ZLIB_ARRAY_CORRUPT);
    z[zn - 1] ^= 0x55; /* the Adler-32 checksum */
    ck_assert_int_eq(zlib_array_inflate(z, zn, out, sizeof v, &got), ZLIB_ARRAY_CORRUPT);
    ck_assert_str_eq(zlib_array_problem(ZLIB_ARRAY_LONG), "inflates to more bytes than declared");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reader_helpers");
    TCase *tc = tcase_create("helpers");
    tcase_add_loop_test(tc, union_matches_reference, 0, sizeof union_cases / sizeof union_cases[0]);
    tcase_add_test(tc, union_limit);
    tcase_add_test(tc, union_subset_adds_nothing);
    tcase_add_test(tc, gallop_is_lower_bound);
    tcase_add_test(tc, unsorted_arrays_counted_in_metadata);
    tcase_add_test(tc, base64_matches_reference);
    tcase_add_test(tc, zlib_array_results);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
