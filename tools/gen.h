/* Fixture generators: write datasets of every input format whose content is
 * known in closed form, for tests, benchmarks and the demo. Never copies of
 * the shared corpus. */
#ifndef OMSI_GEN_H
#define OMSI_GEN_H

#include "readers/reader.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct omsi_gen_params {
    uint64_t nx, ny, nz;   /* grid and m/z bins (per spectrum) */
    omsi_dtype dtype;      /* intensity type where the format allows a choice */
    bool big_endian;       /* Analyze / Bruker fid byte order */
    uint32_t seed;         /* varies the content */
    /* Format-specific switches, comma-separated, documented by each generator
     * (e.g. "processed", "missing=3", "regions=3", "scantypes=3"). */
    const char *variant;
} omsi_gen_params;

omsi_gen_params omsi_gen_params_default(void);

/* The known content: intensity of pixel (x, y) (0-based grid position) at
 * bin k, an integer 0..250 for every format (exactly representable in every
 * type, so tests can compare exactly). */
double omsi_gen_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k);
/* The known m/z axis: bin k of nz, strictly increasing, 100..1000-ish. */
double omsi_gen_mz(const omsi_gen_params *p, uint64_t k);

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
