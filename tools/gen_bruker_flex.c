/* Bruker flex fixtures: a spot folder DIR/STEM with one spot per pixel,
 * 0_R<r>X<x>Y<y>/1/1SLin/{acqu,fid}, fid int32 with omsi_gen_intensity of
 * pixel (x, y) (x, y = spot X, Y minus the origin), calibration TD = nz,
 * DELAY 10000, DW 20, ML1 2400000, ML2 280, ML3 -0.0013.
 * Variants:
 *   regions=N      pixels split into N vertical bands, region r = x * N / nx
 *   spotlist       also write DIR/STEM_spot_list.txt (flexImaging 5, named
 *                  regions "area <r> tissue"); the dataset path is the list
 *   oldlist        DIR/STEM Spot List.txt with an integer region column
 *   missing=N      pixels with (x * ny + y) % N == N - 1 have no spot folder
 *                  (still listed in a spot list)
 *   origin=N       spot X and Y start at N
 *   targets        non-imaging names 0_A1, 0_A2, ... (one per pixel, row-major)
 *   hpc            high-precision calibration ($HPClUse yes, order 3, range
 *                  OMSI_GEN_HPC_LO..HI, coefficients OMSI_GEN_HPC_COEFFS) as
 *                  readBrukerFlexData reads it
 * p->big_endian writes BYTORDA = 1 fids.
 * Broken: truncated_fid, long_fid, no_calibration, td_mismatch, lift, escape
 * (a spot folder that is a symlink out of the run). */
#include "tools/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has(const omsi_gen_params *p, const char *v) { return omsi_gen_variant(p, v, 0, NULL); }

static int write_acqu(const char *dir, const omsi_gen_params *p, uint64_t td, const char *spot, omsi_error *err)
{
    char text[4096];
    /* $NoSHOTS, $SPOTNO, $TLift and the Lift pair: readBrukerFlexData
     * (MALDIquantForeign::importBrukerFlex) reads them unconditionally */
    int n = snprintf(text, sizeof text,
                     "##TITLE= omsi-gen fixture\n##JCAMP-DX= 5.0\n##DATATYPE= CONTINUOUS MASS SPECTRUM\n"
                     "##$AQOP_m= 0\n##$BYTORDA= %d\n"
                     "##$DELAY= 10000\n##$DW= 20\n##$INSTRUM= <omsi-gen flex>\n##$ACQMETH= <generated>\n"
                     "##$NoSHOTS= 100\n##$Lift1= 0\n##$Lift2= 0\n##$TLift= 0\n"
                     "##$SPType= %d\n##$TD= %llu\n##$PATCHNO= <%s>\n##$SPOTNO= <%s>\n##$PDELAY= (0..3)\n"
                     "0 0 0 0\n",
                     p->big_endian ? 1 : 0, has(p, "lift") ? 2 : 0, (unsigned long long)td, spot, spot);
    if (has(p, "hpc")) {
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "##$HPClBHi= %.17g\n##$HPClBLo= %.17g\n##$HPClOrd= 3\n##$HPClUse= yes\n"
                      "##$HPCStr= <V1.0CHPCData  Order 3 vCoeff V1.0VectorDouble 4 %s c2 -0.046701600316874939 "
                      "c0 237.64781433281422 minMass %.17g maxMass %.17g bUse 1 endCHPCData>\n",
                      OMSI_GEN_HPC_HI, OMSI_GEN_HPC_LO, OMSI_GEN_HPC_COEFFS, OMSI_GEN_HPC_LO, OMSI_GEN_HPC_HI);
    } else {
        n += snprintf(text + n, sizeof text - (size_t)n, "##$HPClUse= no\n");
    }
    if (!has(p, "no_calibration"))
        n += snprintf(text + n, sizeof text - (size_t)n, "##$ML1= 2400000\n##$ML2= 280\n##$ML3= -0,0013\n");
    snprintf(text + n, sizeof text - (size_t)n, "##END=\n");
    return omsi_gen_write_file(dir, "acqu", text, strlen(text), err);
}

static int write_fid(const char *dir, const omsi_gen_params *p, const omsi_gen_tables *tables, uint64_t x,
                     uint64_t y, uint64_t td, omsi_error *err)
{
    size_t n = (size_t)td * 4;
    unsigned char *buf = malloc(n + 4);
    double *values = malloc((size_t)td * sizeof *values + 1);
    if (!buf || !values) {
        free(buf);
        free(values);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    omsi_gen_spectrum(tables, x, y, td, values);
    for (uint64_t k = 0; k < td; k++) {
        uint32_t v = (uint32_t)(int32_t)values[k];
        for (int b = 0; b < 4; b++)
            buf[k * 4 + (size_t)(p->big_endian ? 3 - b : b)] = (unsigned char)(v >> (8 * b));
    }
    if (has(p, "truncated_fid") && x == 0 && y == 0)
        n -= 6;
    if (has(p, "long_fid") && x == 0 && y == 0)
        n += 4;
    int rc = omsi_gen_write_file(dir, "fid", buf, n, err);
    free(values);
    free(buf);
    return rc;
}

int omsi_gen_bruker_flex(const char *dir, const char *stem, const omsi_gen_params *p, char **dataset_path,
                         omsi_error *err)
{
    if (dataset_path)
        *dataset_path = NULL;
    if (p->nx == 0 || p->ny == 0 || p->nz == 0 || p->nx > 9999 || p->ny > 9999)
        return omsi_error_set(err, OMSI_ERR_USAGE, "flex fixtures need 1..9999 pixels per side and nz > 0");
    long regions = 1, missing = 0, origin = 0;
    omsi_gen_variant(p, "regions", 1, &regions);
    omsi_gen_variant(p, "missing", 0, &missing);
    omsi_gen_variant(p, "origin", 0, &origin);
    if (regions < 1 || (uint64_t)regions > p->nx)
        regions = 1;
    bool targets = has(p, "targets"), list = has(p, "spotlist") || has(p, "oldlist");
    char *run = omsi_path_join(dir, stem);
    char *list_path = NULL;
    FILE *lf = NULL;
    omsi_gen_tables *tables = NULL;
    int rc = run ? omsi_gen_mkdirs(run, err) : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = omsi_gen_tables_new(p, &tables, err);
    if (!rc && list) {
        size_t n = strlen(run) + 32;
        list_path = malloc(n);
        if (list_path)
            snprintf(list_path, n, "%s%s", run, has(p, "oldlist") ? " Spot List.txt" : "_spot_list.txt");
        lf = list_path ? fopen(list_path, "w") : NULL;
        if (!lf)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", list_path ? list_path : "spot list");
        else
            fprintf(lf, "# %s generated by omsi-gen\n# X-pos Y-pos spot-name region\n", stem);
    }
    for (uint64_t x = 0; x < p->nx && !rc; x++)
        for (uint64_t y = 0; y < p->ny && !rc; y++) {
            uint64_t r = x * (uint64_t)regions / p->nx;
            uint64_t sx = x + (uint64_t)origin, sy = y + (uint64_t)origin;
            char name[64], folder[80];
            if (targets)
                snprintf(name, sizeof name, "%c%llu", 'A' + (int)(y % 26), (unsigned long long)(x + 1));
            else
                snprintf(name, sizeof name, "R%02lluX%03lluY%03llu", (unsigned long long)r, (unsigned long long)sx,
                         (unsigned long long)sy);
            snprintf(folder, sizeof folder, "0_%s", name);
            if (lf) {
                if (has(p, "oldlist"))
                    fprintf(lf, "%lld %lld %s %llu\n", (long long)sx * 100 - 5000, 3000 - (long long)sy * 100, name,
                            (unsigned long long)r + 1);
                else
                    fprintf(lf, "%lld %lld %s area %llu tissue\n", (long long)sx * 100 - 5000,
                            3000 - (long long)sy * 100, name, (unsigned long long)r);
            }
            if (missing > 0 && (x * p->ny + y) % (uint64_t)missing == (uint64_t)missing - 1)
                continue;
            char *spot = omsi_path_join(run, folder);
            char *acq = spot ? omsi_path_join(spot, "1/1SLin") : NULL;
            if (!acq) {
                free(spot);
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                break;
            }
            if (has(p, "escape") && x == 0 && y == 0) {
                /* the first spot's folder points outside the run */
                char *outside = omsi_path_join(dir, "outside_spot");
                char *outside_acq = outside ? omsi_path_join(outside, "1/1SLin") : NULL;
                rc = outside_acq ? omsi_gen_mkdirs(outside_acq, err) : omsi_error_set(err, OMSI_ERR_NOMEM, "oom");
                if (!rc)
                    rc = write_acqu(outside_acq, p, p->nz, name, err);
                if (!rc)
                    rc = write_fid(outside_acq, p, tables, x, y, p->nz, err);
                if (!rc && symlink(outside, spot) != 0)
                    rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "symlink %s", spot);
                free(outside_acq);
                free(outside);
            } else {
                uint64_t td = has(p, "td_mismatch") && x == p->nx - 1 && y == p->ny - 1 ? p->nz + 1 : p->nz;
                rc = omsi_gen_mkdirs(acq, err);
                if (!rc)
                    rc = write_acqu(acq, p, td, name, err);
                if (!rc)
                    rc = write_fid(acq, p, tables, x, y, td, err);
            }
            free(acq);
            free(spot);
        }
    if (lf && fclose(lf) != 0 && !rc)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", list_path);
    if (!rc && dataset_path) {
        *dataset_path = list ? list_path : run;
        if (list)
            list_path = NULL;
        else
            run = NULL;
    }
    omsi_gen_tables_free(tables);
    free(list_path);
    free(run);
    return rc;
}
