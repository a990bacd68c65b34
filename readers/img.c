/* PLACEHOLDER: replaced by the real img reader. */
#include "reader.h"

static omsi_validity img_is_valid(const char *path, omsi_error *why)
{
    (void)path;
    (void)why;
    return OMSI_NOT_THIS_FORMAT;
}

static int img_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    (void)bytes;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: size unknown", path);
}

static int img_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    (void)files;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: not implemented", path);
}

static int img_open(const char *path, const omsi_open_options *opts, omsi_reader **out,
                        omsi_error *err)
{
    (void)opts;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: img reader not implemented", path);
}

const omsi_format omsi_format_img = {
    .name = "img",
    .bastet_name = "img_file",
    .description = "Analyze 7.5 (.hdr/.t2m/.img)",
    .supports_regions = false,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = img_is_valid,
    .size = img_size,
    .list_files = img_list_files,
    .open = img_open,
};
