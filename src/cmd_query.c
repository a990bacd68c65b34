/* PLACEHOLDER: replaced by the real `omsi-catalog query`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_query(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog query: not implemented yet\n");
    return 1;
}
