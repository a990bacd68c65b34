/* Content fingerprints: SHA-256 (OpenSSL EVP), streamed. */
#ifndef OMSI_FINGERPRINT_H
#define OMSI_FINGERPRINT_H

#include "base/omsi_error.h"
#include "base/omsi_util.h"

/* Hash of a dataset: for each file in order its name relative to base, its
 * size and its bytes. hex gets 64 hex digits + NUL. */
int omsi_fingerprint_files(const omsi_path_list *files, const char *base, char hex[65],
                           uint64_t *total_bytes, omsi_error *err);
/* SHA-256 of one file. */
int omsi_fingerprint_file(const char *path, char hex[65], omsi_error *err);
/* A cheap fingerprint of a dataset's files as they lie now: each path, size,
 * mtime (ns), inode and its first and last 64 KiB. Taken before and after a
 * conversion, a difference means a file changed while it was read. */
int omsi_fingerprint_quick(const omsi_path_list *files, char hex[65], omsi_error *err);

#endif
