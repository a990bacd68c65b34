#include "base/omsi_contents.h"

#include <stdlib.h>
#include <string.h>

void omsi_convert_result_free(omsi_convert_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->n_datasets; i++) {
        omsi_meta_free(&result->datasets[i].metadata);
        free(result->datasets[i].links);
        free(result->datasets[i].tic_image);
        free(result->datasets[i].peaks);
        free(result->datasets[i].thumbnail_png);
    }
    for (size_t i = 0; i < result->n_experiments; i++)
        free(result->experiments[i].input_path);
    free(result->datasets);
    free(result->experiments);
    free(result->output_path);
    memset(result, 0, sizeof *result);
}
