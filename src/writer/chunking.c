#include "writer/chunking.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void omsi_chunk_auto_spectrum(uint64_t x, uint64_t y, uint64_t z, size_t item_size,
                              uint64_t out[3])
{
    uint64_t t = 65536 / item_size;
    uint64_t p1 = z / t > 1 ? z / t : 1;
    uint64_t n1 = ceil_div(z, p1);
    uint64_t pad1 = (ceil_div(z, n1) * n1 - z) * x * y * item_size;
    uint64_t p2 = ceil_div(z, t) > 1 ? ceil_div(z, t) : 1;
    uint64_t n2 = ceil_div(z, p2);
    uint64_t pad2 = (ceil_div(z, n2) * n2 - z) * x * y * item_size;
    out[0] = 1;
    out[1] = 1;
    out[2] = pad1 < pad2 ? n1 : n2;
}

void omsi_chunk_auto_image(uint64_t x, uint64_t y, uint64_t z, size_t item_size, uint64_t out[3])
{
    (void)z;
    uint64_t t = 65536 / item_size;
    out[0] = x;
    out[1] = y;
    out[2] = 1;
    if (ceil_div(x * y, t) > 4) {
        out[0] = ceil_div(x, 2);
        out[1] = ceil_div(y, 2);
    }
}

void omsi_chunk_clip(const uint64_t shape[3], const uint64_t want[3], size_t item_size,
                     uint64_t out[3])
{
    for (int i = 0; i < 3; i++) {
        uint64_t v = want[i] ? want[i] : 1;
        out[i] = v > shape[i] ? (shape[i] ? shape[i] : 1) : v;
    }
    const uint64_t limit = (UINT64_C(1) << 32) - 1;
    while (out[0] * out[1] * out[2] * item_size > limit) {
        int big = out[0] >= out[1] && out[0] >= out[2] ? 0 : out[1] >= out[2] ? 1 : 2;
        out[big] = ceil_div(out[big], 2);
    }
}

void omsi_chunk_raise(const uint64_t shape[3], size_t item_size, bool bins_first, uint64_t c[3])
{
    /* Merge bins (z) or pixels (y, then x) until the chunk holds
     * OMSI_CHUNK_MIN_BYTES; each side stays within the shape. */
    static const int bins[3] = {2, 1, 0}, pixels[3] = {1, 0, 2};
    const int *order = bins_first ? bins : pixels;
    for (int k = 0; k < 3; k++) {
        int i = order[k];
        uint64_t others = item_size;
        for (int j = 0; j < 3; j++)
            if (j != i)
                others *= c[j];
        if (others * c[i] >= OMSI_CHUNK_MIN_BYTES)
            return;
        uint64_t want = ceil_div(OMSI_CHUNK_MIN_BYTES, others);
        uint64_t most = shape[i] ? shape[i] : 1;
        c[i] = want > most ? most : want > c[i] ? want : c[i];
    }
}
