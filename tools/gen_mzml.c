/* PLACEHOLDER: replaced by the real mzml fixture generator. */
#include "gen.h"

int omsi_gen_mzml(const char *dir, const char *stem, const omsi_gen_params *p,
                char **dataset_path, omsi_error *err)
{
    (void)stem;
    (void)p;
    if (dataset_path)
        *dataset_path = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: mzml generator not implemented", dir);
}
