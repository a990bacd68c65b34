/* PostgreSQL for the Check suites: the server of $OMSI_TEST_PG_URI, else a
 * throwaway cluster of tests/pg_cluster.sh for this test program, and a
 * fresh schema per test on it. */
#ifndef OMSI_TEST_PG_H
#define OMSI_TEST_PG_H

typedef struct omsi_test_pg {
    char *uri;          /* malloc'ed; NULL when there is no server */
    char *cluster_dir;  /* the cluster started here, or NULL */
} omsi_test_pg;

/* Call in main(), before the runner forks the tests. 0 with pg->uri set;
 * OMSI_TEST_SKIP (77) when there is no server (why is printed); 1 when the
 * server is installed but does not start (a failure, also printed). A
 * cluster started here is stopped by omsi_test_pg_stop, or, should the
 * program die first, by the harness once this process is gone. */
int omsi_test_pg_start(omsi_test_pg *pg);
void omsi_test_pg_stop(omsi_test_pg *pg);

/* uri with its search_path on schema, dropped and created empty first: an
 * empty catalog for one test on the shared database. malloc'ed; fails the
 * current test on error. */
char *omsi_test_pg_schema_uri(const char *uri, const char *schema);

#endif
