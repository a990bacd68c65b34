#include "writer/omsi_h5.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void omsi_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* Keeps the innermost (first) description of the error stack. */
static herr_t take_first(unsigned n, const H5E_error2_t *e, void *data)
{
    char *out = data;
    if (n == 0 && e->desc)
        snprintf(out, 256, "%s", e->desc);
    return 0;
}

int omsi_h5_fail(omsi_error *err, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return omsi_error_set(err, OMSI_ERR_HDF5, "%s: %s", what, detail);
    return omsi_error_set(err, OMSI_ERR_HDF5, "%s", what);
}

hid_t omsi_h5_file_type(omsi_dtype t)
{
    switch (t) {
    case OMSI_DT_UINT8: return H5T_STD_U8LE;
    case OMSI_DT_INT8: return H5T_STD_I8LE;
    case OMSI_DT_UINT16: return H5T_STD_U16LE;
    case OMSI_DT_INT16: return H5T_STD_I16LE;
    case OMSI_DT_UINT32: return H5T_STD_U32LE;
    case OMSI_DT_INT32: return H5T_STD_I32LE;
    case OMSI_DT_UINT64: return H5T_STD_U64LE;
    case OMSI_DT_INT64: return H5T_STD_I64LE;
    case OMSI_DT_FLOAT32: return H5T_IEEE_F32LE;
    case OMSI_DT_FLOAT64: return H5T_IEEE_F64LE;
    }
    return H5T_IEEE_F64LE;
}

hid_t omsi_h5_mem_type(omsi_dtype t)
{
    switch (t) {
    case OMSI_DT_UINT8: return H5T_NATIVE_UINT8;
    case OMSI_DT_INT8: return H5T_NATIVE_INT8;
    case OMSI_DT_UINT16: return H5T_NATIVE_UINT16;
    case OMSI_DT_INT16: return H5T_NATIVE_INT16;
    case OMSI_DT_UINT32: return H5T_NATIVE_UINT32;
    case OMSI_DT_INT32: return H5T_NATIVE_INT32;
    case OMSI_DT_UINT64: return H5T_NATIVE_UINT64;
    case OMSI_DT_INT64: return H5T_NATIVE_INT64;
    case OMSI_DT_FLOAT32: return H5T_NATIVE_FLOAT;
    case OMSI_DT_FLOAT64: return H5T_NATIVE_DOUBLE;
    }
    return H5T_NATIVE_DOUBLE;
}

static hid_t vlen_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2) || (n == 4 && s[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

char *omsi_h5_utf8_copy(const char *in)
{
    char *out = strdup(in ? in : "");
    if (!out)
        return NULL;
    for (unsigned char *p = (unsigned char *)out; *p;) {
        size_t n = utf8_sequence(p);
        if (n == 0) {
            *p++ = '?';
        } else {
            p += n;
        }
    }
    return out;
}

void omsi_h5_safe_name(const char *in, char *out, size_t size)
{
    if (size == 0)
        return;
    char *clean = omsi_h5_utf8_copy(in);
    snprintf(out, size, "%s", clean ? clean : "_");
    free(clean);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '_';
    if (out[0] == '\0' || strcmp(out, ".") == 0)
        snprintf(out, size, "_");
}

int omsi_h5_attr_string(hid_t obj, const char *name, const char *value, omsi_error *err)
{
    char *text = omsi_h5_utf8_copy(value);
    hid_t type = vlen_utf8(), space = H5Screate(H5S_SCALAR), attr = -1;
    int rc = 0;
    if (!text || type < 0 || space < 0) {
        rc = text ? omsi_h5_fail(err, "string attribute %s", name)
                  : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *ptr = text;
    if (attr < 0 || H5Awrite(attr, type, &ptr) < 0)
        rc = omsi_h5_fail(err, "attribute %s", name);
done:
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    free(text);
    return rc;
}

static int string_dataset(hid_t parent, const char *name, const char *value, bool scalar,
                          hid_t *out, omsi_error *err)
{
    char *text = omsi_h5_utf8_copy(value);
    hsize_t one = 1;
    hid_t type = vlen_utf8();
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &one, NULL);
    hid_t ds = -1;
    int rc = 0;
    if (!text || type < 0 || space < 0) {
        rc = text ? omsi_h5_fail(err, "text dataset %s", name)
                  : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    ds = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *ptr = text;
    if (ds < 0 || H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &ptr) < 0)
        rc = omsi_h5_fail(err, "text dataset %s", name);
done:
    if (rc == 0 && out)
        *out = ds;
    else if (ds >= 0)
        H5Dclose(ds);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    free(text);
    return rc;
}

int omsi_h5_text_dataset(hid_t parent, const char *name, const char *value, hid_t *out,
                         omsi_error *err)
{
    return string_dataset(parent, name, value, false, out, err);
}

int omsi_h5_scalar_string(hid_t parent, const char *name, const char *value, hid_t *out,
                          omsi_error *err)
{
    return string_dataset(parent, name, value, true, out, err);
}

int omsi_h5_attr_isjson(hid_t obj, omsi_error *err)
{
    hid_t type = H5Tenum_create(H5T_STD_I8LE);
    int8_t no = 0, yes = 1;
    hid_t space = H5Screate(H5S_SCALAR), attr = -1;
    int rc = 0;
    if (type < 0 || space < 0 || H5Tenum_insert(type, "FALSE", &no) < 0 ||
        H5Tenum_insert(type, "TRUE", &yes) < 0) {
        rc = omsi_h5_fail(err, "isjson attribute type");
        goto done;
    }
    attr = H5Acreate2(obj, "isjson", type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, &yes) < 0)
        rc = omsi_h5_fail(err, "isjson attribute");
done:
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return rc;
}

int omsi_h5_managed_attrs(hid_t g, const char *omsi_type, const char *version, omsi_error *err)
{
    /* Python's time.ctime(): "Tue Nov  4 09:05:01 2025", local time. */
    char stamp[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%a %b %e %H:%M:%S %Y", &tm);
    int rc = omsi_h5_attr_string(g, "omsi_type", omsi_type, err);
    if (!rc)
        rc = omsi_h5_attr_string(g, "version", version, err);
    if (!rc)
        rc = omsi_h5_attr_string(g, "timestamp", stamp, err);
    return rc;
}

int omsi_h5_managed_group(hid_t parent, const char *name, const char *omsi_type,
                          const char *version, hid_t *out, omsi_error *err)
{
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return omsi_h5_fail(err, "group %s", name);
    int rc = omsi_h5_managed_attrs(g, omsi_type, version, err);
    if (rc) {
        H5Gclose(g);
        omsi_error_prefix(err, "group %s", name);
        return rc;
    }
    if (out)
        *out = g;
    else
        H5Gclose(g);
    return 0;
}

int omsi_h5_axis(hid_t parent, const char *name, const double *values, uint64_t n,
                 omsi_dtype file_type, hid_t *out, omsi_error *err)
{
    hsize_t dims = n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t ds = space < 0 ? -1
                         : H5Dcreate2(parent, name, omsi_h5_file_type(file_type), space,
                                      H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (ds < 0 || (n && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0))
        rc = omsi_h5_fail(err, "m/z axis %s", name);
    if (space >= 0)
        H5Sclose(space);
    if (rc == 0 && out)
        *out = ds;
    else if (ds >= 0)
        H5Dclose(ds);
    return rc;
}
