/* Small helpers every module needs: overflow-checked arithmetic, byte-order
 * decoding, exact reads, file sizes, path manipulation and path lists. */
#ifndef OMSI_UTIL_H
#define OMSI_UTIL_H

#include "base/omsi_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- checked arithmetic: true on success, false on overflow ---- */
static inline bool omsi_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool omsi_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
/* a*b*c*d with overflow check (pass 1 for unused factors). */
bool omsi_mul4_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *out);

/* ---- byte order ---- */
static inline uint16_t omsi_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint16_t omsi_be16(const unsigned char *p) { return (uint16_t)(p[1] | p[0] << 8); }
static inline uint32_t omsi_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t omsi_be32(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}
static inline uint64_t omsi_le64(const unsigned char *p)
{
    return (uint64_t)omsi_le32(p) | (uint64_t)omsi_le32(p + 4) << 32;
}
static inline uint64_t omsi_be64(const unsigned char *p)
{
    return (uint64_t)omsi_be32(p + 4) | (uint64_t)omsi_be32(p) << 32;
}
static inline float omsi_bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double omsi_bits_to_f64(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
bool omsi_host_is_little_endian(void);
/* Reverses the bytes of each of count items of item_size bytes in place. */
void omsi_swap_items(void *buf, size_t item_size, size_t count);

/* ---- files ---- */
/* Size of a regular file; error names the path. */
int omsi_file_size(const char *path, uint64_t *size, omsi_error *err);
bool omsi_is_regular_file(const char *path);
/* What a dataset's companion file is (symlinks followed). MISSING (also a
 * dangling symlink) may still come: "incomplete, waiting". NOT_REGULAR (a
 * FIFO, device, socket or directory, e.g. a symlink to /dev/zero) and
 * UNREADABLE (stat failed otherwise) never become data: "broken". why (may
 * be NULL) gets "PATH: missing", "PATH: not a regular file (a FIFO)" or the
 * stat error; size (may be NULL) the size of a REGULAR file. */
typedef enum omsi_file_kind {
    OMSI_FILE_REGULAR,
    OMSI_FILE_MISSING,
    OMSI_FILE_NOT_REGULAR,
    OMSI_FILE_UNREADABLE
} omsi_file_kind;
omsi_file_kind omsi_companion_kind(const char *path, uint64_t *size, omsi_error *why);
bool omsi_is_directory(const char *path);
/* pread exactly n bytes at offset, retrying on EINTR / short reads; a short
 * file is OMSI_ERR_FORMAT ("truncated"), naming path. */
int omsi_pread_exact(int fd, void *buf, size_t n, uint64_t offset, const char *path,
                     omsi_error *err);
/* Reads a whole small file (at most max_bytes) into a NUL-terminated buffer. */
int omsi_read_small_file(const char *path, size_t max_bytes, char **out, size_t *len,
                         omsi_error *err);

/* ---- paths ---- */
/* malloc'ed "dir/name"; NULL when out of memory. */
char *omsi_path_join(const char *dir, const char *name);
/* Last component (pointer into path, trailing slashes ignored when copying). */
char *omsi_path_basename(const char *path);
/* malloc'ed directory part ("." when none). */
char *omsi_path_dirname(const char *path);
/* Case-insensitive "does name end with ext" (ext includes the dot). */
bool omsi_has_suffix_ci(const char *name, const char *ext);
/* malloc'ed copy of path with exactly one trailing ext removed (case-insensitive),
 * or NULL if it does not end with ext. */
char *omsi_strip_suffix_ci(const char *path, const char *ext);

typedef struct omsi_path_list {
    char **paths;
    size_t count;
    size_t capacity;
} omsi_path_list;
void omsi_path_list_init(omsi_path_list *list);
int omsi_path_list_add(omsi_path_list *list, const char *path); /* copies */
void omsi_path_list_free(omsi_path_list *list);

/* ---- time ---- */
double omsi_monotonic_seconds(void);

#endif
