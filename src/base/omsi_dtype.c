#include "base/omsi_dtype.h"

#include <string.h>

size_t omsi_dtype_size(omsi_dtype t)
{
    switch (t) {
    case OMSI_DT_UINT8: case OMSI_DT_INT8: return 1;
    case OMSI_DT_UINT16: case OMSI_DT_INT16: return 2;
    case OMSI_DT_UINT32: case OMSI_DT_INT32: case OMSI_DT_FLOAT32: return 4;
    case OMSI_DT_UINT64: case OMSI_DT_INT64: case OMSI_DT_FLOAT64: return 8;
    }
    return 0;
}

const char *omsi_dtype_name(omsi_dtype t)
{
    switch (t) {
    case OMSI_DT_UINT8: return "uint8";
    case OMSI_DT_INT8: return "int8";
    case OMSI_DT_UINT16: return "uint16";
    case OMSI_DT_INT16: return "int16";
    case OMSI_DT_UINT32: return "uint32";
    case OMSI_DT_INT32: return "int32";
    case OMSI_DT_UINT64: return "uint64";
    case OMSI_DT_INT64: return "int64";
    case OMSI_DT_FLOAT32: return "float32";
    case OMSI_DT_FLOAT64: return "float64";
    }
    return "unknown";
}

double omsi_dtype_get(omsi_dtype t, const void *array, size_t i)
{
    const unsigned char *p = (const unsigned char *)array + i * omsi_dtype_size(t);
    switch (t) {
    case OMSI_DT_UINT8: return *p;
    case OMSI_DT_INT8: return (int8_t)*p;
    case OMSI_DT_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case OMSI_DT_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case OMSI_DT_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case OMSI_DT_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case OMSI_DT_UINT64: { uint64_t v; memcpy(&v, p, 8); return (double)v; }
    case OMSI_DT_INT64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case OMSI_DT_FLOAT32: { float v; memcpy(&v, p, 4); return v; }
    case OMSI_DT_FLOAT64: { double v; memcpy(&v, p, 8); return v; }
    }
    return 0.0;
}
