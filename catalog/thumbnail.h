/* The stored TIC thumbnail of a dataset. */
#ifndef OMSI_CATALOG_THUMBNAIL_H
#define OMSI_CATALOG_THUMBNAIL_H

#include "catalog/catalog.h"

#include <stddef.h>
#include <stdint.h>

/* The PNG bytes (malloc'ed) of dataset_id's thumbnail; OMSI_ERR_USAGE with
 * a message when it has none (converted without summaries, or before). */
int omsi_catalog_thumbnail(omsi_catalog *cat, int64_t dataset_id, unsigned char **png, size_t *bytes,
                           omsi_error *err);

#endif
