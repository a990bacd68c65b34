/* PLACEHOLDER: replaced by the real bruckerflex reader. */
#include "reader.h"

static omsi_validity bruker_flex_is_valid(const char *path, omsi_error *why)
{
    (void)path;
    (void)why;
    return OMSI_NOT_THIS_FORMAT;
}

static int bruker_flex_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    (void)bytes;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: size unknown", path);
}

static int bruker_flex_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    (void)files;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: not implemented", path);
}

static int bruker_flex_open(const char *path, const omsi_open_options *opts, omsi_reader **out,
                        omsi_error *err)
{
    (void)opts;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: bruckerflex reader not implemented", path);
}

const omsi_format omsi_format_bruker_flex = {
    .name = "bruckerflex",
    .bastet_name = "bruckerflex_file",
    .description = "Bruker flex spot trees (acqu/fid), spot lists, regions",
    .supports_regions = true,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = bruker_flex_is_valid,
    .size = bruker_flex_size,
    .list_files = bruker_flex_list_files,
    .open = bruker_flex_open,
};
