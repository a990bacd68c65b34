/* PLACEHOLDER: replaced by the real imzml reader. */
#include "reader.h"

static omsi_validity imzml_is_valid(const char *path, omsi_error *why)
{
    (void)path;
    (void)why;
    return OMSI_NOT_THIS_FORMAT;
}

static int imzml_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    (void)bytes;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: size unknown", path);
}

static int imzml_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    (void)files;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: not implemented", path);
}

static int imzml_open(const char *path, const omsi_open_options *opts, omsi_reader **out,
                        omsi_error *err)
{
    (void)opts;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: imzml reader not implemented", path);
}

const omsi_format omsi_format_imzml = {
    .name = "imzml",
    .bastet_name = "imzml_file",
    .description = "imzML (.imzML + .ibd), continuous and processed",
    .supports_regions = false,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = imzml_is_valid,
    .size = imzml_size,
    .list_files = imzml_list_files,
    .open = imzml_open,
};
