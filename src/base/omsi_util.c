#include "base/omsi_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool omsi_mul4_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *out)
{
    uint64_t ab, abc;
    return omsi_mul_u64(a, b, &ab) && omsi_mul_u64(ab, c, &abc) && omsi_mul_u64(abc, d, out);
}

bool omsi_host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

void omsi_swap_items(void *buf, size_t item_size, size_t count)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < count; i++, p += item_size)
        for (size_t a = 0, b = item_size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

int omsi_file_size(const char *path, uint64_t *size, omsi_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    if (!S_ISREG(st.st_mode))
        return omsi_error_set(err, OMSI_ERR_IO, "%s: not a regular file", path);
    *size = (uint64_t)st.st_size;
    return 0;
}

bool omsi_is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *file_type_name(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISDIR(mode))
        return "a directory";
    return "not a file";
}

omsi_file_kind omsi_companion_kind(const char *path, uint64_t *size, omsi_error *why)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: missing", path);
            return OMSI_FILE_MISSING;
        }
        omsi_error_errno(why, OMSI_ERR_IO, errno, "%s", path);
        return OMSI_FILE_UNREADABLE;
    }
    if (!S_ISREG(st.st_mode)) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: not a regular file (%s)", path, file_type_name(st.st_mode));
        return OMSI_FILE_NOT_REGULAR;
    }
    if (size)
        *size = (uint64_t)st.st_size;
    return OMSI_FILE_REGULAR;
}

bool omsi_is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int omsi_pread_exact(int fd, void *buf, size_t n, uint64_t offset, const char *path,
                     omsi_error *err)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, p + done, n - done, (off_t)(offset + done));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: read at offset %llu",
                                    path, (unsigned long long)(offset + done));
        }
        if (got == 0)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: truncated: wanted %zu bytes at offset %llu, file ends "
                                  "after %zu",
                                  path, n, (unsigned long long)offset, done);
        done += (size_t)got;
    }
    return 0;
}

int omsi_read_small_file(const char *path, size_t max_bytes, char **out, size_t *len,
                         omsi_error *err)
{
    *out = NULL;
    int rc = 0;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = omsi_error_set(err, OMSI_ERR_IO, "%s: not a regular file", path);
        goto done;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %llu bytes, more than the %zu expected",
                            path, (unsigned long long)st.st_size, max_bytes);
        goto done;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    rc = omsi_pread_exact(fd, buf, (size_t)st.st_size, 0, path, err);
    if (rc)
        goto done;
    buf[st.st_size] = '\0';
    if (len)
        *len = (size_t)st.st_size;
    *out = buf;
    buf = NULL;
done:
    free(buf);
    close(fd);
    return rc;
}

char *omsi_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    bool slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

char *omsi_path_basename(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    char *p = malloc(n - start + 1);
    if (!p)
        return NULL;
    memcpy(p, path + start, n - start);
    p[n - start] = '\0';
    return p;
}

char *omsi_path_dirname(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    while (n > 0 && path[n - 1] != '/')
        n--;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return strdup(".");
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, path, n);
    p[n] = '\0';
    return p;
}

bool omsi_has_suffix_ci(const char *name, const char *ext)
{
    size_t a = strlen(name), b = strlen(ext);
    return a >= b && strcasecmp(name + a - b, ext) == 0;
}

char *omsi_strip_suffix_ci(const char *path, const char *ext)
{
    if (!omsi_has_suffix_ci(path, ext))
        return NULL;
    size_t n = strlen(path) - strlen(ext);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, path, n);
    p[n] = '\0';
    return p;
}

void omsi_path_list_init(omsi_path_list *list)
{
    list->paths = NULL;
    list->count = 0;
    list->capacity = 0;
}

int omsi_path_list_add(omsi_path_list *list, const char *path)
{
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 8;
        char **paths = realloc(list->paths, cap * sizeof *paths);
        if (!paths)
            return OMSI_ERR_NOMEM;
        list->paths = paths;
        list->capacity = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return OMSI_ERR_NOMEM;
    list->paths[list->count++] = copy;
    return 0;
}

void omsi_path_list_free(omsi_path_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    omsi_path_list_init(list);
}

double omsi_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
