#include "readers/reader.h"

#include <stdbool.h>
#include <string.h>

omsi_open_options omsi_open_options_default(void)
{
    omsi_open_options o = {.axis_mode = OMSI_AXIS_EXACT};
    return o;
}

int omsi_reader_check_grid(const char *path, uint64_t nx, uint64_t ny, uint64_t nz, size_t dtype_size,
                           uint64_t spectra, uint64_t memory_limit, omsi_error *err)
{
    uint64_t limit = omsi_budget_limit(memory_limit), cells, image, cube, sparse_cells;
    if (!omsi_mul_u64(nx, ny, &cells) || !omsi_mul_u64(cells, 8, &image))
        cells = image = UINT64_MAX;
    if (!omsi_mul4_u64(nx, ny, nz, dtype_size, &cube))
        cube = UINT64_MAX;
    if (!omsi_mul_u64(spectra, OMSI_GRID_MAX_CELLS_PER_SPECTRUM, &sparse_cells))
        sparse_cells = UINT64_MAX;
    bool sparse = cells > sparse_cells;
    if (image <= limit && (!sparse || cube <= limit))
        return 0;
    return omsi_error_set(err, OMSI_ERR_NOMEM,
                          "%s: grid %llu x %llu (%llu cells) for %llu spectra: %s needs %.1f MiB, more than the "
                          "memory limit of %.1f MiB (--memory-limit); positions this far apart are refused",
                          path, (unsigned long long)nx, (unsigned long long)ny, (unsigned long long)cells,
                          (unsigned long long)spectra,
                          image > limit ? "one per-pixel image" : "the mostly empty cube",
                          (double)(image > limit ? image : cube) / 1048576.0, (double)limit / 1048576.0);
}

const char *omsi_checksum_name(omsi_checksum_state s)
{
    return s == OMSI_CHECKSUM_OK ? "ok" : s == OMSI_CHECKSUM_MISMATCH ? "mismatch" : "absent";
}

int omsi_reader_checksum(omsi_reader *r, omsi_checksum_state *out, omsi_error *err)
{
    *out = OMSI_CHECKSUM_ABSENT;
    return r->ops->checksum ? r->ops->checksum(r, out, err) : 0;
}

const char *omsi_validity_name(omsi_validity v)
{
    switch (v) {
    case OMSI_NOT_THIS_FORMAT: return "not-format";
    case OMSI_VALID: return "valid";
    case OMSI_INCOMPLETE: return "incomplete";
    case OMSI_BROKEN: return "broken";
    }
    return "unknown";
}

size_t omsi_reader_number_of_datasets(omsi_reader *r)
{
    return r->ops->number_of_datasets ? r->ops->number_of_datasets(r) : 1;
}

int omsi_reader_set_dataset(omsi_reader *r, size_t index, omsi_error *err)
{
    if (r->ops->set_dataset_selection)
        return r->ops->set_dataset_selection(r, index, err);
    if (index == 0)
        return 0;
    return omsi_error_set(err, OMSI_ERR_USAGE, "%s reader has one dataset; %zu requested",
                          r->format->name, index);
}

size_t omsi_reader_number_of_regions(omsi_reader *r)
{
    return r->ops->number_of_regions ? r->ops->number_of_regions(r) : 0;
}

int omsi_reader_get_region(omsi_reader *r, size_t index, omsi_region *out)
{
    if (!r->ops->get_region)
        return OMSI_ERR_USAGE;
    return r->ops->get_region(r, index, out);
}

int omsi_reader_set_region(omsi_reader *r, long index, omsi_error *err)
{
    if (r->ops->set_region_selection)
        return r->ops->set_region_selection(r, index, err);
    if (index < 0)
        return 0;
    return omsi_error_set(err, OMSI_ERR_USAGE, "%s reader has no regions; region %ld requested",
                          r->format->name, index);
}

void omsi_reader_info(omsi_reader *r, omsi_dataset_info *out)
{
    memset(out, 0, sizeof *out);
    r->ops->info(r, out);
}

const double *omsi_reader_mz(omsi_reader *r)
{
    return r->ops->mz(r);
}

size_t omsi_reader_dependencies(omsi_reader *r, const omsi_dependency **out)
{
    *out = NULL;
    return r->ops->dependencies ? r->ops->dependencies(r, out) : 0;
}

const omsi_metadata *omsi_reader_metadata(omsi_reader *r)
{
    return r->ops->metadata ? r->ops->metadata(r) : NULL;
}

int omsi_reader_rewind(omsi_reader *r, omsi_error *err)
{
    return r->ops->rewind(r, err);
}

int omsi_reader_next(omsi_reader *r, omsi_spectrum *out, omsi_error *err)
{
    return r->ops->next_spectrum(r, out, err);
}

int omsi_reader_read_spectrum(omsi_reader *r, uint64_t x, uint64_t y, void *buf,
                              omsi_error *err)
{
    if (!r->ops->read_spectrum)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                              "%s reader has no random access to spectra", r->format->name);
    return r->ops->read_spectrum(r, x, y, buf, err);
}

bool omsi_reader_has_read_values(const omsi_reader *r)
{
    return r->ops->read_values != NULL;
}

int omsi_reader_read_values(omsi_reader *r, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                            omsi_error *err)
{
    if (!r->ops->read_values)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s reader has no ranged access to spectra",
                              r->format->name);
    return r->ops->read_values(r, x, y, z0, n, buf, err);
}

int omsi_reader_check_values_range(const char *file, uint64_t z0, uint64_t n, uint64_t nz, omsi_error *err)
{
    if (z0 > nz || n > nz - z0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: values %llu + %llu are outside the %llu of a spectrum", file,
                              (unsigned long long)z0, (unsigned long long)n, (unsigned long long)nz);
    return 0;
}

void omsi_reader_close(omsi_reader *r)
{
    if (r)
        r->ops->close(r);
}

int omsi_reader_open(const char *path, const omsi_format *fmt, const omsi_open_options *opts,
                     omsi_reader **out, omsi_error *err)
{
    *out = NULL;
    if (!fmt) {
        omsi_validity validity;
        int rc = omsi_detect_format(path, &fmt, &validity, err);
        if (rc)
            return rc;
    }
    omsi_open_options defaults = omsi_open_options_default();
    return fmt->open(path, opts ? opts : &defaults, out, err);
}

int omsi_format_size_by_opening(const omsi_format *fmt, const char *path, uint64_t *bytes, omsi_error *err)
{
    omsi_open_options o = omsi_open_options_default();
    omsi_reader *r = NULL;
    int rc = fmt->open(path, &o, &r, err);
    if (rc)
        return rc;
    rc = fmt->size_of_reader(r, bytes, err);
    omsi_reader_close(r);
    return rc;
}
