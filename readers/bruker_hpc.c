/* Bruker's high-precision calibration (HPC), the way readBrukerFlexData
 * applies it (R/hpc-functions.R): Bruker does not document it, so the
 * reference is that reader, value for value. */
#include "readers/bruker_acqu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool bruker_hpc_declared(const bruker_acqu *a)
{
    return a->hpc && a->hpc_cal.hi > 0 && a->hpc_cal.lo > 0 && a->hpc_cal.order > 0;
}

/* Next space-separated token of *p into tok (size bytes); false at the end. */
static bool next_token(const char **p, char *tok, size_t size)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return false;
    size_t n = 0;
    while (s[n] && s[n] != ' ' && s[n] != '\t')
        n++;
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(tok, s, k);
    tok[k] = '\0';
    *p = s + n;
    return true;
}

static bool parse_double(const char *tok, double *out)
{
    char *end;
    double v = strtod(tok, &end);
    if (end == tok || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int bruker_hpc_parse(const char *text, bruker_hpc *h)
{
    h->n = 0;
    const char *p = text;
    char tok[64];
    while (next_token(&p, tok, sizeof tok) && strcmp(tok, "V1.0VectorDouble") != 0)
        ;
    double count;
    if (!next_token(&p, tok, sizeof tok) || !parse_double(tok, &count) || count < 1 ||
        count > BRUKER_HPC_MAX_COEFFS || count != floor(count))
        return -1;
    size_t n = (size_t)count;
    for (size_t k = 0; k < n; k++)
        if (!next_token(&p, tok, sizeof tok) || !parse_double(tok, &h->c[k]))
            return -1;
    /* readBrukerFlexData takes everything up to "c2" as coefficients: a
     * count that disagrees with it would give different masses there */
    if (!next_token(&p, tok, sizeof tok) || strcmp(tok, "c2") != 0)
        return -1;
    h->n = n;
    return 0;
}

void bruker_hpc_apply(const bruker_hpc *h, double *mz, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double m = mz[i];
        if (!(m >= h->lo && m <= h->hi))
            continue;
        double sum = 0, power = 1;
        for (size_t k = 0; k < h->n; k++) {
            sum += h->c[k] * power;
            power *= m;
        }
        mz[i] = m - sum;
    }
}
