#include "base/omsi_atomic_file.h"
#include "base/omsi_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(omsi_atomic_file *f)
{
    free(f->final_path);
    free(f->temp_path);
    memset(f, 0, sizeof *f);
}

int omsi_atomic_file_open(const char *path, omsi_atomic_file *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0) {
        out->fp = stdout;
        return 0;
    }
    int rc = 0, fd = -1;
    char *dir = omsi_path_dirname(path), *base = omsi_path_basename(path);
    out->final_path = strdup(path);
    if (!dir || !base || !out->final_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t n = strlen(dir) + strlen(base) + 32;
    if (!(out->temp_path = malloc(n))) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    snprintf(out->temp_path, n, "%s/.%s.partial-XXXXXX", dir, base);
    if ((fd = mkstemp(out->temp_path)) < 0) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot create a file in %s", path, dir);
        free(out->temp_path);
        out->temp_path = NULL;
        goto done;
    }
    /* mkstemp makes 0600; the finished file is meant to be shared. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0644 & ~mask) != 0 || !(out->fp = fdopen(fd, "wb"))) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot open %s", path, out->temp_path);
        goto done;
    }
    fd = -1;
done:
    if (fd >= 0)
        close(fd);
    free(dir);
    free(base);
    if (rc)
        omsi_atomic_file_abort(out);
    return rc;
}

int omsi_atomic_file_commit(omsi_atomic_file *f, omsi_error *err)
{
    int rc = 0;
    if (!f->temp_path) { /* stdout */
        if (fflush(f->fp) != 0 || ferror(f->fp))
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "standard output: write failed");
        release(f);
        return rc;
    }
    const char *what = "write";
    if (fflush(f->fp) != 0 || ferror(f->fp) || (what = "fsync", fsync(fileno(f->fp)) != 0))
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: %s failed", f->final_path, what);
    if (fclose(f->fp) != 0 && !rc)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: close failed", f->final_path);
    f->fp = NULL;
    if (!rc && rename(f->temp_path, f->final_path) != 0)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot rename %s into place",
                              f->final_path, f->temp_path);
    if (rc)
        unlink(f->temp_path);
    release(f);
    return rc;
}

void omsi_atomic_file_abort(omsi_atomic_file *f)
{
    if (f->fp && f->fp != stdout)
        fclose(f->fp);
    if (f->temp_path)
        unlink(f->temp_path);
    release(f);
}
