#include "readers/bruker_acqu.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ACQU_MAX_BYTES = 4 << 20 };

/* Value text: trimmed, angle brackets removed, comma decimal separator made a dot. */
static void clean_value(const char *in, char *out, size_t size)
{
    while (isspace((unsigned char)*in))
        in++;
    snprintf(out, size, "%s", in);
    size_t n = strlen(out);
    while (n && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
    if (n >= 2 && out[0] == '<' && out[n - 1] == '>') {
        memmove(out, out + 1, n - 2);
        out[n - 2] = '\0';
    }
}

static int number(const char *path, const char *key, const char *text, double *out, omsi_error *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    char *end;
    double v = strtod(buf, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == buf || *end || !isfinite(v))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s = '%s' is not a number", path, key, text);
    *out = v;
    return 0;
}

int bruker_acqu_read(const char *path, bruker_acqu *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    int rc = omsi_read_small_file(path, ACQU_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    enum { K_TD, K_DELAY, K_DW, K_ML1, K_ML2, K_ML3, K_COUNT };
    static const char *const required[K_COUNT] = {"$TD", "$DELAY", "$DW", "$ML1", "$ML2", "$ML3"};
    double values[K_COUNT];
    bool seen[K_COUNT] = {false};
    for (char *line = text; line && *line && !rc;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "##", 2) == 0) {
            char *eq = strchr(line, '=');
            if (eq) {
                *eq = '\0';
                const char *key = line + 2;
                char value[4096]; /* $HPCStr of an order-10 HPC is about 500 characters */
                clean_value(eq + 1, value, sizeof value);
                for (int k = 0; k < K_COUNT && !rc; k++)
                    if (strcmp(key, required[k]) == 0) {
                        rc = number(path, key, value, &values[k], err);
                        seen[k] = true;
                    }
                double v;
                if (strcmp(key, "$BYTORDA") == 0 && number(path, key, value, &v, err) == 0)
                    out->bytorda = v != 0;
                else if (strcmp(key, "$HPClUse") == 0)
                    out->hpc = strcmp(value, "yes") == 0;
                else if (strcmp(key, "$HPClBLo") == 0 && number(path, key, value, &v, err) == 0)
                    out->hpc_cal.lo = v;
                else if (strcmp(key, "$HPClBHi") == 0 && number(path, key, value, &v, err) == 0)
                    out->hpc_cal.hi = v;
                else if (strcmp(key, "$HPClOrd") == 0 && number(path, key, value, &v, err) == 0)
                    out->hpc_cal.order = v;
                else if (strcmp(key, "$HPCStr") == 0)
                    bruker_hpc_parse(value, &out->hpc_cal); /* n = 0 when malformed: checked where applied */
                else if (strcmp(key, "$SPType") == 0 && strcmp(value, "2") == 0)
                    out->lift = true;
                else if ((strcmp(key, "$Lift1") == 0 || strcmp(key, "$Lift2") == 0) &&
                         number(path, key, value, &v, err) == 0 && v != 0)
                    out->lift = true;
                else if (strcmp(key, "$NTBCal") == 0 && strstr(value, "V1.0CTOF2CalibrationConstants"))
                    out->ctof2 = true;
                else if (strcmp(key, "$INSTRUM") == 0)
                    snprintf(out->instrument, sizeof out->instrument, "%s", value);
                else if (strcmp(key, "$InstrID") == 0)
                    snprintf(out->instrument_id, sizeof out->instrument_id, "%s", value);
                else if (strcmp(key, "$ACQMETH") == 0)
                    snprintf(out->method, sizeof out->method, "%s", value);
                else if (strcmp(key, "$AQ_DATE") == 0)
                    snprintf(out->date, sizeof out->date, "%s", value);
                else if (strcmp(key, "$PATCHNO") == 0)
                    snprintf(out->patchno, sizeof out->patchno, "%s", value);
                else if (strcmp(key, "$SPOTNO") == 0)
                    snprintf(out->spotno, sizeof out->spotno, "%s", value);
                if (!rc)
                    omsi_error_clear(err);
            }
        }
        line = next;
    }
    free(text);
    if (rc)
        return rc;
    for (int k = 0; k < K_COUNT; k++)
        if (!seen[k])
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: no ##%s= (needed for the m/z calibration)", path,
                                  required[k]);
    if (!(values[K_TD] >= 1 && values[K_TD] <= (double)(1 << 26) && values[K_TD] == floor(values[K_TD])))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: TD = %g is not a point count", path, values[K_TD]);
    out->td = (uint64_t)values[K_TD];
    out->delay = values[K_DELAY];
    out->dw = values[K_DW];
    out->ml1 = values[K_ML1];
    out->ml2 = values[K_ML2];
    out->ml3 = values[K_ML3];
    return 0;
}

int bruker_mz_axis(const bruker_acqu *a, const char *path, double *mz, omsi_error *err)
{
    if (a->lift)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: LIFT spectrum: no mass calibration formula applies", path);
    if (a->ctof2)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                              "%s: cubic calibration (V1.0CTOF2CalibrationConstants) is not supported", path);
    if (!(a->ml1 > 0))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: ML1 = %g, must be > 0", path, a->ml1);
    double A = a->ml3, B = sqrt(1e12 / a->ml1);
    for (uint64_t i = 0; i < a->td; i++) {
        double t = a->delay + (double)i * a->dw;
        double C = a->ml2 - t;
        double v;
        if (A == 0) {
            v = C * C / (B * B);
        } else {
            double disc = B * B - 4 * A * C;
            if (disc < 0)
                return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: calibration has no real root at point %llu", path,
                                      (unsigned long long)i);
            double s = (-B + sqrt(disc)) / (2 * A);
            v = s * s;
        }
        if (!isfinite(v) || (i > 0 && !(v > mz[i - 1])))
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: calibration gives a non-increasing m/z at point %llu",
                                  path, (unsigned long long)i);
        mz[i] = v;
    }
    return 0;
}

bool bruker_same_calibration(const bruker_acqu *a, const bruker_acqu *b)
{
    if (!(a->td == b->td && a->delay == b->delay && a->dw == b->dw && a->ml1 == b->ml1 && a->ml2 == b->ml2 &&
          a->ml3 == b->ml3 && a->hpc == b->hpc))
        return false;
    const bruker_hpc *x = &a->hpc_cal, *y = &b->hpc_cal;
    return x->lo == y->lo && x->hi == y->hi && x->order == y->order && x->n == y->n &&
           memcmp(x->c, y->c, x->n * sizeof *x->c) == 0;
}
