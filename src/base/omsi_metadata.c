#include "base/omsi_metadata.h"

#include "base/omsi_error.h"

#include <stdlib.h>
#include <string.h>

void omsi_meta_init(omsi_metadata *md)
{
    md->items = NULL;
    md->count = 0;
    md->capacity = 0;
}

static void entry_free(omsi_meta_entry *e)
{
    free(e->key);
    free(e->text);
    free(e->unit);
    free(e->description);
    free(e->accession);
}

void omsi_meta_free(omsi_metadata *md)
{
    if (!md)
        return;
    for (size_t i = 0; i < md->count; i++)
        entry_free(&md->items[i]);
    free(md->items);
    omsi_meta_init(md);
}

static int dup_optional(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : OMSI_ERR_NOMEM;
}

/* Appends an entry whose strings are copied; on failure nothing is added. */
static int add_entry(omsi_metadata *md, const omsi_meta_entry *tmpl)
{
    if (md->count == md->capacity) {
        size_t cap = md->capacity ? md->capacity * 2 : 16;
        omsi_meta_entry *items = realloc(md->items, cap * sizeof *items);
        if (!items)
            return OMSI_ERR_NOMEM;
        md->items = items;
        md->capacity = cap;
    }
    omsi_meta_entry e = *tmpl;
    if (dup_optional(tmpl->key, &e.key) || dup_optional(tmpl->text, &e.text) ||
        dup_optional(tmpl->unit, &e.unit) ||
        dup_optional(tmpl->description, &e.description) ||
        dup_optional(tmpl->accession, &e.accession)) {
        entry_free(&e);
        return OMSI_ERR_NOMEM;
    }
    md->items[md->count++] = e;
    return 0;
}

int omsi_meta_text(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                   const char *value, const char *unit, const char *accession)
{
    omsi_meta_entry e = {.key = (char *)key, .kind = OMSI_META_TEXT,
                         .text = (char *)(value ? value : ""), .unit = (char *)unit,
                         .accession = (char *)accession, .collection = coll};
    return add_entry(md, &e);
}

int omsi_meta_int(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                  int64_t value, const char *unit, const char *accession)
{
    omsi_meta_entry e = {.key = (char *)key, .kind = OMSI_META_INT, .i = value,
                         .unit = (char *)unit, .accession = (char *)accession,
                         .collection = coll};
    return add_entry(md, &e);
}

int omsi_meta_float(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                    double value, const char *unit, const char *accession)
{
    omsi_meta_entry e = {.key = (char *)key, .kind = OMSI_META_FLOAT, .f = value,
                         .unit = (char *)unit, .accession = (char *)accession,
                         .collection = coll};
    return add_entry(md, &e);
}

int omsi_meta_json(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                   const char *json_text)
{
    omsi_meta_entry e = {.key = (char *)key, .kind = OMSI_META_JSON,
                         .text = (char *)json_text, .collection = coll};
    return add_entry(md, &e);
}

int omsi_meta_describe_last(omsi_metadata *md, const char *description)
{
    if (md->count == 0)
        return OMSI_ERR_INTERNAL;
    char *copy = strdup(description);
    if (!copy)
        return OMSI_ERR_NOMEM;
    free(md->items[md->count - 1].description);
    md->items[md->count - 1].description = copy;
    return 0;
}

int omsi_meta_append(omsi_metadata *dst, const omsi_metadata *src)
{
    for (size_t i = 0; i < src->count; i++) {
        int rc = add_entry(dst, &src->items[i]);
        if (rc)
            return rc;
    }
    return 0;
}

const omsi_meta_entry *omsi_meta_find(const omsi_metadata *md, const char *key)
{
    for (size_t i = 0; i < md->count; i++)
        if (strcmp(md->items[i].key, key) == 0)
            return &md->items[i];
    return NULL;
}
