#include "cli/catalog_output.h"
#include "base/omsi_escape.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void omsi_table_init(omsi_table *t, size_t n_cols)
{
    memset(t, 0, sizeof *t);
    t->n_cols = n_cols;
}

void omsi_table_add(omsi_table *t, const char *const *cells)
{
    if (t->failed)
        return;
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        char **p = realloc(t->cells, cap * t->n_cols * sizeof *p);
        if (!p) {
            t->failed = true;
            return;
        }
        t->cells = p;
        t->cap_rows = cap;
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        char *copy = strdup(cells[c] ? cells[c] : "");
        if (!copy)
            t->failed = true;
        t->cells[t->n_rows * t->n_cols + c] = copy;
    }
    t->n_rows++;
}

void omsi_table_set_column(omsi_table *t, size_t col, int drop_order, bool middle, bool right)
{
    if (col >= OMSI_TABLE_MAX_COLS)
        return;
    t->drop_order[col] = drop_order;
    t->middle[col] = middle;
    t->right[col] = right;
}

/* Writes text with every '"' doubled (inside a quoted CSV field). */
static void csv_quoted_text(const char *s, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
}

/* Whether the text output would escape something in s other than CR, LF
 * (which RFC 4180 allows inside a quoted field) and backslash (doubled only
 * when the field is escaped anyway). */
static bool csv_needs_escape(const char *s)
{
    for (unsigned char c; (c = (unsigned char)*s); s++)
        if ((c < 0x20 && c != '\r' && c != '\n') || c == 0x7f || c == '\\' || c >= 0x80)
            break;
    if (!*s)
        return false;
    char *copy = strdup(s);
    bool needs = true;
    if (copy) {
        for (char *p = copy; *p; p++)
            if (*p == '\r' || *p == '\n' || *p == '\\')
                *p = ' ';
        needs = omsi_needs_escape(copy);
        free(copy);
    }
    return needs;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF.
 * A field with other control characters (tab, ESC, ...), invalid UTF-8 or
 * bidi overrides is quoted and written as the text output writes it
 * (omsi_escape: \t \e \xNN, backslash doubled), its CR and LF kept as
 * RFC 4180 allows, so that no field can drive a terminal; --json keeps
 * exact names. */
static void csv_cell(const char *s, FILE *out)
{
    if (!s)
        return;
    bool escape = csv_needs_escape(s);
    if (!escape && !strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    while (*s) {
        size_t n = strcspn(s, "\r\n");
        if (escape && n) {
            char *part = strndup(s, n);
            char *text = part ? omsi_escape_dup(part) : NULL;
            if (text)
                csv_quoted_text(text, strlen(text), out);
            else
                fputs("?", out); /* out of memory: never the raw bytes */
            free(text);
            free(part);
        } else {
            csv_quoted_text(s, n, out);
        }
        s += n;
        if (*s)
            fputc(*s++, out); /* CR or LF, inside the quotes */
    }
    fputc('"', out);
}

void omsi_table_print_csv(const omsi_table *t, FILE *out)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            if (c)
                fputc(',', out);
            csv_cell(t->cells[r * t->n_cols + c], out);
        }
        fputs("\r\n", out);
    }
}

void omsi_table_free(omsi_table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int omsi_open_cli_catalog(const omsi_cli *cli, omsi_catalog_mode mode, omsi_catalog **out)
{
    omsi_error err = {0};
    const char *path = omsi_catalog_default_path(cli->catalog_path);
    if (omsi_catalog_open(path, mode, out, &err)) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
        return 1;
    }
    return 0;
}

/* A double as people read it (760.59, not 760.59000000000003: %.10g);
 * JSON output keeps full precision. */
static void print_scalar(json_object *v, FILE *out)
{
    if (!v)
        fputs("-", out);
    else if (json_object_is_type(v, json_type_double))
        fprintf(out, "%.10g", json_object_get_double(v));
    else
        omsi_escape_fputs(json_object_get_string(v), out);
}

void omsi_print_json_as_text(json_object *o, FILE *out, int indent)
{
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, value) {
            /* For people: no schema version, and the ISO time stands for
             * its unix seconds. */
            size_t key_len = strlen(key);
            if (strcmp(key, "schema_version") == 0 || (key_len > 5 && strcmp(key + key_len - 5, "_unix") == 0))
                continue;
            bool nested = json_object_is_type(value, json_type_object) ||
                          json_object_is_type(value, json_type_array);
            if (nested && (json_object_is_type(value, json_type_array) ? json_object_array_length(value) == 0
                                                                        : json_object_object_length(value) == 0))
                continue;
            fprintf(out, "%*s", indent, "");
            omsi_escape_fputs(key, out);
            fputs(nested ? ":\n" : ": ", out);
            if (nested)
                omsi_print_json_as_text(value, out, indent + 2);
            else
                print_scalar(value, out);
            if (!nested)
                fputc('\n', out);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            json_object *v = json_object_array_get_idx(o, i);
            if (json_object_is_type(v, json_type_object)) {
                fprintf(out, "%*s- #%zu\n", indent, "", i + 1);
                omsi_print_json_as_text(v, out, indent + 2);
            } else {
                fprintf(out, "%*s- ", indent, "");
                print_scalar(v, out);
                fputc('\n', out);
            }
        }
    } else {
        fprintf(out, "%*s", indent, "");
        omsi_escape_fputs(json_object_get_string(o), out);
        fputc('\n', out);
    }
}

void omsi_format_time(double unix_seconds, char *out, size_t size)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (unix_seconds <= 0 || !gmtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "-");
}
