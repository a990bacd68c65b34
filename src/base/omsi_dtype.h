/* Element types of intensity cubes and m/z axes, in numpy's spelling: the
 * one vocabulary readers, the writer and the catalog share. */
#ifndef OMSI_DTYPE_H
#define OMSI_DTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum omsi_dtype {
    OMSI_DT_UINT8,
    OMSI_DT_INT8,
    OMSI_DT_UINT16,
    OMSI_DT_INT16,
    OMSI_DT_UINT32,
    OMSI_DT_INT32,
    OMSI_DT_UINT64,
    OMSI_DT_INT64,
    OMSI_DT_FLOAT32,
    OMSI_DT_FLOAT64
} omsi_dtype;

size_t omsi_dtype_size(omsi_dtype t);
const char *omsi_dtype_name(omsi_dtype t); /* "uint16", "float32", ... */
/* Value i of an array of type t in host byte order, as a double. */
double omsi_dtype_get(omsi_dtype t, const void *array, size_t i);

#endif
