/* Analyze 7.5 header (.hdr) decoding and the file triplet of one dataset
 * (../shared/spec/input-formats.md section 1). */
#ifndef OMSI_IMG_HEADER_H
#define OMSI_IMG_HEADER_H

#include "readers/reader.h"

#include <stdbool.h>
#include <stdint.h>

enum { OMSI_IMG_HDR_STANDARD = 348, OMSI_IMG_HDR_VARIANT = 384 };

typedef struct omsi_img_header {
    bool big_endian;
    int32_t sizeof_hdr;        /* 348 or 384 */
    uint16_t dim[8];           /* read unsigned: dim[1] overflows int16 */
    int16_t datatype, bitpix;
    float pixdim[8];
    float vox_offset;
    char descrip[81], originator[11], exp_date[11], exp_time[11], vox_units[5];
} omsi_img_header;

/* The three files of one dataset, derived from any of them, the stem or a
 * directory (first complete triplet in name order). */
typedef struct omsi_img_files {
    char *hdr, *img, *t2m;
} omsi_img_files;

/* OMSI_ERR_NOT_FORMAT when path cannot be an Analyze dataset at all. */
int omsi_img_files_resolve(const char *path, omsi_img_files *out, omsi_error *err);
void omsi_img_files_free(omsi_img_files *files);

/* Decodes len bytes of a header file; OMSI_ERR_NOT_FORMAT when the size
 * probe fails, OMSI_ERR_FORMAT for a bad datatype/bitpix pair. */
int omsi_img_header_parse(const unsigned char *buf, size_t len, const char *path,
                          omsi_img_header *out, omsi_error *err);

/* Intensity type for the header's datatype code (force_unsigned: 4 → uint16). */
int omsi_img_dtype(const omsi_img_header *h, bool force_unsigned, omsi_dtype *out,
                   const char *path, omsi_error *err);

/* The datatype code and bitpix that store t, or -1. */
int omsi_img_code_for_dtype(omsi_dtype t, int16_t *bitpix);

#endif
