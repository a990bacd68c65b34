/* Where a cataloged dataset's converted data lives: the output file and the
 * HDF5 group of one of a source's datasets (for image, spectrum, thumbnail). */
#ifndef OMSI_CATALOG_LOCATE_H
#define OMSI_CATALOG_LOCATE_H

#include "catalog/catalog.h"

#include <stdint.h>

typedef struct omsi_dataset_location {
    int64_t source_id, dataset_id;
    unsigned dataset_index;  /* position among the source's datasets, from 0 */
    unsigned dataset_count;  /* how many the source has */
    char *output_path;       /* the .h5 file */
    char *hdf5_path;         /* "/entry_0/data_0" */
    char *name;              /* scan type or region name, "" if none */
    int64_t nx, ny, nz;
    double mz_min, mz_max;
} omsi_dataset_location;

/* Dataset number dataset_index (in id order, as `show` lists them) of source
 * source_id. OMSI_ERR_USAGE with a message when the source, its output file
 * record or that dataset does not exist. */
int omsi_catalog_locate(omsi_catalog *cat, int64_t source_id, unsigned dataset_index,
                        omsi_dataset_location *out, omsi_error *err);
void omsi_dataset_location_free(omsi_dataset_location *loc);

#endif
