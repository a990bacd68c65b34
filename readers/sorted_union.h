/* A sorted set of distinct doubles built from arrays that are almost always
 * sorted already, with bounded extra memory: the exact common m/z axis of
 * centroid/processed spectra.
 *
 * Each added array is checked for order in O(n) (only unsorted ones are
 * sorted; they are counted), its values already in the set are skipped by a
 * galloping search, and the new ones join a stack of pending sorted runs that
 * a cascade of pairwise merges with geometric sizes keeps to O(log k) runs.
 * The pending runs are merged into the set once they hold half as many values
 * as the set: O(N log k) in all, never O(N x U). Values must be finite (the
 * readers check that before adding). */
#ifndef OMSI_SORTED_UNION_H
#define OMSI_SORTED_UNION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SORTED_UNION_MAX_RUNS = 64 };

typedef struct sorted_union_run {
    size_t start, len;
} sorted_union_run;

typedef struct sorted_union {
    double *values;       /* sorted, distinct */
    size_t count;
    double *pending;      /* sorted runs of values not in values[] */
    size_t pending_count, pending_capacity;
    sorted_union_run runs[SORTED_UNION_MAX_RUNS];
    size_t n_runs;
    double *scratch;      /* the lower run of a pairwise merge */
    size_t scratch_capacity;
    uint64_t limit;       /* > limit distinct values: overflow */
    uint64_t arrays;      /* non-empty arrays added */
    uint64_t unsorted;    /* of those, arrays not in non-decreasing order (sorted here) */
    bool overflow, failed;
} sorted_union;

void sorted_union_init(sorted_union *u, uint64_t limit);
/* True when the set (with what is pending) gained values. */
bool sorted_union_add(sorted_union *u, const double *values, size_t n);
/* Adds values if they are the set itself (processed files often repeat one
 * m/z array): one memcmp, and such values need no finiteness check, being
 * the set's. False, with nothing done, for any other array. */
bool sorted_union_add_repeat(sorted_union *u, const double *values, size_t n);
/* Merges what is pending; false on overflow or out of memory. */
bool sorted_union_finish(sorted_union *u);
void sorted_union_free(sorted_union *u);
/* The first index >= from whose value is >= value (count if none), found by
 * galloping from `from`: O(log distance), for walking a sorted array along
 * the set. */
size_t sorted_union_gallop_far(const double *values, size_t count, size_t from, double value);
static inline size_t sorted_union_gallop(const double *values, size_t count, size_t from, double value)
{
    /* inline for the common case: the next value is at from or from + 1 */
    if (from >= count || values[from] >= value)
        return from;
    if (from + 1 >= count || values[from + 1] >= value)
        return from + 1;
    return sorted_union_gallop_far(values, count, from + 1, value);
}

#endif
