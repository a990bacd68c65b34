/* Bruker flex `acqu` files (JCAMP-DX style, spec 4.4) and the TOF
 * calibration that turns them into an m/z axis (spec 4.6). */
#ifndef OMSI_BRUKER_ACQU_H
#define OMSI_BRUKER_ACQU_H

#include "readers/reader.h"

/* High-precision calibration as readBrukerFlexData reads it (spec 4.6):
 * $HPClBLo/$HPClBHi bound the mass range, $HPCStr holds the polynomial
 * coefficients c_0..c_{n-1} between "V1.0VectorDouble <n>" and "c2". */
enum { BRUKER_HPC_MAX_COEFFS = 32 };
typedef struct bruker_hpc {
    double lo, hi, order;        /* $HPClBLo, $HPClBHi, $HPClOrd (0 when absent) */
    size_t n;                    /* coefficients parsed from $HPCStr (0: none or malformed) */
    double c[BRUKER_HPC_MAX_COEFFS];
} bruker_hpc;

typedef struct bruker_acqu {
    uint64_t td;                 /* $TD: points */
    double delay, dw;            /* $DELAY, $DW (ns) */
    double ml1, ml2, ml3;        /* calibration constants */
    int bytorda;                 /* 0 little-endian, 1 big-endian */
    bool hpc;                    /* $HPClUse = yes */
    bruker_hpc hpc_cal;          /* the HPC parameters (meaningful when hpc) */
    bool lift;                   /* LIFT spectrum ($SPType 2 or $Lift1/$Lift2 != 0) */
    bool ctof2;                  /* $NTBCal has a cubic calibration */
    char instrument[64], instrument_id[64], method[256], date[64], patchno[64], spotno[64];
} bruker_acqu;

/* Parses an acqu file (at most 4 MB). Missing $TD/$DELAY/$DW/$ML1..3 is an
 * OMSI_ERR_FORMAT naming the file and key. */
int bruker_acqu_read(const char *path, bruker_acqu *out, omsi_error *err);

/* The m/z axis of td points; checks ML1 > 0, a real root and an increasing,
 * finite result. */
int bruker_mz_axis(const bruker_acqu *a, const char *path, double *mz, omsi_error *err);

/* readBrukerFlexData's test for HPC: $HPClUse = yes and HPClBLo, HPClBHi,
 * HPClOrd all > 0. */
bool bruker_hpc_declared(const bruker_acqu *a);

/* Parses the coefficients of an $HPCStr value into h->c / h->n; -1 (h->n = 0)
 * when the string has no "V1.0VectorDouble <n>" followed by n numbers and
 * "c2", or n is 0 or above BRUKER_HPC_MAX_COEFFS. */
int bruker_hpc_parse(const char *text, bruker_hpc *h);

/* mz[i] -= sum_k c_k mz[i]^k for every mz[i] in [lo, hi] (readBrukerFlexData's
 * .hpc: the range test is on the plain mass, both ends included). */
void bruker_hpc_apply(const bruker_hpc *h, double *mz, size_t n);

/* Same calibration (TD, DELAY, DW, ML1..3 and the HPC parameters)? */
bool bruker_same_calibration(const bruker_acqu *a, const bruker_acqu *b);

#endif
