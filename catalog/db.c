/* Choosing the backend of a catalog target (catalog/db.h). */
#include "catalog/db.h"

#include <string.h>
#include <strings.h>

bool omsi_db_target_is_uri(const char *target)
{
    return target && (strncasecmp(target, "postgresql://", 13) == 0 ||
                      strncasecmp(target, "postgres://", 11) == 0);
}

const omsi_db_driver *omsi_db_driver_for(const char *target)
{
    return omsi_db_target_is_uri(target) ? &omsi_db_pg_driver : &omsi_db_sqlite_driver;
}
