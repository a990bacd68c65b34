#include "tools/gen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

omsi_gen_params omsi_gen_params_default(void)
{
    omsi_gen_params p = {.nx = 4, .ny = 3, .nz = 50, .dtype = OMSI_DT_FLOAT32, .seed = 1};
    return p;
}

static double closed_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k)
{
    return (double)((x * 31 + y * 17 + k * 7 + p->seed * 13) % 251);
}

/* ---- Realistic content ------------------------------------------------
 * lambda(x, y, k) = baseline(k) * scale(x, y) + sum_j amp_j(x, y) * g_j(k),
 * value = Poisson(lambda) drawn by inversion from a counter-based hash of
 * (seed, x, y, k), so any value is recomputable without generating the
 * rest. g_j are Gaussians of a few bins (position, width, height fixed per
 * seed); amp_j follows one of a few smooth spatial templates (a tissue
 * ellipse, blobs inside it, a gradient), so ion images look like regions.
 * The fast path (omsi_gen_spectrum) evaluates the same expressions in the
 * same order from tables, hence gives the same doubles. */

enum {
    RL_MAX_PEAKS = 300,
    RL_TEMPLATES = 6,
    RL_LEVELS = 512,       /* Poisson tables for lambda < 32 in steps of 1/16 */
    RL_LEVEL_SCALE = 16,
    RL_KMAX = 96,          /* P(X >= 96 | lambda < 32) < 1e-15 */
    RL_GUIDE_BITS = 8,     /* guide table: where to start the CDF walk */
    RL_Z_BITS = 12,        /* normal quantiles for lambda >= 32 */
};

typedef struct rl_peak {
    double center, sigma, height, floor;
    int templ;
    uint64_t lo, hi; /* bins where the Gaussian is evaluated (+-4 sigma) */
} rl_peak;

static uint64_t mix64(uint64_t z)
{
    /* splitmix64 finalizer */
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
    return mix64(mix64(mix64(a) ^ b) ^ c);
}

/* Uniform in [0, 1) from the top 53 bits. */
static double unit(uint64_t h) { return (double)(h >> 11) * (1.0 / 9007199254740992.0); }

static uint64_t value_hash(uint64_t pixel, uint64_t k) { return mix64(pixel ^ (k * 0xd1b54a32d192ed03u)); }

static uint64_t pixel_hash(const omsi_gen_params *p, uint64_t x, uint64_t y)
{
    return hash3((uint64_t)p->seed ^ 0x706978656cu, x, y);
}

static unsigned rl_npeaks(const omsi_gen_params *p)
{
    uint64_t n = p->nz / 13;
    return n < 1 ? 1 : n > RL_MAX_PEAKS ? RL_MAX_PEAKS : (unsigned)n;
}

static double rl_max_value(omsi_dtype t)
{
    return t == OMSI_DT_UINT8 ? 255.0 : t == OMSI_DT_INT8 ? 127.0 : 32767.0;
}

/* Mean baseline before the spatial scale (0.4 .. 1): ~11 counts at low m/z
 * falling to ~1 at high m/z. */
static double rl_baseline(const omsi_gen_params *p, uint64_t k)
{
    return 0.7 + 10.0 * exp(-6.0 * (double)k / (double)p->nz);
}

/* Position and width only (enough to know whether bin k is inside). */
static void rl_peak_window(const omsi_gen_params *p, unsigned j, rl_peak *pk)
{
    uint64_t salt = (uint64_t)p->seed ^ 0x7065616b00000000u;
    pk->center = (0.01 + 0.98 * unit(hash3(salt, j, 0))) * (double)p->nz;
    pk->sigma = 0.7 + 1.5 * unit(hash3(salt, j, 1));
    double lo = ceil(pk->center - 4.0 * pk->sigma), hi = floor(pk->center + 4.0 * pk->sigma);
    pk->lo = lo < 0 ? 0 : (uint64_t)lo;
    pk->hi = hi < 0 ? 0 : (uint64_t)hi;
}

static void rl_peak_rest(const omsi_gen_params *p, unsigned j, rl_peak *pk)
{
    uint64_t salt = (uint64_t)p->seed ^ 0x7065616b00000000u;
    double u = unit(hash3(salt, j, 2));
    /* mostly small peaks, a few tall ones: 2 .. ~9000 counts */
    pk->height = 2.0 * exp(u * u * u * u * u * u * 8.4);
    pk->templ = (int)(unit(hash3(salt, j, 3)) * RL_TEMPLATES);
    pk->floor = 0.02 + 0.2 * unit(hash3(salt, j, 4));
}

static double rl_gauss(const rl_peak *pk, uint64_t k)
{
    double d = ((double)k - pk->center) / pk->sigma;
    return exp(-0.5 * d * d);
}

static double rl_blob(double u, double v, double cu, double cv, double r)
{
    double du = (u - cu) / r, dv = (v - cv) / r;
    return exp(-0.5 * (du * du + dv * dv));
}

/* Spatial templates at pixel (x, y), each 0..1; r[RL_TEMPLATES] is the
 * baseline scale. */
static void rl_templates(const omsi_gen_params *p, uint64_t x, uint64_t y, double r[RL_TEMPLATES + 1])
{
    uint64_t salt = (uint64_t)p->seed ^ 0x626c6f6200000000u;
    double u = ((double)x + 0.5) / (double)(p->nx ? p->nx : 1);
    double v = ((double)y + 0.5) / (double)(p->ny ? p->ny : 1);
    double eu = (u - 0.5) / 0.42, ev = (v - 0.5) / 0.38;
    double tissue = 1.0 / (1.0 + exp(10.0 * (eu * eu + ev * ev - 1.0)));
    double b[2];
    for (int i = 0; i < 2; i++)
        b[i] = rl_blob(u, v, 0.25 + 0.5 * unit(hash3(salt, (uint64_t)i, 0)),
                       0.25 + 0.5 * unit(hash3(salt, (uint64_t)i, 1)),
                       0.08 + 0.15 * unit(hash3(salt, (uint64_t)i, 2)));
    double angle = 6.283185307179586 * unit(hash3(salt, 2, 0));
    double grad = 0.5 + 0.5 * ((u - 0.5) * cos(angle) + (v - 0.5) * sin(angle)) / 0.7071067811865476;
    r[0] = 1.0; /* matrix / ubiquitous ions */
    r[1] = tissue;
    r[2] = tissue * b[0];
    r[3] = tissue * b[1];
    r[4] = tissue * grad;
    r[5] = tissue * (1.0 - b[0]);
    r[RL_TEMPLATES] = 0.4 + 0.6 * tissue;
}

static double rl_amp(const rl_peak *pk, const double r[RL_TEMPLATES + 1])
{
    return pk->height * (pk->floor + (1.0 - pk->floor) * r[pk->templ]);
}

/* Cumulative Poisson probabilities of table level q as 32-bit thresholds:
 * the value is the first i with u < t[i] (t[RL_KMAX - 1] catches all). */
static void rl_level(int q, uint32_t t[RL_KMAX])
{
    double lambda = (double)q / RL_LEVEL_SCALE, pmf = exp(-lambda), cdf = 0;
    for (int i = 0; i < RL_KMAX; i++) {
        if (i)
            pmf *= lambda / i;
        cdf += pmf;
        double s = floor(cdf * 4294967296.0);
        t[i] = s >= 4294967295.0 ? UINT32_MAX : (uint32_t)s;
    }
    t[RL_KMAX - 1] = UINT32_MAX;
}

/* Standard normal quantile of (i + 0.5) / 2^RL_Z_BITS by bisection on erfc. */
static double rl_z(unsigned i)
{
    double prob = ((double)i + 0.5) / (double)(1u << RL_Z_BITS), lo = -10, hi = 10;
    for (int it = 0; it < 64; it++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / 1.4142135623730951) < prob)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static int rl_level_of(double lambda) { return (int)(lambda * RL_LEVEL_SCALE + 0.5); }

/* Small lambda: the first i with u < t[i], walking from candidate i. */
static inline double rl_small(const uint32_t *t, unsigned i, uint32_t u)
{
    while (i < RL_KMAX - 1 && u >= t[i])
        i++;
    return (double)i;
}

/* Large lambda: normal approximation, rounded (the sum is >= 0 for lambda
 * >= 32 and |z| < 4, so truncation is floor; clamped anyway). */
static inline double rl_large(double lambda, double z)
{
    double s = lambda + sqrt(lambda) * z + 0.5;
    return s < 1 ? 0 : (double)(int64_t)s;
}

static double rl_draw_slow(double lambda, uint64_t h, double max)
{
    int q = rl_level_of(lambda);
    double v;
    if (q < RL_LEVELS) {
        uint32_t t[RL_KMAX];
        rl_level(q, t);
        v = rl_small(t, 0, (uint32_t)(h >> 32));
    } else {
        v = rl_large(lambda, rl_z((unsigned)(h >> (64 - RL_Z_BITS))));
    }
    return v > max ? max : v;
}

static double realistic_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k)
{
    double r[RL_TEMPLATES + 1];
    rl_templates(p, x, y, r);
    double lambda = rl_baseline(p, k) * r[RL_TEMPLATES];
    unsigned n = rl_npeaks(p);
    for (unsigned j = 0; j < n; j++) {
        rl_peak pk;
        rl_peak_window(p, j, &pk);
        if (k < pk.lo || k > pk.hi)
            continue;
        rl_peak_rest(p, j, &pk);
        lambda += rl_amp(&pk, r) * rl_gauss(&pk, k);
    }
    return rl_draw_slow(lambda, value_hash(pixel_hash(p, x, y), k), rl_max_value(p->dtype));
}

double omsi_gen_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k)
{
    if (p->content == OMSI_GEN_REALISTIC)
        return realistic_intensity(p, x, y, k);
    return closed_intensity(p, x, y, k);
}

struct omsi_gen_tables {
    omsi_gen_params p;
    unsigned npeaks;
    rl_peak *peaks;
    double **profile; /* profile[j][k - lo] = rl_gauss for lo <= k <= min(hi, nz - 1) */
    double *baseline; /* [nz] */
    uint32_t *cdf;    /* [RL_LEVELS][RL_KMAX] */
    uint8_t *guide;   /* [RL_LEVELS][2^RL_GUIDE_BITS]: first candidate for u's top bits */
    double *z;        /* [2^RL_Z_BITS] */
};

void omsi_gen_tables_free(omsi_gen_tables *t)
{
    if (!t)
        return;
    if (t->profile)
        for (unsigned j = 0; j < t->npeaks; j++)
            free(t->profile[j]);
    free(t->profile);
    free(t->peaks);
    free(t->baseline);
    free(t->cdf);
    free(t->guide);
    free(t->z);
    free(t);
}

int omsi_gen_tables_new(const omsi_gen_params *p, omsi_gen_tables **out, omsi_error *err)
{
    *out = NULL;
    omsi_gen_tables *t = calloc(1, sizeof *t);
    if (!t)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    t->p = *p;
    if (p->content != OMSI_GEN_REALISTIC) {
        *out = t;
        return 0;
    }
    t->npeaks = rl_npeaks(p);
    size_t nz = (size_t)p->nz;
    t->peaks = calloc(t->npeaks, sizeof *t->peaks);
    t->profile = calloc(t->npeaks, sizeof *t->profile);
    t->baseline = malloc((nz ? nz : 1) * sizeof *t->baseline);
    t->cdf = malloc((size_t)RL_LEVELS * RL_KMAX * sizeof *t->cdf);
    t->guide = malloc((size_t)RL_LEVELS << RL_GUIDE_BITS);
    t->z = malloc(((size_t)1 << RL_Z_BITS) * sizeof *t->z);
    if (!t->peaks || !t->profile || !t->baseline || !t->cdf || !t->guide || !t->z)
        goto nomem;
    for (unsigned j = 0; j < t->npeaks; j++) {
        rl_peak *pk = &t->peaks[j];
        rl_peak_window(p, j, pk);
        rl_peak_rest(p, j, pk);
        if (pk->lo >= p->nz)
            continue; /* entirely beyond the axis: profile stays NULL */
        uint64_t hi = pk->hi < p->nz ? pk->hi : p->nz - 1;
        if (!(t->profile[j] = malloc((size_t)(hi - pk->lo + 1) * sizeof(double))))
            goto nomem;
        for (uint64_t k = pk->lo; k <= hi; k++)
            t->profile[j][k - pk->lo] = rl_gauss(pk, k);
    }
    for (size_t k = 0; k < nz; k++)
        t->baseline[k] = rl_baseline(p, k);
    for (int q = 0; q < RL_LEVELS; q++) {
        uint32_t *lvl = t->cdf + (size_t)q * RL_KMAX;
        rl_level(q, lvl);
        int i = 0;
        for (unsigned g = 0; g < (1u << RL_GUIDE_BITS); g++) {
            /* every u in bucket g is >= g << shift, so thresholds <= that are skipped */
            while (i < RL_KMAX - 1 && lvl[i] <= ((uint32_t)g << (32 - RL_GUIDE_BITS)))
                i++;
            t->guide[((size_t)q << RL_GUIDE_BITS) + g] = (uint8_t)i;
        }
    }
    for (unsigned i = 0; i < (1u << RL_Z_BITS); i++)
        t->z[i] = rl_z(i);
    *out = t;
    return 0;
nomem:
    omsi_gen_tables_free(t);
    return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
}

void omsi_gen_spectrum(const omsi_gen_tables *t, uint64_t x, uint64_t y, uint64_t n, double *out)
{
    const omsi_gen_params *p = &t->p;
    if (p->content != OMSI_GEN_REALISTIC) {
        for (uint64_t k = 0; k < n; k++)
            out[k] = closed_intensity(p, x, y, k);
        return;
    }
    uint64_t m = n < p->nz ? n : p->nz;
    double r[RL_TEMPLATES + 1];
    rl_templates(p, x, y, r);
    for (uint64_t k = 0; k < m; k++)
        out[k] = t->baseline[k] * r[RL_TEMPLATES];
    for (unsigned j = 0; j < t->npeaks; j++) {
        const rl_peak *pk = &t->peaks[j];
        if (!t->profile[j] || pk->lo >= m)
            continue;
        double amp = rl_amp(pk, r);
        uint64_t hi = pk->hi < m ? pk->hi : m - 1;
        const double *g = t->profile[j];
        for (uint64_t k = pk->lo; k <= hi; k++)
            out[k] += amp * g[k - pk->lo];
    }
    uint64_t ph = pixel_hash(p, x, y);
    double max = rl_max_value(p->dtype);
    for (uint64_t k = 0; k < m; k++) {
        /* rl_draw_slow with the tables */
        uint64_t h = value_hash(ph, k);
        int q = rl_level_of(out[k]);
        double v;
        if (q < RL_LEVELS) {
            uint32_t u = (uint32_t)(h >> 32);
            v = rl_small(t->cdf + (size_t)q * RL_KMAX, t->guide[((size_t)q << RL_GUIDE_BITS) + (u >> (32 - RL_GUIDE_BITS))], u);
        } else {
            v = rl_large(out[k], t->z[h >> (64 - RL_Z_BITS)]);
        }
        out[k] = v > max ? max : v;
    }
    for (uint64_t k = m; k < n; k++)
        out[k] = realistic_intensity(p, x, y, k);
}

double omsi_gen_mz(const omsi_gen_params *p, uint64_t k)
{
    (void)p;
    return 100.0 + 0.5 * (double)k;
}

size_t omsi_gen_peaks(const omsi_gen_params *p, omsi_gen_peak *out, size_t max)
{
    if (p->content != OMSI_GEN_REALISTIC)
        return 0;
    unsigned n = rl_npeaks(p);
    for (unsigned j = 0; j < n && j < max; j++) {
        rl_peak pk;
        rl_peak_window(p, j, &pk);
        rl_peak_rest(p, j, &pk);
        out[j].center_bin = pk.center;
        out[j].sigma_bins = pk.sigma;
        out[j].height = pk.height;
    }
    return n;
}

int omsi_gen_mkdirs(const char *dir, omsi_error *err)
{
    char *copy = strdup(dir);
    if (!copy)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = 0;
    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
                rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "mkdir %s", copy);
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return rc;
}

bool omsi_gen_variant(const omsi_gen_params *p, const char *name, long default_value,
                      long *value)
{
    size_t name_len = strlen(name);
    for (const char *s = p->variant; s && *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len >= name_len && strncmp(s, name, name_len) == 0 &&
            (len == name_len || s[name_len] == '=')) {
            if (value)
                *value = len > name_len ? strtol(s + name_len + 1, NULL, 10) : default_value;
            return true;
        }
        s = end ? end + 1 : NULL;
    }
    if (value)
        *value = default_value;
    return false;
}

int omsi_gen_write_file(const char *dir, const char *name, const void *data, size_t len,
                        omsi_error *err)
{
    char *path = omsi_path_join(dir, name);
    if (!path)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = 0;
    FILE *f = fopen(path, "wb");
    if (!f) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    } else {
        if (len && fwrite(data, 1, len, f) != len)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "write %s", path);
        if (fclose(f) != 0 && rc == 0)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "close %s", path);
    }
    free(path);
    return rc;
}
