#include "watchd_tracker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void watchd_tracker_init(watchd_tracker *t) { memset(t, 0, sizeof *t); }

void watchd_tracker_free(watchd_tracker *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i].path);
    free(t->items);
    memset(t, 0, sizeof *t);
}

void watchd_tracker_begin(watchd_tracker *t)
{
    for (size_t i = 0; i < t->count; i++)
        t->items[i].seen = false;
}

void watchd_tracker_end(watchd_tracker *t)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (t->items[i].seen)
            t->items[kept++] = t->items[i];
        else
            free(t->items[i].path);
    }
    t->count = kept;
}

int watchd_tracker_update(watchd_tracker *t, const char *path, const omsi_format *format,
                          omsi_validity validity, uint64_t signature, double now)
{
    watchd_dataset *d = NULL;
    for (size_t i = 0; i < t->count && !d; i++)
        if (strcmp(t->items[i].path, path) == 0)
            d = &t->items[i];
    if (!d) {
        if (t->count == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 64;
            watchd_dataset *p = realloc(t->items, cap * sizeof *p);
            if (!p)
                return -1;
            t->items = p;
            t->cap = cap;
        }
        d = &t->items[t->count];
        memset(d, 0, sizeof *d);
        if (!(d->path = strdup(path)))
            return -1;
        t->count++;
        d->signature = signature;
        d->changed_at = now;
    } else if (d->signature != signature) {
        d->signature = signature;
        d->changed_at = now;
        d->enqueued = false; /* new content: a new job (a new version) */
        d->warned = false;
    }
    d->format = format;
    d->validity = validity;
    d->seen = true;
    return 0;
}

bool watchd_dataset_ready(const watchd_dataset *d, double now, double settle)
{
    if (d->enqueued || d->validity == OMSI_NOT_THIS_FORMAT)
        return false;
    /* Incomplete and untouched for ten settle times: the writer is gone.
     * The job fails with the reader's message and ends in quarantine. */
    double quiet = d->validity == OMSI_INCOMPLETE ? 10 * settle : settle;
    return now - d->changed_at >= quiet;
}

double watchd_tracker_next_deadline(const watchd_tracker *t, double now, double settle)
{
    double best = -1;
    for (size_t i = 0; i < t->count; i++) {
        const watchd_dataset *d = &t->items[i];
        if (d->enqueued)
            continue;
        double wait = d->changed_at + settle - now;
        if (wait < 0)
            wait = 0;
        if (best < 0 || wait < best)
            best = wait;
    }
    return best;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

uint64_t watchd_signature(const omsi_path_list *files)
{
    uint64_t h = UINT64_C(14695981039346656037);
    h = fnv(h, &files->count, sizeof files->count);
    for (size_t i = 0; i < files->count; i++) {
        struct stat st;
        int64_t fields[3] = {-1, -1, -1};
        if (stat(files->paths[i], &st) == 0) {
            fields[0] = st.st_size;
            fields[1] = st.st_mtim.tv_sec;
            fields[2] = st.st_mtim.tv_nsec;
        }
        h = fnv(h, files->paths[i], strlen(files->paths[i]));
        h = fnv(h, fields, sizeof fields);
    }
    return h;
}
