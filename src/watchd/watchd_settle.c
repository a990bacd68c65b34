/* The settle rule (see watchd_settle.h). */
#include "watchd/watchd_settle.h"

#include <stdlib.h>
#include <string.h>

void watchd_table_init(watchd_table *t) { memset(t, 0, sizeof *t); }

static void candidate_free(watchd_candidate *c)
{
    free(c->key);
    free(c->dir);
    free(c->path);
}

void watchd_table_free(watchd_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        candidate_free(&t->items[i]);
    free(t->items);
    memset(t, 0, sizeof *t);
}

watchd_candidate *watchd_table_find(watchd_table *t, const char *key)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].key, key) == 0)
            return &t->items[i];
    return NULL;
}

static bool same_signature(watchd_signature a, watchd_signature b)
{
    return a.files == b.files && a.bytes == b.bytes && a.mtime_ns == b.mtime_ns;
}

static bool same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

watchd_candidate *watchd_table_observe(watchd_table *t, const char *key, const char *dir,
                                       const char *path, watchd_kind kind,
                                       watchd_signature sig, double now)
{
    watchd_candidate *c = watchd_table_find(t, key);
    if (c) {
        c->seen = true;
        if (same_signature(c->sig, sig) && same_string(c->path, path))
            return c;
        char *new_path = NULL;
        if (path && !(new_path = strdup(path)))
            return NULL;
        free(c->path);
        c->path = new_path;
        c->sig = sig;
        c->changed_at = now;
        c->state = WATCHD_WAITING;
        return c;
    }
    if (t->count == t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 64;
        watchd_candidate *items = realloc(t->items, cap * sizeof *items);
        if (!items)
            return NULL;
        t->items = items;
        t->capacity = cap;
    }
    watchd_candidate fresh = {.kind = kind, .sig = sig, .changed_at = now,
                              .state = WATCHD_WAITING, .seen = true};
    fresh.key = strdup(key);
    fresh.dir = strdup(dir);
    fresh.path = path ? strdup(path) : NULL;
    if (!fresh.key || !fresh.dir || (path && !fresh.path)) {
        candidate_free(&fresh);
        return NULL;
    }
    t->items[t->count] = fresh;
    return &t->items[t->count++];
}

void watchd_table_begin_scan(watchd_table *t, const char *dir)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].dir, dir) == 0)
            t->items[i].seen = false;
}

size_t watchd_table_end_scan(watchd_table *t, const char *dir)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (!t->items[i].seen && strcmp(t->items[i].dir, dir) == 0) {
            candidate_free(&t->items[i]);
            dropped++;
            continue;
        }
        t->items[kept++] = t->items[i];
    }
    t->count = kept;
    return dropped;
}

bool watchd_settled(const watchd_candidate *c, double now, double settle_seconds)
{
    return c->state == WATCHD_WAITING && now - c->changed_at >= settle_seconds;
}

bool watchd_apply_validity(watchd_candidate *c, omsi_validity v)
{
    switch (v) {
    case OMSI_VALID:
    case OMSI_BROKEN:
        c->state = WATCHD_QUEUED;
        return true;
    case OMSI_INCOMPLETE:
        c->state = WATCHD_INCOMPLETE;
        return false;
    default:
        c->state = WATCHD_IGNORED;
        return false;
    }
}

omsi_validity watchd_probe(const watchd_candidate *c, omsi_error *why)
{
    if (!c->path) {
        omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: the main file of this %s dataset is missing",
                       c->key, watchd_kind_format(c->kind));
        return OMSI_INCOMPLETE;
    }
    const omsi_format *fmt = omsi_format_by_name(watchd_kind_format(c->kind));
    if (!fmt) {
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: no reader for %s", c->path,
                       watchd_kind_format(c->kind));
        return OMSI_NOT_THIS_FORMAT;
    }
    omsi_error_clear(why);
    omsi_validity v = fmt->is_valid_dataset(c->path, why);
    if (v == OMSI_NOT_THIS_FORMAT && why && why->message[0] == '\0')
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: not a %s dataset", c->path, fmt->name);
    return v;
}

size_t watchd_table_waiting(const watchd_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        n += t->items[i].state == WATCHD_WAITING || t->items[i].state == WATCHD_CLASSIFYING;
    return n;
}
