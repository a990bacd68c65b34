// The extern "C" face of libmsnumpress (readers/numpress.h). The library
// throws (a const char *, or std::bad_alloc) on corrupt input: caught here.
#include "readers/numpress.h"

#include <libmsnumpress/MSNumpress.hpp>

namespace mp = ms::numpress::MSNumpress;

extern "C" size_t numpress_decode_bound(numpress_codec c, size_t n)
{
    switch (c) {
    case NUMPRESS_LINEAR: return n < 8 ? 0 : (n - 8) * 2;
    case NUMPRESS_PIC: return n * 2;
    default: return n < 8 ? 0 : (n - 8) / 2;
    }
}

extern "C" int numpress_decode(numpress_codec c, const unsigned char *in, size_t n, double *out, size_t *count)
{
    *count = 0;
    if (n == 0)
        return 0;
    if (c != NUMPRESS_PIC && n < 8)
        return -1; // shorter than the fixed point the codec starts with
    try {
        size_t got = c == NUMPRESS_LINEAR ? mp::decodeLinear(in, n, out)
                     : c == NUMPRESS_PIC  ? mp::decodePic(in, n, out)
                                          : mp::decodeSlof(in, n, out);
        if (got == static_cast<size_t>(-1) || got > numpress_decode_bound(c, n))
            return -1;
        *count = got;
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" size_t numpress_encode_bound(numpress_codec c, size_t n)
{
    return c == NUMPRESS_SLOF ? n * 2 + 8 : n * 5 + 8;
}

extern "C" int numpress_encode(numpress_codec c, const double *in, size_t n, unsigned char *out, size_t *bytes)
{
    *bytes = 0;
    try {
        switch (c) {
        case NUMPRESS_LINEAR:
            *bytes = mp::encodeLinear(in, n, out, mp::optimalLinearFixedPoint(in, n));
            break;
        case NUMPRESS_PIC:
            *bytes = mp::encodePic(in, n, out);
            break;
        default:
            *bytes = mp::encodeSlof(in, n, out, mp::optimalSlofFixedPoint(in, n));
            break;
        }
        return 0;
    } catch (...) {
        return -1;
    }
}
