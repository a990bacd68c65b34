/* The PostgreSQL backend of catalog/db.h, over libpq.
 *
 * Statements: `?` and `?NNN` placeholders are numbered $1..$n at prepare
 * (outside quoted strings, identifiers and comments); every step of a fresh
 * statement runs it with PQexecParams and the whole result is kept, so that
 * callers may run other statements on the same connection while walking
 * rows (SQLite allows it; libpq's single-row mode would not). Callers bound
 * their result sizes with LIMIT.
 *
 * A statement run a second time (reset, rebind, step: the insert loops
 * of record) is prepared on the server then, and run by name from there
 * on, saving the parse and plan of each row; a statement run once costs
 * one round trip, as PQexecParams.
 *
 * Values: parameters go as text (integers in decimal, doubles with %.17g,
 * which reads back to the same double) with their type (int8, float8;
 * text is left for the server to infer from the context), blobs as binary
 * bytea. Results are requested in text: integers and doubles are parsed,
 * bytea columns are decoded with PQunescapeBytea (kept until the next step).
 *
 * Errors carry libpq's message on one line, with any password in it
 * replaced by "***". A connection found broken (PQstatus CONNECTION_BAD, or
 * a connection-class SQLSTATE) sets the connection's lost flag and reports
 * OMSI_ERR_DB_UNAVAILABLE, so that the daemon tells an outage from a bad
 * query; the caller then closes the connection and opens a new one. */
#include "catalog/db.h"
#include "catalog/migrations_pg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of pg_type.h (catalog/pg_type_d.h is a server header). */
enum { PG_BOOLOID = 16, PG_BYTEAOID = 17, PG_INT8OID = 20, PG_FLOAT4OID = 700, PG_FLOAT8OID = 701,
       PG_NUMERICOID = 1700 };

/* Key of the advisory lock that serialises migrations across processes. */
#define PG_MIGRATION_LOCK_KEY "7957018330925453685" /* "omsi-cat" as 8 bytes */

typedef struct pg_db {
    omsi_db base;
    PGconn *conn;
    bool read_only;
    bool lost;          /* the connection broke: every later call fails at once */
    int64_t changes;
    unsigned long statements; /* names the server-side prepared statements */
    char *password;     /* from the target, to scrub from messages; NULL if none */
} pg_db;

typedef struct pg_param {
    char *value;        /* NULL binds SQL NULL */
    int length;
    int format;         /* 0 text, 1 binary */
    Oid type;           /* 0: inferred by the server */
} pg_param;

typedef struct pg_stmt {
    omsi_db_stmt base;
    pg_db *db;
    char *sql;          /* with $1..$n */
    int n_params;
    pg_param *params;
    PGresult *res;      /* NULL until the first step */
    int row;            /* the current row, -1 before the first */
    unsigned char **blobs; /* decoded bytea of the current row, per column */
    size_t *blob_sizes;
    int runs;           /* executions so far */
    bool prepared;      /* name is prepared on the server, for prepared_types */
    char name[32];
    Oid *prepared_types;
} pg_stmt;

/* ---- messages ---------------------------------------------------------- */

/* Copies msg to err on one line (its first non-empty line), with the
 * connection's password, if it appears, replaced by "***". */
static int set_message(omsi_error *err, omsi_status status, const char *password, const char *what,
                       const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    while (*msg == '\n' || *msg == ' ')
        msg++;
    size_t n = strcspn(msg, "\n");
    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        n--;
    char line[1024];
    size_t pl = password ? strlen(password) : 0;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof line;) {
        if (pl && i + pl <= n && memcmp(msg + i, password, pl) == 0) {
            memcpy(line + o, "***", 3);
            o += 3;
            i += pl;
        } else {
            line[o++] = msg[i++];
        }
    }
    line[o] = '\0';
    return omsi_error_set(err, status, "%s%s%s", what ? what : "", what ? ": " : "", line);
}

/* SQLSTATE classes that mean the server went away, not that the SQL is
 * wrong: 08 connection exception, 57P01-57P03 shutdown / cannot connect now. */
static bool sqlstate_is_outage(const char *state)
{
    if (!state)
        return false;
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
           strcmp(state, "57P03") == 0;
}

static int lost_error(pg_db *db, omsi_error *err)
{
    return set_message(err, OMSI_ERR_DB_UNAVAILABLE, db->password, "PostgreSQL connection lost",
                       PQerrorMessage(db->conn));
}

/* The error of a failed call: res's message when there is one, else the
 * connection's; OMSI_ERR_DB_UNAVAILABLE when the connection is gone. */
static int fail(pg_db *db, const PGresult *res, omsi_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(db->conn) == CONNECTION_BAD || sqlstate_is_outage(state))
        db->lost = true;
    /* The server's primary message, without its "ERROR:  " and detail lines. */
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg)
        msg = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
    if (db->lost)
        return set_message(err, OMSI_ERR_DB_UNAVAILABLE, db->password, "PostgreSQL connection lost", msg);
    return set_message(err, OMSI_ERR_DB, db->password, NULL, msg);
}

/* Runs sql without parameters; 0 when it succeeded (res kept in *out if
 * out is given, else cleared). */
static int run(pg_db *db, const char *sql, PGresult **out, omsi_error *err)
{
    if (db->lost)
        return lost_error(db, err);
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
        int rc = fail(db, res, err);
        PQclear(res);
        return rc;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

/* ---- target ------------------------------------------------------------ */

static bool pg_accepts(const char *target)
{
    return target && (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0);
}

/* The password of a connection URI or string, malloc'ed, or NULL. */
static char *target_password(const char *target)
{
    char *parse_err = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &parse_err);
    PQfreemem(parse_err);
    if (!opts)
        return NULL;
    char *password = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            password = strdup(o->val);
    PQconninfoFree(opts);
    return password;
}

/* libpq prints NOTICEs (e.g. "... does not exist, skipping" of IF EXISTS)
 * on stderr by default; the catalog has nothing to tell from them. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_close(omsi_db *base)
{
    pg_db *db = (pg_db *)base;
    if (!db)
        return;
    PQfinish(db->conn);
    free(db->password);
    free(db);
}

static int pg_open(const char *target, bool read_only, omsi_db **out, omsi_error *err)
{
    *out = NULL;
    if (!pg_accepts(target))
        return omsi_error_set(err, OMSI_ERR_USAGE, "not a PostgreSQL URI (postgresql://... or postgres://...)");
    char *parse_err = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &parse_err);
    if (!opts) {
        char *password = target_password(target); /* NULL: it did not parse */
        int rc = set_message(err, OMSI_ERR_USAGE, password, "invalid PostgreSQL URI",
                             parse_err ? parse_err : "out of memory");
        PQfreemem(parse_err);
        free(password);
        return rc;
    }
    PQconninfoFree(opts);

    pg_db *db = calloc(1, sizeof *db);
    if (!db)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    db->base.driver = &omsi_db_pg_driver;
    db->read_only = read_only;
    db->password = target_password(target);
    /* The URI comes last so that whatever it says overrides these defaults
     * (a connect_timeout keeps an unreachable host from blocking forever). */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "client_encoding", "dbname", NULL};
    const char *const values[] = {"10", "omsi-catalog", "UTF8", target, NULL};
    int rc = 0;
    db->conn = PQconnectdbParams(keys, values, 1);
    if (!db->conn) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* Cannot connect: the server is down or unreachable, or refuses us;
         * the daemon retries either way. */
        rc = set_message(err, OMSI_ERR_DB_UNAVAILABLE, db->password, "cannot connect to PostgreSQL",
                         PQerrorMessage(db->conn));
        goto out;
    }
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    /* extra_float_digits > 0: doubles come back in their shortest exact form. */
    rc = run(db, read_only ? "SET extra_float_digits = 3; SET default_transaction_read_only = on"
                           : "SET extra_float_digits = 3",
             NULL, err);
out:
    if (rc) {
        pg_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return 0;
}

static void note_changes(pg_db *db, PGresult *res);

static int pg_exec(omsi_db *base, const char *sql, omsi_error *err)
{
    pg_db *db = (pg_db *)base;
    PGresult *res = NULL;
    int rc = run(db, sql, &res, err);
    if (rc)
        return rc;
    note_changes(db, res); /* of the last statement, when several */
    PQclear(res);
    return 0;
}

/* ---- placeholders ------------------------------------------------------ */

/* Length of the quoted or commented span starting at p (0 if none):
 * '...' (with '' inside; E'...' with backslash escapes), "...",
 * -- to end of line, nested block comments, $tag$...$tag$. */
static size_t skip_span(const char *sql, const char *p)
{
    const char *q = p;
    if (*p == '\'') {
        bool escapes = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                       (p - 1 == sql || !(isalnum((unsigned char)p[-2]) || p[-2] == '_'));
        for (q = p + 1; *q; q++) {
            if (escapes && *q == '\\' && q[1]) {
                q++;
            } else if (*q == '\'') {
                if (q[1] != '\'')
                    return (size_t)(q + 1 - p);
                q++;
            }
        }
        return (size_t)(q - p);
    }
    if (*p == '"') {
        for (q = p + 1; *q; q++)
            if (*q == '"') {
                if (q[1] != '"')
                    return (size_t)(q + 1 - p);
                q++;
            }
        return (size_t)(q - p);
    }
    if (p[0] == '-' && p[1] == '-')
        return strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') {
        int depth = 0;
        for (q = p; *q; q++) {
            if (q[0] == '/' && q[1] == '*') {
                depth++;
                q++;
            } else if (q[0] == '*' && q[1] == '/') {
                q++;
                if (--depth == 0)
                    return (size_t)(q + 1 - p);
            }
        }
        return (size_t)(q - p);
    }
    if (*p == '$' && !(p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
        /* $tag$ where tag is empty or an identifier (not $1: a parameter). */
        q = p + 1;
        if (isdigit((unsigned char)*q))
            return 0;
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        if (*q != '$')
            return 0;
        size_t tag = (size_t)(q + 1 - p);
        const char *end = q + 1;
        while ((end = strchr(end, '$')) != NULL) {
            if (strncmp(end, p, tag) == 0)
                return (size_t)(end + tag - p);
            end++;
        }
        return strlen(p);
    }
    return 0;
}

/* sql with `?` and `?NNN` numbered $1..$n the way SQLite numbers them (a
 * bare `?` takes the largest number so far + 1), malloc'ed; *n_params is
 * the largest number. NULL when out of memory or a number is out of range. */
static char *number_placeholders(const char *sql, int *n_params)
{
    size_t len = strlen(sql);
    /* "?" becomes at most "$32766" and "?NNN" keeps its length + 1. */
    char *out = malloc(len * 6 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    int max = 0;
    for (const char *p = sql; *p;) {
        size_t span = skip_span(sql, p);
        if (span) {
            memcpy(out + o, p, span);
            o += span;
            p += span;
            continue;
        }
        if (*p != '?') {
            out[o++] = *p++;
            continue;
        }
        p++;
        long number;
        if (isdigit((unsigned char)*p)) {
            char *end;
            errno = 0;
            number = strtol(p, &end, 10);
            if (errno || number < 1 || number > 32766) {
                free(out);
                return NULL;
            }
            p = end;
        } else {
            number = max + 1;
            if (number > 32766) {
                free(out);
                return NULL;
            }
        }
        if (number > max)
            max = (int)number;
        o += (size_t)sprintf(out + o, "$%ld", number);
    }
    out[o] = '\0';
    *n_params = max;
    return out;
}

/* ---- statements -------------------------------------------------------- */

static void clear_row(pg_stmt *st)
{
    if (!st->blobs || !st->res)
        return;
    int n = PQnfields(st->res);
    for (int i = 0; i < n; i++) {
        PQfreemem(st->blobs[i]);
        st->blobs[i] = NULL;
    }
}

static void clear_result(pg_stmt *st)
{
    clear_row(st);
    free(st->blobs);
    free(st->blob_sizes);
    st->blobs = NULL;
    st->blob_sizes = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
}

static int pg_prepare(omsi_db *base, const char *sql, omsi_db_stmt **out, omsi_error *err)
{
    pg_db *db = (pg_db *)base;
    *out = NULL;
    if (db->lost)
        return lost_error(db, err);
    pg_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    st->base.driver = &omsi_db_pg_driver;
    st->db = db;
    st->row = -1;
    st->sql = number_placeholders(sql, &st->n_params);
    if (!st->sql) {
        free(st);
        return omsi_error_set(err, OMSI_ERR_USAGE, "cannot prepare: out of memory or a parameter number "
                                                   "out of range (1..32766)");
    }
    if (st->n_params > 0) {
        st->params = calloc((size_t)st->n_params, sizeof *st->params);
        if (!st->params) {
            free(st->sql);
            free(st);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
    }
    *out = &st->base;
    return 0;
}

/* Drops the server's prepared statement (not inside a failed transaction,
 * where the server would refuse: it then lives until the connection ends). */
static void deallocate(pg_stmt *st)
{
    pg_db *db = st->db;
    if (st->prepared && !db->lost && PQtransactionStatus(db->conn) != PQTRANS_INERROR) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(db->conn, sql));
    }
    st->prepared = false;
}

static void pg_finalize(omsi_db_stmt *base)
{
    pg_stmt *st = (pg_stmt *)base;
    clear_result(st);
    deallocate(st);
    free(st->prepared_types);
    for (int i = 0; i < st->n_params; i++)
        free(st->params[i].value);
    free(st->params);
    free(st->sql);
    free(st);
}

/* Replaces parameter index's value by a copy of data (NULL: SQL NULL). */
static int set_param(pg_stmt *st, int index, const void *data, size_t size, int format, Oid type,
                     omsi_error *err)
{
    if (index < 1 || index > st->n_params)
        return omsi_error_set(err, OMSI_ERR_USAGE, "parameter %d out of range (the statement has %d)", index,
                              st->n_params);
    if (size > INT32_MAX)
        return omsi_error_set(err, OMSI_ERR_USAGE, "parameter %d: %zu bytes is too long", index, size);
    char *copy = NULL;
    if (data) {
        copy = malloc(size + 1); /* + 1: a zero-length blob is not NULL */
        if (!copy)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        memcpy(copy, data, size);
        copy[size] = '\0';
    }
    pg_param *p = &st->params[index - 1];
    free(p->value);
    p->value = copy;
    p->length = (int)size;
    p->format = format;
    p->type = type;
    return 0;
}

static int pg_bind_int64(omsi_db_stmt *base, int index, int64_t value, omsi_error *err)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%" PRId64, value);
    return set_param((pg_stmt *)base, index, text, (size_t)n, 0, PG_INT8OID, err);
}

static int pg_bind_double(omsi_db_stmt *base, int index, double value, omsi_error *err)
{
    char text[40];
    int n;
    if (isnan(value))
        n = snprintf(text, sizeof text, "NaN");
    else if (isinf(value))
        n = snprintf(text, sizeof text, "%sInfinity", value < 0 ? "-" : "");
    else
        n = snprintf(text, sizeof text, "%.17g", value);
    return set_param((pg_stmt *)base, index, text, (size_t)n, 0, PG_FLOAT8OID, err);
}

static int pg_bind_text(omsi_db_stmt *base, int index, const char *value, omsi_error *err)
{
    return set_param((pg_stmt *)base, index, value, value ? strlen(value) : 0, 0, 0, err);
}

static int pg_bind_blob(omsi_db_stmt *base, int index, const void *data, size_t size, omsi_error *err)
{
    static const char empty[1] = "";
    return set_param((pg_stmt *)base, index, data ? data : empty, data ? size : 0, 1, PG_BYTEAOID, err);
}

static int pg_bind_null(omsi_db_stmt *base, int index, omsi_error *err)
{
    return set_param((pg_stmt *)base, index, NULL, 0, 0, 0, err);
}

/* Rows the statement changed, as SQLite counts them: for INSERT, UPDATE,
 * DELETE and MERGE only (a SELECT leaves the count alone). */
static void note_changes(pg_db *db, PGresult *res)
{
    const char *status = PQcmdStatus(res);
    if (strncmp(status, "INSERT", 6) && strncmp(status, "UPDATE", 6) && strncmp(status, "DELETE", 6) &&
        strncmp(status, "MERGE", 5))
        return;
    db->changes = strtoll(PQcmdTuples(res), NULL, 10);
}

static int execute(pg_stmt *st, omsi_error *err)
{
    pg_db *db = st->db;
    if (db->lost)
        return lost_error(db, err);
    int n = st->n_params;
    const char **values = NULL;
    int *lengths = NULL, *formats = NULL;
    Oid *types = NULL;
    if (n > 0) {
        values = calloc((size_t)n, sizeof *values);
        lengths = calloc((size_t)n, sizeof *lengths);
        formats = calloc((size_t)n, sizeof *formats);
        types = calloc((size_t)n, sizeof *types);
    }
    int rc = 0;
    PGresult *res = NULL;
    if (n > 0 && (!values || !lengths || !formats || !types)) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        values[i] = st->params[i].value;
        lengths[i] = st->params[i].length;
        formats[i] = st->params[i].format;
        types[i] = st->params[i].type;
    }
    /* From the second run on: prepared once per set of parameter types. */
    if (st->runs++ > 0 &&
        (!st->prepared || (n > 0 && memcmp(st->prepared_types, types, (size_t)n * sizeof *types) != 0))) {
        deallocate(st);
        if (!st->prepared_types && n > 0)
            st->prepared_types = malloc((size_t)n * sizeof *types);
        if (st->prepared_types || n == 0) {
            snprintf(st->name, sizeof st->name, "omsi_%lu", ++db->statements);
            PGresult *prep = PQprepare(db->conn, st->name, st->sql, n, types);
            st->prepared = prep && PQresultStatus(prep) == PGRES_COMMAND_OK;
            PQclear(prep);
            if (st->prepared && n > 0)
                memcpy(st->prepared_types, types, (size_t)n * sizeof *types);
        }
    }
    /* Not prepared (first run, or the server refused: it says why below). */
    res = st->prepared ? PQexecPrepared(db->conn, st->name, n, values, lengths, formats, 0)
                       : PQexecParams(db->conn, st->sql, n, types, values, lengths, formats, 0);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
        rc = fail(db, res, err);
        PQclear(res);
        goto out;
    }
    note_changes(db, res);
    int cols = PQnfields(res);
    if (cols > 0) {
        st->blobs = calloc((size_t)cols, sizeof *st->blobs);
        st->blob_sizes = calloc((size_t)cols, sizeof *st->blob_sizes);
        if (!st->blobs || !st->blob_sizes) {
            PQclear(res);
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    st->res = res;
    st->row = -1;
out:
    free(values);
    free(lengths);
    free(formats);
    free(types);
    return rc;
}

static int pg_step(omsi_db_stmt *base, omsi_error *err)
{
    pg_stmt *st = (pg_stmt *)base;
    if (!st->res) {
        int rc = execute(st, err);
        if (rc) {
            clear_result(st);
            return rc;
        }
    }
    clear_row(st);
    if (st->row < PQntuples(st->res))
        st->row++;
    return st->row < PQntuples(st->res) ? OMSI_DB_ROW : OMSI_DB_DONE;
}

static int pg_reset(omsi_db_stmt *base, omsi_error *err)
{
    (void)err;
    clear_result((pg_stmt *)base);
    return 0;
}

/* ---- columns ----------------------------------------------------------- */

/* The current row's value of column, or NULL (no row, no such column, or
 * SQL NULL). */
static const char *value_of(pg_stmt *st, int column)
{
    if (!st->res || st->row < 0 || st->row >= PQntuples(st->res) || column < 0 || column >= PQnfields(st->res) ||
        PQgetisnull(st->res, st->row, column))
        return NULL;
    return PQgetvalue(st->res, st->row, column);
}

static int pg_column_count(omsi_db_stmt *base)
{
    pg_stmt *st = (pg_stmt *)base;
    return st->res ? PQnfields(st->res) : 0;
}

static const char *pg_column_name(omsi_db_stmt *base, int column)
{
    pg_stmt *st = (pg_stmt *)base;
    if (!st->res || column < 0 || column >= PQnfields(st->res))
        return NULL;
    return PQfname(st->res, column);
}

static bool pg_column_is_null(omsi_db_stmt *base, int column)
{
    return value_of((pg_stmt *)base, column) == NULL;
}

static double pg_column_double(omsi_db_stmt *base, int column)
{
    pg_stmt *st = (pg_stmt *)base;
    const char *v = value_of(st, column);
    if (!v)
        return 0.0;
    if (PQftype(st->res, column) == PG_BOOLOID)
        return *v == 't' ? 1.0 : 0.0;
    return strtod(v, NULL); /* also reads NaN, Infinity and -Infinity */
}

static int64_t pg_column_int64(omsi_db_stmt *base, int column)
{
    pg_stmt *st = (pg_stmt *)base;
    const char *v = value_of(st, column);
    if (!v)
        return 0;
    Oid type = PQftype(st->res, column);
    if (type == PG_BOOLOID)
        return *v == 't';
    if (type == PG_FLOAT4OID || type == PG_FLOAT8OID || type == PG_NUMERICOID) {
        /* A whole numeric (sum() of bigint) exactly; else truncated toward
         * zero and clamped, as SQLite converts a REAL. */
        char *end;
        errno = 0;
        long long whole = strtoll(v, &end, 10);
        if (!*end && end != v && errno == 0)
            return whole;
        double d = strtod(v, NULL);
        if (isnan(d))
            return 0;
        if (d >= 9223372036854775807.0)
            return INT64_MAX;
        if (d <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)d;
    }
    return strtoll(v, NULL, 10);
}

static const char *pg_column_text(omsi_db_stmt *base, int column)
{
    pg_stmt *st = (pg_stmt *)base;
    const char *v = value_of(st, column);
    /* A comparison reads as SQLite gives it: "1" or "0", not "t" or "f". */
    if (v && PQftype(st->res, column) == PG_BOOLOID)
        return *v == 't' ? "1" : "0";
    return v;
}

static const void *pg_column_blob(omsi_db_stmt *base, int column, size_t *size)
{
    pg_stmt *st = (pg_stmt *)base;
    const char *v = value_of(st, column);
    if (size)
        *size = 0;
    if (!v)
        return NULL;
    if (PQftype(st->res, column) != PG_BYTEAOID) {
        if (size)
            *size = (size_t)PQgetlength(st->res, st->row, column);
        return v;
    }
    if (!st->blobs[column]) {
        size_t n = 0;
        st->blobs[column] = PQunescapeBytea((const unsigned char *)v, &n);
        if (!st->blobs[column])
            return NULL;
        st->blob_sizes[column] = n;
    }
    if (size)
        *size = st->blob_sizes[column];
    return st->blobs[column];
}

/* ---- transactions and the schema version ------------------------------- */

static int64_t pg_changes(omsi_db *base)
{
    return ((pg_db *)base)->changes;
}

static int pg_begin_write(omsi_db *base, omsi_error *err)
{
    return run((pg_db *)base, "BEGIN", NULL, err);
}

static int pg_commit(omsi_db *base, omsi_error *err)
{
    pg_db *db = (pg_db *)base;
    PGresult *res = NULL;
    int rc = run(db, "COMMIT", &res, err);
    if (rc)
        return rc;
    /* COMMIT of a transaction an earlier statement failed in succeeds with
     * the status "ROLLBACK": nothing was written, which the caller must hear. */
    if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = omsi_error_set(err, OMSI_ERR_DB, "the transaction was rolled back: a statement in it had failed");
    PQclear(res);
    return rc;
}

static void pg_rollback(omsi_db *base)
{
    pg_db *db = (pg_db *)base;
    if (db->lost || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    PQclear(PQexec(db->conn, "ROLLBACK"));
}

/* The version is the one row of schema_version (kept by this driver, not by
 * the migrations); no table means an empty catalog, version 0. In a write
 * transaction it first takes a transaction-level advisory lock, held until
 * commit: a second process migrating the same new database waits here, then
 * reads the version the first one committed. */
static int pg_schema_version(omsi_db *base, int *version, omsi_error *err)
{
    pg_db *db = (pg_db *)base;
    *version = 0;
    int rc = 0;
    PGresult *res = NULL;
    if (!db->read_only && PQtransactionStatus(db->conn) == PQTRANS_INTRANS &&
        (rc = run(db, "SELECT pg_advisory_xact_lock(" PG_MIGRATION_LOCK_KEY ")", NULL, err)) != 0)
        return rc;
    if ((rc = run(db, "SELECT to_regclass('schema_version') IS NOT NULL", &res, err)) != 0)
        return rc;
    bool exists = PQntuples(res) == 1 && *PQgetvalue(res, 0, 0) == 't';
    PQclear(res);
    res = NULL;
    if (!exists)
        return 0;
    if ((rc = run(db, "SELECT max(version) FROM schema_version", &res, err)) != 0)
        return rc;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int pg_set_schema_version(omsi_db *base, int version, omsi_error *err)
{
    char sql[192];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL); "
             "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (%d)",
             version);
    return run((pg_db *)base, sql, NULL, err);
}

const omsi_db_driver omsi_db_pg_driver = {
    .name = "postgresql",
    .dialect = OMSI_DB_POSTGRESQL,
    .accepts = pg_accepts,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .begin_write = pg_begin_write,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .schema_version = pg_schema_version,
    .set_schema_version = pg_set_schema_version,
    .migrations = omsi_catalog_pg_migrations,
    .migrations_count = sizeof omsi_catalog_pg_migrations / sizeof omsi_catalog_pg_migrations[0],
};
