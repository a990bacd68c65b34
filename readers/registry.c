/* The registry of input formats. Adding a format = one reader file and one
 * line in `formats` below. Probe order is fixed, most specific first
 * (input-formats.md 0.2): Bruker spot tree, imzML, Analyze, mzML. */
#include "readers/reader.h"

#include <string.h>

extern const omsi_format omsi_format_bruker_flex;
extern const omsi_format omsi_format_imzml;
extern const omsi_format omsi_format_img;
extern const omsi_format omsi_format_mzml;

static const omsi_format *const formats[] = {
    &omsi_format_bruker_flex,
    &omsi_format_imzml,
    &omsi_format_img,
    &omsi_format_mzml,
};

const omsi_format *const *omsi_available_formats(size_t *count)
{
    *count = sizeof formats / sizeof formats[0];
    return formats;
}

const omsi_format *omsi_format_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i]->name, name) == 0 || strcmp(formats[i]->bastet_name, name) == 0)
            return formats[i];
    /* Accept the correct spelling too; BASTet's option name is "bruckerflex". */
    if (strcmp(name, "brukerflex") == 0 || strcmp(name, "bruker_flex") == 0)
        return &omsi_format_bruker_flex;
    return NULL;
}

int omsi_detect_format(const char *path, const omsi_format **out, omsi_validity *validity,
                       omsi_error *err)
{
    *out = NULL;
    *validity = OMSI_NOT_THIS_FORMAT;
    const omsi_format *found = NULL;
    omsi_validity found_validity = OMSI_NOT_THIS_FORMAT;
    omsi_error found_why = {0};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        omsi_error why = {0};
        omsi_validity v = formats[i]->is_valid_dataset(path, &why);
        if (v == OMSI_NOT_THIS_FORMAT)
            continue;
        if (found)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: claimed by two formats (%s and %s); name one with --format",
                                  path, found->name, formats[i]->name);
        found = formats[i];
        found_validity = v;
        found_why = why;
    }
    if (!found)
        return omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: not a dataset of any known format",
                              path);
    *out = found;
    *validity = found_validity;
    if (found_validity != OMSI_VALID && err)
        *err = found_why;
    return 0;
}
