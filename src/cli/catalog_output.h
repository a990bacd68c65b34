/* Output helpers of the catalog commands: aligned tables, CSV, JSON. */
#ifndef OMSI_CATALOG_OUTPUT_H
#define OMSI_CATALOG_OUTPUT_H

#include "catalog/catalog.h"
#include "cli/commands.h"

#include <json-c/json.h>
#include <stdio.h>

/* A table of strings printed with aligned columns (people) or as CSV. */
typedef struct omsi_table {
    size_t n_cols;
    char **cells;      /* row-major, n_rows * n_cols, malloc'ed */
    size_t n_rows, cap_rows;
    bool failed;
} omsi_table;

void omsi_table_init(omsi_table *t, size_t n_cols);
/* Adds a row of n_cols strings (copied; NULL prints as ""). */
void omsi_table_add(omsi_table *t, const char *const *cells);
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
