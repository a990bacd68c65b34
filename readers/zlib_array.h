/* zlib-compressed binary arrays (mzML/imzML MS:1000574) inflated with
 * libdeflate into a buffer of the size the array declares: one call, no
 * stream state, and data that would inflate to more is stopped at the
 * buffer's end instead of being trusted. */
#ifndef OMSI_ZLIB_ARRAY_H
#define OMSI_ZLIB_ARRAY_H

#include <stddef.h>

typedef enum zlib_array_result {
    ZLIB_ARRAY_OK = 0,
    ZLIB_ARRAY_NOMEM,    /* no memory for the decompressor */
    ZLIB_ARRAY_CORRUPT,  /* not a valid zlib stream (or a bad checksum) */
    ZLIB_ARRAY_SHORT,    /* valid, but fewer bytes than declared */
    ZLIB_ARRAY_LONG      /* valid so far, but more bytes than declared */
} zlib_array_result;

/* Inflates the zlib stream in (bytes after its end are ignored, as zlib's
 * uncompress does) into out, which holds exactly want bytes; *got is the
 * inflated size on OK and SHORT. */
zlib_array_result zlib_array_inflate(const void *in, size_t in_len, void *out, size_t want, size_t *got);

/* A short phrase for a result, e.g. "is corrupt". */
const char *zlib_array_problem(zlib_array_result r);

#endif
