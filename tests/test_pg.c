#include "tests/test_pg.h"

#include "catalog/db.h"
#include "tests/test_support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/pg_cluster.sh: $OMSI_PG_CLUSTER (set by make check), else beside
 * $OMSI_SRCDIR. */
static void harness(char *out, size_t size)
{
    const char *script = getenv("OMSI_PG_CLUSTER");
    const char *src = getenv("OMSI_SRCDIR");
    if (script && *script)
        snprintf(out, size, "%s", script);
    else
        snprintf(out, size, "%s/tests/pg_cluster.sh", src && *src ? src : ".");
}

int omsi_test_pg_start(omsi_test_pg *pg)
{
    pg->uri = NULL;
    pg->cluster_dir = NULL;
    const char *env = getenv("OMSI_TEST_PG_URI");
    if (env && *env) {
        pg->uri = strdup(env);
        return pg->uri ? 0 : 1;
    }
    char script[4096], cmd[8400];
    harness(script, sizeof script);
    snprintf(cmd, sizeof cmd, "sh '%s' available >/dev/null", script);
    if (system(cmd) != 0) {
        printf("SKIP: PostgreSQL: server binaries not found (Debian: postgresql), and OMSI_TEST_PG_URI unset\n");
        return OMSI_TEST_SKIP;
    }
    /* /tmp, not $TMPDIR: the socket's path must stay short, and the
     * postgres user must reach it. */
    char templ[] = "/tmp/omsi-pg.XXXXXX";
    char *dir = mkdtemp(templ);
    if (!dir) {
        printf("FAIL: PostgreSQL: cannot create a cluster folder in /tmp\n");
        return 1;
    }
    snprintf(cmd, sizeof cmd, "sh '%s' start '%s' %ld", script, dir, (long)getpid());
    FILE *p = popen(cmd, "r");
    char uri[4096] = "";
    if (p) {
        if (!fgets(uri, sizeof uri, p))
            uri[0] = '\0';
        if (pclose(p) != 0)
            uri[0] = '\0';
    }
    uri[strcspn(uri, "\n")] = '\0';
    if (!*uri) {
        printf("FAIL: PostgreSQL: %s could not start a cluster in %s\n", script, dir);
        snprintf(cmd, sizeof cmd, "sh '%s' stop '%s'", script, dir);
        if (system(cmd) != 0)
            rmdir(dir);
        return 1;
    }
    pg->uri = strdup(uri);
    pg->cluster_dir = strdup(dir);
    return pg->uri && pg->cluster_dir ? 0 : 1;
}

void omsi_test_pg_stop(omsi_test_pg *pg)
{
    if (pg->cluster_dir) {
        char script[4096], cmd[8400];
        harness(script, sizeof script);
        snprintf(cmd, sizeof cmd, "sh '%s' stop '%s'", script, pg->cluster_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not stop the PostgreSQL cluster in %s\n", pg->cluster_dir);
    }
    free(pg->cluster_dir);
    free(pg->uri);
    pg->cluster_dir = NULL;
    pg->uri = NULL;
}

char *omsi_test_pg_schema_uri(const char *uri, const char *schema)
{
    omsi_error err = {0};
    omsi_db *db = NULL;
    ck_assert_msg(omsi_db_pg_driver.open(uri, false, &db, &err) == 0, "%s", err.message);
    char sql[512];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; CREATE SCHEMA \"%s\"", schema, schema);
    ck_assert_msg(omsi_db_exec(db, sql, &err) == 0, "%s: %s", sql, err.message);
    omsi_db_close(db);
    /* options=-c search_path=SCHEMA, URI-encoded. */
    size_t n = strlen(uri) + strlen(schema) + 40;
    char *out = malloc(n);
    ck_assert_ptr_nonnull(out);
    snprintf(out, n, "%s%coptions=-csearch_path%%3D%s", uri, strchr(uri, '?') ? '&' : '?', schema);
    return out;
}
