/* MS-Numpress (mzML MS:1002312 linear, MS:1002313 pic, MS:1002314 slof)
 * through libmsnumpress, which is C++: readers/numpress.cpp is the one
 * extern "C" file, and no exception crosses it. */
#ifndef OMSI_NUMPRESS_H
#define OMSI_NUMPRESS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum numpress_codec { NUMPRESS_LINEAR = 0, NUMPRESS_PIC, NUMPRESS_SLOF } numpress_codec;

/* The most values n encoded bytes can decode to (the library's own bounds:
 * linear (n - 8) * 2, pic n * 2, slof (n - 8) / 2). */
size_t numpress_decode_bound(numpress_codec c, size_t n);
/* Decodes n bytes into out, which holds numpress_decode_bound(c, n)
 * values; *count gets how many. 0 ok, -1 corrupt data. */
int numpress_decode(numpress_codec c, const unsigned char *in, size_t n, double *out, size_t *count);

/* The most bytes n values encode to. */
size_t numpress_encode_bound(numpress_codec c, size_t n);
/* Encodes n values into out (numpress_encode_bound bytes) with the
 * codec's optimal fixed point (pic: none); *bytes gets the size. 0 ok, -1
 * when the values cannot be encoded (e.g. negative for pic/slof). */
int numpress_encode(numpress_codec c, const double *in, size_t n, unsigned char *out, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
