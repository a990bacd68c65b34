#include "readers/zlib_array.h"

#include <libdeflate.h>

zlib_array_result zlib_array_inflate(const void *in, size_t in_len, void *out, size_t want, size_t *got)
{
    *got = 0;
    /* one decompressor per array: it is small (no global state to share),
     * and its allocation is noise beside the inflate itself */
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d)
        return ZLIB_ARRAY_NOMEM;
    size_t n = 0;
    enum libdeflate_result r = libdeflate_zlib_decompress(d, in, in_len, out, want, &n);
    libdeflate_free_decompressor(d);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
        return ZLIB_ARRAY_LONG;
    if (r != LIBDEFLATE_SUCCESS)
        return ZLIB_ARRAY_CORRUPT;
    *got = n;
    return n == want ? ZLIB_ARRAY_OK : ZLIB_ARRAY_SHORT;
}

const char *zlib_array_problem(zlib_array_result r)
{
    switch (r) {
    case ZLIB_ARRAY_OK: return "inflates";
    case ZLIB_ARRAY_NOMEM: return "cannot be inflated (out of memory)";
    case ZLIB_ARRAY_CORRUPT: return "is corrupt";
    case ZLIB_ARRAY_SHORT: return "inflates to fewer bytes than declared";
    case ZLIB_ARRAY_LONG: return "inflates to more bytes than declared";
    }
    return "is corrupt";
}
