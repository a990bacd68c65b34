/* libdeflate levels 1-6 (and zlib's level 4, what HDF5's own filter and
 * `gzip -4` use) on realistic-ish int16 MSI content, chunk by chunk as the
 * writer compresses it: ratio and single-thread MB/s per level. Content:
 * a seeded Poisson baseline falling from ~11 to ~1 counts along m/z on a
 * tissue ellipse (0.15x outside), plus 300 Gaussian peaks 0.7-2.2 bins wide,
 * 2-9000 counts high, whose abundance varies over the image (as omsi-gen
 * --content realistic on branch realistic) (real spectra compress 3-6x; omsi-gen's closed-form
 * content compresses far more and makes compression look free).
 *   bench/bench_deflate_levels [MB of content, default 256] */
#include <libdeflate.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double uniform(uint64_t *s) { return (double)(rng(s) >> 11) / 9007199254740992.0; }

static int poisson(uint64_t *s, double mean)
{
    if (mean > 30) { /* normal approximation */
        double u = uniform(s) + 1e-12, v = uniform(s);
        double g = sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
        double x = mean + sqrt(mean) * g;
        return x < 0 ? 0 : (int)(x + 0.5);
    }
    double l = exp(-mean), p = 1;
    int k = 0;
    do {
        k++;
        p *= uniform(s);
    } while (p > l);
    return k - 1;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 256;
    const size_t nz = 32768, chunk = nz * 2; /* one auto spectrum chunk: 64 KiB */
    size_t n_spectra = mb * 1048576 / chunk;
    int16_t *cube = malloc(n_spectra * chunk);
    enum { PEAKS = 300 };
    double centre[PEAKS], width[PEAKS], height[PEAKS];
    uint64_t seed = 12345;
    for (int i = 0; i < PEAKS; i++) {
        centre[i] = uniform(&seed) * nz;
        width[i] = 0.7 + uniform(&seed) * 1.5;
        height[i] = 2 + 9000 * pow(uniform(&seed), 4);
    }
    for (size_t sp = 0; sp < n_spectra; sp++) {
        int16_t *v = cube + sp * nz;
        double px = (double)(sp % 100) / 100, py = (double)(sp / 100 % 100) / 100;
        /* tissue: an ellipse of full signal on a faint background */
        double dx = (px - 0.5) / 0.4, dy = (py - 0.5) / 0.3;
        double tissue = dx * dx + dy * dy < 1 ? 1 : 0.15;
        for (size_t k = 0; k < nz; k++)
            v[k] = (int16_t)poisson(&seed, tissue * (1 + 10 * exp(-3.0 * k / nz)));
        for (int i = 0; i < PEAKS; i++) {
            double a = tissue * height[i] * (0.5 + 0.5 * sin(6.28 * (px * (i % 7) + py * (i % 5)) + i));
            long lo = (long)(centre[i] - 4 * width[i]), hi = (long)(centre[i] + 4 * width[i]);
            for (long k = lo < 0 ? 0 : lo; k <= hi && k < (long)nz; k++) {
                double d = (k - centre[i]) / width[i];
                v[k] = (int16_t)(v[k] + poisson(&seed, a * exp(-0.5 * d * d)));
            }
        }
    }
    size_t bytes = n_spectra * chunk;
    unsigned char *out = malloc(chunk * 2 + 1024);
    printf("content: %zu spectra x %zu int16 = %.0f MB, 64 KiB chunks\n", n_spectra, nz, bytes / 1e6);
    printf("%-12s %8s %10s\n", "compressor", "ratio", "MB/s");
    double ratio4 = 0, ratios[7] = {0};
    for (int level = 1; level <= 6; level++) {
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
        double t0 = now();
        size_t total = 0;
        for (size_t sp = 0; sp < n_spectra; sp++)
            total += libdeflate_zlib_compress(c, cube + sp * nz, chunk, out, chunk * 2 + 1024);
        double t = now() - t0;
        ratios[level] = (double)bytes / total;
        if (level == 4)
            ratio4 = ratios[level];
        printf("libdeflate %d %8.3f %10.1f\n", level, ratios[level], bytes / 1e6 / t);
        libdeflate_free_compressor(c);
    }
    for (int level = 1; level <= 6; level++)
        printf("level %d keeps %.1f %% of level 4's ratio\n", level, 100 * ratios[level] / ratio4);
    double t0 = now();
    size_t total = 0;
    for (size_t sp = 0; sp < n_spectra; sp++) {
        uLongf n = chunk * 2 + 1024;
        compress2(out, &n, (const Bytef *)(cube + sp * nz), chunk, 4);
        total += n;
    }
    double t = now() - t0;
    printf("zlib 4       %8.3f %10.1f\n", (double)bytes / total, bytes / 1e6 / t);
    free(out);
    free(cube);
    return 0;
}
