/* Fixture generators: write datasets of every input format whose content is
 * known in closed form (or, with realistic content, recomputable from the
 * seed), for tests, benchmarks and the demo. Never copies of the shared
 * corpus. */
#ifndef OMSI_GEN_H
#define OMSI_GEN_H

#include "readers/reader.h"

#include <stdbool.h>
#include <stdint.h>

/* What the intensities look like. */
typedef enum omsi_gen_content {
    OMSI_GEN_CLOSED = 0, /* (31x + 17y + 7k + 13 seed) mod 251: exact, compresses 60-200x */
    OMSI_GEN_REALISTIC   /* Poisson baseline + Gaussian peaks with smooth ion images:
                          * compresses like real MSI data (gzip about 3-6x) */
} omsi_gen_content;

typedef struct omsi_gen_params {
    uint64_t nx, ny, nz;   /* grid and m/z bins (per spectrum) */
    omsi_dtype dtype;      /* intensity type where the format allows a choice */
    bool big_endian;       /* Analyze / Bruker fid byte order */
    uint32_t seed;         /* varies the content */
    omsi_gen_content content;
    /* Format-specific switches, comma-separated, documented by each generator
     * (e.g. "processed", "missing=3", "regions=3", "scantypes=3"). */
    const char *variant;
} omsi_gen_params;

omsi_gen_params omsi_gen_params_default(void);

/* The known content: intensity of pixel (x, y) (0-based grid position) at
 * bin k, a non-negative integer exactly representable in every type, so
 * tests can compare exactly: 0..250 for closed content; for realistic
 * content 0..32767 (0..255 for uint8), a pure function of (p->seed, p->nx,
 * p->ny, p->nz, p->dtype, x, y, k). Realistic values cost microseconds each
 * here; writers use omsi_gen_spectrum. */
double omsi_gen_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k);
/* The known m/z axis: bin k of nz, strictly increasing, 100..1000-ish. */
double omsi_gen_mz(const omsi_gen_params *p, uint64_t k);

/* The Gaussian peaks of realistic content (none for closed content): the
 * centre (a fractional bin: m/z = omsi_gen_mz at that position, the axis
 * being linear), width and height before the spatial abundance. Fills at
 * most max entries; returns how many peaks there are. */
typedef struct omsi_gen_peak {
    double center_bin, sigma_bins, height;
} omsi_gen_peak;
size_t omsi_gen_peaks(const omsi_gen_params *p, omsi_gen_peak *out, size_t max);

/* Tables that make a whole spectrum cheap (peak profiles, Poisson CDFs),
 * built once per dataset; they keep a copy of *p (variant borrowed). */
typedef struct omsi_gen_tables omsi_gen_tables;
int omsi_gen_tables_new(const omsi_gen_params *p, omsi_gen_tables **out, omsi_error *err);
void omsi_gen_tables_free(omsi_gen_tables *t);
/* out[k] = omsi_gen_intensity(p, x, y, k) for k < n, bit for bit (n may
 * exceed p->nz; those bins take the slow path). */
void omsi_gen_spectrum(const omsi_gen_tables *t, uint64_t x, uint64_t y, uint64_t n, double *out);

/* The Bruker "hpc" variant's high-precision calibration: range and
 * coefficients c_0..c_3 (a correction of a few 10 ppm inside the range). */
#define OMSI_GEN_HPC_LO 240.0
#define OMSI_GEN_HPC_HI 300.0
#define OMSI_GEN_HPC_COEFFS "0.004 2.5e-05 1e-08 -1.5e-11"

/* Each writes one dataset named stem into dir (created if missing) and
 * returns the path to hand to a reader in *dataset_path (malloc'ed) when
 * dataset_path is not NULL. */
int omsi_gen_img(const char *dir, const char *stem, const omsi_gen_params *p,
                 char **dataset_path, omsi_error *err);
int omsi_gen_imzml(const char *dir, const char *stem, const omsi_gen_params *p,
                   char **dataset_path, omsi_error *err);
int omsi_gen_mzml(const char *dir, const char *stem, const omsi_gen_params *p,
                  char **dataset_path, omsi_error *err);
int omsi_gen_bruker_flex(const char *dir, const char *stem, const omsi_gen_params *p,
                         char **dataset_path, omsi_error *err);

/* Variant switches: true when the comma-separated list holds name or
 * name=VALUE; *value (may be NULL) gets VALUE, or default_value without one. */
bool omsi_gen_variant(const omsi_gen_params *p, const char *name, long default_value,
                      long *value);

/* Writes len bytes to dir/name (created/truncated). */
int omsi_gen_write_file(const char *dir, const char *name, const void *data, size_t len,
                        omsi_error *err);

/* mkdir -p */
int omsi_gen_mkdirs(const char *dir, omsi_error *err);

#endif
