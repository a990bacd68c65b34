/* Small HDF5 helpers for the OpenMSI writer (openmsi-hdf5.md sections 2-4, 8.2):
 * variable-length UTF-8 strings, managed groups, typed metadata entries.
 * All return 0 or a negative omsi_status with err naming the object. */
#ifndef OMSI_H5_H
#define OMSI_H5_H

#include "base/omsi_error.h"
#include "readers/reader.h"

#include <hdf5.h>

/* Turns off HDF5's automatic error printing (errors reach the caller through
 * omsi_error instead) and its exit handler (see omsi_h5.c). Call before any
 * other HDF5 call. */
void omsi_h5_quiet(void);

/* Sets err to "what: <innermost HDF5 error, one line>" with status
 * OMSI_ERR_HDF5, e.g. "...: file write failed: No space left on device (HDF5
 * Low-level I/O: Write failed)". */
int omsi_h5_fail(omsi_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Closes *id (any kind of id; < 0 is skipped) and sets it to -1. Closing a
 * dataset writes its buffered values, so a failed close is an error: it is
 * recorded in err ("closing /entry_0/data_0/mz: ...") unless rc already is
 * one (the first error is reported). Returns rc or the close's error:
 *     rc = omsi_h5_close(&ds, rc, err); */
int omsi_h5_close(hid_t *id, int rc, omsi_error *err);

/* The little-endian HDF5 file type for an intensity/m-z dtype (spec 2.2). */
hid_t omsi_h5_file_type(omsi_dtype t);
/* The native memory type for a dtype. */
hid_t omsi_h5_mem_type(omsi_dtype t);

/* Scalar variable-length UTF-8 string attribute. */
int omsi_h5_attr_string(hid_t obj, const char *name, const char *value, omsi_error *err);
/* Text dataset of shape (1,); *out (may be NULL) gets the open dataset. */
int omsi_h5_text_dataset(hid_t parent, const char *name, const char *value, hid_t *out,
                         omsi_error *err);
/* Scalar string dataset (JSON metadata values). */
int omsi_h5_scalar_string(hid_t parent, const char *name, const char *value, hid_t *out,
                          omsi_error *err);
/* Boolean enum attribute isjson = TRUE (h5py's boolean over int8). */
int omsi_h5_attr_isjson(hid_t obj, omsi_error *err);

/* Writes omsi_type, version and timestamp on an existing group. */
int omsi_h5_managed_attrs(hid_t group, const char *omsi_type, const char *version, omsi_error *err);
/* Creates a managed group with omsi_type, version and timestamp attributes. */
int omsi_h5_managed_group(hid_t parent, const char *name, const char *omsi_type,
                          const char *version, hid_t *out, omsi_error *err);

/* 1-D contiguous float dataset of n values (float32 or float64 in the file). */
int omsi_h5_axis(hid_t parent, const char *name, const double *values, uint64_t n,
                 omsi_dtype file_type, hid_t *out, omsi_error *err);

/* A link or metadata name made safe (spec 2.6): '/' becomes '_', "." and ""
 * become "_", invalid UTF-8 bytes become '?'. Writes at most size bytes. */
void omsi_h5_safe_name(const char *in, char *out, size_t size);

/* Replaces invalid UTF-8 sequences and NULs (not possible in C strings) so a
 * value can be stored as UTF-8 text; returns a malloc'ed copy or NULL. */
char *omsi_h5_utf8_copy(const char *in);

#endif
