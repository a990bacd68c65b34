/* PLACEHOLDER: replaced by the real conversion pipeline (writer module). */
#include "convert.h"

#include <string.h>

omsi_convert_options omsi_convert_options_default(void)
{
    omsi_convert_options o;
    memset(&o, 0, sizeof o);
    o.compression_level = 4;
    o.reader = omsi_open_options_default();
    return o;
}

int omsi_convert(const char *const *inputs, size_t n_inputs, const char *output,
                 bool overwrite, const omsi_convert_options *opts, omsi_convert_result *result,
                 omsi_error *err)
{
    (void)inputs;
    (void)n_inputs;
    (void)overwrite;
    (void)opts;
    if (result)
        memset(result, 0, sizeof *result);
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: converter not implemented", output);
}

void omsi_convert_result_free(omsi_convert_result *result)
{
    (void)result;
}
