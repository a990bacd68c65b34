/* Output helpers of the catalog commands: aligned tables, CSV, JSON. */
#ifndef OMSI_CATALOG_OUTPUT_H
#define OMSI_CATALOG_OUTPUT_H

#include "catalog/catalog.h"
#include "cli/commands.h"

#include <json-c/json.h>
#include <stdio.h>

enum { OMSI_TABLE_MAX_COLS = 32 };

/* A table of strings printed with aligned columns (people) or as CSV. The
 * first row is the header. */
typedef struct omsi_table {
    size_t n_cols;
    char **cells;      /* row-major, n_rows * n_cols, malloc'ed */
    size_t n_rows, cap_rows;
    bool failed;
    /* How the table fits a terminal (omsi_table_set_column). */
    int drop_order[OMSI_TABLE_MAX_COLS];
    bool middle[OMSI_TABLE_MAX_COLS];
    bool right[OMSI_TABLE_MAX_COLS];
} omsi_table;

void omsi_table_init(omsi_table *t, size_t n_cols);
/* drop_order > 0: on a terminal too narrow for every column, such columns
 * are left out, highest drop_order first (only for a default column set:
 * what --columns names is kept). middle: a long value (a path) is cut in
 * the middle ("/data/run…/scan.imzML"), else it is truncated at its end;
 * right: aligned to the right (numbers). */
void omsi_table_set_column(omsi_table *t, size_t col, int drop_order, bool middle, bool right);
/* Adds a row of n_cols strings (copied; NULL prints as ""). */
void omsi_table_add(omsi_table *t, const char *const *cells);
/* Aligned columns through libsmartcols (table_print.c). On a terminal the
 * table fits its width (else $COLUMNS, else 80): columns are dropped (see
 * above) and long values cut; otherwise (a pipe, a file) values are kept
 * whole for scripts. Every cell is escaped (omsi_escape). */
void omsi_table_print(const omsi_table *t, FILE *out);
void omsi_table_print_csv(const omsi_table *t, FILE *out);
void omsi_table_free(omsi_table *t);

/* Opens the catalog named by the global options, reporting errors. */
int omsi_open_cli_catalog(const omsi_cli *cli, omsi_catalog_mode mode, omsi_catalog **out);

/* Prints a JSON value as indented "key: value" text for people. */
void omsi_print_json_as_text(json_object *o, FILE *out, int indent);

/* "2026-11-24 18:45:17Z" */
void omsi_format_time(double unix_seconds, char *out, size_t size);

#endif
