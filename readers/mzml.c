/* PLACEHOLDER: replaced by the real mzml reader. */
#include "reader.h"

static omsi_validity mzml_is_valid(const char *path, omsi_error *why)
{
    (void)path;
    (void)why;
    return OMSI_NOT_THIS_FORMAT;
}

static int mzml_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    (void)bytes;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: size unknown", path);
}

static int mzml_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    (void)files;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: not implemented", path);
}

static int mzml_open(const char *path, const omsi_open_options *opts, omsi_reader **out,
                        omsi_error *err)
{
    (void)opts;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: mzml reader not implemented", path);
}

const omsi_format omsi_format_mzml = {
    .name = "mzml",
    .bastet_name = "mzml_file",
    .description = "imaging mzML, one dataset per scan type",
    .supports_regions = false,
    .supports_multidata = true,
    .supports_multiexperiment = false,
    .is_valid_dataset = mzml_is_valid,
    .size = mzml_size,
    .list_files = mzml_list_files,
    .open = mzml_open,
};
