#include "readers/sorted_union.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


void sorted_union_init(sorted_union *u, uint64_t limit)
{
    memset(u, 0, sizeof *u);
    u->limit = limit;
}

void sorted_union_free(sorted_union *u)
{
    free(u->values);
    free(u->pending);
    free(u->scratch);
    memset(u, 0, sizeof *u);
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

size_t sorted_union_gallop_far(const double *a, size_t n, size_t from, double v)
{
    if (from >= n || a[from] >= v)
        return from;
    /* a[lo] < v; probe lo + 1, lo + 2, lo + 4, ... */
    size_t lo = from, step = 1, hi = from + 1;
    while (hi < n && a[hi] < v) {
        lo = hi;
        step *= 2;
        hi = n - lo > step ? lo + step : n;
    }
    /* a[lo] < v and (hi == n or a[hi] >= v) */
    lo++;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Merges the distinct sorted arrays a and b into out, each value once;
 * returns the count. out may be b's own storage as long as it starts at or
 * before b (the write position never passes the read position). */
static size_t merge_distinct(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        double x = a[i], y = b[j];
        out[k++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    while (i < na)
        out[k++] = a[i++];
    if (out + k != b + j)
        memmove(out + k, b + j, (nb - j) * sizeof *out);
    return k + (nb - j);
}

/* Merges the two topmost pending runs (adjacent, the upper one last). */
static void merge_top(sorted_union *u)
{
    sorted_union_run *lower = &u->runs[u->n_runs - 2], *upper = &u->runs[u->n_runs - 1];
    if (lower->len > u->scratch_capacity) {
        double *s = realloc(u->scratch, lower->len * sizeof *s);
        if (!s) {
            u->failed = true;
            return;
        }
        u->scratch = s;
        u->scratch_capacity = lower->len;
    }
    memcpy(u->scratch, u->pending + lower->start, lower->len * sizeof *u->scratch);
    lower->len = merge_distinct(u->scratch, lower->len, u->pending + upper->start, upper->len,
                                u->pending + lower->start);
    u->n_runs--;
    u->pending_count = lower->start + lower->len;
}

/* Merges every pending run into the set. */
static void flush(sorted_union *u)
{
    while (u->n_runs > 1 && !u->failed)
        merge_top(u);
    if (u->failed || u->n_runs == 0)
        return;
    /* the scratch is the size of a run: give it back before the merge copy */
    free(u->scratch);
    u->scratch = NULL;
    u->scratch_capacity = 0;
    size_t n = u->runs[0].len;
    double *out = malloc((u->count + n) * sizeof *out);
    if (!out) {
        u->failed = true;
        return;
    }
    size_t k = merge_distinct(u->values, u->count, u->pending, n, out);
    free(u->values);
    u->values = out;
    u->count = k;
    u->pending_count = 0;
    u->n_runs = 0;
    if (u->limit && k > u->limit)
        u->overflow = true;
}

static bool reserve_pending(sorted_union *u, size_t n)
{
    if (u->pending_capacity - u->pending_count >= n)
        return true;
    size_t cap = u->pending_capacity ? 2 * u->pending_capacity : 1024;
    if (cap < u->pending_count + n)
        cap = u->pending_count + n;
    if (cap > SIZE_MAX / sizeof(double))
        return false;
    double *p = realloc(u->pending, cap * sizeof *p);
    if (!p)
        return false;
    u->pending = p;
    u->pending_capacity = cap;
    return true;
}

/* Copies to dst the values of the sorted array src that the set does not
 * hold yet, each once, and returns their count; SIZE_MAX as soon as src turns
 * out not to be sorted (the order check costs one comparison a value in
 * this pass instead of a pass of its own). dst may be src. */
static size_t keep_new(const sorted_union *u, const double *src, size_t n, double *dst)
{
    /* locals: the stores to dst must not make the compiler reload the set */
    const double *set = u->values;
    size_t count = u->count, w = 0, pos = 0;
    double prev = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        /* Most of an array is usually already in the set, value after
         * value: walk that stretch with one comparison a value (it is in
         * order: the set is strictly increasing). */
        if (pos < count && src[i] == set[pos] && src[i] >= prev) {
            do {
                i++, pos++;
            } while (i < n && pos < count && src[i] == set[pos]);
            pos--; /* at the last match, where the gallop would have left it */
            prev = set[pos];
            if (i == n)
                break;
        }
        double v = src[i];
        if (v < prev)
            return SIZE_MAX;
        prev = v;
        pos = sorted_union_gallop(set, count, pos, v);
        if (pos < count && set[pos] == v)
            continue;
        if (w > 0 && dst[w - 1] == v)
            continue;
        dst[w++] = v;
    }
    return w;
}

static bool is_the_set(const sorted_union *u, const double *values, size_t n)
{
    return n > 0 && n == u->count && u->pending_count == 0 && memcmp(values, u->values, n * sizeof *values) == 0;
}

bool sorted_union_add_repeat(sorted_union *u, const double *values, size_t n)
{
    if (u->failed || u->overflow || !is_the_set(u, values, n))
        return false;
    u->arrays++;
    return true;
}

bool sorted_union_add(sorted_union *u, const double *values, size_t n)
{
    if (n == 0 || u->failed || u->overflow)
        return false;
    u->arrays++;
    if (!reserve_pending(u, n)) {
        u->failed = true;
        return false;
    }
    /* Processed files often repeat one m/z array in every spectrum: once
     * it is the set, a memcmp is all it costs (sorted and distinct, since
     * the set is). */
    if (is_the_set(u, values, n))
        return false;
    size_t start = u->pending_count;
    double *dst = u->pending + start;
    size_t w = keep_new(u, values, n, dst);
    if (w == SIZE_MAX) {
        /* sorted in place at the end of the pending runs, then filtered
         * there (the write position never passes the read position) */
        u->unsorted++;
        memcpy(dst, values, n * sizeof *dst);
        qsort(dst, n, sizeof *dst, compare);
        w = keep_new(u, dst, n, dst);
    }
    if (w == 0)
        return false;
    u->runs[u->n_runs++] = (sorted_union_run){start, w};
    u->pending_count = start + w;
    /* geometric sizes: each run at least twice the one above it */
    while (u->n_runs > 1 && !u->failed &&
           (2 * u->runs[u->n_runs - 1].len >= u->runs[u->n_runs - 2].len || u->n_runs == SORTED_UNION_MAX_RUNS))
        merge_top(u);
    /* into the set once they hold half as many values as it: each merge
     * costs O(1) per pending value, and the set, its merge copy and the
     * pending runs stay within 3 x the set (the readers budget 24 bytes a
     * point). The first array goes straight in. */
    if (!u->failed && u->pending_count >= u->count / 2)
        flush(u);
    return true;
}

bool sorted_union_finish(sorted_union *u)
{
    flush(u);
    return !u->failed && !u->overflow;
}

