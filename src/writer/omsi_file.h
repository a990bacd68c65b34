/* The OpenMSI HDF5 layout (openmsi-hdf5.md): file, experiments, MSI datasets,
 * metadata collections and dependency links, as BASTet's omsi_file API reads
 * them. Knows names and attributes; the conversion pipeline (convert.c)
 * decides what goes where. */
#ifndef OMSI_FILE_H
#define OMSI_FILE_H

#include "writer/omsi_h5.h"
#include "base/omsi_metadata.h"
#include "readers/reader.h"

#include <hdf5.h>

/* Creates path (truncating) with the root attributes (section 5). */
int omsi_file_create(const char *path, hid_t *out, omsi_error *err);
/* Closes the file (every object in it closed first) and sets *file to -1.
 * rc == 0: flushed and closed, a write error is returned naming path.
 * rc != 0: the file is given up (the caller removes it): closed without
 * writing anything more, so that nothing of HDF5 stays open. Returns rc or
 * the close's error. */
int omsi_file_close(hid_t *file, const char *path, int rc, omsi_error *err);

/* /entry_<index> with experiment_identifier, instrument (with the global
 * m/z axis in mz_type) and empty methods (section 6, 8.3, 8.4). */
int omsi_file_create_experiment(hid_t file, size_t index, const char *identifier,
                                const double *mz, uint64_t nz, omsi_dtype mz_type, hid_t *out,
                                omsi_error *err);

typedef struct omsi_msidata_spec {
    uint64_t shape[3];
    omsi_dtype dtype;
    omsi_dtype mz_type;        /* data_M/mz type: float64 when the source is float64 */
    const double *mz;
    bool chunked;
    uint64_t chunk[3];         /* data_0 chunk shape when chunked */
    bool image_copy;           /* add data_1 with image_chunk (auto chunking) */
    uint64_t image_chunk[3];
    int compression_level;     /* < 0: none */
} omsi_msidata_spec;

typedef struct omsi_msidata {
    hid_t group, cube, copy, dependency, metadata;
} omsi_msidata;

/* /entry_N/data_<index> (full_cube, section 7.2) with mz, data_0 (and data_1),
 * dependency and metadata groups. Close with omsi_file_close_msidata. */
int omsi_file_create_msidata(hid_t experiment, size_t index, const omsi_msidata_spec *spec,
                             omsi_msidata *out, omsi_error *err);
/* Closes datasets then groups (a failed close is an error: datasets write
 * buffered values when closed); returns rc or the first close error. */
int omsi_file_close_msidata(omsi_msidata *d, int rc, omsi_error *err);

/* Writes the entries of md that belong to collection coll into group
 * (section 8.2); entries with clashing names get a numeric suffix. */
int omsi_file_write_metadata(hid_t group, const omsi_metadata *md, omsi_meta_collection coll,
                             omsi_error *err);
/* Creates the dataset-level instrument/methods collection if md has entries for it. */
int omsi_file_write_optional_collection(hid_t msidata_group, const omsi_metadata *md,
                                        omsi_meta_collection coll, omsi_error *err);

/* dependency/<link_name> (section 9) pointing at main_name ("/entry_0/data_1"). */
int omsi_file_add_dependency(hid_t dependency_group, const char *link_name,
                             const char *main_name, const char *type, const char *help,
                             omsi_error *err);
/* The same for an analysis input: parameter_name names the analysis
 * parameter the target feeds ("msidata"). */
int omsi_file_add_parameter_dependency(hid_t dependency_group, const char *link_name,
                                       const char *parameter_name, const char *main_name,
                                       const char *type, const char *help, omsi_error *err);

#endif
