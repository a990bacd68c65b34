/* The .ibd checksum an imzML file declares (IMS:1000090 MD5, IMS:1000091
 * SHA-1), computed from the bytes the reader reads anyway. A digest needs
 * the bytes in file order, so the reader keeps a cursor: a read that starts
 * at or before it hashes its new part; a read that starts beyond it first
 * reads the gap up to it (sequential, and it puts those bytes in the page
 * cache for the reads that follow); the verdict reads the tail after the
 * furthest read. Spectra stored in file order and read in order (the
 * iterator, check) cost nothing but the digest; tile-order reads
 * (read_spectrum) move the cursor to the end of the first tile's last
 * spectrum and are then served behind it. */
#include "readers/imzml_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GAP_CHUNK = 1 << 20 };

int imzml_checksum_start(imzml_checksum *c, const imzml_header *h, uint64_t ibd_size, omsi_error *err)
{
    memset(c, 0, sizeof *c);
    c->size = ibd_size;
    if (!h->checksum_kind)
        return 0;
    c->algorithm = h->checksum_kind == 1 ? "MD5" : "SHA-1";
    snprintf(c->expected, sizeof c->expected, "%s", h->checksum);
    c->ctx = EVP_MD_CTX_new();
    if (!c->ctx || !EVP_DigestInit_ex(c->ctx, h->checksum_kind == 1 ? EVP_md5() : EVP_sha1(), NULL)) {
        EVP_MD_CTX_free(c->ctx);
        c->ctx = NULL;
        return omsi_error_set(err, OMSI_ERR_NOMEM, "cannot start an %s digest", c->algorithm);
    }
    c->pending = true;
    return 0;
}

/* Hashes [cursor, end) read from fd, in bounded chunks. */
static int hash_gap(imzml_checksum *c, int fd, const char *path, uint64_t end, omsi_error *err)
{
    if (end <= c->cursor)
        return 0;
    if (!c->gap && !(c->gap = malloc(GAP_CHUNK)))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for the checksum", path);
    while (c->cursor < end) {
        size_t n = end - c->cursor < GAP_CHUNK ? (size_t)(end - c->cursor) : GAP_CHUNK;
        int rc = omsi_pread_exact(fd, c->gap, n, c->cursor, path, err);
        if (rc)
            return rc;
        EVP_DigestUpdate(c->ctx, c->gap, n);
        c->cursor += n;
    }
    return 0;
}

int imzml_checksum_feed(imzml_checksum *c, int fd, const char *path, uint64_t offset, const unsigned char *bytes,
                        size_t n, omsi_error *err)
{
    if (!c || !c->pending || offset + n <= c->cursor)
        return 0;
    int rc = hash_gap(c, fd, path, offset, err);
    if (rc)
        return rc;
    uint64_t skip = c->cursor - offset; /* part already hashed */
    EVP_DigestUpdate(c->ctx, bytes + skip, (size_t)(n - skip));
    c->cursor = offset + n;
    return 0;
}

int imzml_checksum_finish(imzml_checksum *c, int fd, const char *path, omsi_error *err)
{
    if (!c->pending)
        return 0;
    int rc = hash_gap(c, fd, path, c->size, err);
    if (rc)
        return rc;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(c->ctx, md, &len);
    for (unsigned int i = 0; i < len; i++)
        snprintf(c->actual + 2 * i, 3, "%02x", md[i]);
    c->pending = false;
    c->state = strcmp(c->actual, c->expected) == 0 ? OMSI_CHECKSUM_OK : OMSI_CHECKSUM_MISMATCH;
    return 0;
}

void imzml_checksum_free(imzml_checksum *c)
{
    EVP_MD_CTX_free(c->ctx);
    free(c->gap);
    memset(c, 0, sizeof *c);
}
