/* PLACEHOLDER: replaced by the real `omsi-catalog ingest`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_ingest(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog ingest: not implemented yet\n");
    return 1;
}
