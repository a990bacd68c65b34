#include "view/view_select.h"
#include "view/view_image.h"
#include "view/view_spectrum.h"

#include <math.h>
#include <stdio.h>

/* Block budget of the reads (as doubles), the same as the CLI always used. */
enum { VIEW_BLOCK_BYTES = 64u << 20 };

int omsi_view_ion_bins(const omsi_view *v, const char *label, bool tic, double mz, double half_width, uint64_t *z0,
                       uint64_t *z1, char *what, size_t what_size, omsi_error *err)
{
    uint64_t n = v->shape[2];
    if (n == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s has no m/z bins", v->file_path, v->group_path);
    if (tic) {
        *z0 = 0;
        *z1 = n;
        snprintf(what, what_size, "TIC");
        return 0;
    }
    if (!(mz >= v->mz[0] && mz <= v->mz[n - 1]))
        return omsi_error_set(err, OMSI_ERR_USAGE, "m/z %.6g is outside the m/z axis of %s (%.6g..%.6g)", mz,
                              label, v->mz[0], v->mz[n - 1]);
    if (half_width > 0) {
        int rc = omsi_view_mz_window(v, mz - half_width, mz + half_width, z0, z1, err);
        if (rc)
            return rc;
        snprintf(what, what_size, "m/z %.6g +- %.4g (%llu bins)", mz, half_width, (unsigned long long)(*z1 - *z0));
        return 0;
    }
    uint64_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->mz[mid] <= mz)
            lo = mid;
        else
            hi = mid;
    }
    *z0 = fabs(v->mz[hi] - mz) < fabs(v->mz[lo] - mz) ? hi : lo;
    *z1 = *z0 + 1;
    snprintf(what, what_size, "m/z %.6g (bin %llu at %.8g)", mz, (unsigned long long)*z0, v->mz[*z0]);
    return 0;
}

static void name_copy(const omsi_view *v, const char *copy, char *out, size_t size)
{
    if (copy[0] == '/')
        snprintf(out, size, "%s", copy);
    else
        snprintf(out, size, "%s/%s", v->group_path, copy);
}

int omsi_view_ion_image(const omsi_view *v, bool tic, uint64_t z0, uint64_t z1, double *img, char *copy_name,
                        size_t copy_size, omsi_error *err)
{
    if (tic && v->summary_path[0]) {
        /* Computed at conversion: no pass over the cube. */
        snprintf(copy_name, copy_size, "%s/tic_image", v->summary_path);
        return omsi_view_read_summary(v, "tic_image", img, v->shape[0] * v->shape[1], err);
    }
    const char *copy = "";
    int rc = omsi_view_image(v, z0, z1, VIEW_BLOCK_BYTES, img, &copy, err);
    if (!rc)
        name_copy(v, copy, copy_name, copy_size);
    return rc;
}

const char *omsi_spectrum_kind_name(omsi_spectrum_kind kind)
{
    return kind == OMSI_SPECTRUM_PIXEL ? "pixel" : kind == OMSI_SPECTRUM_MEAN ? "mean" : "max";
}

int omsi_view_spectrum_of(const omsi_view *v, omsi_spectrum_kind kind, uint64_t x, uint64_t y, double *values,
                          char *copy_name, size_t copy_size, omsi_error *err)
{
    const char *copy = "";
    int rc;
    if (kind == OMSI_SPECTRUM_PIXEL) {
        rc = omsi_view_spectrum(v, x, y, values, &copy, err);
    } else if (v->summary_path[0]) { /* computed at conversion */
        const char *name = kind == OMSI_SPECTRUM_MEAN ? "mean_spectrum" : "max_spectrum";
        snprintf(copy_name, copy_size, "%s/%s", v->summary_path, name);
        return omsi_view_read_summary(v, name, values, v->shape[2], err);
    } else {
        rc = omsi_view_mean_max(v, VIEW_BLOCK_BYTES, kind == OMSI_SPECTRUM_MEAN ? values : NULL,
                                kind == OMSI_SPECTRUM_MAX ? values : NULL, &copy, err);
    }
    if (!rc)
        name_copy(v, copy, copy_name, copy_size);
    return rc;
}
