#include "writer/summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { NOISE_SAMPLES = 255 };

uint64_t omsi_summary_bytes(uint64_t nx, uint64_t ny, uint64_t nz)
{
    return nx * ny * 2 * sizeof(double) + nz * (2 * sizeof(double) + sizeof(uint32_t)) +
           NOISE_SAMPLES * sizeof(double);
}

int omsi_summary_init(omsi_summary *s, uint64_t nx, uint64_t ny, uint64_t nz, omsi_dtype dtype,
                      omsi_error *err)
{
    memset(s, 0, sizeof *s);
    s->nx = nx;
    s->ny = ny;
    s->nz = nz;
    s->dtype = dtype;
    size_t pixels = (size_t)(nx * ny > 0 ? nx * ny : 1), bins = (size_t)(nz ? nz : 1);
    s->tic = calloc(pixels, sizeof *s->tic);
    s->base_peak = calloc(pixels, sizeof *s->base_peak);
    s->sum = calloc(bins, sizeof *s->sum);
    s->max = calloc(bins, sizeof *s->max);
    s->above = calloc(bins, sizeof *s->above);
    s->scratch = malloc(NOISE_SAMPLES * sizeof *s->scratch);
    if (!s->tic || !s->base_peak || !s->sum || !s->max || !s->above || !s->scratch) {
        omsi_summary_free(s);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for the summaries of a %llu x %llu x %llu cube",
                              (unsigned long long)nx, (unsigned long long)ny, (unsigned long long)nz);
    }
    for (size_t k = 0; k < bins; k++)
        s->max[k] = -INFINITY;
    return 0;
}

void omsi_summary_free(omsi_summary *s)
{
    free(s->tic);
    free(s->base_peak);
    free(s->sum);
    free(s->max);
    free(s->above);
    free(s->scratch);
    memset(s, 0, sizeof *s);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The k-th smallest of v[0..n) (v is reordered): quickselect, O(n), so
 * that the noise level of every spectrum costs a few microseconds. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static double median_select(double *v, size_t n)
{
    double upper = select_kth(v, n, n / 2);
    if (n % 2)
        return upper;
    /* The lower middle is the largest of the lower part. */
    double lower = v[0];
    for (size_t i = 1; i < n / 2; i++)
        lower = v[i] > lower ? v[i] : lower;
    return (lower + upper) / 2;
}

/* median + 3 x 1.4826 MAD of the m sampled values in scratch (reordered). */
static double noise_of_sample(double *scratch, size_t m)
{
    double median = median_select(scratch, m);
    for (size_t i = 0; i < m; i++)
        scratch[i] = fabs(scratch[i] - median);
    return median + 3 * 1.4826 * median_select(scratch, m);
}

double omsi_noise_level(const double *values, uint64_t n, double *scratch)
{
    if (n == 0)
        return 0;
    size_t m = n < NOISE_SAMPLES ? (size_t)n : NOISE_SAMPLES;
    for (size_t i = 0; i < m; i++)
        scratch[i] = values[(uint64_t)i * n / m];
    return noise_of_sample(scratch, m);
}

/* The per-bin part of a spectrum's summary, independent across bins, in
 * blocks of LANES bins: a loop of constant trip count is what GCC's -O2
 * cost model vectorises (an open loop stays scalar, about 7 cycles a value
 * here). Each bin's sum keeps the pixel order of the calls, and
 * max = v > max ? v : max is exactly what maxpd computes. */
enum { LANES = 8 };
#define DEFINE_BINS(name, type)                                                                    \
    static void name(const type *restrict in, uint64_t n, double *restrict sum, double *restrict max) \
    {                                                                                              \
        uint64_t k = 0;                                                                            \
        for (; k + LANES <= n; k += LANES)                                                         \
            for (uint64_t j = k; j < k + LANES; j++) {                                             \
                double v = (double)in[j];                                                          \
                sum[j] += v;                                                                       \
                max[j] = v > max[j] ? v : max[j];                                                  \
            }                                                                                      \
        for (; k < n; k++) {                                                                       \
            double v = (double)in[k];                                                              \
            sum[k] += v;                                                                           \
            max[k] = v > max[k] ? v : max[k];                                                      \
        }                                                                                          \
    }
/* Pixels above their noise level, integers against an integer threshold
 * (in > floor(noise) is in > noise for integers; see int_threshold). */
#define DEFINE_ABOVE_INT(name, type, thr_type)                                                     \
    static void name(const type *restrict in, uint64_t n, thr_type thr, uint32_t *restrict above)  \
    {                                                                                              \
        uint64_t k = 0;                                                                            \
        for (; k + LANES <= n; k += LANES)                                                         \
            for (uint64_t j = k; j < k + LANES; j++)                                               \
                above[j] += (thr_type)in[j] > thr;                                                 \
        for (; k < n; k++)                                                                         \
            above[k] += (thr_type)in[k] > thr;                                                     \
    }
#define DEFINE_ABOVE_FP(name, type)                                                                \
    static void name(const type *restrict in, uint64_t n, double noise, uint32_t *restrict above)  \
    {                                                                                              \
        for (uint64_t k = 0; k < n; k++)                                                           \
            above[k] += (double)in[k] > noise;                                                     \
    }
DEFINE_BINS(bins_u8, uint8_t)
DEFINE_BINS(bins_i8, int8_t)
DEFINE_BINS(bins_u16, uint16_t)
DEFINE_BINS(bins_i16, int16_t)
DEFINE_BINS(bins_u32, uint32_t)
DEFINE_BINS(bins_i32, int32_t)
DEFINE_BINS(bins_u64, uint64_t)
DEFINE_BINS(bins_i64, int64_t)
DEFINE_BINS(bins_f32, float)
DEFINE_BINS(bins_f64, double)
DEFINE_ABOVE_INT(above_u8, uint8_t, int32_t)
DEFINE_ABOVE_INT(above_i8, int8_t, int32_t)
DEFINE_ABOVE_INT(above_u16, uint16_t, int32_t)
DEFINE_ABOVE_INT(above_i16, int16_t, int32_t)
DEFINE_ABOVE_INT(above_u32, uint32_t, int64_t)
DEFINE_ABOVE_INT(above_i32, int32_t, int64_t)
DEFINE_ABOVE_FP(above_u64, uint64_t)
DEFINE_ABOVE_FP(above_i64, int64_t)
DEFINE_ABOVE_FP(above_f32, float)
DEFINE_ABOVE_FP(above_f64, double)
#undef DEFINE_BINS
#undef DEFINE_ABOVE_INT
#undef DEFINE_ABOVE_FP

/* The integer t with (v > t) == (v > noise) for every integer v of up to
 * 32 bits: floor(noise), clamped; NaN (nothing is above it) maps to the
 * largest. */
static int64_t int_threshold(double noise)
{
    if (isnan(noise) || noise >= 0x1p62)
        return INT64_MAX;
    if (noise < -0x1p62)
        return INT64_MIN;
    return (int64_t)floor(noise);
}

static int32_t int32_threshold(double noise)
{
    int64_t t = int_threshold(noise);
    return t > INT32_MAX ? INT32_MAX : t < INT32_MIN ? INT32_MIN : (int32_t)t;
}

/* TIC and base peak of integers in integer arithmetic: every partial sum
 * stays below 2^53 (32-bit types only while n < 2^21, see summary_add), so
 * the result equals the double sum in order exactly, and the maximum of
 * the integers converts to the maximum of the doubles. No serial chain of
 * double additions (4 cycles each), which made this the main thread's
 * hot spot. */
#define TOTAL_INT(type, acc)                                                                       \
    do {                                                                                           \
        const type *in = values;                                                                   \
        acc t = 0, tl[LANES] = {0};                                                                \
        type hi = in[0], hl[LANES];                                                                \
        for (size_t j = 0; j < LANES; j++)                                                         \
            hl[j] = hi;                                                                            \
        uint64_t k = 0;                                                                            \
        /* one accumulator per lane: integer sums in any order are exact */                        \
        for (; k + LANES <= n; k += LANES)                                                         \
            for (size_t j = 0; j < LANES; j++) {                                                   \
                tl[j] += (acc)in[k + j];                                                           \
                hl[j] = in[k + j] > hl[j] ? in[k + j] : hl[j];                                     \
            }                                                                                      \
        for (size_t j = 0; j < LANES; j++) {                                                       \
            t += tl[j];                                                                            \
            hi = hl[j] > hi ? hl[j] : hi;                                                          \
        }                                                                                          \
        for (; k < n; k++) {                                                                       \
            t += (acc)in[k];                                                                       \
            hi = in[k] > hi ? in[k] : hi;                                                          \
        }                                                                                          \
        total = (double)t;                                                                         \
        top = (double)hi;                                                                          \
    } while (0)

/* The same in double, in order (floating-point sums depend on it). */
#define TOTAL_FP(type)                                                                             \
    do {                                                                                           \
        const type *in = values;                                                                   \
        top = (double)in[0];                                                                       \
        for (uint64_t k = 0; k < n; k++) {                                                         \
            double value = (double)in[k];                                                          \
            total += value;                                                                        \
            top = value > top ? value : top;                                                       \
        }                                                                                          \
    } while (0)

double omsi_summary_add(omsi_summary *s, uint64_t x, uint64_t y, const void *values)
{
    uint64_t n = s->nz;
    if (x >= s->nx || y >= s->ny || n == 0)
        return 0;
    size_t m = n < NOISE_SAMPLES ? (size_t)n : NOISE_SAMPLES;
    bool small = n < (UINT64_C(1) << 21);
    double total = 0, top = 0, noise = 0;
    /* Loops per element type over the values as they are (no copy): the
     * summaries must stay a few per cent of a conversion. */
    double *restrict sum = s->sum, *restrict max = s->max;
    uint32_t *restrict above = s->above;
#define SAMPLE(type)                                                                               \
    do {                                                                                           \
        const type *in = values;                                                                   \
        for (size_t i = 0; i < m; i++)                                                             \
            s->scratch[i] = (double)in[(uint64_t)i * n / m];                                       \
        noise = noise_of_sample(s->scratch, m);                                                    \
    } while (0)
    switch (s->dtype) {
    case OMSI_DT_UINT8:
        SAMPLE(uint8_t);
        TOTAL_INT(uint8_t, uint64_t);
        bins_u8(values, n, sum, max);
        above_u8(values, n, int32_threshold(noise), above);
        break;
    case OMSI_DT_INT8:
        SAMPLE(int8_t);
        TOTAL_INT(int8_t, int64_t);
        bins_i8(values, n, sum, max);
        above_i8(values, n, int32_threshold(noise), above);
        break;
    case OMSI_DT_UINT16:
        SAMPLE(uint16_t);
        TOTAL_INT(uint16_t, uint64_t);
        bins_u16(values, n, sum, max);
        above_u16(values, n, int32_threshold(noise), above);
        break;
    case OMSI_DT_INT16:
        SAMPLE(int16_t);
        TOTAL_INT(int16_t, int64_t);
        bins_i16(values, n, sum, max);
        above_i16(values, n, int32_threshold(noise), above);
        break;
    case OMSI_DT_UINT32:
        SAMPLE(uint32_t);
        if (small)
            TOTAL_INT(uint32_t, uint64_t);
        else
            TOTAL_FP(uint32_t);
        bins_u32(values, n, sum, max);
        above_u32(values, n, int_threshold(noise), above);
        break;
    case OMSI_DT_INT32:
        SAMPLE(int32_t);
        if (small)
            TOTAL_INT(int32_t, int64_t);
        else
            TOTAL_FP(int32_t);
        bins_i32(values, n, sum, max);
        above_i32(values, n, int_threshold(noise), above);
        break;
    case OMSI_DT_UINT64:
        SAMPLE(uint64_t);
        TOTAL_FP(uint64_t);
        bins_u64(values, n, sum, max);
        above_u64(values, n, noise, above);
        break;
    case OMSI_DT_INT64:
        SAMPLE(int64_t);
        TOTAL_FP(int64_t);
        bins_i64(values, n, sum, max);
        above_i64(values, n, noise, above);
        break;
    case OMSI_DT_FLOAT32:
        SAMPLE(float);
        TOTAL_FP(float);
        bins_f32(values, n, sum, max);
        above_f32(values, n, noise, above);
        break;
    case OMSI_DT_FLOAT64:
        SAMPLE(double);
        TOTAL_FP(double);
        bins_f64(values, n, sum, max);
        above_f64(values, n, noise, above);
        break;
    }
#undef SAMPLE
    s->tic[x * s->ny + y] = total;
    s->base_peak[x * s->ny + y] = top;
    s->spectra++;
    return total;
}

#undef TOTAL_INT
#undef TOTAL_FP

static int by_intensity_desc(const void *a, const void *b)
{
    const omsi_peak *p = a, *q = b;
    return p->intensity > q->intensity ? -1 : p->intensity < q->intensity ? 1 : (p->bin > q->bin) - (p->bin < q->bin);
}

static int by_mz(const void *a, const void *b)
{
    const omsi_peak *p = a, *q = b;
    return (p->bin > q->bin) - (p->bin < q->bin);
}

/* The mean spectrum's baseline and noise, bin by bin: the median and the
 * MAD (x 1.4826) of blocks of BLOCK bins, interpolated linearly between the
 * blocks' centres. Peaks a few bins wide do not move a block's median, and
 * a baseline that falls along m/z (as real ones do) is followed. */
enum { BLOCK = 64 };

static void baseline_and_noise(const double *v, uint64_t n, double *base, double *noise)
{
    uint64_t blocks = (n + BLOCK - 1) / BLOCK;
    double tmp[BLOCK];
    /* First pass: each block's median and MAD, stored at its first bin. */
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t lo = b * BLOCK, m = n - lo < BLOCK ? n - lo : BLOCK;
        memcpy(tmp, v + lo, (size_t)m * sizeof *tmp);
        qsort(tmp, (size_t)m, sizeof *tmp, compare_doubles);
        double med = median_sorted(tmp, (size_t)m);
        for (uint64_t i = 0; i < m; i++)
            tmp[i] = fabs(v[lo + i] - med);
        qsort(tmp, (size_t)m, sizeof *tmp, compare_doubles);
        base[lo] = med;
        noise[lo] = 1.4826 * median_sorted(tmp, (size_t)m);
    }
    /* Second pass, from the right so each block's values are still there. */
    for (uint64_t b = blocks; b-- > 0;) {
        uint64_t lo = b * BLOCK, m = n - lo < BLOCK ? n - lo : BLOCK;
        double centre = lo + (m - 1) / 2.0, med = base[lo], mad = noise[lo];
        bool has_next = b + 1 < blocks;
        uint64_t nlo = (b + 1) * BLOCK;
        double nm = has_next ? base[nlo] : med, nn = has_next ? noise[nlo] : mad;
        double ncentre = has_next ? nlo + ((n - nlo < BLOCK ? n - nlo : BLOCK) - 1) / 2.0 : centre;
        for (uint64_t i = 0; i < m; i++) {
            double k = (double)(lo + i), t = 0;
            if (k > centre && has_next)
                t = (k - centre) / (ncentre - centre);
            base[lo + i] = med + t * (nm - med);
            noise[lo + i] = mad + t * (nn - mad);
        }
        /* Bins left of the first centre keep the first block's values. */
    }
}

int omsi_summary_peaks(const omsi_summary *s, const double *mz, size_t max_peaks, omsi_peak **out,
                       size_t *n_out, omsi_error *err)
{
    *out = NULL;
    *n_out = 0;
    uint64_t nz = s->nz;
    if (s->spectra == 0 || nz < 3)
        return 0;
    double *mean = malloc(nz * sizeof *mean), *base = malloc(nz * sizeof *base),
           *noise = malloc(nz * sizeof *noise);
    omsi_peak *peaks = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (!mean || !base || !noise) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for the peak list");
        goto done;
    }
    for (uint64_t k = 0; k < nz; k++)
        mean[k] = s->sum[k] / (double)s->spectra;
    baseline_and_noise(mean, nz, base, noise);
    for (uint64_t k = 1; k + 1 < nz; k++) {
        double a = mean[k - 1], b = mean[k], c = mean[k + 1];
        /* A local maximum standing 5 noise levels above the baseline. */
        if (!(b > a && b >= c && b - base[k] > 5 * noise[k] && b > base[k]))
            continue;
        if (n == cap) {
            size_t grow = cap ? 2 * cap : 64;
            omsi_peak *p = realloc(peaks, grow * sizeof *p);
            if (!p) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for the peak list");
                goto done;
            }
            peaks = p;
            cap = grow;
        }
        /* A Gaussian through the three points: its apex between the bins. */
        double delta = 0;
        if (a > 0 && c > 0) {
            double la = log(a), lb = log(b), lc = log(c), d = la - 2 * lb + lc;
            if (d < 0)
                delta = 0.5 * (la - lc) / d;
        }
        if (delta > 0.5)
            delta = 0.5;
        if (delta < -0.5)
            delta = -0.5;
        double step = delta >= 0 ? mz[k + 1] - mz[k] : mz[k] - mz[k - 1];
        peaks[n++] = (omsi_peak){.mz = mz[k] + delta * step,
                                 .intensity = b,
                                 .coverage = (double)s->above[k] / (double)s->spectra,
                                 .bin = k};
    }
    if (n > max_peaks) {
        qsort(peaks, n, sizeof *peaks, by_intensity_desc);
        n = max_peaks;
    }
    if (n > 1)
        qsort(peaks, n, sizeof *peaks, by_mz);
    *out = peaks;
    *n_out = n;
    peaks = NULL;
done:
    free(peaks);
    free(mean);
    free(base);
    free(noise);
    return rc;
}
