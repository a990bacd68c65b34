#include "gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

omsi_gen_params omsi_gen_params_default(void)
{
    omsi_gen_params p = {.nx = 4, .ny = 3, .nz = 50, .dtype = OMSI_DT_FLOAT32, .seed = 1};
    return p;
}

double omsi_gen_intensity(const omsi_gen_params *p, uint64_t x, uint64_t y, uint64_t k)
{
    return (double)((x * 31 + y * 17 + k * 7 + p->seed * 13) % 251);
}

double omsi_gen_mz(const omsi_gen_params *p, uint64_t k)
{
    (void)p;
    return 100.0 + 0.5 * (double)k;
}

int omsi_gen_mkdirs(const char *dir, omsi_error *err)
{
    char *copy = strdup(dir);
    if (!copy)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = 0;
    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
                rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "mkdir %s", copy);
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return rc;
}
