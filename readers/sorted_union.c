#include "readers/sorted_union.h"

#include <stdlib.h>
#include <string.h>

enum { BATCH = 1 << 20 };

void sorted_union_init(sorted_union *u, uint64_t limit)
{
    memset(u, 0, sizeof *u);
    u->limit = limit;
}

void sorted_union_free(sorted_union *u)
{
    free(u->values);
    free(u->batch);
    memset(u, 0, sizeof *u);
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void flush(sorted_union *u)
{
    if (u->batch_count == 0 || u->failed)
        return;
    qsort(u->batch, u->batch_count, sizeof *u->batch, compare);
    size_t n = 1;
    for (size_t i = 1; i < u->batch_count; i++)
        if (u->batch[i] != u->batch[n - 1])
            u->batch[n++] = u->batch[i];
    double *out = malloc((u->count + n) * sizeof *out);
    if (!out) {
        u->failed = true;
        return;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < u->count || j < n) {
        if (j == n || (i < u->count && u->values[i] < u->batch[j]))
            out[k++] = u->values[i++];
        else if (i == u->count || u->batch[j] < u->values[i])
            out[k++] = u->batch[j++];
        else {
            out[k++] = u->values[i++];
            j++;
        }
    }
    free(u->values);
    u->values = out;
    u->count = k;
    u->batch_count = 0;
    if (u->limit && k > u->limit)
        u->overflow = true;
}

void sorted_union_add(sorted_union *u, const double *values, size_t n)
{
    for (size_t i = 0; i < n && !u->failed && !u->overflow; i++) {
        if (u->batch_count == u->batch_capacity) {
            if (u->batch_capacity == BATCH) {
                flush(u);
            } else {
                size_t cap = u->batch_capacity ? 2 * u->batch_capacity : 1024;
                double *b = realloc(u->batch, (cap > BATCH ? BATCH : cap) * sizeof *b);
                if (!b) {
                    u->failed = true;
                    return;
                }
                u->batch = b;
                u->batch_capacity = cap > BATCH ? BATCH : cap;
            }
        }
        u->batch[u->batch_count++] = values[i];
    }
}

bool sorted_union_finish(sorted_union *u)
{
    flush(u);
    return !u->failed && !u->overflow;
}

size_t sorted_union_find(const double *values, size_t count, double value)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (values[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count ? lo : count - 1;
}
