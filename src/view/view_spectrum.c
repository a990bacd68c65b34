#include "view/view_spectrum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int omsi_view_spectrum(const omsi_view *v, uint64_t x, uint64_t y, double *out,
                       const char **copy_used, omsi_error *err)
{
    if (x >= v->shape[0] || y >= v->shape[1])
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "%s: pixel (%llu, %llu) is outside the %llu x %llu grid of %s (x 0..%llu, "
                              "y 0..%llu)",
                              v->file_path, (unsigned long long)x, (unsigned long long)y,
                              (unsigned long long)v->shape[0], (unsigned long long)v->shape[1],
                              v->group_path, (unsigned long long)(v->shape[0] ? v->shape[0] - 1 : 0),
                              (unsigned long long)(v->shape[1] ? v->shape[1] - 1 : 0));
    if (v->shape[2] == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s has no m/z bins", v->file_path, v->group_path);
    uint64_t start[3] = {x, y, 0}, count[3] = {1, 1, v->shape[2]};
    return omsi_view_read(v, start, count, out, copy_used, err);
}

int omsi_view_mean_max(const omsi_view *v, size_t max_block_bytes, double *mean, double *max,
                       const char **copy_used, omsi_error *err)
{
    uint64_t nx = v->shape[0], ny = v->shape[1], nz = v->shape[2];
    if (nx == 0 || ny == 0 || nz == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s is empty", v->file_path, v->group_path);
    uint64_t per_x = ny * nz * sizeof(double);
    uint64_t rows = max_block_bytes / per_x;
    int rc = 0;
    double *sum = calloc(nz, sizeof *sum), *block = NULL;
    uint64_t count[3] = {1, ny, nz};
    if (rows == 0) { /* one x row does not fit: read it in y pieces */
        rows = 1;
        count[1] = max_block_bytes / (nz * sizeof(double));
        if (count[1] == 0)
            count[1] = 1;
    }
    count[0] = rows < nx ? rows : nx;
    if (!sum || !(block = malloc(count[0] * count[1] * nz * sizeof *block))) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: no memory for %llu-bin spectra", v->file_path,
                            (unsigned long long)nz);
        goto done;
    }
    if (max)
        for (uint64_t z = 0; z < nz; z++)
            max[z] = -INFINITY;
    for (uint64_t x = 0; x < nx && !rc; x += count[0]) {
        for (uint64_t y = 0; y < ny && !rc; y += count[1]) {
            uint64_t s[3] = {x, y, 0};
            uint64_t c[3] = {nx - x < count[0] ? nx - x : count[0], ny - y < count[1] ? ny - y : count[1], nz};
            if ((rc = omsi_view_read(v, s, c, block, copy_used, err)))
                break;
            for (uint64_t p = 0; p < c[0] * c[1]; p++) {
                const double *spectrum = block + p * nz;
                for (uint64_t z = 0; z < nz; z++) {
                    sum[z] += spectrum[z];
                    if (max && spectrum[z] > max[z])
                        max[z] = spectrum[z];
                }
            }
        }
    }
    if (!rc && mean)
        for (uint64_t z = 0; z < nz; z++)
            mean[z] = sum[z] / (double)(nx * ny);
done:
    free(sum);
    free(block);
    return rc;
}
