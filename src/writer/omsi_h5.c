#include "writer/omsi_h5.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void omsi_h5_quiet(void)
{
    /* No H5_term_library at exit: HDF5 1.10 keeps the id of a file whose
     * H5Fclose failed while its object is already freed, and closing it
     * again at exit crashes (SEGV in H5F__close_cb). Files are always closed
     * explicitly (omsi_file_close), so there is nothing left for the exit
     * handler to do. Fails harmlessly once the library is initialised. */
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* The innermost entry of the error stack (the first one pushed: where it
 * went wrong, e.g. the sec2 driver's failed write) and its classes. */
typedef struct h5_detail {
    char desc[512], major[96], minor[96];
    bool set;
} h5_detail;

static herr_t take_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_detail *d = data;
    if (n != 0)
        return 0;
    d->set = true;
    snprintf(d->desc, sizeof d->desc, "%s", e->desc ? e->desc : "");
    if (H5Eget_msg(e->maj_num, NULL, d->major, sizeof d->major) < 0)
        d->major[0] = '\0';
    if (H5Eget_msg(e->min_num, NULL, d->minor, sizeof d->minor) < 0)
        d->minor[0] = '\0';
    return 0;
}

/* One line from the innermost error: "<what failed>: <system error>
 * (HDF5 <major>: <minor>)". HDF5's own description of a failed system call
 * ("file write failed: time = <ctime with newline>, filename = ..., errno =
 * 28, error message = 'No space left on device', buf = ...") is cut to its
 * first clause and the system's message; other descriptions are kept with
 * control characters made spaces. */
static void describe_error(const h5_detail *d, char *out, size_t size)
{
    char head[512];
    snprintf(head, sizeof head, "%s", d->desc);
    const char *sys = strstr(d->desc, "error message = '");
    char why[160] = "";
    if (sys) {
        sys += strlen("error message = '");
        const char *end = strchr(sys, '\'');
        snprintf(why, sizeof why, "%.*s", (int)(end ? end - sys : (ptrdiff_t)strlen(sys)), sys);
        char *cut = strpbrk(head, ":,");
        if (cut)
            *cut = '\0';
    }
    for (char *p = head; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t n = strlen(head);
    while (n && head[n - 1] == ' ')
        head[--n] = '\0';
    snprintf(out, size, "%s%s%s (HDF5 %s: %s)", head, why[0] ? ": " : "", why,
             d->major[0] ? d->major : "error", d->minor[0] ? d->minor : "unknown");
}

int omsi_h5_fail(omsi_error *err, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_detail d = {.set = false};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &d);
    H5Eclear2(H5E_DEFAULT);
    if (!d.set)
        return omsi_error_set(err, OMSI_ERR_HDF5, "%s", what);
    char detail[768];
    describe_error(&d, detail, sizeof detail);
    return omsi_error_set(err, OMSI_ERR_HDF5, "%s: %s", what, detail);
}

int omsi_h5_close(hid_t *id, int rc, omsi_error *err)
{
    if (*id < 0)
        return rc;
    hid_t obj = *id;
    *id = -1;
    char name[256] = "";
    H5I_type_t type = H5Iget_type(obj);
    if (type == H5I_DATASET || type == H5I_GROUP)
        H5Iget_name(obj, name, sizeof name);
    herr_t closed;
    switch (type) {
    case H5I_FILE: closed = H5Fclose(obj); break;
    case H5I_GROUP: closed = H5Gclose(obj); break;
    case H5I_DATASET: closed = H5Dclose(obj); break;
    case H5I_ATTR: closed = H5Aclose(obj); break;
    case H5I_DATASPACE: closed = H5Sclose(obj); break;
    case H5I_DATATYPE: closed = H5Tclose(obj); break;
    case H5I_GENPROP_LST: closed = H5Pclose(obj); break;
    default: closed = H5Idec_ref(obj) < 0 ? -1 : 0; break;
    }
    if (closed >= 0) {
        H5Eclear2(H5E_DEFAULT);
        return rc;
    }
    if (rc) { /* the first error is the one reported */
        H5Eclear2(H5E_DEFAULT);
        return rc;
    }
    return omsi_h5_fail(err, "closing %s", name[0] ? name : type == H5I_FILE ? "the file" : "an HDF5 object");
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
    rc = omsi_h5_close(&attr, rc, err);
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
    else
        rc = omsi_h5_close(&ds, rc, err);
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
    rc = omsi_h5_close(&attr, rc, err);
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
    if (rc == 0 && out)
        *out = g;
    else
        rc = omsi_h5_close(&g, rc, err);
    if (rc)
        omsi_error_prefix(err, "group %s", name);
    return rc;
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
    else
        rc = omsi_h5_close(&ds, rc, err);
    return rc;
}
