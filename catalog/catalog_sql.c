/* The catalog's helpers over the connection interface (catalog_internal.h):
 * error prefixes, binding lists, transactions. */
#include "catalog/catalog_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int omsi_cat_fail(omsi_catalog *cat, omsi_error *err, const char *what)
{
    if (err && err->status == OMSI_OK)
        omsi_error_set(err, OMSI_ERR_DB, "unknown error");
    omsi_error_prefix(err, "%s: %s", cat->name, what);
    return err ? (int)err->status : OMSI_ERR_DB;
}

int omsi_cat_exec(omsi_catalog *cat, const char *sql, omsi_error *err)
{
    return omsi_db_exec(cat->db, sql, err) ? omsi_cat_fail(cat, err, "SQL") : 0;
}

int omsi_cat_prepare(omsi_catalog *cat, const char *sql, omsi_db_stmt **out, omsi_error *err)
{
    *out = NULL;
    return omsi_db_prepare(cat->db, sql, out, err) ? omsi_cat_fail(cat, err, "prepare") : 0;
}

int omsi_cat_bind(omsi_catalog *cat, omsi_db_stmt *st, int first, omsi_error *err, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = 0;
    for (int i = 0; types[i] && !rc; i++) {
        int index = first + i;
        switch (types[i]) {
        case 'i': rc = omsi_db_bind_int64(st, index, va_arg(ap, int64_t), err); break;
        case 'd': rc = omsi_db_bind_double(st, index, va_arg(ap, double), err); break;
        case 't': rc = omsi_db_bind_text(st, index, va_arg(ap, const char *), err); break;
        case 'n': rc = omsi_db_bind_null(st, index, err); break;
        default: rc = omsi_error_set(err, OMSI_ERR_INTERNAL, "bad bind type '%c'", types[i]); break;
        }
    }
    va_end(ap);
    return rc ? omsi_cat_fail(cat, err, "binding a value") : 0;
}

int omsi_cat_step_done(omsi_catalog *cat, omsi_db_stmt *st, const char *what, omsi_error *err)
{
    int step = omsi_db_step(st, err);
    if (step < 0)
        return omsi_cat_fail(cat, err, what);
    omsi_error ignored = {0};
    omsi_db_reset(st, &ignored);
    return 0;
}

int omsi_cat_begin(omsi_catalog *cat, omsi_error *err)
{
    return omsi_db_begin_write(cat->db, err) ? omsi_cat_fail(cat, err, "SQL") : 0;
}

int omsi_cat_commit(omsi_catalog *cat, omsi_error *err)
{
    return omsi_db_commit(cat->db, err) ? omsi_cat_fail(cat, err, "SQL") : 0;
}

void omsi_cat_rollback(omsi_catalog *cat) { omsi_db_rollback(cat->db); }

char *omsi_cat_column_dup(omsi_db_stmt *st, int column)
{
    const char *t = omsi_db_column_text(st, column);
    return strdup(t ? t : "");
}

char *omsi_cat_column_dup_null(omsi_db_stmt *st, int column)
{
    const char *t = omsi_db_column_is_null(st, column) ? NULL : omsi_db_column_text(st, column);
    return t ? strdup(t) : NULL;
}
