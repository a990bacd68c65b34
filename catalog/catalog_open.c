/* Opening the catalog: the backend for its target, schema migrations. */
#include "catalog/catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OMSI_CATALOG_DEFAULT_PATH "/var/lib/omsi-catalog/catalog.sqlite"

const char *omsi_catalog_default_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return explicit_path;
    const char *env = getenv("OMSI_CATALOG");
    return env && *env ? env : OMSI_CATALOG_DEFAULT_PATH;
}

bool omsi_catalog_is_uri(const char *target) { return omsi_db_target_is_uri(target); }

double omsi_cat_wall_clock(void) { return omsi_cat_now(); }

double omsi_cat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The target for messages: a URI's password ("postgresql://user:secret@host")
 * must not reach logs and terminals. */
static char *display_name(const char *target)
{
    char *name = strdup(target);
    if (!name || !omsi_db_target_is_uri(target))
        return name;
    char *auth = strstr(name, "://") + 3;
    char *at = strchr(auth, '@');
    char *colon = strchr(auth, ':');
    char *slash = strchr(auth, '/');
    if (at && colon && colon < at && (!slash || at < slash))
        memmove(colon, at, strlen(at) + 1);
    return name;
}

/* Applies each migration above the catalog's version in its own write
 * transaction. The lock is taken first and the version read inside it: two
 * processes opening a new catalog at once must not both apply the same
 * migration (the second one would fail on "already exists"). */
static int migrate(omsi_catalog *cat, omsi_error *err)
{
    const omsi_db_driver *drv = cat->db->driver;
    int latest = (int)drv->migrations_count;
    for (;;) {
        int version = 0;
        int rc = cat->read_only ? 0 : omsi_cat_begin(cat, err);
        if (rc)
            return rc;
        if (drv->schema_version(cat->db, &version, err))
            rc = omsi_cat_fail(cat, err, "reading the schema version");
        if (!rc && version > latest)
            rc = omsi_error_set(err, OMSI_ERR_DB,
                                "%s: schema version %d is newer than this program knows (%d); upgrade omsi-catalog",
                                cat->name, version, latest);
        if (!rc && cat->read_only && version != latest)
            rc = omsi_error_set(err, OMSI_ERR_DB,
                                "%s: schema version %d, expected %d (open it read-write once to migrate)",
                                cat->name, version, latest);
        if (rc || cat->read_only || version == latest) {
            if (!cat->read_only && !rc)
                rc = omsi_cat_commit(cat, err);
            if (rc && !cat->read_only)
                omsi_cat_rollback(cat);
            return rc;
        }
        rc = omsi_cat_exec(cat, drv->migrations[version], err);
        if (!rc && drv->set_schema_version(cat->db, version + 1, err))
            rc = omsi_cat_fail(cat, err, "setting the schema version");
        if (!rc)
            rc = omsi_cat_commit(cat, err);
        if (rc) {
            omsi_cat_rollback(cat);
            omsi_error_prefix(err, "migration %d", version + 1);
            return rc;
        }
    }
}

int omsi_catalog_open(const char *path, omsi_catalog_mode mode, omsi_catalog **out,
                      omsi_error *err)
{
    *out = NULL;
    omsi_catalog *cat = calloc(1, sizeof *cat);
    if (!cat || !(cat->path = strdup(path)) || !(cat->name = display_name(path))) {
        if (cat)
            free(cat->path);
        free(cat);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    cat->read_only = mode == OMSI_CATALOG_READ_ONLY;
    const omsi_db_driver *drv = omsi_db_driver_for(path);
    int rc = drv->open(path, cat->read_only, &cat->db, err);
    if (rc)
        omsi_error_prefix(err, "%s", cat->name);
    if (!rc)
        rc = migrate(cat, err);
    if (rc) {
        omsi_catalog_close(cat);
        return rc;
    }
    *out = cat;
    return 0;
}

void omsi_catalog_close(omsi_catalog *cat)
{
    if (!cat)
        return;
    omsi_db_close(cat->db);
    free(cat->path);
    free(cat->name);
    free(cat);
}

const char *omsi_catalog_path(const omsi_catalog *cat)
{
    return cat->path;
}

bool omsi_catalog_is_read_only(const omsi_catalog *cat)
{
    return cat->read_only;
}
