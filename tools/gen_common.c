#include "tools/gen.h"

#include <errno.h>
#include <stdio.h>
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

bool omsi_gen_variant(const omsi_gen_params *p, const char *name, long default_value,
                      long *value)
{
    size_t name_len = strlen(name);
    for (const char *s = p->variant; s && *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len >= name_len && strncmp(s, name, name_len) == 0 &&
            (len == name_len || s[name_len] == '=')) {
            if (value)
                *value = len > name_len ? strtol(s + name_len + 1, NULL, 10) : default_value;
            return true;
        }
        s = end ? end + 1 : NULL;
    }
    if (value)
        *value = default_value;
    return false;
}

int omsi_gen_write_file(const char *dir, const char *name, const void *data, size_t len,
                        omsi_error *err)
{
    char *path = omsi_path_join(dir, name);
    if (!path)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = 0;
    FILE *f = fopen(path, "wb");
    if (!f) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    } else {
        if (len && fwrite(data, 1, len, f) != len)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "write %s", path);
        if (fclose(f) != 0 && rc == 0)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "close %s", path);
    }
    free(path);
    return rc;
}
