/* Stands in for the PostgreSQL driver (catalog/db_pg.c) in builds without
 * it: a postgresql:// target is refused with a clear error. */
#include "catalog/db.h"

#include "base/omsi_error.h"

#include <string.h>

static bool pg_accepts(const char *target) { return omsi_db_target_is_uri(target); }

static int pg_open(const char *target, bool read_only, omsi_db **out, omsi_error *err)
{
    (void)target, (void)read_only;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "PostgreSQL support is not built in");
}

const omsi_db_driver omsi_db_pg_driver = {
    .name = "postgresql",
    .dialect = OMSI_DB_POSTGRESQL,
    .accepts = pg_accepts,
    .open = pg_open,
};
