/* ppm_axis_bin: see readers/ppm_axis.h. */
#include "readers/ppm_axis.h"

#include <math.h>

uint64_t ppm_axis_bin(const double *edges, uint64_t n, double lo, double log_step, double mz)
{
    double guess = floor(log(mz / lo) / log_step);
    uint64_t k = !(guess >= 0) ? 0 : guess >= (double)n ? n - 1 : (uint64_t)guess;
    /* log() and the division round: at most a step or two off at an edge */
    while (k > 0 && mz < edges[k])
        k--;
    while (k + 1 < n && mz >= edges[k + 1])
        k++;
    return k;
}
