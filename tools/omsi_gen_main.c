/* omsi-gen: write generated datasets of known content (tests, bench, demo). */
#include "config.h"

#include "tools/gen.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-gen FORMAT DIR [options]\n"
    "\n"
    "Write one generated dataset of known content into DIR. FORMAT is one of\n"
    "img, imzml, mzml, brukerflex. m/z of bin k is 100 + 0.5k. Intensity of\n"
    "pixel (x, y) at bin k depends on --content:\n"
    "  closed     (31x + 17y + 7k + 13*seed) mod 251 (default; compresses 60-200x)\n"
    "  realistic  like real MSI data: Poisson counts over a baseline whose mean\n"
    "             falls from ~11 to ~1 along m/z, plus nz/13 (at most 300)\n"
    "             Gaussian peaks 0.7-2.2 bins wide, 2-9000 counts high, whose\n"
    "             abundance follows smooth regions of a tissue-like ellipse (ion\n"
    "             images); integers 0..32767 (uint8: 0..255), a pure function of\n"
    "             (seed, shape, dtype, x, y, k). gzip -4 of a 64x64x4000 cube:\n"
    "             3.5x int16/uint16, 4.9x float32, 8.8x float64; ~150 MB/s (img)\n"
    "\n"
    "Options:\n"
    "  --stem NAME        dataset name (default: gen_FORMAT)\n"
    "  --shape X Y Z      grid and m/z bins (default 4 3 50)\n"
    "  --dtype TYPE       intensity type: uint8 int16 uint16 int32 float32 float64 ...\n"
    "  --big-endian       big-endian files (Analyze, Bruker fid)\n"
    "  --seed N           vary the content (default 1)\n"
    "  --content KIND     closed (default) or realistic, see above\n"
    "  --variant LIST     format-specific switches, comma-separated\n"
    "                     (imzml: processed; mzml: scantypes=N; brukerflex: regions=N, hpc,\n"
    "                     spotlist; all: missing=N drops N pixels)\n"
    "  -h, --help, -V, --version\n"
    "\n"
    "Prints the dataset path on stdout. Exit status: 0 ok, 1 failure, 2 usage.\n";

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_dtype(const char *s, omsi_dtype *out)
{
    for (int t = OMSI_DT_UINT8; t <= OMSI_DT_FLOAT64; t++)
        if (strcmp(s, omsi_dtype_name((omsi_dtype)t)) == 0) {
            *out = (omsi_dtype)t;
            return 0;
        }
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"stem", required_argument, NULL, 's'},   {"shape", required_argument, NULL, 'S'},
        {"dtype", required_argument, NULL, 't'},  {"big-endian", no_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 'r'},   {"variant", required_argument, NULL, 'v'},
        {"content", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    omsi_gen_params p = omsi_gen_params_default();
    const char *stem = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
        switch (opt) {
        case 's': stem = optarg; break;
        case 'S':
            if (optind + 1 >= argc + 0 || parse_u64(optarg, &p.nx) ||
                parse_u64(argv[optind], &p.ny) || parse_u64(argv[optind + 1], &p.nz)) {
                fprintf(stderr, "omsi-gen: --shape needs three whole numbers X Y Z\n");
                return 2;
            }
            optind += 2;
            break;
        case 't':
            if (parse_dtype(optarg, &p.dtype)) {
                fprintf(stderr, "omsi-gen: unknown --dtype '%s'\n", optarg);
                return 2;
            }
            break;
        case 'b': p.big_endian = true; break;
        case 'r': {
            uint64_t seed;
            if (parse_u64(optarg, &seed) || seed > UINT32_MAX) {
                fprintf(stderr, "omsi-gen: --seed needs a whole number\n");
                return 2;
            }
            p.seed = (uint32_t)seed;
            break;
        }
        case 'v': p.variant = optarg; break;
        case 'c':
            if (strcmp(optarg, "closed") == 0)
                p.content = OMSI_GEN_CLOSED;
            else if (strcmp(optarg, "realistic") == 0)
                p.content = OMSI_GEN_REALISTIC;
            else {
                fprintf(stderr, "omsi-gen: --content is closed or realistic, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': printf("omsi-gen %s\n", PACKAGE_VERSION); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *format = argv[optind], *dir = argv[optind + 1];
    static const struct {
        const char *name;
        int (*fn)(const char *, const char *, const omsi_gen_params *, char **, omsi_error *);
    } gens[] = {{"img", omsi_gen_img},
                {"imzml", omsi_gen_imzml},
                {"mzml", omsi_gen_mzml},
                {"brukerflex", omsi_gen_bruker_flex},
                {"bruckerflex", omsi_gen_bruker_flex}};
    for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++) {
        if (strcmp(format, gens[i].name) != 0)
            continue;
        char default_stem[64];
        snprintf(default_stem, sizeof default_stem, "gen_%s", gens[i].name);
        omsi_error err = {0};
        char *path = NULL;
        if (gens[i].fn(dir, stem ? stem : default_stem, &p, &path, &err)) {
            fprintf(stderr, "omsi-gen: %s\n", err.message);
            return 1;
        }
        printf("%s\n", path ? path : dir);
        free(path);
        return 0;
    }
    fprintf(stderr, "omsi-gen: unknown format '%s'\n", format);
    return 2;
}
