/* PLACEHOLDER: replaced by the real img fixture generator. */
#include "gen.h"

int omsi_gen_img(const char *dir, const char *stem, const omsi_gen_params *p,
                char **dataset_path, omsi_error *err)
{
    (void)stem;
    (void)p;
    if (dataset_path)
        *dataset_path = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: img generator not implemented", dir);
}
