/* A list of typed metadata entries, as readers report them and as the
 * writer stores them in OpenMSI metadata collections (openmsi-hdf5.md 8.2)
 * and the catalog stores them in its metadata table. */
#ifndef OMSI_METADATA_H
#define OMSI_METADATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum omsi_meta_kind {
    OMSI_META_TEXT,  /* text dataset */
    OMSI_META_INT,   /* int64 scalar */
    OMSI_META_FLOAT, /* float64 scalar */
    OMSI_META_JSON   /* JSON text, stored with the isjson attribute */
} omsi_meta_kind;

/* Which OpenMSI collection an entry belongs to. */
typedef enum omsi_meta_collection {
    OMSI_COLL_DATASET,    /* data_M/metadata */
    OMSI_COLL_INSTRUMENT, /* data_M/instrument */
    OMSI_COLL_METHODS     /* data_M/methods */
} omsi_meta_collection;

typedef struct omsi_meta_entry {
    char *key;          /* sanitised for use as an HDF5 link name by the writer */
    omsi_meta_kind kind;
    char *text;         /* TEXT and JSON */
    int64_t i;          /* INT */
    double f;           /* FLOAT */
    char *unit;         /* may be NULL */
    char *description;  /* may be NULL: the writer then uses the key */
    char *accession;    /* CV accession such as "IMS:1000046", may be NULL */
    omsi_meta_collection collection;
} omsi_meta_entry;

typedef struct omsi_metadata {
    omsi_meta_entry *items;
    size_t count;
    size_t capacity;
} omsi_metadata;

void omsi_meta_init(omsi_metadata *md);
void omsi_meta_free(omsi_metadata *md);

/* Each adder copies its strings; returns 0 or OMSI_ERR_NOMEM. unit,
 * description and accession may be NULL. */
int omsi_meta_text(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                   const char *value, const char *unit, const char *accession);
int omsi_meta_int(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                  int64_t value, const char *unit, const char *accession);
int omsi_meta_float(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                    double value, const char *unit, const char *accession);
int omsi_meta_json(omsi_metadata *md, omsi_meta_collection coll, const char *key,
                   const char *json_text);
/* Sets the description of the entry added last (copy). */
int omsi_meta_describe_last(omsi_metadata *md, const char *description);

/* Appends copies of all entries of src to dst. */
int omsi_meta_append(omsi_metadata *dst, const omsi_metadata *src);

/* First entry with this key, or NULL. */
const omsi_meta_entry *omsi_meta_find(const omsi_metadata *md, const char *key);

#endif
