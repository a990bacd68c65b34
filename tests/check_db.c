/* The backend drivers of catalog/db.h, case by case on every backend:
 * values through bind/step/column (int64 extremes, exact doubles, UTF-8 and
 * quotes, NULL, blobs with NUL bytes), placeholders inside literals and
 * comments, RETURNING and changes(), transactions, errors, read-only opens,
 * the schema version; and the PostgreSQL migrations: applied by two
 * processes at once, and the same tables, columns, indexes and foreign keys
 * as the SQLite schema.
 *
 * PostgreSQL: the server of $OMSI_TEST_PG_URI, else a throwaway cluster
 * started by tests/pg_cluster.sh for this run (skipped with a message when
 * the server binaries are absent). */
#include "base/omsi_util.h"
#include "catalog/db.h"
#include "catalog/migrations_pg.h"
#include "tests/test_pg.h"
#include "tests/test_support.h"

#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern const char *const omsi_catalog_migrations[];
extern const size_t omsi_catalog_migrations_count;

/* One backend under test: its driver and a target on it. */
typedef struct backend {
    const omsi_db_driver *driver;
    const char *target;
} backend;

/* Set by main() before the runner forks the tests; read-only afterwards. */
static backend backends[2];
static int n_backends;
static const char *pg_uri;

static bool is_pg(const backend *b) { return b->driver->dialect == OMSI_DB_POSTGRESQL; }

static omsi_db *open_db(const backend *b, bool read_only)
{
    omsi_error err = {0};
    omsi_db *db = NULL;
    int rc = b->driver->open(b->target, read_only, &db, &err);
    ck_assert_msg(rc == 0, "%s: open %s: %s", b->driver->name, b->target, err.message);
    return db;
}

static void exec_ok(omsi_db *db, const char *sql)
{
    omsi_error err = {0};
    ck_assert_msg(omsi_db_exec(db, sql, &err) == 0, "%s: %s", sql, err.message);
}

static omsi_db_stmt *prep(omsi_db *db, const char *sql)
{
    omsi_error err = {0};
    omsi_db_stmt *st = NULL;
    ck_assert_msg(omsi_db_prepare(db, sql, &st, &err) == 0, "prepare %s: %s", sql, err.message);
    return st;
}

static int step(omsi_db_stmt *st)
{
    omsi_error err = {0};
    int rc = omsi_db_step(st, &err);
    ck_assert_msg(rc >= 0, "step: %s", err.message);
    return rc;
}

static int64_t count_rows(omsi_db *db, const char *table);

/* ---- values -------------------------------------------------------------- */

START_TEST(int64_extremes)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    exec_ok(db, is_pg(b) ? "CREATE TEMP TABLE t (n integer, v bigint)" : "CREATE TEMP TABLE t (n INTEGER, v INTEGER)");
    const int64_t values[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT32_MAX + (int64_t)1, INT64_MAX};
    omsi_error err = {0};
    omsi_db_stmt *ins = prep(db, "INSERT INTO t (n, v) VALUES (?, ?)");
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++) {
        ck_assert_int_eq(omsi_db_bind_int64(ins, 1, i, &err), 0);
        ck_assert_int_eq(omsi_db_bind_int64(ins, 2, values[i], &err), 0);
        ck_assert_int_eq(step(ins), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(ins, &err), 0);
    }
    omsi_db_finalize(ins);
    omsi_db_stmt *sel = prep(db, "SELECT v, v = ? FROM t ORDER BY n");
    ck_assert_int_eq(omsi_db_bind_int64(sel, 1, INT64_MIN, &err), 0);
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++) {
        ck_assert_int_eq(step(sel), OMSI_DB_ROW);
        ck_assert_int_eq(omsi_db_column_count(sel), 2);
        ck_assert_msg(omsi_db_column_int64(sel, 0) == values[i], "%s: row %d: %" PRId64 ", expected %" PRId64,
                      b->driver->name, i, omsi_db_column_int64(sel, 0), values[i]);
        /* A comparison's result reads as an integer on both (bool on PostgreSQL). */
        ck_assert_int_eq(omsi_db_column_int64(sel, 1), i == 0);
        ck_assert_str_eq(omsi_db_column_text(sel, 1), i == 0 ? "1" : "0");
    }
    ck_assert_int_eq(step(sel), OMSI_DB_DONE);
    omsi_db_finalize(sel);
    /* A sum above 2^53 stays exact (PostgreSQL sums bigint as numeric). */
    sel = prep(db, "SELECT sum(v) FROM t WHERE v > 1 AND v < ?");
    ck_assert_int_eq(omsi_db_bind_int64(sel, 1, INT64_MAX, &err), 0);
    ck_assert_int_eq(step(sel), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_int64(sel, 0), INT32_MAX + (int64_t)1);
    omsi_db_finalize(sel);
    exec_ok(db, "INSERT INTO t (n, v) VALUES (100, 9007199254740993), (101, 2)");
    sel = prep(db, "SELECT sum(v) FROM t WHERE n >= 100");
    ck_assert_int_eq(step(sel), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_int64(sel, 0), 9007199254740995LL);
    omsi_db_finalize(sel);
    omsi_db_close(db);
}
END_TEST

START_TEST(doubles_round_trip)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    exec_ok(db, is_pg(b) ? "CREATE TEMP TABLE t (n integer, v double precision)"
                         : "CREATE TEMP TABLE t (n INTEGER, v REAL)");
    const double values[] = {0.1,     1.0 / 3.0, M_PI,  -2.5e-300, 1e300, DBL_MAX, DBL_MIN, DBL_EPSILON,
                             1.0 + DBL_EPSILON, 4.9406564584124654e-324 /* smallest subnormal */,
                             -0.0, 0.0, 1234567.0000001, 700.3456789012345, 1764646200.123456};
    int n = (int)(sizeof values / sizeof values[0]);
    omsi_error err = {0};
    omsi_db_stmt *ins = prep(db, "INSERT INTO t (n, v) VALUES (?, ?)");
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(omsi_db_bind_int64(ins, 1, i, &err), 0);
        ck_assert_int_eq(omsi_db_bind_double(ins, 2, values[i], &err), 0);
        ck_assert_msg(omsi_db_step(ins, &err) == OMSI_DB_DONE, "%.17g: %s", values[i], err.message);
        ck_assert_int_eq(omsi_db_reset(ins, &err), 0);
    }
    omsi_db_finalize(ins);
    omsi_db_stmt *sel = prep(db, "SELECT v FROM t ORDER BY n");
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(step(sel), OMSI_DB_ROW);
        double v = omsi_db_column_double(sel, 0);
        /* SQLite keeps an integral REAL as an integer on disk: -0.0 comes
         * back as 0.0, equal but without its sign. */
        bool same = memcmp(&v, &values[i], sizeof v) == 0 ||
                    (!is_pg(b) && values[i] == 0 && v == 0 && signbit(values[i]));
        ck_assert_msg(same, "%s: %.17g came back as %.17g", b->driver->name, values[i], v);
    }
    ck_assert_int_eq(step(sel), OMSI_DB_DONE);
    omsi_db_finalize(sel);
    /* A REAL read as an integer is truncated toward zero. */
    sel = prep(db, "SELECT v FROM t WHERE n = 2");
    ck_assert_int_eq(step(sel), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_int64(sel, 0), 3);
    omsi_db_finalize(sel);
    omsi_db_close(db);
}
END_TEST

/* PostgreSQL's float8 also holds the infinities and NaN (SQLite turns NaN
 * into NULL, so this case is PostgreSQL's only). */
START_TEST(pg_double_specials)
{
    const backend *b = &backends[_i];
    if (!is_pg(b))
        return;
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    omsi_db_stmt *st = prep(db, "SELECT ?::float8, ?::float8, ?::float8");
    ck_assert_int_eq(omsi_db_bind_double(st, 1, INFINITY, &err), 0);
    ck_assert_int_eq(omsi_db_bind_double(st, 2, -INFINITY, &err), 0);
    ck_assert_int_eq(omsi_db_bind_double(st, 3, NAN, &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    ck_assert(isinf(omsi_db_column_double(st, 0)) && omsi_db_column_double(st, 0) > 0);
    ck_assert(isinf(omsi_db_column_double(st, 1)) && omsi_db_column_double(st, 1) < 0);
    ck_assert(isnan(omsi_db_column_double(st, 2)));
    omsi_db_finalize(st);
    omsi_db_close(db);
}
END_TEST

START_TEST(text_utf8_quotes_null)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    exec_ok(db, is_pg(b) ? "CREATE TEMP TABLE t (n integer, v text)" : "CREATE TEMP TABLE t (n INTEGER, v TEXT)");
    const char *values[] = {"Küvette 25 µm, 質量分析 ✓", "it's \"quoted\"", "back\\slash \\x00 $1 ?", "", "a\tb\nc",
                            "Robert'); DROP TABLE t;--", NULL};
    int n = (int)(sizeof values / sizeof values[0]);
    omsi_error err = {0};
    omsi_db_stmt *ins = prep(db, "INSERT INTO t (n, v) VALUES (?, ?)");
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(omsi_db_bind_int64(ins, 1, i, &err), 0);
        ck_assert_int_eq(omsi_db_bind_text(ins, 2, values[i], &err), 0);
        ck_assert_int_eq(step(ins), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(ins, &err), 0);
    }
    /* bind_null as well as bind_text(NULL). */
    ck_assert_int_eq(omsi_db_bind_int64(ins, 1, n, &err), 0);
    ck_assert_int_eq(omsi_db_bind_null(ins, 2, &err), 0);
    ck_assert_int_eq(step(ins), OMSI_DB_DONE);
    omsi_db_finalize(ins);
    omsi_db_stmt *sel = prep(db, "SELECT v, n FROM t ORDER BY n");
    for (int i = 0; i <= n; i++) {
        ck_assert_int_eq(step(sel), OMSI_DB_ROW);
        const char *want = i < n ? values[i] : NULL;
        if (want) {
            ck_assert(!omsi_db_column_is_null(sel, 0));
            ck_assert_str_eq(omsi_db_column_text(sel, 0), want);
        } else {
            ck_assert(omsi_db_column_is_null(sel, 0));
            ck_assert_ptr_null(omsi_db_column_text(sel, 0));
            ck_assert_int_eq(omsi_db_column_int64(sel, 0), 0);
            ck_assert(omsi_db_column_double(sel, 0) == 0.0);
            size_t size = 99;
            ck_assert_ptr_null(omsi_db_column_blob(sel, 0, &size));
            ck_assert_uint_eq(size, 0);
        }
        ck_assert(!omsi_db_column_is_null(sel, 1));
    }
    ck_assert_int_eq(step(sel), OMSI_DB_DONE);
    ck_assert_str_eq(omsi_db_column_name(sel, 0), "v");
    omsi_db_finalize(sel);
    omsi_db_close(db);
}
END_TEST

/* `?` in literals, quoted names and comments is text; ?NNN is numbered. */
START_TEST(placeholders)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    omsi_db_stmt *st = prep(db, "SELECT 'a?b', ? /* what? */, 'it''s ?', -- and ?\n"
                                "? AS \"x?y\", '?'");
    ck_assert_int_eq(omsi_db_bind_int64(st, 1, 7, &err), 0);
    ck_assert_int_eq(omsi_db_bind_text(st, 2, "second", &err), 0);
    /* There are two parameters, not six. */
    ck_assert_int_ne(omsi_db_bind_int64(st, 3, 1, &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_count(st), 5);
    ck_assert_str_eq(omsi_db_column_text(st, 0), "a?b");
    ck_assert_int_eq(omsi_db_column_int64(st, 1), 7);
    ck_assert_str_eq(omsi_db_column_text(st, 2), "it's ?");
    ck_assert_str_eq(omsi_db_column_text(st, 3), "second");
    ck_assert_str_eq(omsi_db_column_name(st, 3), "x?y");
    ck_assert_str_eq(omsi_db_column_text(st, 4), "?");
    omsi_db_finalize(st);

    st = prep(db, "SELECT ?2, ?1, ?2 || ?1");
    ck_assert_int_eq(omsi_db_bind_text(st, 1, "one", &err), 0);
    ck_assert_int_eq(omsi_db_bind_text(st, 2, "two", &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    ck_assert_str_eq(omsi_db_column_text(st, 0), "two");
    ck_assert_str_eq(omsi_db_column_text(st, 1), "one");
    ck_assert_str_eq(omsi_db_column_text(st, 2), "twoone");
    omsi_db_finalize(st);
    omsi_db_close(db);
}
END_TEST

/* One statement run again and again with other values and types (the
 * PostgreSQL driver prepares it on the server from the second run). */
START_TEST(rerun_rebind)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    omsi_db_stmt *st = prep(db, "SELECT ?, ? || 'x'");
    for (int round = 0; round < 4; round++) {
        switch (round % 3) {
        case 0: ck_assert_int_eq(omsi_db_bind_int64(st, 1, 5 + round, &err), 0); break;
        case 1: ck_assert_int_eq(omsi_db_bind_text(st, 1, "abc", &err), 0); break;
        default: ck_assert_int_eq(omsi_db_bind_double(st, 1, 2.5, &err), 0); break;
        }
        ck_assert_int_eq(omsi_db_bind_text(st, 2, round ? "w" : "v", &err), 0);
        ck_assert_msg(omsi_db_step(st, &err) == OMSI_DB_ROW, "round %d: %s", round, err.message);
        switch (round % 3) {
        case 0: ck_assert_int_eq(omsi_db_column_int64(st, 0), 5 + round); break;
        case 1: ck_assert_str_eq(omsi_db_column_text(st, 0), "abc"); break;
        default: ck_assert(omsi_db_column_double(st, 0) == 2.5); break;
        }
        ck_assert_str_eq(omsi_db_column_text(st, 1), round ? "wx" : "vx");
        ck_assert_int_eq(step(st), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(st, &err), 0);
        /* Prepared from the second run on, one at a time. */
        if (is_pg(b))
            ck_assert_int_eq(count_rows(db, "pg_prepared_statements"), round > 0);
    }
    omsi_db_finalize(st);
    if (is_pg(b)) /* and dropped with the statement */
        ck_assert_int_eq(count_rows(db, "pg_prepared_statements"), 0);
    omsi_db_close(db);
}
END_TEST

/* PostgreSQL's own quoting: dollar quotes, E'' escapes, nested comments. */
START_TEST(pg_placeholders)
{
    const backend *b = &backends[_i];
    if (!is_pg(b))
        return;
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    omsi_db_stmt *st = prep(db, "SELECT $$a?b$$, $q$ ? $q$, E'\\'?', /* a /* nested ? */ ? */ ?");
    ck_assert_int_eq(omsi_db_bind_text(st, 1, "p", &err), 0);
    ck_assert_int_ne(omsi_db_bind_text(st, 2, "p", &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    ck_assert_str_eq(omsi_db_column_text(st, 0), "a?b");
    ck_assert_str_eq(omsi_db_column_text(st, 1), " ? ");
    ck_assert_str_eq(omsi_db_column_text(st, 2), "'?");
    ck_assert_str_eq(omsi_db_column_text(st, 3), "p");
    omsi_db_finalize(st);
    omsi_db_close(db);
}
END_TEST

START_TEST(blobs)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    exec_ok(db, is_pg(b) ? "CREATE TEMP TABLE t (n integer, v bytea)" : "CREATE TEMP TABLE t (n INTEGER, v BLOB)");
    unsigned char big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + i / 256);
    const unsigned char small[] = {0, 1, 0, 255, '\\', '\'', 'x', 0};
    struct { const void *p; size_t n; } values[] = {{small, sizeof small}, {big, sizeof big}, {"", 0}};
    omsi_error err = {0};
    omsi_db_stmt *ins = prep(db, "INSERT INTO t (n, v) VALUES (?, ?)");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(omsi_db_bind_int64(ins, 1, i, &err), 0);
        ck_assert_int_eq(omsi_db_bind_blob(ins, 2, values[i].p, values[i].n, &err), 0);
        ck_assert_int_eq(step(ins), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(ins, &err), 0);
    }
    omsi_db_finalize(ins);
    /* Two blob columns of one row stay valid together. */
    omsi_db_stmt *sel = prep(db, "SELECT v, v FROM t ORDER BY n");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(step(sel), OMSI_DB_ROW);
        size_t n0 = 0, n1 = 0;
        const void *p0 = omsi_db_column_blob(sel, 0, &n0);
        const void *p1 = omsi_db_column_blob(sel, 1, &n1);
        ck_assert(!omsi_db_column_is_null(sel, 0));
        ck_assert_uint_eq(n0, values[i].n);
        ck_assert_uint_eq(n1, values[i].n);
        if (values[i].n) {
            ck_assert(memcmp(p0, values[i].p, n0) == 0);
            ck_assert(memcmp(p1, values[i].p, n1) == 0);
        }
    }
    ck_assert_int_eq(step(sel), OMSI_DB_DONE);
    omsi_db_finalize(sel);
    omsi_db_close(db);
}
END_TEST

START_TEST(returning_and_changes)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    exec_ok(db, is_pg(b) ? "CREATE TEMP TABLE r (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)"
                         : "CREATE TEMP TABLE r (id INTEGER PRIMARY KEY, v TEXT)");
    omsi_error err = {0};
    omsi_db_stmt *ins = prep(db, "INSERT INTO r (v) VALUES (?) RETURNING id");
    for (int i = 1; i <= 3; i++) {
        ck_assert_int_eq(omsi_db_bind_text(ins, 1, "x", &err), 0);
        ck_assert_int_eq(step(ins), OMSI_DB_ROW);
        ck_assert_int_eq(omsi_db_column_int64(ins, 0), i);
        ck_assert_int_eq(step(ins), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(ins, &err), 0);
        ck_assert_int_eq(omsi_db_changes(db), 1);
    }
    omsi_db_finalize(ins);
    omsi_db_stmt *up = prep(db, "UPDATE r SET v = ? WHERE id >= ?");
    ck_assert_int_eq(omsi_db_bind_text(up, 1, "y", &err), 0);
    ck_assert_int_eq(omsi_db_bind_int64(up, 2, 2, &err), 0);
    ck_assert_int_eq(step(up), OMSI_DB_DONE);
    omsi_db_finalize(up);
    ck_assert_int_eq(omsi_db_changes(db), 2);
    /* A SELECT leaves the count of the last change. */
    omsi_db_stmt *sel = prep(db, "SELECT count(*) FROM r WHERE v = 'y'");
    ck_assert_int_eq(step(sel), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_int64(sel, 0), 2);
    omsi_db_finalize(sel);
    ck_assert_int_eq(omsi_db_changes(db), 2);
    exec_ok(db, "DELETE FROM r WHERE id = 1");
    ck_assert_int_eq(omsi_db_changes(db), 1);
    exec_ok(db, "DELETE FROM r WHERE id = 99");
    ck_assert_int_eq(omsi_db_changes(db), 0);
    omsi_db_close(db);
}
END_TEST

static int64_t count_rows(omsi_db *db, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    omsi_db_stmt *st = prep(db, sql);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    int64_t n = omsi_db_column_int64(st, 0);
    omsi_db_finalize(st);
    return n;
}

START_TEST(transactions)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    exec_ok(db, "CREATE TEMP TABLE t (v integer)");
    omsi_db_rollback(db); /* outside a transaction: nothing happens */
    ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
    exec_ok(db, "INSERT INTO t VALUES (1)");
    omsi_db_rollback(db);
    ck_assert_int_eq(count_rows(db, "t"), 0);
    ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
    exec_ok(db, "INSERT INTO t VALUES (1)");
    exec_ok(db, "INSERT INTO t VALUES (2)");
    ck_assert_msg(omsi_db_commit(db, &err) == 0, "%s", err.message);
    ck_assert_int_eq(count_rows(db, "t"), 2);
    /* A statement failing inside a transaction: on PostgreSQL the whole
     * transaction is lost, and commit must say so rather than succeed. */
    if (is_pg(b)) {
        ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
        exec_ok(db, "INSERT INTO t VALUES (3)");
        ck_assert_int_eq(omsi_db_exec(db, "INSERT INTO no_such_table VALUES (1)", &err), OMSI_ERR_DB);
        ck_assert_int_eq(omsi_db_commit(db, &err), OMSI_ERR_DB);
        ck_assert_ptr_nonnull(strstr(err.message, "rolled back"));
        ck_assert_int_eq(count_rows(db, "t"), 2);
    }
    omsi_db_close(db);
}
END_TEST

START_TEST(error_messages)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_db(b, false);
    omsi_error err = {0};
    omsi_db_stmt *st = NULL;
    int rc = omsi_db_prepare(db, "SELECT * FROM no_such_table WHERE x = ?", &st, &err);
    if (rc == 0) { /* PostgreSQL reports it when the statement runs */
        ck_assert_int_eq(omsi_db_bind_int64(st, 1, 1, &err), 0);
        rc = omsi_db_step(st, &err);
        omsi_db_finalize(st);
    }
    ck_assert_int_eq(rc, OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "no_such_table") != NULL, "%s", err.message);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "not one line: %s", err.message);
    /* The connection stays usable after a bad query. */
    ck_assert_int_eq(count_rows(db, "(SELECT 1 AS x) AS one"), 1);
    ck_assert_int_eq(omsi_db_exec(db, "SELEC 1", &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "SELEC") != NULL, "%s", err.message);
    omsi_db_close(db);
}
END_TEST

START_TEST(read_only_refuses_writes)
{
    const backend *b = &backends[_i];
    omsi_db *rw = open_db(b, false);
    exec_ok(rw, "DROP TABLE IF EXISTS ro_probe");
    exec_ok(rw, "CREATE TABLE ro_probe (v integer)");
    exec_ok(rw, "INSERT INTO ro_probe VALUES (1)");
    omsi_db *ro = open_db(b, true);
    omsi_error err = {0};
    ck_assert_int_eq(count_rows(ro, "ro_probe"), 1);
    ck_assert_int_eq(omsi_db_exec(ro, "INSERT INTO ro_probe VALUES (2)", &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "read-only") || strstr(err.message, "readonly"), "%s", err.message);
    ck_assert_int_ne(omsi_db_exec(ro, "CREATE TABLE ro_other (v integer)", &err), 0);
    omsi_db_close(ro);
    ck_assert_int_eq(count_rows(rw, "ro_probe"), 1);
    exec_ok(rw, "DROP TABLE ro_probe");
    omsi_db_close(rw);
}
END_TEST

/* A connection to an empty catalog: on PostgreSQL a fresh schema first on
 * the search path (the test database is shared by the cases). */
static omsi_db *open_empty(const backend *b, const char *name)
{
    omsi_db *db = open_db(b, false);
    if (is_pg(b)) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path TO %s", name,
                 name, name);
        exec_ok(db, sql);
    }
    return db;
}

START_TEST(schema_version)
{
    const backend *b = &backends[_i];
    omsi_db *db = open_empty(b, "omsi_sv");
    omsi_error err = {0};
    int v = -1;
    ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
    ck_assert_int_eq(b->driver->schema_version(db, &v, &err), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(b->driver->set_schema_version(db, 3, &err), 0);
    ck_assert_int_eq(b->driver->schema_version(db, &v, &err), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(omsi_db_commit(db, &err), 0);
    ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
    ck_assert_int_eq(b->driver->set_schema_version(db, 4, &err), 0);
    omsi_db_rollback(db);
    ck_assert_int_eq(omsi_db_begin_write(db, &err), 0);
    ck_assert_int_eq(b->driver->schema_version(db, &v, &err), 0);
    ck_assert_int_eq(v, 3);
    omsi_db_rollback(db);
    if (is_pg(b))
        exec_ok(db, "DROP SCHEMA omsi_sv CASCADE");
    omsi_db_close(db);
}
END_TEST

/* ---- PostgreSQL connections ---------------------------------------------- */

START_TEST(pg_open_errors)
{
    omsi_error err = {0};
    omsi_db *db = NULL;
    ck_assert(omsi_db_pg_driver.accepts("postgresql:///x"));
    ck_assert(omsi_db_pg_driver.accepts("postgres://u@h/x"));
    ck_assert(!omsi_db_pg_driver.accepts("/var/lib/omsi-catalog/catalog.sqlite"));
    ck_assert(!omsi_db_pg_driver.accepts("postgresql.sqlite"));
    /* No server behind the socket: an outage, and no password in the message. */
    ck_assert_int_eq(omsi_db_pg_driver.open("postgresql://omsi:s3cretpw@/omsi_test?host=/nonexistent-omsi-dir",
                                            false, &db, &err),
                     OMSI_ERR_DB_UNAVAILABLE);
    ck_assert_ptr_null(db);
    ck_assert_msg(strstr(err.message, "s3cretpw") == NULL, "%s", err.message);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "%s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "nonexistent-omsi-dir"));
    /* A one-letter password in a message is starred, without a loop. */
    ck_assert_int_eq(omsi_db_pg_driver.open("postgresql://omsi:q@/omsi_test?host=/nowhere-q-dir-q", false, &db,
                                            &err),
                     OMSI_ERR_DB_UNAVAILABLE);
    ck_assert_msg(strstr(err.message, "/nowhere-***-dir-***/") != NULL, "%s", err.message);
    /* A malformed URI is the user's mistake. */
    ck_assert_int_eq(omsi_db_pg_driver.open("postgresql://omsi:s3cretpw@/db?no_such_option=1", false, &db, &err),
                     OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "s3cretpw") == NULL, "%s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "no_such_option"));
    ck_assert_int_eq(omsi_db_pg_driver.open("/some/file.sqlite", false, &db, &err), OMSI_ERR_USAGE);
    /* Wrong database: the server says so. */
    char *uri = strdup(pg_uri);
    char *dbname = strstr(uri, "omsi_test");
    ck_assert_ptr_nonnull(dbname);
    memcpy(dbname, "omsi_none", 9);
    ck_assert_int_ne(omsi_db_pg_driver.open(uri, false, &db, &err), 0);
    ck_assert_msg(strstr(err.message, "omsi_none") != NULL, "%s", err.message);
    free(uri);
}
END_TEST

/* The server ends the session (as on a restart): the next call, and every
 * one after it, reports OMSI_ERR_DB_UNAVAILABLE, not a bad query. */
START_TEST(pg_connection_lost)
{
    const backend *b = &backends[_i];
    if (!is_pg(b))
        return;
    omsi_db *victim = open_db(b, false);
    omsi_db *admin = open_db(b, false);
    omsi_db_stmt *st = prep(victim, "SELECT pg_backend_pid()");
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    int64_t pid = omsi_db_column_int64(st, 0);
    omsi_db_finalize(st);
    omsi_error err = {0};
    st = prep(admin, "SELECT pg_terminate_backend(?::int)");
    ck_assert_int_eq(omsi_db_bind_int64(st, 1, pid, &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_ROW);
    ck_assert_int_eq(omsi_db_column_int64(st, 0), 1);
    omsi_db_finalize(st);
    /* The backend may take a moment to go. */
    int rc = 0;
    for (int tries = 0; tries < 100 && rc == 0; tries++) {
        rc = omsi_db_exec(victim, "SELECT 1", &err);
        if (rc == 0)
            usleep(20000);
    }
    ck_assert_msg(rc == OMSI_ERR_DB_UNAVAILABLE, "rc %d: %s", rc, err.message);
    ck_assert_msg(strstr(err.message, "connection lost") != NULL, "%s", err.message);
    ck_assert_int_eq(omsi_db_prepare(victim, "SELECT 1", &st, &err), OMSI_ERR_DB_UNAVAILABLE);
    ck_assert_int_eq(omsi_db_begin_write(victim, &err), OMSI_ERR_DB_UNAVAILABLE);
    omsi_db_rollback(victim);
    omsi_db_close(victim);
    /* The others are not affected. */
    ck_assert_int_eq(count_rows(admin, "(SELECT 1 AS x) AS one"), 1);
    omsi_db_close(admin);
}
END_TEST

/* ---- the PostgreSQL migrations ------------------------------------------- */

/* What catalog_open.c does on open: each migration above the version in its
 * own write transaction. Returns how many this process applied, or -1. */
static int migrate(const char *uri)
{
    omsi_error err = {0};
    omsi_db *db = NULL;
    if (omsi_db_pg_driver.open(uri, false, &db, &err)) {
        fprintf(stderr, "migrate: %s\n", err.message);
        return -1;
    }
    int applied = 0;
    int latest = (int)omsi_db_pg_driver.migrations_count;
    for (;;) {
        int version = 0;
        int rc = omsi_db_begin_write(db, &err);
        if (!rc)
            rc = omsi_db_pg_driver.schema_version(db, &version, &err);
        if (!rc && version >= latest) {
            rc = omsi_db_commit(db, &err);
            break;
        }
        if (!rc)
            rc = omsi_db_exec(db, omsi_db_pg_driver.migrations[version], &err);
        if (!rc)
            rc = omsi_db_pg_driver.set_schema_version(db, version + 1, &err);
        if (!rc)
            rc = omsi_db_commit(db, &err);
        if (rc) {
            fprintf(stderr, "migration %d: %s\n", version + 1, err.message);
            omsi_db_rollback(db);
            applied = -1;
            break;
        }
        applied++;
    }
    omsi_db_close(db);
    return applied;
}

/* Rows of a query as sorted lines "a|b|c\n", malloc'ed: one set to compare. */
typedef struct lines {
    char **v;
    size_t n;
} lines;

static void lines_add(lines *l, const char *s)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    ck_assert_ptr_nonnull(l->v);
    l->v[l->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *lines_join(lines *l)
{
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < l->n; i++)
        total += strlen(l->v[i]) + 1;
    char *out = malloc(total);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        strcat(out, l->v[i]);
        strcat(out, "\n");
        free(l->v[i]);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
    return out;
}

/* The SQLite schema, as PostgreSQL should have it: "table|column|type|nullable"
 * per column (search: fts5 has no types; the PostgreSQL table adds its key
 * and the tsvector), "index|name", "fk|table.column|table.column|on delete". */
static char *sqlite_schema(sqlite3 *s)
{
    lines l = {0};
    sqlite3_stmt *tables;
    ck_assert_int_eq(sqlite3_prepare_v2(s, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                           "'sqlite_%' AND name NOT LIKE 'search_%' ORDER BY name",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        char line[512];
        char sql[256];
        sqlite3_stmt *cols;
        bool search = strcmp(t, "search") == 0;
        if (search) {
            lines_add(&l, "search|source_id|bigint|NO");
            lines_add(&l, "search|tsv|tsvector|YES");
        }
        snprintf(sql, sizeof sql, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('%s')", t);
        ck_assert_int_eq(sqlite3_prepare_v2(s, sql, -1, &cols, NULL), SQLITE_OK);
        while (sqlite3_step(cols) == SQLITE_ROW) {
            const char *type = (const char *)sqlite3_column_text(cols, 1);
            const char *pg = search                          ? "text"
                             : strcmp(type, "INTEGER") == 0 ? "bigint"
                             : strcmp(type, "REAL") == 0    ? "double precision"
                             : strcmp(type, "TEXT") == 0    ? "text"
                             : strcmp(type, "BLOB") == 0    ? "bytea"
                                                            : type;
            bool not_null = sqlite3_column_int(cols, 2) || sqlite3_column_int(cols, 3);
            snprintf(line, sizeof line, "%s|%s|%s|%s", t, (const char *)sqlite3_column_text(cols, 0), pg,
                     not_null ? "NO" : "YES");
            lines_add(&l, line);
        }
        sqlite3_finalize(cols);
        snprintf(sql, sizeof sql, "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list('%s')",
                 t);
        ck_assert_int_eq(sqlite3_prepare_v2(s, sql, -1, &cols, NULL), SQLITE_OK);
        while (sqlite3_step(cols) == SQLITE_ROW) {
            snprintf(line, sizeof line, "fk|%s.%s|%s.%s|%s", t, (const char *)sqlite3_column_text(cols, 0),
                     (const char *)sqlite3_column_text(cols, 1), (const char *)sqlite3_column_text(cols, 2),
                     (const char *)sqlite3_column_text(cols, 3));
            lines_add(&l, line);
        }
        sqlite3_finalize(cols);
        snprintf(sql, sizeof sql, "SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_list('%s') il, "
                 "pragma_index_info(il.name) ii WHERE il.origin = 'u' ORDER BY il.name, ii.seqno) ", t);
        ck_assert_int_eq(sqlite3_prepare_v2(s, sql, -1, &cols, NULL), SQLITE_OK);
        if (sqlite3_step(cols) == SQLITE_ROW && sqlite3_column_type(cols, 0) != SQLITE_NULL) {
            snprintf(line, sizeof line, "unique|%s|%s", t, (const char *)sqlite3_column_text(cols, 0));
            lines_add(&l, line);
        }
        sqlite3_finalize(cols);
    }
    sqlite3_finalize(tables);
    ck_assert_int_eq(sqlite3_prepare_v2(s, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char line[256];
        snprintf(line, sizeof line, "index|%s", (const char *)sqlite3_column_text(tables, 0));
        lines_add(&l, line);
    }
    sqlite3_finalize(tables);
    lines_add(&l, "index|search_tsv"); /* the GIN index standing in for fts5's own */
    return lines_join(&l);
}

static void pg_collect(omsi_db *db, lines *l, const char *sql)
{
    omsi_db_stmt *st = prep(db, sql);
    while (step(st) == OMSI_DB_ROW)
        lines_add(l, omsi_db_column_text(st, 0));
    omsi_db_finalize(st);
}

static char *pg_schema(omsi_db *db)
{
    lines l = {0};
    pg_collect(db, &l,
               "SELECT table_name || '|' || column_name || '|' || data_type || '|' || is_nullable "
               "FROM information_schema.columns WHERE table_schema = 'omsi_mig' AND table_name <> 'schema_version'");
    /* Foreign keys of one column each, as SQLite lists them. */
    pg_collect(db, &l,
               "SELECT 'fk|' || cl.relname || '.' || a.attname || '|' || fcl.relname || '.' || fa.attname || '|' || "
               "CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' WHEN 'n' THEN 'SET NULL' "
               "ELSE c.confdeltype::text END "
               "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
               "JOIN pg_namespace n ON n.oid = cl.relnamespace "
               "JOIN pg_class fcl ON fcl.oid = c.confrelid "
               "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
               "JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] "
               "WHERE c.contype = 'f' AND n.nspname = 'omsi_mig'");
    pg_collect(db, &l,
               "SELECT 'unique|' || cl.relname || '|' || string_agg(a.attname, ',' ORDER BY array_position(c.conkey, a.attnum)) "
               "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
               "JOIN pg_namespace n ON n.oid = cl.relnamespace "
               "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
               "WHERE c.contype = 'u' AND n.nspname = 'omsi_mig' GROUP BY c.oid, cl.relname");
    /* Every index but those of primary keys and unique constraints (SQLite's
     * are implicit too). */
    pg_collect(db, &l,
               "SELECT 'index|' || i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
               "JOIN pg_namespace n ON n.oid = i.relnamespace "
               "WHERE n.nspname = 'omsi_mig' AND NOT x.indisprimary AND NOT EXISTS "
               "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype = 'u')");
    return lines_join(&l);
}

/* got and want (sorted lines) are equal; else the first lines that differ. */
static void assert_same_lines(const char *got, const char *want)
{
    const char *g = got, *w = want;
    while (*g && *w) {
        size_t ng = strcspn(g, "\n"), nw = strcspn(w, "\n");
        if (ng != nw || memcmp(g, w, ng) != 0)
            break;
        g += ng + (g[ng] == '\n');
        w += nw + (w[nw] == '\n');
    }
    ck_assert_msg(!*g && !*w, "PostgreSQL schema differs: has \"%.*s\" where SQLite's has \"%.*s\"",
                  (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

START_TEST(pg_migrations_concurrent)
{
    char *uri = omsi_test_pg_schema_uri(pg_uri, "omsi_mig");
    omsi_db *admin = open_db(&backends[_i], false);

    /* Two processes open the new catalog at once. */
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            int applied = migrate(uri);
            _exit(applied < 0 ? 100 : applied);
        }
    }
    int applied = 0;
    for (int i = 0; i < 2; i++) {
        int status;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) < 100, "migrating process %d failed", i);
        applied += WEXITSTATUS(status);
    }
    /* Every migration applied exactly once between them. */
    ck_assert_int_eq(applied, (int)omsi_catalog_pg_migrations_count);
    ck_assert_int_eq(omsi_catalog_pg_migrations_count, omsi_catalog_migrations_count);
    /* A third open finds nothing to do. */
    ck_assert_int_eq(migrate(uri), 0);

    omsi_db *db = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_db_pg_driver.open(uri, true, &db, &err), 0);
    int version = -1;
    ck_assert_int_eq(omsi_db_pg_driver.schema_version(db, &version, &err), 0);
    ck_assert_int_eq(version, (int)omsi_catalog_pg_migrations_count);
    omsi_db_close(db);

    /* The same schema as SQLite's migrations give a new file. */
    char *dir = omsi_test_mkdtemp("db-schema");
    ck_assert_ptr_nonnull(dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *s = NULL;
    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    for (size_t i = 0; i < omsi_catalog_migrations_count; i++)
        ck_assert_msg(sqlite3_exec(s, omsi_catalog_migrations[i], NULL, NULL, NULL) == SQLITE_OK, "%zu: %s", i + 1,
                      sqlite3_errmsg(s));
    char *want = sqlite_schema(s);
    sqlite3_close(s);
    omsi_test_rmtree(dir);
    free(dir);
    char *got = pg_schema(admin);
    assert_same_lines(got, want);
    /* A sanity check of the comparison itself. */
    ck_assert_ptr_nonnull(strstr(want, "thumbnails|png|bytea|NO\n"));
    ck_assert_ptr_nonnull(strstr(want, "fk|datasets.source_id|sources.id|CASCADE\n"));
    ck_assert_ptr_nonnull(strstr(want, "unique|sources|path,fingerprint\n"));

    /* The search table works as the fts5 one is used: one document per
     * source id, found by words and by a prefix. */
    exec_ok(admin, "SET search_path TO omsi_mig");
    omsi_db_stmt *st = prep(admin, "INSERT INTO search (source_id, names, metadata) VALUES (?, ?, ?)");
    ck_assert_int_eq(omsi_db_bind_int64(st, 1, 42, &err), 0);
    ck_assert_int_eq(omsi_db_bind_text(st, 2, "/drop/lab1/Kidney_Section2.imzML imzml region-A", &err), 0);
    ck_assert_int_eq(omsi_db_bind_text(st, 3, "instrument Orbitrap Elite; KÜVETTE 25µm", &err), 0);
    ck_assert_int_eq(step(st), OMSI_DB_DONE);
    omsi_db_finalize(st);
    st = prep(admin, "SELECT source_id FROM search WHERE tsv @@ to_tsquery('simple', ?)");
    /* Words inside a path and after punctuation, a prefix, Unicode case. */
    const char *queries[] = {"orbitrap & elite", "kid:*", "kidney & section2 & lab1", "region & a", "küvette",
                             "25µm", "absent"};
    int n_found = 6;
    for (int i = 0; i < (int)(sizeof queries / sizeof queries[0]); i++) {
        ck_assert_int_eq(omsi_db_bind_text(st, 1, queries[i], &err), 0);
        if (i < n_found) {
            ck_assert_msg(step(st) == OMSI_DB_ROW, "%s", queries[i]);
            ck_assert_int_eq(omsi_db_column_int64(st, 0), 42);
        }
        ck_assert_int_eq(step(st), OMSI_DB_DONE);
        ck_assert_int_eq(omsi_db_reset(st, &err), 0);
    }
    omsi_db_finalize(st);
    exec_ok(admin, "DROP SCHEMA omsi_mig CASCADE");
    omsi_db_close(admin);
    free(got);
    free(want);
    free(uri);
}
END_TEST

/* ---- the run ------------------------------------------------------------- */

static Suite *db_suite(int pg_index)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("backends");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, int64_extremes, 0, n_backends);
    tcase_add_loop_test(tc, doubles_round_trip, 0, n_backends);
    tcase_add_loop_test(tc, pg_double_specials, 0, n_backends);
    tcase_add_loop_test(tc, text_utf8_quotes_null, 0, n_backends);
    tcase_add_loop_test(tc, placeholders, 0, n_backends);
    tcase_add_loop_test(tc, pg_placeholders, 0, n_backends);
    tcase_add_loop_test(tc, rerun_rebind, 0, n_backends);
    tcase_add_loop_test(tc, blobs, 0, n_backends);
    tcase_add_loop_test(tc, returning_and_changes, 0, n_backends);
    tcase_add_loop_test(tc, transactions, 0, n_backends);
    tcase_add_loop_test(tc, error_messages, 0, n_backends);
    tcase_add_loop_test(tc, read_only_refuses_writes, 0, n_backends);
    tcase_add_loop_test(tc, schema_version, 0, n_backends);
    tcase_add_loop_test(tc, pg_connection_lost, 0, n_backends);
    suite_add_tcase(s, tc);
    if (pg_index >= 0) {
        TCase *pg = tcase_create("postgresql");
        tcase_set_timeout(pg, 60);
        tcase_add_test(pg, pg_open_errors);
        tcase_add_loop_test(pg, pg_migrations_concurrent, pg_index, pg_index + 1);
        suite_add_tcase(s, pg);
    }
    return s;
}

int main(void)
{
    /* Every case on SQLite (a file in a folder of this run) and, when a
     * server is there, on PostgreSQL. */
    char *dir = omsi_test_mkdtemp("db");
    char *sqlite_target = dir ? omsi_path_join(dir, "db.sqlite") : NULL;
    if (!sqlite_target)
        return 1;
    backends[n_backends++] = (backend){&omsi_db_sqlite_driver, sqlite_target};
    omsi_test_pg pg;
    int pg_rc = omsi_test_pg_start(&pg);
    if (pg_rc != 0 && pg_rc != OMSI_TEST_SKIP)
        return 1; /* the server is installed but does not start: a failure */
    int pg_index = -1;
    if (pg_rc == 0) {
        pg_uri = pg.uri;
        pg_index = n_backends;
        backends[n_backends++] = (backend){&omsi_db_pg_driver, pg.uri};
    }
    int rc = omsi_test_run(db_suite(pg_index), true);
    omsi_test_pg_stop(&pg);
    omsi_test_rmtree(dir);
    free(dir);
    free(sqlite_target);
    return rc;
}
