#include "catalog/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { READ_BYTES = 1 << 20 };

static int hash_file(EVP_MD_CTX *ctx, const char *path, unsigned char *buf, uint64_t *bytes,
                     omsi_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, READ_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "read %s", path);
            break;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    close(fd);
    return rc;
}

static void to_hex(const unsigned char *md, unsigned len, char hex[65])
{
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}

int omsi_fingerprint_files(const omsi_path_list *files, const char *base, char hex[65],
                           uint64_t *total_bytes, omsi_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(READ_BYTES);
    int rc = 0;
    *total_bytes = 0;
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "cannot start SHA-256");
        goto done;
    }
    size_t base_len = base ? strlen(base) : 0;
    for (size_t i = 0; i < files->count && !rc; i++) {
        const char *path = files->paths[i];
        const char *rel = base_len && strncmp(path, base, base_len) == 0 ? path + base_len : path;
        uint64_t bytes = 0;
        EVP_DigestUpdate(ctx, rel, strlen(rel) + 1);
        rc = hash_file(ctx, path, buf, &bytes, err);
        char size[32];
        snprintf(size, sizeof size, "%llu", (unsigned long long)bytes);
        EVP_DigestUpdate(ctx, size, strlen(size) + 1);
        *total_bytes += bytes;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!rc && EVP_DigestFinal_ex(ctx, md, &len) == 1)
        to_hex(md, len, hex);
done:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

int omsi_fingerprint_file(const char *path, char hex[65], omsi_error *err)
{
    /* The same digest loop, over one file, without the name/size framing. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(READ_BYTES);
    uint64_t bytes = 0;
    int rc = !ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1
                 ? omsi_error_set(err, OMSI_ERR_NOMEM, "cannot start SHA-256")
                 : hash_file(ctx, path, buf, &bytes, err);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!rc && EVP_DigestFinal_ex(ctx, md, &len) == 1)
        to_hex(md, len, hex);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

/* Hashes up to `want` bytes of fd from offset (a short read at the end is fine). */
static int hash_range(EVP_MD_CTX *ctx, int fd, const char *path, off_t offset, size_t want,
                      unsigned char *buf, omsi_error *err)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, buf + got, want - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return omsi_error_errno(err, OMSI_ERR_IO, errno, "read %s", path);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    EVP_DigestUpdate(ctx, buf, got);
    return 0;
}

int omsi_fingerprint_quick(const omsi_path_list *files, char hex[65], omsi_error *err)
{
    enum { EDGE = 64 << 10 };
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(EDGE);
    int rc = 0;
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "cannot start SHA-256");
        goto done;
    }
    for (size_t i = 0; i < files->count && !rc; i++) {
        const char *path = files->paths[i];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
            if (fd >= 0)
                close(fd);
            break;
        }
        char line[160];
        snprintf(line, sizeof line, "%llu %lld.%09ld %llu", (unsigned long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
        EVP_DigestUpdate(ctx, path, strlen(path) + 1);
        EVP_DigestUpdate(ctx, line, strlen(line) + 1);
        rc = hash_range(ctx, fd, path, 0, EDGE, buf, err);
        if (!rc && st.st_size > EDGE)
            rc = hash_range(ctx, fd, path, st.st_size - EDGE, EDGE, buf, err);
        close(fd);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!rc && EVP_DigestFinal_ex(ctx, md, &len) == 1)
        to_hex(md, len, hex);
done:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}
