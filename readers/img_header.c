#include "readers/img_header.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const img_exts[] = {".hdr", ".img", ".t2m"};

void omsi_img_files_free(omsi_img_files *files)
{
    free(files->hdr);
    free(files->img);
    free(files->t2m);
    files->hdr = files->img = files->t2m = NULL;
}

/* Companion of stem with extension ext; keeps the case of an existing file
 * (".HDR" exports exist), defaulting to lower case. */
static char *companion(const char *stem, const char *ext)
{
    size_t n = strlen(stem);
    char *lower = malloc(n + 5), *upper = malloc(n + 5);
    if (!lower || !upper) {
        free(lower);
        free(upper);
        return NULL;
    }
    memcpy(lower, stem, n);
    memcpy(upper, stem, n);
    for (int i = 0; i < 5; i++) {
        lower[n + i] = ext[i];
        upper[n + i] = (char)(i && ext[i] ? ext[i] - 'a' + 'A' : ext[i]);
    }
    if (!omsi_is_regular_file(lower) && omsi_is_regular_file(upper)) {
        free(lower);
        return upper;
    }
    free(upper);
    return lower;
}

static int files_from_stem(const char *stem, omsi_img_files *out, omsi_error *err)
{
    out->hdr = companion(stem, ".hdr");
    out->img = companion(stem, ".img");
    out->t2m = companion(stem, ".t2m");
    if (!out->hdr || !out->img || !out->t2m) {
        omsi_img_files_free(out);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: the first .hdr (name order) whose .t2m or .img exists; with
 * no .hdr at all, the first .t2m (a dataset whose header is still missing). */
static int files_from_directory(const char *dir, omsi_img_files *out, omsi_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return omsi_error_errno(err, OMSI_ERR_NOT_FORMAT, errno, "%s", dir);
    omsi_path_list names, t2ms;
    omsi_path_list_init(&names);
    omsi_path_list_init(&t2ms);
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        if (omsi_has_suffix_ci(e->d_name, ".hdr"))
            rc = omsi_path_list_add(&names, e->d_name);
        else if (omsi_has_suffix_ci(e->d_name, ".t2m"))
            rc = omsi_path_list_add(&t2ms, e->d_name);
    }
    closedir(d);
    if (rc) {
        omsi_path_list_free(&names);
        omsi_path_list_free(&t2ms);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    if (names.count == 0 && t2ms.count > 0) {
        qsort(t2ms.paths, t2ms.count, sizeof *t2ms.paths, compare_strings);
        char *t2m = omsi_path_join(dir, t2ms.paths[0]);
        char *stem = t2m ? omsi_strip_suffix_ci(t2m, ".t2m") : NULL;
        rc = stem ? files_from_stem(stem, out, err) : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        free(stem);
        free(t2m);
        omsi_path_list_free(&t2ms);
        return rc;
    }
    omsi_path_list_free(&t2ms);
    if (names.count > 1)
        qsort(names.paths, names.count, sizeof *names.paths, compare_strings);
    rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: no .hdr/.t2m/.img triplet", dir);
    for (size_t i = 0; i < names.count; i++) {
        char *hdr = omsi_path_join(dir, names.paths[i]);
        char *stem = hdr ? omsi_strip_suffix_ci(hdr, ".hdr") : NULL;
        free(hdr);
        if (!stem) {
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            break;
        }
        omsi_img_files f = {0};
        int frc = files_from_stem(stem, &f, err);
        free(stem);
        if (frc) {
            rc = frc;
            break;
        }
        if (omsi_is_regular_file(f.t2m) || omsi_is_regular_file(f.img) || i + 1 == names.count) {
            *out = f;
            omsi_error_clear(err);
            rc = 0;
            break;
        }
        omsi_img_files_free(&f);
    }
    omsi_path_list_free(&names);
    return rc;
}

int omsi_img_files_resolve(const char *path, omsi_img_files *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    if (omsi_is_directory(path))
        return files_from_directory(path, out, err);
    for (size_t i = 0; i < sizeof img_exts / sizeof img_exts[0]; i++)
        if (omsi_has_suffix_ci(path, img_exts[i])) {
            /* Remove exactly one extension (not BASTet's rstrip of a character set). */
            char *stem = omsi_strip_suffix_ci(path, img_exts[i]);
            if (!stem)
                return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            int rc = files_from_stem(stem, out, err);
            free(stem);
            return rc;
        }
    return files_from_stem(path, out, err);
}

static void copy_text(char *dst, const unsigned char *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
    for (size_t i = 0; i < n; i++) /* keep the text printable */
        if (dst[i] && (dst[i] < 0x20 || dst[i] == 0x7f))
            dst[i] = ' ';
    size_t len = strlen(dst);
    while (len && dst[len - 1] == ' ')
        dst[--len] = '\0';
}

int omsi_img_header_parse(const unsigned char *buf, size_t len, const char *path,
                          omsi_img_header *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 4)
        return omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: %zu bytes, too short for an Analyze header",
                              path, len);
    int32_t le = (int32_t)omsi_le32(buf), be = (int32_t)omsi_be32(buf);
    if (le == OMSI_IMG_HDR_STANDARD || le == OMSI_IMG_HDR_VARIANT) {
        out->sizeof_hdr = le;
    } else if (be == OMSI_IMG_HDR_STANDARD || be == OMSI_IMG_HDR_VARIANT) {
        out->sizeof_hdr = be;
        out->big_endian = true;
    } else {
        return omsi_error_set(err, OMSI_ERR_NOT_FORMAT,
                              "%s: sizeof_hdr is %d, not 348 or 384 in either byte order", path, le);
    }
    if (len < OMSI_IMG_HDR_STANDARD)
        return omsi_error_set(err, OMSI_ERR_INCOMPLETE,
                              "%s: header is %zu bytes, sizeof_hdr says %d", path, len, out->sizeof_hdr);
    bool big = out->big_endian;
#define U16(off) (big ? omsi_be16(buf + (off)) : omsi_le16(buf + (off)))
#define U32(off) (big ? omsi_be32(buf + (off)) : omsi_le32(buf + (off)))
    for (int i = 0; i < 8; i++) {
        out->dim[i] = U16(40 + 2 * i);
        out->pixdim[i] = omsi_bits_to_f32(U32(76 + 4 * i));
    }
    out->datatype = (int16_t)U16(70);
    out->bitpix = (int16_t)U16(72);
    out->vox_offset = omsi_bits_to_f32(U32(108));
#undef U16
#undef U32
    copy_text(out->vox_units, buf + 56, 4);
    copy_text(out->descrip, buf + 148, 80);
    copy_text(out->originator, buf + 253, 10);
    copy_text(out->exp_date, buf + 293, 10);
    copy_text(out->exp_time, buf + 303, 10);
    return 0;
}

static const struct {
    int16_t code, bitpix;
    omsi_dtype dtype;
} img_types[] = {
    {2, 8, OMSI_DT_UINT8},    {4, 16, OMSI_DT_INT16},   {8, 32, OMSI_DT_INT32},
    {16, 32, OMSI_DT_FLOAT32}, {64, 64, OMSI_DT_FLOAT64},
};

int omsi_img_dtype(const omsi_img_header *h, bool force_unsigned, omsi_dtype *out,
                   const char *path, omsi_error *err)
{
    for (size_t i = 0; i < sizeof img_types / sizeof img_types[0]; i++) {
        if (img_types[i].code != h->datatype)
            continue;
        if (img_types[i].bitpix != h->bitpix)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: bitpix %d disagrees with datatype %d (expects %d)", path,
                                  h->bitpix, h->datatype, img_types[i].bitpix);
        *out = img_types[i].dtype;
        if (force_unsigned && *out == OMSI_DT_INT16)
            *out = OMSI_DT_UINT16;
        return 0;
    }
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                          "%s: Analyze datatype %d is not supported (only 2, 4, 8, 16, 64 hold MSI intensities)",
                          path, h->datatype);
}

int omsi_img_code_for_dtype(omsi_dtype t, int16_t *bitpix)
{
    if (t == OMSI_DT_UINT16)
        t = OMSI_DT_INT16;
    for (size_t i = 0; i < sizeof img_types / sizeof img_types[0]; i++)
        if (img_types[i].dtype == t) {
            *bitpix = img_types[i].bitpix;
            return img_types[i].code;
        }
    return -1;
}
