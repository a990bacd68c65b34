/* Subcommands of omsi-catalog. Each gets argv starting at its own name
 * (argv[0] = "check", ...) and the global options parsed by main(). Each
 * returns an exit code: 0 ok, 1 failure, 2 usage error. */
#ifndef OMSI_COMMANDS_H
#define OMSI_COMMANDS_H

#include "base/omsi_log.h"

typedef struct omsi_cli {
    const char *catalog_path; /* --catalog, or NULL (then $OMSI_CATALOG / default) */
    const omsi_logger *log;
} omsi_cli;

int omsi_cmd_check(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_image(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_formats(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_ingest(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_query(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_spectrum(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_thumbnail(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_serve(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_show(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_stats(int argc, char **argv, const omsi_cli *cli);
int omsi_cmd_verify(int argc, char **argv, const omsi_cli *cli);

#endif
