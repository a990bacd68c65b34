/* The compressor's own limit: one thread compressing a file with libdeflate
 * (zlib format, as HDF5's deflate filter stores it) in blocks of a chunk's
 * size, so omsi-convert's throughput can be put beside it.
 *
 *   bench_deflate FILE LEVEL [BLOCK_BYTES]    prints "MB/s ratio" */
#include <libdeflate.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fputs("usage: bench_deflate FILE LEVEL [BLOCK_BYTES]\n", stderr);
        return 2;
    }
    int level = atoi(argv[2]);
    size_t block = argc == 4 ? strtoull(argv[3], NULL, 10) : (size_t)1 << 20;
    if (level < 0 || level > 12 || block == 0) {
        fputs("bench_deflate: LEVEL 0-12, BLOCK_BYTES > 0\n", stderr);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t bound = c ? libdeflate_zlib_compress_bound(c, block) : 0;
    unsigned char *in = malloc(block), *out = malloc(bound ? bound : 1);
    int status = 1;
    if (!f || !c || !in || !out) {
        perror(argv[1]);
        goto done;
    }
    double busy = 0;
    unsigned long long total_in = 0, total_out = 0;
    size_t n;
    while ((n = fread(in, 1, block, f)) > 0) {
        double t0 = seconds(); /* compression only: the read is cat's business */
        size_t m = libdeflate_zlib_compress(c, in, n, out, bound);
        busy += seconds() - t0;
        total_in += n;
        total_out += m;
    }
    printf("%.1f %.3f\n", busy > 0 ? (double)total_in / busy / 1e6 : 0.0,
           total_out ? (double)total_in / (double)total_out : 0.0);
    status = 0;
done:
    if (f)
        fclose(f);
    libdeflate_free_compressor(c);
    free(in);
    free(out);
    return status;
}
