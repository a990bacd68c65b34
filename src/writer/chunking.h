/* Chunk shapes of the intensity datasets (openmsi-hdf5.md section 12). */
#ifndef OMSI_CHUNKING_H
#define OMSI_CHUNKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* BASTet's auto rule (12.2) for an X x Y x Z cube of item_size-byte values:
 * the spectrum chunk (1, 1, n) and the image chunk (cx, cy, 1). */
void omsi_chunk_auto_spectrum(uint64_t x, uint64_t y, uint64_t z, size_t item_size,
                              uint64_t out[3]);
void omsi_chunk_auto_image(uint64_t x, uint64_t y, uint64_t z, size_t item_size, uint64_t out[3]);

/* Auto chunks are never smaller than this where the shape allows it: tiny
 * chunks cost more in index entries and per-chunk work than they hold. */
#define OMSI_CHUNK_MIN_BYTES 16384u

/* Raises an auto chunk c (in place) to OMSI_CHUNK_MIN_BYTES where the shape
 * allows: merging bins first (image chunks: a 1 x 1 x 113811 Bruker
 * spectrum no longer gets 1 x 1 x 1 chunks) or pixels first (spectrum
 * chunks of short spectra). */
void omsi_chunk_raise(const uint64_t shape[3], size_t item_size, bool bins_first, uint64_t c[3]);

/* Clips a requested chunk to the shape (each side 1..dim) and, if the chunk
 * would reach 4 GiB, shrinks its largest side until it does not. */
void omsi_chunk_clip(const uint64_t shape[3], const uint64_t want[3], size_t item_size,
                     uint64_t out[3]);

#endif
