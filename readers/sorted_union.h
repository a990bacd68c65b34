/* A sorted set of distinct doubles built from unsorted batches with bounded
 * extra memory: the exact common m/z axis of centroid/processed spectra. */
#ifndef OMSI_SORTED_UNION_H
#define OMSI_SORTED_UNION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sorted_union {
    double *values;       /* sorted, distinct */
    size_t count;
    double *batch;
    size_t batch_count, batch_capacity;
    uint64_t limit;       /* > limit distinct values: overflow */
    bool overflow, failed;
} sorted_union;

void sorted_union_init(sorted_union *u, uint64_t limit);
void sorted_union_add(sorted_union *u, const double *values, size_t n);
/* Merges what is pending; false on overflow or out of memory. */
bool sorted_union_finish(sorted_union *u);
void sorted_union_free(sorted_union *u);
/* Index of value in the set (it must be one of its values). */
size_t sorted_union_find(const double *values, size_t count, double value);

#endif
