/* Bruker flex `acqu` files (JCAMP-DX style, spec 4.4) and the TOF
 * calibration that turns them into an m/z axis (spec 4.6). */
#ifndef OMSI_BRUKER_ACQU_H
#define OMSI_BRUKER_ACQU_H

#include "readers/reader.h"

typedef struct bruker_acqu {
    uint64_t td;                 /* $TD: points */
    double delay, dw;            /* $DELAY, $DW (ns) */
    double ml1, ml2, ml3;        /* calibration constants */
    int bytorda;                 /* 0 little-endian, 1 big-endian */
    bool hpc;                    /* $HPClUse = yes */
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

/* Same calibration (TD, DELAY, DW, ML1..3 and byte order)? */
bool bruker_same_calibration(const bruker_acqu *a, const bruker_acqu *b);

#endif
