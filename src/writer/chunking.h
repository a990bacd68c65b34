/* Chunk shapes of the intensity datasets (openmsi-hdf5.md section 12). */
#ifndef OMSI_CHUNKING_H
#define OMSI_CHUNKING_H

#include <stddef.h>
#include <stdint.h>

/* BASTet's auto rule (12.2) for an X x Y x Z cube of item_size-byte values:
 * the spectrum chunk (1, 1, n) and the image chunk (cx, cy, 1). */
void omsi_chunk_auto_spectrum(uint64_t x, uint64_t y, uint64_t z, size_t item_size,
                              uint64_t out[3]);
void omsi_chunk_auto_image(uint64_t x, uint64_t y, uint64_t z, size_t item_size, uint64_t out[3]);

/* Clips a requested chunk to the shape (each side 1..dim) and, if the chunk
 * would reach 4 GiB, shrinks its largest side until it does not. */
void omsi_chunk_clip(const uint64_t shape[3], const uint64_t want[3], size_t item_size,
                     uint64_t out[3]);

#endif
