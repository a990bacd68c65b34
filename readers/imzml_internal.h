/* imzML reader internals (spec section 2): the spectrum index built by one
 * streaming pass over the XML, the common m/z axis, the reader state. */
#ifndef OMSI_IMZML_INTERNAL_H
#define OMSI_IMZML_INTERNAL_H

#include "readers/psi_xml.h"
#include "readers/reader.h"

#include <openssl/evp.h>

/* Binary array value types of the .ibd (all little-endian). */
typedef enum imzml_type { IMZ_NONE = 0, IMZ_F32, IMZ_F64, IMZ_I32, IMZ_I64 } imzml_type;

typedef struct imzml_array {
    uint64_t offset;      /* IMS:1000102 */
    uint64_t length;      /* IMS:1000103: number of values */
    uint64_t encoded;     /* IMS:1000104: bytes stored (0 = unknown) */
    imzml_type type;
    bool zlib;
} imzml_array;

typedef struct imzml_spectrum {
    uint32_t x, y;        /* 1-based positions as written */
    imzml_array mz, intensity;
    bool mz_is_axis;      /* its m/z array is the exact common axis, value for value (readers/imzml_axis.c) */
} imzml_spectrum;

typedef struct imzml_files {
    char *imzml, *ibd;
} imzml_files;

/* Resolves a .imzML/.ibd path, a stem or a folder (first .imzML by name). */
int imzml_files_resolve(const char *path, imzml_files *out, omsi_error *err);
void imzml_files_free(imzml_files *f);

/* What the header (everything before <run>) says. */
typedef struct imzml_header {
    char uuid[33];            /* 32 lower-case hex digits, "" if none */
    int declared_mode;        /* 0 unknown, 1 continuous, 2 processed */
    char declared_mode_text[96];
    bool is_imzml;            /* mzML root with IMS terms in fileContent */
    int checksum_kind;        /* 0 none, 1 MD5 (IMS:1000090), 2 SHA-1 (IMS:1000091) */
    char checksum[41];        /* its value, lower-case hex */
} imzml_header;

/* The index: every spectrum with its positions and arrays. */
typedef struct imzml_index {
    imzml_header header;
    imzml_spectrum *spectra;
    size_t count, capacity;
    omsi_metadata metadata;   /* header terms worth keeping */
} imzml_index;

void imzml_index_free(imzml_index *ix);

/* Reads the header only (stops at <run>): the cheap classifier's view. */
int imzml_read_header(const char *path, imzml_header *out, omsi_error *err);

/* Reads the whole XML into ix and checks every array against ibd_size.
 * max_spectra bounds the index (0 = no bound). */
int imzml_read_index(const char *path, uint64_t ibd_size, imzml_index *ix, omsi_error *err);
/* The same, checking every spectrum's buffers (raw, inflated and decoded
 * arrays) against memory_limit (omsi_budget_check; 0 = default). */
int imzml_read_index_limited(const char *path, uint64_t ibd_size, uint64_t memory_limit, imzml_index *ix,
                             omsi_error *err);

/* Bytes per value of a type. */
size_t imzml_type_size(imzml_type t);

/* Verifies the declared .ibd checksum from the reader's own reads
 * (imzml_checksum.c explains the cursor). */
typedef struct imzml_checksum {
    EVP_MD_CTX *ctx;
    const char *algorithm;    /* "MD5", "SHA-1" */
    char expected[41], actual[41];
    uint64_t cursor, size;    /* bytes [0, cursor) hashed; .ibd size */
    bool pending;             /* declared and not yet decided */
    omsi_checksum_state state;
    unsigned char *gap;
} imzml_checksum;

int imzml_checksum_start(imzml_checksum *c, const imzml_header *h, uint64_t ibd_size, omsi_error *err);
/* bytes are n bytes just read at offset. c may be NULL. */
int imzml_checksum_feed(imzml_checksum *c, int fd, const char *path, uint64_t offset, const unsigned char *bytes,
                        size_t n, omsi_error *err);
/* Hashes the rest of the file and decides (once). */
int imzml_checksum_finish(imzml_checksum *c, int fd, const char *path, omsi_error *err);
void imzml_checksum_free(imzml_checksum *c);

/* Reads one array from the .ibd (inflating zlib data) as doubles into out
 * (length values). scratch is a reusable buffer; sum (may be NULL) sees the bytes. */
int imzml_read_array(int fd, const char *ibd_path, const imzml_array *a, double *out,
                     unsigned char **scratch, size_t *scratch_size, imzml_checksum *sum, omsi_error *err);

#endif
